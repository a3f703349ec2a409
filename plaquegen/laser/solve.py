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

Speed (a batch solves the same things again and again): units are shared per path
content, built paths are the same objects for the same variant, a block's quick order,
a path's best variant between two points and the jig's sweep orders are remembered.
Every cache is keyed by everything its answer depends on (exact coordinates, or objects
held by the cache), so an answer never depends on what was computed before: a fresh
process and a warm one give the same order. The solver's loops keep the tour's points
and links in lists; each cost is the same expression evaluated in the same order as a
plain formulation, so ties break as they always did (tests/test_laser_speed.py compares
with the code before these changes, tests/laser_reference.py).
"""
from __future__ import annotations

import marshal
import math
from dataclasses import dataclass
from typing import Sequence

from ..geometry.paths import Path, Seg, split_subpaths

__all__ = ["order_layer", "splice", "reverse_path", "reverse_run", "run_ends", "run_travel",
           "inner_travel", "plan_sweep", "SweepStep", "run_variants", "polish_run", "segs_key"]

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
    """A path and its ways of being run.

    Variant v enters at entries[v], leaves at exits[v] and travels inner[v] mm between
    its own sub-paths; rev[v] is the same run backwards. A block (several sub-paths)
    gains variants while a tour is solved: its sub-paths re-ordered for the
    neighbours it ends up between.
    """

    __slots__ = ("path", "entries", "exits", "rev", "inner", "kind", "subs", "orders")

    def __init__(self, path: Path):
        subs = split_subpaths(path.segs)
        self.path = path
        self.orders: list = []
        self.subs: list = []
        if len(subs) == 1 and _is_closed(subs[0]):
            nodes = _nodes(subs[0])
            if nodes[-1] == nodes[0]:
                nodes.pop()
            self.kind = "closed"
            self.entries = self.exits = nodes
            self.rev = list(range(len(nodes)))
            self.inner = [0.0] * len(nodes)
        elif len(subs) == 1:
            nodes = _nodes(subs[0])
            self.kind = "open"
            self.entries = [nodes[0], nodes[-1]]
            self.exits = [nodes[-1], nodes[0]]
            self.rev = [1, 0]
            self.inner = [0.0, 0.0]
        else:
            self.kind = "block"
            self.subs = [_Unit(Path(tuple(sp), path.fill_rule)) for sp in subs]
            self.entries, self.exits, self.rev, self.inner = [], [], [], []
            self.add_order(_solve(self.subs, (subs[0][0][1], subs[0][0][2])))

    def copy(self) -> "_Unit":
        """A copy whose variant lists a solve may extend (cached units stay as they are)."""
        if self.kind != "block":
            return self
        u = object.__new__(_Unit)
        u.path, u.kind, u.subs = self.path, self.kind, self.subs
        u.orders, u.entries, u.exits = list(self.orders), list(self.entries), list(self.exits)
        u.rev, u.inner = list(self.rev), list(self.inner)
        return u

    def add_order(self, order: list) -> int:
        """Add a sub-path order (and its reverse) as variants; return the forward one's index."""
        hit = _BACKS.get(id(order))
        if hit is None or hit[0] is not order:
            back = [(su, su.rev[sv]) for su, sv in reversed(order)]
            # The reverse and both inner travels depend only on the order (never mutated).
            hit = (order, back, _tour_inner(order), _tour_inner(back))
            if len(_BACKS) > 20000:
                _BACKS.clear()
            _BACKS[id(order)] = hit
        _, back, fwd_inner, back_inner = hit
        k = len(self.orders)
        for o, t in ((order, fwd_inner), (back, back_inner)):
            self.orders.append(o)
            self.entries.append(o[0][0].entries[o[0][1]])
            self.exits.append(o[-1][0].exits[o[-1][1]])
            self.inner.append(t)
        self.rev += [k + 1, k]
        return k

    def build(self, v: int) -> Path:
        p = self.path
        if self.kind in ("closed", "open"):
            if v == 0:
                return p
            key = (id(p), -1 - v)
            hit = _BUILT.get(key)
            if hit is not None and hit[1] is p:
                return hit[2]
            segs = _rotate_closed(p.segs, v) if self.kind == "closed" else _reverse_open(p.segs)
            q = Path(tuple(segs), p.fill_rule)
            if len(_BUILT) > 20000:
                _BUILT.clear()
            _BUILT[key] = (None, p, q)
            return q
        order = self.orders[v]
        # Keyed by what the order holds (the block's own sub-units, shared by every copy
        # of the unit, see _unit), so the same order built twice is the same Path object.
        key = (id(p), tuple((id(su), sv) for su, sv in order))
        hit = _BUILT.get(key)
        if hit is not None and hit[1] is p:
            return hit[2]  # the same Path object: writers' caches (path data) hit
        q = Path(tuple(s for su, sv in order for s in su.build(sv).segs), p.fill_rule)
        if len(_BUILT) > 20000:
            _BUILT.clear()
        _BUILT[key] = (order, p, q)
        return q


