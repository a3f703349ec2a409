"""Command line: parse options, call the library, report. Nothing else lives here."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..core.version import __version__

REGISTER_OPT = click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
                            help="Production register: CSV, .xlsx, .xls or .ods with columns vin/FIN "
                                 "and use/Verwendung (default: the bundled synthetic demo register).")
TEMPLATE_OPT = click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
                            help="Plaque template TOML (default: assets/plaque.toml).")


class _Group(click.Group):
    """Every PlaquegenError becomes its one sentence and exit 1; Ctrl-C says what was left."""

    def invoke(self, ctx):
        from ..pipeline.batch import BatchInterrupted
        from ..core.errors import EXIT_INTERRUPTED, PlaquegenError

        try:
            return super().invoke(ctx)
        except BatchInterrupted as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except PlaquegenError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was recorded.", err=True)
            sys.exit(EXIT_INTERRUPTED)


def _register(path):
    from ..inputs.register import load_register

    return load_register(path)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="plaquegen")
def main() -> None:
    """Numbered, laser-engraved plaques from an order list (BMW 1er M Coupé register)."""


@main.command()
@click.argument("vins", nargs=-1, required=True)
@REGISTER_OPT
def number(vins: tuple[str, ...], register: Path | None) -> None:
    """Print the build number of each VIN (full or 7-character short VIN)."""
    from ..core.records import pad_number
    from ..inputs.register import Refused

    reg = _register(register)
    failed = False
    for text in vins:
        try:
            car = reg.lookup(text)
        except Refused as e:
            click.echo(f"{_cut(text, 40)}: {e.reason}", err=True)
            failed = True
            continue
        click.echo(f"{car.vin}  {pad_number(car.number, reg.total)} / {reg.total}  {car.market}".rstrip())
    sys.exit(1 if failed else 0)


def _order_help() -> str:
    from ..inputs.orders import COLUMNS_HELP, ORDERS_HELP

    return (f"{ORDERS_HELP}\n\n{COLUMNS_HELP}\n\nExit status: 0 every line became a plaque, 3 some "
            "lines were refused (see the listing or rejects.csv), 1 a fatal problem (nothing made).")


OUT_OPT = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                       show_default=True, help="Folder that holds the batches and ledger.sqlite.")
LEDGER_OPT = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                          help="Ledger database (default: <out>/ledger.sqlite).")


def _orders_options(f):
    f = click.option("--sheet", help="Spreadsheet: the sheet to read (default: the first with a header).")(f)
    f = click.option("--column", "columns", multiple=True, metavar='FIELD="Header"',
                     help='Use this column for a field, e.g. --column vin="Fahrgestellnummer (FIN)".')(f)
    f = click.option("--encoding", help="Text encoding of a CSV when the guess is wrong (e.g. mac_roman).")(f)
    return f


def _read_options(sheet, columns, encoding) -> dict:
    """The reader options given (only those given: read_orders keeps its defaults)."""
    opts: dict = {}
    if sheet:
        opts["sheet"] = sheet
    if encoding:
        opts["encoding"] = encoding
    mapping = {}
    for item in columns:
        field, sep, header = item.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise click.BadParameter(f'{item!r} is not FIELD="Header"', param_hint="--column")
        mapping[field.strip().lower()] = header.strip().strip('"').strip("'")
    if mapping:
        opts["columns"] = mapping
    return opts


WORKERS_OPT = click.option("--workers", type=click.IntRange(1, 64), default=None,
                           help="Worker processes (default: the number of cores).")
FORMATS_OPT = click.option(
    "--formats", metavar="svg,dxf,lbrn2",
    help="Files for the shop besides the SVGs: dxf (plaques and sheets), lbrn2 (LightBurn "
         "project per sheet); default: the template's [output] formats.")


def _formats(text):
    from ..inputs.template import parse_formats

    return parse_formats(text) if text else None


def _echo_notes(notes) -> None:
    for note in notes:
        click.echo(f"Note: {note}")


@main.command(help="Dry run: read and number ORDERS, show what would be made and refused. "
                   "Writes nothing.\n\n" + _order_help())
@click.argument("orders", type=click.Path(path_type=Path, allow_dash=True))
@REGISTER_OPT
@TEMPLATE_OPT
@OUT_OPT
@click.option("--batch-id", help="The batch id the run would use (default: the orders file's name).")
@LEDGER_OPT
@click.option("--reprint", is_flag=True, help="As batch --reprint: cars issued before are not refused.")
@click.option("--replace", is_flag=True, help="As batch --replace.")
@_orders_options
def check(orders, register, template, out, batch_id, ledger, reprint, replace, sheet, columns,
          encoding) -> None:
    from ..pipeline.batch import BatchOptions, plan_batch
    from ..core.errors import EXIT_REFUSED
    from ..record.ledger import Ledger
    from ..core.records import pad_number
    from ..record.season import require_ledger

    opts = BatchOptions(orders=orders, out=out, batch_id=batch_id, register=register,
                        template=template, ledger=ledger, reprint=reprint, replace=replace,
                        proofs=False, read_options=_read_options(sheet, columns, encoding))
    ledger_path = ledger or out / "ledger.sqlite"
    require_ledger(out, ledger_path)
    if ledger_path.is_file():  # never create one in a dry run
        with Ledger(ledger_path) as led:
            plan = plan_batch(opts, led)
    else:
        plan = plan_batch(opts, None)
    total = plan.register.total
    width = len(str(total))
    click.echo(f"{'line':>5}  {'order':<12} {'VIN':<17}  {'number':<{2 * width + 3}}  market")
    for n in sorted(plan.numbered, key=lambda n: n.order.line):
        click.echo(f"{n.order.line:>5}  {_cut(n.order.order_id, 12):<12} {n.vin:<17}  "
                   f"{pad_number(n.number, n.total)} / {n.total}  {n.market}")
    if plan.rejects:
        click.echo("\nRefused:")
        for r in plan.rejects:
            click.echo(f"{r.line:>5}  {_cut(r.order_id, 12):<12} {_cut(r.vin, 17):<17}  {r.reason}")
    of = plan.orderfile
    click.echo(f"\n{of.lines_read} order lines: {len(plan.numbered)} accepted, "
               f"{len(plan.rejects)} refused.")
    _echo_notes(plan.notes)
    sys.exit(EXIT_REFUSED if plan.rejects else 0)


def _cut(text: str, n: int) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= n else text[: n - 1] + "…"


@main.command(help="Make a batch: engrave SVGs, sheets, proofs, job sheet, manifest and "
                   "rejects, recorded in the ledger.\n\n" + _order_help())
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
@_orders_options
def batch(orders, out, batch_id, register, template, ledger, reprint, replace, no_proofs,
          previews, workers, formats, sheet, columns, encoding) -> None:
    from ..pipeline.batch import BatchOptions, run_batch
    from ..core.errors import EXIT_REFUSED

    opts = BatchOptions(orders=orders, out=out, batch_id=batch_id, register=register,
                        template=template, ledger=ledger, reprint=reprint, replace=replace,
                        proofs=not no_proofs, previews=previews,
                        workers=workers or os.cpu_count() or 1, formats=_formats(formats),
                        read_options=_read_options(sheet, columns, encoding))
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
    _echo_notes(result.notes)
    click.echo(f"Time: {result.timings.get('total', 0):.1f} s")
    sys.exit(EXIT_REFUSED if result.rejects else 0)


@main.command()
@click.argument("vin")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG file to write (default: <number>_<vin>.png).")
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True)
@REGISTER_OPT
@TEMPLATE_OPT
def preview(vin, output, dpi, register, template) -> None:
    """Render one plaque to PNG for a quick look."""
    from ..record.folder import plaque_stem
    from ..art.compose import Composer
    from ..core.files import atomic_write_bytes
    from ..writers.png import svg_to_png
    from ..inputs.register import Refused
    from ..writers.svg import plaque_svg
    from ..inputs.template import load_template

    reg = _register(register)
    try:
        car = reg.lookup(vin)
    except Refused as e:
        raise click.ClickException(f"{_cut(vin, 40)}: {e.reason}") from None
    tpl = load_template(template)
    plaque = Composer.prepare(tpl).compose(car.vin, car.number, reg.total)
    target = output or Path(f"{plaque_stem(car.vin, car.number, reg.total)}.png")
    try:
        atomic_write_bytes(target, svg_to_png(plaque_svg(plaque, tpl), dpi=dpi))
    except OSError as e:
        raise click.ClickException(f"cannot write {target}: {e.strerror or e}.") from None
    click.echo(f"{plaque.label}  {car.vin} -> {target}")


def _find_vin(text: str, vins) -> list[str]:
    """Full VINs matching what was typed (full VIN or the 7-character short VIN)."""
    from ..inputs.vin import is_short_vin, normalize, short_vin

    want = normalize(text)
    if is_short_vin(want):
        return sorted({v for v in vins if short_vin(v) == want})
    return [want]


@main.command()
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
@click.option("--batch-id", help="Only this batch.")
@click.option("--vin", help="Only this car.")
@click.option("--rebuild", "rebuild", type=click.Path(file_okay=False, path_type=Path),
              help="Rebuild a lost ledger from the batch folders in this folder (e.g. output).")
def ledger(ledger, batch_id, vin, rebuild) -> None:
    """List the plaques issued (per batch, or one batch's or one car's), or rebuild the ledger."""
    from ..record.ledger import Ledger
    from ..record.season import rebuild_ledger

    if rebuild is not None:
        target = ledger if ledger != Path("output/ledger.sqlite") else rebuild / "ledger.sqlite"
        report = rebuild_ledger(rebuild, target)
        click.echo(f"Rebuilt {report.ledger}: {len(report.batches)} batch(es), {report.plaques} "
                   f"plaque(s), {report.events} history event(s).")
        for lost in report.lost:
            click.echo(f"Not recovered: {lost}.", err=True)
        sys.exit(4 if report.lost else 0)
    if not ledger.exists():
        raise click.ClickException(f"ledger {ledger} does not exist; no batch has been made with it.")
    with Ledger(ledger) as led:
        if batch_id or vin:
            issues = led.issues(batch_id=batch_id)
            if vin:
                wanted = set(_find_vin(vin, {i.vin for i in issues}))
                issues = [i for i in issues if i.vin in wanted]
            for i in issues:
                click.echo(f"{i.batch_id}  {i.number:>5}  {i.vin}  {i.order_id}  {i.issued_at}"
                           + ("  reprint" if i.reprint else "") + ("  TO BE MADE AGAIN" if i.stale else ""))
            click.echo(f"{len(issues)} plaque(s).")
        else:
            rows = led.batches()
            for b, count, first, last in rows:
                rec = led.batch_record(b)
                src = f"  from {rec.orders_path}" if rec else ""
                click.echo(f"{b}  {count} plaques  {first[:10]}..{last[:10]}{src}")
            click.echo(f"{len(rows)} batch(es).")


@main.command()
@click.argument("vin")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
def history(vin, ledger) -> None:
    """Every event of one car: issued, made again, answers, released, reprinted, sent."""
    from ..record.ledger import Ledger

    if not ledger.exists():
        raise click.ClickException(f"ledger {ledger} does not exist; no batch has been made with it.")
    with Ledger(ledger) as led:
        vins = _find_vin(vin, {i.vin for i in led.issues()})
        events = [e for v in vins for e in led.events(vin=v)]
    if not events:
        raise click.ClickException(f"the ledger {ledger} has no history for {_cut(vin, 20)}.")
    for e in sorted(events, key=lambda e: (e.at, e.vin)):
        what = e.kind
        if e.kind == "answer":
            what = f"answer: {e.decision}"
            if e.name:
                what += f" by {_cut(e.name, 40)}"
            if e.owner_at:
                what += f" (made {e.owner_at})"
            if e.changes:
                what += f": {_cut(e.changes.replace(chr(10), ' / '), 60)}"
            if e.source:
                what += f"  [{_cut(e.source, 60)}]"
        elif e.detail:
            what += f": {_cut(e.detail, 120)}"
        click.echo(f"{e.at}  {e.vin}  {e.batch_id:<12} No. {e.number or '-':<5} {what}")
    click.echo(f"{len(events)} event(s).")


@main.group()
def register() -> None:
    """The production register the ledger's numbers come from."""


