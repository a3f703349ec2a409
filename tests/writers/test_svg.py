"""The shop's SVG contract, checked on the files a real batch wrote."""
from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest

from conftest import INKSCAPE

SVG = "{http://www.w3.org/2000/svg}"
INK = "{http://www.inkscape.org/namespaces/inkscape}"
ALLOWED = {"svg", "g", "path", "title", "desc"}
PALETTE = {"#000000", "#0000FF", "#FF0000", "#F36926"}
NUM = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _tag(el) -> str:
    return el.tag.replace(SVG, "")


def _coords(d: str) -> list[float]:
    return [float(v) for v in NUM.findall(d)]


def _engrave_files(batch):
    files = sorted((batch.folder / "engrave").glob("*.svg"))
    assert len(files) == batch.plaques > 0
    return files


def test_every_plaque_svg_keeps_the_contract(example_batch):
    for f in _engrave_files(example_batch):
        root = ET.parse(f).getroot()
        assert _tag(root) == "svg"
        assert root.get("width") == "80mm" and root.get("height") == "24mm"
        assert root.get("viewBox") == "0 0 80 24"
        for el in root.iter():
            assert _tag(el) in ALLOWED, f"{f.name}: <{_tag(el)}> is not allowed"
            assert el.get("transform") is None
            assert not any("href" in k for k in el.attrib)
            for attr in ("fill", "stroke"):
                v = el.get(attr)
                assert v in (None, "none") or v in PALETTE, f"{f.name}: {attr}={v}"
        layers = [g for g in root if _tag(g) == "g"]
        assert [g.get(f"{INK}groupmode") for g in layers] == ["layer"] * len(layers)
        order = [g.get("id") for g in layers]
        assert order == sorted(order, key=["layer-engrave", "layer-score", "layer-cut", "layer-guide"].index)
        byid = {g.get("id"): g for g in layers}
        eng = byid["layer-engrave"]
        assert eng.get("fill") == "#000000"
        for p in eng:
            assert p.get("fill-rule") in ("nonzero", "evenodd")
            assert p.get("d").rstrip().endswith("Z")  # filled areas are closed
        for name, color in (("layer-score", "#0000FF"), ("layer-cut", "#FF0000")):
            g = byid[name]
            assert g.get("stroke") == color and g.get("fill") == "none"
            assert g.get("stroke-width") == "0.025"
        assert root.find(f"{SVG}title").text.startswith("Plaque ")
        for p in root.iter(f"{SVG}path"):
            d = p.get("d")
            assert re.fullmatch(r"[MLCZ0-9.\- ]+", d), "only absolute M/L/C/Z commands"
            for v in _coords(d):
                assert -0.001 <= v <= 80.001 and len(v.__repr__().split(".")[-1]) <= 3 + 12


def test_coordinates_are_rounded_to_a_micrometre(example_batch):
    f = _engrave_files(example_batch)[0]
    for p in ET.parse(f).getroot().iter(f"{SVG}path"):
        for tok in NUM.findall(p.get("d")):
            assert "." not in tok or len(tok.split(".")[1]) <= 3


def test_number_is_outlines_and_title_names_vin(example_batch):
    import csv

    rows = list(csv.DictReader(io.StringIO((example_batch.folder / "manifest.csv").read_text("utf-8-sig"))))
    row = rows[0]
    root = ET.parse(example_batch.folder / row["svg"]).getroot()
    assert row["vin"] in root.find(f"{SVG}title").text and row["label"] in root.find(f"{SVG}title").text
    text = (example_batch.folder / row["svg"]).read_text()
    assert "<text" not in text and "<image" not in text and "font" not in text.lower()


def test_plaque_geometry_inside_its_boxes(composer, register):
    car = register.by_number(462)
    plaque = composer.compose(car.vin, car.number, register.total)
    assert plaque.label == f"0462 / {register.total}"
    t = composer.template
    sil = [p for p in plaque.layer("engrave").paths if p in composer.engrave]
    num = [p for p in plaque.layer("engrave").paths if p not in composer.engrave]
    assert len(num) == len(plaque.label.replace(" ", ""))  # one outline per visible glyph
    for paths, box in ((sil, t.silhouette.place.box), (num, t.number.place.box),
                       (plaque.layer("score").paths, t.signature.place.box)):
        assert paths
        for p in paths:
            assert box.contains(p.bounds, tol=1e-6), (p.bounds, box)
    # the silhouette fills its box along one axis (fitted, aspect kept)
    from plaquegen.geometry.paths import bounds_of

    b = bounds_of(sil)
    box = t.silhouette.place.box
    assert abs(b.width - box.width) < 1e-6 or abs(b.height - box.height) < 1e-6