def _tour_inner(tour: list) -> float:
    total = 0.0
    for (u, v), (w, x) in zip(tour, tour[1:]):
        total += _dist(u.exits[v], w.entries[x])
    return total + sum(u.inner[v] for u, v in tour)


def segs_key(segs: Sequence[Seg]) -> bytes:
    """The exact bytes of a path's commands, as a dictionary key: every float bit for bit
    (in a tuple 0.0 == -0.0, which the writers print differently). Equal keys mean equal
    commands; marshal format 2 has no back-references, so the key depends on the values only."""
    return marshal.dumps(tuple(segs), 2)


_BUILT: dict[tuple, tuple[list | None, Path, Path]] = {}
_BACKS: dict[int, tuple[list, list, float, float]] = {}
_UNITS: dict[int, tuple[Path, _Unit]] = {}
_UNITS_BY_SHAPE: dict[tuple, _Unit] = {}


def _unit(p: Path) -> _Unit:
    """The unit of ``p`` (a copy a solve may extend). Cached per object and per content: a
    path equal to one seen before (the same glyph at the same place on another plaque)
    shares its unit, whose variants depend only on the path's commands."""
    hit = _UNITS.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1].copy()
    if len(_UNITS) > 50000:
        _UNITS.clear()
    if len(_UNITS_BY_SHAPE) > 50000:
        _UNITS_BY_SHAPE.clear()
    key = (p.fill_rule, segs_key(p.segs))
    u = _UNITS_BY_SHAPE.get(key)
    if u is None:
        u = _UNITS_BY_SHAPE[key] = _Unit(p)
    _UNITS[id(p)] = (p, u)
    return u.copy()


