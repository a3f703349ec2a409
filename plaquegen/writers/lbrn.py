"""Sheet (or plaque) -> LightBurn project (``.lbrn2``), with the shop's laser settings.

LightBurn reads SVG by guessing (nearest palette colour, Line or Fill from the
attributes); a project file says exactly what runs. The format is LightBurn's
XML project (``FormatVersion="1"``), written from what public readers and the
LightBurn forum document (MeerK40t's ``extra/lbrn.py`` loader, LightBurn forum
threads on the LBRN2 format):

* ``<LightBurnProject>`` root, no mirroring (``MirrorX``/``MirrorY`` False:
  those describe the machine, not the drawing).
* One ``<CutSetting>`` per operation, in run order (``priority`` 0, 1, 2):
  engrave as ``type="Scan"`` on layer C00 (speed, power, frequency, line
  ``interval``, ``bidir``, ``angle``, ``numPasses``, ``overscan``), score and cut
  as ``type="Cut"`` on C01 and C02, values from :class:`plaquegen.laser.LaserSettings`
  (speed mm/s, power %, frequency written in Hz as LightBurn stores it).
  Guides (pocket outlines, slot labels) are on tool layer T1: ``CutIndex`` 30,
  ``type="Tool"``, ``doOutput`` 0, colour #F36926 in LightBurn's palette: tool
  layers never output. Every CutIndex a shape uses has its CutSetting (a
  reader such as MeerK40t stops on a shape whose layer is missing).
* Shapes are ``<Shape Type="Path">`` with a ``VertList`` (``V x y`` plus
  ``c0x c0y`` = the outgoing and ``c1x c1y`` = the incoming Bézier handle of a
  vertex) and a ``PrimList`` (``L i j`` line, ``B i j`` cubic from vertex i to
  j); one Path per model Path (its sub-paths share the lists, so holes stay with
  their outline), identity ``XForm``, coordinates absolute in mm.
* **Coordinates**: LightBurn's workspace is y-up (origin bottom-left, as its
  rulers show); our model is y-down from the top-left. The writer maps
  ``x_lb = x`` and ``y_lb = H - y`` with H the bed height (sheets) or plate
  height (plaques): a translation of the flipped axis, so nothing is mirrored:
  the number that sits bottom right on the plate is bottom right in LightBurn,
  and the bed's top-left pocket is top-left on LightBurn's bed.
* **Groups**: one ``<Shape Type="Group">`` per plaque, in the sheet's laser
  order, holding its engrave, score and cut paths and its T1 guides, with a
  ``Name`` attribute ``slot 07 · 0462 / 6309 · VIN`` (also listed, slot by slot,
  in the project's ``<Notes>``).

Everything from an input cell (labels, VINs, batch id) is XML-escaped.
Deterministic bytes: no thumbnail, no dates.
"""
from __future__ import annotations

from typing import Iterable, Sequence
from xml.sax.saxutils import quoteattr

from ..geometry.layers import GUIDE_COLOR
from ..geometry.paths import Path, Plaque, split_subpaths
from ..inputs.laser_settings import FillOp, LaserSettings, LineOp, RUN_ORDER
from ..bed.layout import label_digits, laser_run, sheet_guides, slot_group_label
from ..inputs.template import Template

__all__ = ["sheet_lbrn2", "plaque_lbrn2", "CUT_INDEX", "TOOL_INDEX", "APP_VERSION"]

CUT_INDEX = {"engrave": 0, "score": 1, "cut": 2}  # C00 black, C01 blue, C02 red
TOOL_INDEX = 30  # T1, LightBurn's first tool layer (#F36926): never output
APP_VERSION = "1.7.08"  # the LightBurn version whose project layout this follows
_LAYER_NAMES = {"engrave": "engrave (fill)", "score": "score (line)", "cut": "cut (outline)"}


