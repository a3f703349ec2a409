"""Atomic file writes and safe file names.

A crash or kill mid-write must never leave a half-written file that the shop
could engrave: every write goes to a hidden temporary file in the same folder
and is then renamed over the target (atomic on POSIX). Syncing each of the
~13,000 files of a full run would cost more than making them (~3 ms an
fsync here), so a batch calls ``sync_folder`` once, before the ledger records
it: a kill leaves either the old file or the new one, and a finished batch is
on disk before it counts as issued.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import errno
import os
import stat
import re
import tempfile
import threading
import unicodedata
from pathlib import Path

__all__ = ["read_regular_file", "safe_name", "atomic_write_bytes", "remove_temp_files", "sync_folder", "EarlyWriteback", "sha256_bytes", "csv_bytes", "read_csv", "sheet_cell", "unsheet_cell", "TMP_GLOB"]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def safe_name(text: str, fallback: str = "unnamed", max_len: int = 64) -> str:
    """Turn any cell value into a file-name component: ASCII letters, digits, . _ -.

    Never empty, never '.' or '..', never a Windows device name, no path
    separators, at most ``max_len`` characters.
    """
    norm = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    name = _UNSAFE.sub("-", norm).strip(".-_")[:max_len].strip(".-_")
    if not name:
        name = fallback
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return name


_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_counter = itertools.count()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder + rename).

    One hidden temp name per write (process id and a counter; O_EXCL, so never someone
    else's file), mode 0644 at creation, the folder made only when it is missing."""
    path = os.fspath(path)
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}-{next(_counter)}.tmp")
    try:
        fd = os.open(tmp, _TMP_FLAGS, 0o644)
    except FileNotFoundError:
        os.makedirs(folder or ".", exist_ok=True)
        fd = os.open(tmp, _TMP_FLAGS, 0o644)
    except FileExistsError:  # a killed run's leftover with our pid: take a fresh name
        tmp = tempfile.mktemp(prefix=f".{name}.", suffix=".tmp", dir=folder or ".")
        fd = os.open(tmp, _TMP_FLAGS, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:  # os.write: no buffered file object per write
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


TMP_GLOB = ".*.tmp"


def remove_temp_files(folder: str | os.PathLike) -> int:
    """Delete temp files a killed run left below ``folder``; returns how many."""
    n = 0
    for p in Path(folder).rglob(TMP_GLOB):
        if p.is_file():
            p.unlink(missing_ok=True)
            n += 1
    return n


def sync_folder(folder: str | os.PathLike) -> None:
    """Flush the file system holding ``folder`` to disk (once per batch, see module doc).

    Linux's syncfs(2) waits only for that file system, not for every disk of the machine;
    elsewhere os.sync()."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _syncfs is None or _syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


class EarlyWriteback:
    """Write a folder's file system back to disk in a background thread while the batch is
    still being made, so that the one :func:`sync_folder` that counts (before the ledger
    records the batch) finds little left to do: the disk works while the CPUs compute.

    :meth:`kick` starts a flush unless one is running; leaving the ``with`` block waits for
    the running one. Start kicking only once the worker processes exist (no fork while the
    thread runs)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = folder
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._flush, name="plaquegen-writeback",
                                            daemon=True)
            self._thread.start()

    def _flush(self) -> None:
        try:
            sync_folder(self.folder)
        except OSError:
            pass  # only an early start: the final sync_folder reports what fails

    def __enter__(self) -> "EarlyWriteback":
        return self

    def __exit__(self, *exc) -> None:
        if self._thread is not None:
            self._thread.join()


def _load_syncfs():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def csv_bytes(header, rows) -> bytes:
    """A CSV file as the shop's spreadsheets open it: UTF-8 with BOM, CRLF, minimal quoting."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows([[_fit_cell(c) for c in row] for row in rows])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


EXCEL_CELL_MAX = 32_767  # characters a spreadsheet cell holds; longer ones break the row


def _fit_cell(value):
    """A cell short enough for Excel: a longer text (a 1 MB change request) is cut, saying so;
    the record (ledger, history.jsonl) keeps the whole text."""
    if not isinstance(value, str) or len(value) <= EXCEL_CELL_MAX:
        return value
    keep = EXCEL_CELL_MAX - 100
    return value[:keep] + f" \u2026 [cut: {len(value) - keep:,} more characters; the whole text is in the ledger]"


def read_csv(path: str | os.PathLike) -> list[dict]:
    """Read back a CSV written by csv_bytes (rows as dicts)."""
    return list(csv.DictReader(io.StringIO(Path(path).read_text("utf-8-sig"), newline="")))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_cell(text: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with = + - @ is shown as text (a leading
    apostrophe, which spreadsheets hide). A value that itself starts with an apostrophe gets
    one too, so :func:`unsheet_cell` gives back exactly this value (an order id ``'-5`` must
    not come back as ``-5``: the proof's embedded id would no longer match)."""
    return "'" + text if text[:1] in _FORMULA_START or text[:1] == "'" else text


def unsheet_cell(text: str) -> str:
    """The value sheet_cell was given (reading back a CSV we wrote)."""
    return text[1:] if text[:1] == "'" and (text[1:2] in _FORMULA_START or text[1:2] == "'") else text


def read_regular_file(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The bytes of a regular file (at most ``limit`` + 1 of them), never blocking on a pipe or
    device: a FIFO named as artwork or a template would wait for a writer for good. Raises
    OSError (strerror "not a regular file (a pipe, socket or device)") for anything else."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, socket or device)")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read() if limit is None else fh.read(limit + 1)
    finally:
        os.close(fd)
