"""Hardening (issue 8): hostile order files, names, artwork, templates and registers.

The promise: every input line accounted for, no file outside the output folder,
no traceback, no half-written file, no number issued twice. Crashes mid-batch
are in test_crash.py.
"""
from __future__ import annotations

import csv
import io
import re
import socket
import subprocess
import sys
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from conftest import QPDF, ROOT, read_csv, template_variant, write_orders
from plaquegen.batch import BatchError, BatchOptions, run_batch
from plaquegen.cli import main
from plaquegen.orders import OrdersError, parse_orders
from plaquegen.register import Refused, RegisterError, load_register
from plaquegen.template import TemplateError, load_template
from plaquegen.vin import is_short_vin, normalize, vin_problem

SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
FORMULA_START = ("=", "+", "-", "@")


def one_sentence(msg: str) -> None:
    """A message a person reads: one line, not empty, not a traceback."""
    assert msg.strip(), "empty message"
    assert len(msg.splitlines()) == 1, f"message spans lines: {msg!r}"
    assert "Traceback" not in msg


# ---------------------------------------------------------------------------------------------
# 1. Property tests: the order reader, the VIN normaliser, the register.

@SETTINGS
@given(st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda s: ("order_id,vin,name\n" + s).encode("utf-8")),
    st.text(max_size=300).map(lambda s: ("Bestell-Nr;FIN\r\n" + s).encode("utf-16")),
    st.text(max_size=300).map(lambda s: ("order_id\tvin\n" + s).encode("cp1252", "replace")),
    st.binary(max_size=300).map(lambda b: b"\xef\xbb\xbforder_id,vin\n" + b),
))
def test_parse_orders_never_raises_on_arbitrary_bytes(data):
    try:
        of = parse_orders(data)
    except OrdersError as e:  # fatal, whole-file problems only
        one_sentence(str(e))
        return
    assert of.lines_read == len(of.orders) + len(of.rejects)
    lines = [x.line for x in of.orders + of.rejects]
    assert len(set(lines)) == len(lines) and all(n >= 2 for n in lines)
    for r in of.rejects:
        one_sentence(r.reason)
    for o in of.orders:
        assert o.order_id and o.vin


def test_orders_error_stays_on_one_line_for_a_hostile_header():
    """Regression: header cells with line breaks (quoted), U+2028 or 5,000 characters were copied
    into the message verbatim."""
    for data in (b'"x\ny",z\n1,2', b'"a\rb",name\n', "x\u2028y,z".encode(), b"a\x85b,c",
                 ("a" * 5000 + ",b").encode(), ",".join(f"c{i}" for i in range(40)).encode()):
        with pytest.raises(OrdersError) as e:
            parse_orders(data)
        one_sentence(str(e.value))
        assert len(str(e.value)) < 800


_CELL = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", "\n", "a\r\nb", '"', 'say "hi"', "x,y", "a;b", "\t", "\x00",
                     "WBSUR91510VS91531", "VS91531", "=1+1", "\u202eevil"]),
)
_HEADERS = (["order_id", "vin", "name", "email"], ["Bestell-Nr", "FIN", "Besitzer"],
            ["Order ID", "VIN"])


def _record(cells: list[str], delim: str, term: str, quote_all: bool) -> str:
    """One CSV record as a spreadsheet writes it (quotes where needed, or everywhere)."""
    def field(c: str) -> str:
        if quote_all or any(ch in c for ch in (delim, '"', "\r", "\n")) or (len(cells) == 1 and c == ""):
            return '"' + c.replace('"', '""') + '"'
        return c
    return delim.join(field(c) for c in cells) + term


def _blank(cells: list[str]) -> bool:
    return not any(c.replace("\x00", "").strip() for c in cells)


@SETTINGS
@given(rows=st.lists(st.lists(_CELL, max_size=6), max_size=8),
       header=st.sampled_from(_HEADERS), delim=st.sampled_from([",", ";", "\t"]),
       term=st.sampled_from(["\r\n", "\n", "\r"]),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
       quote_all=st.booleans(), blank_lines_before=st.integers(0, 2))
