"""Owner proof PDF: one page per plaque, drawn from the Plaque geometry itself.

The proof shows the plaque at exactly 1:1 (1 mm = 72/25.4 pt) with a
dimension line and a 50 mm scale bar to check the print with a ruler, an
enlargement of the same drawing, the order details, a "PROOF" watermark that
never touches the plaque drawings, and an AcroForm approval section.

Nothing is composed here: :func:`draw_plaque` replays ``plaque.layers`` into
reportlab paths (also used by the job sheet), so the proof shows exactly
what is engraved. On the proof the plaque is drawn once into a form XObject
and placed twice (1:1 and enlarged). Path operators are cached per Path
(the composer shares its constant artwork paths between plaques).

Cost (measured, 2-core box under load): ~12-16 ms per proof with a composed
plaque. Most of it is per document, inside reportlab: embedding two TTF
subsets (~5 ms), the five AcroForm fields with their appearance streams
(~3 ms), compressing streams; drawing the plaque twice is < 1 ms once its
artwork paths are cached.

Text from an order is only ever drawn with ``drawString`` (never parsed as
markup), passed through :func:`clean_text` (characters the font cannot draw
become U+FFFD) and shrunk/truncated to fit its line.

AcroForm fields use Helvetica: reportlab only allows the standard 14 fonts
for form fields. Field *values* typed by owners are rendered by their PDF
viewer, which regenerates the appearance with its own fonts.

The plaque's identity (batch id, VIN, number, svg sha256) is embedded twice
for the approval round-trip: as JSON in the document Subject and in a
hidden read-only text field ``plaquegen_id``; :func:`read_proof` reads it
back together with the owner's answers.
"""
from __future__ import annotations

import json
from functools import lru_cache
import math
import re
import unicodedata
from io import BytesIO
from pathlib import Path as FsPath
from typing import Any

from reportlab import rl_config
from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase import pdfdoc as _pdfdoc
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import FILL_EVEN_ODD, FILL_NON_ZERO, Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from .files import ASSETS
from . import __version__
from .geometry import Path, Plaque, rounded_rect
from .records import Numbered

MM = 72.0 / 25.4  # points per millimetre
A4 = (210.0 * MM, 297.0 * MM)  # 595.28 x 841.89 pt
LETTER = (612.0, 792.0)

FONT = "PlaqueGenSans"
FONT_BOLD = "PlaqueGenSans-Bold"
# Our own labels use the PDF standard fonts: nothing to embed, and embedding a
# subset is most of a proof's cost. Everything that comes from an order cell is
# drawn with the embedded DejaVu (FONT), which has Ł, ř, Ş; draw_text falls back
# to it for any label text the standard fonts' WinAnsi encoding cannot show.
LABEL = "Helvetica"
LABEL_BOLD = "Helvetica-Bold"
_STANDARD = {LABEL, LABEL_BOLD}
FONT_DIR = ASSETS / "fonts"
PLACEHOLDER = "\ufffd"

LETTER_COUNTRIES = frozenset({"US", "CA"})
GERMAN_COUNTRIES = frozenset({"DE", "AT", "CH"})

# Colours used for the plaque drawing.
PLATE_FILL = Color(0.86, 0.875, 0.89)   # light steel grey
PLATE_EDGE = Color(0.62, 0.64, 0.67)
INK = Color(0, 0, 0)
CUT_RED = Color(1, 0, 0)
SCORE_WIDTH_MM = 0.15
CUT_WIDTH_PT = 0.35
GREY_TEXT = Color(0.35, 0.35, 0.38)

