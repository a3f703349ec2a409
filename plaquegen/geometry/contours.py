"""Fill-rule-independent fills: filled paths as closed, simple, correctly wound contours.

Laser software often ignores ``fill-rule``. A filled :class:`~plaquegen.geometry.Path`
therefore leaves here as contours that fill the same area under even-odd and
nonzero:

* every contour is closed and simple (no self-intersection), and no two
  contours of a path touch or cross;
* outer contours run clockwise on screen (positive shoelace area with y down,
  as :func:`~plaquegen.geometry.rounded_rect`), holes counter-clockwise,
  islands inside holes clockwise again: the winding number is 1 inside the
  area and 0 outside it;
* the path's own ``fill_rule`` decides what the area *is* (the designer's
  intent, which the proof shows); the result says ``fill_rule="nonzero"``.

Curves stay curves in the usual case: orientation and containment depth are
computed on a flattened copy (shapely) and the original Béziers are kept, only
reversed where their winding is wrong; a contour that bounds nothing (a same-
wound contour inside another under nonzero, a zero-area sliver) is dropped.
Only where contours cross themselves or each other is the area resolved by a
boolean union under the path's fill rule (pyclipper, strictly simple output),
flattened to :data:`FLATTEN_TOL` (0.01 mm, in the path's units).
"""
from __future__ import annotations

import math
from typing import Sequence

import pyclipper
import shapely
from shapely.geometry import LinearRing, Polygon

from ..core.errors import PlaquegenError
from .paths import Path, Seg, split_subpaths

__all__ = ["ContourError", "FLATTEN_TOL", "normalize_fill", "normalize_segs", "shapes",
           "flatten_subpath", "signed_area", "reverse_closed", "merge_fills"]

#: Flattening tolerance (maximum distance of a chord from its curve), in the path's units (mm).
FLATTEN_TOL = 0.01


class ContourError(PlaquegenError):
    """A filled shape that cannot be made into fill-rule-independent contours."""


def flatten_subpath(sp: Sequence[Seg], tol: float = FLATTEN_TOL) -> list[tuple[float, float]]:
    """The vertices of one (closed) sub-path, curves cut into chords within ``tol``.

    The closing point is not repeated.
    """
    pts: list[tuple[float, float]] = [(sp[0][1], sp[0][2])]
    cur = pts[0]
    for s in sp[1:]:
        op = s[0]
        if op == "L":
            cur = (s[1], s[2])
            pts.append(cur)
        elif op == "C":
            x0, y0 = cur
            x1, y1, x2, y2, x3, y3 = s[1:]
            d = max(math.hypot(x0 - 2 * x1 + x2, y0 - 2 * y1 + y2),
                    math.hypot(x1 - 2 * x2 + x3, y1 - 2 * y2 + y3))
            # Chord error of a cubic cut into n equal steps is at most 3/4 * d / n^2.
            n = max(1, math.ceil(math.sqrt(0.75 * d / tol))) if d > 0 else 1
            for k in range(1, n + 1):
                t = k / n
                u = 1 - t
                pts.append((u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3,
                            u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3))
            cur = (x3, y3)
    if len(pts) > 1 and pts[-1] == pts[0]:
        pts.pop()
    return pts


def signed_area(pts: Sequence[tuple[float, float]]) -> float:
    """Shoelace area; positive = clockwise on screen (y down)."""
    a = 0.0
    n = len(pts)
    for i in range(n):
        x0, y0 = pts[i]
        x1, y1 = pts[(i + 1) % n]
        a += x0 * y1 - x1 * y0
    return a / 2


def reverse_closed(sp: Sequence[Seg]) -> list[Seg]:
    """The same closed sub-path run the other way round, from the same start point."""
    start = (sp[0][1], sp[0][2])
    segs: list[tuple] = []  # (op, p_from, controls..., p_to)
    cur = start
    for s in sp[1:]:
        if s[0] == "L":
            segs.append(("L", cur, (s[1], s[2])))
            cur = (s[1], s[2])
        elif s[0] == "C":
            segs.append(("C", cur, (s[1], s[2]), (s[3], s[4]), (s[5], s[6])))
            cur = (s[5], s[6])
    if cur != start:
        segs.append(("L", cur, start))
    out: list[Seg] = [("M", *start)]
    for k, s in enumerate(reversed(segs)):
        if s[0] == "L":
            if k == len(segs) - 1:
                break  # the last line back to the start is the Z
            out.append(("L", *s[1]))
        else:
            out.append(("C", *s[3], *s[2], *s[1]))
    out.append(("Z",))
    return out


