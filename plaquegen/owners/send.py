"""The owners' loop, outgoing: who gets which proof or reminder, and what was sent.

:func:`send_proofs` builds one message per plaque of a batch (proof attached, in the owner's
language, from ``owners.csv``) for every owner not sent to yet (or named in ``again``); with no
SMTP server it writes them to ``<batch>/outbox/*.eml`` and records nothing, with one it sends
them and records each accepted message (Message-ID, time) in the ledger's history. Reminders go
to owners who were sent their proof at least ``after_days`` ago and have not answered.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Sequence

from ..record.states import WAITING, open_batch_and_ledger, plaque_states
from ..record.folder import OUTBOX, ManifestRow, read_inside, read_owners, write_history
from ..core.clock import parse_utc, utc_now
from ..core.errors import Interrupted, Outcome, PlaquegenError
from ..record.ledger import Ledger
from ..record.rows import Event
from .mailhtml import plaque_png
from .outgoing import MailError, build_message, mail_language, send_messages, write_outbox
from .tokens import APPROVE, CHANGES, make_token, secret_for

__all__ = ["SendReport", "send_proofs"]


@dataclass(frozen=True)
class SendReport:
    batch_id: str
    sent: list[tuple[str, str, str]] = field(default_factory=list)      # (vin, to, message id)
    written: list[Path] = field(default_factory=list)                  # outbox files
    by_hand: list[tuple[str, str]] = field(default_factory=list)       # (vin, why)
    failed: list[tuple[str, str, str]] = field(default_factory=list)   # (vin, to, server's reason)
    skipped: int = 0                                                   # already sent / answered
    uncertain: list[tuple[str, str, str]] = field(default_factory=list)  # (vin, to, why): may have arrived

    @property
    def outcome(self) -> Outcome:
        if self.uncertain:
            return Outcome.ATTENTION
        return Outcome.REFUSED if self.failed or self.by_hand else Outcome.DONE


def send_proofs(folder: str | os.PathLike, *, sender: str, ledger: str | os.PathLike | None = None,
                smtp: str | None = None, ssl: bool = False, user: str | None = None,
                again: Sequence[str] = (), remind: bool = False, after_days: float = 7.0,
                ca_file: str | None = None, sender_name: str = "",
                reply_to: str | None = None) -> SendReport:
    """Send (or write to the outbox) the proofs or reminders of a batch; see the module doc."""
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    with Ledger(ledger_path) as led:
        issues = {i.vin: i for i in led.issues(batch_id=batch.batch_id)}
        events = led.events(batch_id=batch.batch_id)
    chosen, skipped = _due(batch, issues, events, again, remind, after_days)
    messages, by_hand = _messages(batch, chosen, ledger_path, sender=sender, sender_name=sender_name,
                                  remind=remind, reply_to=reply_to)
    if smtp is None:
        written = write_outbox(batch.folder / OUTBOX, messages) if messages else []
        return SendReport(batch.batch_id, written=written, by_hand=by_hand, skipped=skipped)
    results = _deliver(batch, issues, ledger_path, messages, "reminded" if remind else "sent",
                       smtp=smtp, ssl=ssl, user=user, ca_file=ca_file)
    return SendReport(batch.batch_id, sent=[(r.vin, r.to, r.message_id) for r in results if r.ok],
                      by_hand=by_hand,
                      failed=[(r.vin, r.to, r.reason) for r in results if not r.ok and not r.uncertain],
                      skipped=skipped,
                      uncertain=[(r.vin, r.to, r.reason) for r in results if r.uncertain])


def _due(batch, issues: dict, events: list, again: Sequence[str], remind: bool,
         after_days: float) -> tuple[list[ManifestRow], int]:
    """The rows to mail now, and how many are not due."""
    states = {s.vin: s for s in plaque_states(batch, issues, events)}
    # Sends count per version: a plaque made again (other artwork) is due for its new proof,
    # and is never reminded about an answer to a proof it was not sent.
    last_sent: dict[str, str] = {}
    for e in events:
        if e.kind in ("sent", "reminded") and e.vin in issues and e.svg_sha256 == issues[e.vin].svg_sha256:
            last_sent[e.vin] = e.at
    wanted = {v.upper() for v in again}
    unknown = sorted(v for v in wanted if batch.row(v) is None and
                     not any(r.vin.endswith(v) for r in batch.rows if len(v) == 7))
    if unknown:
        raise PlaquegenError(f"--again names {unknown[0]}, which is not in batch {batch.batch_id}.")
    cutoff = parse_utc(utc_now()) - timedelta(days=after_days)
    chosen: list[ManifestRow] = []
    skipped = 0
    for row in batch.rows:
        named = row.vin in wanted or row.vin[-7:] in wanted
        if remind:
            sent = last_sent.get(row.vin)
            due = (sent is not None and parse_utc(sent) <= cutoff
                   and states[row.vin].state == WAITING)
            if not (due or named):
                skipped += 1
                continue
        elif row.vin in last_sent and not named:
            skipped += 1
            continue
        chosen.append(row)
    return chosen, skipped


def _messages(batch, chosen: list[ManifestRow], ledger_path, *, sender: str, sender_name: str,
              remind: bool, reply_to: str | None) -> tuple[list, list[tuple[str, str]]]:
    """One message per chosen plaque, and those to deliver by hand (with why)."""
    owners = read_owners(batch.folder)
    messages, by_hand = [], []
    secret = secret_for(ledger_path)
    for row in chosen:
        owner = owners.get(row.vin, {})
        to = owner.get("email", "").strip()
        if not to:
            by_hand.append((row.vin, "the order has no e-mail address"))
            continue
        proof = read_inside(batch.folder, row.proof) if row.proof else None
        if proof is None:
            by_hand.append((row.vin, "the batch has no proof for it (made with --no-proofs?)"))
            continue
        try:
            tokens, png = _answer_extras(batch, row, secret)
            messages.append(build_message(
                to=to, sender=sender, sender_name=sender_name,
                language=mail_language(owner.get("language"), owner.get("country")),
                owner_name=owner.get("name", ""), plaque_label=row.label, vin=row.vin,
                batch_id=batch.batch_id, proof_name=Path(row.proof).name, proof_bytes=proof,
                reminder=remind, reply_to=reply_to, answer_tokens=tokens, plaque_png=png))
        except MailError as e:
            by_hand.append((row.vin, str(e)))
    return messages, by_hand


def _deliver(batch, issues: dict, ledger_path, messages: list, kind: str, *, smtp: str, ssl: bool,
             user: str | None, ca_file: str | None) -> list:
    """Send over SMTP, recording each accepted (or maybe delivered) message at once."""
    host, _, port = smtp.rpartition(":") if ":" in smtp else (smtp, "", "")
    with Ledger(ledger_path) as led:
        recorded: list = []

        def record(r) -> None:
            """Each message the server accepted (or may have) is recorded at once, before the
            next is sent: a Ctrl-C, a kill or a dropped line never makes a re-run mail twice."""
            if r.ok or r.uncertain:
                detail = r.message_id if r.ok else f"{r.message_id} UNCERTAIN: {r.reason}"
                led.add_events([Event(r.sent_at, r.vin, batch.batch_id, kind,
                                      issues[r.vin].svg_sha256 if r.vin in issues else "",
                                      batch.row(r.vin).number, source=r.to, detail=detail)])
                recorded.append(r)

        try:
            results = send_messages(messages, host=host or smtp, port=int(port) if port else None,
                                    ssl=ssl, user=user, ca_file=ca_file, on_result=record)
        except KeyboardInterrupt:
            write_history(batch.folder, led.events(batch_id=batch.batch_id))
            raise Interrupted(f"sending was interrupted after {len(recorded)} of {len(messages)} "
                              f"message(s); those are recorded as {kind}, so running the same "
                              "command again sends only the rest.") from None
        write_history(batch.folder, led.events(batch_id=batch.batch_id))
    return results


def _answer_extras(batch, row: ManifestRow, secret: bytes) -> tuple[tuple[str, str], bytes | None]:
    """The two answer tokens for this plaque's version, and its plaque PNG (None without
    its engrave file)."""
    tokens = (make_token(secret, row.vin, row.svg_sha256, APPROVE),
              make_token(secret, row.vin, row.svg_sha256, CHANGES))
    svg = read_inside(batch.folder, row.svg) if row.svg else None
    return tokens, plaque_png(svg) if svg else None
