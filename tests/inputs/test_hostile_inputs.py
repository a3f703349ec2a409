"""Hostile order files, VINs, registers and templates: every input line accounted for, every refusal one sentence."""
from __future__ import annotations

import io

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from conftest import read_csv, template_variant
from plaquegen.pipeline.batch import BatchOptions, run_batch
from plaquegen.inputs.orders import OrdersError, parse_orders
from plaquegen.inputs.register import Refused, RegisterError, load_register
from plaquegen.inputs.template import TemplateError, load_template
from plaquegen.inputs.vin import is_short_vin, normalize, vin_problem

from conftest import one_sentence, HYPOTHESIS_SETTINGS as SETTINGS

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
    from plaquegen.inputs.vin import check_digit

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
    ("vin,use\n\"x\ny\",customer\n", 2, ["runs on to line 3", "fix the quoting"]),
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
