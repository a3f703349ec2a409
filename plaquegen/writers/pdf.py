"""The small PDF toolkit the owner proof and the shop's job sheet share.

What is here, and nothing else:

- page sizes and units (``MM`` points per millimetre, ``A4``, ``LETTER``), the fonts
  (:func:`register_fonts`: the bundled DejaVu faces, registered once per process) and colours;
- untrusted text made drawable: :func:`clean_text` (NFC, whitespace collapsed, anything the
  font cannot draw -> U+FFFD), :func:`fit_text` (shrink, then truncate with an ellipsis),
  :func:`visual` (right-to-left runs in drawing order), :func:`draw_text`;
- plaque geometry as PDF operators: :class:`ReportlabPen`, :func:`path_code` (cached per
  Path), :func:`plaque_ops` / :func:`draw_plaque`;
- :class:`binary_streams`: the ONE place that patches reportlab's module globals (no ASCII85,
  zlib level 1), as a context manager that restores them on exit.

Text from an order is only ever drawn with ``drawString`` (never parsed as markup).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc as _pdfdoc
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from ..core.assets import ASSETS
from ..geometry.paths import Path, Plaque, rounded_rect

__all__ = [
    "MM", "A4", "LETTER", "FONT", "FONT_BOLD", "LABEL", "LABEL_BOLD", "FONT_DIR", "PLACEHOLDER",
    "PLATE_FILL", "PLATE_EDGE", "INK", "CUT_RED", "GREY_TEXT", "SCORE_WIDTH_MM", "CUT_WIDTH_PT",
    "register_fonts", "font_repertoire", "clean_text", "fit_text", "visual", "is_winansi",
    "draw_text", "ReportlabPen", "path_code", "plate_path", "plaque_ops", "draw_plaque",
    "binary_streams",
]

MM = 72.0 / 25.4  # points per millimetre
A4 = (210.0 * MM, 297.0 * MM)  # 595.28 x 841.89 pt
LETTER = (612.0, 792.0)

FONT = "PlaqueGenSans"
FONT_BOLD = "PlaqueGenSans-Bold"
# Our own labels use the PDF standard fonts: nothing to embed. Everything that comes from an
# order cell is drawn with the embedded DejaVu (FONT), which has Ł, ř, Ş; draw_text falls
# back to it for any label text the standard fonts' WinAnsi encoding cannot show.
LABEL = "Helvetica"
LABEL_BOLD = "Helvetica-Bold"
_STANDARD = {LABEL, LABEL_BOLD}
FONT_DIR = ASSETS / "fonts"
PLACEHOLDER = "\ufffd"

# Colours used for the plaque drawing.
PLATE_FILL = Color(0.86, 0.875, 0.89)   # light steel grey
PLATE_EDGE = Color(0.62, 0.64, 0.67)
INK = Color(0, 0, 0)
CUT_RED = Color(1, 0, 0)
SCORE_WIDTH_MM = 0.15
CUT_WIDTH_PT = 0.35
GREY_TEXT = Color(0.35, 0.35, 0.38)

_cmap: dict[int, int] | None = None


def font_repertoire() -> frozenset[int]:
    """Code points both bundled DejaVu faces can draw."""
    register_fonts()
    assert _cmap is not None
    return frozenset(_cmap)


def register_fonts() -> None:
    """Register the bundled DejaVu fonts with reportlab (once per process)."""
    global _cmap
    if _cmap is not None:
        return
    regular = TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf"))
    bold = TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSansCondensed-Bold.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    # Both faces come from DejaVu; only characters in both count as drawable.
    _cmap = {c: g for c, g in regular.face.charToGlyph.items() if c in bold.face.charToGlyph}
    _init_fast_clean(_cmap)


_WS = re.compile(r"\s+")
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


# Characters clean_text keeps as they are in any context: the font draws them, they are not
# whitespace, format, control or private-use characters, NFC leaves them alone and no two of
# them compose (all are starters with NFC_Quick_Check=Yes and no composition partner in the
# set; tests/test_jobsheet_fast.py checks every pair). Printable ASCII (minus the space, which
# is handled apart), Latin-1 letters and signs, and the punctuation our own labels use.
_SAFE_CANDIDATES = (
    [chr(c) for c in range(0x21, 0x7F)]
    + [chr(c) for c in range(0xA1, 0x100) if c != 0xAD]
    + list("\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e"
           "\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\u2190\u2191\u2192\u2193")
)
_SAFE: frozenset[str] = frozenset()
_ASCII_OK = False  # every printable ASCII character is drawable: the str.isascii() fast path


def _init_fast_clean(cmap: dict[int, int]) -> None:
    global _SAFE, _ASCII_OK
    _SAFE = frozenset(
        ch for ch in _SAFE_CANDIDATES
        if ord(ch) in cmap and unicodedata.category(ch) not in _BAD_CATEGORIES | {"Cf", "Zs"}
        and unicodedata.combining(ch) == 0 and unicodedata.normalize("NFC", ch) == ch
        and not _WS.match(ch))
    _ASCII_OK = 0x20 in cmap and all(chr(c) in _SAFE for c in range(0x21, 0x7F))


def clean_text(text: Any) -> str:
    """Make any cell value safe to draw: NFC, whitespace collapsed, invisible
    format characters dropped, anything the font cannot draw (or the PDF's
    ToUnicode map cannot encode: characters beyond U+FFFF) -> U+FFFD.

    Text made only of characters that need none of that (plain ASCII VINs and file
    names, Latin-1 names) takes a fast path with the very same result."""
    if type(text) is str:
        if not _ASCII_OK:
            register_fonts()
        if text.isascii():
            if text.isprintable() and _ASCII_OK:  # printable ASCII: only spaces to collapse
                return _WS.sub(" ", text).strip() if "  " in text else text.strip()
        elif _SAFE.issuperset(text.replace(" ", "")):
            return _WS.sub(" ", text).strip() if "  " in text else text.strip()
    if isinstance(text, str) and len(text) <= 200:
        return _clean_cached(text)  # labels repeat on every proof
    return _clean(text)


@lru_cache(maxsize=4096)
def _clean_cached(text: str) -> str:
    return _clean(text)


def _clean(text: Any) -> str:
    register_fonts()
    assert _cmap is not None
    s = unicodedata.normalize("NFC", "" if text is None else str(text))
    s = _WS.sub(" ", s).strip()
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Cf":  # zero-width joiners, bidi overrides, BOM: invisible, drop
            continue
        # Outside the BMP (emoji, historic scripts): reportlab writes the ToUnicode
        # entry as an odd-length hex string (<1F600>), an invalid PDF that text
        # extraction and search misread; show the placeholder instead.
        if cat in _BAD_CATEGORIES or ord(ch) > 0xFFFF or ord(ch) not in _cmap:
            out.append(PLACEHOLDER)
        else:
            out.append(ch)
    return "".join(out)


@lru_cache(maxsize=4096)
def fit_text(text: str, font: str, size: float, max_width: float,
             min_size: float = 6.5) -> tuple[str, float]:
    """Shrink ``text`` down to ``min_size`` to fit ``max_width``, then truncate with an ellipsis."""
    width = pdfmetrics.stringWidth(text, font, size)
    if width <= max_width:
        return text, size
    new_size = max(min_size, size * max_width / width)
    if pdfmetrics.stringWidth(text, font, new_size) <= max_width:
        return text, new_size
    ell = "\u2026"
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid].rstrip() + ell, font, new_size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ell, new_size


def visual(text: str) -> str:
    """Right-to-left runs (Hebrew, Arabic) in the left-to-right order a PDF draws glyphs.

    reportlab draws characters in string order and does not shape: Hebrew would
    come out mirrored and Arabic unjoined. Arabic letters become their joined
    presentation forms (arabic-reshaper), then the Unicode bidi algorithm
    (python-bidi) gives the visual order. Left-to-right text is returned as is
    (ASCII at once: no ASCII character is right-to-left).
    """
    if text.isascii():
        return text
    return _visual(text)


@lru_cache(maxsize=4096)
def _visual(text: str) -> str:
    kinds = {unicodedata.bidirectional(ch) for ch in text}
    if not kinds & {"R", "AL"}:
        return text
    if "AL" in kinds:
        import arabic_reshaper

        text = arabic_reshaper.reshape(text)
    from bidi import get_display

    return get_display(text)


def is_winansi(s: str) -> bool:
    """True if the standard fonts' WinAnsi (cp1252) encoding can show ``s``."""
    try:
        s.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def draw_text(canv: Canvas, x: float, y: float, text: Any, font: str = FONT, size: float = 10,
              max_width: float | None = None, align: str = "left") -> float:
    """Draw one line of untrusted text (cleaned, fitted); returns the size used."""
    s = visual(clean_text(text))
    if font in _STANDARD and not is_winansi(s):
        font = FONT
    if max_width is not None:
        s, size = fit_text(s, font, size, max_width)
    canv.setFont(font, size)
    if align == "center":
        canv.drawCentredString(x, y, s)
    elif align == "right":
        canv.drawRightString(x, y, s)
    else:
        canv.drawString(x, y, s)
    return size


