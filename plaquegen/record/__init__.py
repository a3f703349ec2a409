"""The season's memory: the SQLite ledger (ledger: opening, the write transaction, plaques and each batch's identity; put together from schema: the file format, the schema and its migration; rows: the ledger's records and their checks; history: the append-only event log and answers settled from it; backups: rotating copies), where a batch came from (identity: BatchInfo, the one batch record of batch.json and the ledger, and RegisterPin), the batch folder's contract (folder), where each plaque stands (states), register identity, the missing-ledger guard and rebuilds (season).

Contract: one car = one number; history is append-only; nothing is forgotten silently.
"""

__all__ = ['backups', 'folder', 'history', 'identity', 'ledger', 'rows', 'schema', 'season', 'states']
