"""Plaque -> engraver-ready SVG (the shop's contract in DESIGN.md).

1 user unit = 1 mm; only <path> elements inside Inkscape layer groups, one
layer per operation, in laser order (engrave, score, cut), then the guide
layer which is locked and labelled not to be output. Coordinates are
absolute and rounded to 0.001 mm; no transforms, text, images or references.
The writer only writes: it never composes.
"""
from __future__ import annotations

from typing import Iterable

import svgwrite

from .layers import LAYERS
from .geometry import Path, Plaque
from .hatch import hatch_paths
from .template import Template

__all__ = ["num", "path_data", "layer_style", "new_drawing", "layer_group", "add_paths", "to_bytes", "plaque_svg", "INKSCAPE_NS", "SODIPODI_NS", "LAYER_LABELS"]

INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
SODIPODI_NS = "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"

LAYER_LABELS = {l.name: l.label for l in LAYERS}  # from the one layer table

# Path data per (path object, offset): the constant artwork is shared by every
# plaque of a batch, so formatting it once saves most of the writer's time.
_D_CACHE: dict[tuple[int, float, float], tuple[Path, str]] = {}
_D_CACHE_MAX = 20000


def num(v: float) -> str:
    """A coordinate in mm rounded to 0.001, shortest form ("12.5", "-0.125", "3")."""
    s = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def path_data(path: Path, dx: float = 0.0, dy: float = 0.0) -> str:
    """SVG path data for a Path, translated by (dx, dy) mm, absolute commands only."""
    key = (id(path), dx, dy)
    hit = _D_CACHE.get(key)
    if hit is not None and hit[0] is path:
        return hit[1]
    parts: list[str] = []
    cur = start = ("", "")
    for s in path.segs:
        op = s[0]
        if op == "Z":
            parts.append("Z")
            cur = start
            continue
        coords = s[1:]
        txt = [num(coords[i] + (dx if i % 2 == 0 else dy)) for i in range(len(coords))]
        pts = list(zip(txt[0::2], txt[1::2]))
        if op != "M" and all(p == cur for p in pts):
            continue  # zero length once rounded to 0.001 mm: it would only burn a dot twice
        parts.append(op + " ".join(txt))
        cur = pts[-1]
        if op == "M":
            start = cur
    d = "".join(parts)
    if len(_D_CACHE) >= _D_CACHE_MAX:
        _D_CACHE.clear()
    _D_CACHE[key] = (path, d)
    return d


def layer_style(name: str, template: Template) -> dict[str, str]:
    """Presentation attributes of a layer's paths: engrave is filled, the rest are hairlines."""
    color = template.colors[name]
    if name == "engrave" and template.engrave_output == "fill":
        return {"fill": color, "stroke": "none"}
    return {"fill": "none", "stroke": color, "stroke-width": num(template.hairline)}


def new_drawing(width: float, height: float, title: str) -> svgwrite.Drawing:
    dwg = svgwrite.Drawing(size=(f"{num(width)}mm", f"{num(height)}mm"), profile="full", debug=False)
    dwg.attribs["viewBox"] = f"0 0 {num(width)} {num(height)}"
    dwg.attribs["xmlns:inkscape"] = INKSCAPE_NS
    dwg.attribs["xmlns:sodipodi"] = SODIPODI_NS
    dwg.elements.remove(dwg.defs)  # svgwrite adds an empty <defs>; the contract has none
    dwg.set_desc(title=title)
    return dwg


def layer_group(dwg: svgwrite.Drawing, name: str, template: Template, suffix: str = "") -> svgwrite.container.Group:
    g = dwg.g(id=f"layer-{name}{suffix}")
    g.attribs["inkscape:groupmode"] = "layer"
    g.attribs["inkscape:label"] = LAYER_LABELS[name]
    if name == "guide":
        # Laser programs map unknown colours onto enabled layers and ignore labels and locks;
        # hidden paths they leave out (MeerK40t: on its never-output branch). Inkscape shows
        # the layer when the operator turns it on.
        g.attribs["sodipodi:insensitive"] = "true"  # locked in Inkscape
        g.attribs["style"] = "display:none"
    for k, v in layer_style(name, template).items():
        g.attribs[k] = v
    return g


def add_paths(dwg: svgwrite.Drawing, group, name: str, paths: Iterable[Path],
              dx: float = 0.0, dy: float = 0.0, template: Template | None = None) -> None:
    """Paths of layer ``name`` at offset (dx, dy) mm. Engrave paths are filled areas, or, with
    the template's ``[output] engrave = "hatch"``, hatch lines (hairline strokes) clipped to them."""
    hatch = name == "engrave" and template is not None and template.engrave_output == "hatch"
    for p in paths:
        if hatch:
            p = hatched(p, template)
        el = dwg.path(d=path_data(p, dx, dy))
        if name == "engrave" and not hatch:
            el.attribs["fill-rule"] = p.fill_rule
        group.add(el)


_HATCH: dict[tuple, Path] = {}


def hatched(path: Path, template: Template) -> Path:
    """The fill of one engrave path as one path of hatch lines (``M a L b`` per line), with
    the template's engrave interval, angle and direction; laser order along the lines.

    Cached per shape: the constant artwork and every digit are hatched once, then moved."""
    e = template.laser.engrave
    x0, y0 = path.start
    key = (e.interval, e.angle, e.bidirectional, template.cross_hatch,
           tuple((s[0], *(round(v - (x0 if i % 2 == 0 else y0), 4) for i, v in enumerate(s[1:])))
                 for s in path.segs))
    hit = _HATCH.get(key)
    if hit is None:
        lines = hatch_paths((path.translated(-x0, -y0),), e.interval, e.angle, e.bidirectional,
                            template.cross_hatch)
        hit = Path(tuple(seg for line in lines for seg in line.segs))
        if len(_HATCH) > 2000:
            _HATCH.clear()
        _HATCH[key] = hit
    return hit.translated(x0, y0)


def to_bytes(dwg: svgwrite.Drawing) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + dwg.tostring() + "\n").encode("utf-8")


def plaque_svg(plaque: Plaque, template: Template) -> bytes:
    """One plaque as engraver-ready SVG bytes (deterministic)."""
    dwg = new_drawing(plaque.width, plaque.height, plaque.title)
    for layer in plaque.layers:
        g = layer_group(dwg, layer.name, template)
        add_paths(dwg, g, layer.name, layer.paths, template=template)
        dwg.add(g)
    return to_bytes(dwg)
