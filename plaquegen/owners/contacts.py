"""For each plaque of a batch: when its proof was sent and reminded, who answered, how
(button, form, reply, by hand) and from which address; read from the ledger's history.

:func:`contacts` maps VIN -> :class:`Contact` (only plaques with any of it). ``how`` is
"button", "form" or "by hand: <what the admin typed>"; ``address`` the sender of the
answering mail when known.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..record.ledger import open_ledger
from ..record.states import open_batch_and_ledger

__all__ = ["Contact", "contacts", "how_answered"]


@dataclass(frozen=True)
class Contact:
    sent_at: str = ""       # the latest proof mail of the current version (ISO UTC)
    sent_to: str = ""
    reminded_at: str = ""   # the latest reminder
    answered_by: str = ""   # the owner's name as given
    how: str = ""           # button | form | by hand: ...
    address: str = ""       # the mail it came from


def how_answered(source: str) -> tuple[str, str]:
    """(how, address) of an answer event's source."""
    s = source or ""
    if s.startswith("by hand:"):
        return s, ""
    m = re.match(r"^(button|form|reply), from (\S+)", s)
    if m:
        return m.group(1), m.group(2)
    return ("form" if s else ""), ""


def contacts(folder: str | os.PathLike, ledger: str | os.PathLike | None = None) -> dict[str, Contact]:
    """VIN -> Contact for the plaques of the batch in ``folder``."""
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    with open_ledger(ledger_path, readonly=True) as led:
        events = led.events(batch_id=batch.batch_id)
    out: dict[str, dict] = {}
    for e in events:
        c = out.setdefault(e.vin, {})
        if e.kind == "sent":
            c.update(sent_at=e.at, sent_to=e.source or "")
        elif e.kind == "reminded":
            c["reminded_at"] = e.at
        elif e.kind == "answer":
            how, addr = how_answered(e.source or "")
            c.update(answered_by=e.name or "", how=how, address=addr)
    return {v: Contact(**c) for v, c in out.items() if c}