def _solve(units: list, start: Point, end: Point | None = None, quick: bool = False,
           init: list | None = None, or_opt: bool | None = None,
           rounds: int | None = None) -> list[tuple]:
    """An open tour through ``units`` from ``start`` (towards ``end`` when given).

    Nearest neighbour, then rounds of 2-opt, or-opt (not when ``quick``), each
    unit's best variant for its neighbours, and blocks re-ordered between their
    neighbours, until a round gains nothing (``quick``: at most three rounds).
    ``init``: a starting tour of (unit, variant) instead of nearest neighbour.

    The loops below keep the entry and exit points of the current tour and the
    links between them in lists instead of looking them up per comparison; every
    cost is the same expression, evaluated in the same order, as a plain
    formulation, so every decision (and every tie) is the same.
    """
    dist = _dist
    pool = [] if init is not None else list(range(len(units)))
    tour: list[tuple] = list(init) if init is not None else []
    pos = start
    if or_opt is None:
        or_opt = not quick
    if rounds is None:
        rounds = 3 if quick else 50
    # Each unit's entries' bounding box and least inner travel: a unit whose every entry
    # costs at least the best found so far (plus a margin far above rounding) is skipped,
    # which changes nothing (it could not have been taken).
    boxes = [_entry_box(u) for u in units] if pool else []
    while pool:
        bd, bi, bv = math.inf, -1, 0
        thr = bd - 1e-12
        px, py = pos
        for i in pool:
            u = units[i]
            x0, y0, x1, y1, least = boxes[i]
            g = x0 - px
            if px - x1 > g:
                g = px - x1
            if y0 - py > g:
                g = y0 - py
            if py - y1 > g:
                g = py - y1
            if g + least >= thr + 1e-9:  # |pos - e| >= g for every entry e
                continue
            if u.kind in _FLAT:  # inner travel 0.0 everywhere: d + 0.0 == d
                for v, e in enumerate(u.entries):
                    d = dist(pos, e)
                    if d < thr:
                        bd, bi, bv = d, i, v
                        thr = bd - 1e-12
            else:
                inner = u.inner
                for v, e in enumerate(u.entries):
                    d = dist(pos, e) + inner[v]
                    if d < thr:
                        bd, bi, bv = d, i, v
                        thr = bd - 1e-12
        pool.remove(bi)
        tour.append((units[bi], bv))
        pos = units[bi].exits[bv]
    n = len(tour)
    if n == 0:
        return tour

    def before(i: int) -> Point:
        return start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]

    def after(i: int) -> Point | None:
        return tour[i + 1][0].entries[tour[i + 1][1]] if i + 1 < n else end

    def link(p: Point, q: Point | None) -> float:
        return dist(p, q) if q is not None else 0.0

    picks = _PICKS
    if len(picks) > 50000:
        picks.clear()
    for _ in range(rounds):
        improved = False
        # 2-opt: reverse tour[i..j]; each unit takes its reverse variant (same inner travel).
        # E/X: entry/exit of each tour position; B[j]: the point after j (None at an open
        # end); L[j]: link(X[j], B[j]).
        E = [u.entries[v] for u, v in tour]
        X = [u.exits[v] for u, v in tour]
        B = E[1:] + [end]
        L = [dist(x, b) for x, b in zip(X, E[1:])] + [dist(X[-1], end) if end is not None else 0.0]
        for i in range(n - 1):
            a = start if i == 0 else X[i - 1]
            ei = E[i]
            dai = dist(a, ei)
            for j in range(i + 1, n):
                b = B[j]
                if b is not None:
                    delta = dist(a, X[j]) + dist(ei, b) - dai - L[j]
                else:
                    delta = dist(a, X[j]) + 0.0 - dai - L[j]
                if delta < -1e-9:
                    tour[i:j + 1] = [(u, u.rev[v]) for u, v in reversed(tour[i:j + 1])]
                    improved = True
                    for k in range(i, j + 1):
                        u, v = tour[k]
                        E[k] = u.entries[v]
                        X[k] = u.exits[v]
                    for k in range(max(i - 1, 0), j + 1):
                        b2 = B[k] = E[k + 1] if k + 1 < n else end
                        L[k] = dist(X[k], b2) if b2 is not None else 0.0
                    ei = E[i]
                    dai = dist(a, ei)
        # Or-opt: move one unit to the gap (and variant) where it costs least.
        for i in range(n if or_opt else 0):
            u, v = tour[i]
            a, b = before(i), after(i)
            removed = dist(a, u.entries[v]) + u.inner[v] + link(u.exits[v], b) - link(a, b)
            rest = tour[:i] + tour[i + 1:]
            best = (removed - 1e-9, -1, 0)
            for k in range(len(rest) + 1):
                pa = start if k == 0 else rest[k - 1][0].exits[rest[k - 1][1]]
                pb = rest[k][0].entries[rest[k][1]] if k < len(rest) else end
                base = link(pa, pb)
                for w in range(len(u.entries)):
                    c = dist(pa, u.entries[w]) + u.inner[w] + link(u.exits[w], pb) - base
                    if c < best[0]:
                        best = (c, k, w)
            if best[1] >= 0:
                rest.insert(best[1], (u, best[2]))
                tour = rest
                improved = True
        # Each unit's variant (start node, direction, block order) for its neighbours.
        for i in range(n):
            u, v = tour[i]
            a = start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]]
            b = tour[i + 1][0].entries[tour[i + 1][1]] if i + 1 < n else end
            ents, exs, inn = u.entries, u.exits, u.inner
            if b is not None:
                cur = dist(a, ents[v]) + inn[v] + dist(exs[v], b)
            else:
                cur = dist(a, ents[v]) + inn[v] + 0.0
            if u.kind == "block" and len(u.orders) < 24:
                order, oinner = _block_order(u, v, a, b)
                c = dist(a, order[0][0].entries[order[0][1]]) + oinner + \
                    link(order[-1][0].exits[order[-1][1]], b)
                if c < cur - 1e-9:
                    u.add_order(order)
            thr = cur - 1e-9
            if u.kind in _FLAT:  # inner 0.0: (d + 0.0) + l == d + l
                # A path (not a block: its unit is the shared, never extended one) between
                # the same two points picks the same variant: remembered per (unit, current
                # variant, a, b), the loop's only inputs.
                key = (id(u), v, a, b)
                hit = picks.get(key)
                if hit is not None and hit[0] is u:
                    v = hit[1]
                elif b is not None:
                    v0 = v
                    for w in range(len(ents)):
                        c = dist(a, ents[w]) + dist(exs[w], b)
                        if c < thr:
                            cur, v = c, w
                            thr = cur - 1e-9
                    if len(ents) > 4:
                        picks[(id(u), v0, a, b)] = (u, v)
                else:
                    v0 = v
                    for w in range(len(ents)):
                        c = dist(a, ents[w])
                        if c < thr:
                            cur, v = c, w
                            thr = cur - 1e-9
                    if len(ents) > 4:
                        picks[(id(u), v0, a, b)] = (u, v)
            elif b is not None:
                for w in range(len(ents)):
                    c = dist(a, ents[w]) + inn[w] + dist(exs[w], b)
                    if c < thr:
                        cur, v = c, w
                        thr = cur - 1e-9
            else:
                for w in range(len(ents)):
                    c = dist(a, ents[w]) + inn[w]
                    if c < thr:
                        cur, v = c, w
                        thr = cur - 1e-9
            if v != tour[i][1]:
                tour[i] = (u, v)
                improved = True
        if not improved:
            break
    return tour


