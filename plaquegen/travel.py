"""Laser order: which path next, where a closed path starts, which way an open one runs.

Travel is the beam-off move between the end of one sub-path and the start of
the next, in mm. Within a layer the laser may run paths in any order, start a
closed contour at any of its nodes (segment end points; curves stay whole)
and run an open stroke either way; filled contours keep their winding (it is
what makes them fill-rule independent, see contours.py), and a path of several
sub-paths (a glyph with its counters, an outer with its holes) stays together,
its sub-paths ordered once and run forwards or backwards as a block.

The solver is nearest neighbour, then 2-opt (reversing a run of the tour
reverses each path in it) alternating with choosing each closed contour's
start node from its neighbours, until nothing improves. Everything is
deterministic: ties go to the lower index.

:func:`order_layer` orders one plaque's layer (the constant artwork once per
batch); :func:`splice` adds the per-plaque number to an ordered layer;
:func:`plan_sweep` chooses how the laser visits a jig's pockets (serpentine
by columns or by rows, from any corner, each plaque run forwards or backwards).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .geometry import Path, Seg, split_subpaths

__all__ = ["order_layer", "splice", "reverse_path", "reverse_run", "run_ends", "run_travel",
           "inner_travel", "plan_sweep", "SweepStep"]

Point = tuple[float, float]
_dist = math.dist


# ----------------------------------------------------------------- sub-paths


def _nodes(sp: Sequence[Seg]) -> list[Point]:
    pts = [(sp[0][1], sp[0][2])]
    for s in sp[1:]:
        if s[0] != "Z":
            pts.append((s[-2], s[-1]))
    return pts


def _rotate_closed(sp: Sequence[Seg], k: int) -> list[Seg]:
    """A closed sub-path started at its k-th node, same direction, same curves."""
    if k == 0:
        return list(sp)
    start = (sp[0][1], sp[0][2])
    body = [s for s in sp[1:] if s[0] != "Z"]
    last = (body[-1][-2], body[-1][-1])
    if last != start:
        body.append(("L", *start))
    node = (body[k - 1][-2], body[k - 1][-1])
    seq = body[k:] + body[:k]
    if seq[-1][0] == "L":
        seq = seq[:-1]  # the line back to the new start is the Z
    return [("M", *node), *seq, ("Z",)]


def _reverse_open(sp: Sequence[Seg]) -> list[Seg]:
    pts = _nodes(sp)
    out: list[Seg] = [("M", *pts[-1])]
    for i in range(len(sp) - 1, 0, -1):
        s = sp[i]
        p0 = pts[i - 1]
        if s[0] == "L":
            out.append(("L", *p0))
        else:
            out.append(("C", s[3], s[4], s[1], s[2], *p0))
    return out


def _is_closed(sp: Sequence[Seg]) -> bool:
    return sp[-1][0] == "Z"


# ----------------------------------------------------------------- units


class _Unit:
    """A path and its ways of being run: variants (entry, exit), rev[v] = the reverse variant."""

    __slots__ = ("path", "entries", "exits", "rev", "kind", "block")

    def __init__(self, path: Path):
        subs = split_subpaths(path.segs)
        self.path = path
        if len(subs) == 1 and _is_closed(subs[0]):
            nodes = _nodes(subs[0])
            if nodes[-1] == nodes[0]:
                nodes.pop()
            self.kind = "closed"
            self.entries = self.exits = nodes
            self.rev = list(range(len(nodes)))
        elif len(subs) == 1:
            nodes = _nodes(subs[0])
            self.kind = "open"
            self.entries = [nodes[0], nodes[-1]]
            self.exits = [nodes[-1], nodes[0]]
            self.rev = [1, 0]
        else:
            block = order_layer([Path(tuple(sp), path.fill_rule) for sp in subs],
                                start=(subs[0][0][1], subs[0][0][2]))
            self.block = block
            self.kind = "block"
            a, b = run_ends(block)
            self.entries = [a, b]
            self.exits = [b, a]
            self.rev = [1, 0]

    def build(self, v: int) -> Path:
        p = self.path
        if self.kind == "closed":
            return p if v == 0 else Path(tuple(_rotate_closed(p.segs, v)), p.fill_rule)
        if self.kind == "open":
            return p if v == 0 else Path(tuple(_reverse_open(p.segs)), p.fill_rule)
        subs = self.block if v == 0 else reverse_run(self.block)
        return Path(tuple(s for q in subs for s in q.segs), p.fill_rule)


_UNITS: dict[int, tuple[Path, _Unit]] = {}


def _unit(p: Path) -> _Unit:
    hit = _UNITS.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1]
    if len(_UNITS) > 50000:
        _UNITS.clear()
    u = _Unit(p)
    _UNITS[id(p)] = (p, u)
    return u


def _best_entry(u: _Unit, pos: Point) -> tuple[float, int]:
    best, bv = math.inf, 0
    for v, e in enumerate(u.entries):
        d = _dist(pos, e)
        if d < best:
            best, bv = d, v
    return best, bv


def _solve(units: list[_Unit], start: Point, quick: bool = False) -> list[tuple[_Unit, int]]:
    """Nearest neighbour, then 2-opt, or-opt and start-node choice until no gain (open tour
    from start). ``quick``: without or-opt, at most three rounds (per-plaque work)."""
    pool = list(range(len(units)))
    tour: list[tuple[_Unit, int]] = []
    pos = start
    while pool:
        bd, bi, bv = math.inf, -1, 0
        for i in pool:
            d, v = _best_entry(units[i], pos)
            if d < bd - 1e-12:
                bd, bi, bv = d, i, v
        pool.remove(bi)
        tour.append((units[bi], bv))
        pos = units[bi].exits[bv]
    n = len(tour)
    if n < 2:
        return tour
    for _ in range(3 if quick else 50):
        improved = False
        # 2-opt on an open tour: reverse tour[i..j]; each unit takes its reverse variant.
        for i in range(n - 1):
            a = start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]
            ei = tour[i][0].entries[tour[i][1]]
            dai = _dist(a, ei)
            for j in range(i + 1, n):
                uj, vj = tour[j]
                xj = uj.exits[vj]
                if j + 1 < n:
                    b = tour[j + 1][0].entries[tour[j + 1][1]]
                    delta = _dist(a, xj) + _dist(ei, b) - dai - _dist(xj, b)
                else:
                    delta = _dist(a, xj) - dai
                if delta < -1e-9:
                    seg = [(u, u.rev[v]) for u, v in reversed(tour[i:j + 1])]
                    tour[i:j + 1] = seg
                    improved = True
                    a = start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]
                    ei = tour[i][0].entries[tour[i][1]]
                    dai = _dist(a, ei)
        # Or-opt: move one unit to the gap where it costs least.
        for i in range(0 if quick else n):
            u, v = tour[i]
            a = start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]
            b = tour[i + 1][0].entries[tour[i + 1][1]] if i + 1 < n else None
            removed = _dist(a, u.entries[v]) + (_dist(u.exits[v], b) - _dist(a, b) if b else 0.0)
            rest = tour[:i] + tour[i + 1:]
            best = (removed - 1e-9, -1, 0)
            for k in range(len(rest) + 1):
                pa = start if k == 0 else rest[k - 1][0].exits[rest[k - 1][1]]
                pb = rest[k][0].entries[rest[k][1]] if k < len(rest) else None
                base = _dist(pa, pb) if pb else 0.0
                for w in range(len(u.entries)):
                    c = _dist(pa, u.entries[w]) + (_dist(u.exits[w], pb) if pb else 0.0) - base
                    if c < best[0]:
                        best = (c, k, w)
            if best[1] >= 0:
                rest.insert(best[1], (u, best[2]))
                tour = rest
                improved = True
        # Start node of each closed contour (and direction of strokes) from its neighbours.
        for i in range(n):
            u, v = tour[i]
            if len(u.entries) < 2:
                continue
            a = start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]
            b = tour[i + 1][0].entries[tour[i + 1][1]] if i + 1 < n else None
            cur = _dist(a, u.entries[v]) + (_dist(u.exits[v], b) if b else 0.0)
            for w in range(len(u.entries)):
                c = _dist(a, u.entries[w]) + (_dist(u.exits[w], b) if b else 0.0)
                if c < cur - 1e-9:
                    cur, v = c, w
            if v != tour[i][1]:
                tour[i] = (u, v)
                improved = True
        if not improved:
            break
    return tour


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
        tour = _solve(units, pos, quick)
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


# ----------------------------------------------------------------- the jig


@dataclass(frozen=True)
class SweepStep:
    """One pocket's turn in a layer: item index, run backwards or not."""

    index: int
    reverse: bool


