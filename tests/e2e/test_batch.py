"""The batch end to end: folder, manifest, rejects, determinism, re-runs, the CLI."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import read_csv as _csv, sha256_file as _sha, write_orders as _orders, EXAMPLE, ROOT
from plaquegen.pipeline.batch import BatchError, BatchOptions, run_batch
from plaquegen.cli import main




# The batch's record files carry the time of the run; everything else is the same bytes.
_TIMED = {"batch.json", "history.jsonl"}


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and str(p.relative_to(folder)) not in _TIMED}


def test_example_batch_folder(example_batch):
    f = example_batch.folder
    assert f.name == "example"
    for name in ("engrave", "sheets", "proofs", "job-sheet.pdf", "manifest.csv", "rejects.csv"):
        assert (f / name).exists(), name
    assert not list(f.rglob("*.tmp")), "no temp files left behind"


def test_manifest_matches_files(example_batch, register):
    f = example_batch.folder
    rows = _csv(f / "manifest.csv")
    assert len(rows) == example_batch.plaques
    assert {"order_id", "vin", "number", "total", "svg", "sheet", "slot", "svg_sha256",
            "proof", "proof_sha256", "engraved_mm", "travel_mm"} <= set(rows[0])
    numbers = [int(r["number"]) for r in rows]
    assert numbers == sorted(numbers)
    width = len(str(register.total))
    for r in rows:
        car = register.lookup(r["vin"])
        assert int(r["number"]) == car.number and int(r["total"]) == register.total
        assert r["svg"] == f"engrave/{car.number:0{width}d}_{car.vin}.svg"
        assert _sha(f / r["svg"]) == r["svg_sha256"]
        assert _sha(f / r["proof"]) == r["proof_sha256"]
        assert (f / r["sheet"]).exists() and 1 <= int(r["slot"]) <= 66
        assert float(r["engraved_mm"]) > 100 and float(r["travel_mm"]) > 0
    # a directory listing sorts in build order
    assert sorted(p.name for p in (f / "engrave").iterdir()) == [Path(r["svg"]).name for r in rows]


def test_every_order_line_is_a_plaque_or_a_reject(example_batch):
    f = example_batch.folder
    made = {r["order_id"] for r in _csv(f / "manifest.csv")}
    rejects = _csv(f / "rejects.csv")
    assert {"line", "order_id", "vin", "reason"} <= set(rejects[0])
    assert 3 <= len(rejects) <= 6
    from plaquegen.inputs.orders import read_orders

    of = read_orders(EXAMPLE)
    lines_in_file = of.lines_read
    assert len(made) + len(rejects) == lines_in_file == example_batch.orders_read
    for r in rejects:
        assert int(r["line"]) >= 2 and len(r["reason"]) > 10


def test_rerun_is_byte_identical_and_one_worker_equals_two(example_batch, tmp_path):
    first = _tree(example_batch.folder)
    out = tmp_path / "again"
    run_batch(BatchOptions(orders=EXAMPLE, out=out, workers=1))
    second = _tree(out / "example")
    assert first.keys() == second.keys()
    diff = [k for k in first if first[k] != second[k]]
    # the date printed on proofs/job sheet is the batch's first issue date: the same today
    assert diff == []
    run_batch(BatchOptions(orders=EXAMPLE, out=out, workers=2))
    assert _tree(out / "example") == second


def test_removed_order_removes_its_stale_files(tmp_path):
    rows = EXAMPLE.read_bytes().splitlines(keepends=True)
    orders = tmp_path / "o.csv"
    orders.write_bytes(b"".join(rows))
    out = tmp_path / "out"
    r1 = run_batch(BatchOptions(orders=orders, out=out, batch_id="b", proofs=False))
    # drop the last accepted order and run the same batch again
    made = _csv(out / "b" / "manifest.csv")
    victim = made[-1]
    kept = [l for l in rows if victim["order_id"].encode() not in l]
    orders.write_bytes(b"".join(kept))
    r2 = run_batch(BatchOptions(orders=orders, out=out, batch_id="b", proofs=False))
    assert r2.plaques == r1.plaques - 1
    assert not (out / "b" / victim["svg"]).exists()
    assert len(list((out / "b" / "engrave").glob("*.svg"))) == r2.plaques


def test_fatal_errors_are_one_sentence(tmp_path):
    from plaquegen.core.errors import PlaquegenError

    with pytest.raises(PlaquegenError, match="does not exist"):
        run_batch(BatchOptions(orders=tmp_path / "missing.csv", out=tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_text("name;email\nA;b\n")
    with pytest.raises(PlaquegenError, match="has no VIN column"):
        run_batch(BatchOptions(orders=bad, out=tmp_path))


def test_hostile_order_ids_never_reach_paths(tmp_path, register):
    cars = [register.by_number(n) for n in (5, 6, 7, 8)]
    ids = ["../../x", "/etc/passwd", "C:\\x", "CON"]
    orders = tmp_path / "evil.csv"
    orders.write_text("order_id,vin,name\n" + "".join(
        f'"{i}",{c.vin},"<b>&amp;</b>"\n' for i, c in zip(ids, cars)))
    out = tmp_path / "out"
    res = run_batch(BatchOptions(orders=orders, out=out, batch_id="../../escape", proofs=False))
    assert res.plaques == 4
    assert res.folder.resolve().parent == out.resolve()
    written = [p.resolve() for p in tmp_path.rglob("*") if p.is_file()]
    assert all(str(p).startswith(str(tmp_path.resolve())) for p in written)
    assert not (tmp_path.parent / "x").exists()
    rows = _csv(res.folder / "manifest.csv")
    assert sorted(r["order_id"] for r in rows) == sorted(ids)


def test_cli_batch_reports_summary(tmp_path):
    r = CliRunner().invoke(main, ["batch", str(EXAMPLE), "--out", str(tmp_path), "--no-proofs",
                                  "--workers", "1"])
    assert r.exit_code == 3, r.output  # some lines were refused: the documented status
    assert "plaques made" in r.output and "refused" in r.output
    assert str(tmp_path / "example") in r.output


def test_cli_fatal_error_exits_nonzero_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(tmp_path / "nope.csv"),
                        "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().startswith("Error: order file") and r.stderr.strip().count("\n") == 0


def test_cli_number_first_and_last_customer_car(register):
    first, last = register.by_number(1), register.by_number(register.total)
    r = CliRunner().invoke(main, ["number", first.vin, last.short_vin.lower()])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert f"0001 / {register.total}" in lines[0] and first.vin in lines[0]
    assert f"{register.total} / {register.total}" in lines[1] and last.vin in lines[1]


def test_cli_number_refusal_exit_1(register):
    r = CliRunner().invoke(main, ["number", "WBS00000000000000"])
    assert r.exit_code == 1


def test_cli_check_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["check", str(EXAMPLE)])
    assert r.exit_code == 3, r.output
    assert "accepted" in r.output and "refused" in r.output
    assert list(tmp_path.iterdir()) == []


def test_cli_preview_png(tmp_path, register):
    out = tmp_path / "p.png"
    r = CliRunner().invoke(main, ["preview", register.by_number(462).vin, "-o", str(out), "--dpi", "100"])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_proof_shows_exactly_the_engrave_file(example_batch, template, tmp_path):
    """Fidelity on the real files: the proof's 1:1 view vs the engrave SVG the shop gets."""
    from conftest import PDFTOPPM
    if not PDFTOPPM:
        pytest.skip("pdftoppm not installed")
    from PIL import ImageDraw
    from test_proof import count, dark_mask, iou, render_region, render_svg

    from plaquegen.proof.render import proof_layout

    rows = _csv(example_batch.folder / "manifest.csv")
    for row in (rows[0], next(r for r in rows if r["market"] in ("US", "CA"))):
        pdf = (example_batch.folder / row["proof"]).read_bytes()
        from pypdf import PdfReader
        box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
        page = (float(box.width), float(box.height))
        got = render_region(pdf, tmp_path, proof_layout(page).actual_box)
        want = render_svg((example_batch.folder / row["svg"]).read_bytes(), 800, 240)
        # The score layer is a 0.025 mm blue hairline in the SVG but drawn 0.15 mm black on
        # the proof so an owner can see it: compare the engraved areas, signature box masked.
        sig = template.signature.place.box
        masks = []
        for img in (got, want):
            m = dark_mask(img).convert("L")
            ImageDraw.Draw(m).rectangle([sig.xmin * 10, sig.ymin * 10, sig.xmax * 10, sig.ymax * 10], fill=0)
            masks.append(m.convert("1"))
        assert count(masks[1]) > 20000
        assert iou(*masks) >= 0.98



