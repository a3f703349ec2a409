"""The template proof writer: a proof page prepared once per variant, per owner only the
owner's objects.

A *variant* is what changes the constant objects: language x paper size x plate size (and the
font repertoire of the writer). For each variant :class:`ProofTemplate` runs the reference
page (:func:`plaquegen.proof.page.draw_page`) once through reportlab with holes where the owner's
pieces go, with sentinel field names and identity, and with the embedded DejaVu subset seeded
with the writer's whole repertoire (one subset for every proof of the variant). The result is
split into objects (by its xref). Per owner the writer then only

- draws the owner's pieces with the very same functions on the template's own canvas (same
  fonts, same subset codes), fills them into the page content between the constant parts;
- writes the plaque form from :func:`plaquegen.writers.pdf.plaque_ops`;
- substitutes field names, the identity (hidden field, its appearance, Subject) and the
  document info; recomputes /Length, the xref and the document /ID.

Streams are deflated by :func:`plaquegen.writers.pdfstream.deflate_ops`: long operators (the
artwork's cached path code, the page's constant parts) are compressed once and reused, short
runs per owner; every piece ends in a full flush, so the stream is one valid zlib stream whose
bytes depend only on its content (deterministic).

A name whose characters are outside the repertoire (reportlab refuses new characters once a
subset is written) falls back to :func:`plaquegen.proof.page.render_proof_reportlab`, as does
anything else the template cannot express (:class:`NotInTemplate`).

Contract: both writers draw the same operators, so the pages render the same (tests compare
them pixel by pixel); a proof's bytes depend only on the owner's values and the repertoire.
"""
from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Callable, Iterable

from reportlab.lib.rl_accel import escapePDF, fp_str, unicode2T1
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from ..geometry.paths import Layer, Plaque, rounded_rect
from ..writers.pdf import (FONT, GREY_TEXT, INK, LABEL, LABEL_BOLD, binary_streams, clean_text,
                     fit_text, font_repertoire, is_winansi, register_fonts, visual)
from ..writers.pdfstream import deflate_ops, pdf_string
from .form import ID_FIELD
from .page import (PLAQUE_FORM, NumberPiece, ProofLayout, ProofValues, TextPiece, draw_page,
                        form_ops, info, plaque_form, proof_layout, proof_page_size,
                        proof_values, render_proof_reportlab)
from .strings import proof_language
from ..core.records import Numbered

__all__ = ["DEFAULT_REPERTOIRE", "repertoire_for", "NotInTemplate", "ProofTemplate", "ProofWriter",
           "default_writer", "batch_repertoire", "batch_writer"]


def _default_repertoire() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xA1, 0x180)}        # Latin-1 Supplement, Latin Extended-A
    chars |= {chr(c) for c in range(0x218, 0x21C)}       # Romanian S/T with comma below
    chars |= set(bytes(range(0x80, 0x100)).decode("cp1252", errors="ignore"))
    chars |= {"\ufffd", "\u2026", "\u2013", "\u2014", "\u00b7"}
    have = font_repertoire()
    return "".join(sorted(c for c in chars if ord(c) in have and c.isprintable()))


DEFAULT_REPERTOIRE: str = ""  # filled on first use (needs the fonts): see repertoire_for


def repertoire_for(texts: list[str] | tuple[str, ...] = ()) -> str:
    """The default repertoire (Latin-1, Latin Extended-A, WinAnsi punctuation) plus every
    drawable character of ``texts`` as drawn (cleaned, in visual order): give it a batch's
    names for one subset that covers the batch."""
    global DEFAULT_REPERTOIRE
    if not DEFAULT_REPERTOIRE:
        register_fonts()
        DEFAULT_REPERTOIRE = _default_repertoire()
    extra = {ch for t in texts for ch in visual(clean_text(t))}
    have = font_repertoire()
    return "".join(sorted(set(DEFAULT_REPERTOIRE) | {c for c in extra if ord(c) in have}))


# ---------------------------------------------------------------------------
# The template.

HOLE = "%%plaquegen-hole%%"
FORM_HOLE = "%%plaquegen-form%%"
S_SUFFIX = "QqSuffixQq"
S_IDENT = "QqIdentQq"
S_TITLE, S_SUBJECT, S_KEYS = "QqTitleQq", "QqSubjectQq", "QqKeysQq"

