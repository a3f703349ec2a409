"""Bed sheets: plaques laid out into the pockets of the shop's jig.

Slots are numbered 1..N in reading order (left to right, top to bottom) so a
person can find them. Every laser layer of every plaque comes before the next
layer: all engraving, then all scoring, then all cutting. Within a layer the
laser visits the pockets in the cheapest serpentine of the jig (by columns or
by rows, from the corner nearest to where it is; each plaque's run forwards or
backwards, see laser.sweep.plan_sweep); each plaque's own paths are already in laser
order (compose). On every layer a plaque's paths form one group whose id and
label name the slot and the car (``slot-07-engrave``, "slot 07 · 0462 / 6309 ·
WBSUR915X0VS94332"), so a shop can select, hide or re-run one slot. Pocket
outlines and slot labels (build number + short VIN, single-stroke text) are
on the guide layer, which is never output.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

from ..geometry.paths import Bounds, Path, Plaque, rounded_rect
from ..art.glyphs import fit_text, load_font
from ..laser.order import inner_travel, run_ends
from ..laser.sweep import plan_sweep, polish_run, run_variants
from ..geometry.layers import LASER_LAYERS
from ..core.records import pad_number
from ..inputs.template import Bed, Template

__all__ = ["Slot", "Sheet", "pockets", "split_loads", "place_in_pockets", "lay_out_sheets", "SheetRun", "laser_run", "slot_group_id", "slot_group_label", "SlotGuide", "sheet_guides", "label_digits", "LABEL_FONT", "LABEL_CAP"]

LABEL_FONT = "hershey:futural"
LABEL_CAP = 2.2  # mm


@dataclass(frozen=True)
class Slot:
    """One pocket of the jig. index: 1-based in reading order; x, y: top-left on the bed in mm."""

    index: int
    col: int
    row: int
    x: float
    y: float
    plaque: Plaque | None = None

    @property
    def label(self) -> str:
        p = self.plaque
        # Built from the number, not the template's label, which may hold characters the
        # single-stroke (ASCII) label font lacks.
        return (f"{self.index}: {pad_number(p.number, p.total)}/{p.total}  {p.vin[-7:]}"
                if p else str(self.index))


@dataclass(frozen=True)
class Sheet:
    """One bed load. number: 1-based; bed_w/bed_h in mm; file: path relative to the batch folder."""

    number: int
    bed_w: float
    bed_h: float
    slots: tuple[Slot, ...]
    file: str


def pockets(bed: Bed) -> list[tuple[int, int, float, float]]:
    """(col, row, x, y) of every pocket in reading order."""
    return [(c, r, bed.origin_x + c * bed.pitch_x, bed.origin_y + r * bed.pitch_y)
            for r in range(bed.rows) for c in range(bed.columns)]


def split_loads(items: Sequence, bed: Bed) -> list[tuple[int, Sequence, str]]:
    """Split items (already in build-number order) into bed loads.

    Returns (sheet number, the sheet's items, file path relative to the batch
    folder) per sheet; numbers in file names are zero-padded so they sort.
    """
    per = bed.slots
    count = -(-len(items) // per)
    width = max(2, len(str(count)))
    return [(k + 1, items[k * per:(k + 1) * per], f"sheets/sheet-{k + 1:0{width}d}.svg")
            for k in range(count)]


def place_in_pockets(plaques: Sequence[Plaque], bed: Bed) -> tuple[Slot, ...]:
    """The jig's pockets filled with plaques in the given order (at most bed.slots)."""
    return tuple(Slot(i + 1, c, r, x, y, p) for i, ((c, r, x, y), p) in enumerate(zip(pockets(bed), plaques)))


def lay_out_sheets(plaques: Sequence[Plaque], bed: Bed) -> list[Sheet]:
    """Fill the jig's pockets with plaques in build-number order, sheet after sheet."""
    ordered = sorted(plaques, key=lambda p: (p.number, p.vin))
    return [Sheet(n, bed.width, bed.height, place_in_pockets(chunk, bed), file)
            for n, chunk, file in split_loads(ordered, bed)]




