"""Bed sheets: plaques laid out into the pockets of the shop's jig.

Slots are numbered 1..N in reading order (left to right, top to bottom) so a
person can find them; the laser runs them in serpentine order (odd rows right
to left) to keep travel short. Every laser layer of every plaque comes before
the next layer: all engraving, then all scoring, then all cutting. Pocket
outlines and slot labels (build number + short VIN, single-stroke text) are
on the guide layer, which is never output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .geometry import Bounds, Plaque, rounded_rect
from .glyphs import fit_text, load_font
from .svgout import add_paths, layer_group, new_drawing, to_bytes
from .template import Bed, Template

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
        return (f"{self.index}: {p.number:0{len(str(p.total))}d}/{p.total}  {p.vin[-7:]}"
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


def plan(items: Sequence, bed: Bed) -> list[tuple[int, Sequence, str]]:
    """Split items (already in build-number order) into bed loads.

    Returns (sheet number, the sheet's items, file path relative to the batch
    folder) per sheet; numbers in file names are zero-padded so they sort.
    """
    per = bed.slots
    count = -(-len(items) // per)
    width = max(2, len(str(count)))
    return [(k + 1, items[k * per:(k + 1) * per], f"sheets/sheet-{k + 1:0{width}d}.svg")
            for k in range(count)]


def fill(plaques: Sequence[Plaque], bed: Bed) -> tuple[Slot, ...]:
    """The jig's pockets filled with plaques in the given order (at most bed.slots)."""
    return tuple(Slot(i + 1, c, r, x, y, p) for i, ((c, r, x, y), p) in enumerate(zip(pockets(bed), plaques)))


def layout(plaques: Sequence[Plaque], bed: Bed) -> list[Sheet]:
    """Fill the jig's pockets with plaques in build-number order, sheet after sheet."""
    ordered = sorted(plaques, key=lambda p: (p.number, p.vin))
    return [Sheet(n, bed.width, bed.height, fill(chunk, bed), file)
            for n, chunk, file in plan(ordered, bed)]


def laser_order(slots: Sequence[Slot]) -> list[Slot]:
    """Serpentine order: even rows left to right, odd rows right to left."""
    return sorted(slots, key=lambda s: (s.row, s.col if s.row % 2 == 0 else -s.col))


def sheet_svg(sheet: Sheet, template: Template, batch_id: str) -> bytes:
    """A bed-sized SVG with every plaque of the sheet at its pocket, 1:1 in mm."""
    title = f"Batch {batch_id}, sheet {sheet.number}: {len(sheet.slots)} plaques"
    dwg = new_drawing(sheet.bed_w, sheet.bed_h, title)
    run = laser_order(sheet.slots)
    for name in ("engrave", "score", "cut"):
        g = layer_group(dwg, name, template)
        for slot in run:
            layer = slot.plaque.layer(name)
            if layer:
                add_paths(dwg, g, name, layer.paths, slot.x, slot.y)
        if g.elements:
            dwg.add(g)
    dwg.add(guide_group(dwg, sheet, template))
    return to_bytes(dwg)


def guide_group(dwg, sheet: Sheet, template: Template):
    """Pocket outlines, each plaque's own guide paths and slot labels (never output)."""
    g = layer_group(dwg, "guide", template)
    font = load_font(LABEL_FONT)
    w, h = template.width, template.height
    pocket = rounded_rect(0.0, 0.0, w, h, template.corner_radius)
    for slot in sheet.slots:
        paths = [pocket]
        guide = slot.plaque.layer("guide") if slot.plaque else None
        if guide:
            paths += [p for p in guide.paths if p.segs != pocket.segs]
        add_paths(dwg, g, "guide", paths, slot.x, slot.y)
        # Label just below the pocket (inside the pitch gap) so it never hides the plaque.
        gap = max(template.bed.pitch_y - h, 0.0)
        cap = min(LABEL_CAP, gap * 0.6) if gap > 1.0 else LABEL_CAP
        box = Bounds(slot.x, slot.y + h + 0.3, slot.x + w, slot.y + h + 0.3 + cap * 1.6)
        if gap <= 1.0:  # no gap: label inside the pocket's top-left corner
            box = Bounds(slot.x + 0.5, slot.y + 0.5, slot.x + w - 0.5, slot.y + 0.5 + cap * 1.6)
        text, _ = fit_text(font, slot.label, box, cap, "left", "top")
        add_paths(dwg, g, "guide", text)
    return g