_OBJ = re.compile(rb"(\d+) 0 obj\n")
_STREAM = re.compile(rb"^(.*?/Length )(\d+)(.*?>>\nstream\r?\n)", re.S)


class NotInTemplate(Exception):
    """The owner's proof cannot be made from the template (fall back to the reference)."""


class _Slow(Exception):
    """A piece the direct text writer does not handle: draw it on the canvas."""


_TF: dict[float, str] = {}                 # font size -> "size Tf leading TL"
_TM: dict[tuple[float, float], str] = {}   # text origin -> "BT 1 0 0 1 x y Tm"


def _fill_op(col) -> str:
    """The fill colour operator reportlab's canvas writes for an opaque ``col``."""
    return f"{fp_str(col.red, col.green, col.blue)} rg"


@dataclass
class _Stream:
    head: bytes      # dictionary up to "/Length "
    mid: bytes       # after the length number up to and including "stream\n"
    tail: bytes      # after the data: "endstream\nendobj\n" (with reportlab's spacing)


def _split_stream(obj: bytes) -> tuple[_Stream, bytes]:
    m = _STREAM.match(obj)
    if m is None:
        raise NotInTemplate("not a stream object")
    start, n = m.end(), int(m.group(2))
    return _Stream(m.group(1), m.group(3), obj[start + n:]), obj[start:start + n]


