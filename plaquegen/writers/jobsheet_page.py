"""What every page of the shop's job sheet shares: the page (``PAGE``, A4 landscape, and its
``MARGIN``), what the job sheet shows (:class:`JobSheetInfo`), and the canvas calls of its many
small drawings written as their operators (:class:`CanvasOps`; the numbers on the sheet maps
as form XObjects, :class:`PathForms`).

Contract: :class:`CanvasOps` writes the very bytes reportlab's canvas writes for the same calls
(``exact=True`` makes those calls: the reference the tests compare with); one instance per canvas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFFormXObject
from reportlab.pdfgen.canvas import PATH_OPS, Canvas

from .pdf import A4, MM
from ..bed.layout import Sheet

__all__ = ["PAGE", "MARGIN", "JobSheetInfo", "CanvasOps", "PathForms"]

PAGE = (A4[1], A4[0])  # A4 landscape, 841.89 x 595.28 pt
MARGIN = 12 * MM


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
    howto: tuple[tuple[str, str], ...] = ()  # (what, what to do): machine, shop program's notes


class CanvasOps:
    """The canvas calls of the job sheet's many small drawings (``drawString`` for its cells,
    fills, pocket outlines, placed forms), the same bytes for less CPU.

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
        self.forms: dict[tuple, str] = {}  # the sheet maps' shared forms (see jobsheet_maps.shared_form)
        self._const: dict[Any, Any] = {}  # colour / line width operators
        self._fps: dict[tuple, str] = {}
        self.paths = PathForms(canv)

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


class PathForms:
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
