"""Spreadsheet bombs are refused before anything big is allocated.

Each case runs `plaquegen check` in a real process under a 1.5 GB address-space limit: the
refusal must be one sentence with exit 1, where a reader that trusts the file either aborts
(a Rust allocation panic, exit 134) or runs for minutes through gigabytes.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

from conftest import ROOT

LIMIT = 1536 * 1024 * 1024


def _check(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run([sys.executable, "-m", "plaquegen", "check", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, preexec_fn=limit, timeout=300)


def _one_sentence_refusal(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    err = r.stderr.strip()
    assert err.startswith("Error: ") and len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


def test_one_cell_at_the_far_corner(tmp_path):
    """1.5 KB: a header, one order and one cell at XFD1048576 (16,384 x 1,048,576 cells)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "vin", "name"])
    ws.append(["1", "VS94332", "Ann"])
    ws["XFD1048576"] = "x"
    p = tmp_path / "corner.xlsx"
    wb.save(p)
    assert p.stat().st_size < 8000
    _one_sentence_refusal(_check(p, tmp_path), "spans 1,048,576 rows by 16,384 columns",
                          "delete the stray far-away cells")


def test_a_declared_dimension_that_lies(tmp_path):
    """The sheet says A1:XFD1048576 though it holds two rows: refused by the declaration."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "vin", "name"])
    ws.append(["1", "VS94332", "Ann"])
    p = tmp_path / "dim.xlsx"
    wb.save(p)
    q = tmp_path / "dim2.xlsx"
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(q, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:C2" />', b'<dimension ref="A1:XFD1048576" />')
                assert b"XFD1048576" in data
            dst.writestr(info, data)
    _one_sentence_refusal(_check(q, tmp_path), "spans 1,048,576 rows by 16,384 columns")


def test_millions_of_identical_rows(tmp_path):
    """A few MB of zip that unpack to hundreds of MB of rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["order_id", "vin", "name"])
    p = tmp_path / "seed.xlsx"
    wb.save(p)
    q = tmp_path / "rows.xlsx"
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>1</t></is></c></row>'
    with zipfile.ZipFile(p) as src, zipfile.ZipFile(q, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info)
            if not info.filename.startswith("xl/worksheets/"):
                dst.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = head.replace(b'<dimension ref="A1:C1" />', b"")
            with dst.open(info.filename, "w", force_zip64=True) as out:
                out.write(head)
                block = b"".join(row % (n, n) for n in range(2, 1002))
                for k in range(1500):  # 1.5 M rows, ~100 MB of XML
                    out.write(block)
                out.write(b"</sheetData>" + tail)
    assert q.stat().st_size < 20_000_000
    _one_sentence_refusal(_check(q, tmp_path), "unpacks to more than 67 MB")
