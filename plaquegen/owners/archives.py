"""Zip archives sent back by owners, read in memory: never extracted to disk.

:func:`_zip` checks the limits before anything is decompressed (entries, declared
sizes, compression ratio, unsafe member names) and :func:`_read_member` enforces them
again while reading. Each member's bytes go to ``unpack`` (the inbox's classifier),
which may open a zip inside a zip.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import PurePosixPath
from typing import Callable

from .items import (MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_RATIO, MAX_TOTAL_BYTES, NOT_PROOF,
                    RATIO_FLOOR, REFUSED, Item, MailInfo, _METHOD_NAMES, _ZIP_METHODS, _Budget,
                    _shown)

__all__ = ["_zip", "_read_member", "_unsafe_member"]

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
         budget: _Budget, uid: int | None = None, *,
         unpack: Callable[..., list[Item]]) -> list[Item]:
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
        out.extend(unpack(member, data, source, mail, zip_depth, 0, budget, uid=uid))
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