def _closed(sp: list[Seg]) -> list[Seg]:
    return sp if sp[-1][0] == "Z" else sp + [("Z",)]


def normalize_segs(segs: Sequence[Seg], fill_rule: str, tol: float = FLATTEN_TOL,
                   what: str = "a filled shape") -> tuple[Seg, ...]:
    """Contours of a filled command list that fill the same area under any fill rule.

    ``fill_rule`` ("evenodd" or "nonzero") says what the input's area is;
    ``tol`` is the flattening tolerance in the commands' own units. Raises
    :class:`ContourError` (one sentence, naming ``what``) when no such
    contours exist.
    """
    subs = [_closed(sp) for sp in split_subpaths(segs) if any(s[0] in "LC" for s in sp)]
    rings: list[list[tuple[float, float]]] = []
    keep: list[list[Seg]] = []
    for sp in subs:
        pts = flatten_subpath(sp, tol)
        # a zero net area only means "fills nothing" for a simple ring (a bow tie fills two lobes)
        if len(pts) >= 3 and (abs(signed_area(pts)) > tol * tol or not LinearRing(pts).is_simple):
            rings.append(pts)
            keep.append(sp)
    if not rings:
        return ()
    if _disjoint(rings):
        return _rewind(keep, rings, fill_rule)
    return _resolve(rings, fill_rule, tol, what)


def _disjoint(rings: list[list[tuple[float, float]]]) -> bool:
    """True when every ring is simple and no two rings touch or cross."""
    lrs = [LinearRing(r) for r in rings]
    if not all(lr.is_simple for lr in lrs):
        return False
    tree = shapely.STRtree(lrs)
    left, right = tree.query(lrs, predicate="intersects")
    return bool((left == right).all())


def _rewind(subs: list[list[Seg]], rings, fill_rule: str) -> tuple[Seg, ...]:
    """Keep the Béziers; reverse or drop sub-paths so winding is 1 inside, 0 outside."""
    polys = [Polygon(r) for r in rings]
    sign = [1 if signed_area(r) > 0 else -1 for r in rings]
    n = len(rings)
    inside: list[list[int]] = [[] for _ in range(n)]  # rings that contain ring i
    for j, pj in enumerate(polys):
        shapely.prepare(pj)
        for i in range(n):
            if i != j and shapely.contains_xy(pj, *rings[i][0]):
                inside[i].append(j)
    out: list[Seg] = []
    for i in range(n):
        if fill_rule == "evenodd":
            filled_in = len(inside[i]) % 2 == 0   # just inside ring i: depth + 1 rings, odd
            filled_out = not filled_in
        else:
            w_out = sum(sign[j] for j in inside[i])
            filled_out = w_out != 0
            filled_in = (w_out + sign[i]) != 0
        if filled_in == filled_out:
            continue  # bounds nothing: dropping it changes no pixel
        want = 1 if filled_in else -1  # outer clockwise on screen, hole counter-clockwise
        out.extend(subs[i] if sign[i] == want else reverse_closed(subs[i]))
    return tuple(out)