# ---------------------------------------------------------------------------
# Strings, one dict per language.

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Proof of your plaque",
        "subtitle": "Please check every detail. Your plaque is engraved exactly as drawn here.",
        "watermark": "PROOF",
        "actual": "Actual size (1:1)",
        "enlarged": "Enlarged ({scale} : 1)",
        "print_note1": "Print at 100 % (\u201cActual size\u201d), not \u201cFit to page\u201d.",
        "print_note2": "Check with a ruler: the bar is exactly 50 mm long.",
        "details": "Details",
        "owner": "Owner",
        "order": "Order",
        "vin": "VIN",
        "number": "Build number",
        "number_hint": "car {n} of {total} customer cars",
        "market": "Market",
        "batch": "Batch",
        "date": "Date",
        "approval": "Approval",
        "approve": "I approve this plaque",
        "approve_hint": "for engraving exactly as shown above.",
        "changes": "Requested changes (leave empty if none):",
        "name": "Name",
        "sign_date": "Date",
        "return": ("Fill in the form in your PDF reader, save it and send the file back to the "
                   "register. Nothing is engraved before your approval."),
        "legend": "Black: engraved \u00b7 thin black line: scored \u00b7 red line: plate outline (cut)",
        "tip_approve": "Tick to approve the plaque for engraving",
        "tip_changes": "Describe any change you need",
        "tip_name": "Your name",
        "tip_date": "Today's date",
        "unknown": "\u2014",
    },
    "de": {
        "title": "Korrekturabzug Ihrer Plakette",
        "subtitle": "Bitte pr\u00fcfen Sie alle Angaben. Die Plakette wird genau so graviert wie hier gezeigt.",
        "watermark": "KORREKTURABZUG",
        "actual": "Originalgr\u00f6\u00dfe (1:1)",
        "enlarged": "Vergr\u00f6\u00dfert ({scale} : 1)",
        "print_note1": "Mit 100 % drucken (\u201eTats\u00e4chliche Gr\u00f6\u00dfe\u201c), nicht \u201eAn Seite anpassen\u201c.",
        "print_note2": "Mit dem Lineal pr\u00fcfen: der Balken ist genau 50 mm lang.",
        "details": "Angaben",
        "owner": "Besitzer",
        "order": "Bestellung",
        "vin": "Fahrgestellnummer",
        "number": "Baunummer",
        "number_hint": "Fahrzeug {n} von {total} Kundenfahrzeugen",
        "market": "Markt",
        "batch": "Charge",
        "date": "Datum",
        "approval": "Freigabe",
        "approve": "Ich gebe diese Plakette frei",
        "approve_hint": "zur Gravur genau wie oben gezeigt.",
        "changes": "Gew\u00fcnschte \u00c4nderungen (leer lassen, wenn keine):",
        "name": "Name",
        "sign_date": "Datum",
        "return": ("Formular im PDF-Programm ausf\u00fcllen, speichern und die Datei an das Register "
                   "zur\u00fccksenden. Graviert wird erst nach Ihrer Freigabe."),
        "legend": "Schwarz: graviert \u00b7 d\u00fcnne schwarze Linie: geritzt \u00b7 rote Linie: Plattenkontur (Schnitt)",
        "tip_approve": "Ankreuzen, um die Plakette zur Gravur freizugeben",
        "tip_changes": "Gew\u00fcnschte \u00c4nderungen beschreiben",
        "tip_name": "Ihr Name",
        "tip_date": "Heutiges Datum",
        "unknown": "\u2014",
    },
}


def proof_language(numbered: Numbered) -> str:
    """'de' when the order's language starts with 'de', or (no language) the country is DE/AT/CH."""
    order = numbered.order
    lang = (order.language or "").strip().lower()
    if lang:
        return "de" if lang.startswith("de") else "en"
    return "de" if (order.country or "").strip().upper() in GERMAN_COUNTRIES else "en"


def proof_page_size(numbered: Numbered) -> tuple[float, float]:
    """US Letter for the US and Canada, A4 everywhere else."""
    return LETTER if (numbered.order.country or "").strip().upper() in LETTER_COUNTRIES else A4


# ---------------------------------------------------------------------------
# Fonts and safe text.

_cmap: dict[int, int] | None = None


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


_WS = re.compile(r"\s+")
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})


def clean_text(text: Any) -> str:
    """Make any cell value safe to draw: NFC, whitespace collapsed, invisible
    format characters dropped, anything the font cannot draw (or the PDF's
    ToUnicode map cannot encode: characters beyond U+FFFF) -> U+FFFD."""
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


@lru_cache(maxsize=4096)
def visual(text: str) -> str:
    """Right-to-left runs (Hebrew, Arabic) in the left-to-right order a PDF draws glyphs.

    reportlab draws characters in string order and does not shape: Hebrew would
    come out mirrored and Arabic unjoined. Arabic letters become their joined
    presentation forms (arabic-reshaper), then the Unicode bidi algorithm
    (python-bidi) gives the visual order. Left-to-right text is returned as is.
    """
    kinds = {unicodedata.bidirectional(ch) for ch in text}
    if not kinds & {"R", "AL"}:
        return text
    if "AL" in kinds:
        import arabic_reshaper

        text = arabic_reshaper.reshape(text)
    from bidi import get_display

    return get_display(text)


