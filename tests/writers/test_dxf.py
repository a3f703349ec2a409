"""DXF for the shop, read back with ezdxf: audit, units, layers, colours, each engrave contour
once (even-odd area), no guide, and a render."""
from __future__ import annotations

import dataclasses
import io

import pytest

import ezdxf

from plaquegen.writers.dxf import DXF_LAYER_NAMES, DXF_LAYERS, filled_shapes, plaque_dxf, sheet_dxf
from plaquegen.writers.svg import sheet_svg
from plaquegen.writers.svg import plaque_svg

from helpers.shopfiles import (fill_area_geometry, iou, plaques, raster_svg, sheet_of,
                       svg_layer_only)


def _read(data: bytes):
    return ezdxf.read(io.StringIO(data.decode("utf-8")))


@pytest.fixture(scope="module")
def plaque(composer):
    return plaques(composer, 1)[0]


@pytest.fixture(scope="module")
def sheet(composer, template):
    return sheet_of(composer, template, 8)


@pytest.fixture(scope="module")
def plaque_doc(plaque, template):
    return _read(plaque_dxf(plaque, template))


@pytest.fixture(scope="module")
def sheet_doc(sheet, template):
    return _read(sheet_dxf(sheet, template, "2025-09"))


ENG, SCO, CUT = (DXF_LAYER_NAMES[n] for n in ("engrave", "score", "cut"))


@pytest.mark.parametrize("which", ["plaque_doc", "sheet_doc"])
def test_audit_clean_units_layers_and_colours(which, request):
    doc = request.getfixturevalue(which)
    auditor = doc.audit()
    assert not auditor.has_errors and not auditor.has_fixes, auditor.errors
    assert doc.dxfversion >= "AC1024"  # R2010 or newer
    assert doc.header["$INSUNITS"] == 4 and doc.header["$MEASUREMENT"] == 1
    layers = {l.dxf.name: l for l in doc.layers}
    assert set(layers) == {"0", "Defpoints", ENG, SCO, CUT}  # operation names; no guide layer
    assert [layers[DXF_LAYER_NAMES[n]].dxf.color for n in DXF_LAYERS] == [250, 5, 1]
    used = {e.dxf.layer for e in doc.modelspace()}
    assert used == {ENG, SCO, CUT}
    want_rgb = {ENG: (0, 0, 0), SCO: (0, 0, 255), CUT: (255, 0, 0)}
    for e in doc.modelspace():
        assert e.dxftype() == "LWPOLYLINE"  # no HATCH, no SPLINE, no TEXT
        # explicit colour on every entity: never BYLAYER (256), BYBLOCK (0) or white (7)
        assert e.dxf.color not in (0, 7, 256) and e.rgb == want_rgb[e.dxf.layer]


def test_plaque_extents_are_the_plate_and_bytes_are_deterministic(plaque, template, plaque_doc):
    assert tuple(plaque_doc.header["$EXTMAX"])[:2] == (plaque.width, plaque.height)
    assert plaque_dxf(plaque, template) == plaque_dxf(plaque, template)
    from ezdxf import bbox

    b = bbox.extents(plaque_doc.modelspace())
    assert (round(b.extmin.x, 3), round(b.extmin.y, 3)) == (0, 0)
    assert (round(b.extmax.x, 3), round(b.extmax.y, 3)) == (plaque.width, plaque.height)


def _even_odd(doc, flip_h: float):
    """What a laser program fills on the engrave layer: the even-odd fill of all its closed
    polylines together (LightBurn fills "the area between two outlines"), in y-down mm.
    A contour written twice cancels itself here, as it would on the machine."""
    from shapely.geometry import Polygon

    g = None
    for e in doc.modelspace().query(f"LWPOLYLINE[layer=='{ENG}']"):
        assert e.closed
        poly = Polygon([(x, flip_h - y) for x, y in e.get_points("xy")]).buffer(0)
        g = poly if g is None else g.symmetric_difference(poly)
    return g


def _rings(doc):
    return [tuple(e.get_points("xy")) for e in doc.modelspace().query(f"LWPOLYLINE[layer=='{ENG}']")]


def test_plaque_each_engrave_contour_once_and_area(plaque, plaque_doc):
    engrave = plaque.layer("engrave").paths
    rings = _rings(plaque_doc)
    assert len(rings) == sum(1 + len(s.holes) for p in engrave for s in filled_shapes(p))
    assert len(set(rings)) == len(rings)  # no contour twice
    want = fill_area_geometry(engrave)
    got = _even_odd(plaque_doc, plaque.height)
    assert abs(got.area - want.area) / want.area < 0.005, (got.area, want.area)
    # Same place, not mirrored: nearly all of the area overlaps.
    assert got.intersection(want).area / want.area > 0.995


