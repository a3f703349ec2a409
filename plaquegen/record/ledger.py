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
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import Iterable, Sequence

from ..core.clock import TIME_FORMAT as _TIME_FORMAT, utc_now
from ..core.errors import PlaquegenError
from ..core.records import pad_number

__all__ = ["LedgerError", "Issue", "Conflict", "Ledger", "BatchRecord", "RegisterPin", "Event",
           "utc_now", "EVENT_KINDS"]

APPLICATION_ID = 0x504C5147  # "PLQG"
SCHEMA_VERSION = 2
BACKUPS_KEPT = 5
BUSY_TIMEOUT_S = 30.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")  # ISO 3779: no I, O, Q

_ISSUE_TABLE = """
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
)"""
# Schema 2: batch identity, the register pin, the append-only history.
_V2 = (
    "ALTER TABLE issue ADD COLUMN total INTEGER NOT NULL DEFAULT 0",
    # a plaque whose number a corrected register changed: to be made again
    "ALTER TABLE issue ADD COLUMN stale INTEGER NOT NULL DEFAULT 0",
    """CREATE TABLE batch (
    batch_id         TEXT PRIMARY KEY,
    orders_path      TEXT NOT NULL,
    orders_sha256    TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    register_sha256  TEXT NOT NULL,
    template_sha256  TEXT NOT NULL,
    complete         INTEGER NOT NULL CHECK (complete IN (0, 1)))""",
    """CREATE TABLE register_pin (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    sha256   TEXT NOT NULL,
    total    INTEGER NOT NULL,
    demo     INTEGER NOT NULL,
    source   TEXT NOT NULL,
    pinned_at TEXT NOT NULL)""",
    """CREATE TABLE event (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    vin           TEXT NOT NULL,
    batch_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    svg_sha256    TEXT NOT NULL DEFAULT '',
    number        INTEGER,
    decision      TEXT,
    owner_at      TEXT,
    name          TEXT,
    owner_date    TEXT,
    changes       TEXT,
    source        TEXT,
    source_sha256 TEXT,
    detail        TEXT)""",
    "CREATE INDEX event_vin ON event (vin, id)",
    "CREATE INDEX event_batch ON event (batch_id, id)",
    "CREATE TRIGGER event_append_only_u BEFORE UPDATE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
    "CREATE TRIGGER event_append_only_d BEFORE DELETE ON event "
    "BEGIN SELECT RAISE(ABORT, 'the history is append-only'); END",
)
_SCHEMA = (_ISSUE_TABLE, "CREATE INDEX issue_batch_number ON issue (batch_id, number)", *_V2)

# What the history holds. issued/remade/withdrawn: a batch run made, changed or dropped the
# plaque; answer: an owner's answer (decision approved|changes requested); released/unreleased:
# in or out of released/; sent/reminded: a proof mailed; reprint: made again for a car issued
# before; renumbered: a corrected register was adopted that changes this plaque's number.
EVENT_KINDS = ("issued", "remade", "withdrawn", "answer", "released", "unreleased", "sent",
               "reminded", "reprint", "renumbered")
_EVENT_COLUMNS = ("at, vin, batch_id, kind, svg_sha256, number, decision, owner_at, name, "
                  "owner_date, changes, source, source_sha256, detail")

_COLUMNS = ("vin, number, batch_id, order_id, svg_sha256, proof_sha256, issued_at, reprint, "
            "approval_state, approved_by, approved_at, approval_changes, total")

# Insert, or update the existing (vin, batch_id) row in place.  The original
# issued_at is kept.  An owner's approval stays valid only while the engraved
# artwork (svg_sha256) and the number are unchanged.  The WHERE clause skips
# no-op updates, so total_changes counts only rows that really changed.
_UPSERT = f"""
INSERT INTO issue ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (vin, batch_id) DO UPDATE SET
    number = excluded.number,
    total = excluded.total,
    stale = 0,
    order_id = excluded.order_id,
    svg_sha256 = excluded.svg_sha256,
    proof_sha256 = excluded.proof_sha256,
    reprint = excluded.reprint,
    approval_state = CASE WHEN {{same_art}} THEN issue.approval_state END,
    approved_by = CASE WHEN {{same_art}} THEN issue.approved_by END,
    approved_at = CASE WHEN {{same_art}} THEN issue.approved_at END,
    approval_changes = CASE WHEN {{same_art}} THEN issue.approval_changes END
WHERE issue.number IS NOT excluded.number
   OR issue.total IS NOT excluded.total
   OR issue.stale <> 0
   OR issue.order_id IS NOT excluded.order_id
   OR issue.svg_sha256 IS NOT excluded.svg_sha256
   OR issue.proof_sha256 IS NOT excluded.proof_sha256
   OR issue.reprint IS NOT excluded.reprint
""".replace("{same_art}", "issue.svg_sha256 = excluded.svg_sha256 AND issue.number = excluded.number "
            "AND issue.total = excluded.total")


