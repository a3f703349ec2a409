"""SQLite record of every plaque issued, across all batches.

The ledger keeps one row per (VIN, batch).  Before a batch is made, the
pipeline asks :meth:`Ledger.conflicts` which of its VINs were already issued
in *another* batch, so the register never makes a second plaque for one car by
accident; a deliberate second plaque (``--reprint``) is recorded with
``reprint=True`` in the new batch.  Re-running a batch is idempotent: the same
rows, the original ``issued_at`` times, only changed checksums are updated.

Concurrency: the database runs in WAL mode with a 30 s busy timeout, and every
write is a single ``BEGIN IMMEDIATE`` transaction, so several processes can
record at the same time (they queue for the write lock) and the
``UNIQUE (vin, batch_id)`` constraint makes two runs of one batch converge on
one row per VIN.  Only the standard library's :mod:`sqlite3` is used.

The file is recognised by ``PRAGMA application_id`` (``PLQG``) and its schema
version is kept in ``PRAGMA user_version``.

The Ledger is put together from the modules named after what they hold: the file format, the
schema and its migration (schema), the rows as Python values and their checks (rows), the
append-only history and the answers settled from it (history: the History mixin), the
rotating backups (backups: the Backups mixin), and where a batch came from (identity:
BatchInfo, RegisterPin). This module opens and closes the file, runs the write transaction,
records plaques and keeps each batch's identity and the register pin.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Sequence

from ..core.clock import utc_now
from .backups import Backups
from .history import History
from .identity import BatchInfo, RegisterPin
from .rows import Conflict, Event, Issue, LedgerError, issue_row, sql_where, utc_seconds
from .health import (Inspection, connect_readonly, good_backups, inspect_ledger,
                     refuse_unhealthy, restore_command)
from .schema import SCHEMA_VERSION, BUSY_TIMEOUT_S, ISSUE_COLUMNS, UPSERT_ISSUE, check_or_create, immediate

__all__ = ["Ledger", "open_ledger"]

class Ledger(History, Backups):
    """An open ledger file.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike, readonly: bool = False) -> None:
        """Open ``path``: an existing file must be a healthy ledger (health.inspect_ledger, else
        LedgerDamaged naming its newest good backup); a missing one is created whole (never
        read-only). ``readonly``: open with ``mode=ro`` (``immutable`` on a read-only folder);
        a schema 1 ledger is then migrated in memory only, nothing is written, no backup made.
        Commands open through :func:`open_ledger`, which also says whether creating is allowed."""
        self.path = Path(path)
        self.readonly = readonly
        self._made: list[Path] = []
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open()

    # ---------------------------------------------------------------- opening

    def _open(self) -> sqlite3.Connection:
        path = self.path
        if not self.readonly and not path.exists():
            _create(path)
        # SQLite makes -wal/-shm files even for a reader: a read-only command removes the ones it
        # made (when empty and no writer is about), so it leaves the folder as it found it.
        self._made = [] if not self.readonly else [
            x for x in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
            if not x.exists()]
        refuse_unhealthy(inspect_ledger(path))
        try:
            if self.readonly:
                conn = connect_readonly(path)
            else:
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {path}: {exc}{_hint(path)}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if self.readonly:
                conn = _migrated_copy(conn, path)
            else:
                check_or_create(conn, path)
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted "
                         "(vin TEXT PRIMARY KEY, batch_id TEXT, number INTEGER) WITHOUT ROWID")
        except LedgerError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "malformed" in str(exc) or "not a database" in str(exc):
                refuse_unhealthy(Inspection(path, problem=f"is damaged ({exc})"))
            raise LedgerError(f"cannot open ledger {path}: {exc}{_hint(path)}") from exc
        return conn

    # ----------------------------------------------------------------- public

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LedgerError(f"ledger {self.path} is closed")
        return self._conn

    def conflicts(self, vins: Iterable[str], batch_id: str) -> dict[str, Conflict]:
        """For each VIN already issued in a batch other than ``batch_id``: its latest issue.

        VINs are compared exactly as stored (full 17-character VINs, upper case).
        One temporary table and one query, whatever the number of VINs.
        """
        db = self._db
        wanted = [(v,) for v in dict.fromkeys(vins)]
        try:
            db.execute("BEGIN")  # the temp table is private to this connection
            try:
                db.execute("DELETE FROM temp.wanted")
                db.executemany("INSERT INTO temp.wanted (vin) VALUES (?)", wanted)
                rows = db.execute(
                    "SELECT i.vin, i.batch_id, i.issued_at, i.number, i.total FROM issue AS i "
                    "JOIN temp.wanted AS w ON w.vin = i.vin "
                    "WHERE i.batch_id <> ? AND NOT EXISTS "  # a batch keeps the cars it holds
                    "(SELECT 1 FROM issue AS j WHERE j.vin = i.vin AND j.batch_id = ?) "
                    "ORDER BY i.vin, i.issued_at, i.id",
                    (batch_id, batch_id)).fetchall()
                # A car withdrawn from a batch after its plaque went to the shop keeps its claim:
                # the withdrawal removed its issue row, not the plaque the shop may have engraved.
                gone = db.execute(
                    "SELECT e.vin, e.batch_id, max(e.at), e.number FROM event AS e "
                    "JOIN temp.wanted AS w ON w.vin = e.vin "
                    "WHERE e.kind = 'released' AND e.batch_id <> ? "
                    "AND NOT EXISTS (SELECT 1 FROM issue AS i WHERE i.vin = e.vin AND i.batch_id = e.batch_id) "
                    "AND NOT EXISTS (SELECT 1 FROM issue AS j WHERE j.vin = e.vin AND j.batch_id = ?) "
                    "GROUP BY e.vin, e.batch_id ORDER BY e.vin, max(e.at)", (batch_id, batch_id)).fetchall()
                db.execute("DELETE FROM temp.wanted")
            finally:
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        result: dict[str, Conflict] = {}
        for vin, batch, issued_at, number, total in rows:  # oldest first: last one wins
            result[vin] = Conflict(vin=vin, batch_id=batch, issued_at=issued_at, number=number,
                                   total=total)
        for vin, batch, released_at, number in gone:
            result.setdefault(vin, Conflict(vin=vin, batch_id=batch, issued_at=released_at,
                                            number=number or 0, released_at=released_at))
        return result

    def record(self, issues: Iterable[Issue], replace_batch: str | None = None,
               batch: BatchInfo | None = None, pin: RegisterPin | None = None) -> int:
        """Record plaques in one transaction; return the number of rows inserted or changed.

        The iterable is read and checked completely before the write lock is
        taken, so a failing generator or an invalid Issue writes nothing.  Per
        (vin, batch_id) an existing row is updated in place: its ``issued_at``
        is kept, and its approval is kept only if svg_sha256 and number are
        unchanged.  Recording the same batch again with the same content
        writes (and returns) 0.

        Under the write lock, a car not marked reprint that another batch
        issued meanwhile (two batches running at once) refuses the whole
        recording. ``replace_batch``: the issues are that batch's complete
        list, so its rows for cars no longer in it are deleted (a re-run with
        fewer orders).
        """
        db = self._db
        rows = []
        seen: set[tuple[str, str]] = set()
        for issue in issues:
            row = issue_row(issue)
            key = (row[0], row[2])
            if key in seen:
                raise LedgerError(f"VIN {key[0]} appears twice for batch {key[1]} "
                                  "in one recording; nothing was recorded")
            seen.add(key)
            rows.append(row)
        if not rows and replace_batch is None and batch is None:
            return 0
        written = 0
        with self._write("nothing was recorded"):
            self._refuse_issued_meanwhile([i for i in rows if not i[7]], rows)
            if pin is not None:
                self._pin(pin)
            if batch is not None:
                self._put_batch(batch)
            self._history_of_record(rows, replace_batch)
            if replace_batch is not None:
                db.execute("DELETE FROM temp.wanted")
                db.executemany("INSERT INTO temp.wanted (vin) VALUES (?)",
                               [(r[0],) for r in rows if r[2] == replace_batch])
                written += db.execute("DELETE FROM issue WHERE batch_id = ? AND vin NOT IN "
                                      "(SELECT vin FROM temp.wanted)", (replace_batch,)).rowcount
                db.execute("DELETE FROM temp.wanted")
            before = db.total_changes
            db.executemany(UPSERT_ISSUE, rows)
            written += db.total_changes - before
        return written

    def _refuse_issued_meanwhile(self, rows: list[tuple], all_rows: list[tuple]) -> None:
        """Inside the write transaction, refuse what would break one car = one number:

        a car (not a reprint) that another batch issued meanwhile (two batches
        running at once), a car recorded before under another number, or a
        number recorded before for another car (the register changed).
        """
        db = self._db
        db.execute("DELETE FROM temp.wanted")
        db.executemany("INSERT INTO temp.wanted (vin, batch_id, number) VALUES (?, ?, ?)",
                       [(r[0], r[2], r[1]) for r in all_rows])
        try:
            clash = db.execute(
                "SELECT i.vin, i.batch_id FROM issue AS i JOIN temp.wanted AS w "
                "ON w.vin = i.vin AND w.batch_id <> i.batch_id WHERE NOT EXISTS "
                "(SELECT 1 FROM issue AS j WHERE j.vin = i.vin AND j.batch_id = w.batch_id) "
                "ORDER BY i.vin").fetchall() if rows else []
            clash = [c for c in clash if c[0] in {r[0] for r in rows}]
            if clash:
                vin, other = clash[0]
                raise LedgerError(f"{len(clash)} car(s), e.g. {vin}, were issued in batch {other} "
                                  "while this batch ran; nothing was recorded; run this batch "
                                  "again to refuse them (or use --reprint)")
            moved = db.execute(
                "SELECT w.vin, w.number, i.vin, i.number, i.batch_id FROM issue AS i "
                "JOIN temp.wanted AS w ON ((w.vin = i.vin AND w.number <> i.number) "
                "OR (w.number = i.number AND w.vin <> i.vin)) AND i.stale = 0 "
                "AND i.batch_id <> w.batch_id ORDER BY w.vin LIMIT 1").fetchone()
            if moved:
                vin, number, other_vin, other_number, batch = moved
                raise LedgerError(f"car {vin} would be No. {number}, but batch {batch} issued "
                                  f"No. {other_number} to {other_vin}: the production register "
                                  "has changed since; nothing was recorded")
        finally:
            db.execute("DELETE FROM temp.wanted")

    def issues(self, batch_id: str | None = None, vin: str | None = None) -> list[Issue]:
        """Recorded plaques, optionally of one batch and/or one VIN, by batch then number."""
        where, params = sql_where(batch_id=batch_id, vin=vin)
        try:
            rows = self._db.execute(f"SELECT {ISSUE_COLUMNS}, stale FROM issue{where} "
                                    "ORDER BY batch_id, number, vin", params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return [Issue(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10], r[11],
                      r[12], bool(r[13])) for r in rows]

    def batches(self) -> list[tuple[str, int, str, str]]:
        """(batch_id, plaque count, first issued_at, last issued_at), oldest batch first."""
        try:
            rows = self._db.execute(
                "SELECT batch_id, count(*), min(issued_at), max(issued_at) FROM issue "
                "GROUP BY batch_id ORDER BY min(issued_at), batch_id").fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return [(b, n, first, last) for b, n, first, last in rows]

    def set_approval(self, vin: str, batch_id: str, state: str | None, by: str | None,
                     at: str | None, changes: str | None) -> None:
        """Store the owner's answer to the proof of (vin, batch_id); None clears a field."""
        if at is not None:
            at = utc_seconds(at, "approved_at")
        with self._write("no approval recorded"):
            cur = self._db.execute(
                "UPDATE issue SET approval_state = ?, approved_by = ?, approved_at = ?, "
                "approval_changes = ? WHERE vin = ? AND batch_id = ?",
                (state, by, at, changes, vin, batch_id))
            if cur.rowcount != 1:
                raise LedgerError(f"VIN {vin} was not issued in batch {batch_id}; "
                                  "no approval recorded")

    # ------------------------------------------------------- batch and register

    def _put_batch(self, b: BatchInfo) -> None:
        """The batch row of ``b`` (its register's details are the register pin's)."""
        self._db.execute(
            "INSERT INTO batch (batch_id, orders_path, orders_sha256, created_at, updated_at, "
            "register_sha256, template_sha256, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (batch_id) DO UPDATE SET orders_path = excluded.orders_path, "
            "orders_sha256 = excluded.orders_sha256, updated_at = excluded.updated_at, "
            "register_sha256 = excluded.register_sha256, "
            "template_sha256 = excluded.template_sha256, complete = excluded.complete",
            (b.batch_id, b.orders_path, b.orders_sha256, b.created_at, b.updated_at,
             b.register_sha256, b.template_sha256, 1))  # complete: always 1 (a made batch)

    def batch_record(self, batch_id: str) -> BatchInfo | None:
        """Where batch ``batch_id`` came from, or None for a batch this ledger does not know.
        The register's details come from the register pin while it pins the batch's register
        (else they are None)."""
        try:
            r = self._db.execute(
                "SELECT b.batch_id, b.orders_path, b.orders_sha256, b.created_at, b.updated_at, "
                "b.register_sha256, b.template_sha256, p.total, p.demo, p.source FROM batch AS b "
                "LEFT JOIN register_pin AS p ON p.sha256 = b.register_sha256 "
                "WHERE b.batch_id = ?", (batch_id,)).fetchone()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return None if r is None else BatchInfo(*r[:8], None if r[8] is None else bool(r[8]), r[9])

    def _pin(self, pin: RegisterPin) -> None:
        current = self.register_pin()
        if current is None:
            self._db.execute("INSERT INTO register_pin (id, sha256, total, demo, source, pinned_at) "
                             "VALUES (1, ?, ?, ?, ?, ?)",
                             (pin.sha256, pin.total, int(pin.demo), pin.source, pin.pinned_at))

    def register_pin(self) -> RegisterPin | None:
        """The register this ledger's numbers come from; None before the first batch."""
        r = self._db.execute("SELECT sha256, total, demo, source, pinned_at FROM register_pin "
                             "WHERE id = 1").fetchone()
        return None if r is None else RegisterPin(r[0], r[1], bool(r[2]), r[3], r[4])

    def adopt_register(self, pin: RegisterPin, renumbered: Sequence[tuple[Issue, int, int]]) -> None:
        """Adopt a corrected register: the new pin, and each (issue, new number, new total)
        marked to be made again, with a 'renumbered' event. One transaction."""
        with self._write("the register was not adopted"):
            self._db.execute("DELETE FROM register_pin")
            self._pin(pin)
            now = utc_now()
            for issue, number, total in renumbered:
                self._db.execute("UPDATE issue SET stale = 1 WHERE vin = ? AND batch_id = ?",
                                 (issue.vin, issue.batch_id))
                self._insert_events([Event(
                    now, issue.vin, issue.batch_id, "renumbered", issue.svg_sha256, number,
                    detail=f"register {pin.sha256[:12]} adopted: No. {issue.number} of "
                           f"{issue.total} becomes No. {number} of {total}; make the plaque again")])

    def restore(self, issues: Sequence[Issue], events: Sequence[Event],
                batch: BatchInfo | None, pin: RegisterPin | None) -> None:
        """Put back a batch from its folder (a ledger rebuild): rows and history as they were,
        no new events; approval states settled from the answers."""
        rows = [issue_row(i) for i in issues]
        with self._write("nothing was restored"):
            if pin is not None:
                self._pin(pin)
            if batch is not None:
                self._put_batch(batch)
            self._db.executemany(UPSERT_ISSUE, rows)
            self._insert_events(events)
            for vin in sorted({i.vin for i in issues}):
                self._settle(vin, issues[0].batch_id)

    @contextmanager
    def _write(self, nothing_done: str):
        """One BEGIN IMMEDIATE transaction: committed on success, rolled back on any error."""
        try:
            with immediate(self._db):
                yield
        except sqlite3.Error as exc:
            if self.readonly:
                raise LedgerError(f"ledger {self.path} was opened read-only; {nothing_done}") from exc
            raise LedgerError(f"cannot write to ledger {self.path}: {exc}; {nothing_done}") from exc
        self.backup_after_commit()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            wal = self.path.with_name(self.path.name + "-wal")
            if self._made and (not wal.exists() or wal.stat().st_size == 0):
                for extra in self._made:
                    try:
                        extra.unlink()
                    except OSError:
                        pass

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r}{'' if self._conn else ', closed'})"


