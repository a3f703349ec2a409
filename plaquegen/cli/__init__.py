"""The command line: click commands that parse options, call the library and map outcomes to
exit statuses (cli/exits.py). Nothing else lives here; nothing imports it.

:func:`run` is the program's entry point (``plaquegen``, ``python -m plaquegen``): it imports
the commands itself, so a Ctrl-C even while Python is still loading them ends with exit 130
and one line, never a traceback. ``main`` (the click group) is loaded on first use.
"""
from __future__ import annotations

import sys

__all__ = ["run", "main", "answers", "batches", "cars", "exits", "group", "options", "season"]


def run() -> None:
    """``plaquegen``: the click group, with Ctrl-C during start-up handled too."""
    try:
        from .group import main as group

        group()
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted; nothing was recorded.\n")
        _exit_now(130)
    except SystemExit as e:
        if e.code == 130:  # an interrupt already reported: end before anything else can run
            _exit_now(130)
        raise


def _exit_now(status: int) -> None:
    """Flush and end at once: a Ctrl-C that was reported must not be re-raised by Python's
    shutdown (which then kills the process with SIGINT, exit -2, and may print a traceback)."""
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def __getattr__(name: str):
    if name == "main":
        from .group import main

        return main
    raise AttributeError(f"module 'plaquegen.cli' has no attribute {name!r}")