def _winansi(s: str) -> bool:
    try:
        s.encode("cp1252")
        return True
    except UnicodeEncodeError:
        return False


def draw_text(canv: Canvas, x: float, y: float, text: Any, font: str = FONT, size: float = 10,
              max_width: float | None = None, align: str = "left") -> float:
    """Draw one line of untrusted text (cleaned, fitted); returns the size used."""
    s = visual(clean_text(text))
    if font in _STANDARD and not _winansi(s):
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
# Drawing the plaque geometry.

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
_CODE_CACHE_MAX = 4096


def path_code(path: Path) -> str:
    """PDF path operators for ``path`` in its own mm coordinates (cached per process).

    Drawing happens under a canvas transform (mm, y down), so the operator
    string does not depend on where or how large the plaque is drawn, and
    artwork shared by every plaque is converted once.
    """
    code = _CODE_CACHE.get(path)
    if code is None:
        pen = ReportlabPen()
        path.draw(pen)
        code = pen.path.getCode()
        if len(_CODE_CACHE) >= _CODE_CACHE_MAX:
            _CODE_CACHE.clear()
        _CODE_CACHE[path] = code
    return code


def plate_path(plaque: Plaque) -> Path:
    """The plate outline: the first cut path, else the first guide path, else the bounding rect."""
    for name in ("cut", "guide"):
        layer = plaque.layer(name)
        if layer is not None and layer.paths:
            return layer.paths[0]
    return rounded_rect(0.0, 0.0, plaque.width, plaque.height, 0.0)


def draw_plaque(canv: Canvas, plaque: Plaque, x: float, y_top: float, scale: float = 1.0, *,
                plate: bool = True, cut: bool = True, score_width_mm: float = SCORE_WIDTH_MM,
                cut_width_pt: float = CUT_WIDTH_PT, skip: frozenset[int] = frozenset()) -> None:
    """Draw ``plaque`` with its top-left corner at PDF point (x, y_top), ``scale`` x actual size.

    Plate background (light steel grey), engrave layer filled black with each
    path's fill rule, score layer stroked black ``score_width_mm`` wide (in
    plaque mm), cut layer stroked red ``cut_width_pt`` wide (in page points).
    The guide layer is not drawn (only used as plate outline when there is no cut path).
    ``skip``: ids of Path objects not to draw (already placed from a shared form).
    """
    k = scale * MM
    canv.saveState()
    canv.transform(k, 0, 0, -k, x, y_top)  # 1 unit = 1 mm of the plaque, y down
    canv.setLineJoin(1)
    canv.setLineCap(1)
    if plate:
        canv.setFillColor(PLATE_FILL)
        canv.drawPath(PDFPathObject([path_code(plate_path(plaque))]), stroke=0, fill=1,
                      fillMode=FILL_NON_ZERO)
    for layer in plaque.layers:
        name = layer.name
        if name == "engrave":
            canv.setFillColor(INK)
            for p in layer.paths:
                if id(p) in skip:
                    continue
                mode = FILL_EVEN_ODD if p.fill_rule == "evenodd" else FILL_NON_ZERO
                canv.drawPath(PDFPathObject([path_code(p)]), stroke=0, fill=1, fillMode=mode)
        elif name == "score":
            canv.setStrokeColor(INK)
            canv.setLineWidth(score_width_mm)
            for p in layer.paths:
                if id(p) not in skip:
                    canv.drawPath(PDFPathObject([path_code(p)]), stroke=1, fill=0)
        elif name == "cut" and cut:
            canv.setStrokeColor(CUT_RED)
            canv.setLineWidth(cut_width_pt / k)
            for p in layer.paths:
                if id(p) not in skip:
                    canv.drawPath(PDFPathObject([path_code(p)]), stroke=1, fill=0)
    if plate and (plaque.layer("cut") is None or not cut):
        canv.setStrokeColor(PLATE_EDGE)  # outline in any case
        canv.setLineWidth(cut_width_pt / k)
        canv.drawPath(PDFPathObject([path_code(plate_path(plaque))]), stroke=1, fill=0)
    canv.restoreState()


# ---------------------------------------------------------------------------
# Layout. All boxes are in points, measured from the page's top-left corner
# (x right, y DOWN) — the same frame as a rendered image of the page.

