"""Geometry the laser gets right (issue 14): fill-rule-proof fills, laser order, one group per
plaque, hatch output and time estimates, checked on the files a real batch wrote."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
import shapely
from shapely.geometry import LinearRing, Polygon

from conftest import INKSCAPE

SVG = "{http://www.w3.org/2000/svg}"
INK = "{http://www.inkscape.org/namespaces/inkscape}"
TOKEN = re.compile(r"[MLCZ]|-?\d+(?:\.\d+)?(?:e-?\d+)?")
VPYPE = shutil.which("vpype")


# ------------------------------------------------------------------ helpers


def _segs(d: str) -> list[tuple]:
    """Parse our absolute M/L/C/Z path data back into command tuples."""
    out, toks, i = [], TOKEN.findall(d), 0
    while i < len(toks):
        op = toks[i]
        n = {"M": 2, "L": 2, "C": 6, "Z": 0}[op]
        out.append((op, *map(float, toks[i + 1:i + 1 + n])))
        i += 1 + n
    return out


def _rings(d: str) -> list[list[tuple[float, float]]]:
    from plaquegen.geometry.contours import flatten_subpath
    from plaquegen.geometry.paths import split_subpaths

    rings = []
    for sp in split_subpaths(_segs(d)):
        assert sp[-1][0] == "Z", "every engrave contour is closed"
        rings.append(flatten_subpath(sp, 0.005))
    return rings


def _with_rule(svg: bytes, rule: str) -> bytes:
    """Every path's fill rule set to ``rule`` (attribute rewritten, or added where absent)."""
    text = re.sub(r'\sfill-rule="[a-z]+"', "", svg.decode("utf-8"))
    return text.replace("<path ", f'<path fill-rule="{rule}" ').encode("utf-8")


def _ink(svg: bytes, px_per_mm: float):
    import cairosvg
    import numpy as np
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg, dpi=25.4 * px_per_mm, background_color="white")
    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    return a < 128


def _iou(svg: bytes, px_per_mm: float) -> float:
    a = _ink(_with_rule(svg, "evenodd"), px_per_mm)
    b = _ink(_with_rule(svg, "nonzero"), px_per_mm)
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def _engrave_only(svg: bytes) -> bytes:
    """The file with its engrave layer only (the filled layer whose fill rule matters)."""
    root = ET.fromstring(svg)
    import xml.etree.ElementTree as E

    for g in list(root):
        if g.tag == f"{SVG}g" and g.get("id") != "layer-engrave":
            root.remove(g)
    return E.tostring(root)


# ------------------------------------------------------------------ fill rule


def test_every_engrave_file_and_sheet_fills_the_same_under_both_rules(example_batch):
    files = sorted((example_batch.folder / "engrave").glob("*.svg"))
    assert len(files) == example_batch.plaques
    for f in files:
        assert _iou(_engrave_only(f.read_bytes()), 10) >= 0.999, f.name
    for s in sorted((example_batch.folder / "sheets").glob("sheet-??.svg")):
        assert _iou(_engrave_only(s.read_bytes()), 4) >= 0.999, s.name


def test_the_raw_artwork_would_fail_that_check(template):
    """The check can fail: the silhouette as the designer drew it differs between the rules."""
    from plaquegen.art.artwork import fit_artwork, load_artwork
    from plaquegen.writers.svg import path_data

    spec = template.silhouette
    raw = fit_artwork(load_artwork(spec.file, spec.mode), spec.place.box)
    body = "".join(f'<path d="{path_data(p)}" fill-rule="{p.fill_rule}"/>' for p in raw)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="80mm" height="24mm" viewBox="0 0 80 24">'
           f'<g fill="#000">{body}</g></svg>').encode()
    assert _iou(svg, 10) < 0.95


def test_proof_area_is_what_the_designer_meant(composer, template):
    """Normalised contours fill exactly the area the artwork's own fill rule gave (even-odd)."""
    from plaquegen.art.artwork import fit_artwork, load_artwork
    from plaquegen.geometry.area import fill_geometry, path_geometry

    spec = template.silhouette
    raw = fit_artwork(load_artwork(spec.file, spec.mode), spec.place.box)
    intended = shapely.union_all([path_geometry(p) for p in raw])  # per path even-odd (their rule)
    assert all(p.fill_rule == "evenodd" or len(p.segs) < 10 for p in raw)
    ours = fill_geometry(composer.engrave)
    assert abs(ours.area - intended.area) < 0.01 * intended.area
    assert ours.symmetric_difference(intended).area < 0.002 * intended.area


