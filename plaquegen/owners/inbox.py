"""Incoming answers: every file an owner sent back, unpacked from wherever it came.

:func:`collect` turns what the admin passes (PDFs, folders, ``.zip``,
``.eml``, ``.mbox`` files) into a flat list of :class:`Item` s, one per file
found, each with a display name that says where it was
(``answers.zip!proofs/0462.pdf``, ``reply.eml!Fwd: proof!0462.pdf``):

* ``outcome == CANDIDATE``: a PDF (by its content, not its name) to be read
  as a returned proof; ``data`` holds its bytes.
* ``outcome == NOT_PROOF``: anything else that was found (an image, a text
  file, a mail without any PDF), ``reason`` says what it was, so every
  attachment is accounted for.
* ``outcome == REFUSED``: something that cannot be read safely or at all,
  ``reason`` says why (zip bomb, ``../`` path, damaged, password-protected,
  too large, named .pdf but not a PDF).

Nothing is ever extracted to disk. Zip archives are read in memory with
limits checked before anything is decompressed (:data:`MAX_ENTRIES`,
:data:`MAX_ENTRY_BYTES`, :data:`MAX_TOTAL_BYTES`, :data:`MAX_RATIO`) and
enforced again while reading; a zip inside a zip is opened, one level deeper
is refused. Mails are parsed with the stdlib ``email`` package; a forwarded
message (``message/rfc822``) is followed (:data:`MAX_MAIL_DEPTH` levels).
An item that came by mail carries :class:`MailInfo` and ``made_at``, the
mail's ``Date`` in UTC: when the owner sent the answer.

:func:`imap_fetch` reads the same from a mailbox over IMAP with TLS.
Processed messages are marked with the IMAP keyword ``$PlaquegenDone``
(:data:`DONE_KEYWORD`), not ``\\Seen``: the admin reading a reply in their
mail program must not hide it from plaquegen. Only messages without the
keyword are fetched (with ``BODY.PEEK``, so nothing is marked read), and they
are marked only when the caller calls :func:`imap_mark_done` after recording
the answers. A server that allows no keywords gets ``\\Seen`` instead
(:attr:`ImapHandle.marker` says which).

:func:`guess_plaque` names the plaque a PDF most likely is when its form is
gone (flattened, printed to PDF): from the identity in the document
metadata, else the VIN and number printed on the page.

Library warnings (pypdf's ``invalid pdf header`` and the like) never reach
the terminal: :func:`quiet` silences them for a block of code.
"""
from __future__ import annotations

import email
import io
import os
import zipfile
from email import policy
from pathlib import Path, PurePosixPath
from typing import Iterable

from .archives import _zip
from .items import (CANDIDATE, DONE_KEYWORD, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_FILE_BYTES,
                    MAX_MAIL_DEPTH, MAX_RATIO, MAX_TOTAL_BYTES, MAX_ZIP_DEPTH, NOT_PROOF,
                    PASSWORD_ENV, REFUSED, InboxError, Item, MailInfo, _OFFICE, _PDF, _ZIP,
                    _Budget, _shown, quiet)
from .mailfiles import _mbox, _message

__all__ = ["InboxError", "Item", "MailInfo", "collect", "items_from_mail", "quiet",
           "CANDIDATE", "NOT_PROOF", "REFUSED", "DONE_KEYWORD", "PASSWORD_ENV", "MAX_ENTRIES",
           "MAX_ENTRY_BYTES", "MAX_TOTAL_BYTES", "MAX_RATIO", "MAX_FILE_BYTES", "MAX_MAIL_DEPTH"]


def collect(inputs: Iterable[str | os.PathLike]) -> list[Item]:
    """Every file found in ``inputs`` as :class:`Item` s, in the order given (folders by path).

    Never raises for a bad file: a missing path, an unreadable file or a bad
    archive is an item with outcome ``REFUSED``. Hidden files (names starting
    with '.') inside folders are skipped.
    """
    out: list[Item] = []
    seen: set[Path] = set()
    with quiet():
        for raw in inputs:
            p = Path(raw)
            if p.is_dir():
                for f in _walk(p):
                    key = f.resolve()
                    if key not in seen:
                        seen.add(key)
                        out.extend(_file(f, str(f), str(p)))
            else:
                key = p.resolve()
                if key in seen:
                    continue
                seen.add(key)
                out.extend(_file(p, str(p), str(p)))
    return out


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / f for f in files if not f.startswith(".")]
    return sorted(found, key=lambda f: str(f.relative_to(folder)))