_FLAT = frozenset(("closed", "open"))  # unit kinds whose inner travel is 0.0 for every variant
_PICKS: dict[tuple, tuple[_Unit, int]] = {}  # (unit id, variant, a, b) -> (unit, best variant)


def _entry_box(u) -> tuple[float, float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a unit's entry points (mm) and its least inner travel."""
    xs = [e[0] for e in u.entries]
    ys = [e[1] for e in u.entries]
    return min(xs), min(ys), max(xs), max(ys), (0.0 if u.kind in _FLAT else min(u.inner))


_BLOCKS: dict[tuple, tuple[Path, list, float]] = {}


def _block_order(u: _Unit, v: int, a: Point, b: Point | None) -> tuple[list, float]:
    """A block's sub-paths ordered from ``a`` towards ``b`` (quick solve), and that order's
    inner travel (mm).

    Cached per block and end points rounded to 0.25 mm (the jig repeats the same
    neighbourhoods); the answer depends only on the key, so it is deterministic.
    """
    q = 4.0
    aq = (round(a[0] * q) / q, round(a[1] * q) / q)
    bq = None if b is None else (round(b[0] * q) / q, round(b[1] * q) / q)
    key = (id(u.path), aq, bq)
    hit = _BLOCKS.get(key)
    if hit is not None and hit[0] is u.path:
        return hit[1], hit[2]
    order = _solve(list(u.subs), aq, bq, quick=True)
    inner = _tour_inner(order)
    if len(_BLOCKS) > 20000:
        _BLOCKS.clear()
    _BLOCKS[key] = (u.path, order, inner)
    return order, inner


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


# ----------------------------------------------------------------- the jig


@dataclass(frozen=True)
class SweepStep:
    """One pocket's turn in a layer: item index and which of its variants runs."""

    index: int
    variant: int


_VARIANTS: dict[tuple[int, ...], tuple[tuple[Path, ...], list]] = {}
MAX_VARIANTS = 48


def run_variants(paths: Sequence[Path]) -> list[tuple[Path, ...]]:
    """Ways to run one plaque's layer, for the jig's sweep to choose from (plaque mm).

    A layer of at most three paths (a signature's strokes, a plate outline) offers
    every order with every start node / direction of each path (at most
    MAX_VARIANTS); a larger layer its laser order forwards and backwards.
    Cached per tuple of path objects; deterministic.
    """
    key = tuple(id(p) for p in paths)
    hit = _VARIANTS.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], paths)):
        return hit[1]
    out: list[tuple[Path, ...]] = [tuple(paths), reverse_run(paths)]
    if len(paths) <= 3:
        import itertools

        units = [_Unit(p) for p in paths]
        combos = []
        for perm in itertools.permutations(range(len(units))):
            for vs in itertools.product(*(range(len(units[i].entries)) for i in perm)):
                combos.append((perm, vs))
        if len(combos) <= MAX_VARIANTS:
            out = [tuple(units[i].build(v) for i, v in zip(perm, vs)) for perm, vs in combos]
    if len(_VARIANTS) > 20000:
        _VARIANTS.clear()
    _VARIANTS[key] = (tuple(paths), out)
    return out