def test_every_record_is_an_order_or_a_reject_at_its_line(rows, header, delim, term, enc,
                                                           quote_all, blank_lines_before):
    """Generated structurally, so quoted fields spanning lines are real CSV: every non-blank
    record after the header ends as exactly one Order or Reject carrying its first physical line."""
    if enc == "cp1252":  # what survives the round trip through the code page
        rows = [[c.encode(enc, "replace").decode(enc) for c in r] for r in rows]
    text = term * blank_lines_before + _record(header, delim, term, False)
    starts, line = [], blank_lines_before + 2
    for r in rows:
        rec = _record(r, delim, term, quote_all)
        if not _blank(r):
            starts.append(line)
        line += len(list(io.StringIO(rec, newline="")))  # physical lines of this record
        text += rec
    note(repr(text))
    of = parse_orders(text.encode(enc, "replace"))
    got = sorted([o.line for o in of.orders] + [r.line for r in of.rejects])
    assert got == starts


_REG = load_register()
_VINS = [c.vin for c in _REG.cars[:40]] + [c.vin for c in _REG.cars[-10:]]


def _mutate(v: str, i: int, ch: str) -> str:
    return v[:i] + ch + v[i + 1:]


_TYPED = st.one_of(
    st.text(max_size=40),
    st.builds(_mutate, st.sampled_from(_VINS), st.integers(0, 16), st.characters()),
    st.sampled_from(_VINS).map(lambda v: v[10:]),
    st.builds(lambda v, sep: sep.join(v), st.sampled_from(_VINS),
              st.sampled_from([" ", "-", "\u00a0", "\u200b", "\ufeff", "\u2010", ".", "\u202e"])),
    st.sampled_from(_VINS).map(str.lower),
)


@SETTINGS
@given(_TYPED)
def test_vin_normalize_and_lookup_never_raise(typed):
    n = normalize(typed)
    assert isinstance(n, str) and normalize(n) == n  # idempotent
    vin_problem(n)
    is_short_vin(n)
    try:
        car = _REG.lookup(typed)
    except Refused as e:
        one_sentence(e.reason)
    else:
        assert car.number is not None and car.vin == n or car.short_vin == n


def test_lookup_of_hostile_text_refuses_with_a_sentence():
    for typed in ("", "\x00" * 17, "A" * 10_000, "<script>", "../../etc/passwd", "\u202e" * 7,
                  "\ud800", None, 12345):
        with pytest.raises(Refused) as e:
            _REG.lookup(typed)
        one_sentence(e.value.reason)
        assert len(e.value.reason) < 400


@SETTINGS
@given(st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(st.text(max_size=30),
                       st.builds(lambda v, u: f"{v},{u}", st.sampled_from(_VINS[:5] + ["x", ""]),
                                 st.sampled_from(["customer", "internal", "Customer ", "?"]))),
             max_size=6).map(lambda ls: ("vin,use\n" + "\n".join(ls)).encode()),
))
def test_load_register_raises_only_register_error(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("reg") / "register.csv"
    p.write_bytes(data)
    try:
        reg = load_register(p)
    except RegisterError as e:
        one_sentence(str(e))
    else:
        assert reg.total == len(reg.customers()) >= 1


# ---------------------------------------------------------------------------------------------
# 5. A register that lies.

def _vin(body16: str) -> str:
    """A VIN (WBS...) with its correct check digit at position 9."""
    from plaquegen.vin import check_digit

    v = body16[:8] + "0" + body16[8:]
    return v[:8] + check_digit(v) + v[9:]


A = _vin("WBSUR915" + "0VS91531")
B = _vin("WBSUR915" + "0VS91532")
C = _vin("WBSUR925" + "0VS91532")  # shares the short VIN VS91532 with B


@pytest.mark.parametrize("text, line, words", [
    (f"vin,use\n{A},customer\n# comment\n{A.lower()},customer\n", 4, ["duplicate VIN", "line 2"]),
    (f"vin,use\n{A},customer\n{' '.join(A)},internal\n", 3, ["duplicate VIN"]),  # spaced
    (f"vin,use\n{A[:8]}{'1' if A[8] != '1' else '2'}{A[9:]},customer\n", 2, ["check digit"]),
    (f"vin,use\n{A},customer\n{B[:16]},customer\n", 3, ["16 characters"]),
    (f"vin,use\n{A},customer\n{B},scrapped\n", 3, ["use must be customer or internal"]),
    (f"vin,use\n{A},internal\n", 2, ["no customer cars"]),
    ("vin,use\n\"x\ny\",customer\n", 2, ["bad VIN"]),
    ("vin;use\n", 1, ["header but no cars"]),  # ';' is a delimiter now, not part of a name
    ("vin use\n", 1, ["header must name"]),
])
def test_lying_register_is_refused_at_load_with_its_line(tmp_path, text, line, words):
    p = tmp_path / "reg.csv"
    p.write_text(text, "utf-8")
    with pytest.raises(RegisterError) as e:
        load_register(p)
    msg = str(e.value)
    one_sentence(msg)
    assert msg.startswith(f"reg.csv line {line}:"), msg
    for w in words:
        assert w in msg, msg


def test_register_header_with_line_separator_stays_one_line(tmp_path):
    p = tmp_path / "reg.csv"
    p.write_text("vi\u2028n,us\x85e\n", "utf-8")
    with pytest.raises(RegisterError) as e:
        load_register(p)
    one_sentence(str(e.value))


def test_ambiguous_short_vin_is_refused_at_lookup_full_vins_are_made(tmp_path):
    reg_file = tmp_path / "reg.csv"
    reg_file.write_text(f"vin,use\n{A},customer\n{B},customer\n{C},customer\n", "utf-8")
    orders = tmp_path / "o.csv"
    orders.write_text(f"order_id,vin\n1,{B[10:]}\n2,{B}\n3,{C}\n4,{A[10:]}\n", "utf-8")
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", register=reg_file,
                                 proofs=False, workers=1))
    assert res.plaques == 3 and res.rejects == 1
    (rej,) = read_csv(res.folder / "rejects.csv")
    assert rej["line"] == "2" and rej["reason"] == (
        f"short VIN {B[10:]} matches 2 cars ({B}, {C}): give the full VIN")
    made = {r["vin"]: r for r in read_csv(res.folder / "manifest.csv")}
    assert set(made) == {A, B, C}
    assert {r["label"] for r in made.values()} == {"0001 / 3", "0002 / 3", "0003 / 3"}