def _resolve(rings, fill_rule: str, tol: float, what: str) -> tuple[Seg, ...]:
    """Boolean union under the fill rule: strictly simple rings, flattened to ``tol``."""
    scale = 1000.0 / tol  # integer grid of tol/1000
    pc = pyclipper.Pyclipper()
    pc.StrictlySimple = True
    try:
        for r in rings:
            pc.AddPath([(round(x * scale), round(y * scale)) for x, y in r], pyclipper.PT_SUBJECT, True)
        ft = pyclipper.PFT_EVENODD if fill_rule == "evenodd" else pyclipper.PFT_NONZERO
        tree = pc.Execute2(pyclipper.CT_UNION, ft, ft)
    except pyclipper.ClipperException as e:
        raise ContourError(f"{what} has contours that cannot be resolved into simple "
                           f"outlines ({e}).") from None
    out: list[Seg] = []
    stack = list(tree.Childs)
    while stack:
        node = stack.pop(0)
        pts = [(x / scale, y / scale) for x, y in node.Contour]
        stack.extend(node.Childs)
        if len(pts) < 3:
            continue
        want = -1 if node.IsHole else 1
        if (1 if signed_area(pts) > 0 else -1) != want:
            pts.reverse()
        out.append(("M", *pts[0]))
        out.extend(("L", *p) for p in pts[1:])
        out.append(("Z",))
    result = tuple(out)
    _check(result, what, tol)
    return result


def _check(segs: tuple[Seg, ...], what: str, tol: float) -> None:
    """Winding is 0 or 1 everywhere: simple rings whose signed areas add up to the even-odd area
    (rings may touch at single points, which fills the same under either rule)."""
    from functools import reduce

    rings = [flatten_subpath(sp, tol) for sp in split_subpaths(segs)]
    if not rings:
        return
    ok = all(LinearRing(r).is_simple for r in rings)
    if ok:
        xor = reduce(lambda a, b: a.symmetric_difference(b), (Polygon(r) for r in rings))
        total = sum(signed_area(r) for r in rings)
        ok = abs(total - xor.area) <= 1e-6 * max(1.0, xor.area) + tol * tol
    if not ok:
        raise ContourError(f"{what} has outlines that cross or touch in a way that cannot be "
                           "made into simple contours; unite or separate them in the artwork "
                           "(Path > Union).")


def normalize_fill(path: Path, tol: float = FLATTEN_TOL, what: str = "a filled shape") -> Path:
    """A filled Path as fill-rule-independent contours (see module docstring), fill_rule nonzero."""
    return Path(normalize_segs(path.segs, path.fill_rule, tol, what), "nonzero")


def shapes(path: Path, tol: float = FLATTEN_TOL) -> tuple[Path, ...]:
    """A normalised filled Path split into pieces: each outer contour with its own holes.

    Every piece fills the same under any fill rule and their union is the
    path's area, so they may be written (and lasered) as separate paths.
    Islands inside holes are pieces of their own. Order: as the outers appear.
    """
    subs = split_subpaths(path.segs)
    if len(subs) <= 1:
        return (path,) if subs else ()
    rings = [flatten_subpath(sp, tol) for sp in subs]
    outer = [signed_area(r) > 0 for r in rings]
    polys = [Polygon(r) for r in rings]
    for p in polys:
        shapely.prepare(p)
    groups: dict[int, list[int]] = {i: [i] for i in range(len(subs)) if outer[i]}
    for i, r in enumerate(rings):
        if outer[i]:
            continue
        # The hole's outer: the smallest outer contour containing it.
        best = min((j for j in groups if shapely.contains_xy(polys[j], *r[0])),
                   key=lambda j: polys[j].area, default=None)
        if best is None:  # a hole outside every outer cannot be: keep the path whole
            return (path,)
        groups[best].append(i)
    return tuple(Path(tuple(s for i in members for s in subs[i]), path.fill_rule)
                 for _, members in sorted(groups.items()))


def merge_fills(paths: Sequence[Path], tol: float = FLATTEN_TOL) -> tuple[Path, ...]:
    """Normalised filled paths as one path when no contour of one touches a contour of another.

    One path lets the laser order every contour freely (a hole must stay in the
    path of its outer, so separate paths tie contours together). Where shapes of
    different paths overlap, they stay apart as :func:`shapes` pieces: merging them
    would need a boolean union that flattens their curves.
    """
    paths = [p for p in paths if p.segs]
    if len(paths) <= 1:
        return tuple(paths)
    rings = [flatten_subpath(sp, tol) for p in paths for sp in split_subpaths(p.segs)]
    if _disjoint(rings):
        return (Path(tuple(s for p in paths for s in p.segs), "nonzero"),)
    return tuple(piece for p in paths for piece in shapes(p, tol))
