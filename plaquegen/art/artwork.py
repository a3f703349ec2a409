"""Designer SVG -> plain absolute paths in millimetres (untrusted input), and artwork fitted into a box.

The register replaces our artwork with whatever its designer exports from
Illustrator, Inkscape or Affinity.  :func:`load_artwork` turns that into a
tuple of :class:`~plaquegen.geometry.Path` (absolute M/L/C/Z, mm, y down) in
three passes: the **safety scan** (1) and the **rebuild** (2) of a clean SVG are
svgread.py's (:func:`~plaquegen.art.svgread.read_svg`, which also holds the limits); the
third is here:

3. **Geometry** by svgelements (CSS classes, shapes, path data, transforms)
   under the rebuild's root matrix from user units to mm (see svgread).
   Arcs become cubics (at most 45° each) in their local coordinates *before*
   the matrix is applied (svgelements' arc transform is wrong under skew, so
   ``reify`` is off); everything is drawn through geometry's one pen
   (quadratics raised to cubics exactly, zero-length segments dropped at
   ``geometry.PRECISION``); ``visibility:hidden`` and fully
   transparent elements are dropped.

Modes: ``"fill"`` (engraved as filled areas) keeps filled elements and closes
every open sub-path; stroke-only shapes, white fills and strokes thick enough
to change the filled shape are refused with a sentence saying what to do.
``"line"`` (centre lines, e.g. a signature) keeps the outline of every drawn
element, open or closed, whatever its paint.

:func:`fit_artwork` scales and moves the paths into a box of the plate (mm).

Contract: every refusal is an :class:`~plaquegen.art.svgread.ArtworkError`, one sentence
naming the file; the paths keep the file's drawing order.
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass

import svgelements as se

from ..geometry.paths import Bounds, Path, PathPen, bounds_of, fit_matrix, same_point
from .svgread import MAX_COORD, PX_TO_MM, ArtworkError, read_svg

__all__ = ["Artwork", "load_artwork", "fit_artwork"]

STROKE_TOLERANCE = 0.005         # fill mode: stroke width / artwork size ignored below this

MODES = ("fill", "line")
ALIGNS = ("left", "center", "right")
VALIGNS = ("top", "middle", "bottom")


@dataclass(frozen=True)
class Artwork:
    source: str                 # file name
    mode: str                   # "fill" or "line"
    paths: tuple[Path, ...]     # file's own mm coordinates, drawing order
    bounds: Bounds              # exact bounds of all paths


# --------------------------------------------------------------------------- API


def load_artwork(path: str | os.PathLike, mode: str = "fill") -> Artwork:
    """Read a designer's SVG and normalise it into absolute mm paths.

    Raises :class:`ArtworkError` (one sentence naming the file) for anything
    unsafe, unsupported or empty.
    """
    fspath = os.fspath(path)
    name = os.path.basename(fspath) or fspath
    if mode not in MODES:
        raise ArtworkError(f"{name}: unknown artwork mode {mode!r}; use 'fill' or 'line'.")
    clean, vw, vh = read_svg(fspath, name)
    svg = _parse_geometry(clean, name, vw, vh)
    try:
        paths = _extract(svg, name, mode)
    except ArtworkError:
        raise
    except Exception as e:  # anything svgelements trips over in untrusted data
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read "
                           f"({_detail(e)}).") from None
    if not paths:
        raise ArtworkError(f"{name}: contains no visible shapes to engrave; the drawing is empty.")
    bounds = bounds_of(paths)
    assert bounds is not None
    if bounds.width <= 0 and bounds.height <= 0:
        raise ArtworkError(f"{name}: the drawing has no size (all its points coincide).")
    return Artwork(source=name, mode=mode, paths=paths, bounds=bounds)


def fit_artwork(art: Artwork, box: Bounds, align: str = "center",
                valign: str = "middle") -> tuple[Path, ...]:
    """Scale uniformly (aspect ratio kept) and translate ``art`` into ``box``."""
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {', '.join(ALIGNS)}, not {align!r}")
    if valign not in VALIGNS:
        raise ValueError(f"valign must be one of {', '.join(VALIGNS)}, not {valign!r}")
    m = fit_matrix(art.bounds, box, align, valign)
    return tuple(p.transformed(m) for p in art.paths)


# ------------------------------------------------------------------- geometry


def _parse_geometry(clean: bytes, name: str, width: float, height: float) -> se.SVG:
    # width/height: the viewport in user units, for percentage lengths.
    try:
        # reify=False: svgelements' own Arc-times-matrix is wrong under skew
        # (it bends rounded-rect corners); arcs are turned into cubics in their
        # local coordinates and the shape's matrix is applied by us instead.
        svg = se.SVG.parse(io.BytesIO(clean), reify=False, ppi=96, width=width, height=height,
                           on_error="raise")
    except ArtworkError:
        raise
    except RecursionError:
        raise ArtworkError(f"{name}: is nested too deeply to be read.") from None
    except Exception as e:  # svgelements raises ValueError/IndexError/... on bad data
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read "
                           f"({_detail(e)}).") from None
    return svg


def _detail(e: Exception) -> str:
    text = " ".join(str(e).split())[:80].rstrip(".")
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _paint(values: dict, key: str) -> str | None:
    """'paint' (drawn), 'white' (drawn white) or None (not drawn)."""
    raw = values.get(key)
    if raw is None:
        raw = "black" if key == "fill" else "none"
    raw = str(raw).strip()
    low = raw.lower()
    if low in ("none", "transparent", ""):
        return None
    for op in (f"{key}-opacity", "opacity"):
        try:
            if float(values.get(op, 1.0)) <= 0.0:
                return None
        except (TypeError, ValueError):
            pass
    if low.startswith("url("):
        return "paint"  # gradient/pattern: paint only, the shape is still filled
    try:
        c = se.Color(raw)
    except Exception:
        return "paint"
    if c.value is None:
        return "paint"
    if c.alpha == 0:
        return None
    if min(c.red, c.green, c.blue) >= 0xF0:
        return "white"
    return "paint"


def _describe(shape) -> str:
    tag = shape.values.get("tag", type(shape).__name__.lower()) if hasattr(shape, "values") else "shape"
    sid = shape.values.get("id") if hasattr(shape, "values") else None
    return f"<{tag} id=\"{sid}\">" if sid else f"a <{tag}>"


def _extract(svg, name: str, mode: str) -> tuple[Path, ...]:
    paths: list[Path] = []
    stroke_widths: list[tuple[float, str]] = []
    for shape in svg.elements():
        if not isinstance(shape, se.Shape) or isinstance(shape, se.Image):
            continue
        values = getattr(shape, "values", {}) or {}
        if str(values.get("visibility", "visible")).strip().lower() in ("hidden", "collapse"):
            continue
        # A <line> encloses no area: its fill paints nothing, whatever it says.
        fill = None if isinstance(shape, se.SimpleLine) else _paint(values, "fill")
        stroke = _paint(values, "stroke")
        if fill is None and stroke is None:
            continue  # invisible (e.g. a frame rectangle): not engraved
        if mode == "fill":
            if fill is None:
                raise ArtworkError(f"{name}: has stroke-only shapes ({_describe(shape)}); outline "
                                   "strokes (Object to Path / Stroke to Path) or set the artwork's "
                                   "mode to line.")
            if fill == "white":
                raise ArtworkError(f"{name}: has shapes filled with white ({_describe(shape)}); a "
                                   "laser cannot engrave white, so express such details as holes "
                                   "in the black shapes (Path > Difference).")
            if stroke is not None:
                sw = shape.implicit_stroke_width  # scaled by the shape's matrix: mm
                stroke_widths.append((float(sw if sw is not None else PX_TO_MM), _describe(shape)))
        segs = _convert(shape, name, close=(mode == "fill"))
        if not segs:
            continue
        rule = str(values.get("fill-rule", "nonzero")).strip().lower()
        paths.append(Path(segs, "evenodd" if rule == "evenodd" else "nonzero"))
    if paths and stroke_widths:
        b = bounds_of(paths)
        size = max(b.width, b.height)
        for sw, what in stroke_widths:
            if sw > STROKE_TOLERANCE * size:
                raise ArtworkError(f"{name}: has filled shapes with a {sw:.3g} mm stroke "
                                   f"({what}), which would change the engraved shape; remove "
                                   "the stroke or outline it (Stroke to Path) and unite it with "
                                   "the fill.")
    return tuple(paths)


def _mapper(shape, name: str):
    """The shape's full matrix (root mm scale, viewBox, groups, own) as a point function."""
    m = shape.transform
    a, b, c, d, e, f = (float(v) for v in (m.a, m.b, m.c, m.d, m.e, m.f))

    def pt(p) -> tuple[float, float]:
        px, py = float(p[0]), float(p[1])
        x, y = a * px + c * py + e, b * px + d * py + f
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ArtworkError(f"{name}: has coordinates that are not numbers (NaN or infinity).")
        if abs(x) > MAX_COORD or abs(y) > MAX_COORD:
            raise ArtworkError(f"{name}: has coordinates beyond {MAX_COORD:.0e} mm, which is "
                               "not a plaque drawing.")
        return (x, y)

    return pt


