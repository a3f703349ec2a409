"""Issue 26: guides (pockets, slot labels, frame) only in sheet-NN-guides.svg/.pdf, never in a
laser file. A real batch in every format is read back file by file (defusedxml, ezdxf, the
lbrn2 XML), and headless MeerK40t loads the sheet SVG and DXF."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import defusedxml.ElementTree as DET
import ezdxf
import pytest

from conftest import ROOT, read_csv
from plaquegen.pipeline.batch import BatchOptions, run_batch
from plaquegen.writers.guides import guide_paths, sheet_guides_svg
from plaquegen.writers.lbrn import TOOL_INDEX

from helpers.shopfiles import MEERK40T, meerk40t_tree, run_meerk40t, sheet_of

SVG = "{http://www.w3.org/2000/svg}"
GUIDE = "#F36926"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("allformats")
    r = run_batch(BatchOptions(orders=ROOT / "orders" / "example.csv", out=out, workers=1,
                               proofs=False, formats=("svg", "dxf", "lbrn2")))
    return r


def _pockets(template, folder):
    """(x0, y0, x1, y1) of every filled pocket, in bed mm y-down, from the manifest's slots."""
    rows = read_csv(folder / "manifest.csv")
    bed = template.bed
    out = []
    for r in rows:
        i = int(r["slot"]) - 1
        x = bed.origin_x + (i % bed.columns) * bed.pitch_x
        y = bed.origin_y + (i // bed.columns) * bed.pitch_y
        out.append((x, y, x + template.width, y + template.height))
    return out


def _inside(pockets, xs, ys, tol=1e-3) -> bool:
    return any(x0 - tol <= min(xs) and max(xs) <= x1 + tol and y0 - tol <= min(ys) and max(ys) <= y1 + tol
               for x0, y0, x1, y1 in pockets)


def _nums(d: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]


def test_every_sheet_has_its_guide_files_and_they_hold_every_guide(batch, template):
    folder = batch.folder
    names = sorted(p.name for p in (folder / "sheets").iterdir())
    assert names == ["sheet-01-guides.pdf", "sheet-01-guides.svg", "sheet-01.dxf", "sheet-01.lbrn2",
                     "sheet-01.svg"]
    root = DET.fromstring((folder / "sheets" / "sheet-01-guides.svg").read_bytes())
    layers = {g.get("id"): g for g in root if g.tag == f"{SVG}g"}
    assert list(layers) == ["guide-pockets", "guide-labels", "guide-frame"]
    assert all(g.get("style") is None and g.get("stroke") == GUIDE for g in layers.values())  # visible
    assert len(list(layers["guide-pockets"])) == batch.plaques
    assert len(list(layers["guide-labels"])) > batch.plaques  # several strokes per label
    assert len(list(layers["guide-frame"])) == 1
    pdf = folder / "sheets" / "sheet-01-guides.pdf"
    if shutil.which("qpdf"):
        assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "NOT for the laser" in text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    w, h = (float(v) for v in re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(w / 72 * 25.4 - template.bed.width) < 0.01 and abs(h / 72 * 25.4 - template.bed.height) < 0.01


def test_sheet_svg_holds_no_guide(batch, template):
    data = (batch.folder / "sheets" / "sheet-01.svg").read_bytes()
    assert GUIDE.encode() not in data and b"display:none" not in data
    root = DET.fromstring(data)
    pockets = _pockets(template, batch.folder)
    paths = list(root.iter(f"{SVG}path"))
    for p in paths:  # every path inside a pocket: no slot label (below it), no frame
        v = _nums(p.get("d"))
        assert _inside(pockets, v[0::2], v[1::2]), p.get("d")[:80]
    (cut,) = [g for g in root if g.get("id") == "layer-cut"]
    assert len(list(cut.iter(f"{SVG}path"))) == batch.plaques  # one outline a plaque, no pocket twice
    guides = DET.fromstring((batch.folder / "sheets" / "sheet-01-guides.svg").read_bytes())
    label_d = {p.get("d") for g in guides if g.get("id") == "guide-labels" for p in g}
    assert not label_d & {p.get("d") for p in paths}


def test_sheet_dxf_holds_no_guide(batch, template):
    doc = ezdxf.read(io.StringIO((batch.folder / "sheets" / "sheet-01.dxf").read_text("utf-8")))
    pockets = _pockets(template, batch.folder)
    H = template.bed.height
    ents = list(doc.modelspace())
    assert ents and {e.dxftype() for e in ents} == {"LWPOLYLINE"}
    for e in ents:
        pts = e.get_points("xy")
        assert _inside(pockets, [p[0] for p in pts], [H - p[1] for p in pts])
        assert e.dxf.color != 7 and e.rgb != (243, 105, 38)
    assert all("GUIDE" not in l.dxf.name.upper() for l in doc.layers)
    cut = [e for e in ents if e.dxf.layer == "3-CUT-LINE"]
    assert len(cut) == batch.plaques


def test_sheet_lbrn2_guides_only_on_the_tool_layer(batch, template):
    root = DET.fromstring((batch.folder / "sheets" / "sheet-01.lbrn2").read_bytes())
    pockets = _pockets(template, batch.folder)
    H = template.bed.height
    tool = laser = 0
    for s in root.iter("Shape"):
        if s.get("Type") != "Path":
            continue
        v = [(float(x), float(y)) for x, y in re.findall(r"V(-?[\d.]+) (-?[\d.]+)", s.find("VertList").text)]
        inside = _inside(pockets, [p[0] for p in v], [H - p[1] for p in v])
        if int(s.get("CutIndex")) == TOOL_INDEX:
            tool += 1
        else:
            laser += 1
            assert inside
    assert laser and tool > batch.plaques  # pockets and label strokes, all on T1


def test_guides_svg_is_the_layout_not_the_art(composer, template):
    sheet = sheet_of(composer, template, 3)
    g = guide_paths(sheet, template)
    assert len(g["pockets"]) == 3 and len(g["frame"]) == 1
    assert sheet_guides_svg(sheet, template, "b") == sheet_guides_svg(sheet, template, "b")
    # a hostile batch id is escaped, not markup
    root = DET.fromstring(sheet_guides_svg(sheet, template, "<x>&"))
    assert "<x>&" in root.find(f"{SVG}title").text


@pytest.mark.skipif(MEERK40T is None, reason="meerk40t is not installed (.ci/run installs it)")
@pytest.mark.parametrize("name", ["sheet-01.svg", "sheet-01.dxf"])
def test_meerk40t_gets_no_guide_path_in_any_operation(batch, tmp_path, name):
    """MeerK40t ignores display:none and DXF "no plot": the file itself must hold no guide."""
    text = run_meerk40t(batch.folder / "sheets" / name, tmp_path / "home")
    assert "Traceback" not in text, text[-3000:]
    tree = meerk40t_tree(text)
    svg = DET.fromstring((batch.folder / "sheets" / "sheet-01.svg").read_bytes())
    assert tree["regmarks"] == 0  # not even on the never-output branch (where display:none went)
    if name.endswith(".svg"):
        laser = len(list(svg.iter(f"{SVG}path")))
        assert sum(refs for _k, _l, refs in tree["ops"]) == laser  # every laser path, nothing else
    else:  # MeerK40t puts each element in an op per layer and one per colour: count elements
        doc = ezdxf.read(io.StringIO((batch.folder / "sheets" / name).read_text("utf-8")))
        want = sorted(("elem polyline", e.dxf.layer) for e in doc.modelspace())
        assert sorted(tree["elems"]) == want
        assert {label for _k, label in tree["elems"]} == {"1-ENGRAVE-FILL", "2-SCORE-LINE", "3-CUT-LINE"}
    assert not any("guide" in label.lower() for _k, label, _r in tree["ops"])
    assert not any("guide" in label.lower() for _k, label in tree["elems"])
