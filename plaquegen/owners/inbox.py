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

import base64
import contextlib
import email
import imaplib
import io
import json
import logging
import mailbox
import os
import re
import socket
import ssl as _ssl
import time
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from datetime import timezone
from email import policy
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Sequence
from urllib.parse import unquote, urlsplit

from ..core.errors import PlaquegenError

__all__ = ["InboxError", "Item", "MailInfo", "ImapHandle", "ImapFetch", "collect",
           "items_from_mail", "imap_fetch", "imap_mark_done", "guess_plaque", "quiet",
           "CANDIDATE", "NOT_PROOF", "REFUSED", "DONE_KEYWORD", "PASSWORD_ENV", "MAX_ENTRIES",
           "MAX_ENTRY_BYTES", "MAX_TOTAL_BYTES", "MAX_RATIO", "MAX_FILE_BYTES", "MAX_MAIL_DEPTH"]

CANDIDATE = "proof candidate"
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
    """The mail an item came in. date: the Date header as ISO 8601 UTC, or None."""

    sender: str
    subject: str
    date: str | None
    message_id: str
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


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
                return _zip(zf, shown, source, None, 1, _Budget())
        if suffix in (".mbox", ".mbx") or (head.startswith(b"From ") and suffix != ".eml"):
            return _mbox(path, shown, source)
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
            return _zip(zf, name, source, mail, zip_depth + 1, budget, uid)
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


# ---------------------------------------------------------------------------
# Zip archives.

def _unsafe_member(n: str) -> str | None:
    """Why a member name is refused (absolute, a drive, ``..``), or None."""
    if n.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", n):
        return "an absolute path"
    if ".." in re.split(r"[/\\]", n):
        return "a path outside the archive"
    if "\x00" in n:
        return "a NUL character in a name"
    return None


def _zip(zf: zipfile.ZipFile, name: str, source: str, mail: MailInfo | None, zip_depth: int,
         budget: _Budget, uid: int | None = None) -> list[Item]:
    made = mail.date if mail else None

    def refuse(reason: str, what: str = name) -> Item:
        return Item(what, REFUSED, b"", source, made, reason, mail, uid)

    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        return [refuse(f"a zip with {len(infos)} entries (more than {MAX_ENTRIES}): refused")]
    for info in infos:
        why = _unsafe_member(info.filename)
        if why:
            return [refuse(f"the zip holds {why} ({_shown(info.filename, 60)}): refused as a whole")]
    files = [i for i in infos if not i.is_dir()]
    total = sum(i.file_size for i in files)
    if total > MAX_TOTAL_BYTES or not budget.take(0) or budget.used + total > MAX_TOTAL_BYTES:
        return [refuse(f"a zip bomb? it unpacks to {total:,} bytes (limit "
                       f"{MAX_TOTAL_BYTES:,}): refused")]
    for i in files:
        if i.file_size > MAX_ENTRY_BYTES:
            return [refuse(f"a zip bomb? {_shown(i.filename, 60)} unpacks to {i.file_size:,} bytes "
                           f"(limit {MAX_ENTRY_BYTES:,}): refused")]
        if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            return [refuse(f"a zip bomb? {_shown(i.filename, 60)} is compressed "
                           f"{i.file_size // max(i.compress_size, 1):,} : 1 (limit {MAX_RATIO} : 1): "
                           "refused")]
    out: list[Item] = []
    for i in files:
        member = f"{name}!{_shown(i.filename, 200)}"
        base = PurePosixPath(i.filename.replace("\\", "/")).name
        if i.filename.startswith("__MACOSX/") or base.startswith("._"):
            out.append(Item(member, NOT_PROOF, b"", source, made, "macOS metadata (not a file the "
                            "owner made)", mail, uid))
            continue
        if i.flag_bits & 0x1:
            out.append(refuse("password-protected inside the zip; ask for it without a password",
                              member))
            continue
        if i.compress_type not in _ZIP_METHODS:
            method = _METHOD_NAMES.get(i.compress_type, f"method {i.compress_type}")
            out.append(refuse(f"compressed with {method}, which cannot be read; ask for a normal "
                              "zip", member))
            continue
        try:
            data = _read_member(zf, i, budget)
        except _Limit as e:
            out.append(refuse(str(e), member))
            continue
        except Exception as e:  # noqa: BLE001 - zlib/bz2/lzma/CRC errors of a damaged archive
            out.append(refuse(f"damaged inside the zip ({_shown(e, 80) or type(e).__name__})", member))
            continue
        out.extend(_bytes(member, data, source, mail, zip_depth, 0, budget, uid=uid))
    if not out:
        out.append(Item(name, NOT_PROOF, b"", source, made, "an empty zip archive", mail, uid))
    return out


