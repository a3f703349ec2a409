"""Plaque and sheet -> DXF for the shop (EZCAD, Trotec Ruby, LightBurn, CAD), via ezdxf.

The shop's contract (README.md, "The shop's contract") in DXF terms:

* **Version and units**: AutoCAD 2010 (AC1024), ``$INSUNITS`` = 4 (millimetres),
  ``$MEASUREMENT`` = 1 (metric). 1 drawing unit = 1 mm, drawn 1:1 with the SVG.
* **Origin and y axis**: DXF is y-up, our model (and the SVG) is y-down with the
  origin at the top-left corner. The writer maps ``x_dxf = x`` and
  ``y_dxf = H - y`` where H is the plate height (plaque files) or the bed height
  (sheets). That is a translation of the flipped axis, not a mirror: the drawing
  reads the same way round as the SVG, with the plate's (or bed's) bottom-left
  corner at DXF (0, 0) and its top-right corner at (W, H). ``$EXTMIN``/``$EXTMAX``
  and ``$LIMMIN``/``$LIMMAX`` give exactly that box.
* **Laser geometry only** (issue 26): no guides, pocket outlines, slot labels
  or frame in any DXF (laser programs ignore the "no plot" flag: MeerK40t gives
  such a layer an enabled operation). The guides are in
  ``sheet-NN-guides.svg``/``.pdf`` (writers/guides.py); a pre-cut blank's
  outline (``plate.outline = "guide"``) is left out.
* **Layers** name the operation: ``1-ENGRAVE-FILL``, ``2-SCORE-LINE``,
  ``3-CUT-LINE`` (:data:`DXF_LAYER_NAMES`, from the one layer table).
* **Colours are explicit on every entity**, never BYLAYER and never ACI 7
  (white in the DXF colour table; Trotec Ruby ignores white lines): engrave
  ACI 250 (dark grey #333333, nearest LightBurn palette entry C00 black) with
  the template's engrave colour as true colour (group 420, #000000 by
  default), score ACI 5 (blue) and cut ACI 1 (red) with their true colours.
  The layer carries the same colour.
* **Filled areas** (engrave): every contour exactly once, as a closed
  LWPOLYLINE (no HATCH: LightBurn fills "the area between two outlines", so a
  contour written twice cancels its own fill; EzCad2 hatches only objects that
  do not intersect). The laser program fills them with even-odd nesting: an
  outer contour and the holes inside it, found by containment
  (:func:`filled_shapes`), written outer first.
* **Hairlines** (score, cut) are LWPOLYLINEs, closed where the path is.
* **Curves** are flattened to polylines with a chord error of at most
  :data:`FLATTEN_TOL` mm (0.005 mm, a sixth of a fiber laser's ~0.03 mm spot),
  using Wang's bound on the segment count, so every importer gets the same
  shape; nothing is left to a program's spline support.
* **Sheets**: entities lie in model space at their bed positions (programs that
  ignore blocks still get everything), and every plaque's entities, on every
  layer, form one DXF GROUP named after its slot and car (ASCII-safe name like
  ``slot 07 - 0462 of 6309 - WBSUR91050VS94332``; the description holds the
  exact ``slot 07 · 0462 / 6309 · WBSUR91050VS94332``). Entities are written in
  laser order: all engrave, then score, then cut, slots in the sheet's laser
  order.
* **Deterministic bytes**: ezdxf's creation/update dates are fixed
  (2000-01-01), its GUIDs constant and its "written by" stamp without a
  timestamp, so the same input gives the same file.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

from ..geometry.layers import LAYERS
from ..geometry.paths import Path, Plaque, split_subpaths
from ..bed.layout import label_digits, laser_run, slot_group_label
from ..inputs.template import Template

__all__ = ["plaque_dxf", "sheet_dxf", "flatten", "filled_shapes", "FilledShape",
           "ascii_name", "FLATTEN_TOL", "DXF_LAYERS", "DXF_LAYER_NAMES"]

FLATTEN_TOL = 0.005  # mm: largest distance between a curve and its polyline
# Laser layer -> AutoCAD Colour Index of its entities: distinct, none white (ACI 7).
DXF_LAYERS = {l.name: l.aci for l in LAYERS if l.output}  # from the one layer table
DXF_LAYER_NAMES = {l.name: l.dxf_layer for l in LAYERS if l.output}
_ROUND = 4  # decimals of a mm written (0.1 um)

Pt = tuple[float, float]


# --------------------------------------------------------------------------- geometry


def flatten(segs: Sequence, tol: float = FLATTEN_TOL) -> list[tuple[list[Pt], bool]]:
    """Every sub-path as (points, closed); cubics become chords within ``tol`` mm.

    A closed sub-path's point list does not repeat its first point at the end.
    Consecutive duplicate points (zero-length segments) are dropped.
    """
    out: list[tuple[list[Pt], bool]] = []
    for sp in split_subpaths(segs):
        if sp[0][0] != "M":
            continue
        pts: list[Pt] = [(sp[0][1], sp[0][2])]
        closed = False
        for s in sp[1:]:
            op = s[0]
            if op == "L":
                pts.append((s[1], s[2]))
            elif op == "C":
                p0 = pts[-1]
                p1, p2, p3 = (s[1], s[2]), (s[3], s[4]), (s[5], s[6])
                # Wang's formula: n chords keep a cubic within tol of its polyline.
                m = max(math.hypot(p0[0] - 2 * p1[0] + p2[0], p0[1] - 2 * p1[1] + p2[1]),
                        math.hypot(p1[0] - 2 * p2[0] + p3[0], p1[1] - 2 * p2[1] + p3[1]))
                n = max(1, math.ceil(math.sqrt(0.75 * m / tol))) if m > 0 else 1
                for k in range(1, n + 1):
                    t = k / n
                    u = 1 - t
                    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
                    pts.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
            elif op == "Z":
                closed = True
        clean = [pts[0]]
        for p in pts[1:]:
            if math.dist(p, clean[-1]) > 1e-9:
                clean.append(p)
        if closed and len(clean) > 1 and math.dist(clean[0], clean[-1]) <= 1e-9:
            clean.pop()
        if len(clean) >= 2:
            out.append((clean, closed))
    return out


@dataclass(frozen=True)
class FilledShape:
    """One filled area in mm (model coordinates, y down): an outer contour and its holes."""

    outer: tuple[Pt, ...]
    holes: tuple[tuple[Pt, ...], ...]


_SHAPES_CACHE: dict[tuple[int, float], tuple[Path, list]] = {}


def filled_shapes(path: Path, tol: float = FLATTEN_TOL) -> list[FilledShape]:
    """Grouped contours of ``path`` (see :func:`_filled_shapes`), cached per path object:
    the constant artwork is the same Path in every plaque of a batch."""
    key = (id(path), tol)
    hit = _SHAPES_CACHE.get(key)
    if hit is not None and hit[0] is path:
        return hit[1]
    shapes = _filled_shapes(path, tol)
    if len(_SHAPES_CACHE) > 20000:
        _SHAPES_CACHE.clear()
    _SHAPES_CACHE[key] = (path, shapes)
    return shapes


def _filled_shapes(path: Path, tol: float) -> list[FilledShape]:
    """Group a filled path's closed contours into shapes by containment.

    Nesting depth among the path's own contours decides: even = outer contour,
    odd = hole of the smallest contour containing it. Islands inside holes are
    outers of their own shapes. Order follows the path's contour order.
    """
    from shapely.geometry import Polygon

    rings = [pts for pts, _closed in flatten(path.segs, tol) if len(pts) >= 3]
    polys = [Polygon(r) for r in rings]
    areas = [abs(_signed_area(r)) for r in rings]
    probes = [_probe(p, r) for p, r in zip(polys, rings)]
    parents: list[int | None] = []
    depth: list[int] = []
    for i, _ in enumerate(rings):
        containers = [j for j in range(len(rings))
                      if j != i and areas[j] > areas[i] and polys[j].covers(probes[i])]
        depth.append(len(containers))
        parents.append(min(containers, key=lambda j: areas[j]) if containers else None)
    shapes: dict[int, list[int]] = {}
    for i in range(len(rings)):
        if depth[i] % 2 == 0:
            shapes.setdefault(i, [])
    for i in range(len(rings)):
        if depth[i] % 2 == 1 and parents[i] is not None:
            shapes.setdefault(parents[i], []).append(i)
    return [FilledShape(tuple(rings[i]), tuple(tuple(rings[h]) for h in holes))
            for i, holes in sorted(shapes.items())]


def _signed_area(pts: Sequence[Pt]) -> float:
    return 0.5 * sum(pts[i - 1][0] * pts[i][1] - pts[i][0] * pts[i - 1][1] for i in range(len(pts)))


def _probe(poly, ring):
    """A point strictly inside the contour (for containment tests between contours)."""
    from shapely.geometry import Point

    if poly.is_valid and poly.area > 0:
        return poly.representative_point()
    return Point(ring[0])


# --------------------------------------------------------------------------- names


def ascii_name(title: str) -> str:
    """An ASCII-only name for DXF tables and groups: ``slot 07 - 0462 of 6309 - VIN``."""
    s = title.replace("\u00b7", "-").replace("/", "of")
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^A-Za-z0-9 ._-]", "_", s)
    return re.sub(r"\s+", " ", s).strip()[:200] or "plaque"


# --------------------------------------------------------------------------- writer


@contextmanager
def _fixed_metadata() -> Iterator[None]:
    import ezdxf

    old = ezdxf.options.write_fixed_meta_data_for_testing
    ezdxf.options.write_fixed_meta_data_for_testing = True
    try:
        yield
    finally:
        ezdxf.options.write_fixed_meta_data_for_testing = old


def _new_doc(width: float, height: float, template: Template, title: str):
    import ezdxf

    with _fixed_metadata():  # ezdxf stamps the creation time into the file otherwise
        doc = ezdxf.new("R2010", setup=False, units=4)  # 4 = millimetres
    doc.header["$MEASUREMENT"] = 1
    doc.header["$EXTMIN"] = (0.0, 0.0, 0.0)
    doc.header["$EXTMAX"] = (float(width), float(height), 0.0)
    doc.header["$LIMMIN"] = (0.0, 0.0)
    doc.header["$LIMMAX"] = (float(width), float(height))
    msp = doc.modelspace()  # ezdxf copies the layout's extents into the header on write
    msp.dxf.extmin, msp.dxf.extmax = (0.0, 0.0, 0.0), (float(width), float(height), 0.0)
    msp.dxf.limmin, msp.dxf.limmax = (0.0, 0.0), (float(width), float(height))
    for name, aci in DXF_LAYERS.items():
        layer = doc.layers.add(DXF_LAYER_NAMES[name], color=aci)
        layer.rgb = _rgb(template.colors[name])
        layer.description = _LAYER_DESCRIPTIONS[name]
    doc.ezdxf_metadata()["plaquegen"] = ascii_name(title)
    return doc


_LAYER_DESCRIPTIONS = {
    "engrave": "1 engrave (fill): closed contours, fill with even-odd nesting",
    "score": "2 score (line)",
    "cut": "3 cut (outline)",
}


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


class _Emitter:
    """Adds one layer's paths to model space with the y flip y' = height - y."""

    def __init__(self, doc, height: float, template: Template) -> None:
        self.doc = doc
        self.msp = doc.modelspace()
        self.height = height
        self.attribs = {name: {"layer": DXF_LAYER_NAMES[name], "color": aci,
                               "true_color": _true(template.colors[name])}
                        for name, aci in DXF_LAYERS.items()}

    def _pts(self, pts: Iterable[Pt], dx: float, dy: float) -> list[Pt]:
        h = self.height
        return [(round(x + dx, _ROUND) + 0.0, round(h - (y + dy), _ROUND) + 0.0) for x, y in pts]

    def paths(self, name: str, paths: Iterable[Path], dx: float = 0.0, dy: float = 0.0) -> list:
        """Entities for ``paths`` of laser layer ``name``, translated by (dx, dy) model mm;
        nothing for a layer that is not laser geometry."""
        made: list = []
        attribs = self.attribs.get(name)
        if attribs is None:
            return made
        add = self.msp.add_lwpolyline
        for p in paths:
            if name == "engrave":
                for shape in filled_shapes(p):
                    for ring in (shape.outer, *shape.holes):
                        made.append(add(self._pts(ring, dx, dy), close=True, dxfattribs=attribs))
            else:
                for pts, closed in flatten(p.segs):
                    made.append(add(self._pts(pts, dx, dy), close=closed, dxfattribs=attribs))
        return made


def _true(hex_color: str) -> int:
    r, g, b = _rgb(hex_color)
    return (r << 16) | (g << 8) | b


def _to_bytes(doc) -> bytes:
    buf = io.StringIO()
    with _fixed_metadata():
        doc.write(buf)
    return buf.getvalue().encode("utf-8")


def plaque_dxf(plaque: Plaque, template: Template) -> bytes:
    """One plaque as DXF bytes: plate bottom-left at (0, 0), mm, y up (see module doc)."""
    doc = _new_doc(plaque.width, plaque.height, template, plaque.title)
    em = _Emitter(doc, plaque.height, template)
    for layer in plaque.layers:
        em.paths(layer.name, layer.paths)
    return _to_bytes(doc)


def sheet_dxf(sheet, template: Template, batch_id: str) -> bytes:
    """A bed-sized DXF: every plaque at its pocket, one named GROUP per plaque (see module doc).

    ``sheet`` is a :class:`plaquegen.sheets.Sheet`; the bed's bottom-left corner is
    DXF (0, 0), so a slot at SVG (x, y) has its plate's top-left at DXF
    (x, bed height - y).
    """
    title = f"Batch {batch_id}, sheet {sheet.number}: {len(sheet.slots)} plaques"
    doc = _new_doc(sheet.bed_w, sheet.bed_h, template, title)
    em = _Emitter(doc, sheet.bed_h, template)
    members: dict[int, list] = {s.index: [] for s in sheet.slots}
    for name, run in laser_run(sheet).layers:  # the same laser order as the SVG sheet
        for slot, paths in run:
            members[slot.index] += em.paths(name, paths, slot.x, slot.y)
    digits = label_digits(template)
    for slot in sheet.slots:
        if slot.plaque is None or not members[slot.index]:
            continue
        title = slot_group_label(slot, digits)
        group = doc.groups.new(ascii_name(title), description=title)
        group.extend(members[slot.index])
    return _to_bytes(doc)
