"""The geometry model: paths and layers in millimetres.

Everything plaquegen draws is a :class:`Path` made of four absolute commands,
the same vocabulary as a fontTools pen:

* ``("M", x, y)``                     move to (starts a sub-path)
* ``("L", x, y)``                     line to
* ``("C", x1, y1, x2, y2, x, y)``     cubic Bézier to
* ``("Z",)``                          close the current sub-path

Coordinates are millimetres, y pointing down (SVG convention), origin at the
plate's top-left corner. ``Path.draw(pen)`` replays a path into any fontTools
pen, so one geometry feeds every backend.

Building paths, in one place:

* :class:`PathPen` is the one recording pen. It is a fontTools ``BasePen``, so
  quadratics (TrueType) are raised to cubics, super-Béziers split and
  TrueType's on-curve-less contours resolved by fontTools, once, for every
  producer: artwork (designer SVG) and glyphs (outline fonts, Hershey strokes)
  both draw through it. ``PathPen(close=True)`` closes every contour (filled
  shapes). ``pen.path()`` gives the cleaned :class:`Path`.
* :data:`PRECISION` (mm) is the model's one resolution: two points that agree
  to within half of it on both axes are the same point. Glyph outlines are
  quantised to it.
* :func:`clean_segs` is the one cleaner: it drops segments that draw nothing at
  that precision (they would burn a dot twice), a closing ``L`` back to the
  sub-path's start (``Z`` draws it), and sub-paths left drawing nothing.

Writers round to their own file format afterwards (SVG: 0.001 mm) and skip
what that rounding alone collapses (svgout.path_data).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Sequence

from .layers import LAYER_ORDER  # re-exported: the one layer table
from fontTools.misc.bezierTools import calcCubicArcLength, calcCubicBounds
from fontTools.pens.basePen import AbstractPen, BasePen

__all__ = ["Seg", "Matrix", "Pen", "PRECISION", "Bounds", "Path", "PathPen", "RecordingPathPen",
           "same_point", "clean_segs", "transform_segs", "split_subpaths", "segs_bounds",
           "segs_length", "segs_end", "bounds_of", "fit_matrix", "rounded_rect", "LAYER_ORDER",
           "Layer", "Plaque"]

Seg = tuple  # ("M", x, y) | ("L", x, y) | ("C", x1, y1, x2, y2, x, y) | ("Z",)
Matrix = tuple[float, float, float, float, float, float]  # SVG (a, b, c, d, e, f)
Pen = AbstractPen  # any fontTools pen: what Path.draw replays into

#: The model's resolution in mm (0.1 µm, far below any laser's spot): points that
#: agree to within half of it on both axes are one point. Used by clean_segs and
#: by the glyph quantiser; output files round coarser (SVG: 0.001 mm).
PRECISION = 1e-4


@dataclass(frozen=True)
class Bounds:
    """Axis-aligned box in mm: (xmin, ymin) top-left, (xmax, ymax) bottom-right."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin

    def union(self, other: "Bounds") -> "Bounds":
        return Bounds(min(self.xmin, other.xmin), min(self.ymin, other.ymin),
                      max(self.xmax, other.xmax), max(self.ymax, other.ymax))

    def contains(self, other: "Bounds", tol: float = 1e-6) -> bool:
        return (other.xmin >= self.xmin - tol and other.ymin >= self.ymin - tol
                and other.xmax <= self.xmax + tol and other.ymax <= self.ymax + tol)