# ---------------------------------------------------------------------------
# Plaque geometry as PDF operators.

class ReportlabPen:
    """fontTools-style pen feeding a reportlab path object.

    Coordinates are kept as they are (mm of the plaque), rounded to
    ``digits`` decimals (0.001 mm: far below any printer's or laser's
    resolution) to keep the PDF content streams short.
    """

    def __init__(self, path: PDFPathObject | None = None, digits: int = 3) -> None:
        self.path = path if path is not None else PDFPathObject()
        self.digits = digits

    def moveTo(self, pt):
        d = self.digits
        self.path.moveTo(round(pt[0], d), round(pt[1], d))

    def lineTo(self, pt):
        d = self.digits
        self.path.lineTo(round(pt[0], d), round(pt[1], d))

    def curveTo(self, *pts):
        d = self.digits
        (x1, y1), (x2, y2), (x3, y3) = pts
        self.path.curveTo(round(x1, d), round(y1, d), round(x2, d), round(y2, d),
                          round(x3, d), round(y3, d))

    def qCurveTo(self, *pts):  # pragma: no cover - Path only holds M/L/C/Z
        raise NotImplementedError

    def closePath(self):
        self.path.close()

    def endPath(self):
        pass


_CODE_CACHE: dict[Path, str] = {}
_BY_ID: dict[int, tuple[Path, str]] = {}  # the same Path object again: no hashing of its segments
_CODE_CACHE_MAX = 4096


