"""Answers read from a mailbox over IMAP with TLS (imaps://, or STARTTLS).

:func:`imap_fetch` returns the items of every message not yet marked processed
(fetched with ``BODY.PEEK``, so nothing is marked read); :func:`imap_mark_done` marks
them with the keyword ``$PlaquegenDone`` (:data:`DONE_KEYWORD`), not ``\\Seen``, after the
caller recorded the answers; a server that allows no keywords gets ``\\Seen`` instead
(:attr:`ImapHandle.marker`). The password comes from the environment only
(:data:`PASSWORD_ENV`); every failure to read the mailbox at all is an
:class:`InboxError` of one sentence.
"""

from __future__ import annotations

import base64
import imaplib
import os
import re
import socket
import ssl as _ssl
import time
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import unquote, urlsplit

from .inbox import items_from_mail
from .items import (DONE_KEYWORD, MAX_FILE_BYTES, PASSWORD_ENV, REFUSED, InboxError, Item,
                    _CONTROL, _shown, quiet)

__all__ = ["ImapHandle", "ImapFetch", "imap_fetch", "imap_mark_done", "_mutf7"]

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


