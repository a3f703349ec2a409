"""DXF for the shop, read back with ezdxf: audit, units, layers, hatches, area and a render."""
from __future__ import annotations

import dataclasses
import io

import pytest

import ezdxf

from plaquegen.writers.dxf import DXF_LAYERS, filled_shapes, plaque_dxf, sheet_dxf
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


@pytest.mark.parametrize("which", ["plaque_doc", "sheet_doc"])
def test_audit_clean_units_and_layers(which, request):
    doc = request.getfixturevalue(which)
    auditor = doc.audit()
    assert not auditor.has_errors and not auditor.has_fixes, auditor.errors
    assert doc.dxfversion >= "AC1024"  # R2010 or newer
    assert doc.header["$INSUNITS"] == 4 and doc.header["$MEASUREMENT"] == 1
    layers = {l.dxf.name: l for l in doc.layers}
    colours = [layers[n].dxf.color for n in DXF_LAYERS]
    assert len(set(colours)) == 4 and colours == list(DXF_LAYERS.values())
    assert not layers["guide"].dxf.plot  # never output
    assert all(layers[n].dxf.plot for n in ("engrave", "score", "cut"))
    used = {e.dxf.layer for e in doc.modelspace()}
    assert used <= set(DXF_LAYERS) and {"engrave", "score", "cut"} <= used


def test_plaque_extents_are_the_plate_and_bytes_are_deterministic(plaque, template, plaque_doc):
    assert tuple(plaque_doc.header["$EXTMAX"])[:2] == (plaque.width, plaque.height)
    assert plaque_dxf(plaque, template) == plaque_dxf(plaque, template)
    from ezdxf import bbox

    b = bbox.extents(plaque_doc.modelspace())
    assert (round(b.extmin.x, 3), round(b.extmin.y, 3)) == (0, 0)
    assert (round(b.extmax.x, 3), round(b.extmax.y, 3)) == (plaque.width, plaque.height)


def _hatch_geometry(doc, flip_h: float):
    """Union of every HATCH's fill (odd parity over its boundary paths), back in y-down mm."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    shapes = []
    for h in doc.modelspace().query("HATCH"):
        assert h.dxf.solid_fill == 1 and h.dxf.layer == "engrave"
        g = None
        for path in h.paths:
            poly = Polygon([(v[0], flip_h - v[1]) for v in path.vertices]).buffer(0)
            g = poly if g is None else g.symmetric_difference(poly)
        shapes.append(g)
    return unary_union(shapes)


def test_plaque_hatches_count_and_area(plaque, plaque_doc):
    engrave = plaque.layer("engrave").paths
    shapes = sum(len(filled_shapes(p)) for p in engrave)
    hatches = plaque_doc.modelspace().query("HATCH")
    assert len(hatches) == shapes
    # Every hatch boundary is also on the engrave layer as a closed LWPOLYLINE.
    rings = sum(len(h.paths) for h in hatches)
    closed = [e for e in plaque_doc.modelspace().query("LWPOLYLINE[layer=='engrave']") if e.closed]
    assert len(closed) == rings
    want = fill_area_geometry(engrave)
    got = _hatch_geometry(plaque_doc, plaque.height)
    assert abs(got.area - want.area) / want.area < 0.005, (got.area, want.area)
    # Same place, not mirrored: nearly all of the area overlaps.
    assert got.intersection(want).area / want.area > 0.995


def test_sheet_hatches_and_groups(sheet, template, sheet_doc):
    hatches = sheet_doc.modelspace().query("HATCH")
    expected = sum(len(filled_shapes(p)) for s in sheet.slots for p in s.plaque.layer("engrave").paths)
    assert len(hatches) == expected
    want = fill_area_geometry([p.translated(s.x, s.y) for s in sheet.slots
                               for p in s.plaque.layer("engrave").paths])
    got = _hatch_geometry(sheet_doc, sheet.bed_h)
    assert abs(got.area - want.area) / want.area < 0.005
    groups = dict(sheet_doc.groups)
    assert len(groups) == len(sheet.slots)
    for slot in sheet.slots:
        p = slot.plaque
        name = f"slot {slot.index:02d} - {p.label.replace('/', 'of')} - {p.vin}"
        group = groups[name]
        assert group.dxf.description == f"slot {slot.index:02d} \u00b7 {p.label} \u00b7 {p.vin}"
        layers = {e.dxf.layer for e in group}
        assert layers == {"engrave", "score", "cut", "guide"}
        # The group's laser entities lie inside the slot's pocket (y flipped back).
        from ezdxf import bbox

        box = bbox.extents(e for e in group if e.dxf.layer != "guide")
        assert box.extmin.x >= slot.x - 1e-6 and box.extmax.x <= slot.x + p.width + 1e-6
        assert box.extmax.y <= sheet.bed_h - slot.y + 1e-6
        assert box.extmin.y >= sheet.bed_h - slot.y - p.height - 1e-6


def _render_dxf_hatches(doc, w: float, h: float, px: float):
    """ezdxf's own drawing add-on (frontend + SVG backend) draws the HATCHes, cairosvg rasterises."""
    from ezdxf.addons.drawing import Frontend, RenderContext, config, layout, svg

    backend = svg.SVGBackend()
    cfg = config.Configuration(background_policy=config.BackgroundPolicy.WHITE,
                               color_policy=config.ColorPolicy.BLACK)
    Frontend(RenderContext(doc), backend, config=cfg).draw_layout(
        doc.modelspace(), filter_func=lambda e: e.dxftype() == "HATCH")
    page = layout.Page(w, h, layout.Units.mm, margins=layout.Margins.all(0))
    from ezdxf.math import BoundingBox2d

    out = backend.get_string(page, settings=layout.Settings(fit_page=False, scale=1),
                             render_box=BoundingBox2d([(0, 0), (w, h)]))
    return raster_svg(out.encode("utf-8"), px, w, h)