class ProofTemplate:
    """One variant's pre-serialised proof: constant objects as bytes, recipes for the rest."""

    def __init__(self, lang: str, page: tuple[float, float], plate: tuple[float, float],
                 repertoire: str) -> None:
        register_fonts()
        self.lang = lang
        self.layout: ProofLayout = proof_layout(page, *plate)
        self.pieces: list[Callable] = []
        buf = BytesIO()
        with binary_streams():
            c = Canvas(buf, pagesize=page, invariant=1, pageCompression=1, lang=lang)
            info(c, lang, S_TITLE, S_SUBJECT, S_KEYS)
            # Seed the embedded subset with the whole repertoire, in a fixed order, before
            # anything is drawn: every owner's text then has its code in this one subset.
            n_ops = len(c._code)
            c.setFont(FONT, 10)
            c.drawString(0, 0, repertoire)  # assigns the codes, registers the subsets ...
            del c._code[n_ops:]             # ... without drawing anything
            plaque_form(c, self.layout, [FORM_HOLE])

            def var(piece) -> None:
                c._code.append(HOLE)
                self.pieces.append(piece)

            dummy = _dummy_values(lang, page)
            draw_page(c, self.layout, lang, dummy, var)
            c.showPage()
            font = pdfmetrics.getFont(FONT)
            state = font.state[c._doc]
            c.save()
        # Saving forgets the document's subset state: put it back (frozen by the save, so a
        # character outside the written subset raises instead of getting a code), so the
        # owners' pieces are drawn with the codes and the font name the written page uses.
        font.state[c._doc] = state
        state.frozen = 1
        c._doc.fontMapping[FONT] = "/" + state.internalName
        self.canvas = c
        self.doc = c._doc
        self.fonts = len(self.doc.fontMapping)
        self._parse(buf.getvalue())
        self._setup_text()

    def _parse(self, pdf: bytes) -> None:
        starts = [(int(m.group(1)), m.start()) for m in _OBJ.finditer(pdf)]
        xref = pdf.rindex(b"\nxref\n") + 1
        objs: dict[int, bytes] = {}
        for i, (num, at) in enumerate(starts):
            end = starts[i + 1][1] if i + 1 < len(starts) else xref
            objs[num] = pdf[at:end]
        self.header = pdf[:starts[0][1]]
        self.order = [n for n, _ in starts]
        m = re.search(rb"trailer\n<<\n/ID \n\[<[0-9a-f]+><[0-9a-f]+>\]\n(.*?)\nstartxref", pdf, re.S)
        if m is None:
            raise NotInTemplate("unexpected trailer")
        self.trailer_rest = m.group(1).replace(b"% ReportLab generated PDF document -- digest "
                                               b"(opensource)\n\n", b"")
        self.objs = objs
        self.recipes: dict[int, str] = {}
        for num, body in objs.items():
            if S_SUFFIX.encode() in body:
                self.recipes[num] = "suffix"
            elif f"/T ({ID_FIELD})".encode() in body:
                self._ident(num, body)
            elif S_TITLE.encode() in body:
                self.recipes[num] = "info"
        page_num = next(n for n, b in objs.items() if b"/Type /Page\n" in b)
        contents = int(re.search(rb"/Contents (\d+) 0 R", objs[page_num]).group(1))
        form = int(re.search(rb"/FormXob.%s (\d+) 0 R" % PLAQUE_FORM.encode(),
                             objs[page_num]).group(1))
        self._form(form, objs[form])
        self._contents(contents, objs[contents])
        if sorted(set(self.recipes.values())) != ["ap", "contents", "form", "ident", "info",
                                                   "suffix"]:
            raise NotInTemplate(f"template objects not recognised: {self.recipes}")
        # Each object as constant bytes, or a list of constant bytes and names of fills.
        self.bodies: list[bytes | list[bytes | str]] = []
        for num in self.order:
            kind, body = self.recipes.get(num), objs[num]
            if kind in ("contents", "form", "ap"):
                self.bodies.append([kind])
            elif kind == "suffix":
                self.bodies.append(_slots(body, {S_SUFFIX.encode(): "suffix"}))
            elif kind == "ident":
                m = re.search(rb"/MaxLen (\d+)", body)
                body = body[:m.start(1)] + b"QqMaxLenQq" + body[m.end(1):]
                self.bodies.append(_slots(body, {f"({S_IDENT})".encode(): "ident",
                                                 b"QqMaxLenQq": "maxlen"}))
            elif kind == "info":
                self.bodies.append(_slots(body, {f"({S_TITLE})".encode(): "title",
                                                 f"({S_SUBJECT})".encode(): "subject",
                                                 f"({S_KEYS})".encode(): "keys"}))
            else:
                self.bodies.append(body)
        # Runs of constant objects joined once (with their offsets within the run).
        self.segments: list = []
        for body in self.bodies:
            if isinstance(body, list):
                self.segments.append(body)
            elif self.segments and isinstance(self.segments[-1], tuple):
                data, rel = self.segments[-1]
                self.segments[-1] = (data + body, rel + (len(data),))
            else:
                self.segments.append((body, (0,)))
        self.xref_head = b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.order) + 1)
        self.xref_row = "%010d 00000 n \n" * len(self.order)

    def _form(self, num: int, body: bytes) -> None:
        st, data = _split_stream(body)
        text = zlib.decompress(data).decode("latin-1")
        if FORM_HOLE not in text:
            raise NotInTemplate("plaque form hole missing")
        pre, post = text.split(FORM_HOLE)
        self.form = (st, pre.rstrip("\n"), post.lstrip("\n"))
        self.recipes[num] = "form"

    def _contents(self, num: int, body: bytes) -> None:
        st, data = _split_stream(body)
        parts = zlib.decompress(data).decode("latin-1").split(HOLE)
        if len(parts) != len(self.pieces) + 1:
            raise NotInTemplate("page holes do not match the pieces")
        self.content = (st, [p.strip("\n") for p in parts])
        self.recipes[num] = "contents"

    def _ident(self, num: int, body: bytes) -> None:
        ap = int(re.search(rb"/AP <<\n/N (\d+) 0 R", body).group(1))
        st, data = _split_stream(self.objs[ap])
        text = data.decode("latin-1") if b"/Filter" not in st.head + st.mid else \
            zlib.decompress(data).decode("latin-1")
        if text.count(f"({S_IDENT})") != 1:
            raise NotInTemplate("identity appearance not found")
        a, b = text.split(f"({S_IDENT})")
        self.ap = (st, (a.encode("latin-1"), b.encode("latin-1")))
        self.ap_flate = b"/Filter" in st.head + st.mid
        self.recipes[ap] = "ap"
        self.recipes[num] = "ident"

    # -- per owner ---------------------------------------------------------------------

    def _setup_text(self) -> None:
        """What the direct text operators need: the fonts' names in this document, and the
        embedded subset's code of every character of the repertoire."""
        doc = self.doc
        self._t1: dict[str, tuple[object, list, str]] = {}
        for name in (LABEL, LABEL_BOLD):
            t1 = pdfmetrics.getFont(name)
            self._t1[name] = (t1, [t1] + t1.substitutionFonts, doc.getInternalFontName(name))
        font = pdfmetrics.getFont(FONT)
        state = font.state[doc]
        self._tt_prefix = "/" + state.internalName
        self._tt_glyphs = font.face.charToGlyph
        codes = dict(state.assignments)
        if 32 in codes:
            codes[0xA0] = codes[32]  # reportlab draws a no-break space as a space
        self._tt_table = {c: chr(n) for c, n in codes.items()}
        self._tt_chars = frozenset(chr(c) for c in codes)
        self._fast = [self._compile(p) for p in self.pieces]

    def _compile(self, piece: Callable) -> Callable[[ProofValues], str]:
        """The owner piece as a function of the values that returns its operators."""
        if type(piece) is TextPiece:
            fill = _fill_op(piece.color)
            x, y, field, font, size, width = (piece.x, piece.y, piece.field, piece.font,
                                              piece.size, piece.max_width)
            line = self._line

            def text(v: ProofValues) -> str:
                return f"q\n{fill}\n{line(x, y, getattr(v, field), font, size, width)[0]}\nQ"
            return text
        if type(piece) is NumberPiece:
            ink, grey = _fill_op(INK), _fill_op(GREY_TEXT)
            x, y, right = piece.x, piece.y, piece.right
            line = self._line

            def number(v: ProofValues) -> str:
                first, used = line(x, y, v.label, LABEL_BOLD, 11, right - x)
                vw = pdfmetrics.stringWidth(clean_text(v.label), LABEL_BOLD, used)
                second = line(x + vw + 8, y, f"({v.hint})", LABEL, 9,
                              max(10.0, right - x - vw - 8))[0]
                return f"q\n{ink}\n{first}\n{grey}\n{second}\nQ"
            return number
        return lambda v: self._canvas_piece(piece, v)

    def _line(self, x: float, y: float, text: str, font: str, size: float,
              max_width: float) -> tuple[str, float]:
        """The operators :func:`plaquegen.writers.pdf.draw_text` (left aligned) puts on this
        template's canvas, written directly; and the font size used."""
        s = visual(clean_text(text))
        if font in self._t1 and not (s.isascii() or is_winansi(s)):
            font = FONT
        s, size = fit_text(s, font, size, max_width)
        tf = _TF.get(size)
        if tf is None:
            tf = _TF[size] = f"{fp_str(size)} Tf {fp_str(size * 1.2)} TL"
        tm = _TM.get((x, y))
        if tm is None:
            if len(_TM) > 4096:
                _TM.clear()
            tm = _TM[(x, y)] = f"BT 1 0 0 1 {fp_str(x, y)} Tm"
        if font == FONT:
            return f"{tm} {self._tt_show(s, tf)} T* ET", size
        t1, fonts, name = self._t1[font]
        runs = unicode2T1(s, fonts)
        if len(runs) != 1 or runs[0][0] is not t1:
            if not runs:
                return f"BT {name} {tf} ET\n{tm}  T* ET", size
            raise _Slow
        return f"BT {name} {tf} ET\n{tm} ({escapePDF(runs[0][1])}) Tj T* ET", size

    def _tt_show(self, s: str, tf: str) -> str:
        """``s`` in the embedded subset: font selection and show operators per subset run."""
        if not s:
            return ""
        if self._tt_chars.issuperset(s):
            coded = s.translate(self._tt_table)
            if max(coded) < "\u0100":
                return f"{self._tt_prefix}+0 {tf} ({escapePDF(coded.encode('latin-1'))}) Tj"
            ns = [ord(ch) for ch in coded]
        else:
            ns = []
            for ch in s:
                c = ord(ch)
                if c == 0xA0:
                    c = 32
                n = self._tt_table.get(c)
                if n is not None:
                    ns.append(ord(n))
                elif c not in self._tt_glyphs:
                    ns.append(0)  # no glyph: reportlab draws .notdef
                else:
                    raise NotInTemplate(f"U+{c:04X} is outside the embedded subset")
        out = []
        cur = -1
        run: list[int] = []
        for n in ns:
            if n >> 8 != cur:
                if run:
                    out.append(f"({escapePDF(bytes(run))}) Tj")
                cur = n >> 8
                out.append(f"{self._tt_prefix}+{cur} {tf}")
                run = []
            run.append(n & 0xFF)
        out.append(f"({escapePDF(bytes(run))}) Tj")
        return " ".join(out)

    def _canvas_piece(self, piece: Callable, v: ProofValues) -> str:
        """An owner piece drawn on the template's canvas (the general way)."""
        c = self.canvas
        c._code = []
        c.saveState()
        try:
            piece(c, v)
        except pdfdoc.PDFError as e:  # a character outside the embedded subset
            raise NotInTemplate(str(e)) from None
        c.restoreState()
        if len(self.doc.fontMapping) != self.fonts:
            raise NotInTemplate("a font outside the template")
        return "\n".join(c._code)

    def pieces_ops(self, v: ProofValues, direct: bool = True) -> list[str]:
        """The operators of the owner's pieces: written directly (``direct``) or drawn on the
        template's canvas (the reference for the direct ones; tests compare them)."""
        if not direct:
            return [self._canvas_piece(p, v) for p in self.pieces]
        out = []
        for fast, piece in zip(self._fast, self.pieces):
            try:
                out.append(fast(v))
            except _Slow:
                out.append(self._canvas_piece(piece, v))
        return out

    def render(self, v: ProofValues, direct: bool = True) -> bytes:
        """The proof PDF for ``v`` (raises NotInTemplate if the template cannot draw it).

        ``direct=False`` draws the owner's text on the canvas instead (same bytes; slower)."""
        pieces = self.pieces_ops(v, direct)
        st, parts = self.content
        ops = [parts[0]]
        for piece, part in zip(pieces, parts[1:]):
            ops.append(piece)
            ops.append(part)
        page = _stream(st, deflate_ops(ops))
        fst, pre, post = self.form
        form = _stream(fst, deflate_ops([pre, *form_ops(v.plaque), post], cache_runs=True))
        ident_lit = b"(" + escapePDF(v.ident_json.encode("latin-1")).encode("latin-1") + b")"
        ast, (ap0, ap1) = self.ap
        ap_raw = b"".join((ap0, ident_lit, ap1))
        ap = _stream(ast, zlib.compress(ap_raw, 1) if self.ap_flate else ap_raw)
        fill = {
            "contents": page, "form": form, "ap": ap,
            "suffix": v.suffix.encode("ascii"),
            "ident": ident_lit, "maxlen": b"%d" % (len(v.ident_json) + 10),
            "title": pdf_string(v.title, self.doc), "subject": pdf_string(v.ident_json, self.doc),
            "keys": pdf_string(v.keywords, self.doc),
        }
        out = [self.header]
        offsets: list[int] = []
        at = len(self.header)
        for seg in self.segments:
            if seg.__class__ is list:   # one object with fills
                offsets.append(at)
                for p in seg:
                    if p.__class__ is not bytes:
                        p = fill[p]
                    out.append(p)
                    at += len(p)
            else:                       # constant objects: (bytes, offsets within them)
                data, rel = seg
                offsets.extend([at + r for r in rel])
                out.append(data)
                at += len(data)
        digest = hashlib.md5(v.ident_json.encode() + b"\0" + v.title.encode("utf-8", "replace")
                             + b"\0" + v.created.encode("utf-8", "replace") + b"\0"
                             + "\0".join(v.texts()).encode("utf-8", "replace")).hexdigest()
        out.append(self.xref_head)
        out.append((self.xref_row % tuple(offsets)).encode("ascii"))
        out.append(b"trailer\n<<\n/ID \n[<%s><%s>]\n" % (digest.encode(), digest.encode()))
        out.append(self.trailer_rest)
        out.append(b"\nstartxref\n%d\n%%%%EOF\n" % at)
        return b"".join(out)


