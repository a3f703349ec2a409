"""The command group: every command family registered, every PlaquegenError its one
sentence and exit 1, Ctrl-C exit 130. Imports of the library happen inside the commands, so
each command pays only for what it uses."""
from __future__ import annotations

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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plaquegen")
def main() -> None:
    """Numbered, laser-engraved plaques from an order list (BMW 1er M Coupé register)."""


for _command in (number, check, batch, preview, ledger, history, register, approvals, send, answer,
                 release, status):
    main.add_command(_command)
