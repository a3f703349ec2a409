"""The laser order and the estimates as they were before issue 17's speed-up (reference only).

A frozen copy of plaquegen/travel.py, sheets._laser_run, estimate's per-plaque and per-sheet
figures and Composer.compose at commit 9120ba6, with their own caches: tests/test_laser_speed.py
and bench/bench_laser.py run them beside the library and compare every result. Never imported
by the library.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from plaquegen.geometry import Layer, Path, Plaque, Seg, split_subpaths

__all__ = ["old_laser_run", "old_plaque_estimate", "old_sheet_estimate", "old_compose", "order_layer", "splice", "reverse_path", "reverse_run", "run_ends", "run_travel",
           "inner_travel", "plan_sweep", "SweepStep", "run_variants", "polish_run"]

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
        back = [(su, su.rev[sv]) for su, sv in reversed(order)]
        k = len(self.orders)
        for o in (order, back):
            self.orders.append(o)
            self.entries.append(o[0][0].entries[o[0][1]])
            self.exits.append(o[-1][0].exits[o[-1][1]])
            self.inner.append(_tour_inner(o))
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
        key = (id(p), id(order))
        hit = _BUILT.get(key)
        if hit is not None and hit[0] is order and hit[1] is p:
            return hit[2]  # the same Path object: writers' caches (path data) hit
        q = Path(tuple(s for su, sv in order for s in su.build(sv).segs), p.fill_rule)
        if len(_BUILT) > 20000:
            _BUILT.clear()
        _BUILT[key] = (order, p, q)
        return q


_BUILT: dict[tuple[int, int], tuple[list, Path, Path]] = {}


def _tour_inner(tour: list) -> float:
    total = 0.0
    for (u, v), (w, x) in zip(tour, tour[1:]):
        total += _dist(u.exits[v], w.entries[x])
    return total + sum(u.inner[v] for u, v in tour)


_UNITS: dict[int, tuple[Path, _Unit]] = {}


def _unit(p: Path) -> _Unit:
    hit = _UNITS.get(id(p))
    if hit is not None and hit[0] is p:
        return hit[1].copy()
    if len(_UNITS) > 50000:
        _UNITS.clear()
    u = _Unit(p)
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
    """
    pool = [] if init is not None else list(range(len(units)))
    tour: list[tuple] = list(init) if init is not None else []
    pos = start
    if or_opt is None:
        or_opt = not quick
    if rounds is None:
        rounds = 3 if quick else 50
    while pool:
        bd, bi, bv = math.inf, -1, 0
        for i in pool:
            u = units[i]
            for v, e in enumerate(u.entries):
                d = _dist(pos, e) + u.inner[v]
                if d < bd - 1e-12:
                    bd, bi, bv = d, i, v
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
        return _dist(p, q) if q is not None else 0.0

    for _ in range(rounds):
        improved = False
        # 2-opt: reverse tour[i..j]; each unit takes its reverse variant (same inner travel).
        for i in range(n - 1):
            a = before(i)
            ei = tour[i][0].entries[tour[i][1]]
            dai = _dist(a, ei)
            for j in range(i + 1, n):
                uj, vj = tour[j]
                xj = uj.exits[vj]
                b = after(j)
                delta = _dist(a, xj) + link(ei, b) - dai - link(xj, b)
                if delta < -1e-9:
                    tour[i:j + 1] = [(u, u.rev[v]) for u, v in reversed(tour[i:j + 1])]
                    improved = True
                    ei = tour[i][0].entries[tour[i][1]]
                    dai = _dist(a, ei)
        # Or-opt: move one unit to the gap (and variant) where it costs least.
        for i in range(n if or_opt else 0):
            u, v = tour[i]
            a, b = before(i), after(i)
            removed = _dist(a, u.entries[v]) + u.inner[v] + link(u.exits[v], b) - link(a, b)
            rest = tour[:i] + tour[i + 1:]
            best = (removed - 1e-9, -1, 0)
            for k in range(len(rest) + 1):
                pa = start if k == 0 else rest[k - 1][0].exits[rest[k - 1][1]]
                pb = rest[k][0].entries[rest[k][1]] if k < len(rest) else end
                base = link(pa, pb)
                for w in range(len(u.entries)):
                    c = _dist(pa, u.entries[w]) + u.inner[w] + link(u.exits[w], pb) - base
                    if c < best[0]:
                        best = (c, k, w)
            if best[1] >= 0:
                rest.insert(best[1], (u, best[2]))
                tour = rest
                improved = True
        # Each unit's variant (start node, direction, block order) for its neighbours.
        for i in range(n):
            u, v = tour[i]
            a, b = before(i), after(i)
            cur = _dist(a, u.entries[v]) + u.inner[v] + link(u.exits[v], b)
            if u.kind == "block" and len(u.orders) < 24:
                order = _block_order(u, v, a, b)
                c = _dist(a, order[0][0].entries[order[0][1]]) + _tour_inner(order) + \
                    link(order[-1][0].exits[order[-1][1]], b)
                if c < cur - 1e-9:
                    u.add_order(order)
            for w in range(len(u.entries)):
                c = _dist(a, u.entries[w]) + u.inner[w] + link(u.exits[w], b)
                if c < cur - 1e-9:
                    cur, v = c, w
            if v != tour[i][1]:
                tour[i] = (u, v)
                improved = True
        if not improved:
            break
    return tour


