"""Text -> paths: outline glyphs from TTF/OTF fonts, centre-line strokes from Hershey fonts.

Text on a plaque is never left as text. :func:`load_font` gives a :class:`TextFont`
(loaded once per process, cached by resolved spec); :meth:`TextFont.run` turns a
string into a :class:`TextRun` of :class:`~plaquegen.geometry.Path` objects in mm
(baseline at y=0, text starting at x=0, y down, one path per visible glyph);
:func:`fit_text` places a run in a box, shrinking it uniformly when it is too wide.

* Outline fonts (``.ttf``/``.otf``) are read with fontTools and shaped with
  HarfBuzz (uharfbuzz) so GPOS/``kern`` kerning applies; without uharfbuzz the
  legacy ``kern`` table is used. Outlines are closed (Z), filled nonzero, and go
  to the engrave layer (``strokes=False``).
* ``hershey:<name>`` fonts (HersheyFonts' built-in list, e.g. ``hershey:futural``)
  give open single-stroke polylines (M/L only) for the score layer
  (``strokes=True``). ASCII only.

A character the font cannot draw raises :class:`FontError` naming it: nothing is
ever silently drawn as .notdef or left out.

Each glyph's outline is recorded once in font units (y flipped to point down);
a run only scales and translates the cached commands, so a "0462 / 6309" run
costs a few tens of microseconds once warm.
"""
from __future__ import annotations

import functools
import math
import pathlib
import unicodedata
from dataclasses import dataclass

from ..core.files import read_regular_file
from ..core.errors import PlaquegenError
from ..geometry.paths import PRECISION, Bounds, Path, PathPen, clean_segs, segs_bounds
from ..geometry.contours import ContourError, normalize_segs

try:  # HarfBuzz shaping (GPOS kerning, mark positioning); optional at import time
    import uharfbuzz as _hb
except ImportError:  # pragma: no cover - exercised only where uharfbuzz is missing
    _hb = None

__all__ = ["FontError", "TextRun", "TextFont", "load_font", "fit_text", "ROUND_DIGITS"]

#: Output coordinates are rounded to this many decimals of a millimetre: geometry.PRECISION.
ROUND_DIGITS = round(-math.log10(PRECISION))
_QUANTUM = 10.0 ** -ROUND_DIGITS
_DIV = 10.0 ** ROUND_DIGITS
_CACHE_MAX = 20000  # placed glyph paths kept per font (a batch needs a few hundred)

_ALIGNS = ("left", "center", "right")
_VALIGNS = ("top", "middle", "bottom")
# Characters that legitimately draw nothing (spaces, format characters).
_BLANK_CATEGORIES = {"Zs", "Cf"}


class FontError(PlaquegenError):
    """A font cannot be loaded, or cannot draw a requested character."""


@dataclass(frozen=True)
class TextRun:
    """A line of text as paths in mm.

    paths: one Path per visible glyph, baseline at y=0, text starting at x=0,
    y down (so capitals sit at negative y). width: advance width in mm
    (kerning and tracking included). cap_height: the cap height in mm.
    strokes: True for single-stroke (score) fonts, False for filled outlines
    (engrave, nonzero fill rule).
    """

    paths: tuple[Path, ...]
    width: float
    cap_height: float
    strokes: bool


@dataclass(frozen=True, eq=False)  # identity hash: a cache key
class _Glyph:
    """One glyph at unit scale: font units, origin on the baseline, y down."""

    segs: tuple  # M/L/C/Z command tuples as in geometry.Path
    advance: float
    bounds: Bounds | None  # ink bounds in font units, None when empty


def _char_label(ch: str) -> str:
    return "%r (U+%04X)" % (ch, ord(ch))