def _file(path: Path, shown: str, source: str) -> list[Item]:
    shown = _shown(shown, 300)
    if not path.exists():
        return [Item(shown, REFUSED, source=source, reason="no such file")]
    if not path.is_file():
        return [Item(shown, REFUSED, source=source, reason="not a regular file")]
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(1024)
        suffix = path.suffix.lower()
        if head.startswith(_ZIP) and suffix not in _OFFICE:
            with zipfile.ZipFile(path) as zf:
                return _zip(zf, shown, source, None, 1, _Budget(), unpack=_bytes)
        if suffix in (".mbox", ".mbx") or (head.startswith(b"From ") and suffix != ".eml"):
            return _mbox(path, shown, source, items_from_mail)
        if size > MAX_FILE_BYTES:
            return [Item(shown, REFUSED, source=source,
                         reason=f"larger than {MAX_FILE_BYTES // 1_000_000} MB")]
        data = path.read_bytes()
    except zipfile.BadZipFile as e:
        return [Item(shown, REFUSED, source=source, reason=f"a damaged zip archive ({_shown(e, 80)})")]
    except OSError as e:
        return [Item(shown, REFUSED, source=source, reason=f"cannot read it ({e.strerror or e})")]
    return _bytes(shown, data, source, None, 0, 0, _Budget(), hint="message/rfc822"
                  if path.suffix.lower() == ".eml" else "")


def _bytes(name: str, data: bytes, source: str, mail: MailInfo | None, zip_depth: int,
           mail_depth: int, budget: _Budget, hint: str = "", uid: int | None = None) -> list[Item]:
    """Classify one file's bytes (by content first, then name and MIME type)."""
    made = mail.date if mail else None

    def item(outcome: str, reason: str = "", payload: bytes = b"") -> list[Item]:
        return [Item(name, outcome, payload, source, made, reason, mail, uid)]

    base = name.rsplit("!", 1)[-1]
    suffix = PurePosixPath(base).suffix.lower()
    # Zip before PDF: an uncompressed zip holds "%PDF-" in its first bytes too.
    if data.startswith(_ZIP):
        if suffix in _OFFICE:  # docx, xlsx, odt ... are zips
            return item(NOT_PROOF, _OFFICE[suffix])
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            return item(REFUSED, f"a damaged zip archive ({_shown(e, 80)})")
        with zf:
            if zip_depth + 1 > MAX_ZIP_DEPTH:
                return item(REFUSED, "a zip inside a zip inside a zip: unpack it and pass the files")
            return _zip(zf, name, source, mail, zip_depth + 1, budget, uid, unpack=_bytes)
    if _PDF in data[:1024]:
        return item(CANDIDATE, payload=data)
    if suffix in _OFFICE:
        return item(NOT_PROOF, _OFFICE[suffix])
    if hint in ("message/rfc822", "message/global") or suffix == ".eml":
        return items_from_mail(data, name, source, _depth=mail_depth + 1, _budget=budget,
                               _zip_depth=zip_depth, uid=uid)
    if suffix == ".pdf":
        return item(REFUSED, f"named .pdf but it is {_describe(data, hint)}, not a PDF file")
    return item(NOT_PROOF, _describe(data, hint))


def _describe(data: bytes, ctype: str = "") -> str:
    """What a file that is not a PDF is, in a few words."""
    if not data:
        return "an empty file"
    magic = ((b"\xff\xd8\xff", "a JPEG image (a photo or scan: ask for the filled-in PDF)"),
             (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"),
             (b"II*\x00", "a TIFF image (a scan?)"), (b"MM\x00*", "a TIFF image (a scan?)"),
             (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"Rar!", "a RAR archive"),
             (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x1f\x8b", "a gzip file"),
             (b"\x78\x9f\x3e\x22", "winmail.dat (Outlook's packaging: ask the owner to send the "
                                   "PDF as a normal attachment)"),
             (b"BEGIN:VCARD", "a contact card (vCard)"))
    for m, what in magic:
        if data.startswith(m):
            return what
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "a HEIC image (a photo?)"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head.startswith(b"<?xml") or head.startswith(b"<svg"):
        return "an XML/SVG file"
    try:
        data[:4096].decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        pass
    return f"a {ctype} file" if ctype and ctype != "application/octet-stream" else "an unknown kind of file"



def items_from_mail(raw: bytes, name: str, source: str, *, uid: int | None = None,
                    fallback_date: str | None = None, _depth: int = 1,
                    _budget: _Budget | None = None, _zip_depth: int = 0) -> list[Item]:
    """The items of one mail (RFC 5322 bytes): its attachments, forwarded mails followed.

    A mail that holds no PDF anywhere is itself one ``NOT_PROOF`` item, with its
    sender, subject and the start of its text, so the admin can answer by hand.
    ``fallback_date`` (e.g. the IMAP INTERNALDATE) is used when Date is missing.
    """
    budget = _budget or _Budget()
    if len(raw) > MAX_FILE_BYTES:
        return [Item(name, REFUSED, source=source, reason="a mail larger than "
                     f"{MAX_FILE_BYTES // 1_000_000} MB", imap_uid=uid)]
    try:
        msg = email.message_from_bytes(raw, policy=policy.default)
    except Exception as e:  # noqa: BLE001 - the parser is lenient; be sure
        return [Item(name, REFUSED, source=source, reason=f"a damaged mail ({_shown(e, 80)})",
                     imap_uid=uid)]
    return _message(msg, name, source, _depth, budget, _zip_depth, uid, fallback_date,
                    unpack=_bytes)


