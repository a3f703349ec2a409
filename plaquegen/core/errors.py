"""The one exception family: every fatal problem is a PlaquegenError whose message is the
sentence the user sees; the CLI prints it and exits 1."""
from __future__ import annotations

__all__ = ["PlaquegenError", "EXIT_OK", "EXIT_FATAL", "EXIT_REFUSED", "EXIT_ATTENTION", "EXIT_INTERRUPTED"]


class PlaquegenError(Exception):
    """A fatal problem; str() is the one sentence the user sees."""


# Exit statuses, the same for every command (documented in the README).
EXIT_OK = 0
EXIT_FATAL = 1          # nothing (more) was done: the one sentence says why
EXIT_REFUSED = 3        # done, but some input lines or returned answers were refused
EXIT_ATTENTION = 4      # done, but something needs the admin now (a release changed or held back)
EXIT_INTERRUPTED = 130  # Ctrl-C; the batch folder is marked incomplete
