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
"""
from __future__ import annotations

import os
import re
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

__all__ = ["LedgerError", "Issue", "Conflict", "Ledger", "utc_now"]

APPLICATION_ID = 0x504C5147  # "PLQG"
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")  # ISO 3779: no I, O, Q
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_SCHEMA = """
CREATE TABLE issue (
    id               INTEGER PRIMARY KEY,
    vin              TEXT    NOT NULL,
    number           INTEGER NOT NULL CHECK (number >= 1),
    batch_id         TEXT    NOT NULL CHECK (batch_id <> ''),
    order_id         TEXT    NOT NULL,
    svg_sha256       TEXT    NOT NULL,
    proof_sha256     TEXT    NOT NULL,
    issued_at        TEXT    NOT NULL,
    reprint          INTEGER NOT NULL CHECK (reprint IN (0, 1)),
    approval_state   TEXT,
    approved_by      TEXT,
    approved_at      TEXT,
    approval_changes TEXT,
    UNIQUE (vin, batch_id)
);
CREATE INDEX issue_batch_number ON issue (batch_id, number);
"""

_COLUMNS = ("vin, number, batch_id, order_id, svg_sha256, proof_sha256, issued_at, reprint, "
            "approval_state, approved_by, approved_at, approval_changes")

# Insert, or update the existing (vin, batch_id) row in place.  The original
# issued_at is kept.  An owner's approval stays valid only while the engraved
# artwork (svg_sha256) and the number are unchanged.  The WHERE clause skips
# no-op updates, so total_changes counts only rows that really changed.
_UPSERT = f"""
INSERT INTO issue ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vin, batch_id) DO UPDATE SET
    number = excluded.number,
    order_id = excluded.order_id,
    svg_sha256 = excluded.svg_sha256,
    proof_sha256 = excluded.proof_sha256,
    reprint = excluded.reprint,
    approval_state = CASE WHEN {{same_art}} THEN issue.approval_state END,
    approved_by = CASE WHEN {{same_art}} THEN issue.approved_by END,
    approved_at = CASE WHEN {{same_art}} THEN issue.approved_at END,
    approval_changes = CASE WHEN {{same_art}} THEN issue.approval_changes END
WHERE issue.number IS NOT excluded.number
   OR issue.order_id IS NOT excluded.order_id
   OR issue.svg_sha256 IS NOT excluded.svg_sha256
   OR issue.proof_sha256 IS NOT excluded.proof_sha256
   OR issue.reprint IS NOT excluded.reprint
