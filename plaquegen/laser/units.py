"""Units of the laser order: a path and its ways of being run (units of mm).

A unit is what the solver (solve.py) arranges: a closed contour may start at any of its
nodes (segment end points; curves stay whole), an open stroke may run either way, and a
path of several sub-paths (a glyph with its counters, an outer with its holes) is a block
whose sub-paths are ordered once, and again for the neighbours it ends up between, and run
forwards or backwards as a whole. Filled contours keep their winding (it is what makes them
fill-rule independent, see geometry/contours.py). :meth:`_Unit.build` turns a variant back
into a Path (absolute M/L/C/Z, mm).

Contract: a variant's Path is the same object every time it is built (writers cache per
object), and a unit depends only on its path's commands: :func:`_unit` shares one per path
content (:func:`segs_key`, exact bytes), so a fresh process and a warm one give the same
answers. Caches: ``_BUILT`` (built paths), ``_BACKS`` (a block order's reverse and inner
travels), ``_UNITS`` / ``_UNITS_BY_SHAPE`` (units per path object / per content).
"""
from __future__ import annotations

import marshal
from typing import Sequence

from ..geometry.paths import Path, Seg, split_subpaths
from .solve import _solve, _tour_inner

__all__ = ["segs_key"]  # and, for laser/ only, _Unit, _unit and the sub-path helpers

Point = tuple[float, float]


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
