"""Setting up a register's folder: ``plaquegen init`` writes a commented plaquegen.toml."""
from __future__ import annotations

from pathlib import Path

import click

from .exits import exit_with

__all__ = ["init"]


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(file, force) -> None:
    """Write a commented example settings file (default: ./plaquegen.toml).

    Fill in [mail] from (and smtp), and `plaquegen send BATCH_DIR` needs no option.
    """
    from ..core.errors import Outcome, PlaquegenError
    from ..core.files import atomic_write_bytes
    from ..inputs.settings import EXAMPLE, FILE_NAME

    path = file or Path(FILE_NAME)
    if path.exists() and not force:
        raise PlaquegenError(f"{path} exists already; edit it, or use --force to overwrite it.")
    atomic_write_bytes(path, EXAMPLE.encode("utf-8"))
    click.echo(f"Written: {path} (every line is a comment: fill in what you use).")
    exit_with(Outcome.DONE)
