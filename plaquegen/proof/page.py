"""The owner's proof page: where everything goes (:class:`ProofLayout`) and what is drawn
(:func:`draw_page`), plus the reference writer :func:`render_proof_reportlab`.

The proof shows the plaque at exactly 1:1 (1 mm = 72/25.4 pt) with a dimension line and a
50 mm scale bar to check the print with a ruler, an enlargement of the same drawing, the order
details, a "PROOF" watermark that never touches the plaque drawings, and an AcroForm approval
section (field names from :mod:`plaquegen.proof.form`).

Nothing is composed here: the plaque is drawn from ``plaque.layers``
(:func:`plaquegen.writers.pdf.plaque_ops`), once into a form XObject placed twice (1:1 and
enlarged), so the proof shows exactly what is engraved.

:func:`draw_page` draws everything that depends on the owner through ``var(fn)``: each such
piece is a function ``fn(canvas, values)`` drawn between q/Q. The reference writer calls them
in place; the template writer (:mod:`plaquegen.proof.writer`) draws the page once per variant
(language x paper x plate size) with holes where they go and fills the holes per owner, with
the very same functions: both writers put the same operators on the page.

AcroForm fields use Helvetica: reportlab only allows the standard 14 fonts for form fields.
Field *values* typed by owners are rendered by their PDF viewer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO
from typing import Callable

from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from ..core.version import __version__
from ..core.errors import PlaquegenError
from ..geometry.paths import Plaque
from ..writers.pdf import (A4, FONT, GREY_TEXT, INK, LABEL, LABEL_BOLD, LETTER, MM, binary_streams,
                     clean_text, draw_text, plaque_ops, register_fonts)
from .form import (APPROVE, CHANGES, DATE, ID_FIELD, NAME, field_suffix, identity,
                        identity_json)
from .strings import STRINGS, format_int, format_scale, letter_paper, proof_language
from ..core.records import Numbered

__all__ = ["ProofLayout", "ProofLayoutError", "ProofValues", "MARGIN_MM", "ENLARGE_MAX",
           "proof_layout", "proof_page_size", "watermark_box", "proof_values", "draw_page",
           "render_proof_reportlab", "PLAQUE_FORM", "TextPiece", "NumberPiece"]

MARGIN_MM = 15.0
ENLARGE_MAX = 3.0
PLAQUE_FORM = "plaque"  # name of the form XObject holding the plaque drawing
Box = tuple[float, float, float, float]


class ProofLayoutError(PlaquegenError, ValueError):
    """The plate does not fit a 1:1 view on the proof page."""


def proof_page_size(numbered: Numbered) -> tuple[float, float]:
    """US Letter (points) for the US and Canada, A4 everywhere else."""
    return LETTER if letter_paper(numbered) else A4


# ---------------------------------------------------------------------------
# Layout. All boxes are in points, measured from the page's top-left corner
# (x right, y DOWN) - the same frame as a rendered image of the page.

@dataclass(frozen=True)
class ProofLayout:
    """Where everything goes on a proof page, in points from the top-left corner (y down).

    Boxes are (x0, y0, x1, y1); single numbers are baselines (y) unless said otherwise.
    The 1:1 box sits on whole millimetres, so a render at 254 dpi (10 px/mm) puts the plate
    on whole pixels.
    """

    page: tuple[float, float]   # page width, height (pt)
    margin: float               # left/right margin (pt)
    enlarged_scale: float       # the enlargement's scale factor (a round number: 2.25, 3)
    title: float
    subtitle: float
    actual_head: float
    actual_box: Box             # the 1:1 plaque
    dim_y: float                # horizontal dimension line
    scalebar_y: float           # bottom of the 50 mm scale bar
    enlarged_head: float
    enlarged_box: Box           # the enlarged plaque
    legend: float
    details_head: float
    details_top: float          # baseline of the first details row
    row: float                  # distance between details rows (pt)
    approval_head: float
    checkbox: Box
    changes_label: float
    changes: Box                # the "requested changes" field
    name_date: Box              # the name and date fields
    return_note: float
    footer: float
    watermark_region: Box       # where the rotated watermark must stay

    @property
    def actual_origin(self) -> tuple[float, float]:
        """Top-left corner of the 1:1 plaque (pt, y down)."""
        return self.actual_box[0], self.actual_box[1]


def proof_layout(page_size: tuple[float, float], plate_w: float = 80.0,
                 plate_h: float = 24.0) -> ProofLayout:
    """The layout of a proof page of ``page_size`` (pt) for a ``plate_w`` x ``plate_h`` mm plate.

    Raises :class:`ProofLayoutError` (a ValueError) if the plate does not fit at 1:1.
    """
    pw, ph = page_size
    pw_mm, ph_mm = pw / MM, ph / MM
    content_w = pw_mm - 2 * MARGIN_MM
    ax = float(round((pw_mm - plate_w) / 2))
    ay = 37.0
    enlarged_head = ay + plate_h + 25.0
    ey = enlarged_head + 4.0
    # Fixed blocks below the enlargement need 132 mm down to the page bottom.
    room = ph_mm - 132.0 - ey
    scale = min(ENLARGE_MAX, content_w / plate_w, room / plate_h)
    scale = math.floor(scale * 20) / 20  # a round number to print: 2.25, 2.3, 3
    if plate_w > pw_mm - 10 or scale < 1.0:
        raise ProofLayoutError(f"a {plate_w:g} x {plate_h:g} mm plate does not fit a 1:1 proof page")
    ew, eh = plate_w * scale, plate_h * scale
    ex = (pw_mm - ew) / 2
    details_head = ey + eh + 12.0
    details_top = details_head + 7.0
    row = 6.0
    a = details_top + 6 * row + 9.0

    def box(x0: float, y0: float, x1: float, y1: float) -> Box:
        return (x0 * MM, y0 * MM, x1 * MM, y1 * MM)

    return ProofLayout(
        page=(pw, ph), margin=MARGIN_MM * MM, enlarged_scale=scale,
        title=17.0 * MM, subtitle=23.0 * MM, actual_head=33.0 * MM,
        actual_box=box(ax, ay, ax + plate_w, ay + plate_h),
        dim_y=(ay + plate_h + 3.5) * MM, scalebar_y=(ay + plate_h + 13.0) * MM,
        enlarged_head=enlarged_head * MM, enlarged_box=box(ex, ey, ex + ew, ey + eh),
        legend=(ey + eh + 4.5) * MM, details_head=details_head * MM,
        details_top=details_top * MM, row=row * MM, approval_head=a * MM,
        checkbox=box(MARGIN_MM, a + 6.0, MARGIN_MM + 14 / MM, a + 6.0 + 14 / MM),
        changes_label=(a + 17.0) * MM,
        changes=box(MARGIN_MM, a + 18.5, pw_mm - MARGIN_MM, a + 36.5),
        name_date=box(MARGIN_MM, a + 39.5, pw_mm - MARGIN_MM, a + 46.5),
        return_note=(a + 51.5) * MM, footer=(ph_mm - 8.0) * MM,
        # Watermark: across details + approval, below the enlargement's legend.
        watermark_region=box(MARGIN_MM, ey + eh + 8.0, pw_mm - MARGIN_MM, a + 57.0),
    )


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
                  text: str) -> Box:
    """Bounding box (top-left frame, pt) of the rotated watermark for these inputs."""
    register_fonts()
    lay = proof_layout(page_size, plate_w, plate_h)
    return _watermark_geometry(lay.watermark_region, text)[4]


# ---------------------------------------------------------------------------
# What depends on the owner.

@dataclass(frozen=True)
class ProofValues:
    """Everything on one proof that depends on the owner (raw strings; drawing cleans them)."""

    lang: str
    page: tuple[float, float]
    plaque: Plaque
    title: str          # document Title
    keywords: str       # document Keywords
    ident_json: str     # identity, in the Subject and the hidden field
    suffix: str         # field-name suffix (form.field_suffix of the VIN)
    name: str
    order_id: str
    vin: str
    label: str
    hint: str
    market: str
    batch_id: str
    created: str
    footer: str

    def texts(self) -> tuple[str, ...]:
        """The owner's strings drawn on the page (for repertoire checks)."""
        return (self.name, self.order_id, self.vin, self.label, self.hint, self.market,
                self.batch_id, self.created, self.footer)


