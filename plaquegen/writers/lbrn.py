"""Sheet (or plaque) -> LightBurn project (``.lbrn2``), written the way LightBurn writes it.

LightBurn reads SVG by guessing (nearest palette colour, Line or Fill from the
attributes); a project says exactly what runs. Everything below follows real
LightBurn-saved projects from public repositories (FINDINGS.md, README "Shop
programs"; tests/writers/test_lbrn2_lightburn.py compares ours with them):

* Root ``<LightBurnProject AppVersion FormatVersion="1" MaterialHeight="0" MirrorX
  MirrorY>`` (``DeviceName`` after ``AppVersion`` when the template names the device);
  children in LightBurn's order: ``Thumbnail`` (256 x 256 RGBA PNG, writers/thumbnail.py),
  ``VariableText`` (LightBurn's fixed block), ``UIPrefs``, the ``CutSetting`` elements
  sorted by index, the shapes, ``Notes``.
* **UIPrefs**: LightBurn's optimisation settings (:data:`UIPREFS`): order by layer (0),
  then by priority (1), never by group (-1): all engraving across the bed, then all
  scoring, then all cutting; no plaque is cut free before the others are engraved.
* **CutSettings** as LightBurn 1.4-2.1 writes them, only what differs from its defaults,
  children in its order: engrave ``type="Scan"`` (Fill) on C00, score and cut
  ``type="Cut"`` (Line) on C01, C02; speed mm/s, power %, frequency in Hz. Overscan is
  LightBurn's switch (``overscan`` 0/1) and amount (``overscanPercent``, its default 2.5)
  on a gantry; a galvo has no such switch ("not available for DSP controllers or Galvo
  lasers") and no DSP frequency override. ``priority`` 0..n-1 over every CutSetting in
  run order, T1 last.
* **Tool layer T1** exactly as LightBurn writes it: ``<CutSetting type="Tool">`` with
  ``index`` 30, ``name`` T1, ``frame`` 0 (left out of framing), ``priority``; no output
  fields (a tool layer never outputs). The sheet's guides (pockets, slot labels, the
  frame) are there and nowhere else of this file.
* **Shapes**: one ``<Shape Type="Path">`` per model Path with its own ``VertID`` (never
  shared: shared ids mean shared lists), a ``VertList`` where every vertex carries both
  handle parts, ``c0x<x>c0y<y>`` / ``c1x<x>c1y<y>`` or the marker ``c0x1`` / ``c1x1`` for
  none, and a ``PrimList`` (``L i j`` line, ``B i j`` cubic), each sub-path closed back
  to its first vertex; identity ``XForm``, absolute mm. One named
  ``<Shape Type="Group">`` per plaque, in the sheet's laser sweep.
* **Workspace**: LightBurn's frame is y-up from the workspace's front-left corner (its
  rulers, its thumbnails). The template's ``[machine]`` (plaquegen.inputs.machine) places
  the sheet: a gantry's workspace is its bed (the jig at ``jig_at``), ``MirrorX``/``MirrorY``
  follow its origin corner (right / rear), as LightBurn's files of such machines show; a
  galvo's is its lens field, and a sheet is one field (laid out per field when the jig is
  larger). A plaque project puts the plate's bottom-left corner at (0, 0).

Everything from an input cell (labels, VINs, batch id) is XML-escaped.
Deterministic bytes: no dates.
"""
from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import quoteattr

from ..geometry.paths import Path, Plaque, split_subpaths
from ..inputs.laser_settings import FillOp, LaserSettings, LineOp, RUN_ORDER
from ..inputs.machine import Machine, default_machine
from ..bed.layout import label_digits, laser_run, slot_group_label
from ..inputs.template import Template
from .guides import guide_paths
from .thumbnail import thumbnail_source

__all__ = ["sheet_lbrn2", "plaque_lbrn2", "machine_of", "CUT_INDEX", "TOOL_INDEX", "TOOL_NAME",
           "APP_VERSION", "UIPREFS", "VARIABLE_TEXT", "OVERSCAN_PERCENT", "LAYER_NAMES"]

