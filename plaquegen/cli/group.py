"""The command group: every command family registered, every PlaquegenError its one
sentence and exit 1, Ctrl-C exit 130. Imports of the library happen inside the commands, so
each command pays only for what it uses."""
from __future__ import annotations

import signal
import sys

import click

from ..core.errors import Interrupted, PlaquegenError
from ..core.version import __version__
from .answers import answer, approvals, release, send, status
from .batches import batch, check
from .cars import number, preview
from .exits import EXIT_INTERRUPTED
from .season import history, ledger, register

__all__ = ["main"]


class _Group(click.Group):
    """Every PlaquegenError becomes its one sentence and exit 1; Ctrl-C says what was left."""

    def invoke(self, ctx):
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _note_sigint)
        try:
            return super().invoke(ctx)
        except Interrupted as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except PlaquegenError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was recorded.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except ImportError as e:
            # A Ctrl-C while a command loads a compiled library (numpy, shapely) comes back as
            # an ImportError from that library: still an interrupt, never a traceback.
            if _caused_by_interrupt(e) or _SIGINT_SEEN:
                click.echo("Interrupted; nothing was recorded.", err=True)
                sys.exit(EXIT_INTERRUPTED)
            raise click.ClickException(f"a package plaquegen needs cannot be loaded ({e}); "
                                       "reinstall plaquegen.") from None


_SIGINT_SEEN = False


def _note_sigint(signum, frame):
    """Python's own Ctrl-C handler, remembering that it ran (a library may swallow the
    KeyboardInterrupt it raises and report an ImportError instead)."""
    global _SIGINT_SEEN
    _SIGINT_SEEN = True
    raise KeyboardInterrupt


def _caused_by_interrupt(exc: BaseException) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plaquegen")
def main() -> None:
    """Numbered, laser-engraved plaques from an order list (BMW 1er M Coupé register)."""


for _command in (number, check, batch, preview, ledger, history, register, approvals, send, answer,
                 release, status):
    main.add_command(_command)