def proof_values(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
                 created: str) -> ProofValues:
    """The owner-dependent values of the proof for ``plaque``; ``created`` is the date shown."""
    lang = proof_language(numbered)
    T = STRINGS[lang]
    order = numbered.order
    return ProofValues(
        lang=lang, page=proof_page_size(numbered), plaque=plaque,
        title=clean_text(f"{T['title']} {plaque.label} \u2013 {numbered.vin}"),
        keywords=f"plaquegen proof; vin={numbered.vin}; number={plaque.number}; batch={batch_id}",
        ident_json=identity_json(identity(plaque, numbered, batch_id, svg_sha256)),
        suffix=field_suffix(numbered.vin),
        name=order.name or T["unknown"], order_id=order.order_id or T["unknown"],
        vin=numbered.vin, label=plaque.label,
        hint=T["number_hint"].format(n=format_int(plaque.number, lang),
                                     total=format_int(plaque.total, lang)),
        market=numbered.market or T["unknown"], batch_id=batch_id, created=created,
        footer=f"plaquegen \u00b7 {batch_id} \u00b7 SVG sha256 {svg_sha256}")


Var = Callable[[Callable[[Canvas, ProofValues], None]], None]


@dataclass(frozen=True)
class TextPiece:
    """An owner piece: one value of :class:`ProofValues` drawn as one line of text.

    ``field`` names the value, (``x``, ``y``) is the baseline start in PDF points (y up),
    ``size`` the font size (pt) before fitting into ``max_width`` (pt). Called with
    (canvas, values) it draws itself; the template writer reads the fields instead and
    writes the very same operators without the canvas.
    """

    field: str
    x: float
    y: float
    font: str
    size: float
    max_width: float
    color: Color

    def __call__(self, cv: Canvas, vals: ProofValues) -> None:
        cv.setFillColor(self.color)
        draw_text(cv, self.x, self.y, getattr(vals, self.field), self.font, self.size,
                  self.max_width)