@dataclass(frozen=True)
class Path:
    """One path of absolute M/L/C/Z commands in mm (see module docstring).

    ``fill_rule`` ("nonzero" or "evenodd") matters for filled (engrave) paths
    with holes: glyph outlines use "nonzero", artwork keeps what its file said.
    """

    segs: tuple[Seg, ...]
    fill_rule: str = "nonzero"

    def draw(self, pen: Pen) -> None:
        """Replay this path into a fontTools-style pen."""
        open_ = False
        for s in self.segs:
            op = s[0]
            if op == "M":
                if open_:
                    pen.endPath()
                pen.moveTo((s[1], s[2]))
                open_ = True
            elif op == "L":
                pen.lineTo((s[1], s[2]))
            elif op == "C":
                pen.curveTo((s[1], s[2]), (s[3], s[4]), (s[5], s[6]))
            else:  # Z
                pen.closePath()
                open_ = False
        if open_:
            pen.endPath()

    def transformed(self, m: Matrix) -> "Path":
        return Path(transform_segs(self.segs, m), self.fill_rule)

    def translated(self, dx: float, dy: float) -> "Path":
        return self.transformed((1.0, 0.0, 0.0, 1.0, dx, dy))

    @cached_property
    def bounds(self) -> Bounds:
        return segs_bounds(self.segs)

    @cached_property
    def length(self) -> float:
        """Drawn length in mm (what the laser travels with the beam on)."""
        return segs_length(self.segs)

    @cached_property
    def subpath_ends(self) -> tuple[tuple[tuple[float, float], tuple[float, float]], ...]:
        """(start, end) point of each sub-path: where the beam goes on and off."""
        return tuple(((sp[0][1], sp[0][2]), segs_end(sp)) for sp in split_subpaths(self.segs))

    @property
    def start(self) -> tuple[float, float]:
        s = self.segs[0]
        return (s[1], s[2])

    @property
    def end(self) -> tuple[float, float]:
        return segs_end(self.segs)

    @property
    def closed(self) -> bool:
        """True when every sub-path ends with Z."""
        subs = split_subpaths(self.segs)
        return bool(subs) and all(sp[-1][0] == "Z" for sp in subs)


def transform_segs(segs: Iterable[Seg], m: Matrix) -> tuple[Seg, ...]:
    """Apply an SVG-style affine matrix (a b c d e f) to every point."""
    a, b, c, d, e, f = m
    out: list[Seg] = []
    for s in segs:
        op = s[0]
        if op == "Z":
            out.append(s)
            continue
        pts = s[1:]
        new = []
        for i in range(0, len(pts), 2):
            x, y = pts[i], pts[i + 1]
            new.append(a * x + c * y + e)
            new.append(b * x + d * y + f)
        out.append((op, *new))
    return tuple(out)


def split_subpaths(segs: Sequence[Seg]) -> list[list[Seg]]:
    """Split a command list at each M into sub-paths."""
    subs: list[list[Seg]] = []
    for s in segs:
        if s[0] == "M" or not subs:
            subs.append([])
        subs[-1].append(s)
    return subs


def _walk(segs: Iterable[Seg]):
    """Yield (op, start_point, seg) with the current point tracked, Z resolved."""
    cur = (0.0, 0.0)
    sub_start = (0.0, 0.0)
    for s in segs:
        op = s[0]
        if op == "M":
            cur = sub_start = (s[1], s[2])
            continue
        yield op, cur, s
        if op == "Z":
            cur = sub_start
        else:
            cur = (s[-2], s[-1])


def segs_bounds(segs: Sequence[Seg]) -> Bounds:
    """Exact bounds (curve extrema, not control points) of a command list."""
    xs: list[float] = []
    ys: list[float] = []
    for s in segs:
        if s[0] == "M":
            xs.append(s[1])
            ys.append(s[2])
    for op, p0, s in _walk(segs):
        if op == "L":
            xs.append(s[1])
            ys.append(s[2])
        elif op == "C":
            x0, y0, x1, y1 = calcCubicBounds(p0, (s[1], s[2]), (s[3], s[4]), (s[5], s[6]))
            xs += [x0, x1]
            ys += [y0, y1]
    if not xs:
        return Bounds(0.0, 0.0, 0.0, 0.0)
    return Bounds(min(xs), min(ys), max(xs), max(ys))


def segs_length(segs: Sequence[Seg]) -> float:
    total = 0.0
    for op, p0, s in _walk(segs):
        if op == "C":
            total += calcCubicArcLength(p0, (s[1], s[2]), (s[3], s[4]), (s[5], s[6]))
        elif op == "L":
            total += math.dist(p0, (s[1], s[2]))
    return total + _closing_length(segs)


def _closing_length(segs: Sequence[Seg]) -> float:
    total = 0.0
    for sp in split_subpaths(segs):
        if sp[-1][0] == "Z" and len(sp) > 1:
            start = (sp[0][1], sp[0][2])
            last = next((s for s in reversed(sp) if s[0] != "Z"), sp[0])
            total += math.dist(start, (last[-2], last[-1]))
    return total