@register.command("adopt")
@click.argument("register_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
@click.option("--yes", is_flag=True, help="Adopt it (without: only list what would change).")
def register_adopt(register_file, ledger, yes) -> None:
    """Adopt a corrected register: list every issued plaque whose number or total changes."""
    from ..record.ledger import Ledger
    from ..core.records import pad_number
    from ..record.season import adopt, renumbering

    reg = _register(register_file)
    if not ledger.exists():
        raise click.ClickException(f"ledger {ledger} does not exist; nothing to adopt a register for.")
    with Ledger(ledger) as led:
        moved = renumbering(led, reg)
        for issue, number, total in moved:
            new = "NOT IN THIS REGISTER" if number is None else f"{pad_number(number, total)} / {total}"
            click.echo(f"{issue.batch_id}  {issue.vin}  {pad_number(issue.number, issue.total or total)} "
                       f"/ {issue.total or '?'} -> {new}")
        if not yes:
            click.echo(f"{len(moved)} issued plaque(s) would change; run again with --yes to adopt "
                       f"{register_file}.")
            return
        adopt(led, reg)
    click.echo(f"Adopted {register_file}: {len(moved)} plaque(s) are marked to be made again; "
               "re-run their batches with --register " f"{register_file}.")


# ---------------------------------------------------------------------------
# The owners' answers: approvals, answer, release, status (see plaquegen/approvals.py).

BATCH_DIR_ARG = click.argument("batch_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
APPROVAL_LEDGER_OPT = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                                   help="Ledger database (default: BATCH_DIR/../ledger.sqlite).")


def _state_counts(states) -> str:
    from ..owners.approvals import APPROVED, CHANGES, WAITING, counts

    c = counts(states)
    return (f"{len(states)} plaque(s): {c[APPROVED]} approved, {c[CHANGES]} changes requested, "
            f"{c[WAITING]} waiting")


@main.command()
@BATCH_DIR_ARG
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, path_type=Path))
@APPROVAL_LEDGER_OPT
@click.option("--imap", "imap_url", metavar="imaps://HOST[:PORT]/FOLDER",
              help="Also read the replies in this mailbox (IMAP over TLS; only messages not "
                   "processed before; marked processed afterwards).")
