"""The one place outcomes become exit statuses (documented in the README, the same for every
command): 0 done; 1 a fatal problem, one sentence says why; 3 done, but some order lines or
returned answers were refused; 4 done, but something needs the admin now; 130 interrupted."""
from __future__ import annotations

import sys
from typing import NoReturn

from ..core.errors import Outcome

__all__ = ["EXIT_STATUS", "EXIT_FATAL", "EXIT_INTERRUPTED", "exit_with", "exit_fatal"]

EXIT_STATUS = {Outcome.DONE: 0, Outcome.REFUSED: 3, Outcome.ATTENTION: 4}
EXIT_FATAL = 1          # nothing (more) was done: the one sentence says why
EXIT_INTERRUPTED = 130  # Ctrl-C; a batch folder is marked incomplete


def exit_with(outcome: Outcome) -> NoReturn:
    """End the command with the exit status of a library result's outcome."""
    sys.exit(EXIT_STATUS[outcome])


def exit_fatal() -> NoReturn:
    """End a command whose problems were already printed, one sentence each: exit 1."""
    sys.exit(EXIT_FATAL)