def test_plaque_render_matches_svg(plaque, template, plaque_doc):
    px = 25.0
    svg = raster_svg(svg_layer_only(plaque_svg(plaque, template), "engrave"), px, plaque.width, plaque.height)
    dxf = _render_dxf_hatches(plaque_doc, plaque.width, plaque.height, px)
    score = iou(svg, dxf)
    assert score >= 0.99, score
    # A mirrored drawing would not match: the check can fail.
    assert iou(svg, dxf[::-1]) < 0.9


def test_sheet_render_matches_svg(sheet, template, sheet_doc):
    px = 6.0
    svg = raster_svg(svg_layer_only(sheet_svg(sheet, template, "2025-09"), "engrave"), px,
                     sheet.bed_w, sheet.bed_h)
    dxf = _render_dxf_hatches(sheet_doc, sheet.bed_w, sheet.bed_h, px)
    assert iou(svg, dxf) >= 0.99


def test_hairlines_follow_the_paths(plaque, plaque_doc):
    """Score and cut polylines end where the model's sub-paths end (y flipped), nothing mirrored."""
    msp = plaque_doc.modelspace()
    for name in ("score", "cut"):
        ents = msp.query(f"LWPOLYLINE[layer=='{name}']")
        paths = plaque.layer(name).paths
        assert len(ents) == sum(len(p.subpath_ends) for p in paths)
        for e, p in zip(ents, paths):
            first = e.get_points("xy")[0]
            sx, sy = p.start
            assert abs(first[0] - sx) < 1e-3 and abs(first[1] - (plaque.height - sy)) < 1e-3
            assert e.closed == p.closed


def test_outline_on_guide_layer_when_blanks_come_precut(composer, template):
    from plaquegen.art.compose import Composer

    t = dataclasses.replace(template, outline="guide")
    p = Composer.prepare(t).compose("WBSUR91050VS94332", 462, 6309)
    doc = _read(plaque_dxf(p, t))
    assert not doc.modelspace().query("*[layer=='cut']")
    assert len(doc.modelspace().query("LWPOLYLINE[layer=='guide']")) == 1