""".replace("{same_art}", "issue.svg_sha256 = excluded.svg_sha256 AND issue.number = excluded.number")


class LedgerError(Exception):
    """The ledger cannot be opened or written; the message is one sentence for a person."""


def utc_now() -> str:
    """The current time as ISO 8601 UTC with seconds, e.g. ``2025-09-14T10:22:03Z``."""
    return datetime.now(timezone.utc).strftime(_TIME_FORMAT)


@dataclass(frozen=True)
class Issue:
    """One recorded plaque: a VIN made in a batch.

    issued_at: ISO 8601 UTC with seconds (``2025-09-14T10:22:03Z``).
    reprint: made with ``--reprint`` although issued in an earlier batch.
    approval_*: the owner's answer to the proof (None until one arrives);
    set with :meth:`Ledger.set_approval`, not through :meth:`Ledger.record`.
    """

    vin: str
    number: int
    batch_id: str
    order_id: str
    svg_sha256: str
    proof_sha256: str
    issued_at: str
    reprint: bool
    approval_state: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    approval_changes: str | None = None


@dataclass(frozen=True)
class Conflict:
    """A VIN already issued in another batch (its latest issue there)."""

    vin: str
    batch_id: str
    issued_at: str
    number: int

    @property
    def reason(self) -> str:
        return (f"already issued in batch {self.batch_id} on {self.issued_at[:10]} "
                f"(No. {self.number:04d}); use --reprint to make it again")


class Ledger:
    """An open ledger file.  Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open()

    # ---------------------------------------------------------------- opening

    def _open(self) -> sqlite3.Connection:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                raise LedgerError(f"cannot open ledger {path}: it is a folder, not a file")
            if path.exists():
                with open(path, "rb") as fh:
                    head = fh.read(len(_SQLITE_MAGIC))
                if head and head != _SQLITE_MAGIC:
                    raise LedgerError(
                        f"ledger {path} is not a plaquegen ledger (not an SQLite database)")
        except OSError as exc:
            raise LedgerError(f"cannot open ledger {path}: {_os_reason(exc)}") from exc
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open ledger {path}: {exc}{_hint(path)}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._check_or_create(conn)
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted "
                         "(vin TEXT PRIMARY KEY, batch_id TEXT, number INTEGER) WITHOUT ROWID")
        except LedgerError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc):
                raise LedgerError(f"ledger {path} is not a plaquegen ledger ({exc})") from exc
            if "malformed" in str(exc):
                raise LedgerError(f"ledger {path} is damaged ({exc})") from exc
            raise LedgerError(f"cannot open ledger {path}: {exc}{_hint(path)}") from exc
        return conn

    def _check_or_create(self, conn: sqlite3.Connection) -> None:
        if self._is_current(conn):
            return
        # New (or empty) file, or another process is creating it right now:
        # WAL first (not allowed inside a transaction), then the schema under
        # the write lock, checking again once we hold it.
        mode = self._set_wal(conn)
        if str(mode).lower() != "wal":
            raise LedgerError(f"cannot open ledger {self.path}: WAL mode is not available ({mode})")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not self._is_current(conn):
                has_tables = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
                if has_tables:
                    raise LedgerError(f"ledger {self.path} is not a plaquegen ledger "
                                      "(it is an SQLite database with other tables)")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> str:
        """Switch to WAL.  The switch needs an exclusive lock and SQLite does not
        always wait for it through the busy handler, so retry up to the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        delay = 0.005
        while True:
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _is_current(self, conn: sqlite3.Connection) -> bool:
        """True for our ledger at our schema version; False for an empty database;
        LedgerError for anything else."""
        # one statement, so both values come from the same snapshot even while
        # another process is creating the ledger
        app_id, version = conn.execute(
            "SELECT a.application_id, v.user_version "
            "FROM pragma_application_id() AS a, pragma_user_version() AS v").fetchone()
        if app_id == 0 and version == 0:
            return False
        if app_id != APPLICATION_ID:
            raise LedgerError(f"ledger {self.path} is not a plaquegen ledger "
                              f"(application id {app_id:#x})")
        if version > SCHEMA_VERSION:
            raise LedgerError(f"ledger {self.path} was written by a newer plaquegen "
                              f"(schema {version}, this version reads up to {SCHEMA_VERSION})")
        if version < SCHEMA_VERSION:  # pragma: no cover - no older schema exists yet
            raise LedgerError(f"ledger {self.path} has an unknown old schema {version}")
        return True

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
                    "SELECT i.vin, i.batch_id, i.issued_at, i.number FROM issue AS i "
                    "JOIN temp.wanted AS w ON w.vin = i.vin "
                    "WHERE i.batch_id <> ? AND NOT EXISTS "  # a batch keeps the cars it holds
                    "(SELECT 1 FROM issue AS j WHERE j.vin = i.vin AND j.batch_id = ?) "
                    "ORDER BY i.vin, i.issued_at, i.id",
                    (batch_id, batch_id)).fetchall()
                db.execute("DELETE FROM temp.wanted")
            finally:
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        result: dict[str, Conflict] = {}
        for vin, batch, issued_at, number in rows:  # ordered oldest first: last one wins
            result[vin] = Conflict(vin=vin, batch_id=batch, issued_at=issued_at, number=number)
        return result

    def record(self, issues: Iterable[Issue], replace_batch: str | None = None) -> int:
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
            row = _issue_row(issue)
            key = (row[0], row[2])
            if key in seen:
                raise LedgerError(f"VIN {key[0]} appears twice for batch {key[1]} "
                                  "in one recording; nothing was recorded")
            seen.add(key)
            rows.append(row)
        if not rows and replace_batch is None:
            return 0
        written = 0
        with self._write("nothing was recorded"):
            self._refuse_issued_meanwhile([i for i in rows if not i[7]], rows)
            if replace_batch is not None:
                db.execute("DELETE FROM temp.wanted")
                db.executemany("INSERT INTO temp.wanted (vin) VALUES (?)",
                               [(r[0],) for r in rows if r[2] == replace_batch])
                written += db.execute("DELETE FROM issue WHERE batch_id = ? AND vin NOT IN "
                                      "(SELECT vin FROM temp.wanted)", (replace_batch,)).rowcount
                db.execute("DELETE FROM temp.wanted")
            before = db.total_changes
            db.executemany(_UPSERT, rows)
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
                "JOIN temp.wanted AS w ON (w.vin = i.vin AND w.number <> i.number) "
                "OR (w.number = i.number AND w.vin <> i.vin) ORDER BY w.vin LIMIT 1").fetchone()
            if moved:
                vin, number, other_vin, other_number, batch = moved
                raise LedgerError(f"car {vin} would be No. {number}, but batch {batch} issued "
                                  f"No. {other_number} to {other_vin}: the production register "
                                  "has changed since; nothing was recorded")
        finally:
            db.execute("DELETE FROM temp.wanted")

    def issues(self, batch_id: str | None = None, vin: str | None = None) -> list[Issue]:
        """Recorded plaques, optionally of one batch and/or one VIN, by batch then number."""
        where, params = [], []
        if batch_id is not None:
            where.append("batch_id = ?")
            params.append(batch_id)
        if vin is not None:
            where.append("vin = ?")
            params.append(vin)
        sql = f"SELECT {_COLUMNS} FROM issue"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY batch_id, number, vin"
        try:
            rows = self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return [Issue(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], r[10], r[11])
                for r in rows]

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
            at = _utc_seconds(at, "approved_at")
        with self._write("no approval recorded"):
            cur = self._db.execute(
                "UPDATE issue SET approval_state = ?, approved_by = ?, approved_at = ?, "
                "approval_changes = ? WHERE vin = ? AND batch_id = ?",
                (state, by, at, changes, vin, batch_id))
            if cur.rowcount != 1:
                raise LedgerError(f"VIN {vin} was not issued in batch {batch_id}; "
                                  "no approval recorded")

    @contextmanager
    def _write(self, nothing_done: str):
        """One BEGIN IMMEDIATE transaction: committed on success, rolled back on any error."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write to ledger {self.path}: {exc}; {nothing_done}") from exc

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r}{'' if self._conn else ', closed'})"


