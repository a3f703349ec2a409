"""The shop's job sheet (job-sheet.pdf): batch overview, sheet maps, plaque list.

Page 1: title, counts, plate size, material, how to run the layers, the
output folder explained. Then one page per bed sheet: the bed drawn to
scale, every pocket outlined with its slot index, number label and short
VIN, and the plaque drawn small inside (:mod:`plaquegen.writers.jobsheet_maps`).
Then the plaque list, ``ROWS_PER_PAGE`` plain rows a page. Here: the writer
(:class:`JobSheetWriter`, :func:`render_jobsheet`), the overview and the list; what every
page shares (the page, :class:`JobSheetInfo`) is in :mod:`plaquegen.writers.jobsheet_page`.

Contract: A4 landscape throughout; deterministic bytes (reportlab ``invariant=1``), the same
whether streamed (:class:`JobSheetWriter`) or drawn at once, directly or through the canvas.
"""
from __future__ import annotations

import math
from dataclasses import replace
from io import BytesIO
from typing import Sequence

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .pdf import (FONT, FONT_BOLD, GREY_TEXT, INK, MM, binary_streams, clean_text, draw_text,
                  fit_text, register_fonts, visual)
from .jobsheet_page import MARGIN, PAGE, CanvasOps, JobSheetInfo
from .jobsheet_maps import sheet_page
from ..bed.layout import Sheet

__all__ = ["JobSheetWriter", "jobsheet_page_count", "render_jobsheet", "ROWS_PER_PAGE", "LINE",
           "FOLDERS"]

ROWS_PER_PAGE = 48
LINE = Color(0.7, 0.7, 0.72)


def jobsheet_page_count(n_plaques: int, n_sheets: int) -> int:
    """Pages of a job sheet: overview + one per sheet + the plaque list (at least one page)."""
    return 1 + n_sheets + max(1, math.ceil(n_plaques / ROWS_PER_PAGE))


FOLDERS = (
    ("engrave/", "one engraver-ready SVG per plaque, 1 unit = 1 mm, named <number>_<vin>.svg"),
    ("sheets/", "plaques laid out on the bed (sheet-NN.svg), one file per bed load; maps below"),
    ("sheets/*-guides.*", "NOT for the laser: pockets, slot labels, frame; print the PDF at 100 % for the jig"),
    ("proofs/", "one PDF proof per owner (for the register, not for the laser)"),
    ("manifest.csv", "one row per plaque: order id, VIN, number, files, sha256 of each file"),
    ("rejects.csv", "order lines that were refused, with line number and reason"),
)


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else f"{s // 60} min {s % 60:02d} s"


# What the operator does on import, per file format; where the guides are (never output).
FORMAT_HOWTO = {
    "svg": ("sheets/sheet-NN.svg", "Import 1:1 in mm (1 unit = 1 mm). One layer per operation by exact "
                                   "colour; laser geometry only (guides: sheet-NN-guides.svg/.pdf)."),
    "dxf": ("sheets/sheet-NN.dxf", "Import in millimetres, 1:1. 1-ENGRAVE-FILL = closed outlines to fill, "
                                   "2-SCORE-LINE and 3-CUT-LINE = lines; no guides in it."),
    "lbrn2": ("sheets/*.lbrn2", "LightBurn: File > Open (not Import). Settings come "
                                "from the template; guides are on tool layer T1 (never output)."),
}


def render_jobsheet(info: JobSheetInfo, *, exact: bool = False) -> bytes:
    """The job sheet PDF for one batch.

    ``exact=True`` draws every cell through reportlab's own canvas calls (slower); the
    default writes the same operators directly; both give the same bytes (tested)."""
    n_slots = sum(1 for s in info.sheets for sl in s.slots if sl.plaque is not None)
    writer = JobSheetWriter(info, len(info.plaques), len(info.sheets),
                            totals=(n_slots, info.machine_s), exact=exact)
    for sheet in info.sheets:
        writer.add_sheet(sheet)
    return writer.finish(info.plaques, info.machine_s)


