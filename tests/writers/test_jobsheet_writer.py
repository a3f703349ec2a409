"""The job sheet's fast paths: the same text, the same bytes or the same pixels as the slow ones.

- clean_text / visual fast paths against the character-by-character originals;
- the direct cell writer against reportlab's own drawString (byte-identical PDFs);
- the number paths as form XObjects and the streamed writer against inline drawing
  (pixel-identical under pdftoppm), with every plaque still in the extracted text.
"""
from __future__ import annotations

import dataclasses
import io
import pickle
import re
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader

from plaquegen.writers import jobsheet_page
from plaquegen.writers import pdf as pdfkit
from plaquegen.geometry.paths import Layer, Plaque
from plaquegen.writers.jobsheet import JobSheetWriter, render_jobsheet
from plaquegen.writers.pdf import _clean, _visual, clean_text, register_fonts, visual
from plaquegen.bed.layout import Sheet, Slot
from test_jobsheet import make_info, vin_for
from test_proof import make_plaque

QPDF = shutil.which("qpdf")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")

TRICKY = [
    "", " ", "   ", "WBSUR91060000001", "engrave/0001_WBSUR91060000001.svg", "0462 / 6309",
    "  leading and trailing  ", "double  space", "tab\there", "new\nline", "cr\r\nlf",
    "a\x00b", "\x07bell", "\x7fdel", "Ødegård", "Jörg Müller", "Dvořák", "Łukasz Żółć",
    "Ş ğ İ ı", "e\u0301", "A\u030a", "\u212b", "\u00c5", "n\u0303o", "\ufb01", "\u0958",
    "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "abc \u05d0\u05d1 123",
    "\U0001f600 emoji", "\u2764\ufe0f", "zero\u200bwidth", "bi\u202edi", "\ufeffbom",
    "nb\u00a0sp", "soft\u00adhyphen", "line\u2028sep", "para\u2029sep", "\ue000private",
    "\ud800lone", "wide\u3000space", "en\u2002space", "\u2014\u2026\u2022\u2192\u00b7\u00d7",
    "(parens) \\backslash\\", "<b>&amp;</b>", "\u1100\u1161", "\u0b47\u0b3e", "\u00e9\u0301",
    "x" * 250, "\u00e9" * 250, "Ø" + " " * 5 + "Ø", "\u00a0lead", "trail\u00a0",
    "\u0130stanbul", "\u03a9\u2126", "caf\u00e9 \u00b7 5", "mixed \u00e9\u0300", "fin\u0308",
]


@pytest.mark.parametrize("text", TRICKY)
def test_clean_text_fast_path_equals_slow_path(text):
    assert clean_text(text) == _clean(text)


def test_clean_text_other_values():
    class Weird(str):
        def __str__(self):
            return "shown\u0301"

    for value in (None, 12, 3.5, b"bytes", Weird("plain"), ["x"]):
        assert clean_text(value) == _clean(value)


def test_clean_text_fast_path_is_taken():
    """Plain ASCII and Latin-1 come back as the very object (no per-character work)."""
    for s in ("WBSUR91060000001", "proofs/0001_WBSUR91060000001.pdf", "Jörg Müller · 0462"):
        assert clean_text(s) is s


def test_safe_characters_never_change_under_nfc():
    """No two fast-path characters (or one and a space) compose or reorder under NFC."""
    register_fonts()
    chars = sorted(pdfkit._SAFE) + [" "]
    assert len(chars) > 190
    bad = [(a, b) for a in chars for b in chars if unicodedata.normalize("NFC", a + b) != a + b]
    assert bad == []
    for ch in pdfkit._SAFE:
        assert unicodedata.category(ch)[0] in "LNPS" and unicodedata.combining(ch) == 0, ch


@pytest.mark.parametrize("text", [t for t in TRICKY if t])
def test_visual_fast_path(text):
    cleaned = clean_text(text)
    assert visual(cleaned) == _visual(cleaned)


def tricky_info(n: int = 120):
    """Odd cells on the first list page (the writer's caches cold) and on a later one."""
    info = make_info(n, per_sheet=40)
    rows = list(info.plaques)
    odd = ["(A-1)\\x", "Ødegård", "\u05e9\u05dc\u05d5\u05dd", "\U0001f600", "", "nb\u00a0sp",
           "x" * 80, "\u0645\u0631\u062d\u0628\u0627", "  spaced  out  "]
    for i, value in enumerate(odd * 2):
        r = i if i < len(odd) else i + 60
        label, vin, _order, svg, pdf = rows[r]
        rows[r] = (label, vin, value, svg if i % 2 else "", pdf + value)
    return dataclasses.replace(info, plaques=tuple(rows), batch_id="b(1)\\ Ødegård")


def tight_info():
    """Rows of pockets with no room between them: labels on a white band (alpha)."""
    plaques = [make_plaque(vin=vin_for(i), number=i + 1) for i in range(6)]
    slots = tuple(Slot(j + 1, j % 3, j // 3, 5 + (j % 3) * 90.0, 5 + (j // 3) * 24.5,
                       plaques[j] if j < 5 else None) for j in range(6))
    sheets = (Sheet(1, 300.0, 60.0, slots, "sheets/sheet-01.svg"),)
    return make_info(0, plaques=make_info(6).plaques, sheets=sheets)


@pytest.mark.parametrize("make", [tricky_info, tight_info, lambda: make_info(0)])
def test_direct_writer_gives_reportlab_bytes(make):
    info = make()
    assert render_jobsheet(info) == render_jobsheet(info, exact=True)


