"""Rotating backups of a ledger, made with SQLite's backup API.

Contract: after every committed write the ledger copies itself, consistently (SQLite's online
backup API), to ``<ledger>.backups/1.sqlite``; the older copies
move up to ``2.sqlite`` .. ``BACKUPS_KEPT.sqlite`` and the oldest is dropped. A copy is written
to a temporary file and renamed, so ``1.sqlite`` is always a whole ledger. Failures are
LedgerError. A mixin of :class:`plaquegen.record.ledger.Ledger`: it uses the ledger's
connection (``_db``) and its ``path``.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .rows import LedgerError

__all__ = ["Backups", "BACKUPS_KEPT"]

BACKUPS_KEPT = 5


class Backups:
    """The rotating backups of a ledger (mixed into Ledger)."""

    path: Path
    _db: sqlite3.Connection

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
