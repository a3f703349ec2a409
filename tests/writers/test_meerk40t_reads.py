"""Our laser files loaded into MeerK40t (open-source laser software, run headless).

MeerK40t 0.9.9100 is a real consumer written by others. Each run gets an empty
temporary HOME, or its operation list leaks from ~/.config/MeerK40t into the next
run. What it is known to ignore is checked structurally in our own file instead,
and each test says so:
  * lbrn2: it drops the layer type and colours (so T1 becomes an ordinary operation),
    leaves Scan shapes unfilled and reads LightBurn's y-up coordinates as its own
    y-down ones without flipping (a LightBurn file shows upside down in it);
  * DXF: it re-centres drawings on its bed and ignores the layer plot flag
    (so no guide may be in a DXF at all: tests/writers/test_guides.py).
"""
from __future__ import annotations

import pytest

from plaquegen.writers.dxf import DXF_LAYER_NAMES, filled_shapes, flatten, plaque_dxf, sheet_dxf
from plaquegen.writers.lbrn import TOOL_INDEX, plaque_lbrn2, sheet_lbrn2
from plaquegen.writers.svg import sheet_svg
from plaquegen.writers.svg import plaque_svg

from helpers.shopfiles import MEERK40T, meerk40t_bounds, meerk40t_tree, plaques, run_meerk40t, sheet_of

pytestmark = pytest.mark.skipif(MEERK40T is None, reason="meerk40t is not installed "
                                "(pip install meerk40t pillow numpy; .ci/run installs it)")

TOL = 0.01  # mm: MeerK40t's native unit is 1/65535 inch-ish; its mm round-trip is ~5 ppm


@pytest.fixture(scope="module")
def plaque(composer):
    return plaques(composer, 1)[0]


@pytest.fixture(scope="module")
def sheet(composer, template):
    return sheet_of(composer, template, 4)


def _load(tmp_path, name: str, data: bytes, bounds: bool = True):
    f = tmp_path / name
    f.write_bytes(data)
    text = run_meerk40t(f, tmp_path / "home", *(["element* property-get bounds"] if bounds else []))
    assert "Traceback" not in text, text[-3000:]
    return meerk40t_tree(text), meerk40t_bounds(text)


def _model_bounds(p, names=("engrave", "score", "cut")):
    return [q.bounds for n in names if p.layer(n) for q in p.layer(n).paths]


def _ops(tree):
    return {(kind, label): refs for kind, label, refs in tree["ops"]}


def test_plaque_svg(tmp_path, plaque, template):
    tree, bounds = _load(tmp_path, "p.svg", plaque_svg(plaque, template))
    refs = [refs for kind, _l, refs in tree["ops"]]
    kinds = [kind for kind, _l, _r in tree["ops"]]
    assert kinds == ["op raster", "op engrave", "op cut"]  # fill, blue line, red line
    assert refs == [len(plaque.layer(n).paths) for n in ("engrave", "score", "cut")]
    want = _model_bounds(plaque)
    assert len(bounds) == len(want)
    for got, b in zip(bounds, want):
        assert all(abs(g - w) < TOL for g, w in zip(got, (b.xmin, b.ymin, b.xmax, b.ymax))), (got, b)


def test_sheet_svg_holds_laser_paths_only(tmp_path, sheet, template):
    tree, _ = _load(tmp_path, "s.svg", sheet_svg(sheet, template, "2025-09"), bounds=False)
    laser_paths = sum(len(s.plaque.layer(n).paths) for s in sheet.slots for n in ("engrave", "score", "cut"))
    assert sum(refs for _k, _l, refs in tree["ops"]) == laser_paths
    assert tree["regmarks"] == 0  # no hidden guide left for it to file away