def _slots(body: bytes, names: dict[bytes, str]) -> list[bytes | str]:
    """``body`` cut at every occurrence of each sentinel of ``names`` into bytes and fill names."""
    parts: list[bytes | str] = [body]
    for sentinel, name in names.items():
        if sentinel not in body:
            raise NotInTemplate(f"sentinel {sentinel!r} not found")
        out: list[bytes | str] = []
        for p in parts:
            if isinstance(p, bytes):
                for i, piece in enumerate(p.split(sentinel)):
                    if i:
                        out.append(name)
                    out.append(piece)
            else:
                out.append(p)
        parts = out
    return parts


def _stream(st: _Stream, data: bytes) -> bytes:
    return b"".join((st.head, b"%d" % len(data), st.mid, data, st.tail))


def _dummy_values(lang: str, page: tuple[float, float]) -> ProofValues:
    plaque = Plaque(1.0, 1.0, (Layer("cut", (rounded_rect(0, 0, 1, 1, 0),)),), "", 0, 0, "")
    return ProofValues(lang=lang, page=page, plaque=plaque, title=S_TITLE, keywords=S_KEYS,
                       ident_json=S_IDENT, suffix=S_SUFFIX, name="", order_id="", vin="",
                       label="", hint="", market="", batch_id="", created="", footer="")