def test_no_zero_length_segments_and_no_duplicate_paths(composer, register):
    car = register.by_number(1)
    plaque = composer.compose(car.vin, car.number, register.total)
    seen = set()
    for layer in plaque.layers:
        for p in layer.paths:
            assert p.segs not in seen, "duplicate path would burn twice"
            seen.add(p.segs)
            cur = None
            for s in p.segs:
                if s[0] == "M":
                    cur = s[1:3]
                elif s[0] == "L":
                    assert s[1:3] != cur
                    cur = s[1:3]
                elif s[0] == "C":
                    cur = s[5:7]


def test_same_input_same_bytes(composer, register, template):
    from plaquegen.writers.svg import plaque_svg

    car = register.by_number(6309 if register.total >= 6309 else register.total)
    a = plaque_svg(composer.compose(car.vin, car.number, register.total), template)
    b = plaque_svg(composer.compose(car.vin, car.number, register.total), template)
    assert a == b


def _render(svg_path: Path, px_per_mm: int = 10):
    import cairosvg
    from PIL import Image

    png = cairosvg.svg2png(url=str(svg_path), dpi=25.4 * px_per_mm, background_color="white")
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_render_has_ink_in_every_box(example_batch, template):
    f = _engrave_files(example_batch)[0]
    img = _render(f)
    assert img.size == (800, 240)
    px = img.load()

    def ink(box, dark_only=True):
        n = 0
        for x in range(int(box.xmin * 10), int(box.xmax * 10)):
            for y in range(int(box.ymin * 10), int(box.ymax * 10)):
                r, g, b = px[x, y]
                if (r + g + b < 200) if dark_only else (b - r > 25):
                    n += 1
        return n / ((box.width * 10) * (box.height * 10))

    assert ink(template.silhouette.place.box) > 0.15   # a filled car
    assert ink(template.number.place.box) > 0.05       # filled digits
    assert ink(template.signature.place.box, dark_only=False) > 0.002  # blue hairlines
    gap = template.plate.__class__(30, 22.2, 50, 23.5)  # below the car, above the plate edge
    assert ink(gap) == 0


def test_sheet_svgs_hold_every_plaque_and_no_guide(example_batch, template):
    sheets = sorted(f for f in (example_batch.folder / "sheets").glob("sheet-*.svg")
                    if not f.stem.endswith("-guides"))
    assert len(sheets) == example_batch.sheets >= 1
    total_cut = 0
    for s in sheets:
        root = ET.parse(s).getroot()
        bed = template.bed
        assert root.get("width") == f"{bed.width:g}mm" and root.get("viewBox") == f"0 0 {bed.width:g} {bed.height:g}"
        groups = {g.get("id"): g for g in root if _tag(g) == "g"}
        assert list(groups) == ["layer-engrave", "layer-score", "layer-cut"]  # laser layers only
        assert b"#F36926" not in s.read_bytes() and b"display:none" not in s.read_bytes()
        total_cut += len(list(groups["layer-cut"].iter(f"{SVG}path")))  # inside per-plaque groups
        for el in root.iter():
            assert _tag(el) in ALLOWED and el.get("transform") is None
        # every laser path lies inside a pocket of the bed
        for name in ("layer-engrave", "layer-score", "layer-cut"):
            for p in groups[name].iter(f"{SVG}path"):
                xs = _coords(p.get("d"))[0::2]
                assert min(xs) >= bed.origin_x - 1e-3
                assert max(xs) <= bed.origin_x + (bed.columns - 1) * bed.pitch_x + template.width + 1e-3
    assert total_cut == example_batch.plaques  # one outline per plaque


@pytest.mark.skipif(not INKSCAPE, reason="inkscape not installed")
def test_inkscape_opens_plaque_and_sheet(example_batch, tmp_path):
    plaque = _engrave_files(example_batch)[0]
    sheet = sorted((example_batch.folder / "sheets").glob("sheet-??.svg"))[0]  # sheet-01-guides.svg
    for src in (plaque, sheet):
        out = tmp_path / (src.stem + ".png")
        r = subprocess.run([INKSCAPE, str(src), "--export-type=png", f"--export-filename={out}",
                            "--export-dpi=96"], capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        assert out.exists() and out.stat().st_size > 1000
        # Inkscape's headless start-up prints a harmless GtkRecentManager warning
        problems = [l for l in r.stderr.splitlines() if "error" in l.lower() and "Gtk" not in l]
        assert problems == []