MARGIN_MM = 15.0
ENLARGE_MAX = 3.0


def proof_layout(page_size: tuple[float, float], plate_w: float = 80.0,
                 plate_h: float = 24.0) -> dict[str, Any]:
    """Where everything goes on a proof page.

    Returns a dict of points measured from the page's top-left corner (y down):
    ``actual_origin`` (x, y) of the 1:1 plaque's top-left corner, ``actual_box``
    and ``enlarged_box`` (x0, y0, x1, y1), ``enlarged_scale``,
    ``watermark_region`` (where the rotated watermark must stay), plus the
    baselines of the sections. The 1:1 origin sits on whole millimetres, so a
    render at 254 dpi (10 px/mm) puts the plate on whole pixels.
    """
    pw, ph = page_size
    pw_mm, ph_mm = pw / MM, ph / MM
    content_w = pw_mm - 2 * MARGIN_MM
    mm: dict[str, Any] = {}
    mm["title"] = 17.0
    mm["subtitle"] = 23.0
    mm["actual_head"] = 33.0
    ax = float(round((pw_mm - plate_w) / 2))
    ay = 37.0
    mm["actual"] = (ax, ay, ax + plate_w, ay + plate_h)
    mm["dim_y"] = ay + plate_h + 3.5          # horizontal dimension line
    mm["scalebar_y"] = ay + plate_h + 13.0    # bottom of the 50 mm scale bar
    mm["enlarged_head"] = ay + plate_h + 25.0
    ey = mm["enlarged_head"] + 4.0
    # Fixed blocks below the enlargement need 132 mm down to the page bottom.
    room = ph_mm - 132.0 - ey
    scale = min(ENLARGE_MAX, content_w / plate_w, room / plate_h)
    scale = math.floor(scale * 20) / 20  # a round number to print: 2.25, 2.3, 3
    if plate_w > pw_mm - 10 or scale < 1.0:
        raise ValueError(f"a {plate_w:g} x {plate_h:g} mm plate does not fit a 1:1 proof page")
    ew, eh = plate_w * scale, plate_h * scale
    ex = (pw_mm - ew) / 2
    mm["enlarged"] = (ex, ey, ex + ew, ey + eh)
    mm["legend"] = ey + eh + 4.5
    mm["details_head"] = ey + eh + 12.0
    mm["details_top"] = mm["details_head"] + 7.0
    mm["row"] = 6.0
    a = mm["details_top"] + 6 * mm["row"] + 9.0
    mm["approval_head"] = a
    mm["checkbox"] = (MARGIN_MM, a + 6.0, MARGIN_MM + 14 / MM, a + 6.0 + 14 / MM)
    mm["changes_label"] = a + 17.0
    mm["changes"] = (MARGIN_MM, a + 18.5, pw_mm - MARGIN_MM, a + 36.5)
    mm["name_date"] = (MARGIN_MM, a + 39.5, pw_mm - MARGIN_MM, a + 46.5)
    mm["return_note"] = a + 51.5
    mm["footer"] = ph_mm - 8.0
    # Watermark: across details + approval, below the enlargement's legend.
    mm["watermark_region"] = (MARGIN_MM, ey + eh + 8.0, pw_mm - MARGIN_MM, a + 57.0)

    out: dict[str, Any] = {"page": (pw, ph), "margin": MARGIN_MM * MM, "enlarged_scale": scale}
    for key, val in mm.items():
        out[key] = tuple(v * MM for v in val) if isinstance(val, tuple) else val * MM
    out["actual_origin"] = (out["actual"][0], out["actual"][1])
    out["actual_box"] = out["actual"]
    out["enlarged_box"] = out["enlarged"]
    return out


def _watermark_geometry(region: tuple[float, float, float, float], text: str
                        ) -> tuple[float, float, float, float, tuple[float, float, float, float]]:
    """(cx, cy_top_frame, angle_deg, font_size, bbox) so the rotated text fits ``region``."""
    x0, y0, x1, y1 = region
    w, h = x1 - x0, y1 - y0
    angle = math.degrees(math.atan2(h, w))
    angle = min(angle, 35.0)
    a = math.radians(angle)
    unit = pdfmetrics.stringWidth(text, LABEL_BOLD, 1.0)
    cap = 0.73  # cap height / size for DejaVu
    # rotated box of a (unit*s) x (cap*s) text: width = L cos a + H sin a, height = L sin a + H cos a
    s_w = w / (unit * math.cos(a) + cap * math.sin(a))
    s_h = h / (unit * math.sin(a) + cap * math.cos(a))
    size = min(s_w, s_h, 110.0) * 0.92
    bw = (unit * math.cos(a) + cap * math.sin(a)) * size
    bh = (unit * math.sin(a) + cap * math.cos(a)) * size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx, cy, angle, size, (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)