@pytest.mark.parametrize("fmt", ["{number:04d} / 6309", "{number:04d}/6309", "No. {number} of 6309",
                                 "{number} von 6.309"])
def test_template_format_that_hard_codes_the_total_is_refused(tmp_path, fmt):
    """Decision: the total always comes from the register ({total}); a template format that
    writes a literal total is refused when the template is loaded, whatever the register says
    (it would print a wrong total the day the register is corrected)."""
    p = template_variant(tmp_path, lambda t: t.replace('format = "{number:04d} / {total}"',
                                                f'format = "{fmt}"'))
    with pytest.raises(TemplateError) as e:
        load_template(p)
    one_sentence(str(e.value))
    assert "hard-codes the total" in str(e.value) and "{total}" in str(e.value)


@pytest.mark.parametrize("fmt", ["{number:04d} / {total}", "No. {number}", "{number:,} of {total:,}",
                                 "Edition 2011 · {number:>5}", "{number:04d}"])
def test_template_formats_without_a_literal_total_are_kept(tmp_path, fmt):
    p = template_variant(tmp_path, lambda t: t.replace('format = "{number:04d} / {total}"',
                                                f'format = "{fmt}"'))
    assert load_template(p).number.format == fmt


def test_register_total_flows_into_every_label(tmp_path, register):
    """100 customer cars in the register -> '/ 100' on the plaque, never the demo's 6309."""
    reg_file = tmp_path / "reg.csv"
    cars = register.customers()[:100]
    reg_file.write_text("vin,use\n" + "".join(f"{c.vin},customer\n" for c in cars), "utf-8")
    orders = tmp_path / "o.csv"
    orders.write_text(f"order_id,vin\n1,{cars[41].vin}\n", "utf-8")
    res = run_batch(BatchOptions(orders=orders, out=tmp_path / "out", register=reg_file, workers=1))
    (row,) = read_csv(res.folder / "manifest.csv")
    assert row["label"] == "0042 / 100" and row["total"] == "100"
    assert row["svg"] == "engrave/042_" + cars[41].vin + ".svg"
    from pypdf import PdfReader

    text = PdfReader(res.folder / row["proof"]).pages[0].extract_text()
    assert "0042 / 100" in text and "6309" not in text and "6,309" not in text


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


# ---------------------------------------------------------------------------------------------
# 3. Untrusted artwork and templates, end to end through `plaquegen batch`.

