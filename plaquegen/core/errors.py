"""The one exception family and the outcomes of a finished command.

Every fatal problem is a PlaquegenError whose message is the sentence the user sees; the CLI
prints it and exits 1. A command that finished says how with an :class:`Outcome`, carried by
its result object; the CLI maps outcomes to exit statuses in one place (cli/exits.py).
"""
from __future__ import annotations

import enum

__all__ = ["PlaquegenError", "Interrupted", "Outcome"]


class PlaquegenError(Exception):
    """A fatal problem; str() is the one sentence the user sees."""


class Interrupted(PlaquegenError):
    """Ctrl-C or a signal stopped a command; str() says what was left (the CLI exits 130)."""


class Outcome(enum.Enum):
    """How a finished command ended (its result's ``outcome``)."""

    DONE = "done"            # everything asked for was done
    REFUSED = "refused"      # done, but some input lines or returned answers were refused
    ATTENTION = "attention"  # done, but something needs the admin now (a release changed or held back)

    @staticmethod
    def worst(*outcomes: "Outcome") -> "Outcome":
        """The outcome that asks most of the admin: ATTENTION > REFUSED > DONE."""
        rank = (Outcome.DONE, Outcome.REFUSED, Outcome.ATTENTION)
        return max(outcomes, key=rank.index, default=Outcome.DONE)
