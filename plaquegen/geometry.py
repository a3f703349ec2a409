"""The geometry model: paths and layers in millimetres.

Everything plaquegen draws is a :class:`Path` made of four absolute commands,
the same vocabulary as a fontTools pen:

* ``("M", x, y)``                     move to (starts a sub-path)
* ``("L", x, y)``                     line to
* ``("C", x1, y1, x2, y2, x, y)``     cubic Bézier to
* ``("Z",)``                          close the current sub-path

Coordinates are millimetres, y pointing down (SVG convention), origin at the
plate's top-left corner. Quadratics and arcs are converted to cubics by
whoever builds a Path, so every consumer (SVG writer, PDF proof, length
measure) handles only these four commands. ``Path.draw(pen)`` replays a path
into any object with the fontTools pen methods (moveTo, lineTo, curveTo,
closePath, endPath), so one geometry feeds every backend.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Protocol, Sequence

from fontTools.misc.bezierTools import calcCubicArcLength, calcCubicBounds

Seg = tuple  # ("M", x, y) | ("L", x, y) | ("C", x1, y1, x2, y2, x, y) | ("Z",)
Matrix = tuple[float, float, float, float, float, float]  # SVG (a, b, c, d, e, f)



class Pen(Protocol):
    """The fontTools pen protocol, as much of it as plaquegen uses."""

    def moveTo(self, pt: tuple[float, float]) -> None: ...
    def lineTo(self, pt: tuple[float, float]) -> None: ...
    def curveTo(self, *pts: tuple[float, float]) -> None: ...
    def closePath(self) -> None: ...
    def endPath(self) -> None: ...


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
        return Path((("M", x, y), ("L", x + w, y), ("L", x + w, y + h), ("L", x, y + h), ("Z",)))
    k = 0.5522847498 * r  # cubic approximation of a quarter circle
    x1, y1 = x + w, y + h
    return Path((
        ("M", x + r, y),
        ("L", x1 - r, y), ("C", x1 - r + k, y, x1, y + r - k, x1, y + r),
        ("L", x1, y1 - r), ("C", x1, y1 - r + k, x1 - r + k, y1, x1 - r, y1),
        ("L", x + r, y1), ("C", x + r - k, y1, x, y1 - r + k, x, y1 - r),
        ("L", x, y + r), ("C", x, y + r - k, x + r - k, y, x + r, y),
        ("Z",),
    ))


class RecordingPathPen:
    """A fontTools pen that records what is drawn into our command tuples.

    Quadratic curves (TrueType glyphs) are raised to cubics, so consumers only
    ever see M/L/C/Z.
    """

    def __init__(self) -> None:
        self.segs: list[Seg] = []
        self._cur = (0.0, 0.0)
        self._start = (0.0, 0.0)

    def moveTo(self, pt):
        self.segs.append(("M", float(pt[0]), float(pt[1])))
        self._cur = self._start = (pt[0], pt[1])

    def lineTo(self, pt):
        if (pt[0], pt[1]) != self._cur:  # zero-length segments double-burn
            self.segs.append(("L", float(pt[0]), float(pt[1])))
        self._cur = (pt[0], pt[1])

    def curveTo(self, *pts):
        if len(pts) == 3:
            (x1, y1), (x2, y2), (x, y) = pts
            self.segs.append(("C", float(x1), float(y1), float(x2), float(y2), float(x), float(y)))
            self._cur = (x, y)
        else:  # fontTools decomposes super-beziers via the base pen; keep it simple
            raise ValueError("curveTo with %d points is not supported" % len(pts))

    def qCurveTo(self, *pts):
        # Decompose TrueType implied on-curve points, then elevate each quad.
        from fontTools.pens.basePen import decomposeQuadraticSegment

        if pts[-1] is None:
            raise ValueError("closed quadratic contours without on-curve points are not supported")
        for (cx, cy), (x, y) in decomposeQuadraticSegment(pts):
            x0, y0 = self._cur
            self.segs.append(("C", x0 + 2 / 3 * (cx - x0), y0 + 2 / 3 * (cy - y0),
                              x + 2 / 3 * (cx - x), y + 2 / 3 * (cy - y), float(x), float(y)))
            self._cur = (x, y)

    def closePath(self):
        if self.segs and self.segs[-1][0] == "L" and (self.segs[-1][1], self.segs[-1][2]) == self._start:
            self.segs.pop()  # explicit return to start duplicates Z
        self.segs.append(("Z",))
        self._cur = self._start

    def endPath(self):
        pass

    def addComponent(self, glyphName, transformation):  # pragma: no cover - fonts decompose
        raise NotImplementedError

    def path(self, fill_rule: str = "nonzero") -> Path:
        return Path(tuple(self.segs), fill_rule)


# Layer names in the order a laser must run them: engrave, then score, then cut.
LAYER_ORDER = ("engrave", "score", "cut", "guide")


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


def order_paths(paths: Sequence[Path], start: tuple[float, float] = (0.0, 0.0)) -> tuple[Path, ...]:
    """Order paths inner before outer, then nearest-neighbour to keep travel short.

    A path whose bounds lie inside another's is cut/engraved first (so a part
    never moves before its holes are done); among the rest, greedy nearest
    start point from the current position. Deterministic for equal input.
    """
    items = list(paths)
    if len(items) < 2:
        return tuple(items)
    bnds = [p.bounds for p in items]
    depth = [sum(1 for j, bj in enumerate(bnds) if j != i and bj.contains(bi) and bj != bi)
             for i, bi in enumerate(bnds)]
    out: list[Path] = []
    pos = start
    for level in sorted(set(depth), reverse=True):  # deepest (innermost) first
        pool = [i for i in range(len(items)) if depth[i] == level]
        while pool:
            k = min(pool, key=lambda i: (math.dist(pos, items[i].start), i))
            pool.remove(k)
            out.append(items[k])
            pos = items[k].end
    return tuple(out)