def test_every_engrave_contour_is_closed_simple_and_wound_as_specified(example_batch):
    from plaquegen.geometry.contours import signed_area

    for f in sorted((example_batch.folder / "engrave").glob("*.svg")):
        layer = next(g for g in ET.parse(f).getroot() if g.get("id") == "layer-engrave")
        for el in layer.iter(f"{SVG}path"):
            rings = _rings(el.get("d"))
            lrs = [LinearRing(r) for r in rings]
            assert all(lr.is_simple and lr.is_valid for lr in lrs), f.name
            for i in range(len(lrs)):
                for j in range(i + 1, len(lrs)):
                    assert not lrs[i].intersects(lrs[j]), f"{f.name}: contours {i} and {j} touch"
            polys = [Polygon(r) for r in rings]
            for i, r in enumerate(rings):
                depth = sum(1 for j, p in enumerate(polys) if j != i and p.contains(shapely.Point(r[0])))
                # outers (even depth) clockwise on screen (positive area, y down), holes opposite
                assert (signed_area(r) > 0) == (depth % 2 == 0), (f.name, i, depth)


def test_contours_rewind_drop_and_resolve():
    from plaquegen.geometry.contours import normalize_segs, signed_area, flatten_subpath
    from plaquegen.geometry.area import path_geometry
    from plaquegen.geometry.paths import Path, split_subpaths

    def sq(x, y, s, cw=True):
        pts = [(x, y), (x + s, y), (x + s, y + s), (x, y + s)]
        if not cw:
            pts.reverse()
        return [("M", *pts[0])] + [("L", *p) for p in pts[1:]] + [("Z",)]

    def areas(segs):
        return [round(signed_area(flatten_subpath(sp)), 6) for sp in split_subpaths(segs)]

    same = tuple(sq(0, 0, 10) + sq(2, 2, 6))          # both clockwise
    assert areas(normalize_segs(same, "evenodd")) == [100.0, -36.0]   # the hole reversed
    assert areas(normalize_segs(same, "nonzero")) == [100.0]          # the inner bounds nothing
    island = tuple(sq(0, 0, 10, False) + sq(2, 2, 6, False) + sq(4, 4, 2, False))
    assert areas(normalize_segs(island, "evenodd")) == [100.0, -36.0, 4.0]
    # two overlapping squares in one path: under even-odd their overlap is a hole
    over = tuple(sq(0, 0, 10) + sq(5, 5, 10))
    ev = normalize_segs(over, "evenodd")
    nz = normalize_segs(over, "nonzero")
    assert abs(path_geometry(Path(ev)).area - (200 - 2 * 25)) < 1e-6
    assert abs(path_geometry(Path(nz)).area - 175) < 1e-6
    for segs in (ev, nz):
        rings = [LinearRing(flatten_subpath(sp)) for sp in split_subpaths(segs)]
        assert all(r.is_simple for r in rings)
    # a bow tie (self-intersecting) becomes two simple triangles, both clockwise
    bow = (("M", 0, 0), ("L", 10, 10), ("L", 10, 0), ("L", 0, 10), ("Z",))
    out = normalize_segs(bow, "nonzero")
    assert sorted(areas(out)) == [25.0, 25.0]


def test_curves_stay_curves(composer):
    """The example artwork has no crossing contours: every Bézier is kept, none flattened."""
    from plaquegen.art.artwork import fit_artwork, load_artwork

    spec = composer.template.silhouette
    raw = fit_artwork(load_artwork(spec.file, spec.mode), spec.place.box)
    n_raw = sum(1 for p in raw for s in p.segs if s[0] == "C")
    n_ours = sum(1 for p in composer.engrave for s in p.segs if s[0] == "C")
    assert n_raw == n_ours > 50


def test_glyph_outlines_are_wound_as_specified(composer):
    from plaquegen.geometry.contours import flatten_subpath, signed_area
    from plaquegen.geometry.paths import split_subpaths

    run = composer.font.run("0462 / 6309 8", 3.2)
    for p in run.paths:
        rings = [flatten_subpath(sp) for sp in split_subpaths(p.segs)]
        polys = [Polygon(r) for r in rings]
        for i, r in enumerate(rings):
            depth = sum(1 for j, q in enumerate(polys) if j != i and q.contains(shapely.Point(r[0])))
            assert (signed_area(r) > 0) == (depth % 2 == 0)


# ------------------------------------------------------------------ groups


