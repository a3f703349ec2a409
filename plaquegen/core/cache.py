"""Verified caches of parsed inputs, kept in a season folder's ``.cache/`` beside ledger.sqlite.

A cache file is one header line (JSON: cache format, the caller's key, the sha256 of the rest)
and the payload (JSON). Names starting with '.' are never batch ids, so ``.cache/`` cannot
collide with a batch folder.

Contract: :func:`read_cache` returns the payload stored under ``key`` only when the file is a
regular file, parses, names this very key and its payload's sha256 matches; anything else
(missing, damaged, truncated, stale, foreign, unreadable) is None, and the caller rebuilds
from the input and calls :func:`write_cache`, which replaces the file atomically. A cache is
never the only copy of anything: deleting ``.cache/`` costs time, never data. Nothing here
creates the season folder itself, and a failed write (read-only folder, full disk) is
ignored. Callers put into ``key`` everything the payload depends on (the input's sha256, the
options, the code that parsed it).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .files import atomic_write_bytes, read_regular_file

__all__ = ["CACHE_DIR", "cache_file", "read_cache", "write_cache", "code_identity"]

CACHE_DIR = ".cache"
_FORMAT = 1
_LIMIT = 64 << 20  # a cache file larger than this is not ours


def cache_file(folder: str | os.PathLike, name: str) -> Path:
    return Path(folder) / CACHE_DIR / f"{name}.json"


def read_cache(folder: str | os.PathLike | None, name: str, key: str) -> Any | None:
    """The payload cached under ``name`` for ``key``, or None (see the contract)."""
    if folder is None:
        return None
    try:
        data = read_regular_file(cache_file(folder, name), _LIMIT)
        head, sep, body = data.partition(b"\n")
        if not sep or len(data) > _LIMIT:
            return None
        header = json.loads(head)
        if (not isinstance(header, dict) or header.get("format") != _FORMAT or header.get("key") != key
                or header.get("sha256") != hashlib.sha256(body).hexdigest()):
            return None
        return json.loads(body)
    except (OSError, ValueError, RecursionError):
        return None


def write_cache(folder: str | os.PathLike | None, name: str, key: str, payload: Any) -> bool:
    """Store ``payload`` (JSON-serialisable) for ``key``; False when it could not be written.
    ``folder`` must exist already (its ``.cache/`` is made when missing)."""
    if folder is None or not Path(folder).is_dir():
        return False
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head = json.dumps({"format": _FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()})
    try:
        atomic_write_bytes(cache_file(folder, name), head.encode("ascii") + b"\n" + body)
    except OSError:
        return False
    return True


def code_identity(*modules: str | os.PathLike) -> str:
    """sha256 over the source files that build a payload: a changed reader never trusts what
    an older one cached ("" when a source cannot be read: then nothing is cached)."""
    h = hashlib.sha256()
    for m in modules:
        try:
            h.update(Path(m).read_bytes())
        except OSError:
            return ""
        h.update(b"\0")
    return h.hexdigest()