class _Limit(Exception):
    pass


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    """Read one entry in chunks, never more than its declared size or the budget allows."""
    buf = bytearray()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            buf += chunk
            if len(buf) > info.file_size or len(buf) > MAX_ENTRY_BYTES:
                raise _Limit("unpacks to more than its declared size: refused")
            if not budget.take(len(chunk)):
                raise _Limit(f"the archive unpacks to more than {MAX_TOTAL_BYTES:,} bytes: refused")
    return bytes(buf)


# ---------------------------------------------------------------------------
# Mail.

def _utc_iso(value: str | None) -> str | None:
    if not value:
        return None
    try:
        t = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header must not stop the rest
        return ""
    return "" if value is None else str(value)


def _info(msg: Message, fallback_date: str | None) -> MailInfo:
    refs = tuple(re.findall(r"<[^<>\s]+>", _header(msg, "References")))[:50]
    return MailInfo(sender=_shown(_header(msg, "From"), 200),
                    subject=_shown(_header(msg, "Subject"), 200),
                    date=_utc_iso(_header(msg, "Date")) or fallback_date,
                    message_id=_shown(_header(msg, "Message-ID"), 250),
                    in_reply_to=_shown(_header(msg, "In-Reply-To"), 250),
                    references=refs)


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
    return _message(msg, name, source, _depth, budget, _zip_depth, uid, fallback_date)


def _message(msg: Message, name: str, source: str, depth: int, budget: _Budget, zip_depth: int,
             uid: int | None, fallback_date: str | None) -> list[Item]:
    info = _info(msg, fallback_date)
    if depth > MAX_MAIL_DEPTH:
        return [Item(name, REFUSED, b"", source, info.date, f"forwarded more than {MAX_MAIL_DEPTH} "
                     "times inside itself: refused", info, uid)]
    out: list[Item] = []
    texts: list[str] = []

    def leaf(part: Message) -> None:
        ctype = part.get_content_type()
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001
            filename = None
        disp = part.get_content_disposition()
        if ctype in ("message/rfc822", "message/global") and part.is_multipart():
            inner = part.get_payload()[0]
            label = _shown(filename or _header(inner, "Subject") or "forwarded message", 80)
            out.extend(_message(inner, f"{name}!{label}", source, depth + 1, budget, zip_depth,
                                uid, info.date))
            return
        if part.is_multipart():
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    leaf(sub)
            return
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            data = b""
        if not filename and disp != "attachment" and ctype.startswith("text/"):
            if ctype == "text/plain":
                try:
                    texts.append(data.decode(part.get_content_charset() or "utf-8", "replace"))
                except LookupError:
                    texts.append(data.decode("utf-8", "replace"))
            return
        if not budget.take(len(data)):
            out.append(Item(f"{name}!{_shown(filename or ctype, 120)}", REFUSED, b"", source,
                            info.date, "the mail holds more than "
                            f"{MAX_TOTAL_BYTES:,} bytes of attachments: refused", info, uid))
            return
        label = _shown(filename or ctype, 120)
        out.extend(_bytes(f"{name}!{label}", data, source, info, zip_depth, depth, budget, ctype,
                          uid))

    leaf(msg)
    if not any(i.candidate for i in out):
        text = _shown(" ".join(" ".join(t.split()) for t in texts), 300)
        said = f": \u201c{text}\u201d" if text else ""
        out.append(Item(name, NOT_PROOF, b"", source, info.date,
                        f"a mail without a PDF proof (from {info.sender or 'unknown'}, subject "
                        f"\u201c{info.subject}\u201d){said}", info, uid))
    return out


