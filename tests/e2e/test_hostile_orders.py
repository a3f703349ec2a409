"""A real batch over an order file full of hostile cells: every line accounted for, no file outside the output folder, nothing from a cell unescaped in a file, a path, XML or PDF."""
from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest

from conftest import QPDF, read_csv
from plaquegen.pipeline.batch import BatchOptions, run_batch

from conftest import one_sentence, FORMULA_START

# ---------------------------------------------------------------------------------------------
# 2. Injection and names: a real batch over an order file full of hostile cells.

LONG = "A" * 10_000
HOSTILE = [
    # (order id, name)
    ("<para>&\"'</para>", "<font color=red>Bold</font> ]]> & < > \" '"),
    ("../../x", "مرحبا עברית \u202eevil\u202c"),
    ("/etc/passwd", LONG),
    ("C:\\x", "nul\x00 ctrl\x01\x02\x1b[31m end"),
    ("CON", "=HYPERLINK(\"http://127.0.0.1:9/\",\"click\")"),
    (".", "+cmd|' /C calc'!A0"),
    ("=1+1", "@SUM(A1:A2)"),
    ("-2", "-x"),
    ("..", "😀 🚗 emoji"),
    ("@x", "<![CDATA[ x ]]>"),
    ("x" * 300, "Jürgen Müller-Łukasz Dvořák"),
    ("dup", "same order id, car 1"),
    ("dup", "same order id, car 2"),
]
EMPTY_ID = ""  # refused: no order id


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory, register):
    base = tmp_path_factory.mktemp("hostile")
    cars = register.customers()
    orders = base / "orders.csv"
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["order_id", "vin", "name", "email", "country"])
    vins = {}
    for i, (oid, name) in enumerate(HOSTILE):
        vins[i] = cars[i * 7].vin
        w.writerow([oid, cars[i * 7].vin, name, "a@b.c", "DE" if i % 2 else "US"])
    w.writerow([EMPTY_ID, cars[500].vin, "no id", "", ""])
    w.writerow(["again", cars[0].vin, "same car twice", "", ""])
    w.writerow(["=cmd", "=WBS<script>", "bad vin", "", ""])
    orders.write_bytes(buf.getvalue().encode("utf-8"))
    out = base / "out"
    res = run_batch(BatchOptions(orders=orders, out=out, batch_id="../../evil batch", workers=1))
    return base, out, res, vins


def test_hostile_batch_accounts_for_every_line(hostile_batch):
    base, out, res, vins = hostile_batch
    assert res.orders_read == len(HOSTILE) + 3
    assert res.plaques == len(HOSTILE) and res.rejects == 3
    rejects = read_csv(res.folder / "rejects.csv")
    assert [r["line"] for r in rejects] == [str(len(HOSTILE) + 2 + k) for k in range(3)]
    reasons = [r["reason"] for r in rejects]
    assert reasons[0] == "no order id given"
    assert "already ordered on line 2" in reasons[1]
    for r in reasons:
        one_sentence(r)


def test_nothing_is_written_outside_the_output_folder(hostile_batch):
    base, out, res, _ = hostile_batch
    assert res.folder.resolve().parent == out.resolve()
    assert res.folder.name == "evil-batch"
    for p in base.rglob("*"):
        if p.is_file():
            assert p == base / "orders.csv" or out in p.parents, p
    for p in out.rglob("*"):
        assert not p.is_symlink()


def test_file_names_are_safe_and_unique(hostile_batch):
    _, out, res, _ = hostile_batch
    files = [p.relative_to(res.folder).as_posix() for p in res.folder.rglob("*") if p.is_file()]
    assert len(files) == len(set(files)) == len({f.lower() for f in files})
    for f in files:
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", f), f
    assert len(list((res.folder / "engrave").glob("*.svg"))) == len(HOSTILE)
    assert len(list((res.folder / "proofs").glob("*.pdf"))) == len(HOSTILE)


def test_every_svg_is_well_formed_and_carries_no_order_text(hostile_batch):
    _, _, res, _ = hostile_batch
    svgs = list(res.folder.rglob("*.svg"))
    assert svgs
    for p in svgs:
        root = DET.fromstring(p.read_bytes())  # no DTD, no entities, well-formed
        tags = {el.tag.rsplit("}", 1)[-1] for el in root.iter()}
        assert tags <= {"svg", "g", "path", "title", "desc"}, (p, tags)
        text = p.read_text("utf-8")
        for needle in ("<para>", "<font", "]]>", "passwd", "HYPERLINK", "CDATA"):
            assert needle not in text, (p, needle)