class JobSheetWriter:
    """The job sheet drawn page by page while the batch is made: the overview at once, each
    sheet map when its sheet comes back from a worker, the plaque list and the totals at
    :meth:`finish`.

    ``info`` gives everything known before the plaques are made (batch id, date, plate,
    material, layers, rejects, orders read, notes, formats); its ``plaques``, ``sheets`` and
    ``machine_s`` are not read: the sheets come through :meth:`add_sheet` (in page order),
    the plaque rows and the machine time through :meth:`finish`. ``n_plaques`` and
    ``n_sheets`` are the promised counts (they fix the page numbers in every footer).
    The overview's two values that depend on the made sheets (plaques placed, machine time)
    are drawn at :meth:`finish` into a form XObject the overview page already shows, at the
    same place in the same font; ``totals=(plaques placed, machine s)``, when known up front,
    draws them inline instead (what :func:`render_jobsheet` does). If the counts given to
    :meth:`finish` differ from the promise, the whole document is drawn again from what was
    collected, so the result is always a correct job sheet.
    Not thread-safe; one writer per document; the bytes are deterministic.
    """

    def __init__(self, info: JobSheetInfo, n_plaques: int, n_sheets: int, *,
                 totals: tuple[int, float] | None = None, exact: bool = False) -> None:
        register_fonts()
        self.info = info
        self.n_plaques, self.n_sheets = n_plaques, n_sheets
        self.exact = exact
        self._totals = totals
        self._sheets: list[Sheet] = []
        self._where: dict[str, tuple[int, int]] = {}
        self._total_pages = jobsheet_page_count(n_plaques, n_sheets)
        self._buf = BytesIO()
        c = self._c = Canvas(self._buf, pagesize=PAGE, invariant=1, pageCompression=1)
        with binary_streams():
            c.setTitle(clean_text(f"Engraving job {info.batch_id}"))
            c.setSubject(f"plaquegen job sheet; plaques={n_plaques}; sheets={n_sheets}")
            c.setAuthor("plaquegen")
            c.setCreator("plaquegen")
            self._out = CanvasOps(c, exact)
            self._page = 1
            _overview(c, info, n_plaques, n_sheets, totals)
            _footer(c, info, self._page, self._total_pages)
            c.showPage()

    def add_sheet(self, sheet: Sheet) -> None:
        """Draw the map of the next sheet (sheets in page order: as the batch numbers them)."""
        self._sheets.append(sheet)
        for slot in sheet.slots:
            if slot.plaque is not None:
                self._where[slot.plaque.vin] = (sheet.number, slot.index)
        if len(self._sheets) > self.n_sheets:
            return  # more than promised: finish() draws the document again
        c = self._c
        with binary_streams():
            self._page += 1
            sheet_page(c, self.info, sheet, self._out)
            _footer(c, self.info, self._page, self._total_pages)
            c.showPage()

    def finish(self, plaques: Sequence[tuple[str, str, str, str, str]], machine_s: float) -> bytes:
        """The plaque list (rows as in :class:`JobSheetInfo`), the totals; the PDF bytes."""
        plaques = tuple(plaques)
        if len(plaques) != self.n_plaques or len(self._sheets) != self.n_sheets:
            info = replace(self.info, plaques=plaques, sheets=tuple(self._sheets),
                           machine_s=machine_s)
            return render_jobsheet(info, exact=self.exact)
        c, info = self._c, replace(self.info, plaques=plaques)
        with binary_streams():
            n_list = max(1, math.ceil(len(plaques) / ROWS_PER_PAGE))
            for i in range(n_list):
                self._page += 1
                _list_page(c, info, i, n_list, self._where, self._out)
                _footer(c, info, self._page, self._total_pages)
                c.showPage()
            if self._totals is None:
                n_slots = sum(1 for s in self._sheets for sl in s.slots if sl.plaque is not None)
                c.beginForm(_TOTALS, 0, 0, PAGE[0], PAGE[1])
                _draw_totals(c, n_slots, len(self._sheets), machine_s)
                c.endForm()
            c.save()
        return self._buf.getvalue()


_TOTALS = "overviewTotals"  # the form with the overview's values known only at the end


def _footer(c: Canvas, info: JobSheetInfo, page: int, total: int) -> None:
    c.setFillColor(GREY_TEXT)
    draw_text(c, MARGIN, 7 * MM, f"Engraving job {info.batch_id} \u00b7 {info.created}", FONT, 7.5,
              PAGE[0] / 2)
    c.setFont(FONT, 7.5)
    c.drawRightString(PAGE[0] - MARGIN, 7 * MM, f"page {page} / {total}")
    c.setFillColor(INK)