class _NoNetwork:
    """Records (and refuses) every attempt to open a network connection."""

    def __init__(self, monkeypatch):
        self.attempts: list = []

        def refuse(*args, **kwargs):
            self.attempts.append(args)
            raise OSError("network disabled in this test")

        monkeypatch.setattr(socket.socket, "connect", lambda s, *a: refuse(*a))
        monkeypatch.setattr(socket.socket, "connect_ex", lambda s, *a: refuse(*a))
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _cli_batch(tmp_path: Path, template: Path, orders: Path | None = None, out: Path | None = None,
               *extra: str):
    orders = orders or (ROOT / "orders" / "example.csv")
    out = out or (tmp_path / "out")
    return CliRunner().invoke(main, ["batch", str(orders), "--out", str(out), "--workers", "1",
                                     "--template", str(template), *extra])


def _assert_refused(r, *words: str) -> str:
    assert r.exit_code == 1, (r.exit_code, r.output, r.exception)
    assert isinstance(r.exception, SystemExit), f"uncaught {r.exception!r}"
    err = r.stderr.strip()
    one_sentence(err)
    assert err.startswith("Error: ") and len(err) < 600, err[:700]
    for w in words:
        assert w in err, err
    return err


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'width="100mm" height="40mm" viewBox="0 0 100 40">')
RECT = '<rect x="10" y="10" width="50" height="20"/>'
_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
           + ']>' + SVG + '<desc>&i;</desc>' + RECT + '</svg>')
HOSTILE_ART = {
    "xxe": ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + SVG + '<title>&x;</title>' + RECT + '</svg>', "DTD/entity declaration"),
    "billion-laughs": (_LAUGHS, "DTD/entity declaration"),
    "href-file": (SVG + '<use xlink:href="file:///etc/passwd#x"/>' + RECT + '</svg>', "external reference"),
    "href-http": (SVG + '<use href="http://127.0.0.1:9/x.svg#a"/>' + RECT + '</svg>', "external reference"),
    "css-import-http": (SVG + '<style>@import url(http://127.0.0.1:9/x.css);</style>' + RECT + '</svg>',
                        "external style sheet"),
    "fill-url-http": (SVG + '<rect width="5" height="5" fill="url(http://127.0.0.1:9/p#g)"/>' + RECT
                      + '</svg>', "external reference"),
    "xinclude": (SVG + '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
                 ' parse="text"/>' + RECT + '</svg>', "external reference"),
    "script": (SVG + '<script>alert(1)</script>' + RECT + '</svg>', "<script>"),
    "onload": (SVG.replace("<svg ", '<svg onload="alert(1)" ') + RECT + '</svg>', "onload"),
    "image-data": (SVG + '<image href="data:image/png;base64,iVBORw0KGgo=" width="9" height="9"/>'
                   + RECT + '</svg>', "raster <image>"),
    "image-http": (SVG + '<image href="http://127.0.0.1:9/a.png" width="9" height="9"/>' + RECT
                   + '</svg>', "raster <image>"),
    "foreign-object": (SVG + '<foreignObject width="9" height="9"><p xmlns="http://www.w3.org/1999/xhtml">'
                       'x</p></foreignObject>' + RECT + '</svg>', "foreignObject"),
    "huge-coordinates": (SVG + '<path d="M0 0 L1e300 0 L1e300 1e300 Z"/></svg>', "coordinates beyond"),
    "huge-rect": (SVG + '<rect width="1e300" height="1e300"/></svg>', "coordinates beyond"),
    "tiny-viewbox": (SVG.replace('viewBox="0 0 100 40"', 'viewBox="0 0 1e-300 1e-300"') + RECT + '</svg>',
                     "coordinates beyond"),
    "nan": (SVG + '<path d="M0 0 L10 NaN L5 5 Z"/></svg>', "cannot be read"),
    "empty-drawing": (SVG + '</svg>', "no visible shapes"),
    "single-point": (SVG + '<path d="M5 5 L5 5 Z"/></svg>', "no visible shapes"),
    "empty-file": ("", "not a valid SVG/XML file"),
    "not-xml": ("hello", "not a valid SVG/XML file"),
    "deep-nesting": (SVG + "<g>" * 5000 + RECT + "</g>" * 5000 + "</svg>", "more than 100 deep"),
    "use-bomb": (SVG + '<defs><g id="a">' + RECT * 10 + '</g>'
                 + "".join(f'<g id="{c}">' + f'<use href="#{p}"/>' * 10 + '</g>'
                           for p, c in zip("abcdefg", "bcdefgh")) + '</defs><use href="#h"/></svg>',
                 "more than 20,000 elements"),
}