def test_one_group_per_plaque_per_layer_named_after_slot_and_car(example_batch):
    import csv

    rows = list(csv.DictReader(io.StringIO((example_batch.folder / "manifest.csv").read_text("utf-8-sig"))))
    sheet = sorted((example_batch.folder / "sheets").glob("sheet-??.svg"))[0]
    root = ET.parse(sheet).getroot()
    layers = {g.get("id"): g for g in root if g.tag == f"{SVG}g"}
    for name in ("engrave", "score", "cut"):
        groups = list(layers[f"layer-{name}"])
        assert all(g.tag == f"{SVG}g" for g in groups)
        assert len(groups) == example_batch.plaques
        ids = {g.get("id") for g in groups}
        assert ids == {f"slot-{i:02d}-{name}" for i in range(1, example_batch.plaques + 1)}
        for g in groups:
            assert re.fullmatch(r"slot-\d{2}-[a-z]+", g.get("id"))
            m = re.fullmatch(r"slot (\d{2}) \u00b7 (\d{4} / \d+) \u00b7 ([A-Z0-9]{17})", g.get(f"{INK}label"))
            assert m, g.get(f"{INK}label")
            assert any(r["vin"] == m.group(3) and r["label"] == m.group(2) for r in rows)
    assert "layer-guide" not in layers  # guides are in sheet-NN-guides.svg, not in a laser file


