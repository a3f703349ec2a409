"""Answer tokens: the mark in an "Approve" / "Request changes" reply that names the plaque,
the exact version the owner was shown, and the answer.

A token reads ``PQ1-<VIN>-<sha12>-<A|C>-<mac>``: the VIN, the first 12 hex digits of the
engrave file's sha256, A (approve) or C (changes), and an HMAC-SHA256 of (VIN, full sha256,
answer) under a secret kept beside the ledger (:func:`secret_for`: ``<ledger>.secret``,
32 random bytes, created once with mode 0600, never printed). Without the secret a token
cannot be made; changing the VIN, the version or the answer breaks the HMAC.
:func:`make_token` writes one, :func:`find_tokens` finds them in a reply's text and
:func:`check_token` says whether one is genuine for the version it claims.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import PlaquegenError

__all__ = ["Token", "secret_for", "make_token", "find_tokens", "check_token", "APPROVE", "CHANGES",
           "SECRET_SUFFIX"]

SECRET_SUFFIX = ".secret"
APPROVE, CHANGES = "A", "C"
_TOKEN = re.compile(r"PQ1-([A-HJ-NPR-Z0-9]{17})-([0-9a-f]{12})-([AC])-([A-Z2-7]{26})")


@dataclass(frozen=True)
class Token:
    """One token as found in a reply (not yet checked)."""

    vin: str
    sha12: str
    answer: str  # APPROVE or CHANGES
    mac: str
    text: str


def secret_for(ledger_path: str | os.PathLike) -> bytes:
    """The token secret kept beside the ledger, created (mode 0600) on first use."""
    path = Path(str(ledger_path) + SECRET_SUFFIX)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode("ascii"))
    data = path.read_bytes().strip()
    if len(data) < 32:
        raise PlaquegenError(f"the token secret {path} is damaged (too short); restore it from the "
                             "backup of the ledger.")
    return data


def _mac(secret: bytes, vin: str, sha256: str, answer: str) -> str:
    digest = hmac.new(secret, f"plaquegen-answer\n{vin}\n{sha256}\n{answer}".encode("ascii"),
                      hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:26]


def make_token(secret: bytes, vin: str, sha256: str, answer: str) -> str:
    """The token for this plaque, this version (engrave sha256) and this answer."""
    if answer not in (APPROVE, CHANGES):
        raise ValueError(answer)
    return f"PQ1-{vin}-{sha256[:12]}-{answer}-{_mac(secret, vin, sha256, answer)}"


def find_tokens(text: str) -> list[Token]:
    """Every token in ``text`` (a subject and body), in order, each once."""
    out, seen = [], set()
    for m in _TOKEN.finditer(text or ""):
        if m.group(0) not in seen:
            seen.add(m.group(0))
            out.append(Token(m.group(1), m.group(2), m.group(3), m.group(4), m.group(0)))
    return out


def check_token(secret: bytes, token: Token, sha256: str) -> bool:
    """True when ``token`` is genuine for its VIN, its answer and the version ``sha256``."""
    if not sha256.startswith(token.sha12):
        return False
    return hmac.compare_digest(_mac(secret, token.vin, sha256, token.answer), token.mac)