CUT_INDEX = {"engrave": 0, "score": 1, "cut": 2}  # C00 black, C01 blue, C02 red
TOOL_INDEX = 30  # T1, LightBurn's first tool layer (#F36926): never output
TOOL_NAME = "T1"
APP_VERSION = "1.7.08"  # the LightBurn version whose project layout this follows
LAYER_NAMES = {"engrave": "engrave (fill)", "score": "score (line)", "cut": "cut (outline)"}
_IND = " " * 12  # a group's children


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


# The optimisation settings LightBurn saves in every project, in its order (1.7.08 values):
# order by layer first (0), not by group (-1), then by priority (1): all engrave, then all
# score, then all cut across the bed; never one plaque cut free before the next is engraved.
UIPREFS = (("Optimize_ByLayer", "0"), ("Optimize_ByGroup", "-1"), ("Optimize_ByPriority", "1"),
           ("Optimize_WhichDirection", "0"), ("Optimize_InnerToOuter", "1"),
           ("Optimize_ByDirection", "0"), ("Optimize_ReduceTravel", "1"),
           ("Optimize_HideBacklash", "0"), ("Optimize_ReduceDirChanges", "0"),
           ("Optimize_ChooseCorners", "0"), ("Optimize_AllowReverse", "1"),
           ("Optimize_RemoveOverlaps", "0"), ("Optimize_OptimalEntryPoint", "0"),
           ("Optimize_OverlapDist", "0.025"))
VARIABLE_TEXT = (("Start", "0"), ("End", "999"), ("Current", "0"), ("Increment", "1"),
                 ("AutoAdvance", "0"))
OVERSCAN_PERCENT = 2.5  # LightBurn's default amount (gantry only: galvos have no switch)


def machine_of(template: Template) -> Machine:
    """The template's machine (a gantry over its bed when it names none)."""
    m = getattr(template, "machine", None)
    return m if m is not None else default_machine(template.bed.width, template.bed.height)


def _cut_setting(name: str, op: FillOp | LineOp, priority: int, galvo: bool,
                 cross_hatch: bool = False) -> list[str]:
    """One layer's CutSetting as LightBurn 1.4-2.1 writes it: only what differs from its
    defaults (no doOutput 1, hide 0, numPasses 1, bidir 1, angle 0), children in its order."""
    fill = isinstance(op, FillOp)
    out = [f'    <CutSetting type="{"Scan" if fill else "Cut"}">',
           _value("index", CUT_INDEX[name]),
           _value("name", LAYER_NAMES[name])]
    if not galvo:
        out.append(_value("minPower", float(op.power)))
    out += [_value("maxPower", float(op.power)), _value("maxPower2", 20),
            _value("speed", float(op.speed))]
    if op.frequency is not None:
        out.append(_value("frequency", int(round(op.frequency * 1000))))  # Hz
        if not galvo:  # a DSP ignores frequency unless told to override it
            out.append(_value("overrideFrequency", True))
    if op.passes != 1:
        out.append(_value("numPasses", op.passes))
    if fill:
        if not op.bidirectional:
            out.append(_value("bidir", False))
        if cross_hatch:
            out.append(_value("crossHatch", True))
        if not galvo:  # the switch and its amount; "not available for ... Galvo lasers"
            out.append(_value("overscan", op.overscan > 0))
            if op.overscan > 0:
                out.append(_value("overscanPercent", OVERSCAN_PERCENT))
        out.append(_value("interval", float(op.interval)))
        if op.angle:
            out.append(_value("angle", float(op.angle)))
    out += [_value("priority", priority), _value("tabCount", 1), _value("tabCountMax", 1),
            "    </CutSetting>"]
    return out