@pytest.mark.skipif(not INKSCAPE, reason="inkscape not installed")
def test_inkscape_lists_one_group_per_plaque_per_layer(example_batch):
    sheet = sorted((example_batch.folder / "sheets").glob("sheet-??.svg"))[0]
    r = subprocess.run([INKSCAPE, "--query-all", str(sheet)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    ids = [line.split(",")[0] for line in r.stdout.splitlines()]
    for name in ("engrave", "score", "cut"):
        got = [i for i in ids if re.fullmatch(rf"slot-\d\d-{name}", i)]
        assert len(got) == len(set(got)) == example_batch.plaques, name


# ------------------------------------------------------------------ travel


def _vpype_penup(svg: Path, *cmd: str) -> float:
    out = subprocess.run([VPYPE, "read", "-q", "0.01mm", str(svg), *cmd, "stat"],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    return float(re.search(r"Pen-up length: ([0-9.e+-]+)", out[out.index("Totals"):]).group(1)) * 25.4 / 96


@pytest.mark.skipif(not VPYPE, reason="vpype not installed (test extra)")
def test_sheet_travel_no_longer_than_vpype_two_opt(example_batch, tmp_path):
    import xml.etree.ElementTree as E

    sheet = sorted((example_batch.folder / "sheets").glob("sheet-??.svg"))[0]
    E.register_namespace("", "http://www.w3.org/2000/svg")
    E.register_namespace("inkscape", "http://www.inkscape.org/namespaces/inkscape")
    E.register_namespace("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd")
    tree = E.ElementTree(E.fromstring(sheet.read_bytes()))  # laser layers only (no guides)
    f = tmp_path / "laser.svg"
    tree.write(f)
    ours = _vpype_penup(f)
    theirs = _vpype_penup(f, "linesort", "--two-opt")
    assert ours <= theirs + 0.01, (ours, theirs)
    assert ours < 0.5 * 12518  # the file order before issue 14 travelled 12,518 mm


def test_laser_run_keeps_every_path_and_inner_before_outer(composer, register, template):
    from plaquegen.bed.layout import laser_run, lay_out_sheets

    cars = [register.by_number(n) for n in range(1, 40)]
    plaques = [composer.compose(c.vin, c.number, register.total) for c in cars]
    sheet = lay_out_sheets(plaques, template.bed)[0]
    run = laser_run(sheet)
    assert [n for n, _ in run.layers] == ["engrave", "score", "cut"]
    for name, slots in run.layers:
        assert sorted(s.index for s, _ in slots) == list(range(1, len(plaques) + 1))
        for slot, paths in slots:
            mine = slot.plaque.layer(name).paths
            # same shapes: same drawn length and same filled area
            assert abs(sum(p.length for p in paths) - sum(p.length for p in mine)) < 1e-6
    assert run == laser_run(sheet)  # deterministic
    # an inner cut runs before the outer one
    from plaquegen.geometry.paths import rounded_rect
    from plaquegen.laser.order import order_layer

    outer, inner = rounded_rect(0, 0, 80, 24, 2), rounded_rect(10, 5, 10, 10, 1)
    assert order_layer([outer, inner], inner_first=True)[0].bounds == inner.bounds


def test_rotated_and_reversed_paths_are_the_same_shapes(composer):
    from plaquegen.geometry.area import path_geometry
    from plaquegen.geometry.paths import Path
    from plaquegen.laser.order import reverse_path
    from plaquegen.laser.units import _rotate_closed

    p = composer.engrave[0]
    from plaquegen.geometry.paths import split_subpaths

    sp = split_subpaths(p.segs)[0]
    for k in (1, 5, len(sp) - 2):
        q = Path(tuple(_rotate_closed(sp, k)))
        assert abs(path_geometry(q).area - path_geometry(Path(tuple(sp))).area) < 1e-9
        assert abs(q.length - Path(tuple(sp)).length) < 1e-9
    stroke = composer.score[0]
    r = reverse_path(stroke)
    assert r.start == stroke.end and r.end == stroke.start and abs(r.length - stroke.length) < 1e-9


# ------------------------------------------------------------------ hatch and estimates


def test_hatch_lines_stay_inside_and_cover_the_fill(composer, register):
    from plaquegen.geometry.area import fill_geometry
    from plaquegen.geometry.hatch import hatch_paths

    car = register.by_number(462)
    paths = composer.compose(car.vin, car.number, register.total).layer("engrave").paths
    area = fill_geometry(paths)
    inside = area.buffer(1e-6)
    for interval, angle, bidi, cross in ((0.1, 0.0, True, False), (0.2, 30.0, False, True)):
        lines = hatch_paths(paths, interval, angle, bidi, cross)
        assert lines and all(not p.closed and len(p.segs) == 2 for p in lines)
        strokes = [shapely.LineString([p.start, p.end]) for p in lines]
        assert all(inside.contains(s) for s in strokes)
        # each line stands for one interval-wide strip: hatched area = fill area
        passes = 2 if cross else 1
        hatched = sum(p.length for p in lines) * interval / passes
        assert abs(hatched - area.area) < 0.02 * area.area, (hatched, area.area)
    # bidirectional: consecutive scan lines run opposite ways
    lines = hatch_paths(paths, 0.5, 0.0, True)
    dirs = {}
    for p in lines:
        dirs.setdefault(round(p.start[1], 6), set()).add(p.end[0] > p.start[0])
    ys = sorted(dirs)
    assert all(len(dirs[y]) == 1 for y in ys)
    assert all(dirs[a] != dirs[b] for a, b in zip(ys, ys[1:]))


def test_estimates_follow_the_documented_model(composer, register, template):
    from plaquegen.laser.estimate import EstimateParams, plaque_estimate, sheet_estimate
    from plaquegen.geometry.hatch import hatch_paths
    from plaquegen.bed.layout import laser_run, lay_out_sheets

    car = register.by_number(462)
    plaque = composer.compose(car.vin, car.number, register.total)
    prm = EstimateParams(fill_speed=1000, interval=0.05, bidirectional=True, score_speed=500,
                         cut_speed=50, rapid_speed=5000, overscan=1.0, overhead=2.0)
    e = plaque_estimate(plaque, prm)
    assert 400 < e.fill_area < 550
    assert abs(e.hatch_length - e.fill_area / 0.05) < 1e-6
    # the scan-segment model matches the hatch lines actually generated
    n = len(hatch_paths(plaque.layer("engrave").paths, 0.05))
    assert abs(e.scan_segments - n) < 0.03 * n
    assert abs(e.fill_time - (e.hatch_length + 2 * 1.0 * e.scan_segments) / 1000) < 1e-9
    assert e.overhead_time == 6.0 and e.travel_length == plaque.travel_length
    uni = plaque_estimate(plaque, EstimateParams(**{**prm.__dict__, "bidirectional": False}))
    assert uni.fill_time > e.fill_time
    sheet = lay_out_sheets([plaque, composer.compose(*_car(register, 17))], template.bed)[0]
    s = sheet_estimate(laser_run(sheet), prm)
    assert 2 * e.fill_area * 0.99 < s.fill_area < 2 * e.fill_area * 1.01
    assert s.seconds > e.seconds


def _car(register, n):
    c = register.by_number(n)
    return c.vin, c.number, register.total


def test_unresolvable_contours_are_refused_in_one_sentence():
    from plaquegen.geometry.contours import ContourError, _check
    from plaquegen.core.errors import PlaquegenError

    bow = (("M", 0, 0), ("L", 10, 10), ("L", 10, 0), ("L", 0, 10), ("Z",))
    with pytest.raises(ContourError) as e:
        _check(bow, "car.svg", 0.01)
    assert isinstance(e.value, PlaquegenError)
    msg = str(e.value)
    assert msg.startswith("car.svg ") and msg.endswith(".") and msg.count(". ") == 0
    _check((("M", 0, 0), ("L", 10, 0), ("L", 10, 10), ("Z",)), "ok.svg", 0.01)  # a simple one passes
