"""The shop's job sheet (job-sheet.pdf): batch overview, sheet maps, plaque list.

Page 1: title, counts, plate size, material, how to run the layers, the
output folder explained. Then one page per bed sheet: the bed drawn to
scale, every pocket outlined with its slot index, number label and short
VIN, and the plaque drawn small inside (the same :func:`pdfkit.draw_plaque`
as the proofs). Then the plaque list, ``ROWS_PER_PAGE`` plain rows a page.
A4 landscape throughout; deterministic bytes (reportlab ``invariant=1``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from io import BytesIO
from typing import Any, Sequence

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFFormXObject
from reportlab.pdfgen.canvas import PATH_OPS, Canvas

from .pdf import (A4, FONT, FONT_BOLD, GREY_TEXT, INK, MM, binary_streams, clean_text,
                     draw_plaque, draw_text, fit_text, plaque_ops, register_fonts, visual)
from ..bed.layout import Sheet

__all__ = ["JobSheetInfo", "JobSheetWriter", "jobsheet_page_count", "render_jobsheet", "PAGE", "MARGIN", "ROWS_PER_PAGE", "LINE", "FOLDERS"]

PAGE = (A4[1], A4[0])  # A4 landscape, 841.89 x 595.28 pt
MARGIN = 12 * MM
ROWS_PER_PAGE = 48
LINE = Color(0.7, 0.7, 0.72)
POCKET = Color(0.2, 0.35, 0.75)  # the dashed pocket outlines on the sheet maps


@dataclass(frozen=True)
class JobSheetInfo:
    """Everything the job sheet shows.

    layers: (layer name, colour hex "#RRGGBB", meaning / how to run it), in run order.
    plaques: (label "0462 / 6309", vin, order_id, svg file rel path, proof file rel path).
    """

    batch_id: str
    created: str
    plate_w: float
    plate_h: float
    material: str
    layers: tuple[tuple[str, str, str], ...]
    plaques: tuple[tuple[str, str, str, str, str], ...]
    sheets: tuple[Sheet, ...]
    rejects: int
    orders_read: int
    notes: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("svg",)
    machine_s: float = 0.0  # estimated machine time of all sheets (estimate.py), s


class _Strings:
    """``canvas.drawString`` for the job sheet's many small cells, the same bytes for less CPU.

    reportlab builds a text object, measures the string and splits it into font subsets
    character by character for every call; the plaque list has ~58,000 cells. For the
    embedded TrueType faces this writes the identical operators
    (``BT 1 0 0 1 x y Tm /F1+0 8 Tf 9.6 TL (...) Tj T* ET``) directly: printable ASCII is
    its own code in subset 0 (reportlab's ``asciiReadable`` layout), other characters the
    document has already assigned a code in subset 0 are encoded by a dict lookup, anything
    else goes through reportlab's own ``splitString``; standard fonts or a top-down canvas
    use ``drawString``. One instance per canvas (subset names and codes are per document).
    ``exact=True`` always calls ``drawString`` (the reference the tests compare bytes with).
    """

    def __init__(self, canv: Canvas, exact: bool = False) -> None:
        self.c = canv
        self.exact = exact
        self._fonts: dict[str, Any] = {}
        self._names: dict[tuple[str, int], str] = {}
        self._xy: dict[tuple[float, float], str] = {}
        self._tf: dict[tuple[str, float, float], str] = {}
        self.forms: dict[tuple, str] = {}  # the sheet maps' shared forms (see _shared_form)
        self._const: dict[Any, Any] = {}  # colour / line width operators
        self._fps: dict[tuple, str] = {}
        self.paths = _PathForms(canv)

    def _fp(self, nums: tuple[float, ...], suffix: str) -> str:
        """``fp_str(*nums) + suffix``, cached: the sheet maps repeat the same pocket places."""
        key = (nums, suffix)
        hit = self._fps.get(key)
        if hit is None:
            if len(self._fps) > 65536:
                self._fps.clear()
            hit = self._fps[key] = fp_str(*nums) + suffix
        return hit

    def place_form(self, form: str, scale: float, x: float, y: float) -> None:
        """``saveState(); transform(scale, 0, 0, scale, x, y); doForm(form); restoreState()``."""
        c = self.c
        if self.exact:
            c.saveState()
            c.transform(scale, 0, 0, scale, x, y)
            c.doForm(form)
            c.restoreState()
            return
        code = c._code
        code.append("q")
        code.append(self._fp((scale, 0, 0, scale, x, y), " cm"))
        c.doForm(form)
        code.append("Q")

    def pocket(self, colour: Color, width: float, x: float, y: float, w: float, h: float) -> None:
        """The dashed pocket outline: ``setStrokeColor(colour); setLineWidth(width);
        setDash(2, 1.5); rect(x, y, w, h, stroke=1, fill=0); setDash()``."""
        c = self.c
        if self.exact or c._extgstate.getValue("CA") != 1 or getattr(colour, "alpha", 1) != 1:
            c.setStrokeColor(colour)
            c.setLineWidth(width)
            c.setDash(2, 1.5)
            c.rect(x, y, w, h, stroke=1, fill=0)
            c.setDash()
            return
        code = c._code
        head = self._const.get((colour, width))
        if head is None:
            head = self._const[(colour, width)] = (
                f"{fp_str(colour.red, colour.green, colour.blue)} RG", f"{fp_str(width)} w")
        code.extend(head)
        code.append("[2 1.5] 0 d")
        code.append("n " + self._fp((x, y, w, h), f" re {PATH_OPS[1, 0, c._fillMode]}"))
        code.append("[] 0 d")
        c._strokeColorObj = colour
        c._lineWidth = width

    def fill(self, colour: Color) -> None:
        """``setFillColor(colour)`` for an opaque RGB colour."""
        c = self.c
        if self.exact or c._extgstate.getValue("ca") != 1 or getattr(colour, "alpha", 1) != 1:
            c.setFillColor(colour)
            return
        op = self._const.get(colour)
        if op is None:
            op = self._const[colour] = f"{fp_str(colour.red, colour.green, colour.blue)} rg"
        c._code.append(op)
        c._fillColorObj = colour

    def row(self, y: float, cells: list[tuple[float, str]]) -> None:
        """``draw(x, y, text)`` for each (x, text) of one table row, in the current font."""
        c = self.c
        font = self._fonts.get(c._fontname)
        if (self.exact or font is None or not font._dynamicFont or not font._asciiReadable
                or not c.bottomup):
            for x, text in cells:
                self.draw(x, y, text)
            return
        name = self._names.get((c._fontname, 0))
        tf = self._tf.get((c._fontname, c._fontsize, c._leading))
        xys = self._xy
        code = c._code
        for x, text in cells:
            xy = xys.get((x, y))
            if xy is not None and text == "" and type(text) is str:
                code.append(f"BT 1 0 0 1 {xy} Tm  T* ET")  # what drawString writes for ""
                continue
            if (name is None or tf is None or xy is None or type(text) is not str or not text
                    or not text.isascii() or not text.isprintable()):
                self.draw(x, y, text)  # fills the caches the next cells use
                name = self._names.get((c._fontname, 0))
                tf = self._tf.get((c._fontname, c._fontsize, c._leading))
                continue
            code.append(f"BT 1 0 0 1 {xy} Tm {name} {tf} ({escapePDF(text.encode('ascii'))}) Tj T* ET")

    def draw(self, x: float, y: float, text: str) -> None:
        """Draw ``text`` at (x, y) pt in the canvas's current font, like ``drawString``."""
        c = self.c
        fontname = c._fontname
        font = self._fonts.get(fontname)
        if font is None:
            font = self._fonts[fontname] = pdfmetrics.getFont(fontname)
        if self.exact or not c.bottomup or type(text) is not str or not font._dynamicFont:
            c.drawString(x, y, text)
            return
        if not text:
            xy = self._xy.get((x, y))
            if xy is None:
                xy = self._xy[(x, y)] = fp_str(x, y)
            c._code.append(f"BT 1 0 0 1 {xy} Tm  T* ET")
            return
        doc = c._doc
        if text.isascii() and text.isprintable() and font._asciiReadable:
            chunks = [(0, text.encode("ascii"))]
        else:
            state = font.state.get(doc)
            try:
                if state is None:
                    raise KeyError
                codes = state.assignments
                chunks = [(0, bytes([codes[o] for o in map(ord, text)]))]
            except (KeyError, ValueError):  # a new character, another subset, or NBSP (-> 32)
                chunks = font.splitString(text, doc)
        key = (x, y)
        xy = self._xy.get(key)
        if xy is None:
            if len(self._xy) > 4096:
                self._xy.clear()
            xy = self._xy[key] = fp_str(x, y)
        tfkey = (fontname, c._fontsize, c._leading)
        tf = self._tf.get(tfkey)
        if tf is None:
            tf = self._tf[tfkey] = f"{fp_str(c._fontsize)} Tf {fp_str(c._leading)} TL"
        if len(chunks) == 1 and chunks[0][0] == 0:
            name = self._names.get((fontname, 0))
            if name is None:
                name = self._names[(fontname, 0)] = font.getSubsetInternalName(0, doc)
            c._code.append(f"BT 1 0 0 1 {xy} Tm {name} {tf} ({escapePDF(chunks[0][1])}) Tj T* ET")
            return
        parts = []
        cur = -1
        for subset, t in chunks:
            if subset != cur:
                name = self._names.get((fontname, subset))
                if name is None:
                    name = self._names[(fontname, subset)] = font.getSubsetInternalName(subset, doc)
                parts.append(f"{name} {tf}")
                cur = subset
            parts.append(f"({escapePDF(t)}) Tj")
        c._code.append(f"BT 1 0 0 1 {xy} Tm {' '.join(parts)} T* ET")


class _PathForms:
    """The plaques' own paths (their numbers) on the sheet maps as form XObjects, one per
    distinct path and document.

    Every pocket's number is made of a few digit shapes at a few places; as forms, each
    distinct path is written and compressed once and a pocket adds ``/FormXob.jsN Do`` per
    path: the sheet pages' content shrinks ~10x (most of the document's compression time).
    A form paints with the graphics state (colour, line width) and the matrix current at
    ``Do``, so the page looks the same (pdftoppm renders it pixel-identical).
    """

    def __init__(self, canv: Canvas) -> None:
        self.c = canv
        self._names: dict[tuple[str, str], tuple[str, str]] = {}
        self._on_page: set[str] = set()
        self._resources = PDFDictionary({})  # a path needs no resources

    def new_page(self) -> None:
        """Start a page: its /XObject resources list each form it uses once."""
        self._on_page = set()

    def __call__(self, path: Any, code: str, op: str) -> str:
        hit = self._names.get((code, op))
        if hit is None:
            hit = self._names[(code, op)] = self._define(path, code, op)
        name, do = hit
        if name not in self._on_page:
            self._on_page.add(name)
            self.c._formsinuse.append(name)  # what canvas.doForm records
        return do

    def _define(self, path: Any, code: str, op: str) -> tuple[str, str]:
        xs = [v for seg in path.segs for v in seg[1::2]] or [0.0]
        ys = [v for seg in path.segs for v in seg[2::2]] or [0.0]
        margin = 2.0  # mm, wider than any line drawn on the maps
        name = f"js{len(self._names)}"
        form = PDFFormXObject(min(xs) - margin, min(ys) - margin, max(xs) + margin,
                              max(ys) + margin)
        form.compression = self.c._pageCompression
        form.Resources = self._resources
        form.setStreamList([code, op])  # the operators the page would hold inline
        self.c._doc.addForm(name, form)
        return name, f"/{self.c._doc.getXObjectName(name)} Do"


def jobsheet_page_count(n_plaques: int, n_sheets: int) -> int:
    """Pages of a job sheet: overview + one per sheet + the plaque list (at least one page)."""
    return 1 + n_sheets + max(1, math.ceil(n_plaques / ROWS_PER_PAGE))


FOLDERS = (
    ("engrave/", "one engraver-ready SVG per plaque, 1 unit = 1 mm, named <number>_<vin>.svg"),
    ("sheets/", "plaques laid out on the bed (sheet-NN.svg), one file per bed load; maps below"),
    ("proofs/", "one PDF proof per owner (for the register, not for the laser)"),
    ("manifest.csv", "one row per plaque: order id, VIN, number, files, sha256 of each file"),
    ("rejects.csv", "order lines that were refused, with line number and reason"),
)


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else f"{s // 60} min {s % 60:02d} s"


# What the operator does on import, per file format; where the guides are (never output).
FORMAT_HOWTO = {
    "svg": ("sheets/*.svg", "Import 1:1 in mm (1 unit = 1 mm). One layer per operation by exact colour; "
                            "guides are in the hidden layer 'guide' (LightBurn tool colour T1): leave it off."),
    "dxf": ("sheets/*.dxf", "Import in millimetres, 1:1. Layer engrave = SOLID HATCH areas (fill), score "
                            "and cut = lines; layer guide has plotting off: never output it."),
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
            self._out = _Strings(c, exact)
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
            _sheet_page(c, self.info, sheet, self._out)
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
    W, H = PAGE
    left, right = MARGIN, W - MARGIN
    y = H - MARGIN - 8
    c.setFillColor(INK)
    draw_text(c, left, y, f"Engraving job {info.batch_id}", FONT_BOLD, 20, right - left)
    y -= 18
    c.setFillColor(GREY_TEXT)
    draw_text(c, left, y, f"Created {info.created} by plaquegen", FONT, 10, right - left)
    y -= 26

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
    y -= 10

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
    draw_text(c, left, y, "Run order: engrave first, then score, then cut. Guide layer: do not output "
              "(slot labels and plate outlines for orientation only).", FONT_BOLD, 10, right - left)
    y -= 16
    for fmt in info.formats:
        label, text = FORMAT_HOWTO[fmt]
        draw_text(c, left, y, label, FONT_BOLD, 9.5, 38 * MM)
        draw_text(c, left + 40 * MM, y, text, FONT, 9.5, right - left - 40 * MM)
        y -= 13
    y -= 13

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


def _sheet_page(c: Canvas, info: JobSheetInfo, sheet: Sheet, out: _Strings) -> None:
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
    shared, form = _shared_form(c, placed, k, out.forms)
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


def _shared_form(c: Canvas, slots, k: float,
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


def _list_page(c: Canvas, info: JobSheetInfo, i: int, n_pages: int,
               where: dict[str, tuple[int, int]], out: _Strings) -> None:
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