def path_code(path: Path) -> str:
    """PDF path operators for ``path`` in its own mm coordinates (cached per process).

    Drawing happens under a canvas transform (mm, y down), so the operator
    string does not depend on where or how large the plaque is drawn, and
    artwork shared by every plaque is converted once. Equal paths give the identical string
    object (the template writer reuses their compressed form).
    """
    hit = _BY_ID.get(id(path))
    if hit is not None and hit[0] is path:  # the entry keeps the object alive: id not reused
        return hit[1]
    code = _CODE_CACHE.get(path)
    if code is None:
        pen = ReportlabPen()
        path.draw(pen)
        code = pen.path.getCode()
        if len(_CODE_CACHE) >= _CODE_CACHE_MAX:
            _CODE_CACHE.clear()
        _CODE_CACHE[path] = code
    if len(_BY_ID) >= _CODE_CACHE_MAX:
        _BY_ID.clear()
    _BY_ID[id(path)] = (path, code)
    return code


def plate_path(plaque: Plaque) -> Path:
    """The plate outline: the first cut path, else the first guide path, else the bounding rect."""
    for name in ("cut", "guide"):
        layer = plaque.layer(name)
        if layer is not None and layer.paths:
            return layer.paths[0]
    return rounded_rect(0.0, 0.0, plaque.width, plaque.height, 0.0)


def _rgb(col: Color, op: str) -> str:
    return f"{fp_str(col.red, col.green, col.blue)} {op}"


def plaque_ops(plaque: Plaque, x: float, y_top: float, scale: float = 1.0, *,
               plate: bool = True, cut: bool = True, score_width_mm: float = SCORE_WIDTH_MM,
               cut_width_pt: float = CUT_WIDTH_PT, skip: frozenset[int] = frozenset(),
               paint: Callable[[Path, str, str], str] | None = None) -> list[str]:
    """The PDF content operators that draw ``plaque`` with its top-left corner at PDF point
    (x, y_top), ``scale`` x actual size; see :func:`draw_plaque`.

    Each path is one operator string from :func:`path_code` (the cached object itself,
    so equal paths give the identical string), followed by its painting operator.
    The operators are exactly those reportlab's canvas writes for the same calls.
    ``paint(path, code, op)``, if given, returns the one operator that replaces each
    (path code, painting operator) pair of the layers (the job sheet draws a form XObject
    instead); ``op`` is "f", "f*" or "S", in the plaque's own mm coordinates.
    """
    k = scale * MM
    ops = ["q", f"{fp_str(k, 0, 0, -k, x, y_top)} cm", "1 j", "1 J"]
    if paint is not None:
        return _painted_ops(plaque, k, ops, plate, cut, score_width_mm, cut_width_pt, skip, paint)
    add = ops.append
    if plate:
        add(_rgb(PLATE_FILL, "rg"))
        add(path_code(plate_path(plaque)))
        add("f")
    for layer in plaque.layers:
        name = layer.name
        if name == "engrave":
            add("0 0 0 rg")
            for p in layer.paths:
                if id(p) in skip:
                    continue
                add(path_code(p))
                add("f*" if p.fill_rule == "evenodd" else "f")
        elif name == "score":
            add("0 0 0 RG")
            add(f"{fp_str(score_width_mm)} w")
            for p in layer.paths:
                if id(p) not in skip:
                    add(path_code(p))
                    add("S")
        elif name == "cut" and cut:
            add(_rgb(CUT_RED, "RG"))
            add(f"{fp_str(cut_width_pt / k)} w")
            for p in layer.paths:
                if id(p) not in skip:
                    add(path_code(p))
                    add("S")
    if plate and (plaque.layer("cut") is None or not cut):
        add(_rgb(PLATE_EDGE, "RG"))  # outline in any case
        add(f"{fp_str(cut_width_pt / k)} w")
        add(path_code(plate_path(plaque)))
        add("S")
    add("Q")
    return ops


