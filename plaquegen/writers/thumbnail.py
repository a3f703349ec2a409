"""The LightBurn project's ``<Thumbnail>``: a 256 x 256 8-bit RGBA PNG, base64 without a
``data:`` prefix, as every LightBurn-saved project carries (FINDINGS.md 4: 24 real files
decoded, all 256 x 256 RGBA, white ground, the shapes in their layer colours, the whole
drawing fitted in).

Drawn with cairo (cairocffi, which cairosvg already loads) straight from the geometry:
engrave areas filled (even-odd, as the laser fills them), score and cut traced, the tool
layer's guides in T1 orange. Same geometry, same bytes.
"""
from __future__ import annotations

import base64
import struct
import sys
import zlib
from typing import Iterable, Sequence

from ..geometry.paths import Path

__all__ = ["thumbnail_png", "thumbnail_source", "SIZE"]

SIZE = 256
_LITTLE = sys.byteorder == "little"


def _rgb(hex_color: str) -> tuple[float, float, float]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _trace(ctx, path: Path, dx: float, dy: float) -> None:
    for s in path.segs:
        op = s[0]
        if op == "M":
            ctx.move_to(s[1] + dx, s[2] + dy)
        elif op == "L":
            ctx.line_to(s[1] + dx, s[2] + dy)
        elif op == "C":
            ctx.curve_to(s[1] + dx, s[2] + dy, s[3] + dx, s[4] + dy, s[5] + dx, s[6] + dy)
        elif op == "Z":
            ctx.close_path()


def thumbnail_png(width: float, height: float,
                  layers: Sequence[tuple[str, str, Iterable[tuple[Path, float, float]]]]) -> bytes:
    """The picture of a ``width`` x ``height`` mm drawing (y down), fitted into 256 x 256.

    layers: (kind "fill" | "line", colour "#RRGGBB", (path, dx, dy) in drawing mm), drawn in order.
    """
    import cairocffi as cairo

    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, SIZE, SIZE)
    ctx = cairo.Context(surface)
    ctx.set_source_rgba(1, 1, 1, 1)
    ctx.paint()
    scale = (SIZE - 4) / max(width, height)
    ctx.translate((SIZE - width * scale) / 2, (SIZE - height * scale) / 2)
    ctx.scale(scale, scale)
    ctx.set_fill_rule(cairo.FILL_RULE_EVEN_ODD)
    ctx.set_line_width(1.0 / scale)  # one pixel
    for kind, color, items in layers:
        ctx.set_source_rgb(*_rgb(color))
        for path, dx, dy in items:
            ctx.new_path()
            _trace(ctx, path, dx, dy)
            if kind == "fill":
                ctx.fill()
            else:
                ctx.stroke()
    surface.flush()
    return _png_rgba(bytes(surface.get_data()), surface.get_stride())


def _png_rgba(data: bytes, stride: int) -> bytes:
    """cairo's native-endian ARGB32 (opaque here, so not premultiplied in effect) as an 8-bit
    RGBA PNG, colour type 6 like LightBurn's (cairo's own writer drops the alpha channel of an
    opaque picture)."""
    rows = []
    for y in range(SIZE):
        src = data[y * stride:y * stride + SIZE * 4]
        px = bytearray(SIZE * 4)
        if _LITTLE:  # B, G, R, A in memory
            px[0::4], px[1::4], px[2::4], px[3::4] = src[2::4], src[1::4], src[0::4], src[3::4]
        else:  # A, R, G, B
            px[0::4], px[1::4], px[2::4], px[3::4] = src[1::4], src[2::4], src[3::4], src[0::4]
        rows.append(b"\x00" + bytes(px))  # filter type 0 (none) on every row

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def thumbnail_source(width: float, height: float, layers) -> str:
    """:func:`thumbnail_png` as LightBurn stores it: plain base64 (no ``data:`` prefix)."""
    return base64.b64encode(thumbnail_png(width, height, layers)).decode("ascii")