@dataclass(frozen=True)
class NumberPiece:
    """An owner piece: the build number label (bold) and its hint "(car n of N ...)" after it.

    (``x``, ``y``) is the baseline start, ``right`` the right margin (PDF points).
    """

    x: float
    y: float
    right: float

    def __call__(self, cv: Canvas, vals: ProofValues) -> None:
        x, y, right = self.x, self.y, self.right
        cv.setFillColor(INK)
        used = draw_text(cv, x, y, vals.label, LABEL_BOLD, 11, right - x)
        vw = pdfmetrics.stringWidth(clean_text(vals.label), LABEL_BOLD, used)
        cv.setFillColor(GREY_TEXT)
        draw_text(cv, x + vw + 8, y, f"({vals.hint})", LABEL, 9, max(10.0, right - x - vw - 8))


# ---------------------------------------------------------------------------
# The page.

def info(c: Canvas, lang: str, title: str, subject: str, keywords: str) -> None:
    """Document information of a proof."""
    c.setTitle(title)
    c.setSubject(subject)
    c.setKeywords(keywords)
    c.setAuthor("plaquegen")
    c.setCreator(f"plaquegen {__version__}")


def plaque_form(c: Canvas, lay: ProofLayout, ops: list[str]) -> None:
    """Define the form XObject PLAQUE_FORM: the plaque drawn at 1:1 by ``ops``."""
    x0, y0, x1, y1 = lay.actual_box
    w, h = x1 - x0, y1 - y0
    pad = 3.0
    c.beginForm(PLAQUE_FORM, -pad, -pad, w + pad, h + pad)
    c._code.extend(ops)
    c.endForm()


def form_ops(plaque: Plaque) -> list[str]:
    """The plaque form's content: 1:1, cut line 0.12 mm wide (0.34 pt, thicker when enlarged)."""
    return plaque_ops(plaque, 0.0, plaque.height * MM, 1.0, cut_width_pt=0.12 * MM)


def draw_page(c: Canvas, lay: ProofLayout, lang: str, v: ProofValues, var: Var) -> None:
    """Draw the proof page on ``c`` (the form PLAQUE_FORM must be defined in the document).

    Only ``v.suffix`` and ``v.ident_json`` are read here (field names and the hidden field);
    every other owner value is drawn inside a ``var`` piece.
    """
    T = STRINGS[lang]
    pw, ph = lay.page

    def Y(top: float) -> float:  # top-frame y -> PDF y
        return ph - top

    left = lay.margin
    right = pw - lay.margin

    # Watermark first, under everything, in the empty lower part of the page.
    _watermark(c, T, lay, Y)

    # Title.
    c.setFillColor(INK)
    draw_text(c, left, Y(lay.title), T["title"], LABEL_BOLD, 17, right - left)
    c.setFillColor(GREY_TEXT)
    draw_text(c, left, Y(lay.subtitle), T["subtitle"], LABEL, 9.5, right - left)

    _views(c, T, lay, left, right, Y, lang)
    _details(c, T, lay, left, right, Y, var)

    # Approval form.
    _approval(c, T, lay, left, right, Y, v.suffix, v.ident_json)

    # Footer.
    var(TextPiece("footer", left, Y(lay.footer), FONT, 6.5, right - left, GREY_TEXT))


