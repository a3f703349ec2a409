"""The laser order's solver: an open tour through units (units.py), points in mm, travel in mm.

Nearest neighbour (:func:`_nearest`), then rounds of 2-opt (:func:`_two_opt`: reversing a
run of the tour reverses each unit in it), or-opt (:func:`_or_opt`: one unit moved to the
gap where it costs least) and each unit's best variant for its neighbours
(:func:`_pick_variants`: a closed contour's start node, an open stroke's direction, a
block's sub-paths re-ordered between its neighbours), until a round gains nothing.

Contract: deterministic, ties go to the lower index. The steps keep the tour's points and
links in lists; each cost is the same expression evaluated in the same order as a plain
formulation, so every decision (and every tie) is the one pinned in
tests/golden/laser_order.json. The solver reads a unit's ``kind``, ``entries``, ``exits``,
``inner``, ``rev`` (and a block's ``orders``, ``subs``, ``path``, ``add_order``) only: paths
(units._Unit) and the jig's pockets (sweep._Slot) alike. Caches, keyed by everything their
answer depends on: ``_PICKS`` (a path's best variant between two points) and ``_BLOCKS`` (a
block's quick order between two points rounded to 0.25 mm).
"""
from __future__ import annotations

import math

from ..geometry.paths import Path

__all__: list[str] = []  # laser/ only: _solve, _tour_inner, _block_order (see units, order, sweep)

Point = tuple[float, float]
_dist = math.dist
_FLAT = frozenset(("closed", "open"))  # unit kinds whose inner travel is 0.0 for every variant
_PICKS: dict[tuple, tuple] = {}  # (unit id, variant, a, b) -> (unit, best variant)


def _tour_inner(tour: list) -> float:
    total = 0.0
    for (u, v), (w, x) in zip(tour, tour[1:]):
        total += _dist(u.exits[v], w.entries[x])
    return total + sum(u.inner[v] for u, v in tour)


def _link(p: Point, q: Point | None) -> float:
    """Travel from ``p`` to ``q`` (mm); 0.0 towards an open end (``q`` None)."""
    return _dist(p, q) if q is not None else 0.0


def _solve(units: list, start: Point, end: Point | None = None, quick: bool = False,
           init: list | None = None, or_opt: bool | None = None,
           rounds: int | None = None) -> list[tuple]:
    """An open tour of (unit, variant) through ``units`` from ``start`` (towards ``end``
    when given).

    Nearest neighbour, then rounds of 2-opt, or-opt (not when ``quick``), each
    unit's best variant for its neighbours, and blocks re-ordered between their
    neighbours, until a round gains nothing (``quick``: at most three rounds).
    ``init``: a starting tour of (unit, variant) instead of nearest neighbour.
    """
    if or_opt is None:
        or_opt = not quick
    if rounds is None:
        rounds = 3 if quick else 50
    tour: list[tuple] = list(init) if init is not None else _nearest(units, start)
    if not tour:
        return tour
    picks = _PICKS
    if len(picks) > 50000:
        picks.clear()
    for _ in range(rounds):
        improved = _two_opt(tour, start, end)
        if or_opt:
            tour, moved = _or_opt(tour, start, end)
            improved = improved or moved
        if _pick_variants(tour, start, end, picks):
            improved = True
        if not improved:
            break
    return tour


def _nearest(units: list, start: Point) -> list[tuple]:
    """Nearest neighbour from ``start``: each step takes the unit and variant whose entry
    (plus its inner travel) is nearest the last exit; ties go to the lower index."""
    dist = _dist
    pool = list(range(len(units)))
    tour: list[tuple] = []
    pos = start
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
    return tour


def _two_opt(tour: list, start: Point, end: Point | None) -> bool:
    """2-opt, in place: reverse tour[i..j] wherever that shortens the tour by more than
    1e-9 mm; each unit takes its reverse variant (same inner travel). True if it did."""
    dist = _dist
    n = len(tour)
    improved = False
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
    return improved


def _or_opt(tour: list, start: Point, end: Point | None) -> tuple[list, bool]:
    """Or-opt: move one unit at a time to the gap (and variant) where it costs least.
    Returns the tour (a new list where a unit moved) and whether one did."""
    dist, link = _dist, _link
    n = len(tour)
    improved = False
    for i in range(n):
        u, v = tour[i]
        a, b = _around(tour, i, start, end)
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
    return tour, improved


def _around(tour: list, i: int, start: Point, end: Point | None) -> tuple[Point, Point | None]:
    """The points around tour position ``i``: the exit before it (``start`` at the first)
    and the entry after it (``end`` after the last: None at an open end)."""
    return (start if i == 0 else tour[i - 1][0].exits[tour[i - 1][1]],
            tour[i + 1][0].entries[tour[i + 1][1]] if i + 1 < len(tour) else end)


def _pick_variants(tour: list, start: Point, end: Point | None, picks: dict) -> bool:
    """Each unit's variant (start node, direction, block order) for its neighbours, in
    place; a block may first gain its sub-paths re-ordered between them. True if any
    unit changed its variant."""
    dist = _dist
    n = len(tour)
    improved = False
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
            _offer_block_order(u, v, a, b, cur)
        if u.kind in _FLAT:
            w = _pick_flat(u, v, a, b, cur, picks)
        else:
            w = _pick_inner(u, v, a, b, cur)
        if w != v:
            tour[i] = (u, w)
            improved = True
    return improved


def _offer_block_order(u, v: int, a: Point, b: Point | None, cur: float) -> None:
    """Add the block's sub-paths re-ordered between ``a`` and ``b`` as a variant of ``u``
    if it costs more than 1e-9 mm less than ``cur`` (variant ``v``'s cost)."""
    dist, link = _dist, _link
    order, oinner = _block_order(u, v, a, b)
    c = dist(a, order[0][0].entries[order[0][1]]) + oinner + \
        link(order[-1][0].exits[order[-1][1]], b)
    if c < cur - 1e-9:
        u.add_order(order)


def _pick_flat(u, v: int, a: Point, b: Point | None, cur: float, picks: dict) -> int:
    """The variant of a path (closed or open: inner travel 0.0, so (d + 0.0) + l == d + l)
    cheapest between ``a`` and ``b``: ``v`` unless another costs more than 1e-9 mm less
    than ``cur``; ties go to the lower variant."""
    dist = _dist
    ents, exs = u.entries, u.exits
    thr = cur - 1e-9
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
    return v


def _pick_inner(u, v: int, a: Point, b: Point | None, cur: float) -> int:
    """As :func:`_pick_flat` for a unit with inner travel (a block, a pocket's run)."""
    dist = _dist
    ents, exs, inn = u.entries, u.exits, u.inner
    thr = cur - 1e-9
    if b is not None:
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
    return v


def _entry_box(u) -> tuple[float, float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of a unit's entry points (mm) and its least inner travel."""
    xs = [e[0] for e in u.entries]
    ys = [e[1] for e in u.entries]
    return min(xs), min(ys), max(xs), max(ys), (0.0 if u.kind in _FLAT else min(u.inner))


_BLOCKS: dict[tuple, tuple[Path, list, float]] = {}


def _block_order(u, v: int, a: Point, b: Point | None) -> tuple[list, float]:
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