def test_ledger_refuses_a_car_issued_in_an_earlier_batch(tmp_path, register):
    cars = [register.by_number(n) for n in (10, 11, 12)]
    out = tmp_path / "out"
    b1 = run_batch(BatchOptions(orders=_orders(tmp_path / "a.csv", cars[:2]), out=out,
                                batch_id="2025-09", proofs=False))
    assert b1.plaques == 2
    # batch 2 orders car 11 again (and a new car 12): 11 is refused naming batch 2025-09
    b2 = run_batch(BatchOptions(orders=_orders(tmp_path / "b.csv", cars[1:], 50), out=out,
                                batch_id="2025-10", proofs=False))
    assert (b2.plaques, b2.rejects) == (1, 1)
    rej = _csv(out / "2025-10" / "rejects.csv")
    assert rej[0]["vin"] == cars[1].vin and "2025-09" in rej[0]["reason"]
    assert "--reprint" in rej[0]["reason"]
    # --reprint makes it and records it as a reprint
    b3 = run_batch(BatchOptions(orders=_orders(tmp_path / "b.csv", cars[1:], 50), out=out,
                                batch_id="2025-10", proofs=False, reprint=True))
    assert (b3.plaques, b3.rejects) == (2, 0)
    from plaquegen.record.ledger import Ledger
    with Ledger(out / "ledger.sqlite") as led:
        issued = led.issues(vin=cars[1].vin)
    assert [(i.batch_id, i.reprint) for i in issued] == [("2025-09", False), ("2025-10", True)]


