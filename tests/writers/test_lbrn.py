"""LightBurn projects (.lbrn2): parsed back with defusedxml, structure, settings, orientation."""
from __future__ import annotations

import dataclasses
import re

import defusedxml.ElementTree as DET
import pytest

from plaquegen.geometry.paths import Bounds
from plaquegen.inputs.laser_settings import parse_laser
from plaquegen.writers.lbrn import CUT_INDEX, TOOL_INDEX, plaque_lbrn2, sheet_lbrn2

from helpers.shopfiles import plaques, sheet_of


def _settings(root):
    out = {}
    for cs in root.findall("CutSetting"):
        vals = {c.tag: c.get("Value") for c in cs}
        out[int(vals["index"])] = dict(vals, type=cs.get("type"))
    return out


def _vertices(shape):
    """Vertex points (x, y) in LightBurn's y-up mm, and the primitives (kind, i, j)."""
    vtext = shape.find("VertList").text
    pts = [(float(x), float(y)) for x, y in re.findall(r"V([-\d.e]+) ([-\d.e]+)", vtext)]
    prims = [(k, int(i), int(j)) for k, i, j in re.findall(r"([LB])(\d+) (\d+)", shape.find("PrimList").text)]
    return pts, prims


def _bounds(shapes) -> Bounds:
    pts = [p for s in shapes for p in _vertices(s)[0]]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return Bounds(min(xs), min(ys), max(xs), max(ys))


@pytest.fixture(scope="module")
def sheet(composer, template):
    return sheet_of(composer, template, 8)


@pytest.fixture(scope="module")
def laser():
    return parse_laser({"engrave": {"speed": 800, "interval": 0.025, "bidirectional": False,
                                    "frequency": 40, "overscan": 1.0},
                        "score": {"power": 55, "passes": 2}, "cut": {"passes": 40}}, "t.toml")


@pytest.fixture(scope="module")
def sheet_root(sheet, template, laser):
    return DET.fromstring(sheet_lbrn2(sheet, template, "2025-09", laser))


def test_cut_settings_from_the_laser_settings_in_run_order(sheet_root, laser):
    cs = _settings(sheet_root)
    assert sorted(cs) == [0, 1, 2, TOOL_INDEX]
    order = [int(c.find("index").get("Value")) for c in sheet_root.findall("CutSetting")]
    assert order == [0, 1, 2, TOOL_INDEX]
    eng, score, cut, tool = cs[0], cs[1], cs[2], cs[TOOL_INDEX]
    assert eng["type"] == "Scan" and score["type"] == "Cut" and cut["type"] == "Cut"
    assert float(eng["speed"]) == 800 and float(eng["interval"]) == 0.025 and eng["bidir"] == "0"
    assert float(eng["frequency"]) == 40000
    # The default machine is a gantry: LightBurn's overscan switch on, its own amount.
    assert eng["overscan"] == "1" and float(eng["overscanPercent"]) == 2.5
    assert float(score["maxPower"]) == 55 and score["numPasses"] == "2"
    assert cut["numPasses"] == "40" and float(cut["speed"]) == laser.cut.speed
    assert [int(c["priority"]) for c in (eng, score, cut, tool)] == [0, 1, 2, 3]
    # LightBurn writes no doOutput/hide at their defaults, and none at all on a tool layer.
    assert not any("doOutput" in c or "hide" in c for c in (eng, score, cut, tool))
    assert tool == {"type": "Tool", "index": str(TOOL_INDEX), "name": "T1", "frame": "0",
                    "priority": "3"}


def test_every_cut_index_has_a_setting_and_guides_only_on_t1(sheet_root, sheet):
    cs = _settings(sheet_root)
    shapes = sheet_root.iter("Shape")
    paths = [s for s in shapes if s.get("Type") == "Path"]
    used = {int(s.get("CutIndex")) for s in paths}
    assert used <= set(cs)
    per_index = {i: sum(1 for s in paths if int(s.get("CutIndex")) == i) for i in used}
    for name, i in CUT_INDEX.items():
        assert per_index[i] == sum(len(s.plaque.layer(name).paths) for s in sheet.slots)
    # Guides: pocket + label strokes per slot, all on the tool layer, inside the bed.
    assert per_index[TOOL_INDEX] >= 2 * len(sheet.slots)


def test_one_named_group_per_plaque_in_laser_order(sheet_root, sheet):
    from plaquegen.bed.layout import laser_run

    order = [slot for slot, _ in laser_run(sheet).layers[0][1]]

    *groups, guides = sheet_root.findall("Shape[@Type='Group']")
    names = [g.get("Name") for g in groups]
    want = [f"slot {s.index:02d} \u00b7 {s.plaque.label} \u00b7 {s.plaque.vin}" for s in order]
    assert names == want
    assert {s.get("CutIndex") for s in guides.find("Children")} == {str(TOOL_INDEX)}
    for g, slot in zip(groups, order):
        laser_shapes = [s for s in g.find("Children") if int(s.get("CutIndex")) != TOOL_INDEX]
        b = _bounds(laser_shapes)
        # y-up: the pocket's top edge (model y = slot.y) is at bed_h - slot.y.
        assert b.xmin >= slot.x - 1e-3 and b.xmax <= slot.x + slot.plaque.width + 1e-3
        assert b.ymax <= sheet.bed_h - slot.y + 1e-3
        assert b.ymin >= sheet.bed_h - slot.y - slot.plaque.height - 1e-3
    notes = sheet_root.find("Notes").get("Notes")
    assert all(n in notes for n in want)