def _n(v: float) -> str:
    """A coordinate in mm, 0.0001 mm, shortest form."""
    s = f"{v:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _value(tag: str, v) -> str:
    if isinstance(v, bool):
        v = 1 if v else 0
    if isinstance(v, float):
        v = _n(v)
    return f"        <{tag} Value={quoteattr(str(v))}/>"


def _cut_setting(name: str, op: FillOp | LineOp, priority: int) -> list[str]:
    kind = "Scan" if isinstance(op, FillOp) else "Cut"
    out = [f'    <CutSetting type="{kind}">',
           _value("index", CUT_INDEX[name]),
           _value("name", _LAYER_NAMES[name]),
           _value("minPower", float(op.power)),
           _value("maxPower", float(op.power)),
           _value("maxPower2", float(op.power)),
           _value("speed", float(op.speed)),
           _value("numPasses", op.passes),
           _value("priority", priority)]
    if op.frequency is not None:
        out += [_value("frequency", int(round(op.frequency * 1000))),  # Hz
                _value("overrideFrequency", True)]
    if isinstance(op, FillOp):
        out += [_value("interval", float(op.interval)),
                _value("bidir", op.bidirectional),
                _value("angle", float(op.angle)),
                _value("crossHatch", False),
                _value("overscan", float(op.overscan))]
    out += [_value("doOutput", True), _value("hide", False), "    </CutSetting>"]
    return out


def _tool_setting() -> list[str]:
    return ['    <CutSetting type="Tool">',
            _value("index", TOOL_INDEX),
            _value("name", "T1 guides (no output)"),
            _value("priority", len(RUN_ORDER)),
            _value("doOutput", False),
            _value("hide", False),
            "    </CutSetting>"]


def _path_shape(path: Path, cut_index: int, height: float, dx: float, dy: float,
                indent: str) -> list[str]:
    """One model Path as a LightBurn Path shape (y flipped: y_lb = height - y)."""
    verts: list[list] = []  # [x, y, c0, c1] with c0/c1 None or (x, y), already mapped
    prims: list[str] = []

    def pt(x: float, y: float) -> tuple[str, str]:
        return (_n(x + dx), _n(height - (y + dy)))

    for sp in split_subpaths(path.segs):
        if sp[0][0] != "M":
            continue
        first = len(verts)
        verts.append([*pt(sp[0][1], sp[0][2]), None, None])
        for s in sp[1:]:
            op = s[0]
            if op == "Z":
                last = verts[-1]
                start = verts[first]
                if len(verts) - first < 2:
                    break
                if (last[0], last[1]) == (start[0], start[1]):
                    # The last segment ends where the sub-path began: end it on vertex
                    # `first` instead (its incoming handle moves along).
                    start[3] = last[3]
                    verts.pop()
                    head = prims.pop().split(" ")[0]  # "L12" or "B12"
                    prims.append(f"{head} {first}")
                else:
                    prims.append(f"L{len(verts) - 1} {first}")
                break
            end = pt(s[-2], s[-1])
            cur = verts[-1]
            if op == "L":
                if end == (cur[0], cur[1]):
                    continue  # zero length at 0.0001 mm: would only burn a dot twice
                verts.append([*end, None, None])
                prims.append(f"L{len(verts) - 2} {len(verts) - 1}")
            else:  # C
                c1, c2 = pt(s[1], s[2]), pt(s[3], s[4])
                if end == (cur[0], cur[1]) and c1 == end and c2 == end:
                    continue
                cur[2] = c1
                verts.append([*end, None, c2])
                prims.append(f"B{len(verts) - 2} {len(verts) - 1}")
    if not prims:
        return []
    vtext = []
    for x, y, c0, c1 in verts:
        v = f"V{x} {y}"
        if c0 is not None:
            v += f"c0x{c0[0]}c0y{c0[1]}"
        if c1 is not None:
            v += f"c1x{c1[0]}c1y{c1[1]}"
        vtext.append(v)
    return [f'{indent}<Shape Type="Path" CutIndex="{cut_index}">',
            f"{indent}    <XForm>1 0 0 1 0 0</XForm>",
            f"{indent}    <VertList>{''.join(vtext)}</VertList>",
            f"{indent}    <PrimList>{''.join(prims)}</PrimList>",
            f"{indent}</Shape>"]


