"""The shop's job sheet: real PDFs read back with pypdf and qpdf."""
from __future__ import annotations

import io
import math
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from plaquegen.writers.jobsheet import ROWS_PER_PAGE, jobsheet_page_count, render_jobsheet
from plaquegen.writers.jobsheet_page import JobSheetInfo
from plaquegen.bed.layout import Sheet, Slot
from test_proof import make_plaque

QPDF = shutil.which("qpdf")
PDFTOPPM = shutil.which("pdftoppm")

LAYERS = (("engrave", "#000000", "fill: engrave the black areas"),
          ("score", "#0000FF", "line: one pass, low power"),
          ("cut", "#FF0000", "line: cut the plate outline"),
          ("guide", "#F36926", "do not output"))


def vin_for(i: int) -> str:
    return f"WBSUR9106{i:08d}"


def make_info(n: int, per_sheet: int = 18, with_sheets: bool = True, **kw) -> JobSheetInfo:
    plaques = [make_plaque(vin=vin_for(i), number=i + 1) for i in range(n)]
    sheets = []
    if with_sheets:
        for start in range(0, n, per_sheet):
            slots = []
            for j in range(per_sheet):
                col, row = j % 3, j // 3
                pq = plaques[start + j] if start + j < n else None
                slots.append(Slot(j + 1, col, row, 10 + col * 95.0, 10 + row * 32.0, pq))
            no = len(sheets) + 1
            sheets.append(Sheet(no, 300.0, 200.0, tuple(slots), f"sheets/sheet-{no:02d}.svg"))
    rows = tuple((p.label, p.vin, f"A-{i}", f"engrave/{p.number:04d}_{p.vin}.svg",
                  f"proofs/{p.number:04d}_{p.vin}.pdf") for i, p in enumerate(plaques))
    args = dict(batch_id="2025-09-a", created="2025-09-14", plate_w=80.0, plate_h=24.0,
                material="stainless steel 1.4301, 0.8 mm", layers=LAYERS, plaques=rows,
                sheets=tuple(sheets), rejects=3, orders_read=n + 3, notes=("3 duplicates",))
    args.update(kw)
    return JobSheetInfo(**args)


def pages_text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("n,per_sheet", [(0, 18), (1, 18), (30, 18), (100, 12), (97, 48)])
def test_page_count(n, per_sheet):
    info = make_info(n, per_sheet)
    n_sheets = math.ceil(n / per_sheet)
    assert len(info.sheets) == n_sheets
    expected = 1 + n_sheets + max(1, math.ceil(n / ROWS_PER_PAGE))
    assert jobsheet_page_count(n, n_sheets) == expected
    r = PdfReader(io.BytesIO(render_jobsheet(info)))
    assert len(r.pages) == expected
    assert r.pages[0].mediabox.width > r.pages[0].mediabox.height  # A4 landscape
    assert float(r.pages[0].mediabox.width) == pytest.approx(841.89, abs=0.01)


def test_contents():
    info = make_info(40)
    texts = pages_text(render_jobsheet(info))
    first = texts[0]
    assert "Engraving job 2025-09-a" in first
    for s in ("Orders read", "43", "Plaques", "40", "rejects.csv", "80 × 24 mm",
              "stainless steel 1.4301, 0.8 mm", "engrave first, then score, then cut",
              "Guides are in no laser file", "sheet-NN-guides.pdf", "#0000FF", "engrave/", "sheets/", "proofs/",
              "manifest.csv", "3 duplicates"):
        assert s in first, s
    # sheet pages: each pocket labelled with slot index, number and short VIN
    for k, sheet in enumerate(info.sheets):
        t = texts[1 + k]
        assert f"Sheet {sheet.number:02d}" in t and sheet.file in t
        for slot in sheet.slots:
            assert f"#{slot.index}" in t
            if slot.plaque is not None:
                assert slot.plaque.label in t and slot.plaque.vin[-7:] in t
    # the plaque list: every label and full VIN, with its sheet / slot
    listing = "\n".join(texts[1 + len(info.sheets):])
    for label, vin, order_id, svg, pdf in info.plaques:
        assert label in listing and vin in listing and svg in listing and pdf in listing
    assert "01 / 1" in listing and "03 / 4" in listing
    whole = "\n".join(texts)
    assert whole.count("2025-09-a") >= len(texts)  # in every page footer


def test_untrusted_text_is_literal():
    info = make_info(3, batch_id="b<1>&amp;", material="<b>steel</b>",
                     notes=("<para>note</para>", "Ødegård \x00 ok"))
    rows = list(info.plaques)
    rows[0] = (rows[0][0], rows[0][1], "<i>order</i>", rows[0][3], rows[0][4])
    info = JobSheetInfo(**{**info.__dict__, "plaques": tuple(rows)})
    texts = pages_text(render_jobsheet(info))
    assert "Engraving job b<1>&amp;" in texts[0]
    assert "<b>steel</b>" in texts[0] and "<para>note</para>" in texts[0]
    assert "Ødegård \ufffd ok" in texts[0]
    assert "<i>order</i>" in texts[-1]


def test_deterministic():
    assert render_jobsheet(make_info(25)) == render_jobsheet(make_info(25))


@pytest.mark.skipif(not QPDF, reason="qpdf not installed")
def test_qpdf_check(tmp_path):
    f = tmp_path / "job-sheet.pdf"
    f.write_bytes(render_jobsheet(make_info(60, per_sheet=24)))
    res = subprocess.run([QPDF, "--check", str(f)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_full_production_list_is_paginated():
    """6,309 rows of plaque list: paginated, every row present (its speed: bench/bench_jobsheet.py)."""
    n = 6309
    rows = tuple((f"{i + 1:04d} / {n}", vin_for(i), f"A-{i}", f"engrave/{i + 1:04d}.svg",
                  f"proofs/{i + 1:04d}.pdf") for i in range(n))
    info = make_info(0, plaques=rows, orders_read=n)
    pdf = render_jobsheet(info)
    r = PdfReader(io.BytesIO(pdf))
    assert len(r.pages) == 1 + math.ceil(n / ROWS_PER_PAGE)
    assert f"0001 / {n}" in r.pages[1].extract_text()
    assert "0049 / 6309" in r.pages[2].extract_text()
    last = r.pages[-1].extract_text()
    assert f"{n:04d} / {n}" in last and vin_for(n - 1) in last


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
def test_pockets_show_the_plaque(tmp_path):
    """The bed map draws each plaque inside its pocket (ink where the pocket is)."""
    from PIL import Image

    from plaquegen.writers.jobsheet_page import PAGE

    info = make_info(2, per_sheet=6)
    f = tmp_path / "j.pdf"
    f.write_bytes(render_jobsheet(info))
    subprocess.run([PDFTOPPM, "-r", "50", "-png", "-f", "2", "-l", "2", "-singlefile", str(f),
                    str(tmp_path / "p")], check=True)
    img = Image.open(tmp_path / "p.png").convert("L")
    assert img.size[0] == round(PAGE[0] * 50 / 72)
    dark = sum(img.histogram()[:80])
    assert dark > 500  # two plaques' black engraving is there