def _convert(shape, name: str, close: bool) -> tuple:
    """svgelements shape -> our absolute M/L/C/Z command tuple in mm, cleaned.

    Drawn through :class:`~plaquegen.geometry.PathPen` (which raises
    quadratics to cubics, closes every contour when ``close`` and cleans at
    geometry.PRECISION); only SVG's own rules are decided here.
    """
    try:
        seglist = list(shape.segments(transformed=False))
    except Exception as e:
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read in "
                           f"{_describe(shape)} ({_detail(e)}).") from None
    pt = _mapper(shape, name)
    pen = PathPen(close=close)
    start = cur = None
    moved = False  # a contour is open in the pen

    for seg in seglist:
        if isinstance(seg, se.Move):
            start = cur = pt(seg.end)
            pen.moveTo(cur)
            moved = True
            continue
        if cur is None:  # drawing before any move: start at the segment's start
            if getattr(seg, "start", None) is None:
                continue
            start = cur = pt(seg.start)
        if not moved:  # first drawing, or a command after Z: starts at the sub-path's start
            pen.moveTo(start)
            cur = start
            moved = True
        if isinstance(seg, se.Close):
            pen.closePath()
            cur = start
            moved = False
            continue
        end = pt(seg.end)
        if isinstance(seg, se.Line):
            pen.lineTo(end)
        elif isinstance(seg, se.CubicBezier):
            pen.curveTo(pt(seg.control1), pt(seg.control2), end)
        elif isinstance(seg, se.QuadraticBezier):
            pen.qCurveTo(pt(seg.control), end)  # degree elevation is exact and commutes with the matrix
        elif isinstance(seg, se.Arc):
            if same_point(end, cur):
                continue  # an arc to its own start draws nothing (SVG spec)
            if not seg.rx or not seg.ry:
                pen.lineTo(end)  # zero radius: a straight line (SVG spec)
            else:
                n = max(1, math.ceil(abs(seg.sweep) / (math.pi / 4) - 1e-9))
                curves = list(seg.as_cubic_curves(n))
                for k, cb in enumerate(curves):
                    e = end if k == len(curves) - 1 else pt(cb.end)
                    pen.curveTo(pt(cb.control1), pt(cb.control2), e)
        else:  # unknown segment type: be explicit rather than silently wrong
            raise ArtworkError(f"{name}: has an unsupported path segment ({type(seg).__name__}).")
        cur = end
    return pen.path().segs

