"""What each layer means: the one table every writer reads.

A layer is one laser operation. ``kind`` says how its paths are drawn and run:
"fill" (closed areas engraved as a fill), "line" (hairline strokes traced once),
"guide" (pocket outlines and slot labels for the operator: never output).
``output`` is False only for the guide layer; writers must keep such paths out
of anything a laser program would run. The tuple order is the run order.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LayerSpec", "LAYERS", "LAYER_ORDER", "LASER_LAYERS", "GUIDE_COLOR", "spec"]

GUIDE_COLOR = "#F36926"  # LightBurn's tool layer T1: never output


@dataclass(frozen=True)
class LayerSpec:
    name: str
    kind: str      # "fill" | "line" | "guide"
    output: bool   # does the laser run it
    label: str     # the Inkscape layer label
    purpose: str   # one line for the job sheet
    aci: int       # the DXF colour index of its entities (never 7: white in the DXF table)
    dxf_layer: str  # the DXF layer name: says the operation


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("engrave", "fill", True, "1 engrave (fill)", "the black areas (silhouette, number)", 250,
              "1-ENGRAVE-FILL"),
    LayerSpec("score", "line", True, "2 score (line)", "signature", 5, "2-SCORE-LINE"),
    LayerSpec("cut", "line", True, "3 cut (outline)", "the plate outline, last", 1, "3-CUT-LINE"),
    LayerSpec("guide", "guide", False, "guide (do not output)", "pockets, slot labels, outlines", 30,
              "GUIDE-NOT-FOR-LASER"),
)
LAYER_ORDER: tuple[str, ...] = tuple(l.name for l in LAYERS)
LASER_LAYERS: tuple[str, ...] = tuple(l.name for l in LAYERS if l.output)
_BY_NAME = {l.name: l for l in LAYERS}


def spec(name: str) -> LayerSpec:
    """The LayerSpec of a layer name (KeyError for an unknown one)."""
    return _BY_NAME[name]
