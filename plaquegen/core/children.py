"""Worker processes that never outlive the process that started them.

A worker of a batch blocks on a pipe that its parent feeds. When the parent is killed
outright (``kill -9``, the OOM killer), no one closes that pipe — the workers hold its write
end too — so they would wait for good, each holding its share of the batch's memory.
:func:`die_with_parent` makes the kernel send the worker SIGKILL the moment its parent dies
(Linux ``prctl(PR_SET_PDEATHSIG)``), and a watchdog thread checks the parent's pid once a
second where that is not available (or the parent died before the worker could ask).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """Call first thing in a child: it ends when the process ``parent_pid`` ends."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    if os.getppid() != parent_pid:  # the parent died before the kernel could be asked
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid, poll_s), daemon=True,
                     name="plaquegen-parent-watch").start()


def _watch(parent_pid: int, poll_s: float) -> None:
    event = threading.Event()
    while not event.wait(poll_s):
        if os.getppid() != parent_pid:
            os._exit(1)