def _watermark(c: Canvas, T: dict[str, str], lay: ProofLayout, Y) -> None:
    """The "PROOF" watermark, in its region (never over the plaque drawings)."""
    cx, cy, angle, size, _bbox = _watermark_geometry(lay.watermark_region, T["watermark"])
    c.saveState()
    c.setFillColor(Color(0.85, 0.1, 0.1, alpha=0.11))
    c.setFillAlpha(0.11)
    c.translate(cx, Y(cy))
    c.rotate(angle)
    c.setFont(LABEL_BOLD, size)
    c.drawCentredString(0, -0.73 * size / 2, T["watermark"])
    c.restoreState()


def _views(c: Canvas, T: dict[str, str], lay: ProofLayout, left: float, right: float, Y,
           lang: str) -> None:
    """The plaque form placed twice: 1:1 with dimensions, scale bar and print note, and
    enlarged with its legend."""
    # 1:1 view: the plaque form, placed twice (1:1 and enlarged).
    c.setFillColor(INK)
    draw_text(c, left, Y(lay.actual_head), T["actual"], LABEL_BOLD, 11)
    ax0, ay0, ax1, ay1 = lay.actual_box
    h = ay1 - ay0

    def place(x: float, y_top: float, scale: float) -> None:
        c.saveState()
        c.transform(scale, 0, 0, scale, x, y_top - h * scale)
        c.doForm(PLAQUE_FORM)
        c.restoreState()

    place(ax0, Y(ay0), 1.0)
    plate_w, plate_h = (ax1 - ax0) / MM, (ay1 - ay0) / MM
    _dimension_h(c, ax0, ax1, Y(lay.dim_y), f"{round(plate_w, 3):g} mm")
    _dimension_v(c, ax1 + 3.5 * MM, Y(ay0), Y(ay1), f"{round(plate_h, 3):g} mm")
    sb_x = left
    sb_y = Y(lay.scalebar_y)
    _scale_bar(c, sb_x, sb_y)
    c.setFillColor(INK)
    note_x = sb_x + 50 * MM + 10 * MM
    draw_text(c, note_x, sb_y + 1.0, T["print_note1"], LABEL_BOLD, 8.5, right - note_x)
    draw_text(c, note_x, sb_y - 10.0, T["print_note2"], LABEL, 8.5, right - note_x)

    # Enlargement.
    scale = lay.enlarged_scale
    draw_text(c, left, Y(lay.enlarged_head),
              T["enlarged"].format(scale=format_scale(scale, lang)), LABEL_BOLD, 11)
    ex0, ey0, ex1, ey1 = lay.enlarged_box
    place(ex0, Y(ey0), scale)
    c.setFillColor(GREY_TEXT)
    draw_text(c, (ex0 + ex1) / 2, Y(lay.legend), T["legend"], LABEL, 7.5, right - left, "center")


def _details(c: Canvas, T: dict[str, str], lay: ProofLayout, left: float, right: float, Y,
             var: Var) -> None:
    """The order details: labels are constant, values are the owner's (``var`` pieces)."""
    c.setFillColor(INK)
    draw_text(c, left, Y(lay.details_head), T["details"], LABEL_BOLD, 11)
    c.setStrokeColor(Color(0.7, 0.7, 0.72))
    c.setLineWidth(0.5)
    c.line(left, Y(lay.details_head) - 4, right, Y(lay.details_head) - 4)
    label_w = 42 * MM
    vx = left + label_w

    def value(field: str, font: str) -> Callable[[float], TextPiece]:
        return lambda y: TextPiece(field, vx, y, font, 11, right - vx, INK)

    rows = [
        (T["owner"], value("name", FONT)),
        (T["order"], value("order_id", FONT)),
        (T["vin"], value("vin", LABEL_BOLD)),
        (T["number"], lambda y: NumberPiece(vx, y, right)),
        (T["market"], value("market", LABEL)),
        (T["batch"], value("batch_id", FONT)),
        (T["date"], value("created", LABEL)),
    ]
    y = Y(lay.details_top)
    for label, piece in rows:
        c.setFillColor(GREY_TEXT)
        draw_text(c, left, y, label, LABEL, 9.5, label_w - 4)
        var(piece(y))
        y -= lay.row