def _overview(c: Canvas, info: JobSheetInfo, n_plaques: int, n_sheets: int,
              totals: tuple[int, float] | None) -> None:
    """Page 1: title, the facts, how to run it, what is in the folder, the notes."""
    W, H = PAGE
    left, right = MARGIN, W - MARGIN
    y = H - MARGIN - 8
    c.setFillColor(INK)
    draw_text(c, left, y, f"Engraving job {info.batch_id}", FONT_BOLD, 20, right - left)
    y -= 18
    c.setFillColor(GREY_TEXT)
    draw_text(c, left, y, f"Created {info.created} by plaquegen", FONT, 10, right - left)
    y -= 26
    y = _facts(c, info, n_plaques, n_sheets, totals, left, right, y)
    y = _how_to_run(c, info, left, right, y)
    _folder_and_notes(c, info, left, right, y)


def _facts(c: Canvas, info: JobSheetInfo, n_plaques: int, n_sheets: int,
           totals: tuple[int, float] | None, left: float, right: float, y: float) -> float:
    """The facts table from baseline ``y``; returns the baseline after it."""
    col2 = left + 60 * MM
    facts = [
        ("Orders read", f"{info.orders_read:,}"),
        ("Plaques", f"{n_plaques:,}"),
        ("Refused lines", f"{info.rejects:,}" + ("  \u2192 see rejects.csv" if info.rejects else "")),
        ("Sheets (bed loads)", None),
        ("Plate size", f"{info.plate_w:g} \u00d7 {info.plate_h:g} mm"),
        ("Material", info.material or "\u2014"),
        ("Machine time (estimate)", None),
    ]
    for label, value in facts:
        c.setFillColor(GREY_TEXT)
        draw_text(c, left, y, label, FONT, 10, col2 - left - 6)
        c.setFillColor(INK)
        if value is not None:
            draw_text(c, col2, y, value, FONT_BOLD, 11, (right - col2) / 2)
        elif label == "Sheets (bed loads)":
            if totals is None:
                c.doForm(_TOTALS)  # both values, drawn at the end (JobSheetWriter.finish)
            else:
                _draw_totals(c, totals[0], n_sheets, totals[1], only="sheets")
        elif totals is not None:
            _draw_totals(c, totals[0], n_sheets, totals[1], only="time")
        y -= 15
    return y - 10


def _how_to_run(c: Canvas, info: JobSheetInfo, left: float, right: float, y: float) -> float:
    """The layers in run order and the import notes per format; returns the next baseline."""
    c.setFillColor(INK)
    draw_text(c, left, y, "How to run it", FONT_BOLD, 13)
    c.setStrokeColor(LINE)
    c.setLineWidth(0.5)
    c.line(left, y - 4, right, y - 4)
    y -= 20
    for name, colour, meaning in info.layers:
        try:
            fill = HexColor(colour)
        except (ValueError, TypeError):
            fill = Color(1, 1, 1)
        c.setFillColor(fill)
        c.setStrokeColor(INK)
        c.setLineWidth(0.5)
        c.rect(left, y - 2, 16, 10, stroke=1, fill=1)
        c.setFillColor(INK)
        draw_text(c, left + 24, y, name, FONT_BOLD, 10.5, 28 * MM)
        c.setFillColor(GREY_TEXT)
        draw_text(c, left + 24 + 30 * MM, y, colour, FONT, 9.5, 22 * MM)
        c.setFillColor(INK)
        mx = left + 24 + 54 * MM
        draw_text(c, mx, y, meaning, FONT, 10, right - mx)
        y -= 16
    y -= 2
    draw_text(c, left, y, "Run order: engrave first, then score, then cut. Guides are in no laser file: "
              "sheet-NN-guides.pdf/.svg (print at 100 %, lay under the jig).", FONT_BOLD, 10, right - left)
    y -= 16
    for label, text in [FORMAT_HOWTO[fmt] for fmt in info.formats] + list(info.howto):
        draw_text(c, left, y, label, FONT_BOLD, 9.5, 38 * MM)
        draw_text(c, left + 40 * MM, y, text, FONT, 9.5, right - left - 40 * MM)
        y -= 13
    return y - 13


