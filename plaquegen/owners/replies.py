"""Replies read as answers: a mail without a PDF, matched to the plaque it answers.

:func:`read_reply` turns the item of such a mail into an :class:`~.approvals.Answer`, or
None when it is no reply to a proof (it stays "not a proof"):

* a reply carrying an answer token (the Approve / Request changes buttons,
  :mod:`plaquegen.owners.tokens`) in its subject or in the owner's own text (never in the
  quoted original) records that answer for the version the token names: "changes" with the
  words the owner typed (:mod:`plaquegen.owners.replytext`). A token that is not genuine for
  its plaque and version, or tokens of two answers or two plaques, is refused with the
  reason. A genuine token for a version since re-made is recorded for that older version
  (the status then says "approved an earlier version", as for forms).
* a reply without a token but matched to a proof mail (In-Reply-To / References = a
  Message-ID recorded at send, or the VIN in the subject) is never guessed: it is
  :data:`NEEDS_LOOK` with the owner's own words and the exact ``plaquegen answer`` line
  that records it.

``source_sha256`` of a reply is the sha256 of its Message-ID and text, so the same mail
read twice is recognised (and recorded once).
"""
from __future__ import annotations

import hashlib
import re
import shlex
from email.utils import parseaddr
from pathlib import Path
from typing import Sequence

from ..record.folder import BatchFolder
from ..record.rows import Event, Issue
from ..record.states import APPROVED, CHANGES
from .inbox import Item
from .items import NEEDS_LOOK
from .mailhtml import BUTTONS
from .replytext import pre_pass, words_of
from .tokens import APPROVE, check_token, find_tokens

__all__ = ["read_reply", "NEEDS_LOOK"]

_VIN = re.compile(r"\b([A-HJ-NPR-Z0-9]{17})\b")
_PREFILLED = {" ".join(B["changes_body"].split()) for B in BUTTONS.values()}


def read_reply(batch: BatchFolder, item: Item, issues: dict[str, Issue], events: Sequence[Event],
               secret: bytes, answer_type):
    """The answer a reply mail gives (see the module doc), or None when it is no reply."""
    info = item.mail
    if info is None or not (info.body or info.subject):
        return None
    tokens = find_tokens(info.subject) or find_tokens(pre_pass(info.body))
    if tokens:
        return _token_answer(batch, item, issues, events, secret, tokens, answer_type)
    row = _matched(batch, info, events)
    if row is None:
        return None
    name, addr = parseaddr(info.sender)
    words = words_of(info.body, name)
    by = f"reply from {addr or 'unknown'}" + (f", {info.date[:10]}" if info.date else "")
    d, v = shlex.quote(str(batch.folder)), row.vin
    said = f"\u201c{words}\u201d" if words else "no words of their own"
    return answer_type(Path(item.name), NEEDS_LOOK, vin=row.vin, number=row.number, label=row.label,
                       changes=words, reason=(
                           f"a reply without an answer button from {addr or 'unknown'} to the proof "
                           f"of No. {row.label} ({row.vin}), saying {said}: nothing recorded; record "
                           f"it with: plaquegen answer {d} {v} approve --by {shlex.quote(by)}  or: "
                           f"plaquegen answer {d} {v} changes {shlex.quote(words or 'TEXT')} "
                           f"--by {shlex.quote(by)}"))


def _matched(batch: BatchFolder, info, events: Sequence[Event]):
    """The manifest row a token-less reply answers: by the Message-ID recorded at send, else
    by a VIN of the batch in the subject; None otherwise."""
    sent = {}
    for e in events:
        if e.kind in ("sent", "reminded") and e.detail:
            sent[e.detail.split()[0]] = e.vin
    for mid in (info.in_reply_to, *reversed(info.references)):
        if mid and mid.strip() in sent:
            return batch.row(sent[mid.strip()])
    for vin in _VIN.findall(info.subject.upper()):
        if batch.row(vin) is not None:
            return batch.row(vin)
    return None


def _token_answer(batch, item: Item, issues, events, secret: bytes, tokens, answer_type):
    info = item.mail
    path = Path(item.name)
    name, addr = parseaddr(info.sender)
    src = hashlib.sha256(f"{info.message_id}\n{info.subject}\n{info.body}".encode("utf-8",
                                                                               "replace")).hexdigest()
    tok = tokens[0]
    row = batch.row(tok.vin)
    who = dict(vin=row.vin, number=row.number, label=row.label) if row else {}

    def refuse(reason: str):
        return answer_type(path, "refused", reason=reason, **who)

    if len({t.answer for t in tokens}) > 1 or len({t.vin for t in tokens}) > 1:
        return refuse("the reply holds the answer tokens of two different answers or plaques: "
                      "nothing recorded; ask the owner which they mean")
    if row is None:
        return refuse(f"the answer token names VIN {tok.vin}, which is not in batch {batch.batch_id}")
    issue = issues.get(row.vin)
    if issue is None:
        return refuse(f"VIN {row.vin} of batch {batch.batch_id} is not in the ledger")
    sha, note = issue.svg_sha256, ""
    if not check_token(secret, tok, sha):
        older = sorted({e.svg_sha256 for e in events if e.vin == row.vin and e.svg_sha256} - {sha})
        sha = next((s for s in older if check_token(secret, tok, s)), "")
        if not sha:
            return refuse(f"the answer token is not genuine for No. {row.label} ({row.vin}): forged, "
                          "or moved from another plaque or version; nothing recorded")
        note = "answers an earlier version of this plaque (made again since): recorded for that version"
    decision = APPROVED if tok.answer == APPROVE else CHANGES
    words = _typed(info.body, name) if decision == CHANGES else ""
    if decision == CHANGES and not words:
        return answer_type(path, NEEDS_LOOK, reason=(
            f"{addr or 'the owner'} pressed Request changes for No. {row.label} but wrote no "
            "change: nothing recorded; ask them what should change"), **who)
    return answer_type(path, decision, changes=words, name=name, owner_at=item.made_at,
                       source_sha256=src, note=note, via=f"button, from {addr or 'unknown'}",
                       svg_sha256=sha if note else "", **who)


def _typed(body: str, sender_name: str) -> str:
    """The owner's words in a Request changes reply: the token line and the prefilled
    sentence taken out."""
    keep = [ln for ln in body.replace("\r\n", "\n").split("\n") if "PQ1-" not in ln]
    words = words_of("\n".join(keep), sender_name)
    lines = [ln for ln in words.split("\n") if " ".join(ln.split()) not in _PREFILLED]
    return "\n".join(lines).strip()