# ---------------------------------------------------------------------------

class ProofWriter:
    """Writes proofs from templates cached per variant; falls back to the reference writer.

    ``repertoire``: the characters of the one embedded DejaVu subset (default
    :func:`repertoire_for` ``()``). ``fallback``: a second repertoire whose templates write
    the proofs the first cannot (a batch writer's first repertoire is just the batch's
    characters, its fallback the default); names outside both are written by the reference
    writer. ``stats`` counts proofs written each way.
    """

    def __init__(self, repertoire: str | None = None, fallback: str | None = None) -> None:
        self.repertoire = repertoire if repertoire is not None else repertoire_for()
        self.fallback = fallback if fallback and not set(fallback) <= set(self.repertoire) \
            else None
        self._templates: dict[tuple, ProofTemplate] = {}
        self.stats = {"template": 0, "fallback": 0, "reference": 0}

    def template(self, lang: str, page: tuple[float, float], plate: tuple[float, float],
                 fallback: bool = False) -> ProofTemplate:
        """The template of a variant (built on first use), with the fallback repertoire if
        ``fallback``."""
        key = (lang, page, plate, fallback)
        t = self._templates.get(key)
        if t is None:
            rep = self.fallback if fallback else self.repertoire
            if rep is None:
                raise NotInTemplate("no fallback repertoire")
            t = self._templates[key] = ProofTemplate(lang, page, plate, rep)
        return t

    def render(self, plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
               created: str) -> bytes:
        """One-page owner proof PDF (see :func:`plaquegen.proof.render_proof`)."""
        v = proof_values(plaque, numbered, batch_id, svg_sha256, created)
        plate = (plaque.width, plaque.height)
        try:
            pdf = self.template(v.lang, v.page, plate).render(v)
            self.stats["template"] += 1
            return pdf
        except NotInTemplate:
            pass
        if self.fallback is not None:
            try:
                pdf = self.template(v.lang, v.page, plate, fallback=True).render(v)
                self.stats["fallback"] += 1
                return pdf
            except NotInTemplate:
                pass
        self.stats["reference"] += 1
        return render_proof_reportlab(plaque, numbered, batch_id, svg_sha256, created)