def shared_info(n_sheets: int = 3, per_sheet: int = 6):
    """Sheets as they come back from the workers: in a sheet the plaques share the artwork
    Path objects; each sheet has its own (equal) copies."""
    sheets, rows = [], []
    number = 0
    for s in range(n_sheets):
        art = pickle.loads(pickle.dumps(make_plaque()))  # this sheet's copy of the artwork
        engrave, score, cut = art.layers
        slots = []
        for j in range(per_sheet):
            number += 1
            own = make_plaque(vin=vin_for(number), number=number)
            digits = own.layers[0].paths[3:]  # the number: this plaque's own paths
            pq = Plaque(80.0, 24.0, (Layer("engrave", engrave.paths[:3] + digits), score, cut),
                        vin=own.vin, number=number, total=own.total, label=own.label)
            slots.append(Slot(j + 1, j % 3, j // 3, 10 + (j % 3) * 95.0, 10 + (j // 3) * 32.0, pq))
            rows.append((pq.label, pq.vin, f"A-{number}", f"engrave/{number:04d}_{pq.vin}.svg",
                         f"proofs/{number:04d}_{pq.vin}.pdf"))
        sheets.append(Sheet(s + 1, 300.0, 200.0, tuple(slots), f"sheets/sheet-{s + 1:02d}.svg"))
    return make_info(0, plaques=tuple(rows), sheets=tuple(sheets), orders_read=number)


def test_shared_artwork_form_written_once():
    info = shared_info()
    pdf = render_jobsheet(info)
    assert len(set(re.findall(rb"FormXob\.shared\d+", pdf))) == 1
    r = PdfReader(io.BytesIO(pdf))
    for page in r.pages[1:1 + len(info.sheets)]:
        names = set(page["/Resources"]["/XObject"].keys())
        assert "/FormXob.shared1" in names
        assert any(n.startswith("/FormXob.js") for n in names)  # the numbers' path forms


def pixels(pdf: bytes, tmp_path, name: str, first: int, last: int) -> list:
    from PIL import Image

    f = tmp_path / f"{name}.pdf"
    f.write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", "100", "-png", "-f", str(first), "-l", str(last), str(f),
                    str(tmp_path / name)], check=True, capture_output=True)
    files = sorted(tmp_path.glob(f"{name}-*.png"))
    assert len(files) == last - first + 1
    return [Image.open(p).convert("RGB").tobytes() for p in files]


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
def test_number_forms_look_like_inline_paths(tmp_path, monkeypatch):
    info = shared_info()
    with_forms = render_jobsheet(info)
    monkeypatch.setattr(jobsheet_page.PathForms, "__call__", lambda self, path, code, op: f"{code}\n{op}")
    inline = render_jobsheet(info)
    assert b"FormXob.js" in with_forms and b"FormXob.js" not in inline
    n = 1 + len(info.sheets)
    a = pixels(with_forms, tmp_path, "forms", 2, n)
    b = pixels(inline, tmp_path, "inline", 2, n)
    assert a == b
    assert len(set(a[0])) > 3  # a real drawing, not a blank page


def stream(info, n_plaques=None, n_sheets=None, plaques=None):
    head = dataclasses.replace(info, plaques=(), sheets=(), machine_s=0.0)
    w = JobSheetWriter(head, len(info.plaques) if n_plaques is None else n_plaques,
                       len(info.sheets) if n_sheets is None else n_sheets)
    for sheet in info.sheets:
        w.add_sheet(sheet)
    return w.finish(info.plaques if plaques is None else plaques, info.machine_s)


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
def test_streamed_writer_looks_the_same(tmp_path):
    info = dataclasses.replace(shared_info(4, 9), machine_s=4321.0)
    whole, streamed = render_jobsheet(info), stream(info)
    assert whole != streamed  # the totals are a form here
    assert b"FormXob.overviewTotals" in streamed
    pages = len(PdfReader(io.BytesIO(whole)).pages)
    assert len(PdfReader(io.BytesIO(streamed)).pages) == pages
    assert pixels(whole, tmp_path, "whole", 1, pages) == pixels(streamed, tmp_path, "streamed", 1,
                                                                pages)
    first = PdfReader(io.BytesIO(streamed)).pages[0].extract_text()
    assert "4 (36 plaques placed)" in first
    assert "1 h 12 min" in first
    assert stream(info) == streamed  # deterministic


def test_streamed_writer_keeps_a_broken_promise_correct():
    """Other counts at finish than promised: the document is drawn again from what came."""
    info = shared_info(2, 6)
    assert stream(info, n_plaques=99) == render_jobsheet(info)
    fewer = info.plaques[:5]
    assert stream(info, plaques=fewer) == render_jobsheet(dataclasses.replace(info, plaques=fewer))
    one = dataclasses.replace(info, sheets=info.sheets[:1])
    assert stream(one, n_sheets=2) == render_jobsheet(one)


@pytest.mark.skipif(not (PDFTOTEXT and QPDF), reason="pdftotext / qpdf not installed")
@pytest.mark.parametrize("streamed", [False, True])
def test_every_plaque_listed(tmp_path, streamed):
    info = shared_info(6, 60)  # 360 plaques, 8 list pages
    pdf = stream(info) if streamed else render_jobsheet(info)
    f = tmp_path / "job.pdf"
    f.write_bytes(pdf)
    res = subprocess.run([QPDF, "--check", str(f)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    n_pages = len(PdfReader(io.BytesIO(pdf)).pages)
    listing = subprocess.run([PDFTOTEXT, "-layout", "-f", str(2 + len(info.sheets)), "-l",
                              str(n_pages), str(f), "-"], capture_output=True, text=True,
                             check=True).stdout
    lines = [ln for ln in listing.splitlines() if "WBSUR" in ln]
    assert len(lines) == len(info.plaques)
    for (label, vin, order_id, svg, proof), line in zip(info.plaques, lines):
        for cell in (label, vin, order_id, svg, proof):
            assert cell in line, (cell, line)