def test_manifest_and_rejects_round_trip_with_formulas_defused(hostile_batch):
    _, _, res, vins = hostile_batch
    rows = read_csv(res.folder / "manifest.csv")
    by_vin = {r["vin"]: r for r in rows}
    for i, (oid, _) in enumerate(HOSTILE):
        want = "'" + oid if oid[:1] in FORMULA_START else oid
        assert by_vin[vins[i]]["order_id"] == want, (oid, by_vin[vins[i]]["order_id"])
    for r in rows:
        for v in r.values():
            assert v[:1] not in FORMULA_START, r
    for r in read_csv(res.folder / "rejects.csv"):
        for v in r.values():
            assert v[:1] not in FORMULA_START, r
    bad = read_csv(res.folder / "rejects.csv")[-1]
    assert bad["order_id"] == "'=cmd" and bad["vin"].startswith("'=")


def _owner_line(pdf: Path) -> str:
    from pypdf import PdfReader

    lines = PdfReader(pdf).pages[0].extract_text().splitlines()
    for label in ("Owner", "Besitzer"):
        if label in lines:
            return lines[lines.index(label) + 1]
    raise AssertionError(f"no owner line in {pdf}")


def test_proofs_show_names_literally_and_pass_qpdf(hostile_batch, register):
    _, _, res, vins = hostile_batch
    rows = {r["vin"]: r for r in read_csv(res.folder / "manifest.csv")}
    shown = {i: _owner_line(res.folder / rows[vins[i]]["proof"]) for i in range(len(HOSTILE))}
    assert shown[0] == HOSTILE[0][1]  # markup is text, not markup
    assert shown[4] == HOSTILE[4][1]
    assert shown[9] == HOSTILE[9][1]
    assert shown[10] == HOSTILE[10][1]
    assert shown[2].startswith("AAAA") and shown[2].endswith("\u2026") and len(shown[2]) < 200
    assert shown[3] == "nul ctrl[31m end"  # NUL and control characters removed
    assert "\u202e" not in shown[1] and "evil" in shown[1]  # bidi override dropped
    assert "\ufffd" in shown[8] and "emoji" in shown[8]  # emoji -> placeholder
    if QPDF:
        pdfs = [res.folder / "job-sheet.pdf"] + [res.folder / r["proof"] for r in rows.values()]
        for pdf in pdfs:
            r = subprocess.run([QPDF, "--check", str(pdf)], capture_output=True, text=True)
            assert r.returncode == 0, (pdf, r.stdout, r.stderr)


def test_proof_text_layer_has_no_invalid_tounicode_entries(hostile_batch):
    """Regression: characters beyond U+FFFF that DejaVu draws (e.g. U+1F600) made reportlab
    write '<1F600>' in the ToUnicode map, an odd-length hex string; pypdf warned and lost it."""
    import logging

    from pypdf import PdfReader

    _, _, res, vins = hostile_batch
    rows = {r["vin"]: r for r in read_csv(res.folder / "manifest.csv")}
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("pypdf").addHandler(handler)
    try:
        PdfReader(res.folder / rows[vins[8]]["proof"]).pages[0].extract_text()
    finally:
        logging.getLogger("pypdf").removeHandler(handler)
    assert not [r for r in records if "hex" in r.getMessage()]


def test_hostile_batch_id_and_order_file_names(tmp_path, register):
    car = register.customers()[3]
    for name, batch_id, folder in (("..csv", None, "batch"), ("CON.csv", None, "_CON"),
                                   ("o.csv", "/etc/passwd", "etc-passwd"),
                                   ("o.csv", "C:\\Windows\\x", "C-Windows-x"),
                                   ("o.csv", "\u202e\x00", "batch")):
        orders = tmp_path / name
        orders.write_text(f"order_id,vin\n1,{car.vin}\n", "utf-8")
        out = tmp_path / "out"
        res = run_batch(BatchOptions(orders=orders, out=out, batch_id=batch_id, proofs=False,
                                     workers=1, reprint=True, replace=True))
        assert res.folder == out / folder, (name, batch_id, res.folder)
    outside = {p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents}
    assert outside == {tmp_path / n for n in ("..csv", "CON.csv", "o.csv")}
