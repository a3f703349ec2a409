"""Template + artwork + number -> Plaque geometry (mm).

A Composer is prepared once per batch: the artwork is parsed and fitted into
its boxes, the font is loaded and the constant layers are ordered. Composing a
plaque then only lays out the number's glyphs (cached per glyph) and puts the
shared constant paths and the number together: each plaque costs well under a
millisecond and every writer receives the same frozen object.
"""
from __future__ import annotations

from dataclasses import dataclass

from .artwork import fit_artwork, load_artwork
from .svgread import ArtworkError
from ..geometry.contours import ContourError, merge_fills, normalize_fill, shapes
from ..geometry.paths import Layer, Path, Plaque, rounded_rect
from ..laser.order import order_layer, run_ends, splice
from .glyphs import fit_text, load_font
from ..inputs.template import ArtworkSpec, Template

__all__ = ["Composer"]


@dataclass(frozen=True)
class Composer:
    """Everything constant about a batch's plaques, prepared once.

    engrave/score/cut/guide: the constant paths of each layer, already in
    laser order. The number goes to engrave (outline font) or score
    (single-stroke font).
    """

    template: Template
    engrave: tuple[Path, ...]
    score: tuple[Path, ...]
    cut: tuple[Path, ...]
    guide: tuple[Path, ...]
    font: object  # glyphs.TextFont

    @classmethod
    def prepare(cls, template: Template) -> "Composer":
        layers: dict[str, list[Path]] = {"engrave": [], "score": [], "cut": [], "guide": []}
        for spec in (template.silhouette, template.signature):
            if spec is not None:
                layers[_layer_for(spec)].extend(_place_artwork(spec))
        # The same shape twice (a designer's stacked copy, a <use> over its original)
        # would burn twice: keep the first of identical paths (compared at 0.001 mm).
        for name, paths in layers.items():
            layers[name] = _unique(paths)
        # Disjoint filled shapes become one path, so the laser may order all their contours.
        layers["engrave"] = list(merge_fills(layers["engrave"]))
        outline = rounded_rect(0.0, 0.0, template.width, template.height, template.corner_radius)
        if template.outline in ("cut", "guide"):
            layers[template.outline].append(outline)
        font = load_font(template.number.font)
        # Every digit the format can print must exist in the font: fail now, in one
        # sentence, not halfway through a batch.
        font.run(template.format_number(1234567890, 1234567890) + "0123456789", 1.0)
        # Laser order once per batch (laser/order.py): engrave from the origin, score from where
        # engraving ends, cut (inner before outer) from where scoring ends.
        engrave = order_layer(layers["engrave"])
        pos = run_ends(engrave)[1] if engrave else (0.0, 0.0)
        score = order_layer(layers["score"], pos)
        pos = run_ends(score)[1] if score else pos
        cut = order_layer(layers["cut"], pos, inner_first=True)
        return cls(template, engrave, score, cut, tuple(layers["guide"]), font)

    def compose(self, vin: str, number: int, total: int) -> Plaque:
        """The plaque for customer car ``number`` of ``total`` with this VIN."""
        t = self.template
        label = t.format_number(number, total)
        spec = t.number
        glyphs, _ = fit_text(self.font, label, spec.place.box, spec.cap_height,
                             spec.place.align, spec.place.valign, spec.tracking)
        engrave, score = self.engrave, self.score
        # The number's glyphs go into the constant layer's laser order as one block,
        # where they add the least travel (order.splice).
        if self.font.strokes:
            score = splice(score, glyphs, run_ends(engrave)[1] if engrave else (0.0, 0.0))
        else:
            engrave = splice(engrave, glyphs)
        layers = tuple(Layer(name, paths) for name, paths in
                       (("engrave", engrave), ("score", score), ("cut", self.cut),
                        ("guide", self.guide)) if paths)
        return Plaque(width=t.width, height=t.height, layers=layers, vin=vin, number=number,
                      total=total, label=label, title=f"Plaque {label} for VIN {vin}")


def _unique(paths: list[Path]) -> list[Path]:
    seen: set[tuple] = set()
    out = []
    for p in paths:
        key = tuple((s[0], *(round(v, 3) for v in s[1:])) for s in p.segs)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _layer_for(spec: ArtworkSpec) -> str:
    return "engrave" if spec.mode == "fill" else "score"


def _place_artwork(spec: ArtworkSpec) -> tuple[Path, ...]:
    art = load_artwork(spec.file, spec.mode)
    placed = fit_artwork(art, spec.place.box, spec.place.align, spec.place.valign)
    if spec.mode != "fill":
        return placed
    # Filled artwork as fill-rule-independent contours (contours.py), in plate mm, each
    # outer contour with its own holes as one path.
    try:
        return tuple(piece for p in placed
                     for piece in shapes(normalize_fill(p, what=art.source)))
    except ContourError as e:
        raise ArtworkError(str(e)) from None
