"""The season at a glance and the hand-over: report (the season pages), deliver, handout; and
:func:`refreshes_pages`, which rewrites the pages after every command that changes state.

The pages are refreshed here, by the CLI, once a state-changing command (batch, send, approvals,
answer, release, deliver, register adopt) has run, whatever its exit status (a release that
released nothing may still have taken an old release back): one place, and no workflow of the
library writes HTML. A library caller refreshes with ``plaquegen.record.pages.refresh_pages``.
"""
from __future__ import annotations

import functools
from pathlib import Path

import click

from ..core.errors import Interrupted
from .exits import exit_with
from .options import APPROVAL_LEDGER_OPT, BATCH_DIR_ARG, LEDGER_OPT, OUT_OPT, cut

__all__ = ["refreshes_pages", "report", "deliver", "handout"]


def _where(params: dict) -> tuple[Path, Path | None] | None:
    """(output folder, ledger or None for its default) of a command's parameters."""
    ledger = params.get("ledger")
    if params.get("batch_dir") is not None:
        return Path(params["batch_dir"]).resolve().parent, ledger
    if params.get("out") is not None:
        return Path(params["out"]), ledger
    if ledger is not None:
        return Path(ledger).parent, ledger
    return None


def _refresh(params: dict, quiet: bool) -> None:
    from ..record.pages import refresh_pages

    where = _where(params)
    if where is None:
        return
    problem = refresh_pages(*where)
    if problem:
        click.echo(f"Note: {problem}", err=True)
    elif not quiet and (where[0] / "index.html").is_file():
        click.echo(f"Season page: {where[0] / 'index.html'}")


def refreshes_pages(command):
    """Decorate a command's function (below its click options): the season pages are rewritten
    after it ran (not after Ctrl-C)."""

    @functools.wraps(command)
    def run(**params):
        try:
            result = command(**params)
        except (KeyboardInterrupt, Interrupted):
            raise
        except SystemExit as e:
            _refresh(params, quiet=e.code not in (0, 3, 4, None))
            raise
        except Exception:
            _refresh(params, quiet=True)
            raise
        _refresh(params, quiet=False)
        return result

    return run


@click.command()
@OUT_OPT
@LEDGER_OPT
@click.option("--open", "open_page", is_flag=True, help="Open the season page in the browser.")
def report(out, ledger, open_page) -> None:
    """Write the season pages: OUT/index.html (every batch, every plaque: thumbnails, states,
    dates, links) and OUT/<batch>/index.html. Static, offline: zip the folder, it still works."""
    from ..record.pages import write_pages

    result = write_pages(out, ledger)
    click.echo(f"Season page: {result.season_page}  ({result.plaques} plaque(s), "
               f"{len(result.pages) - 1} batch page(s); {len(result.changed)} page(s) changed)")
    if open_page:
        click.launch(str(result.season_page))


@click.command()
@BATCH_DIR_ARG
@click.argument("vins", nargs=-1, required=True, metavar="VIN...")
@click.option("--by", "method", type=click.Choice(["handover", "post"]), required=True,
              help="Handed over (at the meeting) or posted.")
@click.option("--tracking", default="", metavar="NO", help="The parcel's tracking number (--by post).")
@click.option("--note", default="", help="Anything to remember (who collected it, ...).")
@APPROVAL_LEDGER_OPT
@refreshes_pages
def deliver(batch_dir, vins, method, tracking, note, ledger) -> None:
    """Record that the owners of VIN... (full or short VINs) have their plaques.

    Only plaques released to the shop can be delivered; the others are refused with the reason
    (exit 3) while the rest are recorded.
    """
    from ..pipeline.deliver import deliver as do_deliver

    result = do_deliver(batch_dir, vins, method, tracking, note, ledger)
    how = "handed over" if method == "handover" else "posted"
    for r in result.delivered:
        click.echo(f"{r.label}  {r.vin}  {cut(r.name, 40)}: {how}.")
    for r, when in result.already:
        click.echo(f"{r.label}  {r.vin}: already delivered on {when[:10]}; nothing recorded.")
    for typed, why in result.refused:
        click.echo(f"REFUSED {cut(why, 300)}.", err=True)
    click.echo(f"Batch {result.batch_id}: {len(result.delivered)} delivered, "
               f"{len(result.already)} already delivered, {len(result.refused)} refused.")
    exit_with(result.outcome)


@click.command()
@BATCH_DIR_ARG
@click.option("--event", default="", help='The hand-over, e.g. "Nürburgring meeting 2026".')
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the PDF (default: BATCH_DIR/handout.pdf).")
@APPROVAL_LEDGER_OPT
def handout(batch_dir, event, output, ledger) -> None:
    """Write the meeting desk's hand-out PDF: the released plaques by owner's name with a
    signature box, then the same plaques with their addresses, for those to post."""
    from ..pipeline.deliver import handout as do_handout

    result = do_handout(batch_dir, event, ledger, output)
    click.echo(f"Hand-out: {result.path}  ({result.plaques} plaque(s) to hand over or post"
               + (f", {result.no_address} without an address" if result.no_address else "")
               + (f"; {result.delivered} already delivered" if result.delivered else "") + ").")
    exit_with(result.outcome)