def _serpentines(cells: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Index sequences over the pockets: serpentines by rows and by columns, and "ladders"
    (two columns or rows at a time, zigzagging between them), each from all four corners."""
    out = []
    for by_cols in (True, False):
        def major(i: int) -> int:
            return cells[i][0] if by_cols else cells[i][1]

        def minor(i: int) -> int:
            return cells[i][1] if by_cols else cells[i][0]

        majors = sorted({major(i) for i in range(len(cells))})
        for width in (1, 2):
            for flip_major in (False, True):
                ms = majors[::-1] if flip_major else majors
                bands = [ms[k:k + width] for k in range(0, len(ms), width)]
                for flip_minor in (False, True):
                    seq: list[int] = []
                    for b, band in enumerate(bands):
                        members = [i for i in range(len(cells)) if major(i) in band]
                        down = (b % 2 == 1) == flip_minor
                        minors = sorted({minor(i) for i in members}, reverse=not down)
                        for k, mi in enumerate(minors):
                            line = [i for i in members if minor(i) == mi]
                            line.sort(key=lambda i: band.index(major(i)))
                            if k % 2 == 1:
                                line.reverse()
                            seq.extend(line)
                    out.append(seq)
    return out


_SEQS: dict[tuple, object] = {}


def _sweep_orders(cells: Sequence[tuple[int, int]]):
    """_serpentines(cells) as a read-only integer array, cached per tuple of cells (every
    full sheet of a jig has the same cells; the array depends only on them)."""
    import numpy as np

    key = tuple(cells)
    seqs = _SEQS.get(key)
    if seqs is None:
        seqs = np.array(_serpentines(cells))
        seqs.setflags(write=False)
        if len(_SEQS) > 64:
            _SEQS.clear()
        _SEQS[key] = seqs
    return seqs


_PAIRS: dict[tuple, tuple] = {}


def _sweep_pairs(cells: Sequence[tuple[int, int]]):
    """The distinct (from item, to item) hops of the sweep orders of ``cells``, as an
    array (pairs, 2), and for each sequence and step the index of its hop (sequences,
    steps); cached per tuple of cells like :func:`_sweep_orders`."""
    import numpy as np

    key = tuple(cells)
    hit = _PAIRS.get(key)
    if hit is None:
        seqs = _sweep_orders(cells)
        flat = seqs[:, :-1] * len(cells) + seqs[:, 1:]
        uniq, where = np.unique(flat, return_inverse=True)
        pairs = np.stack([uniq // len(cells), uniq % len(cells)], axis=1)
        hit = (pairs, where.reshape(flat.shape))
        if len(_PAIRS) > 64:
            _PAIRS.clear()
        _PAIRS[key] = hit
    return hit


class _Slot:
    """A pocket's run of one layer as a unit of the sheet's tour (see _Unit)."""

    __slots__ = ("index", "entries", "exits", "inner", "rev", "kind")

    def __init__(self, index: int, variants: Sequence[tuple[Point, Point, float]]):
        self.index = index
        self.kind = "slot"
        self.entries = [e for e, _, _ in variants]
        self.exits = [x for _, x, _ in variants]
        self.inner = [t for _, _, t in variants]
        look = {}
        for v, (e, x, t) in enumerate(variants):
            look.setdefault((e, x), v)
        # The run backwards (entry and exit swapped); variants of run_variants always have it.
        self.rev = [look.get((x, e), v) for v, (e, x, t) in enumerate(variants)]


def polish_run(paths: Sequence[Path], a: Point, b: Point | None) -> tuple[tuple[Path, ...], float]:
    """One plaque's run of a layer re-ordered between the point before it (``a``) and the
    point after it (``b``), plaque mm; returns the run and its cost a -> run -> b in mm.
    Quick: 2-opt and variant choice (a block's sub-paths re-ordered for its neighbours)."""
    units = [_unit(p) for p in paths]
    tour = _solve(units, a, b, quick=True, init=[(u, 0) for u in units], rounds=1)
    cost = _dist(a, tour[0][0].entries[tour[0][1]]) + _tour_inner(tour)
    if b is not None:
        cost += _dist(tour[-1][0].exits[tour[-1][1]], b)
    return tuple(u.build(v) for u, v in tour), cost


def plan_sweep(cells: Sequence[tuple[int, int]],
               variants: Sequence[Sequence[tuple[Point, Point, float]]],
               start: Point = (0.0, 0.0)) -> tuple[list[SweepStep], float]:
    """The cheapest way to visit the pockets of a jig within one layer.

    cells: (column, row) of each item; variants: for each item, its ways to run as
    (entry, exit in bed mm, travel inside in mm). Tries serpentines by columns and by
    rows from each corner; for each, a dynamic programme picks every item's variant.
    Returns the steps and the travel in mm (from ``start``, inside items included).
    """
    if not cells:
        return [], 0.0
    import numpy as np

    n = len(cells)
    kmax = max(len(v) for v in variants)
    if all(len(vs) == kmax for vs in variants):  # the usual case: every pocket alike
        ent = np.array([[e for e, _, _ in vs] for vs in variants], dtype=float)
        ext = np.array([[x for _, x, _ in vs] for vs in variants], dtype=float)
        inn = np.array([[t for _, _, t in vs] for vs in variants], dtype=float)
    else:
        ent = np.zeros((n, kmax, 2))
        ext = np.zeros((n, kmax, 2))
        inn = np.full((n, kmax), np.inf)  # padding variants never win
        for i, vs in enumerate(variants):
            for k, (e, x, t) in enumerate(vs):
                ent[i, k], ext[i, k], inn[i, k] = e, x, t
    seqs = _sweep_orders(cells)  # (sequences, n): one DP for all at once
    first = seqs[:, 0]
    cost = np.hypot(ent[first, :, 0] - start[0], ent[first, :, 1] - start[1]) + inn[first]
    back = []
    # Every step's moves at once (the same element-wise arithmetic as step by step):
    # hops[s, t - 1, prev k, cur k] from item seqs[s, t - 1] to item seqs[s, t].
    # The sequences share most of their hops: each (from, to) pair is computed once.
    pairs, where = _sweep_pairs(cells)
    d = ext[pairs[:, 0]][:, :, None, :] - ent[pairs[:, 1]][:, None, :, :]
    hops = np.hypot(d[..., 0], d[..., 1])[where]
    inns = inn[seqs]
    for t in range(1, n):
        tot = cost[:, :, None] + hops[:, t - 1]  # (seq, prev k, cur k)
        bp = tot.argmin(axis=1)  # first minimum: ties go to the lower variant
        cost = tot.min(axis=1) + inns[:, t]  # the value at bp
        back.append(bp)
    ends = cost.argmin(axis=1)
    totals = cost[np.arange(len(seqs)), ends]
    best = int(totals.argmin())  # first minimum: the earlier sequence on ties
    best_cost = float(totals[best])
    d = int(ends[best])
    picks = [d]
    for bp in reversed(back):
        d = int(bp[best, d])
        picks.append(d)
    picks.reverse()
    best_steps = [SweepStep(int(i), v) for i, v in zip(seqs[best], picks)]
    # Polish the best sweep: 2-opt and each pocket's variant for its neighbours.
    if len(best_steps) > 2 and all(len(v) >= 2 for v in variants):
        units = [_Slot(i, v) for i, v in enumerate(variants)]
        tour = _solve(units, start, init=[(units[s.index], s.variant) for s in best_steps],
                      or_opt=False, rounds=4)
        steps = [SweepStep(u.index, v) for u, v in tour]
        cost = _tour_inner(tour) + _dist(start, tour[0][0].entries[tour[0][1]])
        if cost < best_cost - 1e-9:
            best_steps, best_cost = steps, cost
    return best_steps, best_cost
