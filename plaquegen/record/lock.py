"""The one lock of a ledger's writers: ``<ledger>.lock``, held by a whole writing command.

Contract: every command that writes a batch folder or the ledger (batch, approvals, answer,
send, release, register adopt, ledger --rebuild/--restore) runs inside
``with ledger_lock(ledger_path, what="release"):``. It takes an exclusive ``flock`` on
``<ledger>.lock`` (beside the ledger; the file is never deleted, its content names the holder),
waits up to ``wait_s`` seconds for another holder to finish, then raises :class:`LedgerBusy`:
"another plaquegen command (release, started 22:14:05 UTC by pid 123) is writing ledger ...;
try again when it has finished." So two admins at once get "busy, try again", never a half
state. The lock is re-entrant within one process (a command that holds it can call library
code that takes it again); it is released when the block ends or the process dies (flock).
Readers (check, ledger, history, status) take no lock: SQLite's snapshot is consistent.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..core.clock import utc_now
from ..core.errors import PlaquegenError

__all__ = ["LedgerBusy", "ledger_lock", "lock_path", "LOCK_WAIT_S"]

LOCK_WAIT_S = 5.0  # how long a second writer waits before it is told to try again

_held: dict[str, int] = {}  # resolved lock path -> depth, in this process
_guard = threading.Lock()


class LedgerBusy(PlaquegenError):
    """Another plaquegen command is writing this ledger; the message says which and since when."""


def lock_path(ledger_path: str | os.PathLike) -> Path:
    """``<ledger>.lock`` beside the ledger."""
    p = Path(ledger_path)
    return p.with_name(p.name + ".lock")


def _wait_s() -> float:
    raw = os.environ.get("PLAQUEGEN_LOCK_WAIT")
    try:
        return max(0.0, float(raw)) if raw else LOCK_WAIT_S
    except ValueError:
        return LOCK_WAIT_S


def _holder(fd: int) -> str:
    """Who holds the lock, from the file's content (written by the holder)."""
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
        info = json.loads(raw.split("\n")[0]) if raw else {}
        what, when, pid = str(info["what"])[:40], str(info["started"]), int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return "another plaquegen command"
    return f"another plaquegen command ({what}, started {when[11:19]} UTC by pid {pid})"


@contextmanager
def ledger_lock(ledger_path: str | os.PathLike, what: str,
                wait_s: float | None = None) -> Iterator[Path]:
    """Hold the ledger's writer lock for the block (see the module docstring); yields the
    lock file's path. LedgerBusy after ``wait_s`` (default LOCK_WAIT_S, or the environment's
    PLAQUEGEN_LOCK_WAIT) seconds; a PlaquegenError when the lock file cannot be made."""
    path = lock_path(ledger_path)
    fresh_dir = not path.parent.exists()  # a first batch into a new --out
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = str(path.resolve())
    except OSError as exc:
        raise PlaquegenError(f"cannot lock ledger {ledger_path}: {_reason(exc)}.") from exc
    with _guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _guard:
                _held[key] -= 1
        return
    fd = _acquire(path, ledger_path, what, _wait_s() if wait_s is None else wait_s)
    with _guard:
        _held[key] = 1
    try:
        yield path
    finally:
        with _guard:
            del _held[key]
        if fresh_dir and not Path(ledger_path).exists():
            _leave_nothing(path)  # a refused first batch writes nothing, not even its lock
        os.close(fd)  # releases the flock


def _acquire(path: Path, ledger_path, what: str, wait_s: float) -> int:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise PlaquegenError(f"cannot lock ledger {ledger_path}: {_reason(exc)} ({path}).") from exc
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise PlaquegenError(f"cannot lock ledger {ledger_path}: {_reason(exc)}.") from exc
        if time.monotonic() >= deadline:
            holder = _holder(fd)
            os.close(fd)
            raise LedgerBusy(f"{holder} is writing ledger {ledger_path}; try again when it has "
                             "finished.")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
    try:
        stamp = json.dumps({"what": what, "started": utc_now(), "pid": os.getpid()}) + "\n"
        os.ftruncate(fd, 0)
        os.pwrite(fd, stamp.encode(), 0)
    except OSError:
        pass  # the lock holds without its note (a full disk): the busy message is vaguer
    return fd


def _reason(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def _leave_nothing(path: Path) -> None:
    """Remove the lock file and the folder made for it when the command made nothing there."""
    try:
        path.unlink()
        path.parent.rmdir()  # only if empty
    except OSError:
        pass