@pytest.mark.parametrize("case", list(HOSTILE_ART))
def test_hostile_artwork_makes_batch_exit_1_with_one_sentence(tmp_path, monkeypatch, case):
    svg, words = HOSTILE_ART[case]
    net = _NoNetwork(monkeypatch)
    r = _cli_batch(tmp_path, template_variant(tmp_path, art=svg))
    _assert_refused(r, "art.svg", words)
    assert not net.attempts, f"network attempted: {net.attempts}"
    assert not (tmp_path / "out" / "example").exists()  # no batch folder for a refused template


def test_hostile_artwork_through_the_real_cli_process(tmp_path):
    """One case as the admin runs it: a separate process, exit 1, no traceback (its time: bench)."""
    tpl = template_variant(tmp_path, art=SVG + '<use href="http://127.0.0.1:9/x.svg#a"/>' + RECT + '</svg>')
    r = subprocess.run([sys.executable, "-m", "plaquegen.cli", "batch", str(ROOT / "orders" / "example.csv"),
                        "--out", str(tmp_path / "out"), "--template", str(tpl), "--workers", "1"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == ("Error: art.svg: contains an external reference "
                                "('http://127.0.0.1:9/x.svg#a'); artwork must be self-contained, "
                                "with no links to other files, web addresses or embedded data."), r.stderr


def test_refused_artwork_writes_nothing(tmp_path):
    r = _cli_batch(tmp_path, template_variant(tmp_path, art=SVG + '</svg>'))
    _assert_refused(r, "no visible shapes")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_artwork_with_too_many_segments_is_refused(tmp_path):
    from plaquegen.artwork import ArtworkError, load_artwork

    p = tmp_path / "zigzag.svg"
    p.write_text(SVG + '<path d="M0 0' + " l1 1 l1 -1" * 30_001 + 'z"/></svg>', "utf-8")
    with pytest.raises(ArtworkError, match="too complex"):
        load_artwork(p)


_NUM = 'format = "{number:04d} / {total}"'
HOSTILE_TEMPLATES = {
    "width-text": (lambda t: t.replace("width = 80.0", 'width = "80"'), "plate.width must be a number"),
    "width-nan": (lambda t: t.replace("width = 80.0", "width = nan"), "plate.width must be a positive"),
    "width-inf": (lambda t: t.replace("width = 80.0", "width = inf"), "plate.width must be a positive"),
    "width-negative": (lambda t: t.replace("width = 80.0", "width = -5"), "plate.width must be a positive"),
    "width-zero": (lambda t: t.replace("width = 80.0", "width = 0"), "plate.width must be a positive"),
    "width-1e12": (lambda t: t.replace("width = 80.0", "width = 1e12"), "absurd"),
    "width-huge-int": (lambda t: t.replace("width = 80.0", "width = " + "9" * 400), "absurd"),
    "box-huge-int": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, " + "9" * 400 + ", 18]"),
                     "silhouette.box must contain finite numbers"),
    "box-nan": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, nan, 18]"),
                "silhouette.box must contain finite numbers"),
    "box-bool": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, true, 18]"),
                 "silhouette.box must be four numbers"),
    "radius-nan": (lambda t: t.replace("corner_radius = 2.0", "corner_radius = nan"), "corner_radius"),
    "missing-section": (lambda t: t.replace("[number]", "[numbr]"), "unknown section [numbr]"),
    "missing-key": (lambda t: t.replace("cap_height = 3.2\n", ""), "number.cap_height is missing"),
    "unknown-key": (lambda t: t.replace("[plate]\n", "[plate]\ncolour = 1\n"), "unknown key plate.colour"),
    "table-is-value": (lambda t: "strokes = 5\n" + t.replace("[strokes]\nhairline = 0.025", ""),
                       "[strokes] must be a table"),
    "columns-float": (lambda t: t.replace("columns = 6", "columns = 6.5"), "bed.columns must be a whole number"),
    "columns-huge": (lambda t: t.replace("columns = 6", "columns = " + "9" * 30), "from 1 to 1000"),
    "grid-1000x1000": (lambda t: t.replace("columns = 6", "columns = 1000").replace("rows = 11", "rows = 1000"),
                       "beyond the 600 x 400 mm bed"),
    "tracking-nan": (lambda t: t.replace("tracking = 0.0", "tracking = nan"), "number.tracking"),
    "tracking-inf": (lambda t: t.replace("tracking = 0.0", "tracking = inf"), "number.tracking"),
    "tracking-1e300": (lambda t: t.replace("tracking = 0.0", "tracking = 1e300"), "number.tracking"),
    "format-width-1e9": (lambda t: t.replace(_NUM, 'format = "{number:0999999999d}"'), "width at most 64"),
    "format-width-5000-digits": (lambda t: t.replace(_NUM, 'format = "{number:0' + "9" * 5000 + 'd}"'),
                                 "width at most 64"),
    "format-char": (lambda t: t.replace(_NUM, 'format = "{number:c}"'), "not a valid format"),
    "format-hex": (lambda t: t.replace(_NUM, 'format = "{number:x} / {total}"'), "not a valid format"),
    "format-conversion": (lambda t: t.replace(_NUM, 'format = "{number!r}"'), "{number!r}"),
    "format-attribute": (lambda t: t.replace(_NUM, 'format = "{number.__class__}"'), "may only use"),
    "format-rlo": (lambda t: t.replace(_NUM, 'format = "\\u202e{number}"'), "U+202E"),
    "format-nul": (lambda t: t.replace(_NUM, 'format = "{number}\\u0000"'), "U+0000"),
    "format-hard-total": (lambda t: t.replace(_NUM, 'format = "{number:04d} / 6309"'), "hard-codes the total"),
    "not-toml": (lambda t: t.replace("[plate]", "[plate"), "is not valid TOML"),
    "duplicate-key": (lambda t: t.replace("width = 80.0", "width = 80.0\nwidth = 81.0"), "is not valid TOML"),
    "font-missing": (lambda t: t.replace("DejaVuSansCondensed-Bold.ttf", "nope.ttf"), "not found"),
    "font-not-a-font": (lambda t: t.replace(f'font = "{ROOT / "assets"}/fonts/DejaVuSansCondensed-Bold.ttf"',
                                            f'font = "{ROOT / "assets" / "plaque.toml"}"'), "not a .ttf"),
    "artwork-device": (lambda t: t.replace(f'"{ROOT / "assets" / "silhouette.svg"}"', '"/dev/zero"'),
                       "larger than 5 MB"),
    "artwork-missing": (lambda t: t.replace(f'"{ROOT / "assets" / "silhouette.svg"}"', '"nope.svg"'),
                        "not found"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TEMPLATES))