def open_ledger(path: str | os.PathLike, *, create: bool = False, readonly: bool = False) -> Ledger:
    """THE way a command opens a ledger. A missing file is created only with ``create`` (the
    caller has checked that nothing is forgotten: record.season.require_ledger); otherwise
    LedgerError, naming a good backup when one is left. Anything that is not a healthy ledger
    of a known schema is refused (LedgerDamaged). ``readonly``: see :class:`Ledger`."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        if not create or readonly:
            backups = good_backups(path)
            how = (f"; its newest good backup is {backups[0][0]}: restore it with "
                   f"'{restore_command(path)}'" if backups else "; no batch has been made with it")
            raise LedgerError(f"ledger {path} does not exist{how}")
    return Ledger(path, readonly=readonly)


def _create(path: Path) -> None:
    """A new ledger, made whole under a temporary name and linked in: no other process ever
    sees a half-made (or empty) ledger, and of two creating at once one wins."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise LedgerError(f"cannot open ledger {path}: it is a folder, not a file")
    except OSError as exc:
        raise LedgerError(f"cannot open ledger {path}: {_os_reason(exc)}") from exc
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{id(path):x}.tmp")
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            check_or_create(conn, tmp)
        finally:
            conn.close()
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: open theirs
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot create ledger {path}: {exc}{_hint(path)}") from exc
    except OSError as exc:
        raise LedgerError(f"cannot create ledger {path}: {_os_reason(exc)}{_hint(path)}") from exc
    finally:
        for extra in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            try:
                extra.unlink()
            except OSError:
                pass


def _migrated_copy(conn: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """A read-only ledger as it is (schema 2), or a schema 1 one migrated in memory."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return conn
    mem = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.backup(mem)
    finally:
        conn.close()
    check_or_create(mem, path)
    return mem


def _os_reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def _hint(path: Path) -> str:
    """Why SQLite may have said "unable to open database file"."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f" (the folder {path.parent} is not writable)"
    if path.exists() and not os.access(path, os.W_OK):
        return " (the file is read-only)"
    return ""