class LedgerError(PlaquegenError):
    """The ledger cannot be opened or written; the message is one sentence for a person."""


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
    total: int = 0
    stale: bool = False


@dataclass(frozen=True)
class BatchRecord:
    """Where a batch came from: its order file (as given, resolved, and its sha256), when it was
    first made and last changed, and the identity of the register and template it was made with."""

    batch_id: str
    orders_path: str
    orders_sha256: str
    created_at: str
    updated_at: str
    register_sha256: str
    template_sha256: str
    complete: bool = True


@dataclass(frozen=True)
class RegisterPin:
    """The production register the ledger's numbers come from (set by the first batch)."""

    sha256: str
    total: int
    demo: bool
    source: str
    pinned_at: str


@dataclass(frozen=True)
class Event:
    """One entry of the append-only history (see EVENT_KINDS).

    at: when plaquegen recorded it; owner_at: when the owner made the answer (PDF modification
    date, or the mail's Date), None if unknown; name/owner_date: what the owner wrote in the form;
    source/source_sha256: the returned file (or "by hand: ..."); detail: free text (Message-ID...).
    """

    at: str
    vin: str
    batch_id: str
    kind: str
    svg_sha256: str = ""
    number: int | None = None
    decision: str | None = None
    owner_at: str | None = None
    name: str | None = None
    owner_date: str | None = None
    changes: str | None = None
    source: str | None = None
    source_sha256: str | None = None
    detail: str | None = None

    def as_row(self) -> tuple:
        return (self.at, self.vin, self.batch_id, self.kind, self.svg_sha256, self.number,
                self.decision, self.owner_at, self.name, self.owner_date, self.changes,
                self.source, self.source_sha256, self.detail)

    @property
    def when(self) -> str:
        """The time that orders answers: the owner's own time, else when it was read; never
        later than when it was read (a claimed future date cannot outrank later answers)."""
        return min(self.owner_at or self.at, self.at)