def _folder_and_notes(c: Canvas, info: JobSheetInfo, left: float, right: float, y: float) -> None:
    """What is in the batch folder, then the notes (as many as fit above the footer)."""
    draw_text(c, left, y, "What is in this folder", FONT_BOLD, 13)
    c.setStrokeColor(LINE)
    c.line(left, y - 4, right, y - 4)
    y -= 20
    for name, text in FOLDERS:
        draw_text(c, left, y, name, FONT_BOLD, 10, 38 * MM)
        draw_text(c, left + 40 * MM, y, text, FONT, 10, right - left - 40 * MM)
        y -= 14
    if info.notes:
        y -= 12
        draw_text(c, left, y, "Notes", FONT_BOLD, 13)
        c.line(left, y - 4, right, y - 4)
        y -= 20
        for note in info.notes:
            if y < 16 * MM:
                draw_text(c, left, y, "\u2026 (more notes in the batch report)", FONT, 10)
                break
            draw_text(c, left, y, f"\u2022 {note}", FONT, 10, right - left)
            y -= 14


def _draw_totals(c: Canvas, n_slots: int, n_sheets: int, machine_s: float,
                 only: str = "") -> None:
    """The overview's sheets and machine-time values, where the facts table puts them."""
    left, right = MARGIN, PAGE[0] - MARGIN
    col2 = left + 60 * MM
    y0 = PAGE[1] - MARGIN - 8 - 18 - 26  # the first fact's line
    if not only:  # in the form: the page's colour at Do is INK already, but say so
        c.setFillColor(INK)
    if only in ("", "sheets"):
        draw_text(c, col2, y0 - 3 * 15, f"{n_sheets:,}  ({n_slots:,} plaques placed)", FONT_BOLD,
                  11, (right - col2) / 2)
    if only in ("", "time"):
        draw_text(c, col2, y0 - 6 * 15, _duration(machine_s), FONT_BOLD, 11, (right - col2) / 2)


def _list_page(c: Canvas, info: JobSheetInfo, i: int, n_pages: int,
               where: dict[str, tuple[int, int]], out: CanvasOps) -> None:
    W, H = PAGE
    left, right = MARGIN, W - MARGIN
    top = H - MARGIN - 8
    c.setFillColor(INK)
    draw_text(c, left, top, "Plaque list", FONT_BOLD, 16)
    c.setFillColor(GREY_TEXT)
    draw_text(c, left + 40 * MM, top, f"{len(info.plaques):,} plaques \u00b7 part {i + 1} of {n_pages}",
              FONT, 9.5)
    # columns: (title, x offset in mm, width in mm)
    cols = (("#", 0, 12), ("Number", 12, 26), ("VIN", 38, 38), ("Order", 76, 30),
            ("Sheet / slot", 106, 22), ("Engrave file", 128, 68), ("Proof file", 196, 77))
    y = top - 22
    c.setFillColor(INK)
    c.setFont(FONT_BOLD, 8.5)
    for title, off, _w in cols:
        c.drawString(left + off * MM, y, title)
    c.setStrokeColor(LINE)
    c.setLineWidth(0.5)
    c.line(left, y - 3.5, right, y - 3.5)
    y -= 14
    rows = info.plaques[i * ROWS_PER_PAGE:(i + 1) * ROWS_PER_PAGE]
    if not rows:
        c.setFont(FONT, 9)
        c.drawString(left, y, "(no plaques in this batch)")
        return
    size = 8.0
    c.setFont(FONT, size)
    lead = 9.8
    shade = Color(0.94, 0.95, 0.97)
    font = pdfmetrics.getFont(FONT)
    # (x, room pt, ASCII strings up to this many characters fit whatever they hold)
    widest = max(font.face.charWidths.get(ch, font.face.defaultWidth) for ch in range(32, 127))
    xs = [(left + off * MM, w * MM - 4, int((w * MM - 4) / (widest * size / 1000)) - 1)
          for _title, off, w in cols]
    for r, (label, vin, order_id, svg, pdf) in enumerate(rows):
        n = i * ROWS_PER_PAGE + r + 1
        if r % 2 == 1:
            out.fill(shade)
            c.rect(left - 2, y - 2.6, right - left + 4, lead, stroke=0, fill=1)
            out.fill(INK)
        ss = where.get(vin)
        cells = (str(n), label, vin, order_id, f"{ss[0]:02d} / {ss[1]}" if ss else "\u2014", svg, pdf)
        line = []
        for (x, wmax, fits), value in zip(xs, cells):
            s = visual(clean_text(value))
            if (len(s) > fits or not s.isascii()) and font.stringWidth(s, size) > wmax:
                s, _ = fit_text(s, FONT, size, wmax, min_size=size)
            line.append((x, s))
        out.row(y, line)
        y -= lead