@click.option("--imap-user", help="IMAP login; the password comes from $PLAQUEGEN_IMAP_PASSWORD.")
@click.option("--ca-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also trust this CA certificate (a server with its own certificate).")
def approvals(batch_dir, inputs, ledger, imap_url, imap_user, ca_file) -> None:
    """Read the owners' answers and record them.

    INPUTS: returned proofs as PDF files, folders (recursively), .zip, .eml or .mbox files.
    Every file is accounted for: recorded, refused with the reason, or not a proof.
    Writes BATCH_DIR/approvals.csv. Exit 3 if any file was refused, 4 if an answer took a
    released plaque back (released/ is rebuilt at once without it).
    """
    from ..owners.approvals import REFUSED, record_approvals
    from ..core.errors import EXIT_ATTENTION, EXIT_REFUSED
    from ..owners.inbox import imap_fetch, imap_mark_done

    if not inputs and not imap_url:
        raise click.UsageError("give the returned files or folders, or --imap URL.")
    fetched = imap_fetch(imap_url, user=imap_user, ca_file=ca_file) if imap_url else None
    if fetched is not None and fetched.note:
        click.echo(f"Note: {fetched.note}")
    if not inputs and fetched is not None and not fetched.items:
        click.echo(f"No new answers in {_cut(imap_url, 80)}.")
        return
    result = record_approvals(batch_dir, inputs, ledger, fetched.items if fetched else ())
    if fetched is not None and fetched.items:
        marked = imap_mark_done(fetched.handle, ca_file=ca_file)
        click.echo(f"{marked} message(s) in {_cut(imap_url, 80)} marked as processed.")
    refused = 0
    for a in result.answers:
        # Everything here comes from files owners sent back: printable characters only.
        who = _cut(f"{a.label or a.number}  {a.vin}", 40) if a.vin else "-"
        name = _cut(str(a.file), 80)
        if a.outcome == REFUSED:
            refused += 1
            click.echo(f"{name}: REFUSED ({who}): {_cut(a.reason, 300)}.", err=True)
            continue
        if not a.vin:
            click.echo(f"{name}: {a.outcome}: {_cut(a.reason, 200)}")
            continue
        extra = f": {_cut(a.changes.replace(chr(10), ' / '), 60)}" if a.changes else ""
        by = f" by {_cut(a.name, 60)}" if a.name else ""
        date = f" on {_cut(a.date, 30)}" if a.date else ""
        click.echo(f"{name}: {who}  {a.outcome}{by}{date}{extra}"
                   + (f"  [{_cut(a.note, 200)}]" if a.note else ""))
    for c in result.conflicts:
        click.echo(f"CONFLICT {_cut(c, 400)}.", err=True)
    click.echo(f"\n{len(result.answers)} file(s) read: {result.recorded} answer(s) recorded, "
               f"{refused} refused.")
    click.echo(f"Batch {result.batch_id}: {_state_counts(result.states)}.")
    click.echo(f"Written: {result.csv}")
    if result.withdrawn:
        click.echo(f"ATTENTION: {len(result.withdrawn)} plaque(s) are no longer approved and were "
                   f"taken out of {result.folder / 'released'} ({', '.join(result.withdrawn)}); "
                   "tell the shop before it engraves.", err=True)
        sys.exit(EXIT_ATTENTION)
    sys.exit(EXIT_REFUSED if refused else 0)