def test_hostile_template_makes_batch_exit_1_with_one_sentence(tmp_path, case):
    edit, words = HOSTILE_TEMPLATES[case]
    tpl = template_variant(tmp_path, edit)
    r = _cli_batch(tmp_path, tpl)
    _assert_refused(r, words)


def test_every_template_case_really_edits_the_template(tmp_path):
    plain = template_variant(tmp_path).read_text("utf-8")
    for case, (edit, _) in HOSTILE_TEMPLATES.items():
        assert edit(plain) != plain, case


def test_huge_bed_grid_on_a_tiny_plate_is_bounded(tmp_path):
    """1000 x 1000 pockets fit a 2 m bed when the plate is 1.9 mm: allowed (its time: bench)."""
    a = ROOT / "assets"
    tpl = tmp_path / "plaque.toml"
    tpl.write_text(f"""
[plate]
width = 1.9
height = 1.9
[silhouette]
file = "{a / 'silhouette.svg'}"
box = [0.1, 0.1, 1.0, 0.5]
[number]
format = "{{number:04d}} / {{total}}"
font = "{a / 'fonts' / 'DejaVuSansCondensed-Bold.ttf'}"
cap_height = 0.3
box = [0.1, 0.8, 1.7, 1.0]
[bed]
width = 2000.0
height = 2000.0
columns = 1000
rows = 1000
pitch_x = 2.0
pitch_y = 2.0
origin_x = 0.0
origin_y = 0.0
""", "utf-8")
    assert load_template(tpl).bed.slots == 1_000_000
    r = _cli_batch(tmp_path, tpl, None, None, "--no-proofs")
    assert r.exit_code == 3, r.output  # the example has 4 refused lines
    assert len(list((tmp_path / "out" / "example" / "sheets").glob("*.svg"))) == 1


