"""The hand-out PDF for the meeting's desk: the plaques to hand over, by owner's surname, each
with its number, VIN, country and a box for the owner's signature; then the same plaques by
country with the address columns of the order file and a box for the tracking number, for the
ones that go by post.

Owners' names and addresses are untrusted order cells: drawn with the embedded DejaVu font
(Polish, Greek, Cyrillic...), right-to-left names in visual order (writers/pdf.draw_text),
cut to their box, never interpreted.
"""
from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from reportlab.pdfgen.canvas import Canvas

from .pdf import A4, FONT, GREY_TEXT, LABEL, LABEL_BOLD, MM, draw_text, register_fonts

__all__ = ["HandoutLine", "handout_pdf", "surname_key"]

_MARGIN = 14 * MM
_ROW = 12.5 * MM
_LINE = 4.2 * MM
# (title, width in mm) of the desk list and of the post list
_DESK = (("Owner", 60), ("No.", 24), ("VIN", 43), ("Ctry", 11), ("Signature", 44))
_POST = (("Owner", 50), ("No.", 24), ("VIN", 43), ("Address", 45), ("Tracking no.", 20))


@dataclass(frozen=True)
class HandoutLine:
    label: str                # "0462 / 6309"
    vin: str
    name: str
    country: str
    address: tuple[str, ...]  # the order file's address cells, one per line
    order_id: str = ""


def surname_key(name: str) -> tuple:
    """Sort key: the surname (text before a comma, else the last word), accents folded, then
    the whole name; nameless plaques last."""
    text = " ".join(name.split())
    if not text:
        return (1, "", "")
    words = [w for w in text.split(" ") if any(c.isalpha() for c in w)] or [text]
    surname = text.split(",")[0] if "," in text else words[-1]
    return (0, _fold(surname), _fold(text))


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold()


def _address(line: HandoutLine) -> list[str]:
    """The address as printed: at most five lines, the country last."""
    lines = list(line.address) or ["(no address in the order file)"]
    if line.country:
        lines.append(line.country)
    if len(lines) > 5:
        lines = lines[:4] + [" ".join(lines[4:])]
    return lines


def _post_height(line: HandoutLine) -> float:
    return max(_ROW, len(_address(line)) * _LINE + 3.5 * MM)


def _pages(lines: Sequence[HandoutLine], height, room: float) -> list[list[HandoutLine]]:
    pages: list[list[HandoutLine]] = [[]]
    used = 0.0
    for line in lines:
        h = height(line)
        if pages[-1] and used + h > room:
            pages.append([])
            used = 0.0
        pages[-1].append(line)
        used += h
    return pages


def _head(c: Canvas, title: str, sub: tuple[str, str], columns, y: float) -> float:
    w, h = A4
    c.setFillColorRGB(0, 0, 0)
    draw_text(c, _MARGIN, y, title, LABEL_BOLD, 15, w - 2 * _MARGIN)
    c.setFillColor(GREY_TEXT)
    for k, text in enumerate(sub):
        draw_text(c, _MARGIN, y - (6 + 4.2 * k) * MM, text, LABEL, 9, w - 2 * _MARGIN)
    y -= 17 * MM
    c.setFillColorRGB(0, 0, 0)
    x = _MARGIN
    for name, width in columns:
        draw_text(c, x + 1.5 * MM, y, name, LABEL_BOLD, 9)
        x += width * MM
    c.setLineWidth(0.8)
    c.line(_MARGIN, y - 2 * MM, w - _MARGIN, y - 2 * MM)
    return y - 2 * MM


def _foot(c: Canvas, batch_id: str, page: int, pages: int) -> None:
    w, _ = A4
    c.setFillColor(GREY_TEXT)
    draw_text(c, _MARGIN, 9 * MM, f"Batch {batch_id}", FONT, 8, 100 * MM)
    draw_text(c, w - _MARGIN, 9 * MM, f"page {page} of {pages}", LABEL, 8, align="right")
    c.setFillColorRGB(0, 0, 0)


def _cells(c: Canvas, line: HandoutLine, columns, y: float, first: Sequence[str]) -> None:
    x = _MARGIN
    for (title, width), text in zip(columns, first):
        if text:
            font = "Courier" if title == "VIN" else FONT
            draw_text(c, x + 1.5 * MM, y, text, font, 9.5 if title != "VIN" else 9,
                      width * MM - 3 * MM)
        x += width * MM


