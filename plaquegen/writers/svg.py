"""Plaque -> engraver-ready SVG (the shop's contract: README.md, "The shop's contract").

1 user unit = 1 mm; only <path> elements inside Inkscape layer groups, one
layer per operation, in laser order (engrave, score, cut). A sheet holds laser
geometry only: its guides (pockets, slot labels, frame) are in the separate
``sheet-NN-guides.svg``/``.pdf`` (writers/guides.py), because laser programs map
colours by nearness and ignore ``display:none`` (issue 26). A plaque file likewise
holds no guide: a pre-cut blank's outline is drawn in the sheet's guide files only.
Coordinates are
absolute and rounded to 0.001 mm; no transforms, text, images or references.
The writer only writes: it never composes.

The document text is joined from strings (no element tree): attributes in
sorted order, escaped as XML requires, empty elements closed with `` />``,
the same bytes an svgwrite/ElementTree writer gave (tests/test_svg_bytes.py
keeps such a writer as the reference).
"""
from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import escape

from ..geometry.layers import LAYERS, spec
from ..geometry.paths import Path, Plaque
from ..geometry.hatch import hatch_paths
from ..inputs.template import Template
from ..bed.layout import Sheet, label_digits, laser_run, slot_group_id, slot_group_label

__all__ = ["sheet_svg", "num", "path_data", "layer_style", "escape_attr", "escape_text", "element",
           "svg_document", "layer_attrs", "layer_open", "paths_xml", "plaque_svg", "INKSCAPE_NS", "SODIPODI_NS",
           "LAYER_LABELS"]

INKSCAPE_NS = "http://www.inkscape.org/namespaces/inkscape"
SODIPODI_NS = "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"

LAYER_LABELS = {l.name: l.label for l in LAYERS}  # from the one layer table

# Path data per (path object, offset), then per (path shape, offset): the artwork is the same
# object on every plaque, a digit the same shape at the same place on many plaques and, on a
# sheet, at the same pocket on every sheet. Formatting a coordinate costs ~20x hashing it.
_D_CACHE: dict[tuple[int, float, float], tuple[Path, str]] = {}
_D_SHAPES: dict[tuple, str] = {}
_D_CACHE_MAX = 20000
_D_SHAPES_MAX = 40000


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
    shape = (path.segs, dx, dy)
    d = _D_SHAPES.get(shape)
    if d is None:
        d = _format(path.segs, dx, dy)
        if len(_D_SHAPES) >= _D_SHAPES_MAX:
            _D_SHAPES.clear()
        _D_SHAPES[shape] = d
    if len(_D_CACHE) >= _D_CACHE_MAX:
        _D_CACHE.clear()
    _D_CACHE[key] = (path, d)
    return d


def _format(segs, dx: float, dy: float) -> str:
    # num() inlined for M, L and C (the hot loop of every sheet): the same text, half the time.
    parts: list[str] = []
    cur = start = None
    for s in segs:
        op = s[0]
        if op == "Z":
            parts.append("Z")
            cur = start
            continue
        if op == "C":
            x1 = f"{s[1] + dx:.3f}".rstrip("0").rstrip(".")
            y1 = f"{s[2] + dy:.3f}".rstrip("0").rstrip(".")
            x2 = f"{s[3] + dx:.3f}".rstrip("0").rstrip(".")
            y2 = f"{s[4] + dy:.3f}".rstrip("0").rstrip(".")
            x = f"{s[5] + dx:.3f}".rstrip("0").rstrip(".")
            y = f"{s[6] + dy:.3f}".rstrip("0").rstrip(".")
            if x1 == "-0":
                x1 = "0"
            if y1 == "-0":
                y1 = "0"
            if x2 == "-0":
                x2 = "0"
            if y2 == "-0":
                y2 = "0"
            if x == "-0":
                x = "0"
            if y == "-0":
                y = "0"
            p = (x, y)
            if p == cur and (x1, y1) == cur and (x2, y2) == cur:
                continue  # zero length once rounded to 0.001 mm: it would only burn a dot twice
            parts.append(f"C{x1} {y1} {x2} {y2} {x} {y}")
            cur = p
        elif op == "L" or op == "M":
            x = f"{s[1] + dx:.3f}".rstrip("0").rstrip(".")
            y = f"{s[2] + dy:.3f}".rstrip("0").rstrip(".")
            if x == "-0":
                x = "0"
            if y == "-0":
                y = "0"
            p = (x, y)
            if op == "M":
                start = p
            elif p == cur:
                continue
            parts.append(f"{op}{x} {y}")
            cur = p
        else:  # any other command: the general form
            txt = [num(v + (dx if i % 2 == 0 else dy)) for i, v in enumerate(s[1:])]
            pts = list(zip(txt[0::2], txt[1::2]))
            if all(q == cur for q in pts):
                continue
            parts.append(op + " ".join(txt))
            cur = pts[-1]
    return "".join(parts)


# What ElementTree writes inside attribute values besides & < > (saxutils.escape does those).
_ATTR_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def escape_text(text: str) -> str:
    """Character data as XML needs it (& < >)."""
    return escape(text)