def render_proof_reportlab(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
                           created: str) -> bytes:
    """The reference writer: one-page owner proof PDF through reportlab's own serialiser.

    Deterministic bytes for equal input. Any name reportlab and the bundled fonts can draw.
    """
    v = proof_values(plaque, numbered, batch_id, svg_sha256, created)
    register_fonts()
    lay = proof_layout(v.page, plaque.width, plaque.height)
    with binary_streams():
        buf = BytesIO()
        c = Canvas(buf, pagesize=v.page, invariant=1, pageCompression=1, lang=v.lang)
        info(c, v.lang, v.title, v.ident_json, v.keywords)
        plaque_form(c, lay, form_ops(plaque))

        def var(piece) -> None:
            c.saveState()
            piece(c, v)
            c.restoreState()

        draw_page(c, lay, v.lang, v, var)
        c.showPage()
        c.save()
        return buf.getvalue()


def _approval(c: Canvas, T: dict[str, str], lay: ProofLayout, left: float, right: float,
              Y, suffix: str, ident_json: str) -> None:
    """Approval section: checkbox, requested changes, name and date as AcroForm fields.

    Field backgrounds are transparent (the watermark shows through); fields
    use Helvetica because reportlab only accepts the standard 14 fonts there.
    """
    top = lay.approval_head
    c.setFillColor(INK)
    draw_text(c, left, Y(top), T["approval"], LABEL_BOLD, 11)
    c.setStrokeColor(Color(0.7, 0.7, 0.72))
    c.setLineWidth(0.5)
    c.line(left, Y(top) - 4, right, Y(top) - 4)
    form = c.acroForm
    border = Color(0.35, 0.4, 0.5)
    cx0, cy0, cx1, cy1 = lay.checkbox
    box = cx1 - cx0
    form.checkbox(name=f"{APPROVE}_{suffix}", tooltip=T["tip_approve"], x=cx0, y=Y(cy1), size=box,
                  buttonStyle="check", borderColor=border, fillColor=None, textColor=INK,
                  borderWidth=1, fieldFlags="", forceBorder=True)
    tx = cx1 + 8
    base = Y(cy1) + 3.5
    used = draw_text(c, tx, base, T["approve"], LABEL_BOLD, 11, (right - tx) * 0.6)
    w = pdfmetrics.stringWidth(clean_text(T["approve"]), LABEL_BOLD, used)
    c.setFillColor(GREY_TEXT)
    draw_text(c, tx + w + 5, base, T["approve_hint"], LABEL, 9.5, right - (tx + w + 5))
    c.setFillColor(INK)
    draw_text(c, left, Y(lay.changes_label), T["changes"], LABEL, 9.5, right - left)
    x0, y0, x1, y1 = lay.changes
    form.textfield(name=f"{CHANGES}_{suffix}", tooltip=T["tip_changes"], x=x0, y=Y(y1),
                   width=x1 - x0, height=y1 - y0, fieldFlags="multiline", maxlen=2000,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    x0, y0, x1, y1 = lay.name_date
    h = y1 - y0
    label_w = 14 * MM
    name_w = (x1 - x0) * 0.62
    draw_text(c, x0, Y(y1) + 6, T["name"], LABEL, 9.5, label_w - 3)
    form.textfield(name=f"{NAME}_{suffix}", tooltip=T["tip_name"], x=x0 + label_w, y=Y(y1),
                   width=name_w - label_w - 8 * MM, height=h, maxlen=200,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    dx = x0 + name_w
    draw_text(c, dx, Y(y1) + 6, T["sign_date"], LABEL, 9.5, label_w - 3)
    form.textfield(name=f"{DATE}_{suffix}", tooltip=T["tip_date"], x=dx + label_w, y=Y(y1),
                   width=x1 - dx - label_w, height=h, maxlen=40,
                   borderColor=border, fillColor=None, textColor=INK, borderWidth=0.8,
                   fontName="Helvetica", fontSize=10, forceBorder=True)
    c.setFillColor(GREY_TEXT)
    _wrap(c, T["return"], left, Y(lay.return_note), right - left, LABEL, 8.5, 11, max_lines=2)
    # Hidden, read-only identity for the approval round-trip.
    form.textfield(name=ID_FIELD, value=ident_json, x=left, y=Y(lay.footer) + 2,
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