# --------------------------------------------------------------------- helpers

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


def _utc_seconds(value: str, what: str) -> str:
    """Canonical ``YYYY-MM-DDTHH:MM:SSZ`` for an ISO 8601 UTC time, else LedgerError."""
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise LedgerError(f"{what} {value!r} is not an ISO 8601 time") from None
    if dt.utcoffset() is None or dt.utcoffset().total_seconds() != 0:
        raise LedgerError(f"{what} {value!r} is not in UTC (expected e.g. 2025-09-14T10:22:03Z)")
    return dt.strftime(_TIME_FORMAT)


def _issue_row(issue: Issue) -> tuple:
    if not isinstance(issue, Issue):
        raise LedgerError(f"cannot record {type(issue).__name__} {issue!r}: not an Issue")
    if not isinstance(issue.vin, str) or not _VIN.fullmatch(issue.vin):
        raise LedgerError(f"cannot record VIN {issue.vin!r}: the ledger takes full "
                          "17-character VINs in upper case")
    if not isinstance(issue.batch_id, str) or not issue.batch_id:
        raise LedgerError(f"cannot record VIN {issue.vin}: empty batch id")
    if isinstance(issue.number, bool) or not isinstance(issue.number, int) or issue.number < 1:
        raise LedgerError(f"cannot record VIN {issue.vin}: number {issue.number!r} "
                          "is not a positive whole number")
    for name in ("order_id", "svg_sha256", "proof_sha256"):
        if not isinstance(getattr(issue, name), str):
            raise LedgerError(f"cannot record VIN {issue.vin}: {name} must be text")
    return (issue.vin, issue.number, issue.batch_id, issue.order_id, issue.svg_sha256,
            issue.proof_sha256, _utc_seconds(issue.issued_at, "issued_at"), int(bool(issue.reprint)),
            issue.approval_state, issue.approved_by,
            None if issue.approved_at is None else _utc_seconds(issue.approved_at, "approved_at"),
            issue.approval_changes)