@main.command()
@BATCH_DIR_ARG
@APPROVAL_LEDGER_OPT
@click.option("--from", "sender", envvar="PLAQUEGEN_FROM", required=True,
              help="Sender address (or $PLAQUEGEN_FROM).")
@click.option("--from-name", default="", help="Sender name shown to owners.")
@click.option("--smtp", metavar="HOST[:PORT]",
              help="Send through this server (STARTTLS when offered). Without it: write "
                   "BATCH_DIR/outbox/*.eml and send nothing.")
@click.option("--smtp-ssl", is_flag=True, help="Implicit TLS (port 465) instead of STARTTLS.")
@click.option("--smtp-user", help="SMTP login; the password comes from $PLAQUEGEN_SMTP_PASSWORD.")
@click.option("--ca-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also trust this CA certificate.")
@click.option("--again", multiple=True, metavar="VIN", help="Send this plaque's proof again.")
@click.option("--remind", is_flag=True, help="Remind the owners who have not answered.")
@click.option("--after", "after_days", type=click.FloatRange(0), default=7.0, show_default=True,
              help="With --remind: days since the proof was sent.")
def send(batch_dir, ledger, sender, from_name, smtp, smtp_ssl, smtp_user, ca_file, again, remind,
         after_days) -> None:
    """Mail each owner their proof (or a reminder), in their language.

    A re-run sends only what was not sent yet. Exit 3 if a message could not be sent or
    an order has no address (listed as "deliver by hand").
    """
    from ..core.errors import EXIT_REFUSED
    from ..owners.send import send_proofs

    report = send_proofs(batch_dir, sender=sender, sender_name=from_name, ledger=ledger,
                         smtp=smtp, ssl=smtp_ssl, user=smtp_user, again=again, remind=remind,
                         after_days=after_days, ca_file=str(ca_file) if ca_file else None)
    what = "reminder(s)" if remind else "proof(s)"
    for vin, to, mid in report.sent:
        click.echo(f"sent {vin} -> {_cut(to, 60)}  {_cut(mid, 80)}")
    for path in report.written:
        click.echo(f"written {path}")
    for vin, to, reason in report.failed:
        click.echo(f"FAILED {vin} -> {_cut(to, 60)}: {_cut(reason, 200)}", err=True)
    for vin, why in report.by_hand:
        click.echo(f"deliver by hand: {vin}: {_cut(why, 200)}", err=True)
    if smtp:
        click.echo(f"\nBatch {report.batch_id}: {len(report.sent)} {what} sent, "
                   f"{len(report.failed)} failed, {len(report.by_hand)} to deliver by hand, "
                   f"{report.skipped} not due.")
    else:
        click.echo(f"\nBatch {report.batch_id}: {len(report.written)} {what} written to the "
                   f"outbox (nothing sent), {len(report.by_hand)} to deliver by hand, "
                   f"{report.skipped} not due.")
    sys.exit(EXIT_REFUSED if report.failed or report.by_hand else 0)