@lru_cache(maxsize=64)
def _rgb_cached(col: Color, op: str) -> str:
    return _rgb(col, op)


@lru_cache(maxsize=256)
def _width_op(width: float) -> str:
    return f"{fp_str(width)} w"


def _painted_ops(plaque: Plaque, k: float, ops: list[str], plate: bool, cut: bool,
                 score_width_mm: float, cut_width_pt: float, skip: frozenset[int],
                 paint: Callable[[Path, str, str], str]) -> list[str]:
    """plaque_ops after its header with each path painted through ``paint``; the state
    operators are the same."""
    add = ops.append
    if plate:
        add(_rgb_cached(PLATE_FILL, "rg"))
        pp = plate_path(plaque)
        add(paint(pp, path_code(pp), "f"))
    for layer in plaque.layers:
        name = layer.name
        if name == "engrave":
            add("0 0 0 rg")
            for p in layer.paths:
                if id(p) not in skip:
                    add(paint(p, path_code(p), "f*" if p.fill_rule == "evenodd" else "f"))
        elif name == "score":
            add("0 0 0 RG")
            add(_width_op(score_width_mm))
            for p in layer.paths:
                if id(p) not in skip:
                    add(paint(p, path_code(p), "S"))
        elif name == "cut" and cut:
            add(_rgb_cached(CUT_RED, "RG"))
            add(_width_op(cut_width_pt / k))
            for p in layer.paths:
                if id(p) not in skip:
                    add(paint(p, path_code(p), "S"))
    if plate and (plaque.layer("cut") is None or not cut):
        add(_rgb_cached(PLATE_EDGE, "RG"))
        add(_width_op(cut_width_pt / k))
        pp = plate_path(plaque)
        add(paint(pp, path_code(pp), "S"))
    add("Q")
    return ops


def draw_plaque(canv: Canvas, plaque: Plaque, x: float, y_top: float, scale: float = 1.0, *,
                plate: bool = True, cut: bool = True, score_width_mm: float = SCORE_WIDTH_MM,
                cut_width_pt: float = CUT_WIDTH_PT, skip: frozenset[int] = frozenset()) -> None:
    """Draw ``plaque`` with its top-left corner at PDF point (x, y_top), ``scale`` x actual size.

    Plate background (light steel grey), engrave layer filled black with each
    path's fill rule, score layer stroked black ``score_width_mm`` wide (in
    plaque mm), cut layer stroked red ``cut_width_pt`` wide (in page points).
    The guide layer is not drawn (only used as plate outline when there is no cut path).
    ``skip``: ids of Path objects not to draw (already placed from a shared form).
    The drawing is wrapped in q/Q: the canvas state is unchanged afterwards.
    """
    canv._code.extend(plaque_ops(plaque, x, y_top, scale, plate=plate, cut=cut,
                                 score_width_mm=score_width_mm, cut_width_pt=cut_width_pt,
                                 skip=skip))


# ---------------------------------------------------------------------------
# The one patch of reportlab's module globals.

class _FastZlib:
    """zlib as reportlab's pdfdoc sees it, compressing at level 1.

    Level 1 instead of the default 6 saves ~15% of a document's time for ~4% more bytes.
    """

    def __init__(self, real):
        self._real = real

    def compress(self, data, level=1):
        return self._real.compress(data, 1)

    def __getattr__(self, name):
        return getattr(self._real, name)


class binary_streams:
    """Context manager: reportlab streams without the ASCII85 filter, fast zlib.

    This is the only place plaquegen changes reportlab's globals (``rl_config.useA85`` and
    ``reportlab.pdfbase.pdfdoc.zlib``). reportlab's ASCII85 encoder costs ~1.5 ms per proof
    for nothing (PDFs are binary files anyway); see _FastZlib for the compression level.
    Both are restored on exit, so other reportlab users in the process are unaffected.
    Not thread-safe (module globals): render PDFs in processes, not threads.
    """

    def __enter__(self):
        self._old = rl_config.useA85, _pdfdoc.zlib
        rl_config.useA85 = 0
        _pdfdoc.zlib = _FastZlib(self._old[1])
        return self

    def __exit__(self, *exc):
        rl_config.useA85, _pdfdoc.zlib = self._old
        return False
