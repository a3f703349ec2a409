"""Batches: the dry run (check) and the run (batch)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .exits import exit_with
from .handover import refreshes_pages
from .options import (writing, LEDGER_OPT, OUT_OPT, REGISTER_OPT, TEMPLATE_OPT, WORKERS_OPT, FORMATS_OPT, cut, echo_notes,
                      formats_option, OrdersCommand, orders_options, read_options)

__all__ = ["check", "batch"]


@click.command(cls=OrdersCommand, help="Dry run: read and number ORDERS, show what would be made and "
                                       "refused. Writes nothing.")
@click.argument("orders", type=click.Path(path_type=Path, allow_dash=True))
@REGISTER_OPT
@TEMPLATE_OPT
@OUT_OPT
@click.option("--batch-id", help="The batch id the run would use (default: the orders file's name).")
@LEDGER_OPT
@click.option("--reprint", is_flag=True, help="As batch --reprint: cars issued before are not refused.")
@click.option("--replace", is_flag=True, help="As batch --replace.")
@orders_options
def check(orders, register, template, out, batch_id, ledger, reprint, replace, sheet, columns,
          encoding) -> None:
    from ..pipeline.batch import BatchOptions, plan_batch
    from ..record.ledger import open_ledger
    from ..core.records import pad_number
    from ..record.season import require_ledger

    opts = BatchOptions(orders=orders, out=out, batch_id=batch_id, register=register,
                        template=template, ledger=ledger, reprint=reprint, replace=replace,
                        proofs=False, read_options=read_options(sheet, columns, encoding))
    ledger_path = ledger or out / "ledger.sqlite"
    require_ledger(out, ledger_path)
    if ledger_path.is_file():  # never create one in a dry run
        with open_ledger(ledger_path, readonly=True) as led:  # a dry run writes nothing
            plan = plan_batch(opts, led)
    else:
        plan = plan_batch(opts, None)
    total = plan.register.total
    width = len(str(total))
    click.echo(f"{'line':>5}  {'order':<12} {'VIN':<17}  {'number':<{2 * width + 3}}  market")
    for n in sorted(plan.numbered, key=lambda n: n.order.line):
        click.echo(f"{n.order.line:>5}  {cut(n.order.order_id, 12):<12} {n.vin:<17}  "
                   f"{pad_number(n.number, n.total)} / {n.total}  {n.market}")
    if plan.rejects:
        click.echo("\nRefused:")
        for r in plan.rejects:
            click.echo(f"{r.line:>5}  {cut(r.order_id, 12):<12} {cut(r.vin, 17):<17}  {r.reason}")
    of = plan.orderfile
    click.echo(f"\n{of.lines_read} order lines: {len(plan.numbered)} accepted, "
               f"{len(plan.rejects)} refused.")
    echo_notes(plan.notes)
    exit_with(plan.outcome)


@click.command(cls=OrdersCommand, help="Make a batch: engrave SVGs, sheets, proofs, job sheet, "
                                       "manifest and rejects, recorded in the ledger.")
@click.argument("orders", type=click.Path(path_type=Path, allow_dash=True))
@OUT_OPT
@click.option("--batch-id", help="Name of the batch folder (default: the orders file's name).")
@REGISTER_OPT
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="Plaque template TOML (default: the batch's own kept template, else assets/plaque.toml).")
@LEDGER_OPT
@click.option("--reprint", is_flag=True, help="Make plaques again for cars issued in earlier batches.")
@click.option("--replace", is_flag=True,
              help="Make this batch id again from another order file, on purpose.")
@click.option("--no-proofs", is_flag=True, help="Skip the owners' PDF proofs.")
@click.option("--previews", is_flag=True, help="Also write preview/*.png renders (slow).")
@WORKERS_OPT
@FORMATS_OPT
@orders_options
@refreshes_pages
def batch(orders, out, batch_id, register, template, ledger, reprint, replace, no_proofs,
          previews, workers, formats, sheet, columns, encoding) -> None:
    from ..pipeline.batch import BatchOptions, run_batch

    opts = BatchOptions(orders=orders, out=out, batch_id=batch_id, register=register,
                        template=template, ledger=ledger, reprint=reprint, replace=replace,
                        proofs=not no_proofs, previews=previews,
                        workers=workers or os.cpu_count() or 1, formats=formats_option(formats),
                        read_options=read_options(sheet, columns, encoding))
    bar = None

    def on_plan(total: int) -> None:
        nonlocal bar
        if sys.stderr.isatty() and total:
            bar = click.progressbar(length=total, label="plaques", file=sys.stderr)
            bar.__enter__()

    def progress(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        with writing("batch", ledger, out=out):
            result = run_batch(opts, progress=progress, on_plan=on_plan)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    f = result.folder
    click.echo(f"Batch {result.batch_id}: {result.orders_read} order lines read, "
               f"{result.plaques} plaques made on {result.sheets} sheet(s), "
               f"{result.rejects} line(s) refused.")
    click.echo(f"Output: {f}/  (engrave/, sheets/, proofs/, job-sheet.pdf, manifest.csv)")
    if result.rejects:
        click.echo(f"Refused lines and reasons: {f / 'rejects.csv'}")
    echo_notes(result.notes)
    click.echo(f"Time: {result.timings.get('total', 0):.1f} s")
    exit_with(result.outcome)
