"""The jig's sweep: how the laser visits the pockets of a sheet within one layer.

:func:`plan_sweep` tries serpentines and ladders by columns and by rows from each corner,
picks every pocket's variant (start node, direction, sub-path order) by dynamic programme,
and polishes the best with the solver (solve.py); :func:`run_variants` offers the ways to
run one plaque's layer; :func:`polish_run` re-orders one plaque's run between its
neighbours. Points are bed mm in plan_sweep and plaque mm in run_variants / polish_run;
travel is beam-off mm.

Contract: deterministic (first minimum wins: the lower variant, the earlier sequence).
Caches: ``_VARIANTS`` (per tuple of path objects), ``_SEQS`` and ``_PAIRS`` (per tuple of
cells: every full sheet of a jig has the same cells).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from ..geometry.paths import Path
from .order import reverse_run
from .solve import _solve, _tour_inner
from .units import _Unit, _unit

__all__ = ["plan_sweep", "SweepStep", "run_variants", "polish_run"]

Point = tuple[float, float]
_dist = math.dist


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