_BLOCKS: dict[tuple, tuple[Path, list]] = {}


def _block_order(u: _Unit, v: int, a: Point, b: Point | None) -> list:
    """A block's sub-paths ordered from ``a`` towards ``b`` (quick solve).

    Cached per block and end points rounded to 0.25 mm (the jig repeats the same
    neighbourhoods); the answer depends only on the key, so it is deterministic.
    """
    q = 4.0
    aq = (round(a[0] * q) / q, round(a[1] * q) / q)
    bq = None if b is None else (round(b[0] * q) / q, round(b[1] * q) / q)
    key = (id(u.path), aq, bq)
    hit = _BLOCKS.get(key)
    if hit is not None and hit[0] is u.path:
        return hit[1]
    order = _solve(list(u.subs), aq, bq, quick=True)
    if len(_BLOCKS) > 20000:
        _BLOCKS.clear()
    _BLOCKS[key] = (u.path, order)
    return order


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
    ent = np.zeros((n, kmax, 2))
    ext = np.zeros((n, kmax, 2))
    inn = np.full((n, kmax), np.inf)  # padding variants never win
    for i, vs in enumerate(variants):
        for k, (e, x, t) in enumerate(vs):
            ent[i, k], ext[i, k], inn[i, k] = e, x, t
    seqs = np.array(_serpentines(cells))  # (sequences, n): one DP for all at once
    first = seqs[:, 0]
    cost = np.hypot(ent[first, :, 0] - start[0], ent[first, :, 1] - start[1]) + inn[first]
    back = []
    for t in range(1, n):
        d = ext[seqs[:, t - 1]][:, :, None, :] - ent[seqs[:, t]][:, None, :, :]
        tot = cost[:, :, None] + np.hypot(d[..., 0], d[..., 1])  # (seq, prev k, cur k)
        bp = tot.argmin(axis=1)  # first minimum: ties go to the lower variant
        cost = np.take_along_axis(tot, bp[:, None, :], axis=1)[:, 0, :] + inn[seqs[:, t]]
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


# ----------------------------------------------------------------- sheets._laser_run (old)


def old_laser_run(sheet, start: Point = (0.0, 0.0)):
    """sheets._laser_run as it was: a sheets.SheetRun."""
    from plaquegen.layers import LASER_LAYERS
    from plaquegen.sheets import SheetRun

    pos = start
    travel = inner = 0.0
    layers = []
    for name in LASER_LAYERS:
        items = [(s, s.plaque.layer(name).paths) for s in sheet.slots
                 if s.plaque is not None and s.plaque.layer(name) and s.plaque.layer(name).paths]
        if not items:
            continue
        options = [run_variants(paths) for _, paths in items]
        variants = []
        for (slot, _), opts in zip(items, options):
            vs = []
            for run in opts:
                (ex, ey), (xx, xy) = run_ends(run)
                vs.append(((ex + slot.x, ey + slot.y), (xx + slot.x, xy + slot.y), inner_travel(run)))
            variants.append(vs)
        steps, cost = plan_sweep([(s.col, s.row) for s, _ in items], variants, pos)
        runs = [list(options[st.index][st.variant]) for st in steps]
        slots = [items[st.index][0] for st in steps]
        here = pos
        for k, slot in enumerate(slots):
            off = (slot.x, slot.y)
            a = (here[0] - off[0], here[1] - off[1])
            b = None
            if k + 1 < len(slots):
                nb = run_ends(runs[k + 1])[0]
                b = (nb[0] + slots[k + 1].x - off[0], nb[1] + slots[k + 1].y - off[1])
            old = runs[k]
            old_cost = _old_cost(old, a, b)
            new, new_cost = polish_run(old, a, b)
            if new_cost < old_cost - 1e-9:
                runs[k] = list(new)
            x = run_ends(runs[k])[1]
            here = (x[0] + off[0], x[1] + off[1])
        run = []
        start = pos
        for slot, paths in zip(slots, runs):
            e, x = run_ends(paths)
            travel += math.dist(start, (e[0] + slot.x, e[1] + slot.y))
            t = inner_travel(paths)
            travel += t
            inner += t
            start = (x[0] + slot.x, x[1] + slot.y)
            run.append((slot, tuple(paths)))
        pos = start
        layers.append((name, tuple(run)))
    return SheetRun(tuple(layers), travel, inner)