@dataclass(frozen=True)
class SheetRun:
    """A sheet in laser order.

    layers: (layer name, ((slot, that plaque's paths of the layer in plaque mm, in the order
    the laser runs them), ...)) for each laser layer with paths, in LASER_LAYERS order.
    travel: beam-off travel in mm from the bed origin through every laser path, layer after
    layer (the moves between layers included). inner_travel: the part of it within plaques.
    """

    layers: tuple[tuple[str, tuple[tuple[Slot, tuple[Path, ...]], ...]], ...]
    travel: float
    inner_travel: float


_RUNS: list[tuple[Sheet, tuple[float, float], SheetRun]] = []  # the last few, by identity


def laser_run(sheet: Sheet, start: tuple[float, float] = (0.0, 0.0)) -> SheetRun:
    """The order in which the laser runs a sheet (see module docstring), from ``start`` (bed mm).

    Remembered for the last few sheets: the SVG, DXF and LightBurn writers and the time
    estimate of one sheet all run it in the same order, computed once. A layer's order is
    also remembered per (layer, start, pockets and their paths): the score and cut layers
    of full sheets, the same constant paths in the same pockets, are solved once a batch."""
    for known, at, run in _RUNS:
        if known is sheet and at == start:
            return run
    run = _laser_run(sheet, start)
    _RUNS.append((sheet, start, run))
    del _RUNS[:-4]
    return run


def _laser_run(sheet: Sheet, start: tuple[float, float]) -> SheetRun:
    pos = start
    travel = inner = 0.0
    layers = []
    for name in LASER_LAYERS:
        items = [(s, s.plaque.layer(name).paths) for s in sheet.slots
                 if s.plaque is not None and s.plaque.layer(name) and s.plaque.layer(name).paths]
        if not items:
            continue
        order, moves, pos = _layer_run(name, items, pos)
        for (_, _), (hop, t) in zip(order, moves):  # the same additions, in the same order
            travel += hop
            travel += t
            inner += t
        layers.append((name, tuple((items[k][0], paths) for k, paths in order)))
    return SheetRun(tuple(layers), travel, inner)


# One layer's answer per (layer, where the laser is, each item's pocket and paths): the
# score and cut layers of every full sheet are the same constant paths in the same pockets
# from the same point, so they are solved once. The answer depends only on that key.
_LAYERS: "OrderedDict[tuple, tuple]" = OrderedDict()
_LAYERS_MAX = 8


def _layer_run(name: str, items: list, pos: tuple[float, float]):
    """(((item index, its paths in laser order), ...) in the order the laser visits them,
    ((move to the item's first path, travel within it) in mm, ...), where the layer ends in
    bed mm) for one layer's items (slot, that plaque's paths of the layer) from ``pos``."""
    key = (name, pos, tuple((s.col, s.row, s.x, s.y, id(paths)) for s, paths in items))
    hit = _LAYERS.get(key)
    if hit is not None and all(a is b for a, (_, b) in zip(hit[0], items)):
        _LAYERS.move_to_end(key)
        return hit[1:]
    options = [run_variants(paths) for _, paths in items]
    figures = [_figures(opts) for opts in options]
    variants = []
    for (slot, _), figs in zip(items, figures):
        variants.append([((ex + slot.x, ey + slot.y), (xx + slot.x, xy + slot.y), t)
                         for ((ex, ey), (xx, xy)), t in figs])
    steps, cost = plan_sweep([(s.col, s.row) for s, _ in items], variants, pos)
    # Each plaque's run re-ordered between its neighbours in the sweep, where that helps.
    runs = [list(options[st.index][st.variant]) for st in steps]
    inners: list[float | None] = [figures[st.index][st.variant][1] for st in steps]
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
        e, x = run_ends(old)
        old_cost = math.dist(a, e) + inners[k] + (math.dist(x, b) if b is not None else 0.0)
        new, new_cost = polish_run(old, a, b)
        if new_cost < old_cost - 1e-9:
            runs[k] = list(new)
            inners[k] = None
        x = run_ends(runs[k])[1]
        here = (x[0] + off[0], x[1] + off[1])
    order, moves = [], []
    start = pos
    for st, slot, paths, t in zip(steps, slots, runs, inners):
        e, x = run_ends(paths)
        moves.append((math.dist(start, (e[0] + slot.x, e[1] + slot.y)),
                      inner_travel(paths) if t is None else t))
        start = (x[0] + slot.x, x[1] + slot.y)
        order.append((st.index, tuple(paths)))
    out = (tuple(order), tuple(moves), start)
    _LAYERS[key] = (tuple(paths for _, paths in items), *out)
    while len(_LAYERS) > _LAYERS_MAX:
        _LAYERS.popitem(last=False)
    return out


