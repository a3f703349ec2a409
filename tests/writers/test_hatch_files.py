"""Hatch output ([output] engrave = "hatch"): the fill written as hairline lines clipped to the
shapes, for controllers that cannot fill; the proof still shows the filled area."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from shapely.geometry import LineString

from conftest import read_csv, template_variant, write_orders
from plaquegen.pipeline.batch import BatchOptions, run_batch
from plaquegen.art.compose import Composer
from plaquegen.geometry.area import fill_geometry
from plaquegen.writers.svg import plaque_svg
from plaquegen.inputs.template import load_template

SVG = "{http://www.w3.org/2000/svg}"


def _hatch_template(tmp_path, cross=False):
    def edit(text: str) -> str:
        text = text.replace('engrave = "fill"', 'engrave = "hatch"')
        return text.replace("cross_hatch = false", "cross_hatch = true") if cross else text
    return load_template(template_variant(tmp_path, edit=edit))


def _lines(svg: bytes) -> list[LineString]:
    root = ET.fromstring(svg)
    (layer,) = [g for g in root.iter(f"{SVG}g") if g.get("id") == "layer-engrave"]
    assert layer.get("fill") == "none" and layer.get("stroke") == "#000000"
    out = []
    for p in layer.iter(f"{SVG}path"):
        assert p.get("fill-rule") is None
        toks = p.get("d").replace("M", " M ").replace("L", " L ").split()
        i = 0
        while i < len(toks):
            assert toks[i] == "M" and toks[i + 3] == "L", toks[i:i + 6]
            a = (float(toks[i + 1]), float(toks[i + 2]))
            b = (float(toks[i + 4]), float(toks[i + 5]))
            out.append(LineString([a, b]))
            i += 6
    return out


def test_hatch_lines_stay_inside_and_cover_the_fill(tmp_path, register):
    tpl = _hatch_template(tmp_path)
    car = register.by_number(462)
    plaque = Composer.prepare(tpl).compose(car.vin, car.number, register.total)
    lines = _lines(plaque_svg(plaque, tpl))
    area = fill_geometry(plaque.layer("engrave").paths)
    inside = area.buffer(0.002)  # coordinates are written to 0.001 mm
    assert len(lines) > 1000
    outside = [l for l in lines if not inside.contains(l)]
    assert outside == [], f"{len(outside)} hatch lines leave the shape"
    interval = tpl.laser.engrave.interval
    covered = sum(l.length for l in lines) * interval
    assert abs(covered - area.area) < 0.03 * area.area, (covered, area.area)
    # bidirectional: consecutive scan lines run in opposite directions
    dirs = [l.coords[1][0] - l.coords[0][0] for l in lines[:200]]
    assert any(d > 0 for d in dirs) and any(d < 0 for d in dirs)


def test_cross_hatch_doubles_the_lines(tmp_path, register):
    car = register.by_number(10)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = _hatch_template(tmp_path / "a")
    two = _hatch_template(tmp_path / "b", cross=True)
    n1 = len(_lines(plaque_svg(Composer.prepare(one).compose(car.vin, 10, register.total), one)))
    n2 = len(_lines(plaque_svg(Composer.prepare(two).compose(car.vin, 10, register.total), two)))
    assert n2 > 1.5 * n1


def test_a_hatch_batch_writes_lines_and_filled_proofs(tmp_path, register):
    tpl_path = template_variant(tmp_path, edit=lambda t: t.replace('engrave = "fill"',
                                                                    'engrave = "hatch"'))
    orders = write_orders(tmp_path / "h.csv", [register.by_number(n) for n in (5, 6)])
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", template=tpl_path))
    rows = read_csv(res.folder / "manifest.csv")
    for r in rows:
        assert _lines((res.folder / r["svg"]).read_bytes())
        assert (res.folder / r["proof"]).read_bytes().startswith(b"%PDF-")
    sheet = (res.folder / rows[0]["sheet"]).read_bytes()
    assert b'id="slot-01-engrave"' in sheet and b"fill-rule" not in sheet