def _serpentines(cells: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Index sequences: serpentine by rows and by columns, from each of the four corners."""
    cols = sorted({c for c, _ in cells})
    rows = sorted({r for _, r in cells})
    out = []
    for by_cols in (True, False):
        for flip_major in (False, True):
            for flip_minor in (False, True):
                majors = cols if by_cols else rows
                if flip_major:
                    majors = majors[::-1]
                seq: list[int] = []
                for m, major in enumerate(majors):
                    line = [i for i, (c, r) in enumerate(cells) if (c if by_cols else r) == major]
                    line.sort(key=lambda i: cells[i][1] if by_cols else cells[i][0])
                    if (m % 2 == 1) != flip_minor:
                        line.reverse()
                    seq.extend(line)
                out.append(seq)
    return out


def plan_sweep(cells: Sequence[tuple[int, int]], ends: Sequence[tuple[Point, Point]],
               start: Point = (0.0, 0.0)) -> tuple[list[SweepStep], float]:
    """The cheapest way to visit the pockets of a jig within one layer.

    cells: (column, row) of each item; ends: (entry, exit) of each item's run
    in bed mm (a run backwards enters at exit and leaves at entry). Tries
    serpentines by columns and by rows from each corner; for each, a dynamic
    programme picks every item's direction. Returns the steps and the travel
    in mm between items (from ``start``, not counting travel inside items).
    """
    if not cells:
        return [], 0.0
    best_cost, best_steps = math.inf, []
    for seq in _serpentines(cells):
        # cost[d], back-pointers; d = 0 forwards, 1 backwards
        e0, x0 = ends[seq[0]]
        cost = [_dist(start, e0), _dist(start, x0)]
        back: list[tuple[int, int]] = []
        for prev, cur in zip(seq, seq[1:]):
            pe, px = ends[prev]
            ce, cx = ends[cur]
            outs = (px, pe)
            new, bp = [], []
            for entry in (ce, cx):
                c0 = cost[0] + _dist(outs[0], entry)
                c1 = cost[1] + _dist(outs[1], entry)
                new.append(min(c0, c1))
                bp.append(0 if c0 <= c1 else 1)
            cost = new
            back.append(tuple(bp))
        d = 0 if cost[0] <= cost[1] else 1
        total = cost[d]
        if total < best_cost - 1e-9:
            dirs = [d]
            for bp in reversed(back):
                d = bp[d]
                dirs.append(d)
            dirs.reverse()
            best_cost = total
            best_steps = [SweepStep(i, bool(dd)) for i, dd in zip(seq, dirs)]
    return best_steps, best_cost