def test_not_mirrored_number_stays_bottom_right(composer, template, laser):
    """In LightBurn's y-up frame the number is right of the car and below the signature."""
    p = plaques(composer, 1)[0]
    root = DET.fromstring(plaque_lbrn2(p, template, laser))
    children = root.find("Shape[@Type='Group']/Children")
    engrave = [s for s in children if s.get("CutIndex") == "0"]
    score = [s for s in children if s.get("CutIndex") == "1"]
    n_glyphs = len(p.layer("engrave").paths) - len(composer.engrave)
    number = _bounds(engrave[-n_glyphs:])
    car = _bounds(engrave[:-n_glyphs])
    signature = _bounds(score)
    assert number.xmin > car.xmax - 1e-6  # right of the car
    assert number.ymax < signature.ymin  # y up: below the signature
    assert number.ymin < p.height / 2 and number.xmax > p.width / 2  # bottom-right quadrant
    # And it is exactly the model's box with y' = H - y.
    want = Bounds(0, 0, 0, 0)
    from plaquegen.geometry.paths import bounds_of

    want = bounds_of(p.layer("engrave").paths[-n_glyphs:])
    assert abs(number.xmin - want.xmin) < 0.01 and abs(number.xmax - want.xmax) < 0.01
    assert abs(number.ymin - (p.height - want.ymax)) < 0.01
    assert abs(number.ymax - (p.height - want.ymin)) < 0.01


def test_paths_keep_curves_and_closures(composer, template, laser):
    p = plaques(composer, 1)[0]
    root = DET.fromstring(plaque_lbrn2(p, template, laser))
    shapes = [s for s in root.iter("Shape") if s.get("Type") == "Path"]
    model = [q for name in ("engrave", "score", "cut") for q in p.layer(name).paths]
    assert len(shapes) == len(model)
    for shape, path in zip(shapes, model):
        pts, prims = _vertices(shape)
        curves = sum(1 for s in path.segs if s[0] == "C")
        assert sum(1 for k, _, _ in prims if k == "B") == curves
        assert all(0 <= i < len(pts) and 0 <= j < len(pts) for _, i, j in prims)
        # Every B primitive has handles: outgoing on its start vertex, incoming on its end.
        vt = re.split(r"(?=V)", shape.find("VertList").text)[1:]
        for k, i, j in prims:
            if k == "B":
                assert "c0x" in vt[i] and "c1x" in vt[j]


def test_hostile_label_is_escaped(composer, template, laser):
    p = dataclasses.replace(plaques(composer, 1)[0], label='0462 "/> <x & y', title='<t&"')
    data = plaque_lbrn2(p, template, laser)
    root = DET.fromstring(data)
    assert root.find("Shape[@Type='Group']").get("Name") == '<t&"'


def test_deterministic(sheet, template, laser):
    assert sheet_lbrn2(sheet, template, "b", laser) == sheet_lbrn2(sheet, template, "b", laser)


def test_every_sheet_format_names_a_slot_the_same_on_a_jig_of_over_99_pockets(tmp_path):
    """SVG, DXF and LightBurn take their slot labels from sheets.py: on a 120-pocket jig a
    partial sheet still says "slot 001", like the jig's last pocket "slot 120"."""
    import io

    import ezdxf

    from conftest import template_variant
    from plaquegen.art.compose import Composer
    from plaquegen.writers.dxf import sheet_dxf
    from plaquegen.inputs.register import load_register
    from plaquegen.bed.layout import Sheet, place_in_pockets
    from plaquegen.writers.svg import sheet_svg
    from plaquegen.inputs.template import load_template

    tpl = load_template(template_variant(tmp_path, **{"height = 400.0": "height = 800.0",
                                                      "rows = 11": "rows = 20"}))
    assert tpl.bed.slots == 120
    comp = Composer.prepare(tpl)
    cars = load_register().customers()[:5]
    sheet = Sheet(1, tpl.bed.width, tpl.bed.height,
                  place_in_pockets([comp.compose(c.vin, c.number, 6309) for c in cars], tpl.bed), "s.svg")
    svg = DET.fromstring(sheet_svg(sheet, tpl, "b"))
    ink = "{http://www.inkscape.org/namespaces/inkscape}label"
    svg_labels = {g.get(ink) for g in svg.iter("{http://www.w3.org/2000/svg}g")
                  if g.get("id", "").startswith("slot-")}
    dxf = ezdxf.read(io.StringIO(sheet_dxf(sheet, tpl, "b").decode("utf-8")))
    dxf_labels = {g.dxf.description for _, g in dxf.groups}
    root = DET.fromstring(sheet_lbrn2(sheet, tpl, "b", tpl.laser))
    lbrn_labels = {s.get("Name") for s in root.iter("Shape") if s.get("Type") == "Group"
                   and not s.get("Name").startswith("guides")}
    want = {f"slot {i:03d} \u00b7 {p.label} \u00b7 {p.vin}"
            for i, p in enumerate((s.plaque for s in sheet.slots), start=1)}
    assert svg_labels == dxf_labels == lbrn_labels == want