_FIGURES: dict[int, tuple[list, list]] = {}


def _figures(options: list) -> list:
    """((entry, exit), inner travel) in plaque mm of each of run_variants' runs (cached per
    list object, which run_variants itself caches per layer)."""
    hit = _FIGURES.get(id(options))
    if hit is not None and hit[0] is options:
        return hit[1]
    out = [(run_ends(run), inner_travel(run)) for run in options]
    if len(_FIGURES) > 20000:
        _FIGURES.clear()
    _FIGURES[id(options)] = (options, out)
    return out


def label_digits(template: Template) -> int:
    """Digits of a slot number in group ids and labels: enough for the jig's last pocket."""
    return max(2, len(str(template.bed.slots)))


def slot_group_id(slot: Slot, layer: str, digits: int = 2) -> str:
    """XML-safe ASCII id of one plaque's group on a layer, e.g. "slot-07-engrave"."""
    return f"slot-{slot.index:0{digits}d}-{layer}"


def slot_group_label(slot: Slot, digits: int = 2) -> str:
    """What Inkscape and LightBurn show for a plaque's group: "slot 07 · 0462 / 6309 · VIN"."""
    p = slot.plaque
    return f"slot {slot.index:0{digits}d} \u00b7 {p.label} \u00b7 {p.vin}"


@dataclass(frozen=True)
class SlotGuide:
    """What one pocket shows on the guide layer (never output): ``outlines``, the pocket and
    the plaque's own guide paths in plaque mm (the pocket's top-left at slot.x, slot.y on the
    bed), and ``label``, the slot's label in bed mm. Every sheet writer draws these."""

    slot: Slot
    outlines: tuple[Path, ...]
    label: tuple[Path, ...]

    def bed_paths(self) -> list[Path]:
        """Outlines and label together, in bed mm."""
        return [p.translated(self.slot.x, self.slot.y) for p in self.outlines] + list(self.label)


_POCKETS: dict[tuple[float, float, float], Path] = {}


def sheet_guides(sheet: Sheet, template: Template) -> list[SlotGuide]:
    """The guide layer of a sheet, pocket by pocket in slot order."""
    w, h = template.width, template.height
    key = (w, h, template.corner_radius)
    pocket = _POCKETS.get(key)
    if pocket is None:  # one object per plate size, so its path data is formatted once per pocket
        pocket = _POCKETS.setdefault(key, rounded_rect(0.0, 0.0, w, h, template.corner_radius))
    out = []
    for slot in sheet.slots:
        outlines = [pocket]
        guide = slot.plaque.layer("guide") if slot.plaque else None
        if guide:
            outlines += [p for p in guide.paths if p.segs != pocket.segs]
        out.append(SlotGuide(slot, tuple(outlines), _slot_label(slot, template)))
    return out


def _slot_label(slot: Slot, template: Template) -> tuple[Path, ...]:
    """The slot's label as single-stroke text just below the pocket (inside the pitch gap,
    so it never hides the plaque), or in the pocket's top-left corner when there is no gap."""
    w, h = template.width, template.height
    gap = max(template.bed.pitch_y - h, 0.0)
    cap = min(LABEL_CAP, gap * 0.6) if gap > 1.0 else LABEL_CAP
    box = Bounds(slot.x, slot.y + h + 0.3, slot.x + w, slot.y + h + 0.3 + cap * 1.6)
    if gap <= 1.0:
        box = Bounds(slot.x + 0.5, slot.y + 0.5, slot.x + w - 0.5, slot.y + 0.5 + cap * 1.6)
    return tuple(fit_text(load_font(LABEL_FONT), slot.label, box, cap, "left", "top")[0])