_DEFAULT: ProofWriter | None = None


def default_writer() -> ProofWriter:
    """The process's writer (created on first use with the default repertoire)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ProofWriter()
    return _DEFAULT


# Always in a batch's subset: printable ASCII (ids, digests, dates), the placeholder,
# the ellipsis of fitted text and the footer's separators.
_BATCH_BASE = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\ufffd", "\u2026", "\u00b7",
                                                             "\u2013", "\u2014"}


def batch_repertoire(cars: Iterable[Numbered], batch_id: str = "") -> str:
    """The characters the embedded font must have for a batch's proofs: printable ASCII,
    the placeholder, ellipsis and separators, and every character of the owners' texts as
    drawn (name, order id, market; cleaned, in visual order)."""
    texts = [batch_id]
    for n in cars:
        texts.extend((n.order.name, n.order.order_id, n.market))
    have = font_repertoire()
    extra = {ch for t in texts for ch in visual(clean_text(t))}
    return "".join(sorted(c for c in _BATCH_BASE | extra if ord(c) in have))


def batch_writer(cars: Iterable[Numbered], plate: tuple[float, float] | None = None,
                 batch_id: str = "") -> ProofWriter:
    """A writer for one batch (the process's default writer is left as it is, so a proof never
    depends on which batch ran before in the same process).

    Make it once per batch before forking workers (they inherit it). Its font subset is the
    batch's own characters (:func:`batch_repertoire`): one subset instead of the default's
    two (a proof of ~37 kB instead of ~66 kB), and names beyond Latin go through the
    template too instead of the reference writer (~8 ms each). Proofs of owners the batch
    did not announce fall back to the default repertoire, then to the reference writer.
    With ``plate`` (the plate's width, height in mm) the templates of every language and
    paper the batch needs are built now rather than in each worker.
    """
    cars = list(cars)
    register_fonts()
    writer = ProofWriter(batch_repertoire(cars, batch_id), repertoire_for())
    if plate is not None:
        for variant in sorted({(proof_language(n), proof_page_size(n)) for n in cars}):
            writer.template(*variant, plate)
    return writer