def watermark_box(page_size: tuple[float, float], plate_w: float, plate_h: float,
                  text: str) -> tuple[float, float, float, float]:
    """Bounding box (top-left frame, pt) of the rotated watermark for these inputs."""
    register_fonts()
    lay = proof_layout(page_size, plate_w, plate_h)
    return _watermark_geometry(lay["watermark_region"], text)[4]


# ---------------------------------------------------------------------------
# The proof.

def field_suffix(vin: str) -> str:
    """VIN made safe for an AcroForm field name (no '.', which means hierarchy)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", vin) or "unknown"


def identity(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "vin": numbered.vin,
        "number": plaque.number,
        "total": plaque.total,
        "label": plaque.label,
        "order_id": numbered.order.order_id,
        "svg_sha256": svg_sha256,
    }


def _fmt_int(n: int, lang: str) -> str:
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "de" else s


def render_proof(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
                 created: str) -> bytes:
    """One-page owner proof PDF for ``plaque`` (deterministic bytes for equal input)."""
    with binary_streams():
        return _render_proof(plaque, numbered, batch_id, svg_sha256, created)


class _FastZlib:
    """zlib as reportlab's pdfdoc sees it, compressing at level 1.

    Level 1 instead of the default 6 saves ~15% of a proof's time for ~4% more
    bytes; a full run writes 6,309 proofs.
    """

    def __init__(self, real):
        self._real = real

    def compress(self, data, level=1):
        return self._real.compress(data, 1)

    def __getattr__(self, name):
        return getattr(self._real, name)


class binary_streams:
    """Context manager: reportlab streams without the ASCII85 filter, fast zlib.

    reportlab's ASCII85 encoder costs ~1.5 ms per proof for nothing (PDFs are
    binary files anyway); see _FastZlib for the compression level. Both are
    restored on exit, so other reportlab users in the process are unaffected.
    """

    def __enter__(self):
        self._old = rl_config.useA85, _pdfdoc.zlib
        rl_config.useA85 = 0
        _pdfdoc.zlib = _FastZlib(self._old[1])
        return self

    def __exit__(self, *exc):
        rl_config.useA85, _pdfdoc.zlib = self._old
        return False


def _render_proof(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
                  created: str) -> bytes:
    register_fonts()
    lang = proof_language(numbered)
    T = STRINGS[lang]
    page = proof_page_size(numbered)
    pw, ph = page
    lay = proof_layout(page, plaque.width, plaque.height)
    order = numbered.order
    ident = identity(plaque, numbered, batch_id, svg_sha256)
    ident_json = json.dumps(ident, sort_keys=True, ensure_ascii=True, separators=(",", ":"))

    buf = BytesIO()
    c = Canvas(buf, pagesize=page, invariant=1, pageCompression=1, lang=lang)
    c.setTitle(clean_text(f"{T['title']} {plaque.label} \u2013 {numbered.vin}"))
    c.setSubject(ident_json)
    c.setKeywords(f"plaquegen proof; vin={numbered.vin}; number={plaque.number}; batch={batch_id}")
    c.setAuthor("plaquegen")
    c.setCreator(f"plaquegen {__version__}")

    def Y(top: float) -> float:  # top-frame y -> PDF y
        return ph - top

    left = lay["margin"]
    right = pw - lay["margin"]

    # Watermark first, under everything, in the empty lower part of the page.
    cx, cy, angle, size, _bbox = _watermark_geometry(lay["watermark_region"], T["watermark"])
    c.saveState()
    c.setFillColor(Color(0.85, 0.1, 0.1, alpha=0.11))
    c.setFillAlpha(0.11)
    c.translate(cx, Y(cy))
    c.rotate(angle)
    c.setFont(LABEL_BOLD, size)
    c.drawCentredString(0, -0.73 * size / 2, T["watermark"])
    c.restoreState()

    # Title.
    c.setFillColor(INK)
    draw_text(c, left, Y(lay["title"]), T["title"], LABEL_BOLD, 17, right - left)
    c.setFillColor(GREY_TEXT)
    draw_text(c, left, Y(lay["subtitle"]), T["subtitle"], LABEL, 9.5, right - left)

    # 1:1 view.
    c.setFillColor(INK)
    draw_text(c, left, Y(lay["actual_head"]), T["actual"], LABEL_BOLD, 11)
    # The plaque is drawn once into a form XObject and placed twice (1:1 and
    # enlarged): half the content stream to build and compress.
    place = _plaque_form(c, plaque)
    ax0, ay0, ax1, ay1 = lay["actual_box"]
    place(ax0, Y(ay0), 1.0)
    _dimension_h(c, ax0, ax1, Y(lay["dim_y"]), f"{plaque.width:g} mm")
    _dimension_v(c, ax1 + 3.5 * MM, Y(ay0), Y(ay1), f"{plaque.height:g} mm")
    sb_x = left
    sb_y = Y(lay["scalebar_y"])
    _scale_bar(c, sb_x, sb_y)
    c.setFillColor(INK)
    note_x = sb_x + 50 * MM + 10 * MM
    draw_text(c, note_x, sb_y + 1.0, T["print_note1"], LABEL_BOLD, 8.5, right - note_x)
    draw_text(c, note_x, sb_y - 10.0, T["print_note2"], LABEL, 8.5, right - note_x)

    # Enlargement.
    scale = lay["enlarged_scale"]
    scale_txt = f"{scale:g}".replace(".", ",") if lang == "de" else f"{scale:g}"
    draw_text(c, left, Y(lay["enlarged_head"]), T["enlarged"].format(scale=scale_txt), LABEL_BOLD, 11)
    ex0, ey0, ex1, ey1 = lay["enlarged_box"]
    place(ex0, Y(ey0), scale)
    c.setFillColor(GREY_TEXT)
    draw_text(c, (ex0 + ex1) / 2, Y(lay["legend"]), T["legend"], LABEL, 7.5, right - left, "center")

    # Details.
    c.setFillColor(INK)
    draw_text(c, left, Y(lay["details_head"]), T["details"], LABEL_BOLD, 11)
    c.setStrokeColor(Color(0.7, 0.7, 0.72))
    c.setLineWidth(0.5)
    c.line(left, Y(lay["details_head"]) - 4, right, Y(lay["details_head"]) - 4)
    hint = T["number_hint"].format(n=_fmt_int(plaque.number, lang), total=_fmt_int(plaque.total, lang))
    rows = [
        (T["owner"], order.name or T["unknown"], FONT),
        (T["order"], order.order_id or T["unknown"], FONT),
        (T["vin"], numbered.vin, LABEL_BOLD),
        (T["number"], plaque.label, LABEL_BOLD),
        (T["market"], numbered.market or T["unknown"], LABEL),
        (T["batch"], batch_id, FONT),
        (T["date"], created, LABEL),
    ]
    label_w = 42 * MM
    y = Y(lay["details_top"])
    for label, value, font in rows:
        c.setFillColor(GREY_TEXT)
        draw_text(c, left, y, label, LABEL, 9.5, label_w - 4)
        c.setFillColor(INK)
        if value is plaque.label:
            vx = left + label_w
            used = draw_text(c, vx, y, value, font, 11, right - vx)
            vw = pdfmetrics.stringWidth(clean_text(value), font, used)
            c.setFillColor(GREY_TEXT)
            draw_text(c, vx + vw + 8, y, f"({hint})", LABEL, 9, max(10.0, right - vx - vw - 8))
        else:
            draw_text(c, left + label_w, y, value, font, 11, right - left - label_w)
        y -= lay["row"]

    # Approval form.
    _approval(c, T, lay, left, right, Y, field_suffix(numbered.vin), ident_json)

    # Footer.
    c.setFillColor(GREY_TEXT)
    draw_text(c, left, Y(lay["footer"]), f"plaquegen \u00b7 {batch_id} \u00b7 SVG sha256 {svg_sha256}",
              FONT, 6.5, right - left)
    c.showPage()
    c.save()
    return buf.getvalue()


def _plaque_form(c: Canvas, plaque: Plaque):
    """Draw ``plaque`` at 1:1 into a form XObject; return place(x, y_top, scale)."""
    w, h = plaque.width * MM, plaque.height * MM
    pad = 3.0
    c.beginForm("plaque", -pad, -pad, w + pad, h + pad)
    # Cut line 0.12 mm wide on the plate: 0.34 pt at 1:1, thicker in the enlargement.
    draw_plaque(c, plaque, 0.0, h, 1.0, cut_width_pt=0.12 * MM)
    c.endForm()

    def place(x: float, y_top: float, scale: float) -> None:
        c.saveState()
        c.transform(scale, 0, 0, scale, x, y_top - h * scale)
        c.doForm("plaque")
        c.restoreState()

    return place


def _approval(c: Canvas, T: dict[str, str], lay: dict[str, Any], left: float, right: float,
              Y, suffix: str, ident_json: str) -> None:
    """Approval section: checkbox, requested changes, name and date as AcroForm fields.

    Field backgrounds are transparent (the watermark shows through); fields
    use Helvetica because reportlab only accepts the standard 14 fonts there.
    """
    top = lay["approval_head"]
    c.setFillColor(INK)
    draw_text(c, left, Y(top), T["approval"], LABEL_BOLD, 11)
    c.setStrokeColor(Color(0.7, 0.7, 0.72))
    c.setLineWidth(0.5)
    c.line(left, Y(top) - 4, right, Y(top) - 4)
    form = c.acroForm
    border = Color(0.35, 0.4, 0.5)
    cx0, cy0, cx1, cy1 = lay["checkbox"]
    box = cx1 - cx0
    form.checkbox(name=f"approve_{suffix}", tooltip=T["tip_approve"], x=cx0, y=Y(cy1), size=box,
                  buttonStyle="check", borderColor=border, fillColor=None, textColor=INK,
                  borderWidth=1, fieldFlags="", forceBorder=True)
    tx = cx1 + 8
    base = Y(cy1) + 3.5
    used = draw_text(c, tx, base, T["approve"], LABEL_BOLD, 11, (right - tx) * 0.6)
    w = pdfmetrics.stringWidth(clean_text(T["approve"]), LABEL_BOLD, used)
    c.setFillColor(GREY_TEXT)
    draw_text(c, tx + w + 5, base, T["approve_hint"], LABEL, 9.5, right - (tx + w + 5))
    c.setFillColor(INK)
    draw_text(c, left, Y(lay["changes_label"]), T["changes"], LABEL, 9.5, right - left)
    x0, y0, x1, y1 = lay["changes"]
    form.textfield(name=f"changes_{suffix}", tooltip=T["tip_changes"], x=x0, y=Y(y1),
                   width=x1 - x0, height=y1 - y0, fieldFlags="multiline", maxlen=2000,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    x0, y0, x1, y1 = lay["name_date"]
    h = y1 - y0
    label_w = 14 * MM
    name_w = (x1 - x0) * 0.62
    draw_text(c, x0, Y(y1) + 6, T["name"], LABEL, 9.5, label_w - 3)
    form.textfield(name=f"name_{suffix}", tooltip=T["tip_name"], x=x0 + label_w, y=Y(y1),
                   width=name_w - label_w - 8 * MM, height=h, maxlen=200,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    dx = x0 + name_w
    draw_text(c, dx, Y(y1) + 6, T["sign_date"], LABEL, 9.5, label_w - 3)
    form.textfield(name=f"date_{suffix}", tooltip=T["tip_date"], x=dx + label_w, y=Y(y1),
                   width=x1 - dx - label_w, height=h, maxlen=40,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    c.setFillColor(GREY_TEXT)
    _wrap(c, T["return"], left, Y(lay["return_note"]), right - left, LABEL, 8.5, 11, max_lines=2)
    # Hidden, read-only identity for the approval round-trip.
    form.textfield(name="plaquegen_id", value=ident_json, x=left, y=Y(lay["footer"]) + 2,
                   width=10, height=4, maxlen=len(ident_json) + 10, fieldFlags="readOnly",
                   annotationFlags="hidden", borderWidth=0, fillColor=None, borderColor=None,
                   fontName="Helvetica", fontSize=4)


def _wrap(c: Canvas, text: str, x: float, y: float, width: float, font: str, size: float,
          leading: float, max_lines: int = 99) -> float:
    """Draw plain text wrapped at word boundaries; returns the y below the last line."""
    words = clean_text(text).split(" ")
    lines: list[str] = []
    line = ""
    for w in words:
        trial = f"{line} {w}".strip()
        if line and pdfmetrics.stringWidth(trial, font, size) > width:
            lines.append(line)
            line = w
        else:
            line = trial
    if line:
        lines.append(line)
    if len(lines) > max_lines:  # the last allowed line takes the rest, shrunk/truncated
        lines = lines[:max_lines - 1] + [" ".join(lines[max_lines - 1:])]
    for ln in lines:
        draw_text(c, x, y, ln, font, size, width)
        y -= leading
    return y


def _dimension_h(c: Canvas, x0: float, x1: float, y: float, label: str) -> None:
    """A horizontal dimension line from x0 to x1 with end ticks and a centred label."""
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(0.4)
    c.line(x0, y, x1, y)
    for x in (x0, x1):
        c.line(x, y - 2.5, x, y + 6.0)
        # arrow heads
        d = 3.0 if x == x0 else -3.0
        c.line(x, y, x + d, y + 1.2)
        c.line(x, y, x + d, y - 1.2)
    c.setFillColor(Color(1, 1, 1))
    tw = pdfmetrics.stringWidth(label, LABEL, 8) + 6
    c.rect((x0 + x1 - tw) / 2, y - 4, tw, 8, stroke=0, fill=1)
    c.setFillColor(INK)
    c.setFont(LABEL, 8)
    c.drawCentredString((x0 + x1) / 2, y - 2.8, label)
    c.restoreState()


def _dimension_v(c: Canvas, x: float, y_top: float, y_bot: float, label: str) -> None:
    c.saveState()
    c.setStrokeColor(INK)
    c.setLineWidth(0.4)
    c.line(x, y_top, x, y_bot)
    for y in (y_top, y_bot):
        c.line(x - 6.0, y, x + 2.5, y)
        d = -3.0 if y == y_top else 3.0
        c.line(x, y, x - 1.2, y + d)
        c.line(x, y, x + 1.2, y + d)
    c.setFillColor(INK)
    c.setFont(LABEL, 8)
    c.drawString(x + 4, (y_top + y_bot) / 2 - 2.8, label)
    c.restoreState()


def _scale_bar(c: Canvas, x: float, y: float) -> None:
    """A 50 mm bar with 10 mm ticks, alternating black/white segments, baseline at y."""
    c.saveState()
    c.setLineWidth(0.4)
    c.setStrokeColor(INK)
    h = 2.0 * MM
    for i in range(5):
        c.setFillColor(INK if i % 2 == 0 else Color(1, 1, 1))
        c.rect(x + i * 10 * MM, y, 10 * MM, h, stroke=1, fill=1)
    c.setFillColor(INK)
    c.setFont(LABEL, 7)
    for i in range(6):
        tx = x + i * 10 * MM
        c.line(tx, y + h, tx, y + h + 1.5 * MM)
        c.drawCentredString(tx, y - 8, str(i * 10))
    c.drawString(x + 50 * MM + 9, y - 8, "mm")
    c.restoreState()


# ---------------------------------------------------------------------------
# Reading a returned proof (approval round-trip).

def read_proof(pdf: bytes | str | FsPath) -> dict[str, Any]:
    """Read a (possibly filled-in) proof: the embedded identity and the owner's answers.

    Returns ``{"identity": {...} | None, "approved": bool, "changes": str,
    "name": str, "date": str}``. The identity comes from the hidden field,
    falling back to the document Subject.
    """
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf) if isinstance(pdf, (bytes, bytearray)) else str(pdf))
    fields = reader.get_fields() or {}
    ident = None
    raw = fields.get("plaquegen_id", {}).get("/V") if "plaquegen_id" in fields else None
    for candidate in (raw, (reader.metadata or {}).get("/Subject")):
        if candidate:
            try:
                ident = json.loads(str(candidate))
                break
            except ValueError:
                continue
    out: dict[str, Any] = {"identity": ident, "approved": False, "changes": "", "name": "", "date": ""}
    for fname, f in fields.items():
        value = f.get("/V")
        if fname.startswith("approve_"):
            out["approved"] = str(value) not in ("", "/Off", "Off", "None")
        for key in ("changes", "name", "date"):
            if fname.startswith(key + "_") and value is not None:
                out[key] = str(value)
    return out