def test_same_batch_twice_is_idempotent_in_the_ledger(tmp_path, register):
    from plaquegen.record.ledger import Ledger

    cars = [register.by_number(n) for n in (20, 21, 22)]
    orders = _orders(tmp_path / "c.csv", cars)
    out = tmp_path / "out"
    run_batch(BatchOptions(orders=orders, out=out, proofs=False))
    with Ledger(out / "ledger.sqlite") as led:
        first = led.issues(batch_id="c")
    second_run = run_batch(BatchOptions(orders=orders, out=out, proofs=False))
    assert (second_run.plaques, second_run.rejects) == (3, 0)  # its own plaques are not refused
    with Ledger(out / "ledger.sqlite") as led:
        again = led.issues(batch_id="c")
    assert again == first  # same rows, same times: nothing duplicated


def test_cli_ledger_lists_batches(tmp_path, register):
    orders = _orders(tmp_path / "d.csv", [register.by_number(30)])
    out = tmp_path / "out"
    run_batch(BatchOptions(orders=orders, out=out, proofs=False))
    r = CliRunner().invoke(main, ["ledger", "--ledger", str(out / "ledger.sqlite")])
    assert r.exit_code == 0, r.output
    assert "d  1 plaques" in r.output
    r = CliRunner().invoke(main, ["ledger", "--ledger", str(out / "ledger.sqlite"), "--vin",
                                  register.by_number(30).vin.lower()])
    assert register.by_number(30).vin in r.output and "1 plaque(s)" in r.output
    r = CliRunner().invoke(main, ["ledger", "--ledger", str(out / "ledger.sqlite"), "--vin",
                                  register.by_number(30).short_vin])
    assert register.by_number(30).vin in r.output and "1 plaque(s)" in r.output