def test_plaque_lbrn2(tmp_path, plaque, template):
    tree, bounds = _load(tmp_path, "p.lbrn2", plaque_lbrn2(plaque, template, template.laser))
    ops = _ops(tree)
    assert ops == {("op raster", "engrave (fill)"): len(plaque.layer("engrave").paths),
                   ("op cut", "score (line)"): len(plaque.layer("score").paths),
                   ("op cut", "cut (outline)"): len(plaque.layer("cut").paths)}
    # MeerK40t keeps LightBurn's y-up numbers as its y-down ones: its box of each shape
    # is ours with y' = H - y. Sizes in mm equal ours exactly.
    want = _model_bounds(plaque)
    assert len(bounds) == len(want)
    H = plaque.height
    for got, b in zip(bounds, want):
        assert all(abs(g - w) < TOL for g, w in zip(got, (b.xmin, H - b.ymax, b.xmax, H - b.ymin))), (got, b)


def test_sheet_lbrn2_guides_only_on_the_tool_layer(tmp_path, sheet, template):
    data = sheet_lbrn2(sheet, template, "2025-09", template.laser)
    tree, bounds = _load(tmp_path, "s.lbrn2", data)
    ops = _ops(tree)
    n = {name: sum(len(s.plaque.layer(name).paths) for s in sheet.slots) for name in ("engrave", "score", "cut")}
    assert ops[("op raster", "engrave (fill)")] == n["engrave"]
    assert ops[("op cut", "score (line)")] == n["score"]
    assert ops[("op cut", "cut (outline)")] == n["cut"]
    # MeerK40t ignores the layer type, so the T1 layer becomes an operation of its own holding
    # every guide path and nothing else; in our file that layer is LightBurn's Tool layer,
    # which LightBurn never outputs.
    guides = [k for k in ops if k[1].startswith("T1")]
    assert len(guides) == 1
    assert ops[guides[0]] == len(tree["elems"]) - sum(n.values())
    assert f'<CutSetting type="Tool">\n        <index Value="{TOOL_INDEX}"/>' in data.decode()
    groups = [e for e in tree["elems"]]
    assert len(bounds) == len(groups)
    # Everything on the bed (in MeerK40t's unflipped reading too).
    assert all(0 <= b[0] and b[2] <= sheet.bed_w + TOL and 0 <= b[1] and b[3] <= sheet.bed_h + TOL for b in bounds)


def _dxf_counts(p):
    eng = p.layer("engrave").paths
    return {"engrave": sum(1 + len(s.holes) for q in eng for s in filled_shapes(q)),
            "score": sum(len(flatten(q.segs)) for q in p.layer("score").paths),
            "cut": sum(len(flatten(q.segs)) for q in p.layer("cut").paths)}


def test_plaque_dxf(tmp_path, plaque, template):
    tree, bounds = _load(tmp_path, "p.dxf", plaque_dxf(plaque, template))
    elems = tree["elems"]
    c = _dxf_counts(plaque)
    assert len(elems) == sum(c.values())  # polylines only: no HATCH
    for name in ("engrave", "score", "cut"):
        assert elems.count(("elem polyline", DXF_LAYER_NAMES[name])) == c[name]
    # MeerK40t moves the drawing onto its bed: compare sizes and offsets from the plate
    # outline (the last element, on the cut layer), which must be the plate, 80 x 24 mm.
    polys = [b for b, e in zip(bounds, elems) if e[0] == "elem polyline"]
    ox, oy, ex, ey = polys[-1]
    assert abs(ex - ox - plaque.width) < TOL and abs(ey - oy - plaque.height) < TOL
    sig = plaque.layer("score").paths[0].bounds
    got = polys[-1 - c["score"]]
    # y-down in MeerK40t, not mirrored: the signature keeps its distance from the top edge.
    assert abs(got[0] - ox - sig.xmin) < TOL and abs(got[1] - oy - sig.ymin) < TOL
    assert abs(got[3] - oy - sig.ymax) < TOL


def test_sheet_dxf_laser_entities_only(tmp_path, sheet, template):
    data = sheet_dxf(sheet, template, "2025-09")
    tree, _ = _load(tmp_path, "s.dxf", data, bounds=False)
    elems = tree["elems"]
    want = sum(sum(_dxf_counts(s.plaque).values()) for s in sheet.slots)
    assert len(elems) == want  # every entity a laser polyline: no guide layer to ignore
    assert all(label in DXF_LAYER_NAMES.values() for _k, label in elems)