def escape_attr(text: str) -> str:
    """An attribute value as XML needs it (what ElementTree writes: & < > " CR LF TAB)."""
    return escape(text, _ATTR_ENTITIES)


def _attrs(attrs: dict[str, str]) -> str:
    # Sorted by name; empty values are left out, as svgwrite does.
    return "".join(f' {k}="{escape_attr(v)}"' for k, v in sorted(attrs.items()) if v)


def element(tag: str, attrs: dict[str, str], inner: str = "") -> str:
    """``<tag a="..">inner</tag>``, or ``<tag a=".." />`` when there is nothing inside."""
    if not inner:
        return f"<{tag}{_attrs(attrs)} />"
    return f"<{tag}{_attrs(attrs)}>{inner}</{tag}>"


def svg_document(width: float, height: float, title: str, body: Iterable[str]) -> bytes:
    """The whole file: XML declaration, the <svg> root in mm (viewBox in mm), a <title>, body."""
    w, h = num(width), num(height)
    root = {"baseProfile": "full", "height": f"{h}mm", "version": "1.1", "viewBox": f"0 0 {w} {h}",
            "width": f"{w}mm", "xmlns": "http://www.w3.org/2000/svg",
            "xmlns:ev": "http://www.w3.org/2001/xml-events", "xmlns:inkscape": INKSCAPE_NS,
            "xmlns:sodipodi": SODIPODI_NS, "xmlns:xlink": "http://www.w3.org/1999/xlink"}
    head = element("title", {}, escape_text(title))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + element("svg", root, head + "".join(body)) + "\n").encode("utf-8")


def layer_style(name: str, template: Template) -> dict[str, str]:
    """Presentation attributes of a layer's paths: engrave is filled, the rest are hairlines."""
    color = template.colors[name]
    if name == "engrave" and template.engrave_output == "fill":
        return {"fill": color, "stroke": "none"}
    return {"fill": "none", "stroke": color, "stroke-width": num(template.hairline)}


def layer_attrs(name: str, template: Template, suffix: str = "") -> dict[str, str]:
    """Attributes of an Inkscape layer group (id, label, the layer's style)."""
    attrs = {"id": f"layer-{name}{suffix}", "inkscape:groupmode": "layer",
             "inkscape:label": LAYER_LABELS[name]}
    if name == "guide":
        # Laser programs map unknown colours onto enabled layers and ignore labels and locks;
        # hidden paths they leave out (MeerK40t: on its never-output branch). Inkscape shows
        # the layer when the operator turns it on.
        attrs["sodipodi:insensitive"] = "true"  # locked in Inkscape
        attrs["style"] = "display:none"
    attrs.update(layer_style(name, template))
    return attrs


def layer_open(name: str, template: Template, inner: str, suffix: str = "") -> str:
    """One layer group holding ``inner`` (its paths or per-plaque groups)."""
    return element("g", layer_attrs(name, template, suffix), inner)


def paths_xml(name: str, paths: Iterable[Path], dx: float = 0.0, dy: float = 0.0,
              template: Template | None = None) -> str:
    """The <path> elements of layer ``name`` at offset (dx, dy) mm. Engrave paths are filled
    areas, or, with the template's ``[output] engrave = "hatch"``, hatch lines (hairline
    strokes) clipped to them."""
    hatch = name == "engrave" and template is not None and template.engrave_output == "hatch"
    filled = name == "engrave" and not hatch
    out = []
    for p in paths:
        if hatch:
            p = hatched(p, template)
        d = path_data(p, dx, dy)  # digits, letters, '.', '-', ' ': nothing to escape
        if filled:
            out.append(f'<path d="{d}" fill-rule="{escape_attr(p.fill_rule)}" />' if d else
                       f'<path fill-rule="{escape_attr(p.fill_rule)}" />')
        else:
            out.append(f'<path d="{d}" />' if d else "<path />")
    return "".join(out)


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


def plaque_svg(plaque: Plaque, template: Template) -> bytes:
    """One plaque as engraver-ready SVG bytes (deterministic): its laser layers only."""
    return svg_document(plaque.width, plaque.height, plaque.title,
                        (layer_open(layer.name, template,
                                    paths_xml(layer.name, layer.paths, template=template))
                         for layer in plaque.layers if spec(layer.name).output))


def sheet_svg(sheet: Sheet, template: Template, batch_id: str) -> bytes:
    """A bed-sized SVG with every plaque of the sheet at its pocket, 1:1 in mm, in laser order;
    laser layers only (the guides: writers/guides.py)."""
    title = f"Batch {batch_id}, sheet {sheet.number}: {len(sheet.slots)} plaques"
    digits = label_digits(template)
    body = []
    for name, run in laser_run(sheet).layers:
        groups = "".join(
            element("g", {"id": slot_group_id(slot, name, digits),
                          "inkscape:label": slot_group_label(slot, digits)},
                    paths_xml(name, paths, slot.x, slot.y, template))
            for slot, paths in run)
        body.append(layer_open(name, template, groups))
    return svg_document(sheet.bed_w, sheet.bed_h, title, body)