def _old_cost(paths, a, b) -> float:
    e, x = run_ends(paths)
    return math.dist(a, e) + inner_travel(paths) + (math.dist(x, b) if b is not None else 0.0)


# ----------------------------------------------------------------- estimate (old)

_BY_ID: dict = {}
_BY_SHAPE: dict = {}


def _old_fill_figures(paths, interval, angle=0.0):
    area, segs = 0.0, 0
    for p in paths:
        a, s = _old_path_figures(p, interval, angle)
        area += a
        segs += s
    return area, segs


def _old_path_figures(path, interval, angle):
    from plaquegen.estimate import _measure

    hit = _BY_ID.get((id(path), interval, angle))
    if hit is not None and hit[0] is path:
        return hit[1]
    x0, y0 = path.start
    key = (interval, angle, tuple((s[0], *(round(v - (x0 if i % 2 == 0 else y0), 4)
                                           for i, v in enumerate(s[1:]))) for s in path.segs))
    out = _BY_SHAPE.get(key)
    if out is None:
        out = _measure((path,), interval, angle)
        if len(_BY_SHAPE) > 20000:
            _BY_SHAPE.clear()
        _BY_SHAPE[key] = out
    if len(_BY_ID) > 20000:
        _BY_ID.clear()
    _BY_ID[(id(path), interval, angle)] = (path, out)
    return out


def _old_estimate(fill_paths, score_len, cut_len, travel, passes, params, hatch_len=0.0,
                  hatch_segs=0, area=None, segs=None):
    from plaquegen.estimate import Estimate

    p = params
    if area is None:
        area, segs = _old_fill_figures(fill_paths, p.interval, p.angle) if fill_paths else (0.0, 0)
    hatch = area / p.interval
    over = 2 * p.overscan * segs
    fill_t = (hatch + over) / p.fill_speed if hatch else 0.0
    if hatch and not p.bidirectional:
        fill_t += (hatch + over) / p.rapid_speed
    outline = score_len + cut_len + hatch_len
    outline_t = score_len / p.score_speed + cut_len / p.cut_speed + hatch_len / p.fill_speed
    return Estimate(area, hatch, segs, over, outline, travel, fill_t, outline_t,
                    travel / p.rapid_speed, passes * p.overhead)


def old_plaque_estimate(plaque, params):
    """estimate.plaque_estimate as it was."""
    fill = plaque.layer("engrave").paths if plaque.layer("engrave") else ()
    score = sum(p.length for p in plaque.layer("score").paths) if plaque.layer("score") else 0.0
    cut = sum(p.length for p in plaque.layer("cut").paths) if plaque.layer("cut") else 0.0
    passes = sum(1 for l in plaque.layers if l.name != "guide" and l.paths)
    return _old_estimate(fill, score, cut, plaque.travel_length, passes, params)


def old_sheet_estimate(run, params):
    """estimate.sheet_estimate as it was."""
    area, segs, score, cut = 0.0, 0, 0.0, 0.0
    for name, slots in run.layers:
        for _, paths in slots:
            if name == "engrave":
                a, s = _old_fill_figures(paths, params.interval, params.angle)
                area += a
                segs += s
            elif name == "score":
                score += sum(p.length for p in paths)
            elif name == "cut":
                cut += sum(p.length for p in paths)
    return _old_estimate((), score, cut, run.travel, len(run.layers), params, area=area, segs=segs)


# ----------------------------------------------------------------- Composer.compose (old)


def old_compose(composer, vin: str, number: int, total: int) -> Plaque:
    """Composer.compose as it was, with this module's splice."""
    from plaquegen.glyphs import fit_text

    self = composer
    t = self.template
    label = t.format_number(number, total)
    spec = t.number
    glyphs, _ = fit_text(self.font, label, spec.place.box, spec.cap_height,
                         spec.place.align, spec.place.valign, spec.tracking)
    engrave, score = self.engrave, self.score
    if self.font.strokes:
        score = splice(score, glyphs, run_ends(engrave)[1] if engrave else (0.0, 0.0))
    else:
        engrave = splice(engrave, glyphs)
    layers = tuple(Layer(name, paths) for name, paths in
                   (("engrave", engrave), ("score", score), ("cut", self.cut),
                    ("guide", self.guide)) if paths)
    return Plaque(width=t.width, height=t.height, layers=layers, vin=vin, number=number,
                  total=total, label=label, title=f"Plaque {label} for VIN {vin}")
