"""PDF bytes written without a canvas: content streams deflated from reusable pieces
(:func:`deflate_ops`, with :func:`adler32_combine`) and text strings as PDF literals
(:func:`pdf_string`).

Contract: the bytes depend only on the input, never on what was written before (cached
pieces are the bytes a fresh compressor gives): :func:`deflate_ops` gives one valid zlib
stream of ``"\\n".join(ops) + "\\n"``, :func:`pdf_string` the bytes of
``pdfdoc.PDFString(s).format(doc)`` for an unencrypted document.
"""
from __future__ import annotations

import codecs
import struct
import zlib

from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase import pdfdoc

__all__ = ["BIG", "deflate_ops", "adler32_combine", "pdf_string"]

_BASE = 65521
BIG = 512  # operators at least this long are compressed once and reused
_CHUNKS: dict[str, tuple[bytes, int, int]] = {}
_CHUNKS_MAX = 8192


def adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """zlib's adler32_combine: the Adler-32 of A + B from those of A and B and len(B)."""
    rem = len2 % _BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (rem * sum1) % _BASE
    sum1 += (adler2 & 0xFFFF) + _BASE - 1
    sum2 += ((adler1 >> 16) & 0xFFFF) + ((adler2 >> 16) & 0xFFFF) + _BASE - rem
    sum1 %= _BASE
    sum2 %= _BASE
    return sum1 | (sum2 << 16)


def _chunk(op: str) -> tuple[bytes, int, int]:
    hit = _CHUNKS.get(op)
    if hit is None:
        hit = _run(op + "\n")
        if len(_CHUNKS) >= _CHUNKS_MAX:
            _CHUNKS.clear()
        _CHUNKS[op] = hit
    return hit


_Z = zlib.compressobj(1, zlib.DEFLATED, -15)  # never finished: every use ends in a full flush


def _run(text: str) -> tuple[bytes, int, int]:
    """A run of short operators (joined, newline-terminated) compressed on its own.

    A full flush resets the compressor (its hash is cleared: nothing after it refers back),
    so one long-lived compressor gives the bytes a fresh one would, without the ~8 us of
    setting one up per run."""
    raw = text.encode("latin-1")
    return _Z.compress(raw) + _Z.flush(zlib.Z_FULL_FLUSH), zlib.adler32(raw), len(raw)


_RUNS: dict[str, tuple[bytes, int, int]] = {}
_FINISH = zlib.compressobj(1, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # the empty final block


def deflate_ops(ops: list[str], cache_runs: bool = False) -> bytes:
    """``"\\n".join(ops) + "\\n"`` as one zlib stream (level 1), reusing compressed long ops.

    Operators are latin-1 strings (reportlab's content streams are). Every operator at least
    :data:`BIG` long, and every maximal run of shorter ones, is compressed on its own and ends
    in a full flush (which resets the compressor: the piece's bytes depend only on its text),
    so the bytes depend only on ``ops``. Long operators are cached; with ``cache_runs`` the
    runs too (for content whose short runs repeat, such as the plaque form).
    """
    out = [b"\x78\x01"]
    adler = 1
    run: list[str] = []
    combine = adler32_combine

    def flush_run() -> None:
        nonlocal adler
        text = "\n".join(run) + "\n"
        hit = _RUNS.get(text) if cache_runs else None
        if hit is None:
            hit = _run(text)
            if cache_runs:
                if len(_RUNS) >= _CHUNKS_MAX:
                    _RUNS.clear()
                _RUNS[text] = hit
        out.append(hit[0])
        adler = combine(adler, hit[1], hit[2])
        run.clear()

    for op in ops:
        if len(op) >= BIG:
            if run:
                flush_run()
            data, a, n = _CHUNKS.get(op) or _chunk(op)
            out.append(data)
            adler = combine(adler, a, n)
        else:
            run.append(op)
    if run:
        flush_run()
    out.append(_FINISH)
    out.append(struct.pack(">I", adler))
    return b"".join(out)


_PDFDOC = codecs.lookup("pdfdoc").encode      # reportlab's codecs (registered by pdfdoc)
_EXTPDFDOC = codecs.lookup("extpdfdoc").encode


def pdf_string(s: str, doc) -> bytes:
    """``pdfdoc.PDFString(s).format(doc)`` (unencrypted documents), without its per-call
    codec look-ups; printable ASCII is its own PDFDocEncoding."""
    if s.isascii() and s.isprintable():
        return b"(" + escapePDF(s.encode("ascii")).encode("ascii") + b")"
    try:
        b = _PDFDOC(s)[0]
    except UnicodeEncodeError:
        return pdfdoc.PDFString(s).format(doc)
    return _EXTPDFDOC("(%s)" % escapePDF(b))[0]