def _tool_setting(priority: int) -> list[str]:
    """Tool layer T1 exactly as LightBurn 1.4.03 writes it: index, name, frame 0, priority;
    no output fields (tool layers never output)."""
    return ['    <CutSetting type="Tool">', _value("index", TOOL_INDEX), _value("name", TOOL_NAME),
            _value("frame", 0), _value("priority", priority), "    </CutSetting>"]


class _Shapes:
    """Path shapes of one project: each its own VertID, coordinates mapped by ``to_lb``
    (model mm -> LightBurn mm, y up)."""

    def __init__(self, to_lb) -> None:
        self.to_lb = to_lb
        self.next_id = 0

    def path(self, path: Path, cut_index: int, dx: float = 0.0, dy: float = 0.0) -> list[str]:
        verts, prims = _lists(path, lambda x, y: tuple(_n(v) for v in self.to_lb(x + dx, y + dy)))
        if not prims:
            return []
        vtext = []
        for x, y, c0, c1 in verts:  # every vertex carries both handle parts; "c0x1" = no handle
            v = f"V{x} {y}"
            v += f"c0x{c0[0]}c0y{c0[1]}" if c0 is not None else "c0x1"
            v += f"c1x{c1[0]}c1y{c1[1]}" if c1 is not None else "c1x1"
            vtext.append(v)
        vid = self.next_id
        self.next_id += 1
        return [f'{_IND}<Shape Type="Path" CutIndex="{cut_index}" VertID="{vid}">',
                f"{_IND}    <XForm>1 0 0 1 0 0</XForm>",
                f"{_IND}    <VertList>{''.join(vtext)}</VertList>",
                f"{_IND}    <PrimList>{''.join(prims)}</PrimList>",
                f"{_IND}</Shape>"]


def _lists(path: Path, pt) -> tuple[list[list], list[str]]:
    """(vertices [x, y, c0, c1] as text, primitives) of a model Path; ``pt`` maps a point."""
    verts: list[list] = []  # c0: outgoing handle, c1: incoming handle, None or (x, y)
    prims: list[str] = []
    for sp in split_subpaths(path.segs):
        if sp[0][0] != "M":
            continue
        first = len(verts)
        verts.append([*pt(sp[0][1], sp[0][2]), None, None])
        for s in sp[1:]:
            op = s[0]
            if op == "Z":
                last, start = verts[-1], verts[first]
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
    return verts, prims


def _group(name: str, children: list[str], indent: str = "    ") -> list[str]:
    return ([f'{indent}<Shape Name={quoteattr(name)} Type="Group" CutIndex="0">',
             f"{indent}    <XForm>1 0 0 1 0 0</XForm>",
             f"{indent}    <Children>"]
            + children + [f"{indent}    </Children>", f"{indent}</Shape>"])


def _project(settings_lines: list[str], body: list[str], notes: str, thumbnail: str,
             machine: Machine) -> bytes:
    """The whole file in LightBurn's order: Thumbnail, VariableText, UIPrefs, CutSettings
    (by index), Shapes, Notes."""
    mx, my = ("True" if m else "False" for m in (machine.mirror_x, machine.mirror_y))
    device = f" DeviceName={quoteattr(machine.device)}" if machine.device else ""
    head = ['<?xml version="1.0" encoding="UTF-8"?>',
            f'<LightBurnProject AppVersion="{APP_VERSION}"{device} FormatVersion="1" '
            f'MaterialHeight="0" MirrorX="{mx}" MirrorY="{my}">',
            f'    <Thumbnail Source="{thumbnail}"/>', "    <VariableText>"]
    head += [f'        <{k} Value="{v}"/>' for k, v in VARIABLE_TEXT]
    head += ["    </VariableText>", "    <UIPrefs>"]
    head += [f'        <{k} Value="{v}"/>' for k, v in UIPREFS]
    head.append("    </UIPrefs>")
    notes = notes.replace("\r", "")
    tail = [f'    <Notes ShowOnLoad="0" Notes={quoteattr(notes, {chr(10): "&#10;"})}/>',
            "</LightBurnProject>", ""]
    return "\n".join(head + settings_lines + body + tail).encode("utf-8")


