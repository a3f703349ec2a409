"""One car at a time: its build number, a preview of its plaque."""
from __future__ import annotations

from pathlib import Path

import click

from .exits import exit_fatal
from .options import OUT_OPT, REGISTER_OPT, TEMPLATE_OPT, cut, load_register_option

__all__ = ["number", "preview"]


@click.command()
@click.argument("vins", nargs=-1, required=True)
@REGISTER_OPT
@OUT_OPT
def number(vins: tuple[str, ...], register: Path | None, out: Path) -> None:
    """Print the build number of each VIN (full or 7-character short VIN)."""
    from ..core.records import pad_number
    from ..inputs.register import Refused

    reg = load_register_option(register, out)
    failed = False
    for text in vins:
        try:
            car = reg.lookup(text)
        except Refused as e:
            click.echo(f"{cut(text, 40)}: {e.reason}", err=True)
            failed = True
            continue
        click.echo(f"{car.vin}  {pad_number(car.number, reg.total)} / {reg.total}  {car.market}".rstrip())
    if failed:
        exit_fatal()


@click.command()
@click.argument("vin")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG file to write (default: <number>_<vin>.png).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True)
@REGISTER_OPT
@TEMPLATE_OPT
@OUT_OPT
def preview(vin, output, dpi, register, template, out) -> None:
    """Render one plaque to PNG for a quick look."""
    from ..record.folder import plaque_stem
    from ..art.compose import Composer
    from ..core.files import atomic_write_bytes
    from ..writers.png import svg_to_png
    from ..inputs.register import Refused
    from ..writers.svg import plaque_svg
    from ..inputs.template import load_template

    reg = load_register_option(register, out)
    try:
        car = reg.lookup(vin)
    except Refused as e:
        raise click.ClickException(f"{cut(vin, 40)}: {e.reason}") from None
    tpl = load_template(template)
    plaque = Composer.prepare(tpl).compose(car.vin, car.number, reg.total)
    target = output or Path(f"{plaque_stem(car.vin, car.number, reg.total)}.png")
    try:
        atomic_write_bytes(target, svg_to_png(plaque_svg(plaque, tpl), dpi=dpi))
    except OSError as e:
        raise click.ClickException(f"cannot write {target}: {e.strerror or e}.") from None
    click.echo(f"{plaque.label}  {car.vin} -> {target}")