def _is_blank(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in _BLANK_CATEGORIES


def _make_glyph(segs: tuple, advance: float) -> _Glyph:
    return _Glyph(segs, float(advance), segs_bounds(segs) if segs else None)


def _quantize(segs: tuple, s: float) -> tuple:
    """Scale glyph commands by s into integer multiples of the output quantum (PRECISION).

    Then the one cleaner, at one quantum: segments the rounding collapses to a
    point and sub-paths left drawing nothing (tiny text) are dropped, so no
    zero-length segment is ever emitted. Integers translate exactly: a glyph is
    quantized once per size.
    """
    q = s / _QUANTUM
    r = round
    return clean_segs(tuple(seg if seg[0] == "Z" else (seg[0], *(r(v * q) for v in seg[1:]))
                            for seg in segs), precision=1)


def _emit(isegs: tuple, ox: int, oy: int) -> tuple:
    """Quantized commands moved by (ox, oy) quanta, back to floats in mm."""
    d = _DIV
    out = []
    app = out.append
    for seg in isegs:
        op = seg[0]
        if op == "C":
            app(("C", (seg[1] + ox) / d, (seg[2] + oy) / d, (seg[3] + ox) / d,
                 (seg[4] + oy) / d, (seg[5] + ox) / d, (seg[6] + oy) / d))
        elif op == "Z":
            app(seg)
        else:
            app((op, (seg[1] + ox) / d, (seg[2] + oy) / d))
    return tuple(out)


class TextFont:
    """A loaded font. Use :func:`load_font`; subclasses do the font-specific work.

    name: the spec it was loaded from (a file name or "hershey:<name>").
    strokes: True for single-stroke fonts (score layer), False for outlines.
    """

    name: str
    strokes: bool
    _spec: str  # resolved spec, for pickling (workers reload through load_font)
    _cap_units: float  # cap height in font units
    _qcache: dict  # (glyph, scale) -> quantized commands
    _pcache: dict  # (glyph, scale, x, y in quanta) -> Path

    # -- subclass interface -------------------------------------------------
    def _shape(self, text: str) -> tuple[list[tuple[_Glyph, float, float]], float]:
        """Return ([(glyph, x, y) in font units, y down], total advance in font units)."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------
    def __reduce__(self):
        return (_load_resolved, (self._spec,))

    def __repr__(self) -> str:
        return "<%s %r>" % (type(self).__name__, self.name)

    def _layout(self, text: str, cap_height: float, tracking: float):
        """Glyph positions in mm (relative to the run origin), advance width and ink x-range."""
        if not (isinstance(cap_height, (int, float)) and math.isfinite(cap_height) and cap_height > 0):
            raise ValueError("cap height must be a positive number of mm, got %r" % (cap_height,))
        if not math.isfinite(tracking):
            raise ValueError("tracking must be a finite number of mm, got %r" % (tracking,))
        s = cap_height / self._cap_units
        shaped, total = self._shape(text)
        placed = []
        xmin = xmax = 0.0
        for i, (g, xu, yu) in enumerate(shaped):
            x = xu * s + i * tracking
            y = yu * s
            placed.append((g, x, y))
            if g.bounds is not None:
                xmin = min(xmin, x + g.bounds.xmin * s)
                xmax = max(xmax, x + g.bounds.xmax * s)
        width = total * s + tracking * (len(shaped) - 1) if shaped else 0.0
        return s, placed, width, min(xmin, 0.0), max(xmax, width)

    def _paths(self, placed, s: float, k: float, dx: float, dy: float) -> tuple[Path, ...]:
        """Emit placed glyphs scaled by k and moved by (dx, dy).

        Two caches make a warm run cheap: each glyph quantized once per size,
        and each placed glyph Path (a plaque number's digits recur at the same
        few positions) reused as the immutable object it is.
        """
        out = []
        sk = s * k
        qcache = self._qcache
        pcache = self._pcache
        r = round
        for g, x, y in placed:
            if not g.segs:
                continue
            ox = r((x * k + dx) * _DIV)
            oy = r((y * k + dy) * _DIV)
            key = (g, sk, ox, oy)
            path = pcache.get(key)
            if path is None:
                qkey = (g, sk)
                isegs = qcache.get(qkey)
                if isegs is None:
                    if len(qcache) >= _CACHE_MAX:
                        qcache.clear()
                    isegs = qcache[qkey] = _quantize(g.segs, sk)
                if not isegs:
                    continue
                if len(pcache) >= _CACHE_MAX:
                    pcache.clear()
                path = pcache[key] = Path(_emit(isegs, ox, oy))
            out.append(path)
        return tuple(out)

    def run(self, text: str, cap_height: float, tracking: float = 0.0) -> TextRun:
        """Text as paths in mm: baseline y=0, starting at x=0, y down.

        tracking: extra space in mm between consecutive glyphs.
        Raises FontError when the font lacks a character.
        """
        s, placed, width, _, _ = self._layout(text, cap_height, tracking)
        return TextRun(self._paths(placed, s, 1.0, 0.0, 0.0), _r(width), float(cap_height), self.strokes)


def _r(v: float) -> float:
    return round(v, ROUND_DIGITS)


# --------------------------------------------------------------------------
# Outline fonts (TTF / OTF)
# --------------------------------------------------------------------------

class OutlineFont(TextFont):
    """A TrueType/OpenType font drawn as filled outlines."""

    strokes = False

    def __init__(self, path: pathlib.Path, spec: str, use_harfbuzz: bool | None = None) -> None:
        import io

        from fontTools.ttLib import TTFont

        self.name = path.name
        self._spec = spec
        self._qcache, self._pcache = {}, {}
        try:
            data = read_regular_file(path)
        except OSError as e:
            raise FontError("font %r cannot be read: %s" % (str(path), e.strerror or e)) from None
        try:
            self._tt = TTFont(io.BytesIO(data), lazy=True)
            self._cmap = self._tt.getBestCmap() or {}
            self._order = self._tt.getGlyphOrder()
            self._glyphset = self._tt.getGlyphSet()
            self._upem = self._tt["head"].unitsPerEm
            self._hmtx = self._tt["hmtx"]
        except Exception as e:  # noqa: BLE001 - fontTools raises many kinds on a bad file
            raise FontError("font %r is not a readable TrueType/OpenType font (%s)" % (path.name, e)) from None
        if not self._cmap:
            raise FontError("font %r has no Unicode character map" % path.name)
        self._gid = {name: i for i, name in enumerate(self._order)}
        self._glyphs: dict[int, _Glyph] = {}
        self._cap_units = self._cap_height_units()
        if use_harfbuzz is None:
            use_harfbuzz = _hb is not None
        self._hb_font = None
        if use_harfbuzz:
            face = _hb.Face(_hb.Blob(data))
            font = _hb.Font(face)
            font.scale = (self._upem, self._upem)
            self._hb_font = font
        else:
            self._kern_pairs = self._legacy_kern_pairs()

    @property
    def shaping(self) -> str:
        """How positions are computed: "harfbuzz" or "kern-table"."""
        return "harfbuzz" if self._hb_font is not None else "kern-table"

    def _cap_height_units(self) -> float:
        os2 = self._tt["OS/2"] if "OS/2" in self._tt else None
        cap = getattr(os2, "sCapHeight", 0) if os2 is not None and os2.version >= 2 else 0
        if cap and cap > 0:
            return float(cap)
        gname = self._cmap.get(ord("H"))
        if gname is not None:
            g = self._glyph(self._gid[gname])
            if g.bounds is not None and g.bounds.ymin < 0:
                return -g.bounds.ymin  # y is flipped: the top of "H" is at -cap
        asc = self._tt["hhea"].ascent if "hhea" in self._tt else 0.7 * self._upem
        return float(asc) * 0.7 or 0.7 * self._upem

    def _glyph(self, gid: int) -> _Glyph:
        g = self._glyphs.get(gid)
        if g is None:
            g = self._glyphs[gid] = self._record(gid)
        return g

    def _record(self, gid: int) -> _Glyph:
        from fontTools.pens.transformPen import TransformPen

        name = self._order[gid]
        # Filled outlines are closed whatever the font says; y flipped to point down.
        pen = PathPen(self._glyphset, close=True)
        self._glyphset[name].draw(TransformPen(pen, (1, 0, 0, -1, 0, 0)))
        # Font units: only exact repeats are dropped here; PRECISION applies once scaled.
        segs = pen.path(precision=0).segs
        # Fill-rule-independent contours, once per glyph (contours.py); 0.001 em tolerance.
        try:
            segs = normalize_segs(tuple(segs), "nonzero", self._upem * 0.001,
                                  f"glyph {name!r} of font {self.name!r}")
        except ContourError as e:
            raise FontError(str(e)) from None
        return _make_glyph(tuple(segs), self._hmtx[name][0])

    def _legacy_kern_pairs(self) -> dict:
        pairs: dict = {}
        if "kern" in self._tt:
            for sub in getattr(self._tt["kern"], "kernTables", []):
                if getattr(sub, "format", None) == 0 and getattr(sub, "coverage", 1) & 1:
                    for k, v in sub.kernTable.items():
                        pairs.setdefault(k, v)
        return pairs

    def _check(self, text: str) -> None:
        cmap = self._cmap
        for ch in text:
            if ord(ch) not in cmap:
                raise FontError("font %r has no glyph for %s" % (self.name, _char_label(ch)))
            if not _is_blank(ch) and not self._glyph(self._gid[cmap[ord(ch)]]).segs:
                raise FontError("font %r has an empty glyph for %s" % (self.name, _char_label(ch)))

    def _shape(self, text: str):
        self._check(text)
        if not text:
            return [], 0.0
        if self._hb_font is not None:
            buf = _hb.Buffer()
            buf.add_str(text)
            buf.guess_segment_properties()
            _hb.shape(self._hb_font, buf)
            out = []
            x = 0.0
            glyph = self._glyph
            for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
                out.append((glyph(info.codepoint), x + pos.x_offset, -pos.y_offset))
                x += pos.x_advance
            return out, x
        out = []
        x = 0.0
        prev = None
        for ch in text:
            name = self._cmap[ord(ch)]
            if prev is not None:
                x += self._kern_pairs.get((prev, name), 0)
            g = self._glyph(self._gid[name])
            out.append((g, x, 0.0))
            x += g.advance
            prev = name
        return out, x


# --------------------------------------------------------------------------
# Hershey single-stroke fonts
# --------------------------------------------------------------------------

class HersheyFont(TextFont):
    """A Hershey font: open centre-line polylines for scoring / vector engraving."""

    strokes = True

    def __init__(self, font_name: str, spec: str) -> None:
        from HersheyFonts import HersheyFonts

        hf = HersheyFonts()
        names = hf.default_font_names
        if font_name not in names:
            raise FontError("unknown Hershey font %r (choose one of: %s)" % (font_name, ", ".join(sorted(names))))
        hf.load_default_font(font_name)
        self.name = spec
        self._spec = spec
        self._qcache, self._pcache = {}, {}
        self._glyphs: dict[str, _Glyph] = {}
        raw = hf.all_glyphs
        for ch, g in raw.items():
            if len(ch) != 1 or ord(ch) > 127:
                continue  # HersheyFonts numbers glyphs from 32 upwards: only ASCII codes mean their character
            base = g.base_line
            pen = PathPen()
            for stroke in g.strokes:
                for i, (x, y) in enumerate(stroke):
                    p = (x - g.left_offset, y - base)  # Hershey y already points down
                    if i:
                        pen.lineTo(p)
                    else:
                        pen.moveTo(p)
                pen.endPath()
            # Font units: exact repeats and one-point strokes dropped, strokes stay open.
            self._glyphs[ch] = _make_glyph(pen.path(precision=0).segs, g.char_width)
        h = self._glyphs.get("H")
        if h is not None and h.bounds is not None and h.bounds.ymin < 0:
            self._cap_units = -h.bounds.ymin
        else:
            opts = hf.render_options
            self._cap_units = float(opts["base_line"] - opts["cap_line"])

    def _shape(self, text: str):
        out = []
        x = 0.0
        glyphs = self._glyphs
        for ch in text:
            g = glyphs.get(ch)
            if g is None or (not g.segs and not ch.isspace()):
                raise FontError("Hershey font %r has no glyph for %s (ASCII only)" % (self.name, _char_label(ch)))
            out.append((g, x, 0.0))
            x += g.advance
        return out, x


# --------------------------------------------------------------------------
# Loading and fitting
# --------------------------------------------------------------------------

def load_font(spec: str, base_dir: "pathlib.Path | str | None" = None) -> TextFont:
    """Load a font once per process.

    spec: a path to a .ttf/.otf file (relative paths resolved against base_dir,
    else the working directory), or "hershey:<name>" for a built-in Hershey font.
    Raises FontError when the font is missing or unreadable.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise FontError("no font given")
    spec = spec.strip()
    if spec.lower().startswith("hershey:"):
        return _load_resolved("hershey:" + spec.split(":", 1)[1].strip().lower())
    p = pathlib.Path(spec).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = pathlib.Path(base_dir) / p
    p = p.resolve()
    if not p.is_file():
        raise FontError("font %r not found (looked for %s)" % (spec, p))
    if p.suffix.lower() not in (".ttf", ".otf"):
        raise FontError("font %r is not a .ttf or .otf file" % spec)
    return _load_resolved(str(p))


@functools.lru_cache(maxsize=None)
def _load_resolved(spec: str) -> TextFont:
    if spec.startswith("hershey:"):
        return HersheyFont(spec.split(":", 1)[1], spec)
    return OutlineFont(pathlib.Path(spec), spec)


def fit_text(font: TextFont, text: str, box: Bounds, cap_height: float, align: str = "center",
             valign: str = "middle", tracking: float = 0.0) -> tuple[tuple[Path, ...], float]:
    """Place text in box (plate mm); return (paths, cap height actually used).

    The run is shrunk uniformly (size and tracking) when it is wider than the box
    or its cap height taller than the box; it is never clipped nor enlarged.
    Horizontal placement uses the advance box (widened to the ink where glyphs
    overhang), so numbers line up plaque to plaque. Vertical placement uses the
    cap height, never the ink: for valign="middle" the band from baseline to cap
    line is centred in the box, so every plaque's number sits on the same
    baseline (descenders and accents may extend beyond the cap band).
    """
    if align not in _ALIGNS:
        raise ValueError("align must be one of %s, got %r" % ("/".join(_ALIGNS), align))
    if valign not in _VALIGNS:
        raise ValueError("valign must be one of %s, got %r" % ("/".join(_VALIGNS), valign))
    if not (box.width > 0 and box.height > 0):
        raise ValueError("text box must have a positive size, got %r" % (box,))
    s, placed, width, xmin, xmax = font._layout(text, cap_height, tracking)
    span = xmax - xmin
    k = 1.0
    if span > box.width:
        k = box.width / span
    if cap_height * k > box.height:
        k = box.height / cap_height
    margin = 0.0
    if k < 1.0:
        # Rounding (glyph, then its offset) moves a point by up to one quantum: stay inside.
        margin = 2 * _QUANTUM
        k = min(k, (box.width - 2 * margin) / span if span > 0 else k)
    w = span * k
    if align == "left":
        x0 = box.xmin + margin
    elif align == "right":
        x0 = box.xmax - w - margin
    else:
        x0 = box.xmin + (box.width - w) / 2
    cap = cap_height * k
    if valign == "top":
        base = box.ymin + cap
    elif valign == "bottom":
        base = box.ymax
    else:
        base = box.ymin + (box.height + cap) / 2
    dx = x0 - xmin * k
    return font._paths(placed, s, k, dx, base), cap