def _mbox(path: Path, shown: str, source: str) -> list[Item]:
    try:
        box = mailbox.mbox(str(path), create=False)
        keys = box.keys()
    except Exception as e:  # noqa: BLE001
        return [Item(shown, REFUSED, source=source, reason=f"cannot read the mailbox ({_shown(e, 80)})")]
    out: list[Item] = []
    try:
        for n, key in enumerate(keys, start=1):
            try:
                raw = box.get_bytes(key)
            except Exception as e:  # noqa: BLE001
                out.append(Item(f"{shown}!message {n}", REFUSED, source=source,
                                reason=f"cannot read this message ({_shown(e, 80)})"))
                continue
            out.extend(items_from_mail(raw, f"{shown}!message {n}", source))
    finally:
        box.close()
    if not out:
        out.append(Item(shown, NOT_PROOF, source=source, reason="an empty mailbox"))
    return out


# ---------------------------------------------------------------------------
# IMAP.

@dataclass(frozen=True)
class ImapHandle:
    """Which messages a fetch returned, to be marked processed by :func:`imap_mark_done`."""

    host: str
    port: int
    user: str
    folder: str
    uidvalidity: int
    uids: tuple[int, ...]
    marker: str  # DONE_KEYWORD, or "\\Seen" where the server allows no keywords


@dataclass(frozen=True)
class ImapFetch:
    items: tuple[Item, ...]
    handle: ImapHandle
    note: str = ""  # e.g. why \\Seen is used instead of the keyword


def _parse_url(url: str) -> tuple[str, int, str, str]:
    """``imaps://[user@]host[:port][/Folder]`` -> (host, port, user, folder)."""
    if _CONTROL.search(url or ""):
        raise InboxError("the IMAP address contains a line break or control character.")
    try:
        u = urlsplit(url)
        port = u.port or 993
    except ValueError:
        raise InboxError(f"{_shown(url, 80)} is not an IMAP address like "
                         "imaps://mail.example.org/INBOX.") from None
    if u.scheme == "imap":
        raise InboxError("plain imap:// would send the password unencrypted; use imaps:// "
                         "(IMAP over TLS, port 993).")
    if u.scheme != "imaps" or not u.hostname:
        raise InboxError(f"{_shown(url, 80)} is not an IMAP address like "
                         "imaps://mail.example.org/INBOX.")
    if u.password is not None:
        raise InboxError("never put the password in the IMAP address; set it in the environment "
                         f"variable {PASSWORD_ENV}.")
    folder = unquote(u.path.lstrip("/")) or "INBOX"
    return u.hostname, port, unquote(u.username or ""), folder


def _mutf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out, buf = [], []

    def flush() -> None:
        if buf:
            b64 = base64.b64encode("".join(buf).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b64.replace("/", ",") + "-")
            buf.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    s = "".join(out)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect(host: str, port: int, user: str, password_env: str, ca_file, timeout: float):
    if not user:
        raise InboxError("give the IMAP user name (--imap-user, or user@ in the address).")
    password = os.environ.get(password_env)
    if not password:
        raise InboxError(f"set the IMAP password in the environment variable {password_env} "
                         "(it is never taken from the command line).")
    where = f"{host}:{port}"
    try:
        ctx = _ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, _ssl.SSLError) as e:
        raise InboxError(f"cannot read the CA file {ca_file}: {_shown(e, 80)}.") from None
    try:
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=timeout)
    except _ssl.SSLCertVerificationError as e:
        raise InboxError(f"the certificate of mail server {where} could not be verified "
                         f"({e.verify_message}).") from None
    except (OSError, imaplib.IMAP4.error) as e:
        raise InboxError(f"cannot connect to mail server {where}: "
                         f"{'timed out' if isinstance(e, socket.timeout) else _shown(getattr(e, 'strerror', None) or e, 120)}.") from None
    try:
        if "AUTH=PLAIN" in imap.capabilities:
            imap.authenticate("PLAIN", lambda _: b"\0" + user.encode() + b"\0" + password.encode())
        else:
            imap.login(user, password)
    except (imaplib.IMAP4.error, UnicodeEncodeError, OSError) as e:
        _close(imap)
        text = _shown(str(e).replace(password, "***"), 120)
        raise InboxError(f"mail server {where} refused the login of {user} ({text}).") from None
    return imap