def _last_box(c: Canvas, columns, base: float, h: float) -> None:
    """The box to write in (signature, tracking number) in the last column, and the rule under
    the row."""
    w, _ = A4
    x = _MARGIN + sum(wd for _, wd in columns[:-1]) * MM
    c.setLineWidth(0.5)
    c.setStrokeColorRGB(0.55, 0.57, 0.6)
    c.rect(x + 1 * MM, base + 1.5 * MM, columns[-1][1] * MM - 2 * MM, h - 3 * MM)
    c.setLineWidth(0.3)
    c.setStrokeColorRGB(0.8, 0.81, 0.83)
    c.line(_MARGIN, base, w - _MARGIN, base)
    c.setStrokeColorRGB(0, 0, 0)


def _desk_page(c: Canvas, rows: Sequence[HandoutLine], top: float) -> None:
    y = top
    for line in rows:
        base = y - _ROW
        _cells(c, line, _DESK, base + _ROW / 2 - 1.3 * MM,
               (line.name or f"(no name; order {line.order_id})", line.label, line.vin,
                line.country, ""))
        _last_box(c, _DESK, base, _ROW)
        y = base


def _post_page(c: Canvas, rows: Sequence[HandoutLine], top: float) -> None:
    y = top
    addr_x = _MARGIN + sum(wd for _, wd in _POST[:3]) * MM
    for line in rows:
        h = _post_height(line)
        base = y - h
        first = y - 5 * MM
        _cells(c, line, _POST, first, (line.name or f"(no name; order {line.order_id})",
                                       line.label, line.vin, "", ""))
        for k, text in enumerate(_address(line)):
            draw_text(c, addr_x + 1.5 * MM, first - k * _LINE, text, FONT, 8.5,
                      _POST[3][1] * MM - 3 * MM)
        _last_box(c, _POST, base, h)
        y = base


def handout_pdf(lines: Sequence[HandoutLine], batch_id: str, event: str, printed: str,
                delivered: int = 0) -> bytes:
    """The PDF's bytes (deterministic for equal input)."""
    register_fonts()
    w, h = A4
    top = h - _MARGIN - 4 * MM
    room = top - 17 * MM - 2 * MM - 16 * MM  # header, then the footer's space
    desk = sorted(lines, key=lambda x: (surname_key(x.name), x.label, x.vin))
    post = sorted(lines, key=lambda x: (x.country or "~", surname_key(x.name), x.label))
    desk_pages = _pages(desk, lambda _: _ROW, room)
    post_pages = _pages(post, _post_height, room)
    total = len(desk_pages) + len(post_pages)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    name = event or "the register's meeting"
    c.setTitle(f"Plaque hand-over: {name} (batch {batch_id})")
    c.setAuthor("plaquegen")
    already = f"; {delivered} already delivered, not listed" if delivered else ""
    sections = (
        (desk_pages, _desk_page, _DESK, f"Plaque hand-over: {name}", (
            f"Batch {batch_id}: {len(lines)} plaque(s) released and not yet delivered{already}; "
            f"printed {printed}.", "By surname. The owner signs on receipt."),
         "No plaque is waiting to be handed over.",
         f"Afterwards record each signature: plaquegen deliver {batch_id} VIN... --by handover"),
        (post_pages, _post_page, _POST, "To post: the plaques not handed over", (
            f"Batch {batch_id}: the same {len(lines)} plaque(s) by country, with the address "
            "columns of the order file.", "Post those not signed for at the desk."),
         "Nothing to post.",
         f"Record each parcel: plaquegen deliver {batch_id} VIN --by post --tracking NO"),
    )
    page = 0
    for pages, draw, columns, title, sub, empty, last in sections:
        for i, rows in enumerate(pages):
            page += 1
            y = _head(c, title, sub, columns, top)
            if not rows:
                draw_text(c, _MARGIN, y - 10 * MM, empty, LABEL, 11)
            draw(c, rows, y)
            if i == len(pages) - 1:
                draw_text(c, _MARGIN, 17 * MM, last, FONT, 8, w - 2 * _MARGIN)
            _foot(c, batch_id, page, total)
            c.showPage()
    c.save()
    return buf.getvalue()