def _group(name: str, children: list[str], indent: str = "    ") -> list[str]:
    return ([f'{indent}<Shape Type="Group" Name={quoteattr(name)}>',
             f"{indent}    <XForm>1 0 0 1 0 0</XForm>",
             f"{indent}    <Children>"]
            + children + [f"{indent}    </Children>", f"{indent}</Shape>"])


def _project(settings_lines: list[str], body: list[str], notes: str) -> bytes:
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            f'<LightBurnProject AppVersion="{APP_VERSION}" FormatVersion="1" '
            'MaterialHeight="0" MirrorX="False" MirrorY="False">']
    tail = [f'    <Notes ShowOnLoad="0" Notes={quoteattr(notes)}/>', "</LightBurnProject>", ""]
    return "\n".join(head + settings_lines + body + tail).encode("utf-8")


def _settings(laser: LaserSettings, used: Iterable[str], tool: bool) -> list[str]:
    lines: list[str] = []
    used = set(used)
    for priority, name in enumerate(RUN_ORDER):
        if name in used:
            lines += _cut_setting(name, laser.op(name), priority)
    if tool:
        lines += _tool_setting()
    return lines


def _plaque_children(plaque: Plaque, height: float, dx: float, dy: float, indent: str,
                     names: Sequence[str] = RUN_ORDER) -> list[str]:
    out: list[str] = []
    for name in names:
        layer = plaque.layer(name)
        if layer:
            for p in layer.paths:
                out += _path_shape(p, CUT_INDEX[name], height, dx, dy, indent)
    return out


def sheet_lbrn2(sheet, template: Template, batch_id: str, laser: LaserSettings) -> bytes:
    """A LightBurn project of one bed load: one named group per plaque (see module doc).

    ``sheet`` is a :class:`plaquegen.sheets.Sheet`; coordinates in mm with the bed's
    bottom-left corner at LightBurn (0, 0) and y up.
    """
    h = sheet.bed_h
    guides = {g.slot.index: g.bed_paths() for g in sheet_guides(sheet, template)}
    digits = label_digits(template)
    used: set[str] = set()
    body: list[str] = []
    notes = [f"plaquegen: batch {batch_id}, sheet {sheet.number}, {len(sheet.slots)} plaques. "
             f"Layers run engrave (C00), score (C01), cut (C02); guides on T1 never output.",
             f"Guide colour {GUIDE_COLOR}."]
    ind = " " * 12
    run = laser_run(sheet).layers
    for slot in (s for s, _ in run[0][1]) if run else ():  # plaques in the sheet's laser sweep
        title = slot_group_label(slot, digits)
        children = _plaque_children(slot.plaque, h, slot.x, slot.y, ind)
        used |= {n for n in RUN_ORDER if slot.plaque.layer(n)}
        for p in guides.get(slot.index, []):
            children += _path_shape(p, TOOL_INDEX, h, 0.0, 0.0, ind)
        body += _group(title, children)
        notes.append(title)
    return _project(_settings(laser, used, tool=True), body, "\n".join(notes))


def plaque_lbrn2(plaque: Plaque, template: Template, laser: LaserSettings) -> bytes:
    """One plaque as a LightBurn project: plate bottom-left at (0, 0), mm, y up."""
    used = [n for n in RUN_ORDER if plaque.layer(n)]
    guide = plaque.layer("guide")
    ind = " " * 12
    children = _plaque_children(plaque, plaque.height, 0.0, 0.0, ind)
    if guide:
        for p in guide.paths:
            children += _path_shape(p, TOOL_INDEX, plaque.height, 0.0, 0.0, ind)
    body = _group(plaque.title, children)
    return _project(_settings(laser, used, tool=bool(guide)), body,
                    f"plaquegen: {plaque.title}.")
