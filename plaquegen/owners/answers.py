"""Reading the owners' answers, the whole round: fetch from the mailbox, record, mark done.

The order is the contract: messages are fetched, then every answer is recorded in the ledger,
and only then are the fetched messages marked processed on the server. A crash between the
last two leaves them unmarked, so the next run reads them again; recording is idempotent (an
answer already recorded is not recorded twice), so nothing is lost and nothing doubled.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..core.errors import Outcome
from .approvals import ApprovalsResult, record_approvals
from .imap import imap_fetch, imap_mark_done

__all__ = ["Mailbox", "AnswersRound", "read_answers"]


@dataclass(frozen=True)
class Mailbox:
    """An IMAP mailbox to read replies from: ``imaps://host[:port]/Folder``."""

    url: str
    user: str | None = None
    ca_file: str | os.PathLike | None = None


@dataclass(frozen=True)
class AnswersRound:
    """What one round of reading answers did."""

    result: ApprovalsResult | None  # None: nothing to record (the mailbox had nothing new)
    mailbox_note: str = ""          # what the server made us do, e.g. \\Seen instead of a keyword
    marked: int = 0                 # messages marked processed on the server

    @property
    def outcome(self) -> Outcome:
        return Outcome.DONE if self.result is None else self.result.outcome


def read_answers(batch_dir: str | os.PathLike, inputs: Sequence[str | os.PathLike] = (),
                 ledger: str | os.PathLike | None = None, mailbox: Mailbox | None = None) -> AnswersRound:
    """Record the answers in ``inputs`` (files, folders, zip, eml, mbox) and ``mailbox``."""
    fetched = imap_fetch(mailbox.url, user=mailbox.user, ca_file=mailbox.ca_file) if mailbox else None
    note = fetched.note if fetched is not None else ""
    items = fetched.items if fetched is not None else ()
    if not inputs and not items:
        return AnswersRound(None, note)
    result = record_approvals(Path(batch_dir), inputs, ledger, items)
    marked = imap_mark_done(fetched.handle, ca_file=mailbox.ca_file) if items else 0
    return AnswersRound(result, note, marked)