def _close(imap) -> None:
    try:
        imap.logout()
    except Exception:  # noqa: BLE001
        pass


def _select(imap, folder: str, where: str) -> tuple[int, tuple[str, ...]]:
    typ, data = imap.select(_mutf7(folder))
    if typ != "OK":
        raise InboxError(f"there is no folder {folder!r} on mail server {where} "
                         f"({_shown(data and data[0], 100)}).")
    validity = imap.response("UIDVALIDITY")[1]
    perm = imap.response("PERMANENTFLAGS")[1]
    flags = tuple(re.findall(r"[\\$]?[\w*]+", (perm[0] or b"").decode("ascii", "replace"))) \
        if perm and perm[0] else ()
    try:
        return int(validity[0]), flags
    except (TypeError, ValueError, IndexError):
        return 0, flags


def imap_fetch(url: str, *, user: str | None = None, password_env: str = PASSWORD_ENV,
               folder: str | None = None, ca_file: str | os.PathLike | None = None,
               timeout: float = 60.0, limit: int = 500) -> ImapFetch:
    """Fetch the messages of ``folder`` not processed before, as :class:`Item` s.

    ``url`` is ``imaps://host[:port][/Folder]`` (IMAP over TLS; the folder in the
    URL unless ``folder`` is given, default INBOX). The password is read from the
    environment variable ``password_env``. Nothing is changed on the server
    (messages are read with BODY.PEEK); call :func:`imap_mark_done` with the
    returned handle after the answers are recorded. At most ``limit`` messages per
    call (oldest first). Raises :class:`InboxError` when the mailbox cannot be read.
    """
    host, port, url_user, url_folder = _parse_url(url)
    user = user or url_user
    folder = folder or url_folder
    if _CONTROL.search(folder):
        raise InboxError("the IMAP folder name contains a line break or control character.")
    where = f"{host}:{port}"
    imap = _connect(host, port, user or "", password_env, ca_file, timeout)
    try:
        validity, flags = _select(imap, folder, where)
        marker, note = DONE_KEYWORD, ""
        if "\\*" not in flags and DONE_KEYWORD not in flags:
            marker = "\\Seen"
            note = (f"mail server {where} allows no keywords: processed messages are marked "
                    "read (\\Seen) instead, so a reply read in a mail program is skipped")
        crit = "UNSEEN" if marker == "\\Seen" else f"UNKEYWORD {DONE_KEYWORD}"
        typ, data = imap.uid("SEARCH", f"{crit} NOT DELETED")
        if typ != "OK":
            raise InboxError(f"mail server {where} could not search folder {folder!r}.")
        uids = sorted(int(u) for u in (data[0] or b"").split())[:limit]
        items: list[Item] = []
        source = f"imaps://{host}:{port}/{folder}"
        for uid in uids:
            items.extend(_fetch_one(imap, uid, folder, source))
        return ImapFetch(tuple(items), ImapHandle(host, port, user or "", folder, validity,
                                                   tuple(uids), marker), note)
    except (imaplib.IMAP4.error, OSError) as e:
        raise InboxError(f"reading folder {folder!r} on mail server {where} failed: "
                         f"{_shown(e, 120)}.") from None
    finally:
        _close(imap)


def _fetch_one(imap, uid: int, folder: str, source: str) -> list[Item]:
    name = f"imap {_shown(folder, 60)}/{uid}"
    with quiet():
        typ, data = imap.uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE)")
        meta = b" ".join(d if isinstance(d, bytes) else d[0] for d in data or () if d)
        m = re.search(rb"RFC822\.SIZE (\d+)", meta)
        size = int(m.group(1)) if m else 0
        internal = None
        d = re.search(rb'INTERNALDATE "([^"]+)"', meta)
        if d:
            t = imaplib.Internaldate2tuple(b'INTERNALDATE "' + d.group(1) + b'"')
            if t:  # a local-time struct
                internal = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.mktime(t)))
        if size > MAX_FILE_BYTES:
            return [Item(name, REFUSED, source=source, reason=f"a mail of {size:,} bytes (limit "
                         f"{MAX_FILE_BYTES:,})", imap_uid=uid)]
        typ, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        raw = next((d[1] for d in data or () if isinstance(d, tuple) and len(d) > 1), None)
        if typ != "OK" or raw is None:
            return [Item(name, REFUSED, source=source, reason="the server did not return this "
                         "message", imap_uid=uid)]
        return items_from_mail(raw, name, source, uid=uid, fallback_date=internal)


