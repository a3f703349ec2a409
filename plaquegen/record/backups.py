"""Rotating backups of a ledger, made with SQLite's backup API.

Contract: after every committed write the ledger copies itself, consistently (SQLite's online
backup API), to ``<ledger>.backups/1.sqlite``; the older copies move up to ``2.sqlite`` ..
``BACKUPS_KEPT.sqlite`` and the oldest is dropped. A copy is written under a name no other
process uses (``.new-<pid>-<random>.tmp``), checked (health.inspect_ledger: quick_check, tables),
and only then rotated in, by renames under ``.rotate.lock``: the newest good backup is never
deleted before the new one exists, and a full disk leaves the old backups as they were.
A backup that fails after the write committed does not undo the write: :meth:`backup_after_commit`
prints one warning line to stderr (and keeps it in ``backup_warnings``); :meth:`backup`
raises LedgerError. A mixin of :class:`plaquegen.record.ledger.Ledger`: it uses the ledger's
connection (``_db``) and its ``path``.
"""
from __future__ import annotations

import fcntl
import os
import secrets
import sqlite3
import sys
from pathlib import Path

from .health import inspect_ledger
from .rows import LedgerError

__all__ = ["Backups", "BACKUPS_KEPT"]

BACKUPS_KEPT = 5


class Backups:
    """The rotating backups of a ledger (mixed into Ledger)."""

    path: Path
    _db: sqlite3.Connection
    readonly: bool = False

    @property
    def backup_dir(self) -> Path:
        return self.path.parent / (self.path.name + ".backups")

    @property
    def backup_warnings(self) -> list[str]:
        return self.__dict__.setdefault("_backup_warnings", [])

    def backup_after_commit(self) -> Path | None:
        """:meth:`backup`, but a failure is a warning: what was committed stays committed."""
        try:
            return self.backup()
        except LedgerError as exc:
            note = (f"warning: the ledger {self.path} was written, but its backup failed: {exc}; "
                    "the earlier backups are kept")
            self.backup_warnings.append(note)
            print(f"plaquegen: {note}.", file=sys.stderr, flush=True)
            return None

    def backup(self) -> Path:
        """A consistent, checked copy rotated in: ``<ledger>.backups/1.sqlite`` is the newest of
        the last BACKUPS_KEPT. LedgerError when it cannot be made (the old copies are kept)."""
        folder = self.backup_dir
        tmp = folder / f".new-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            folder.mkdir(exist_ok=True)
            try:
                dst = sqlite3.connect(tmp)
                try:
                    self._db.backup(dst)
                    # a rollback-journal file: reading a backup (read-only) makes no -wal/-shm
                    dst.execute("PRAGMA journal_mode = DELETE").fetchone()
                finally:
                    dst.close()
                seen = inspect_ledger(tmp)
                if not seen.healthy:
                    raise LedgerError(f"cannot write the ledger backup in {folder}: the copy "
                                      f"{seen.problem}")
                _rotate_in(folder, tmp)
            finally:
                for extra in [tmp] + [tmp.with_name(tmp.name + s) for s in ("-journal", "-wal",
                                                                             "-shm")]:
                    extra.unlink(missing_ok=True)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot write the ledger backup in {folder}: {exc}") from exc
        return folder / "1.sqlite"


def _rotate_in(folder: Path, new: Path) -> None:
    """k.sqlite -> k+1.sqlite (the oldest is overwritten), then the new copy -> 1.sqlite; one
    process at a time. Renames need no space, so a full disk cannot interrupt them."""
    fd = os.open(folder / ".rotate.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for k in range(BACKUPS_KEPT - 1, 0, -1):
            older = folder / f"{k}.sqlite"
            if older.exists():
                os.replace(older, folder / f"{k + 1}.sqlite")
        os.replace(new, folder / "1.sqlite")
    finally:
        os.close(fd)
