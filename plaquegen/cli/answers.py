"""The owners' loop: send proofs, read and record answers, status, release to the shop."""
from __future__ import annotations

import os
from pathlib import Path

import click

from .exits import exit_with
from .options import APPROVAL_LEDGER_OPT, BATCH_DIR_ARG, FORMATS_OPT, WORKERS_OPT, cut, formats_option, state_counts

__all__ = ["approvals", "send", "answer", "release", "status"]


@click.command()
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
    from ..owners.answers import Mailbox, read_answers
    from ..owners.approvals import REFUSED

    if not inputs and not imap_url:
        raise click.UsageError("give the returned files or folders, or --imap URL.")
    mailbox = Mailbox(imap_url, imap_user, ca_file) if imap_url else None
    done = read_answers(batch_dir, inputs, ledger, mailbox)
    if done.mailbox_note:
        click.echo(f"Note: {done.mailbox_note}")
    result = done.result
    if result is None:
        click.echo(f"No new answers in {cut(imap_url, 80)}.")
        return
    if done.marked:
        click.echo(f"{done.marked} message(s) in {cut(imap_url, 80)} marked as processed.")
    for a in result.answers:
        # Everything here comes from files owners sent back: printable characters only.
        who = cut(f"{a.label or a.number}  {a.vin}", 40) if a.vin else "-"
        name = cut(str(a.file), 80)
        if a.outcome == REFUSED:
            click.echo(f"{name}: REFUSED ({who}): {cut(a.reason, 300)}.", err=True)
            continue
        if not a.vin:
            click.echo(f"{name}: {a.outcome}: {cut(a.reason, 200)}")
            continue
        extra = f": {cut(a.changes.replace(chr(10), ' / '), 60)}" if a.changes else ""
        by = f" by {cut(a.name, 60)}" if a.name else ""
        date = f" on {cut(a.date, 30)}" if a.date else ""
        click.echo(f"{name}: {who}  {a.outcome}{by}{date}{extra}"
                   + (f"  [{cut(a.note, 200)}]" if a.note else ""))
    for c in result.conflicts:
        click.echo(f"CONFLICT {cut(c, 400)}.", err=True)
    click.echo(f"\n{len(result.answers)} file(s) read: {result.recorded} answer(s) recorded, "
               f"{result.refused} refused.")
    click.echo(f"Batch {result.batch_id}: {state_counts(result.states)}.")
    click.echo(f"Written: {result.csv}")
    if result.withdrawn:
        click.echo(f"ATTENTION: {len(result.withdrawn)} plaque(s) are no longer approved and were "
                   f"taken out of {result.folder / 'released'} ({', '.join(result.withdrawn)}); "
                   "tell the shop before it engraves.", err=True)
    exit_with(result.outcome)


@click.command()
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
    from ..owners.send import send_proofs

    report = send_proofs(batch_dir, sender=sender, sender_name=from_name, ledger=ledger,
                         smtp=smtp, ssl=smtp_ssl, user=smtp_user, again=again, remind=remind,
                         after_days=after_days, ca_file=str(ca_file) if ca_file else None)
    what = "reminder(s)" if remind else "proof(s)"
    for vin, to, mid in report.sent:
        click.echo(f"sent {vin} -> {cut(to, 60)}  {cut(mid, 80)}")
    for path in report.written:
        click.echo(f"written {path}")
    for vin, to, reason in report.failed:
        click.echo(f"FAILED {vin} -> {cut(to, 60)}: {cut(reason, 200)}", err=True)
    for vin, to, reason in report.uncertain:
        click.echo(f"UNCERTAIN {vin} -> {cut(to, 60)}: {cut(reason, 200)}; recorded as sent: if the "
                   f"owner has not got it, send it again with --again {vin}.", err=True)
    for vin, why in report.by_hand:
        click.echo(f"deliver by hand: {vin}: {cut(why, 200)}", err=True)
    if smtp:
        click.echo(f"\nBatch {report.batch_id}: {len(report.sent)} {what} sent, "
                   f"{len(report.failed)} failed, {len(report.by_hand)} to deliver by hand, "
                   f"{report.skipped} not due.")
    else:
        click.echo(f"\nBatch {report.batch_id}: {len(report.written)} {what} written to the "
                   f"outbox (nothing sent), {len(report.by_hand)} to deliver by hand, "
                   f"{report.skipped} not due.")
    exit_with(report.outcome)


@click.command()
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
    click.echo(f"{s.label}  {s.vin}: {s.state} (recorded by hand: {cut(by, 60)}).")


@click.command()
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

    result = do_release(batch_dir, ledger, template, formats_option(formats),
                        workers or os.cpu_count() or 1)
    for s, reason in result.refused:
        click.echo(f"HELD BACK {s.label}  {s.vin}: {reason}.", err=True)
    summary = state_counts(result.states)
    if not result.released:
        gone = " (the old released/ folder was removed)" if result.removed_stale else ""
        raise click.ClickException(f"Nothing released from batch {result.batch_id}{gone}: {summary}.")
    click.echo(f"Released {len(result.released)} approved plaque(s) of batch {result.batch_id} on "
               f"{result.sheets} sheet(s); {summary}.")
    click.echo(f"For the shop: {result.folder}/  (sheets/, engrave/, job-sheet.pdf, manifest.csv)")
    exit_with(result.outcome)


@click.command()
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
        click.echo(f"{s.label:<13} {s.vin:<17}  {cut(s.order_id, 12):<12} {state:<18} "
                   f"{'yes' if s.released else '-':<8}  {cut(s.name, 18):<18} "
                   f"{cut(s.date, 10):<10}  {s.read_at[:10]:<10}  "
                   f"{cut(s.changes.replace(chr(10), ' / '), 50)}".rstrip())
    click.echo(f"\nBatch {result.batch_id}: {state_counts(result.states)}; "
               f"{sum(s.released for s in result.states)} released.")
    if result.stale_release:
        click.echo(f"released/ is out of date ({len(result.stale_release)} plaque(s) there are no "
                   "longer approved): run plaquegen release again.", err=True)