def _settings(template: Template, laser: LaserSettings, used: Iterable[str], tool: bool,
              galvo: bool) -> list[str]:
    """CutSettings sorted by index; priorities 0..n-1 in run order, T1 last."""
    lines: list[str] = []
    used = set(used)
    priority = 0
    for name in RUN_ORDER:
        if name in used:
            lines += _cut_setting(name, laser.op(name), priority, galvo,
                                  bool(getattr(template, "cross_hatch", False)))
            priority += 1
    if tool:
        lines += _tool_setting(priority)
    return lines


def _thumb_layers(template: Template, items: dict[str, list], guides: list) -> list:
    kinds = {"engrave": "fill", "score": "line", "cut": "line"}
    out = [(kinds[n], template.colors[n], items[n]) for n in RUN_ORDER if items.get(n)]
    if guides:
        out.append(("line", template.colors["guide"], guides))
    return out


def sheet_lbrn2(sheet, template: Template, batch_id: str, laser: LaserSettings) -> bytes:
    """A LightBurn project of one bed load (or galvo field): one named group per plaque in the
    sheet's laser sweep, the guides on T1 (see module doc)."""
    machine = machine_of(template)
    shapes = _Shapes(machine.workspace_point)
    digits = label_digits(template)
    items: dict[str, list] = {n: [] for n in RUN_ORDER}
    body: list[str] = []
    notes = [f"plaquegen: batch {batch_id}, sheet {sheet.number}, {len(sheet.slots)} plaques. "
             "Layers run engrave (C00), score (C01), cut (C02) across the whole sheet (order by "
             "layer); pockets, slot labels and frame on tool layer T1, never output.",
             f"Machine: {machine.describe()}."]
    if machine.note:
        notes.append(machine.note)
    run = laser_run(sheet).layers
    for slot in (s for s, _ in run[0][1]) if run else ():  # plaques in the sheet's laser sweep
        title = slot_group_label(slot, digits)
        children: list[str] = []
        for name in RUN_ORDER:
            layer = slot.plaque.layer(name)
            for p in (layer.paths if layer else ()):
                children += shapes.path(p, CUT_INDEX[name], slot.x, slot.y)
                items[name].append((p, slot.x, slot.y))
        body += _group(title, children)
        notes.append(title)
    guides = [p for paths in guide_paths(sheet, template).values() for p in paths]
    tool: list[str] = []
    for p in guides:
        tool += shapes.path(p, TOOL_INDEX)
    body += _group("guides: pockets, slot labels, frame (T1, never output)", tool)
    thumb = thumbnail_source(sheet.bed_w, sheet.bed_h,
                             _thumb_layers(template, items, [(p, 0.0, 0.0) for p in guides]))
    used = {n for n in RUN_ORDER if items[n]}
    return _project(_settings(template, laser, used, True, machine.kind == "galvo"), body,
                    "\n".join(notes), thumb, machine)


def plaque_lbrn2(plaque: Plaque, template: Template, laser: LaserSettings) -> bytes:
    """One plaque as a LightBurn project: plate bottom-left at (0, 0), mm, y up; laser
    geometry only (a pre-cut blank's outline is in no laser file)."""
    machine = machine_of(template)
    shapes = _Shapes(lambda x, y: (x, plaque.height - y))
    used = [n for n in RUN_ORDER if plaque.layer(n)]
    children: list[str] = []
    items: dict[str, list] = {n: [] for n in RUN_ORDER}
    for name in used:
        for p in plaque.layer(name).paths:
            children += shapes.path(p, CUT_INDEX[name])
            items[name].append((p, 0.0, 0.0))
    thumb = thumbnail_source(plaque.width, plaque.height, _thumb_layers(template, items, []))
    return _project(_settings(template, laser, used, False, machine.kind == "galvo"),
                    _group(plaque.title, children), f"plaquegen: {plaque.title}.", thumb, machine)
