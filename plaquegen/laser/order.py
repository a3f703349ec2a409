"""Laser order of one layer: which path next, where a closed path starts, which way an open one runs.

Travel is the beam-off move between the end of one sub-path and the start of the next, in
mm. Within a layer the laser may run paths in any order, start a closed contour at any of
its nodes and run an open stroke either way; a path of several sub-paths stays together
(units.py says how each path may be run, solve.py finds the tour).

:func:`order_layer` orders one plaque's layer (the constant artwork once per batch);
:func:`splice` adds the per-plaque number to an ordered layer; :func:`reverse_path`,
:func:`reverse_run`, :func:`run_ends`, :func:`inner_travel` and :func:`run_travel` turn and
measure a run of paths (points and lengths in mm).

Contract: deterministic (ties go to the lower index), the same shapes and winding as given,
new Path objects only where a start node or direction changed. Cache: ``_REV`` (reversed
paths, per path object).
"""
from __future__ import annotations

import math
from typing import Sequence

from ..geometry.paths import Path, Seg, split_subpaths
from .solve import _solve
from .units import _is_closed, _reverse_open, _unit

__all__ = ["order_layer", "splice", "reverse_path", "reverse_run", "run_ends", "run_travel",
           "inner_travel"]

Point = tuple[float, float]
_dist = math.dist


def _depths(paths: Sequence[Path]) -> list[int]:
    bnds = [p.bounds for p in paths]
    return [sum(1 for j, bj in enumerate(bnds) if j != i and bj.contains(bi) and bj != bi)
            for i, bi in enumerate(bnds)]


def order_layer(paths: Sequence[Path], start: Point = (0.0, 0.0),
                inner_first: bool = False, quick: bool = False) -> tuple[Path, ...]:
    """The paths of one layer in laser order, starting at ``start`` (mm).

    Returns new Path objects where a start node or direction changed (same
    shapes, same winding). ``inner_first``: a path whose bounds lie inside
    another's runs before it (cuts: a part never moves before its holes are cut).
    """
    paths = list(paths)
    if not paths:
        return ()
    levels = sorted(set(_depths(paths)), reverse=True) if inner_first else [0]
    depth = _depths(paths) if inner_first else [0] * len(paths)
    out: list[Path] = []
    pos = start
    for level in levels:
        units = [_unit(p) for p, d in zip(paths, depth) if d == level]
        tour = _solve(units, pos, quick=quick)
        built = [u.build(v) for u, v in tour]
        out.extend(built)
        pos = run_ends(built)[1]
    return tuple(out)


def splice(run: Sequence[Path], extra: Sequence[Path], start: Point = (0.0, 0.0)) -> tuple[Path, ...]:
    """``run`` (already in laser order) with the ``extra`` paths added as one block, cheaply.

    The block is ordered on its own, then put into the gap of ``run`` (or at
    either end), forwards or backwards, where it adds the least travel. Cheap:
    for a plaque's number added to the constant artwork of its layer.
    """
    if not extra:
        return tuple(run)
    if not run:
        return order_layer(extra, start)
    xs = [p.bounds.xmin for p in extra]
    left = extra[xs.index(min(xs))].start
    block = order_layer(extra, left, quick=True)
    rblock = None
    ba, bb = run_ends(block)
    ends = [run_ends([p]) for p in run]
    best = (math.inf, 0, False)
    for k in range(len(run) + 1):
        a = start if k == 0 else ends[k - 1][1]
        b = ends[k][0] if k < len(run) else None
        base = _dist(a, b) if b is not None else 0.0
        for rev, (e, x) in ((False, (ba, bb)), (True, (bb, ba))):
            c = _dist(a, e) + (_dist(x, b) if b is not None else 0.0) - base
            if c < best[0] - 1e-9:
                best = (c, k, rev)
    _, k, rev = best
    if rev:
        rblock = reverse_run(block)
    return tuple(run[:k]) + tuple(rblock if rev else block) + tuple(run[k:])


# ----------------------------------------------------------------- reversal and measures


_REV: dict[int, tuple[Path, Path]] = {}


def reverse_path(p: Path) -> Path:
    """The path run backwards: sub-paths in reverse order, open strokes flipped,
    closed contours unchanged (entry = exit; their winding is kept)."""
    hit = _REV.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    subs = split_subpaths(p.segs)
    out: list[Seg] = []
    for sp in reversed(subs):
        out.extend(sp if _is_closed(sp) else _reverse_open(sp))
    q = p if len(subs) == 1 and _is_closed(subs[0]) else Path(tuple(out), p.fill_rule)
    if len(_REV) > 50000:
        _REV.clear()
    _REV[id(p)] = (p, q)
    return q


def reverse_run(paths: Sequence[Path]) -> tuple[Path, ...]:
    """A run of paths executed backwards: it starts where ``paths`` ended and vice versa."""
    return tuple(reverse_path(p) for p in reversed(paths))


def run_ends(paths: Sequence[Path]) -> tuple[Point, Point]:
    """(where the beam first goes on, where it last goes off) for a run of paths, mm."""
    return paths[0].subpath_ends[0][0], paths[-1].subpath_ends[-1][1]


def inner_travel(paths: Sequence[Path]) -> float:
    """Beam-off travel in mm between the sub-paths of a run (not to its start)."""
    total = 0.0
    pos = None
    for p in paths:
        for s, e in p.subpath_ends:
            if pos is not None:
                total += _dist(pos, s)
            pos = e
    return total


def run_travel(paths: Sequence[Path], start: Point = (0.0, 0.0)) -> float:
    """Beam-off travel in mm from ``start`` through a run of paths."""
    if not paths:
        return 0.0
    return _dist(start, run_ends(paths)[0]) + inner_travel(paths)
