"""The ledger file's format: its identity, the schema (tables, indexes, the triggers that keep
the history append-only), the migration from schema 1, and the one write transaction.

Contract: a ledger is an SQLite database in WAL mode whose ``PRAGMA application_id`` is
APPLICATION_ID ("PLQG") and whose ``PRAGMA user_version`` is SCHEMA_VERSION.
:func:`check_or_create` makes an opened connection a current ledger (creating the schema in a
new or empty file, migrating schema 1 in one transaction) or raises LedgerError; it never
touches another application's database. ISSUE_COLUMNS/EVENT_COLUMNS are the column orders
rows.issue_row and rows.Event.as_row write; UPSERT_ISSUE records a plaque idempotently.
:func:`immediate` is one BEGIN IMMEDIATE transaction.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from .rows import LedgerError

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "BUSY_TIMEOUT_S", "ISSUE_COLUMNS", "EVENT_COLUMNS",
           "UPSERT_ISSUE", "check_or_create", "immediate"]

APPLICATION_ID = 0x504C5147  # "PLQG"
SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 30.0

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

EVENT_COLUMNS = ("at, vin, batch_id, kind, svg_sha256, number, decision, owner_at, name, "
                 "owner_date, changes, source, source_sha256, detail")

ISSUE_COLUMNS = ("vin, number, batch_id, order_id, svg_sha256, proof_sha256, issued_at, reprint, "
                 "approval_state, approved_by, approved_at, approval_changes, total")

# Insert, or update the existing (vin, batch_id) row in place.  The original
# issued_at is kept.  An owner's approval stays valid only while the engraved
# artwork (svg_sha256) and the number are unchanged.  The WHERE clause skips
# no-op updates, so total_changes counts only rows that really changed.
UPSERT_ISSUE = f"""
INSERT INTO issue ({ISSUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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


def check_or_create(conn: sqlite3.Connection, path: Path) -> None:
    """Make ``conn`` a current ledger: check it, migrate it from schema 1, or create the schema
    in a new (or empty) file; LedgerError for any other file. ``path``: for the messages."""
    if _is_current(conn, path):
        return
    # New (or empty) file, or another process is creating it right now:
    # WAL first (not allowed inside a transaction), then the schema under
    # the write lock, checking again once we hold it.
    mode = _set_wal(conn)
    if str(mode).lower() != "wal":
        raise LedgerError(f"cannot open ledger {path}: WAL mode is not available ({mode})")
    with immediate(conn):
        if not _is_current(conn, path):
            has_tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()[0]
            if has_tables:
                raise LedgerError(f"ledger {path} is not a plaquegen ledger "
                                  "(it is an SQLite database with other tables)")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


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


def _is_current(conn: sqlite3.Connection, path: Path) -> bool:
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
        raise LedgerError(f"ledger {path} is not a plaquegen ledger "
                          f"(application id {app_id:#x})")
    if version > SCHEMA_VERSION:
        raise LedgerError(f"ledger {path} was written by a newer plaquegen "
                          f"(schema {version}, this version reads up to {SCHEMA_VERSION})")
    if version == 1:
        _migrate_v1(conn)
    elif version < SCHEMA_VERSION:
        raise LedgerError(f"ledger {path} has an unknown old schema {version}")
    return True


def _migrate_v1(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2 in one transaction: new tables; every plaque gets its 'issued' event."""
    with immediate(conn):
        if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
            for statement in _V2:
                conn.execute(statement)
            conn.execute(f"INSERT INTO event ({EVENT_COLUMNS}) SELECT issued_at, vin, batch_id, "
                         "'issued', svg_sha256, number, NULL, NULL, NULL, NULL, NULL, NULL, "
                         "NULL, 'migrated from schema 1' FROM issue ORDER BY id")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@contextmanager
def immediate(conn: sqlite3.Connection):
    """One BEGIN IMMEDIATE transaction: committed on success, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

