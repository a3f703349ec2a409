"""Is a file a healthy ledger? The check every opening passes, the good backups, the restore.

Contract: :func:`inspect_ledger` opens a file read-only (never writes, never migrates) and says
what it is: a healthy ledger of a known schema (1 or 2: its ``version``), or why it is not one
(``problem``: empty, not an SQLite database, another application's database, written by a newer
plaquegen, tables missing, damaged per ``PRAGMA quick_check``). :func:`refuse_unhealthy` turns a
problem into LedgerDamaged, one sentence that names the newest good backup and the command
that restores it (``plaquegen ledger --restore``), or says that none is left.
:func:`good_backups` lists ``<ledger>.backups/N.sqlite`` that pass the same check, newest
first. :func:`restore_backup` copies one back (SQLite's backup API, checked, renamed in) and
keeps the file it replaces aside as ``<ledger>.damaged-<time>``; it never replaces a healthy
ledger unless told to. The caller holds :func:`plaquegen.record.lock.ledger_lock` to restore.
"""
from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..core.clock import utc_now
from .rows import LedgerError
from .schema import APPLICATION_ID, SCHEMA_VERSION

__all__ = ["LedgerDamaged", "Inspection", "inspect_ledger", "good_backups", "refuse_unhealthy",
           "restore_command", "restore_backup", "connect_readonly", "backup_dir", "BACKUP_NAMES"]

SQLITE_MAGIC = b"SQLite format 3\x00"
BACKUP_NAMES = tuple(f"{k}.sqlite" for k in range(1, 6))  # newest first
_TABLES = {1: {"issue"}, 2: {"issue", "batch", "register_pin", "event"}}
_TRIGGERS = {1: set(), 2: {"event_append_only_u", "event_append_only_d"}}


class LedgerDamaged(LedgerError):
    """The file is not a healthy ledger; the message names the backup and the restore command."""


@dataclass(frozen=True)
class Inspection:
    """What a file is: ``version`` of a healthy ledger, else ``problem`` (a clause: "is empty")."""

    path: Path
    version: int | None = None
    problem: str | None = None
    plaques: int = 0
    batches: int = 0
    unreadable: bool = False  # the file could not be read (disk full, I/O, permissions): not damaged

    @property
    def healthy(self) -> bool:
        return self.problem is None


