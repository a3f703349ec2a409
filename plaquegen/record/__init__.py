"""The season's memory: the SQLite ledger (ledger: opening, the write transaction, plaques and each batch's identity; put together from schema: the file format, the schema and its migration; rows: the ledger's records and their checks; history: the append-only event log and answers settled from it; backups: rotating copies, checked before they are rotated in; health: is a file a healthy ledger, its good backups, restoring one; lock: the writers' lock), where a batch came from (identity: BatchInfo, the one batch record of batch.json and the ledger, and RegisterPin), the batch folder's contract (folder), where each plaque stands (states), register identity, the missing-ledger guard and rebuilds (season), every plaque's state and step dates over the season (season_view), the season pages on disk (pages).

Contract: one car = one number; history is append-only; nothing is forgotten silently.

Opening: a command opens the ledger with ``ledger.open_ledger(path, create=False,
readonly=False)``, the one way in: anything but a healthy ledger of a known schema (an empty,
cut-short, damaged or foreign file) is refused with LedgerDamaged, whose sentence names the
newest good backup and ``plaquegen ledger --restore``; a missing ledger is created only with
``create=True``. Read-only commands (check, ledger, history, status) pass ``readonly=True``:
nothing is written, migrated or backed up.

Writing: every command that writes a batch folder or the ledger holds the writers' lock for its
whole run, ``with lock.ledger_lock(ledger_path, what="release"):`` (an flock on
``<ledger>.lock``; re-entrant in one process). A second writer waits ``LOCK_WAIT_S`` (5 s;
$PLAQUEGEN_LOCK_WAIT) and then gets ``lock.LedgerBusy``: "another plaquegen command (release,
started 22:14:05 UTC by pid 123) is writing ledger ...; try again when it has finished."
"""

__all__ = ['backups', 'folder', 'health', 'history', 'identity', 'ledger', 'lock', 'pages', 'rows', 'schema', 'season', 'season_view', 'states']