def segs_end(segs: Sequence[Seg]) -> tuple[float, float]:
    subs = split_subpaths(segs)
    last = subs[-1]
    if last[-1][0] == "Z":
        return (last[0][1], last[0][2])
    return (last[-1][-2], last[-1][-1])


def bounds_of(paths: Iterable[Path]) -> Bounds | None:
    out: Bounds | None = None
    for p in paths:
        b = p.bounds
        out = b if out is None else out.union(b)
    return out


def fit_matrix(src: Bounds, box: Bounds, align: str = "center",
               valign: str = "middle") -> Matrix:
    """Uniform scale + translate that fits ``src`` into ``box`` keeping aspect ratio.

    ``align`` is left/center/right, ``valign`` top/middle/bottom: where the
    fitted drawing sits along the axis with spare room.
    """
    sw = src.width or 1e-9
    sh = src.height or 1e-9
    s = min(box.width / sw, box.height / sh)
    w, h = src.width * s, src.height * s
    x = {"left": box.xmin, "right": box.xmax - w}.get(align, box.xmin + (box.width - w) / 2)
    y = {"top": box.ymin, "bottom": box.ymax - h}.get(valign, box.ymin + (box.height - h) / 2)
    return (s, 0.0, 0.0, s, x - src.xmin * s, y - src.ymin * s)


def rounded_rect(x: float, y: float, w: float, h: float, r: float) -> Path:
    """A closed rectangle with circular corners of radius r (mm), clockwise on screen."""
    r = max(0.0, min(r, w / 2, h / 2))
    if r == 0:
        return Path(clean_segs((("M", x, y), ("L", x + w, y), ("L", x + w, y + h), ("L", x, y + h),
                                ("Z",))))
    k = 0.5522847498 * r  # cubic approximation of a quarter circle
    x1, y1 = x + w, y + h
    return Path(clean_segs((  # a side as long as the corners leave nothing of is dropped
        ("M", x + r, y),
        ("L", x1 - r, y), ("C", x1 - r + k, y, x1, y + r - k, x1, y + r),
        ("L", x1, y1 - r), ("C", x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1),
        ("L", x + r, y1), ("C", x + r - k, y1, x, y1 - r + k, x, y1 - r),
        ("L", x, y + r), ("C", x, y + r - k, x + r - k, y, x + r, y),
        ("Z",),
    )))


def same_point(p: Sequence[float], q: Sequence[float], precision: float = PRECISION) -> bool:
    """True when p and q agree to within half of ``precision`` on both axes.

    ``precision`` is in the points' units (mm by default). Points on a grid of
    that step are the same only when equal; ``precision=0`` means exactly equal.
    """
    h = precision / 2
    return abs(p[0] - q[0]) <= h and abs(p[1] - q[1]) <= h


def clean_segs(segs: Iterable[Seg], precision: float = PRECISION) -> tuple[Seg, ...]:
    """The one cleaner: the same drawing without what burns nothing or twice.

    Drops (at ``precision``, in the commands' units, see :func:`same_point`):
    L/C segments whose points all coincide with the current point (compared to
    the last point kept, so a chain of tiny steps cannot drift away), a closing
    ``L`` back to the sub-path's start (``Z`` draws that line), a ``Z`` with
    nothing to close, and sub-paths left drawing nothing (a lone ``M``, ``M Z``).
    A command after ``Z`` without its own ``M`` gets one at the sub-path's start.
    Kept commands are the input tuples themselves (values untouched).
    """
    out: list[Seg] = []
    sub: list[Seg] = []
    start: tuple = ()
    cur: tuple = ()

    def finish(closed: bool) -> None:
        if len(sub) > 1:
            if closed:
                last = sub[-1]
                if last[0] == "L" and same_point((last[1], last[2]), start, precision):
                    sub.pop()  # the explicit line back to the start duplicates Z
                out.extend(sub)
                out.append(("Z",))
            else:
                out.extend(sub)
        sub.clear()

    for s in segs:
        op = s[0]
        if op == "M":
            finish(False)
            start = cur = (s[1], s[2])
            sub.append(s)
        elif op == "Z":
            if not sub:
                continue
            finish(True)
            cur = start
        else:
            if not sub:
                if not start:
                    raise ValueError("a path must start with M, got %r" % (s,))
                sub.append(("M", *start))
                cur = start
            if all(same_point((s[i], s[i + 1]), cur, precision) for i in range(1, len(s), 2)):
                continue  # draws nothing at this precision
            sub.append(s)
            cur = (s[-2], s[-1])
    finish(False)
    return tuple(out)