def test_format_character_missing_from_the_font_is_one_sentence(tmp_path):
    tpl = template_variant(tmp_path, lambda t: t.replace(_NUM, 'format = "\U0001F697 {number}"'))
    r = _cli_batch(tmp_path, tpl)
    _assert_refused(r, "no glyph")


# ---------------------------------------------------------------------------------------------
# 4 (part). Output folder that cannot be written.

def test_output_folder_below_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = subprocess.run([sys.executable, "-m", "plaquegen.cli", "batch", str(ROOT / "orders" / "example.csv"),
                        "--out", str(tmp_path / "afile" / "out"), "--workers", "1"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    err = r.stderr.strip()
    one_sentence(err)
    assert "afile" in err and "not a directory" in err.lower()


@pytest.mark.parametrize("blocker", ["engrave", "sheets", "proofs"])
def test_batch_subfolder_that_is_a_file(tmp_path, blocker):
    (tmp_path / "out" / "example").mkdir(parents=True)
    (tmp_path / "out" / "example" / blocker).write_text("x")
    r = _cli_batch(tmp_path, ROOT / "assets" / "plaque.toml", None, None, "--no-proofs")
    _assert_refused(r, "cannot write to")


def test_ledger_below_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = _cli_batch(tmp_path, ROOT / "assets" / "plaque.toml", None, None,
                      "--ledger", str(tmp_path / "afile" / "l.sqlite"))
    _assert_refused(r, "ledger")


def test_orders_file_that_is_a_folder_or_a_device(tmp_path):
    r = _cli_batch(tmp_path, ROOT / "assets" / "plaque.toml", tmp_path)
    assert _assert_refused(r) == f"Error: {tmp_path} is a folder, not an order file."
    r = _cli_batch(tmp_path, ROOT / "assets" / "plaque.toml", Path("/dev/null"))
    assert _assert_refused(r) == "Error: null is empty: it has no header line and no orders."


# ---------------------------------------------------------------------------------------------
# No number issued twice; the ledger agrees with the folder.

def _small_orders(path: Path, cars, n: int) -> Path:
    return write_orders(path, cars[:n], start=0, prefix="", names=False)


def test_two_batches_at_once_do_not_issue_a_car_twice(tmp_path, register):
    """Deterministic race: batch B runs to completion while batch A is making its sheets
    (after A's conflict check, before A records)."""
    orders = _small_orders(tmp_path / "o.csv", register.customers()[100:], 4)
    out = tmp_path / "out"
    ran = []

    def other_batch_meanwhile(_n: int) -> None:
        if not ran:
            ran.append(run_batch(BatchOptions(orders=orders, out=out, batch_id="b", proofs=False,
                                              workers=1)))

    try:
        run_batch(BatchOptions(orders=orders, out=out, batch_id="a", proofs=False, workers=1),
                  progress=other_batch_meanwhile)
    except BatchError as e:  # refusing to record is fine, if it says so in a sentence
        one_sentence(str(e))
    import sqlite3

    con = sqlite3.connect(out / "ledger.sqlite")
    twice = con.execute("SELECT vin, count(*) FROM issue WHERE reprint = 0 GROUP BY vin "
                        "HAVING count(*) > 1").fetchall()
    con.close()
    assert ran and not twice, f"issued twice without --reprint: {twice}"


def test_rerun_with_fewer_orders_leaves_ledger_and_manifest_in_agreement(tmp_path, register):
    cars = register.customers()[200:]
    out = tmp_path / "out"
    orders = tmp_path / "o.csv"
    run_batch(BatchOptions(orders=_small_orders(orders, cars, 5), out=out, proofs=False, workers=1))
    res = run_batch(BatchOptions(orders=_small_orders(orders, cars, 3), out=out, proofs=False,
                                 workers=1))
    from plaquegen.ledger import Ledger

    with Ledger(out / "ledger.sqlite") as led:
        issued = {i.vin for i in led.issues(batch_id="o")}
    made = {r["vin"] for r in read_csv(res.folder / "manifest.csv")}
    assert issued == made, f"issued but not made: {sorted(issued - made)}"


def test_number_command_does_not_echo_terminal_escapes():
    r = CliRunner().invoke(main, ["number", "a\x1b[31mb", "\x1b]0;title\x07"])
    assert r.exit_code == 1
    assert "\x1b" not in r.output + r.stderr
