"""The record over a season: the ledger, a car's history, adopting a corrected register."""
from __future__ import annotations

from pathlib import Path

import click

from .exits import exit_with
from .handover import refreshes_pages
from .options import cut, find_vin, load_register_option, writing

__all__ = ["ledger", "history", "register"]


@click.command()
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
@click.option("--batch-id", help="Only this batch.")
@click.option("--vin", help="Only this car.")
@click.option("--rebuild", "rebuild", type=click.Path(file_okay=False, path_type=Path),
              help="Rebuild a lost ledger from the batch folders in this folder (e.g. output).")
@click.option("--restore", "restore", is_flag=False, flag_value="", default=None, metavar="[FILE]",
              help="Put back the newest good backup (or FILE) as the ledger; the file it replaces "
                   "is kept as LEDGER.damaged-TIME.")
@click.option("--yes", is_flag=True, help="With --restore: replace even a healthy ledger.")
def ledger(ledger, batch_id, vin, rebuild, restore, yes) -> None:
    """List the plaques issued (per batch, or one batch's or one car's), rebuild the ledger, or
    restore it from a backup."""
    from ..record.ledger import open_ledger
    from ..record.season import rebuild_ledger

    if restore is not None:
        _restore(ledger, restore or None, yes)
        return
    if rebuild is not None:
        target = ledger if ledger != Path("output/ledger.sqlite") else rebuild / "ledger.sqlite"
        with writing("ledger --rebuild", target):
            report = rebuild_ledger(rebuild, target)
        click.echo(f"Rebuilt {report.ledger}: {len(report.batches)} batch(es), {report.plaques} "
                   f"plaque(s), {report.events} history event(s).")
        for lost in report.lost:
            click.echo(f"Not recovered: {lost}.", err=True)
        exit_with(report.outcome)
    with open_ledger(ledger, readonly=True) as led:
        if batch_id or vin:
            issues = led.issues(batch_id=batch_id)
            if vin:
                wanted = set(find_vin(vin, {i.vin for i in issues}))
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
            _season_summary(ledger)


def _season_summary(ledger: Path) -> None:
    """Per batch: how many plaques were made, sent, approved, ... (the season page's table)."""
    from ..core.overview import SUMMARY_COLUMNS
    from ..record.season_view import load_season

    batches = load_season(ledger.parent, ledger).batches
    click.echo(f"\nSeason: {'batch':<20}" + "".join(f"{c:>10}" for c in SUMMARY_COLUMNS))
    for b in batches:
        click.echo(f"        {cut(b.batch_id, 20):<20}" + "".join(f"{getattr(b, c):>10}"
                                                             for c in SUMMARY_COLUMNS))
    if len(batches) > 1:
        click.echo(f"        {'all':<20}" + "".join(f"{sum(getattr(b, c) for b in batches):>10}"
                                                  for c in SUMMARY_COLUMNS))


def _restore(ledger: Path, source: str | None, yes: bool) -> None:
    from ..record.health import restore_backup

    with writing("ledger --restore", ledger):
        used, kept, seen = restore_backup(ledger, source, replace_healthy=yes)
    click.echo(f"Restored {ledger} from {used}: {seen.batches} batch(es), {seen.plaques} plaque(s).")
    if kept is not None:
        click.echo(f"The file it replaced is kept as {kept}.")
    click.echo("Work done after that backup was made is not in it: run 'plaquegen ledger' to see "
               "what it holds, and re-run any later batch or answer.")


@click.command()
@click.argument("vin")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
def history(vin, ledger) -> None:
    """Every event of one car: issued, made again, answers, released, reprinted, sent."""
    from ..record.ledger import open_ledger

    with open_ledger(ledger, readonly=True) as led:
        vins = find_vin(vin, {i.vin for i in led.issues()})
        events = [e for v in vins for e in led.events(vin=v)]
    if not events:
        raise click.ClickException(f"the ledger {ledger} has no history for {cut(vin, 20)}.")
    for e in sorted(events, key=lambda e: (e.at, e.vin)):
        what = e.kind
        if e.kind == "answer":
            what = f"answer: {e.decision}"
            if e.name:
                what += f" by {cut(e.name, 40)}"
            if e.owner_at:
                what += f" (made {e.owner_at})"
            if e.changes:
                what += f": {cut(e.changes.replace(chr(10), ' / '), 60)}"
            if e.source:
                what += f"  [{cut(e.source, 60)}]"
        elif e.detail:
            what += f": {cut(e.detail, 120)}"
        click.echo(f"{e.at}  {e.vin}  {e.batch_id:<12} No. {e.number or '-':<5} {what}")
    click.echo(f"{len(events)} event(s).")


@click.group()
def register() -> None:
    """The production register the ledger's numbers come from."""


@register.command("adopt")
@click.argument("register_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("output/ledger.sqlite"), show_default=True)
@click.option("--yes", is_flag=True, help="Adopt it (without: only list what would change).")
@refreshes_pages
def register_adopt(register_file, ledger, yes) -> None:
    """Adopt a corrected register: list every issued plaque whose number or total changes."""
    from ..record.ledger import open_ledger
    from ..core.records import pad_number
    from ..record.season import adopt, renumbering

    reg = load_register_option(register_file)
    if not ledger.exists():
        raise click.ClickException(f"ledger {ledger} does not exist; nothing to adopt a register for.")
    with writing("register adopt", ledger), open_ledger(ledger, readonly=not yes) as led:
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