class PathPen(BasePen):
    """The one recording pen: whatever is drawn into it becomes our M/L/C/Z commands.

    A fontTools ``BasePen``: ``qCurveTo`` (raised to cubics), super-Bézier
    ``curveTo``, TrueType contours without on-curve points and components (with
    a ``glyphSet``) are handled by fontTools. Points are taken as given (mm for
    every Path; glyphs record font units and scale later). ``close=True``
    closes every contour, whatever the source says (filled shapes): ``endPath``
    and a ``moveTo`` that interrupts a contour act as ``closePath``. A line or
    curve after ``closePath`` without ``moveTo`` starts again at the contour's
    start (SVG semantics). ``segs`` holds the commands as recorded;
    :meth:`path` returns them cleaned by :func:`clean_segs`.
    """

    skipMissingComponents = False  # a missing component is a broken font: say so

    def __init__(self, glyphSet=None, close: bool = False) -> None:
        super().__init__(glyphSet)
        self.close = close
        self.segs: list[Seg] = []
        self._open = False
        self._start: tuple[float, float] | None = None

    def _moveTo(self, pt) -> None:
        if self._open:
            self._endPath()
        self._start = (float(pt[0]), float(pt[1]))
        self.segs.append(("M", *self._start))
        self._open = True

    def _reopen(self) -> None:
        if not self._open:
            if self._start is None:
                raise ValueError("a pen's contour must start with moveTo")
            self.segs.append(("M", *self._start))
            self._open = True

    def _lineTo(self, pt) -> None:
        self._reopen()
        self.segs.append(("L", float(pt[0]), float(pt[1])))

    def _curveToOne(self, pt1, pt2, pt3) -> None:
        self._reopen()
        self.segs.append(("C", float(pt1[0]), float(pt1[1]), float(pt2[0]), float(pt2[1]),
                          float(pt3[0]), float(pt3[1])))

    def _closePath(self) -> None:
        if self._open:
            self.segs.append(("Z",))
            self._open = False

    def _endPath(self) -> None:
        if self.close:
            self._closePath()
        self._open = False

    def path(self, fill_rule: str = "nonzero", precision: float = PRECISION) -> Path:
        """What was drawn as a cleaned Path (an unfinished contour is ended first)."""
        if self._open:
            self._endPath()
        return Path(clean_segs(self.segs, precision), fill_rule)


RecordingPathPen = PathPen  # the former name


# Layer names in the order a laser must run them: engrave, then score, then cut.


@dataclass(frozen=True)
class Layer:
    """A named operation with its paths, in the order they are to be run.

    name: one of LAYER_ORDER. engrave paths are filled areas, score and cut
    paths are hairline strokes, guide paths are never output by the laser.
    """

    name: str
    paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Plaque:
    """One plaque's complete geometry in mm, built once and written by every backend.

    width/height: plate size in mm. layers: in LAYER_ORDER (only the ones used).
    title: human description (number and VIN). number/total/vin/label: what it says.
    """

    width: float
    height: float
    layers: tuple[Layer, ...]
    vin: str
    number: int
    total: int
    label: str  # the formatted number as engraved, e.g. "0462 / 6309"
    title: str = ""

    def layer(self, name: str) -> Layer | None:
        return next((l for l in self.layers if l.name == name), None)

    @property
    def engraved_length(self) -> float:
        """Total length of all laser (non-guide) path outlines in mm."""
        return sum(p.length for l in self.layers if l.name != "guide" for p in l.paths)

    @property
    def travel_length(self) -> float:
        """Beam-off travel in mm from the origin through every laser path in file order."""
        pos = (0.0, 0.0)
        total = 0.0
        for l in self.layers:
            if l.name == "guide":
                continue
            for p in l.paths:
                for start, end in p.subpath_ends:
                    total += math.dist(pos, start)
                    pos = end
        return total