@dataclass(frozen=True)
class Conflict:
    """A VIN already issued in another batch (its latest issue there)."""

    vin: str
    batch_id: str
    issued_at: str
    number: int
    total: int = 0
    released_at: str = ""  # released to the shop there, then withdrawn from that batch's orders

    @property
    def reason(self) -> str:
        no = pad_number(self.number, self.total) if self.total else str(self.number)
        if self.released_at:
            return (f"released to the shop in batch {self.batch_id} on {self.released_at[:10]} "
                    f"(No. {no}) and withdrawn from it since: its plaque may already be engraved; "
                    "use --reprint to make it again")
        return (f"already issued in batch {self.batch_id} on {self.issued_at[:10]} "
                f"(No. {no}); use --reprint to make it again")


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
        with _immediate(conn):
            if not self._is_current(conn):
                has_tables = conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
                if has_tables:
                    raise LedgerError(f"ledger {self.path} is not a plaquegen ledger "
                                      "(it is an SQLite database with other tables)")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
        if version == 1:
            self._migrate_v1(conn)
        elif version < SCHEMA_VERSION:
            raise LedgerError(f"ledger {self.path} has an unknown old schema {version}")
        return True

    def _migrate_v1(self, conn: sqlite3.Connection) -> None:
        """Schema 1 -> 2 in one transaction: new tables; every plaque gets its 'issued' event."""
        with _immediate(conn):
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
                for statement in _V2:
                    conn.execute(statement)
                conn.execute(f"INSERT INTO event ({_EVENT_COLUMNS}) SELECT issued_at, vin, batch_id, "
                             "'issued', svg_sha256, number, NULL, NULL, NULL, NULL, NULL, NULL, "
                             "NULL, 'migrated from schema 1' FROM issue ORDER BY id")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
               batch: BatchRecord | None = None, pin: RegisterPin | None = None) -> int:
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
            db.executemany(_UPSERT, rows)
            written += db.total_changes - before
        return written

    def _history_of_record(self, rows: list[tuple], replace_batch: str | None) -> None:
        """Events for what a recording changes: issued, remade, reprint, withdrawn."""
        db = self._db
        batches = {r[2] for r in rows} | ({replace_batch} if replace_batch else set())
        old: dict[tuple[str, str], tuple] = {}
        for b in batches:
            for vin, number, svg, total, stale in db.execute(
                    "SELECT vin, number, svg_sha256, total, stale FROM issue WHERE batch_id = ?",
                    (b,)):
                old[(vin, b)] = (number, svg, total, stale)
        now = utc_now()
        events: list[Event] = []
        for r in rows:
            vin, number, batch_id, svg, reprint, total = r[0], r[1], r[2], r[4], r[7], r[12]
            before = old.get((vin, batch_id))
            if before is None:
                events.append(Event(now, vin, batch_id, "reprint" if reprint else "issued", svg,
                                    number))
            elif before[:3] != (number, svg, total) or before[3]:
                why = "number" if before[0] != number or before[2] != total else "artwork"
                events.append(Event(now, vin, batch_id, "remade", svg, number,
                                    detail=f"{why} changed (was No. {before[0]} of {before[2]})"))
        if replace_batch is not None:
            keep = {r[0] for r in rows if r[2] == replace_batch}
            for (vin, b), before in sorted(old.items()):
                if b == replace_batch and vin not in keep:
                    events.append(Event(now, vin, b, "withdrawn", before[1], before[0],
                                        detail="no longer in the batch's order file"))
        self._insert_events(events)

    def _insert_events(self, events: Sequence[Event]) -> None:
        for e in events:
            if e.kind not in EVENT_KINDS:
                raise LedgerError(f"unknown history event {e.kind!r}")
        self._db.executemany(f"INSERT INTO event ({_EVENT_COLUMNS}) VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [e.as_row() for e in events])

    def add_events(self, events: Sequence[Event]) -> None:
        """Append events to the history in one transaction (sends, releases, ...)."""
        if events:
            with self._write("nothing was recorded"):
                self._insert_events(events)

    def events(self, vin: str | None = None, batch_id: str | None = None) -> list[Event]:
        """The history, oldest first, optionally of one car and/or one batch."""
        where, params = _where(vin=vin, batch_id=batch_id)
        try:
            rows = self._db.execute(f"SELECT {_EVENT_COLUMNS} FROM event{where} ORDER BY id",
                                    params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return [Event(*r) for r in rows]

    # ------------------------------------------------------- batch and register

    def _put_batch(self, b: BatchRecord) -> None:
        self._db.execute(
            "INSERT INTO batch (batch_id, orders_path, orders_sha256, created_at, updated_at, "
            "register_sha256, template_sha256, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (batch_id) DO UPDATE SET orders_path = excluded.orders_path, "
            "orders_sha256 = excluded.orders_sha256, updated_at = excluded.updated_at, "
            "register_sha256 = excluded.register_sha256, "
            "template_sha256 = excluded.template_sha256, complete = excluded.complete",
            (b.batch_id, b.orders_path, b.orders_sha256, b.created_at, b.updated_at,
             b.register_sha256, b.template_sha256, int(b.complete)))

    def batch_record(self, batch_id: str) -> BatchRecord | None:
        """Where batch ``batch_id`` came from, or None for a batch this ledger does not know."""
        try:
            r = self._db.execute(
                "SELECT batch_id, orders_path, orders_sha256, created_at, updated_at, "
                "register_sha256, template_sha256, complete FROM batch WHERE batch_id = ?",
                (batch_id,)).fetchone()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return None if r is None else BatchRecord(*r[:7], bool(r[7]))

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
                batch: BatchRecord | None, pin: RegisterPin | None) -> None:
        """Put back a batch from its folder (a ledger rebuild): rows and history as they were,
        no new events; approval states settled from the answers."""
        rows = [_issue_row(i) for i in issues]
        with self._write("nothing was restored"):
            if pin is not None:
                self._pin(pin)
            if batch is not None:
                self._put_batch(batch)
            self._db.executemany(_UPSERT, rows)
            self._insert_events(events)
            for vin in sorted({i.vin for i in issues}):
                self._settle(vin, issues[0].batch_id)

    # ------------------------------------------------------------------ answers

    def record_answers(self, batch_id: str, answers: Sequence[Event]) -> list[str]:
        """Append owners' answers (kind 'answer') and set each plaque's state to its newest
        answer for its current artwork (by the owner's time, then by when it was read).
        Returns the VINs whose state was set."""
        vins = sorted({a.vin for a in answers})
        with self._write("no answer recorded"):
            for a in answers:
                if a.kind != "answer" or a.batch_id != batch_id:
                    raise LedgerError(f"not an answer of batch {batch_id}: {a.kind} {a.vin}")
                if self._db.execute("SELECT 1 FROM issue WHERE vin = ? AND batch_id = ?",
                                    (a.vin, batch_id)).fetchone() is None:
                    raise LedgerError(f"VIN {a.vin} was not issued in batch {batch_id}; "
                                      "no answer recorded")
            self._insert_events(answers)
            for vin in vins:
                self._settle(vin, batch_id)
        return vins

    def _settle(self, vin: str, batch_id: str) -> None:
        """A plaque's approval state = its newest answer for the artwork it has now."""
        svg = self._db.execute("SELECT svg_sha256 FROM issue WHERE vin = ? AND batch_id = ?",
                               (vin, batch_id)).fetchone()[0]
        rows = self._db.execute(
            f"SELECT {_EVENT_COLUMNS} FROM event WHERE vin = ? AND batch_id = ? AND kind = 'answer' "
            "AND svg_sha256 = ? ORDER BY min(coalesce(owner_at, at), at), at, id",  # never later than received
            (vin, batch_id, svg)).fetchall()
        if not rows:
            return
        e = Event(*rows[-1])
        self._db.execute("UPDATE issue SET approval_state = ?, approved_by = ?, approved_at = ?, "
                         "approval_changes = ? WHERE vin = ? AND batch_id = ?",
                         (e.decision, e.name or None, e.when, e.changes or None, vin, batch_id))

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
        where, params = _where(batch_id=batch_id, vin=vin)
        try:
            rows = self._db.execute(f"SELECT {_COLUMNS}, stale FROM issue{where} "
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
        try:
            with _immediate(self._db):
                yield
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write to ledger {self.path}: {exc}; {nothing_done}") from exc
        self.backup()

    @property
    def backup_dir(self) -> Path:
        return self.path.parent / (self.path.name + ".backups")

    def backup(self) -> Path:
        """A consistent copy made with SQLite's backup API, rotated: ``<ledger>.backups/1.sqlite``
        is the newest of the last BACKUPS_KEPT."""
        folder = self.backup_dir
        try:
            folder.mkdir(exist_ok=True)
            for k in range(BACKUPS_KEPT - 1, 0, -1):
                older = folder / f"{k}.sqlite"
                if older.exists():
                    os.replace(older, folder / f"{k + 1}.sqlite")
            tmp = folder / ".new.sqlite.tmp"
            tmp.unlink(missing_ok=True)
            dst = sqlite3.connect(tmp)
            try:
                self._db.backup(dst)
            finally:
                dst.close()
            os.replace(tmp, folder / "1.sqlite")
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot write the ledger backup in {folder}: {exc}") from exc
        return folder / "1.sqlite"

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

@contextmanager
def _immediate(conn: sqlite3.Connection):
    """One BEGIN IMMEDIATE transaction: committed on success, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _where(**equal) -> tuple[str, list]:
    """' WHERE a = ? AND b = ?' and its parameters for the arguments that are not None."""
    given = {k: v for k, v in equal.items() if v is not None}
    if not given:
        return "", []
    return " WHERE " + " AND ".join(f"{k} = ?" for k in given), list(given.values())

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


@lru_cache(maxsize=256)  # a batch records thousands of rows with the same time
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
            issue.approval_changes, int(issue.total))