def test_previews_on_request(tmp_path, register):
    from PIL import Image

    orders = _orders(tmp_path / "p.csv", [register.by_number(40), register.by_number(41)])
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", proofs=False, previews=True))
    pngs = sorted((res.folder / "preview").glob("*.png"))
    assert [p.stem for p in pngs] == [Path(r["svg"]).stem for r in _csv(res.folder / "manifest.csv")]
    img = Image.open(pngs[0]).convert("L")
    assert img.size == (945, 283)  # 80 x 24 mm at 300 dpi
    assert img.getextrema() == (0, 255)  # black engraving on a white background
    plain = run_batch(BatchOptions(orders=orders, out=tmp_path / "out2", proofs=False))
    assert not (plain.folder / "preview").exists()  # not in the default path


def test_rerun_of_the_first_batch_keeps_its_car_after_a_reprint_elsewhere(tmp_path, register):
    from plaquegen.record.ledger import Ledger

    car = register.by_number(50)
    out = tmp_path / "out"
    a = _orders(tmp_path / "A.csv", [car])
    run_batch(BatchOptions(orders=a, out=out, proofs=False))
    run_batch(BatchOptions(orders=_orders(tmp_path / "B.csv", [car], 9), out=out, proofs=False,
                           reprint=True))
    again = run_batch(BatchOptions(orders=a, out=out, proofs=False))
    assert (again.plaques, again.rejects) == (1, 0)
    with Ledger(out / "ledger.sqlite") as led:
        assert [(i.batch_id, i.reprint) for i in led.issues(vin=car.vin)] == [("A", False), ("B", True)]