@main.command()
@BATCH_DIR_ARG
@click.argument("vin")
@click.argument("decision", type=click.Choice(["approve", "changes"]))
@click.argument("changes", required=False, default="")
@click.option("--by", required=True, help='How the answer came, e.g. "phone, 14 Sept".')
@click.option("--name", default="", help="The owner's name as they gave it.")
@APPROVAL_LEDGER_OPT
def answer(batch_dir, vin, decision, changes, by, name, ledger) -> None:
    """Record an answer given by phone, in a reply e-mail or on paper."""
    from ..owners.approvals import APPROVED, CHANGES, record_by_hand

    s = record_by_hand(batch_dir, vin.upper(), APPROVED if decision == "approve" else CHANGES,
                       changes, by, ledger, name)
    click.echo(f"{s.label}  {s.vin}: {s.state} (recorded by hand: {_cut(by, 60)}).")


@main.command()
@BATCH_DIR_ARG
@APPROVAL_LEDGER_OPT
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="Template for the shop's jig (default: the batch's own kept template).")
@FORMATS_OPT
@WORKERS_OPT
def release(batch_dir, ledger, template, formats, workers) -> None:
    """Lay out only the approved plaques in BATCH_DIR/released/ for the shop.

    Exit 4 if an approved plaque was held back because its files no longer match.
    """
    from ..pipeline.release import release as do_release
    from ..core.errors import EXIT_ATTENTION

    result = do_release(batch_dir, ledger, template, _formats(formats),
                        workers or os.cpu_count() or 1)
    for s, reason in result.refused:
        click.echo(f"HELD BACK {s.label}  {s.vin}: {reason}.", err=True)
    summary = _state_counts(result.states)
    if not result.released:
        gone = " (the old released/ folder was removed)" if result.removed_stale else ""
        raise click.ClickException(f"Nothing released from batch {result.batch_id}{gone}: {summary}.")
    click.echo(f"Released {len(result.released)} approved plaque(s) of batch {result.batch_id} on "
               f"{result.sheets} sheet(s); {summary}.")
    click.echo(f"For the shop: {result.folder}/  (sheets/, engrave/, job-sheet.pdf, manifest.csv)")
    sys.exit(EXIT_ATTENTION if result.refused else 0)


@main.command()
@BATCH_DIR_ARG
@APPROVAL_LEDGER_OPT
def status(batch_dir, ledger) -> None:
    """Show where each plaque of BATCH_DIR stands: approved, changes requested or waiting."""
    from ..record.states import batch_status

    result = batch_status(batch_dir, ledger)
    click.echo(f"{'number':<13} {'VIN':<17}  {'order':<12} {'state':<18} {'released':<8}  "
               f"{'by':<18} {'owner date':<10}  {'read':<10}  changes")
    for s in result.states:
        state = s.state if not s.earlier else f"{s.state} ({s.earlier})"
        click.echo(f"{s.label:<13} {s.vin:<17}  {_cut(s.order_id, 12):<12} {state:<18} "
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
