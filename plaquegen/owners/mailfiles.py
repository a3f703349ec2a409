"""Mail files: one mail (RFC 5322 bytes, ``.eml``) and ``.mbox`` mailboxes.

:func:`_message` walks one parsed mail: forwarded mails (``message/rfc822``) are followed
(:data:`MAX_MAIL_DEPTH` levels), every attachment goes to ``unpack`` (the inbox's
classifier), and a mail holding no PDF is one ``NOT_PROOF`` item with its sender,
subject and the start of its text. :func:`_mbox` reads each message of a mailbox with
``read_mail``. :func:`_info` is the :class:`MailInfo` of a mail, its Date in UTC.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import replace
from datetime import timezone
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable

from .replytext import body_text
from .items import (MAX_MAIL_DEPTH, MAX_TOTAL_BYTES, NOT_PROOF, REFUSED, Item, MailInfo,
                    _Budget, _shown)

__all__ = ["_message", "_mbox", "_info", "_header", "_utc_iso"]

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



def _message(msg: Message, name: str, source: str, depth: int, budget: _Budget, zip_depth: int,
             uid: int | None, fallback_date: str | None, *,
             unpack: Callable[..., list[Item]]) -> list[Item]:
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
                                uid, info.date, unpack=unpack))
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
        out.extend(unpack(f"{name}!{label}", data, source, info, zip_depth, depth, budget, ctype,
                          uid))

    leaf(msg)
    if not any(i.candidate for i in out):
        text = _shown(" ".join(" ".join(t.split()) for t in texts), 300)
        said = f": \u201c{text}\u201d" if text else ""
        out.append(Item(name, NOT_PROOF, b"", source, info.date,
                        f"a mail without a PDF proof (from {info.sender or 'unknown'}, subject "
                        f"\u201c{info.subject}\u201d){said}", _with_body(info, msg), uid))
    return out


def _with_body(info: MailInfo, msg: Message) -> MailInfo:
    """The mail's text for reading it as a reply (text/plain, else its HTML as text)."""
    try:
        text = body_text(msg)
    except Exception:  # noqa: BLE001 - a malformed part: no text to read
        text = ""
    return replace(info, body=text[:200_000])


def _mbox(path: Path, shown: str, source: str,
          read_mail: Callable[..., list[Item]]) -> list[Item]:
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
            out.extend(read_mail(raw, f"{shown}!message {n}", source))
    finally:
        box.close()
    if not out:
        out.append(Item(shown, NOT_PROOF, source=source, reason="an empty mailbox"))
    return out