def _template_variant(tmp_path, **replace) -> Path:
    from plaquegen.inputs.template import DEFAULT_TEMPLATE

    text = DEFAULT_TEMPLATE.read_text("utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    p = tmp_path / "plaque.toml"
    p.write_text(text, "utf-8")
    for name in ("silhouette.svg", "signature.svg"):
        (tmp_path / name).write_bytes((DEFAULT_TEMPLATE.parent / name).read_bytes())
    (tmp_path / "fonts").mkdir(exist_ok=True)
    for f in (DEFAULT_TEMPLATE.parent / "fonts").iterdir():
        (tmp_path / "fonts" / f.name).write_bytes(f.read_bytes())
    return p


def test_number_format_beyond_ascii_works_end_to_end(tmp_path, register):
    tpl = _template_variant(tmp_path, **{'format = "{number:04d} / {total}"':
                                         'format = "Nº {number:04d} · {total}"'})
    orders = _orders(tmp_path / "n.csv", [register.by_number(60)])
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", template=tpl))
    assert res.plaques == 1
    row = _csv(res.folder / "manifest.csv")[0]
    assert row["label"] == f"Nº 0060 · {register.total}"
    sheet = (res.folder / row["sheet"]).read_text()
    assert "<text" not in sheet


def test_plate_too_large_for_a_proof_is_refused_before_writing(tmp_path, register):
    tpl = _template_variant(tmp_path, **{"width = 80.0": "width = 230.0",
                                         "width = 600.0": "width = 1500.0",
                                         "pitch_x = 95.0": "pitch_x = 235.0"})
    orders = _orders(tmp_path / "n.csv", [register.by_number(61)])
    with pytest.raises(BatchError, match=r"does not fit a 1:1 proof page; make the batch with --no-proofs\.$"):
        run_batch(BatchOptions(orders=orders, out=tmp_path / "out", template=tpl))
    assert not (tmp_path / "out").exists()
    assert run_batch(BatchOptions(orders=orders, out=tmp_path / "out", template=tpl, proofs=False)).plaques == 1


def test_dense_and_duplicated_artwork_gives_clean_geometry(tmp_path, register):
    """A traced edge in steps below 0.001 mm at plate scale, and a shape stacked twice:
    the SVG has no zero-length segment and no path twice (no double burn)."""
    import re

    tpl = _template_variant(tmp_path)
    steps = " ".join(f"L{x / 100:.2f} 0" for x in range(1, 2001))  # 0.01 units -> ~0.0001 mm
    (tmp_path / "silhouette.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="4000mm" height="1400mm" viewBox="0 0 4000 1400">'
        f'<path id="car" d="M0 0 {steps} L4000 0 L4000 1400 L0 1400 Z"/>'
        '<rect x="100" y="100" width="500" height="500"/><rect x="100" y="100" width="500" height="500"/>'
        '<use xlink:href="#car"/></svg>', "utf-8")
    orders = _orders(tmp_path / "n.csv", [register.by_number(62)])
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", template=tpl, proofs=False))
    svg = (res.folder / _csv(res.folder / "manifest.csv")[0]["svg"]).read_text()
    ds = re.findall(r' d="([^"]+)"', svg)
    assert len(ds) == len(set(ds))
    for d in ds:
        cur = None
        for cmd in re.findall(r"[MLCZ][^MLCZ]*", d):
            pts = re.findall(r"-?[\d.]+ -?[\d.]+", cmd[1:])
            if cmd[0] in "LC":
                assert any(p != cur for p in pts), f"zero-length {cmd} after {cur}"
            if pts:
                cur = pts[-1]


def test_check_consults_the_ledger_without_writing(tmp_path, register, monkeypatch):
    car = register.by_number(70)
    out = tmp_path / "out"
    run_batch(BatchOptions(orders=_orders(tmp_path / "first.csv", [car]), out=out, proofs=False))
    later = _orders(tmp_path / "later.csv", [car, register.by_number(71)])
    before = sorted(p.name for p in out.iterdir())
    r = CliRunner().invoke(main, ["check", str(later), "--out", str(out)])
    assert r.exit_code == 3, r.output
    assert "already issued in batch first" in r.output and "1 accepted, 1 refused" in r.output
    r = CliRunner().invoke(main, ["check", str(later), "--out", str(out), "--reprint"])
    assert "2 accepted, 0 refused" in r.output and r.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == before
    monkeypatch.chdir(tmp_path)  # default --out output/ does not exist: no ledger is created
    r = CliRunner().invoke(main, ["check", str(later)])
    assert "2 accepted" in r.output and not (tmp_path / "output").exists()


def test_worker_pool_gives_the_bytes_one_process_gives(tmp_path, register):
    """Three sheets, so the pool really runs (the example batch is one sheet): every file of
    a batch made by two worker processes, proofs and job sheet included, equals the one a
    single process makes, each run in a fresh process with cold caches. Owners with Greek,
    Hebrew and Polish names put characters beyond the default font subset into the batch."""
    cars = register.customers()[:150]
    orders = _orders(tmp_path / "o.csv", cars)
    text = orders.read_text("utf-8").splitlines()
    for i, name in ((3, "Σωκράτης Παπαδόπουλος"), (70, "Noa שלום Cohen"), (140, "Łukasz Dvořák")):
        text[i + 1] = text[i + 1].rsplit(",", 1)[0] + "," + name
    orders.write_text("\n".join(text) + "\n", "utf-8")
    trees = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(orders), "--out",
                            str(out), "--workers", workers],
                           capture_output=True, text=True, cwd=ROOT,
                           env={**os.environ, "PLAQUEGEN_NOW": "2026-03-01T10:00:00Z"})
        assert r.returncode == 0, r.stderr
        trees.append(_tree(out / "o"))
    one, two = trees
    assert len([k for k in one if k.startswith("sheets/") and "-guides" not in k]) == 3
    assert len([k for k in one if k.startswith("proofs/")]) == 150
    assert one.keys() == two.keys()
    assert [k for k in one if one[k] != two[k]] == []