def imap_mark_done(handle: ImapHandle, *, password_env: str = PASSWORD_ENV,
                   ca_file: str | os.PathLike | None = None, uids: Sequence[int] | None = None,
                   timeout: float = 60.0) -> int:
    """Mark the messages of ``handle`` (or only ``uids`` of them) processed; returns how many.

    Refused when the folder's UIDVALIDITY changed since the fetch (the numbers
    would name other messages).
    """
    chosen = sorted(set(handle.uids if uids is None else uids) & set(handle.uids))
    if not chosen:
        return 0
    where = f"{handle.host}:{handle.port}"
    imap = _connect(handle.host, handle.port, handle.user, password_env, ca_file, timeout)
    try:
        validity, _flags = _select(imap, handle.folder, where)
        if validity != handle.uidvalidity:
            raise InboxError(f"folder {handle.folder!r} on mail server {where} was rebuilt since "
                             "it was read (UIDVALIDITY changed); nothing was marked, read it again.")
        typ, data = imap.uid("STORE", ",".join(map(str, chosen)), "+FLAGS.SILENT",
                             f"({handle.marker})")
        if typ != "OK":
            raise InboxError(f"mail server {where} refused to mark the messages "
                             f"({_shown(data and data[0], 100)}).")
        return len(chosen)
    except (imaplib.IMAP4.error, OSError) as e:
        raise InboxError(f"marking messages on mail server {where} failed: {_shown(e, 120)}.") from None
    finally:
        _close(imap)


# ---------------------------------------------------------------------------
# A proof without its form.

_VIN = re.compile(r"\b([A-HJ-NPR-Z0-9]{17})\b")
_NUMBER = re.compile(r"\b(\d{1,5}\s*/\s*\d{1,5})\b")


def guess_plaque(pdf_bytes: bytes) -> tuple[str | None, str | None]:
    """(VIN, number text such as '0462 / 6309') a proof that lost its form most likely is.

    From the identity in the document Subject if it survived, else from the text
    printed on the page (the proof prints the VIN and the number after their
    labels, in English or German). (None, None) for a scan without text or a
    file that cannot be read.
    """
    from ..proof.strings import STRINGS

    try:
        with quiet():
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(pdf_bytes))
            if reader.is_encrypted and not reader.decrypt(""):
                return None, None
            try:
                ident = json.loads(str((reader.metadata or {}).get("/Subject") or ""))
            except ValueError:
                ident = None
            if isinstance(ident, dict) and isinstance(ident.get("vin"), str) \
                    and _VIN.fullmatch(ident["vin"]):
                label = ident.get("label")
                return ident["vin"], label if isinstance(label, str) and label else None
            text = "\n".join((p.extract_text() or "") for p in list(reader.pages)[:3])
    except Exception:  # noqa: BLE001 - a damaged file simply gives no guess
        return None, None
    lines = [ln.strip() for ln in text.splitlines()]
    vin_labels = {STRINGS[k]["vin"] for k in STRINGS}
    num_labels = {STRINGS[k]["number"] for k in STRINGS}
    vin = number = None
    for i, ln in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        for lab in vin_labels:
            if vin is None and ln.startswith(lab):
                m = _VIN.search(ln[len(lab):] + " " + nxt)
                vin = m.group(1) if m else None
        for lab in num_labels:
            if number is None and ln.startswith(lab):
                m = _NUMBER.search(ln[len(lab):] + " " + nxt)
                number = m.group(1) if m else None
    if vin is None:
        m = _VIN.search(text.upper().replace("-", ""))
        vin = m.group(1) if m else None
    if number is None:
        m = _NUMBER.search(text)
        number = m.group(1) if m else None
    return vin, number