def test_sheet_contours_area_and_groups(sheet, template, sheet_doc):
    rings = _rings(sheet_doc)
    expected = sum(1 + len(sh.holes) for s in sheet.slots for p in s.plaque.layer("engrave").paths
                   for sh in filled_shapes(p))
    assert len(rings) == expected and len(set(rings)) == len(rings)
    want = fill_area_geometry([p.translated(s.x, s.y) for s in sheet.slots
                               for p in s.plaque.layer("engrave").paths])
    got = _even_odd(sheet_doc, sheet.bed_h)
    assert abs(got.area - want.area) / want.area < 0.005
    groups = dict(sheet_doc.groups)
    assert len(groups) == len(sheet.slots)
    for slot in sheet.slots:
        p = slot.plaque
        name = f"slot {slot.index:02d} - {p.label.replace('/', 'of')} - {p.vin}"
        group = groups[name]
        assert group.dxf.description == f"slot {slot.index:02d} \u00b7 {p.label} \u00b7 {p.vin}"
        assert {e.dxf.layer for e in group} == {ENG, SCO, CUT}
        # The group's entities lie inside the slot's pocket (y flipped back): no label below it.
        from ezdxf import bbox

        box = bbox.extents(group)
        assert box.extmin.x >= slot.x - 1e-6 and box.extmax.x <= slot.x + p.width + 1e-6
        assert box.extmax.y <= sheet.bed_h - slot.y + 1e-6
        assert box.extmin.y >= sheet.bed_h - slot.y - p.height - 1e-6


def _render_fill(doc, w: float, h: float, px: float):
    """The engrave layer's even-odd fill drawn by cairosvg from the DXF's own polylines."""
    d = "".join("M" + "L".join(f"{x:.4f} {h - y:.4f}" for x, y in ring) + "Z" for ring in _rings(doc))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
           f'viewBox="0 0 {w} {h}"><path d="{d}" fill="#000" fill-rule="evenodd"/></svg>')
    return raster_svg(svg.encode(), px, w, h)


def test_plaque_render_matches_svg(plaque, template, plaque_doc):
    px = 25.0
    svg = raster_svg(svg_layer_only(plaque_svg(plaque, template), "engrave"), px, plaque.width, plaque.height)
    dxf = _render_fill(plaque_doc, plaque.width, plaque.height, px)
    score = iou(svg, dxf)
    assert score >= 0.99, score
    # A mirrored drawing would not match: the check can fail.
    assert iou(svg, dxf[::-1]) < 0.9


def test_sheet_render_matches_svg(sheet, template, sheet_doc):
    px = 6.0
    svg = raster_svg(svg_layer_only(sheet_svg(sheet, template, "2025-09"), "engrave"), px,
                     sheet.bed_w, sheet.bed_h)
    dxf = _render_fill(sheet_doc, sheet.bed_w, sheet.bed_h, px)
    assert iou(svg, dxf) >= 0.99


def test_hairlines_follow_the_paths(plaque, plaque_doc):
    """Score and cut polylines end where the model's sub-paths end (y flipped), nothing mirrored."""
    msp = plaque_doc.modelspace()
    for name in ("score", "cut"):
        ents = msp.query(f"LWPOLYLINE[layer=='{DXF_LAYER_NAMES[name]}']")
        paths = plaque.layer(name).paths
        assert len(ents) == sum(len(p.subpath_ends) for p in paths)
        for e, p in zip(ents, paths):
            first = e.get_points("xy")[0]
            sx, sy = p.start
            assert abs(first[0] - sx) < 1e-3 and abs(first[1] - (plaque.height - sy)) < 1e-3
            assert e.closed == p.closed


def test_precut_blank_outline_is_not_in_the_laser_file(composer, template):
    from plaquegen.art.compose import Composer

    t = dataclasses.replace(template, outline="guide")
    p = Composer.prepare(t).compose("WBSUR91050VS94332", 462, 6309)
    doc = _read(plaque_dxf(p, t))
    assert p.layer("guide") and len(p.layer("guide").paths) == 1  # the blank's outline exists
    assert {e.dxf.layer for e in doc.modelspace()} == {ENG, SCO}  # but only laser geometry is written


def test_precut_blank_outline_is_in_no_plaque_laser_file(composer, template):
    """outline = "guide": the blank's outline is composed (the sheet guides draw it) but no
    plaque file a laser reads holds it: not the SVG (not even hidden), not the DXF or lbrn2."""
    import defusedxml.ElementTree as DET

    from plaquegen.art.compose import Composer
    from plaquegen.writers.lbrn import TOOL_INDEX, plaque_lbrn2
    from plaquegen.writers.svg import plaque_svg

    t = dataclasses.replace(template, outline="guide")
    p = Composer.prepare(t).compose("WBSUR91050VS94332", 462, 6309)
    assert p.layer("guide") and len(p.layer("guide").paths) == 1
    svg = plaque_svg(p, t)
    ids = [g.get("id") for g in DET.fromstring(svg) if g.tag.endswith("}g")]
    assert ids == ["layer-engrave", "layer-score"] and b"display:none" not in svg
    root = DET.fromstring(plaque_lbrn2(p, t, t.laser))
    assert {s.get("CutIndex") for s in root.iter("Shape") if s.get("Type") == "Path"} == {"0", "1"}
    assert str(TOOL_INDEX) not in {c.find("index").get("Value") for c in root.findall("CutSetting")}
