"""Command line: parse options, call the library, report. Nothing else lives here."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__

REGISTER_OPT = click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
                            help="Production register CSV (default: the bundled synthetic demo register).")
TEMPLATE_OPT = click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
                            help="Plaque template TOML (default: assets/plaque.toml).")


def _fail(e: Exception) -> click.ClickException:
    return click.ClickException(str(e))


def _register(path):
    from .register import RegisterError, load_register

    try:
        return load_register(path)
    except RegisterError as e:
        raise _fail(e) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plaquegen")
def main() -> None:
    """Numbered, laser-engraved plaques from an order list (BMW 1er M Coupé register)."""


@main.command()
@click.argument("vins", nargs=-1, required=True)
@REGISTER_OPT
def number(vins: tuple[str, ...], register: Path | None) -> None:
    """Print the build number of each VIN (full or 7-character short VIN)."""
    from .register import Refused

    reg = _register(register)
    width = len(str(reg.total))
    failed = False
    for text in vins:
        try:
            car = reg.lookup(text)
        except Refused as e:
            click.echo(f"{_cut(text, 40)}: {e.reason}", err=True)
            failed = True
            continue
        click.echo(f"{car.vin}  {car.number:0{width}d} / {reg.total}  {car.market}".rstrip())
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("orders", type=click.Path(path_type=Path))
@REGISTER_OPT
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Where batches go (its ledger.sqlite is consulted).")
@click.option("--batch-id", help="The batch id the run would use (default: the orders file's name).")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Ledger database (default: <out>/ledger.sqlite, if it exists).")
@click.option("--reprint", is_flag=True, help="As batch --reprint: cars issued before are not refused.")
def check(orders: Path, register: Path | None, out: Path, batch_id: str | None,
          ledger: Path | None, reprint: bool) -> None:
    """Dry run: read and number ORDERS, show what would be made and refused. Writes nothing."""
    from .batch import batch_name, check_ledger
    from .ledger import Ledger, LedgerError
    from .numbering import number_orders
    from .orders import OrdersError, read_orders

    reg = _register(register)
    try:
        of = read_orders(orders)
    except OrdersError as e:
        raise _fail(e) from None
    numbered, refused = number_orders(of.orders, reg)
    ledger = ledger or out / "ledger.sqlite"
    if ledger.is_file():  # never create one in a dry run
        try:
            with Ledger(ledger) as led:
                numbered, more, _ = check_ledger(led, numbered, batch_name(orders, batch_id), reprint)
        except LedgerError as e:
            raise _fail(e) from None
        refused += more
    rejects = sorted(list(of.rejects) + refused, key=lambda r: r.line)
    width = len(str(reg.total))
    click.echo(f"{'line':>5}  {'order':<12} {'VIN':<17}  {'number':<{2 * width + 3}}  market")
    for n in sorted(numbered, key=lambda n: n.order.line):
        click.echo(f"{n.order.line:>5}  {_cut(n.order.order_id, 12):<12} {n.vin:<17}  "
                   f"{n.number:0{width}d} / {n.total}  {n.market}")
    if rejects:
        click.echo("\nRefused:")
        for r in rejects:
            click.echo(f"{r.line:>5}  {_cut(r.order_id, 12):<12} {_cut(r.vin, 17):<17}  {r.reason}")
    click.echo(f"\n{of.lines_read} order lines: {len(numbered)} accepted, {len(rejects)} refused.")


def _cut(text: str, n: int) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= n else text[: n - 1] + "…"


@main.command()
@click.argument("orders", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Folder that receives <batch-id>/.")
@click.option("--batch-id", help="Name of the batch folder (default: the orders file's name).")
@REGISTER_OPT
@TEMPLATE_OPT
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Ledger database (default: <out>/ledger.sqlite).")
@click.option("--reprint", is_flag=True, help="Make plaques again for cars issued in earlier batches.")
@click.option("--no-proofs", is_flag=True, help="Skip the owners' PDF proofs.")
@click.option("--previews", is_flag=True, help="Also write preview/*.png renders (slow).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Worker processes (default: the number of cores).")
def batch(orders, out, batch_id, register, template, ledger, reprint, no_proofs, previews, workers) -> None:
    """Make a batch: engrave SVGs, sheets, proofs, job sheet, manifest and rejects."""
    from .batch import BatchError, BatchOptions, run_batch

    opts = BatchOptions(orders=orders, out=out, batch_id=batch_id, register=register,
                        template=template, ledger=ledger, reprint=reprint, proofs=not no_proofs,
                        previews=previews, workers=workers or os.cpu_count() or 1)
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
        result = run_batch(opts, progress=progress, on_plan=on_plan)
    except BatchError as e:
        raise _fail(e) from None
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
    for note in result.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Time: {result.timings.get('total', 0):.1f} s")


@main.command()
@click.argument("vin")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG file to write (default: <number>_<vin>.png).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True)
@REGISTER_OPT
@TEMPLATE_OPT
def preview(vin, output, dpi, register, template) -> None:
    """Render one plaque to PNG for a quick look."""
    from .artwork import ArtworkError
    from .compose import Composer
    from .files import atomic_write_bytes, safe_name
    from .glyphs import FontError
    from .preview import svg_to_png
    from .register import Refused
    from .svgout import plaque_svg
    from .template import TemplateError, load_template

    reg = _register(register)
    try:
        car = reg.lookup(vin)
        tpl = load_template(template)
        plaque = Composer.prepare(tpl).compose(car.vin, car.number, reg.total)
    except Refused as e:
        raise click.ClickException(f"{vin}: {e.reason}") from None
    except (TemplateError, ArtworkError, FontError) as e:
        raise _fail(e) from None
    target = output or Path(f"{car.number:0{len(str(reg.total))}d}_{safe_name(car.vin)}.png")
    try:
        atomic_write_bytes(target, svg_to_png(plaque_svg(plaque, tpl), dpi=dpi))
    except OSError as e:
        raise click.ClickException(f"cannot write {target}: {e.strerror or e}.") from None
    click.echo(f"{plaque.label}  {car.vin} -> {target}")


@main.command()
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
@click.option("--batch-id", help="Only this batch.")
@click.option("--vin", help="Only this car.")
def ledger(ledger, batch_id, vin) -> None:
    """List the plaques issued (per batch, or one batch's or one car's)."""
    from .ledger import Ledger, LedgerError
    from .vin import is_short_vin, normalize, short_vin

    if not ledger.exists():
        raise click.ClickException(f"ledger {ledger} does not exist; no batch has been made with it.")
    try:
        with Ledger(ledger) as led:
            if batch_id or vin:
                want = normalize(vin) if vin else None
                if want and is_short_vin(want):  # the 7-character short VIN people quote
                    issues = [i for i in led.issues(batch_id=batch_id) if short_vin(i.vin) == want]
                else:
                    issues = led.issues(batch_id=batch_id, vin=want)
                for i in issues:
                    click.echo(f"{i.batch_id}  {i.number:>5}  {i.vin}  {i.order_id}  {i.issued_at}"
                               + ("  reprint" if i.reprint else ""))
                click.echo(f"{len(issues)} plaque(s).")
            else:
                rows = led.batches()
                for b, count, first, last in rows:
                    click.echo(f"{b}  {count} plaques  {first[:10]}..{last[:10]}")
                click.echo(f"{len(rows)} batch(es).")
    except LedgerError as e:
        raise _fail(e) from None


# ---------------------------------------------------------------------------
# Approval round-trip: approvals, release, status (see plaquegen/approvals.py).

BATCH_DIR_ARG = click.argument("batch_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
APPROVAL_LEDGER_OPT = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                                   help="Ledger database (default: BATCH_DIR/../ledger.sqlite).")


def _state_counts(states) -> str:
    from .approvals import APPROVED, CHANGES, WAITING, counts

    c = counts(states)
    return (f"{len(states)} plaque(s): {c[APPROVED]} approved, {c[CHANGES]} changes requested, "
            f"{c[WAITING]} waiting")


@main.command()
@BATCH_DIR_ARG
@click.argument("pdfs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@APPROVAL_LEDGER_OPT
def approvals(batch_dir, pdfs, ledger) -> None:
    """Read returned proofs (PDF files or folders) and record the owners' answers.

    Writes BATCH_DIR/approvals.csv; exit 1 if any PDF was refused.
    """
    from .approvals import REFUSED, ApprovalError, record_approvals

    try:
        result = record_approvals(batch_dir, pdfs, ledger)
    except ApprovalError as e:
        raise _fail(e) from None
    refused = 0
    for a in result.answers:
        # Everything here comes from PDFs owners sent back: printable characters only.
        who = _cut(f"{a.label or a.number}  {a.vin}", 40) if a.vin else "-"
        name = _cut(a.file.name, 60)
        if a.outcome == REFUSED:
            refused += 1
            click.echo(f"{name}: REFUSED ({who}): {_cut(a.reason, 300)}.", err=True)
            continue
        extra = f": {_cut(a.changes.replace(chr(10), ' / '), 60)}" if a.changes else ""
        by = f" by {_cut(a.name, 60)}" if a.name else ""
        date = f" on {_cut(a.date, 30)}" if a.date else ""
        click.echo(f"{name}: {who}  {a.outcome}{by}{date}{extra}"
                   + (f"  [{_cut(a.note, 200)}]" if a.note else ""))
    click.echo(f"\n{len(result.answers)} PDF(s) read: {result.recorded} plaque(s) recorded, "
               f"{refused} refused.")
    click.echo(f"Batch {result.batch_id}: {_state_counts(result.states)}.")
    click.echo(f"Written: {result.csv}")
    sys.exit(1 if refused else 0)


@main.command()
@BATCH_DIR_ARG
@APPROVAL_LEDGER_OPT
@TEMPLATE_OPT
def release(batch_dir, ledger, template) -> None:
    """Lay out only the approved plaques in BATCH_DIR/released/ for the shop.

    Exit 1 if an approved plaque was held back because its files no longer match.
    """
    from .approvals import ApprovalError, release as do_release

    try:
        result = do_release(batch_dir, ledger, template)
    except ApprovalError as e:
        raise _fail(e) from None
    for s, reason in result.refused:
        click.echo(f"HELD BACK {s.label}  {s.vin}: {reason}.", err=True)
    summary = _state_counts(result.states)
    if not result.released:
        gone = " (the old released/ folder was removed)" if result.removed_stale else ""
        raise click.ClickException(f"Nothing released from batch {result.batch_id}{gone}: {summary}.")
    click.echo(f"Released {len(result.released)} approved plaque(s) of batch {result.batch_id} on "
               f"{result.sheets} sheet(s); {summary}.")
    click.echo(f"For the shop: {result.folder}/  (sheets/, engrave/, job-sheet.pdf, manifest.csv)")
    sys.exit(1 if result.refused else 0)


@main.command()
@BATCH_DIR_ARG
@APPROVAL_LEDGER_OPT
def status(batch_dir, ledger) -> None:
    """Show where each plaque of BATCH_DIR stands: approved, changes requested or waiting."""
    from .approvals import ApprovalError, batch_status

    try:
        result = batch_status(batch_dir, ledger)
    except ApprovalError as e:
        raise _fail(e) from None
    click.echo(f"{'number':<13} {'VIN':<17}  {'order':<12} {'state':<18} {'released':<8}  "
               f"{'by':<18} {'owner date':<10}  {'read':<10}  changes")
    for s in result.states:
        click.echo(f"{s.label:<13} {s.vin:<17}  {_cut(s.order_id, 12):<12} {s.state:<18} "
                   f"{'yes' if s.released else '-':<8}  {_cut(s.name, 18):<18} "
                   f"{_cut(s.date, 10):<10}  {s.read_at[:10]:<10}  "
                   f"{_cut(s.changes.replace(chr(10), ' / '), 50)}".rstrip())
    click.echo(f"\nBatch {result.batch_id}: {_state_counts(result.states)}; "
               f"{sum(s.released for s in result.states)} released.")
    if result.stale_release:
        click.echo(f"released/ is out of date ({len(result.stale_release)} plaque(s) there are no "
                   "longer approved): run plaquegen release again.", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
