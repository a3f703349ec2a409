"""What the inbox readers share: :class:`Item` (one file found), :class:`MailInfo`
(the mail it came in), the outcomes, the limits and the unpacking budget.

The three outcomes are :data:`CANDIDATE` (a PDF to be read as a returned proof),
:data:`NOT_PROOF` (anything else found, with what it was) and :data:`REFUSED` (cannot be
read safely or at all, with why); see :mod:`plaquegen.owners.inbox`. :func:`quiet`
keeps library warnings off the terminal for a block of code.
"""

from __future__ import annotations

import contextlib
import logging
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Iterator

from ..core.errors import PlaquegenError

__all__ = ["InboxError", "Item", "MailInfo", "quiet", "CANDIDATE", "NEEDS_LOOK", "NOT_PROOF", "REFUSED",
           "DONE_KEYWORD", "PASSWORD_ENV", "MAX_ENTRIES", "MAX_ENTRY_BYTES", "MAX_TOTAL_BYTES",
           "MAX_RATIO", "RATIO_FLOOR", "MAX_FILE_BYTES", "MAX_MAIL_DEPTH", "MAX_ZIP_DEPTH"]

CANDIDATE = "proof candidate"
NEEDS_LOOK = "needs a look"  # a reply without a token: the admin reads it and records it by hand
NOT_PROOF = "not a proof"
REFUSED = "refused"

DONE_KEYWORD = "$PlaquegenDone"
PASSWORD_ENV = "PLAQUEGEN_IMAP_PASSWORD"

MAX_ENTRIES = 1000               # entries in one zip
MAX_ENTRY_BYTES = 50_000_000     # one file, uncompressed (a proof is ~50 kB)
MAX_TOTAL_BYTES = 200_000_000    # everything unpacked from one input, nested zips included
MAX_RATIO = 200                  # uncompressed : compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 1_000_000          # small entries may compress well (a text file of spaces)
MAX_FILE_BYTES = 200_000_000     # one file read from disk or one mail
MAX_MAIL_DEPTH = 3               # forwarded inside forwarded ...
MAX_ZIP_DEPTH = 2                # a zip, and a zip inside it

_PDF = b"%PDF-"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd",
                 99: "AES encryption"}
_OFFICE = {".docx": "a Word document", ".doc": "a Word document", ".xlsx": "an Excel workbook",
           ".xls": "an Excel workbook", ".pptx": "a PowerPoint file", ".odt": "an OpenDocument text",
           ".ods": "an OpenDocument spreadsheet", ".pages": "a Pages document",
           ".numbers": "a Numbers spreadsheet", ".epub": "an e-book", ".jar": "a Java archive",
           ".apk": "an Android app"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class InboxError(PlaquegenError):
    """A mailbox cannot be read at all (connection, login, folder); str() is one sentence."""


@dataclass(frozen=True)
class MailInfo:
    """The mail an item came in. date: the Date header as ISO 8601 UTC, or None. body: set
    on the item of a mail without a PDF only (a reply to be read as an answer)."""

    sender: str
    subject: str
    date: str | None
    message_id: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    body: str = field(default="", repr=False)  # a mail without a PDF: its text (HTML read as text)


@dataclass(frozen=True)
class Item:
    """One file found in the inputs (see the module doc for the three outcomes).

    name: where it was, for people (``answers.zip!proofs/0462.pdf``), never a path to open.
    source: the input it came from (a path as given, or ``imaps://host/Folder``).
    made_at: when the owner made it: the mail's Date (ISO 8601 UTC), None outside mail.
    imap_uid: the IMAP message it came in (for :func:`imap_mark_done`), else None.
    """

    name: str
    outcome: str
    data: bytes = field(default=b"", repr=False)
    source: str = ""
    made_at: str | None = None
    reason: str = ""
    mail: MailInfo | None = None
    imap_uid: int | None = None

    @property
    def candidate(self) -> bool:
        return self.outcome == CANDIDATE


# ---------------------------------------------------------------------------
# Silence library warnings.

_QUIET_LOGGERS = ("pypdf", "PyPDF2")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Within the block, no library warning or log record (pypdf's ``invalid pdf header``,
    ``Ignoring wrong pointing object`` ...) reaches stderr or a logging handler."""
    loggers = [logging.getLogger(n) for n in _QUIET_LOGGERS]
    old = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 10)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, lvl in zip(loggers, old):
            lg.setLevel(lvl)


# ---------------------------------------------------------------------------
# Walking the inputs.

class _Budget:
    """Bytes unpacked from one input so far (nested zips included)."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, n: int) -> bool:
        self.used += n
        return self.used <= MAX_TOTAL_BYTES


def _shown(text: object, max_len: int = 160) -> str:
    s = _CONTROL.sub(" ", str(text or ""))
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf").strip()
    return s if len(s) <= max_len else s[: max_len - 1] + "\u2026"

