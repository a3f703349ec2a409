"""The job sheet's sheet maps: one page per bed sheet (:func:`sheet_page`): the bed drawn to
scale, every pocket outlined with its slot index, number label and short VIN, and the plaque
drawn small inside (the same :func:`plaquegen.writers.pdf.draw_plaque` as the proofs); what
every plaque of a sheet shares is drawn once, as a form XObject (:func:`shared_form`).

Contract: deterministic bytes (form names come from plaque numbers); a map looks the same
whether the shared parts come from a form or are drawn inline.
"""
from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .pdf import (FONT, FONT_BOLD, GREY_TEXT, INK, MM, clean_text, draw_plaque, draw_text,
                  fit_text, plaque_ops)
from .jobsheet_page import MARGIN, PAGE, CanvasOps, JobSheetInfo
from ..bed.layout import Sheet

__all__ = ["POCKET", "sheet_page", "shared_form"]

POCKET = Color(0.2, 0.35, 0.75)  # the dashed pocket outlines on the sheet maps


def sheet_page(c: Canvas, info: JobSheetInfo, sheet: Sheet, out: CanvasOps) -> None:
    """The map of one bed sheet on the canvas's current page (the footer is the caller's)."""
    W, H = PAGE
    left, right = MARGIN, W - MARGIN
    top = H - MARGIN - 8
    placed = [s for s in sheet.slots if s.plaque is not None]
    c.setFillColor(INK)
    draw_text(c, left, top, f"Sheet {sheet.number:02d}", FONT_BOLD, 16)
    c.setFillColor(GREY_TEXT)
    draw_text(c, left + 32 * MM, top,
              f"file {sheet.file} \u00b7 bed {sheet.bed_w:g} \u00d7 {sheet.bed_h:g} mm \u00b7 "
              f"{len(placed)} plaques in {len(sheet.slots)} pockets \u00b7 drawn to scale, bed origin top-left",
              FONT, 9.5, right - left - 32 * MM)
    # Bed map, to scale, fitted into the rest of the page.
    box_top = top - 14
    box_bottom = 14 * MM
    avail_w, avail_h = right - left, box_top - box_bottom - 10  # room for labels under last row
    k = min(avail_w / max(sheet.bed_w, 1e-6), avail_h / max(sheet.bed_h, 1e-6))  # pt per mm
    bw, bh = sheet.bed_w * k, sheet.bed_h * k
    bx = left + (avail_w - bw) / 2
    by_top = box_top
    c.setStrokeColor(INK)
    c.setFillColor(Color(0.97, 0.97, 0.97))
    c.setLineWidth(0.8)
    c.rect(bx, by_top - bh, bw, bh, stroke=1, fill=1)
    # Label space below a pocket: the gap to the next row (or the bed edge).
    ys = sorted({s.y for s in sheet.slots})
    pitch = min((b - a for a, b in zip(ys, ys[1:])), default=sheet.bed_h)
    shared, form = shared_form(c, placed, k, out.forms)
    out.paths.new_page()
    tag_widths: dict[tuple[str, float], float] = {}
    for slot in sheet.slots:
        pw = slot.plaque.width if slot.plaque is not None else info.plate_w
        ph = slot.plaque.height if slot.plaque is not None else info.plate_h
        x = bx + slot.x * k
        y_top = by_top - slot.y * k
        w, h = pw * k, ph * k
        if slot.plaque is not None:
            if form:
                out.place_form(form, k / MM, x, y_top - h)
            if form:
                c._code.extend(plaque_ops(slot.plaque, x, y_top, k / MM, cut_width_pt=0.25,
                                          plate=False, skip=shared, paint=out.paths))
            else:
                draw_plaque(c, slot.plaque, x, y_top, k / MM, cut_width_pt=0.25, plate=True,
                            skip=shared)
        out.pocket(POCKET, 0.6, x - 0.6, y_top - h - 0.6, w + 1.2, h + 1.2)
        gap = (pitch - ph) * k
        size = max(4.5, min(7.5, gap * 0.75, w / 14))
        tag = f"#{slot.index}"
        if slot.plaque is not None:
            text = f"{slot.plaque.label}  \u00b7  {slot.plaque.vin[-7:]}"
        else:
            text = "(empty)"
        tw = tag_widths.get((tag, size))
        if tw is None:
            tw = tag_widths[(tag, size)] = pdfmetrics.stringWidth(tag, FONT_BOLD, size)
        tag_w = tw + size * 0.6
        s, size2 = fit_text(clean_text(text), FONT, size, w - tag_w, min_size=3.5)
        if gap >= size * 1.15:
            ty, tx = y_top - h - size - 1, x
        else:  # no room between rows: print over the pocket on a white band
            c.setFillColor(Color(1, 1, 1, alpha=0.85))
            c.rect(x, y_top - h, w, size + 2, stroke=0, fill=1)
            ty, tx = y_top - h + 1.5, x + 1
        out.fill(INK)
        c.setFont(FONT_BOLD, size)
        out.draw(tx, ty, tag)
        c.setFont(FONT, size2)
        out.draw(tx + tag_w, ty, s)


def shared_form(c: Canvas, slots, k: float,
                 done: dict[tuple, str] | None = None) -> tuple[frozenset[int], str]:
    """Draw what every plaque on the sheet shares (plate, artwork, outline) once.

    The composer hands every plaque the same Path objects for the constant
    artwork, so a sheet page draws them once as a form XObject and each pocket
    adds only its number: a 66-pocket page is ~15x smaller and faster.
    ``done`` (one dict per document) maps the operators of forms already written to their
    names: a later sheet with the same artwork and scale reuses the form (the sheets come
    back from the worker processes as separate copies of equal paths).
    Returns (ids of the shared paths, form name), or (empty, "") if nothing is shared.
    """
    plaques = [s.plaque for s in slots]
    if len(plaques) < 2:
        return frozenset(), ""
    ids = [{id(p) for layer in pl.layers for p in layer.paths} for pl in plaques]
    common = frozenset(set.intersection(*ids))
    first = plaques[0]
    if not common or any((pl.width, pl.height) != (first.width, first.height) for pl in plaques):
        return frozenset(), ""
    w, h = first.width * MM, first.height * MM
    own = frozenset(i for i in ids[0] if i not in common)
    # Line widths are given for the page; the form is placed scaled by k/MM.
    ops = plaque_ops(first, 0.0, h, 1.0, cut_width_pt=0.25 * MM / k, skip=own)
    key = (w, h, tuple(ops))  # equal paths give the identical (hash-cached) code strings
    if done is not None and key in done:
        return common, done[key]
    name = f"shared{first.number}"  # deterministic: the same bytes on every run
    c.beginForm(name, -3, -3, w + 3, h + 3)
    c._code.extend(ops)  # what draw_plaque writes
    c.endForm()
    if done is not None:
        done[key] = name
    return common, name