def backup_dir(ledger_path: str | os.PathLike) -> Path:
    p = Path(ledger_path)
    return p.parent / (p.name + ".backups")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``); on a read-only folder, where SQLite cannot make the
    WAL index, ``immutable=1`` (the file is read as it is on disk)."""
    uri = f"file:{quote(str(path.resolve()))}"
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if os.access(path.parent, os.W_OK) and "readonly" not in str(exc) \
                and "unable to open" not in str(exc):
            raise
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)


def inspect_ledger(path: str | os.PathLike) -> Inspection:
    """What ``path`` is (see the module docstring). Reads only; a missing file is a problem."""
    path = Path(path)
    try:
        if path.is_dir():
            return Inspection(path, problem="is a folder, not a file")
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(100)
    except FileNotFoundError:
        return Inspection(path, problem="does not exist")
    except OSError as exc:
        return Inspection(path, problem=f"cannot be read ({exc.strerror or exc})", unreadable=True)
    if size == 0:
        return Inspection(path, problem="is empty (0 bytes)")
    if not head.startswith(SQLITE_MAGIC):
        return Inspection(path, problem="is not a plaquegen ledger (not an SQLite database)")
    if len(head) < 100:
        return Inspection(path, problem=f"is damaged (cut short: {size} bytes)")
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):
            return Inspection(path, problem=f"cannot be opened ({exc}{_hint(path)})",
                              unreadable=True)
        return Inspection(path, problem=f"is damaged ({exc})")
    try:
        return _inspect(conn, path)
    except sqlite3.OperationalError as exc:
        return Inspection(path, problem=f"cannot be read ({exc}{_hint(path)})", unreadable=True)
    except sqlite3.DatabaseError as exc:
        return Inspection(path, problem=f"is damaged ({exc})")
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path) -> Inspection:
    app_id, version = conn.execute(
        "SELECT a.application_id, v.user_version "
        "FROM pragma_application_id() AS a, pragma_user_version() AS v").fetchone()
    if app_id != APPLICATION_ID:
        return Inspection(path, problem=f"is not a plaquegen ledger (an SQLite database of "
                                        f"another application, id {app_id:#x})")
    if version > SCHEMA_VERSION:
        return Inspection(path, problem=f"was written by a newer plaquegen (schema {version}, "
                                        f"this version reads up to {SCHEMA_VERSION})")
    if version not in _TABLES:
        return Inspection(path, problem=f"has an unknown schema {version}")
    found = {(t, n) for t, n in conn.execute("SELECT type, name FROM sqlite_master")}
    missing = sorted(({("table", n) for n in _TABLES[version]}
                      | {("trigger", n) for n in _TRIGGERS[version]}) - found)
    if missing:
        return Inspection(path, problem="is damaged (its " + ", ".join(
            f"{t} {n}" for t, n in missing) + " is missing)")
    check = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
    if check != ["ok"]:
        return Inspection(path, problem=f"is damaged (quick_check: {'; '.join(check)[:200]})")
    plaques, batches = conn.execute(
        "SELECT count(*), count(DISTINCT batch_id) FROM issue").fetchone()
    return Inspection(path, version, None, plaques, batches)


def good_backups(ledger_path: str | os.PathLike) -> list[tuple[Path, Inspection]]:
    """The backups that are healthy ledgers, newest first (by modification time)."""
    folder = backup_dir(ledger_path)
    found = []
    for name in BACKUP_NAMES:
        p = folder / name
        if p.is_file():
            seen = inspect_ledger(p)
            if seen.healthy:
                found.append((p.stat().st_mtime, p, seen))
    found.sort(key=lambda x: -x[0])
    return [(p, seen) for _, p, seen in found]


def restore_command(ledger_path: str | os.PathLike) -> str:
    return f"plaquegen ledger --restore --ledger {ledger_path}"


def refuse_unhealthy(seen: Inspection) -> None:
    """Raise LedgerDamaged for an unhealthy ledger, naming its newest good backup."""
    if seen.healthy:
        return
    path = seen.path
    if seen.unreadable:
        raise LedgerError(f"ledger {path} {seen.problem}; nothing was read or written")
    backups = good_backups(path)
    if backups:
        b, info = backups[0]
        where = (f"its newest good backup is {b} ({info.batches} batch(es), {info.plaques} "
                 f"plaque(s)); restore it with '{restore_command(path)}'")
    else:
        where = (f"no good backup is left in {backup_dir(path)}; move it aside and rebuild it from "
                 "the batch folders with 'plaquegen ledger --rebuild OUT'")
    raise LedgerDamaged(f"ledger {path} {seen.problem}: nothing was read or written; {where}.")


def restore_backup(ledger_path: str | os.PathLike, source: str | os.PathLike | None = None,
                   replace_healthy: bool = False) -> tuple[Path, Path | None, Inspection]:
    """Put back a good backup (the newest, or ``source``) as the ledger. Returns (the backup
    used, where the replaced file was kept or None, the restored ledger's inspection)."""
    ledger_path = Path(ledger_path)
    if source is None:
        backups = good_backups(ledger_path)
        if not backups:
            raise LedgerError(f"no good backup of ledger {ledger_path} is left in "
                              f"{backup_dir(ledger_path)}; rebuild it from the batch folders "
                              "with 'plaquegen ledger --rebuild OUT'")
        source, seen = backups[0]
    else:
        source = Path(source)
        seen = inspect_ledger(source)
        if not seen.healthy:
            raise LedgerError(f"cannot restore from {source}: it {seen.problem}")
    current = inspect_ledger(ledger_path)
    if current.healthy and not replace_healthy:
        raise LedgerError(f"ledger {ledger_path} is a healthy ledger ({current.batches} batch(es), "
                          f"{current.plaques} plaque(s)); nothing was restored; add --yes to "
                          f"replace it with {source}")
    tmp = ledger_path.with_name(f".{ledger_path.name}.restore-{os.getpid()}.tmp")
    try:
        _copy(source, tmp)
        check = inspect_ledger(tmp)
        if not check.healthy:
            raise LedgerError(f"cannot restore from {source}: the copy {check.problem}")
        kept = None
        if ledger_path.exists():
            stamp = utc_now().replace(":", "").replace("-", "")
            kept = ledger_path.with_name(f"{ledger_path.name}.damaged-{stamp}")
            n = 1
            while kept.exists():
                n += 1
                kept = ledger_path.with_name(f"{ledger_path.name}.damaged-{stamp}-{n}")
            os.replace(ledger_path, kept)
            for side in ("-wal", "-shm"):
                extra = ledger_path.with_name(ledger_path.name + side)
                if extra.exists():
                    os.replace(extra, kept.with_name(kept.name + side))
        os.replace(tmp, ledger_path)
    except OSError as exc:
        raise LedgerError(f"cannot restore ledger {ledger_path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return source, kept, check


def _hint(path: Path) -> str:
    """Why SQLite may have failed to open a file it could read before."""
    try:
        st = os.statvfs(path.parent)
        if st.f_bavail * st.f_frsize < 256 * 1024:
            return f"; the disk holding {path.parent} is full"
    except OSError:
        pass
    return ""


def _copy(source: Path, target: Path) -> None:
    """A consistent copy with SQLite's backup API (the copy is a rollback-journal file)."""
    target.unlink(missing_ok=True)
    src = connect_readonly(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot restore from {source}: {exc}") from exc
    finally:
        src.close()
