"""The production register: loading, validation, lookups and refusals, the synthetic demo register."""
from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from plaquegen.inputs.register import DEMO_REGISTER, Car, Refused, Register, RegisterError, load_register
from plaquegen.inputs.vin import check_digit, vin_problem

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "make_demo_register.py"


def v(body: str) -> str:
    """A VIN with its correct check digit (position 9 of body is a placeholder)."""
    return body[:8] + check_digit(body[:8] + "0" + body[9:]) + body[9:]


# A small register: build order, customer and internal rows.
A = v("WBSUR9C5?BVS96566")      # customer 1
B = v("WBSUR91500VS96570")      # internal
C = v("WBSUR92500VS96571")      # customer 2
D = v("WBSUR91500VS96600")      # customer 3
E = v("WBSUR91500VT10000")      # customer 4  (short VIN VT10000)
F = v("WBSUR9C50BVT10000")      # customer 5  (same short VIN as E)


def write(tmp_path: Path, text: str, name: str = "reg.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.fixture()
def small(tmp_path) -> Register:
    text = ("# a comment before the header\n"
            "vin,use,market,produced,notes\n"
            f"{A},customer,US,2011-03-01,x\n"
            f"{B},INTERNAL,DE,2011-03-01,\n"
            "# a comment between rows\n"
            "\n"
            f"{C},Customer,GB,2011-03-02,\n"
            f"{D},customer,DE,2011-03-02,\n"
            f"{E},customer,DE,2011-03-03,\n"
            f"{F},customer,US,2011-03-03,\n")
    return load_register(write(tmp_path, text))


def refusal(reg: Register, text: str) -> str:
    with pytest.raises(Refused) as ei:
        reg.lookup(text)
    assert str(ei.value) == ei.value.reason
    return ei.value.reason


# --- loading -------------------------------------------------------------------------------------
def test_small_register_numbers_and_lines(small):
    assert small.total == 5
    assert [c.vin for c in small.cars] == [A, B, C, D, E, F]
    assert [c.number for c in small.cars] == [1, None, 2, 3, 4, 5]
    assert [c.line for c in small.cars] == [3, 4, 7, 8, 9, 10]
    assert [c.use for c in small.cars] == ["customer", "internal", "customer", "customer", "customer", "customer"]
    assert small.cars[0].market == "US" and small.cars[0].produced == "2011-03-01"
    assert [c.vin for c in small.customers()] == [A, C, D, E, F]
    assert small.by_number(3).vin == D
    with pytest.raises(KeyError):
        small.by_number(6)


def test_bom_crlf_and_spaced_vins(tmp_path):
    spaced = A[:3] + " " + A[3:9] + "-" + A[9:].lower()
    reg = load_register(write(tmp_path, f"\ufeffVIN , Use\r\n{spaced},customer\r\n{C},customer\r\n"))
    assert [c.vin for c in reg.cars] == [A, C] and reg.total == 2
    assert reg.source == str(tmp_path / "reg.csv")


def test_total_is_counted_not_constant(tmp_path):
    reg = load_register(write(tmp_path, f"vin,use\n{A},customer\n{B},internal\n"))
    assert reg.total == 1
    assert refusal(reg, B) == "internal unit (pre-production/test car), not one of the 1 customer cars"


@pytest.mark.parametrize("text, line, words", [
    (f"vin,use\n{A},customer\n{C},customer\n{A},internal\n", 4, ["duplicate VIN " + A, "first seen on line 2"]),
    (f"# c\nvin,use\n{A},customer\n{C},owner\n", 4, ["use must be customer or internal", "'owner'"]),
    (f"vin,use\n{A},customer\n{A[:16]},customer\n", 3, ["bad VIN", "16 characters"]),
    (f"vin,use\n{A[:4]}O{A[5:]},customer\n", 2, ["bad VIN", "I, O or Q", "position 5"]),
    (f"vin,use\n{A[:8]}{'1' if A[8] != '1' else '2'}{A[9:]},customer\n", 2, ["bad VIN", "check digit (position 9)"]),
    ("vin,use\n,customer\n", 2, ["no VIN"]),
    (f"# only comments\ncar,use\n{A},customer\n", 2, ["header must name the columns vin (or FIN, Fahrgestellnummer) "
                                                      "and use (or Verwendung)", "missing: vin", "found: car, use"]),
    (f"vin,market\n{A},US\n", 1, ["missing: use"]),
    ("# nothing here\n\n", 1, ["empty"]),
    ("vin,use\n# no cars\n", 1, ["no cars"]),
    (f"vin,use\n{B},internal\n", 2, ["no customer cars"]),
])
def test_load_errors_name_file_and_line(tmp_path, text, line, words):
    with pytest.raises(RegisterError) as ei:
        load_register(write(tmp_path, text))
    msg = str(ei.value)
    assert msg.startswith(f"reg.csv line {line}: "), msg
    for w in words:
        assert w in msg, msg
    assert msg.endswith(".") and "\n" not in msg


def test_load_missing_file(tmp_path):
    with pytest.raises(RegisterError, match="not found"):
        load_register(tmp_path / "nope.csv")


def test_windows_1252_register_is_read(tmp_path):
    reg = load_register(write(tmp_path, f"vin,use,market\n{A},customer,DE\n{C},customer,Gr\u00fcn\n",
                              encoding="cp1252"))
    assert [c.market for c in reg.cars] == ["DE", "Gr\u00fcn"] and reg.format == "CSV (Windows-1252, ',')"


def test_wrong_check_digit_allowed_when_not_strict(tmp_path):
    bad = A[:8] + ("1" if A[8] != "1" else "2") + A[9:]
    assert vin_problem(bad) is not None
    reg = load_register(write(tmp_path, f"vin,use\n{bad},customer\n{C},customer\n"), strict_check_digit=False)
    # the register is authoritative: a VIN in it is found even though its check digit looks wrong
    assert reg.lookup(bad).number == 1
    with pytest.raises(RegisterError, match="length|characters|17"):
        load_register(write(tmp_path, f"vin,use\n{A[:16]},customer\n"), strict_check_digit=False)


# --- lookups -------------------------------------------------------------------------------------
def test_lookup_full_and_typed(small):
    assert small.lookup(A).number == 1
    assert small.lookup(" " + C.lower()[:3] + "-" + C.lower()[3:] + "\t").vin == C
    assert small.lookup(D).number == 3


def test_lookup_short_vin(small):
    assert small.lookup(A[10:]).vin == A
    assert small.lookup(A[10:].lower()).vin == A
    assert small.lookup(D[10:]).number == 3
    assert isinstance(small.lookup(C[10:]), Car)


def test_ambiguous_short_vin(small):
    reason = refusal(small, "vt10000")
    assert reason == f"short VIN VT10000 matches 2 cars ({E}, {F}): give the full VIN"
    assert small.lookup(E).number == 4 and small.lookup(F).number == 5


def test_refusal_empty(small):
    assert refusal(small, "") == "no VIN given"
    assert refusal(small, " - ") == "no VIN given"


def test_refusal_wrong_length(small):
    assert refusal(small, A[:16]) == "VIN has 16 characters; a full VIN has 17, a short VIN 7"
    assert refusal(small, "VS9656") == "VIN has 6 characters; a full VIN has 17, a short VIN 7"


def test_refusal_internal_unit(small):
    assert refusal(small, B) == "internal unit (pre-production/test car), not one of the 5 customer cars"
    assert refusal(small, B[10:]) == "internal unit (pre-production/test car), not one of the 5 customer cars"


def test_internal_refusal_uses_thousands_separator(register):
    internal = next(c for c in register.cars if c.number is None)
    assert refusal(register, internal.vin) == \
        "internal unit (pre-production/test car), not one of the 6,309 customer cars"


def test_did_you_mean_letter_o_for_zero(small):
    typed = D.replace("0", "O")          # three zeros typed as letter O
    assert typed.count("O") == 3
    reason = refusal(small, typed)
    assert "'O' at position 10" in reason and "'O' at position 17" in reason
    assert reason.endswith(f"did you mean {D} (No. 3)?")
    one = C[:9] + "O" + C[10:]            # the year code 0 typed as O
    reason = refusal(small, one.lower())
    assert reason.startswith("VIN contains 'O' at position 10, which VINs never use")
    assert reason.endswith(f"did you mean {C} (No. 2)?")


def test_did_you_mean_letter_i_for_one_in_short_vin(tmp_path):
    x = v("WBSUR91500VS11111")
    reg = load_register(write(tmp_path, f"vin,use\n{x},customer\n"))
    reason = refusal(reg, "VS1I11I")
    assert "'I' at position 4" in reason and "'I' at position 7" in reason
    assert f"did you mean VS11111 ({x}, No. 1)?" in reason


def test_did_you_mean_one_wrong_character(small):
    typed = D[:14] + ("7" if D[14] != "7" else "8") + D[15:]
    reason = refusal(small, typed)
    assert reason == f"{typed} is not in the production register: did you mean {D} (No. 3)?"


def test_did_you_mean_wrong_check_digit(small):
    typed = C[:8] + ("1" if C[8] != "1" else "2") + C[9:]
    assert refusal(small, typed) == f"{typed} is not in the production register: did you mean {C} (No. 2)?"


def test_did_you_mean_adjacent_swap(small):
    # D's serial 96600 -> typed 69600
    i = 11
    typed = D[:i] + D[i + 1] + D[i] + D[i + 2:]
    assert typed != D
    reason = refusal(small, typed)
    assert f"did you mean {D} (No. 3)?" in reason


def test_did_you_mean_several_candidates(small):
    # E and F differ only in positions 6, 9 and 10 -> a short VIN typo has several candidates
    reason = refusal(small, "VT10001")       # one typo from VT10000, shared by E and F
    assert reason.startswith("short VIN VT10001 is not in the production register: did you mean ")
    assert E in reason and F in reason


def test_short_vin_not_found(small):
    assert refusal(small, "VZ55555") == "short VIN VZ55555 is not in the production register"


def test_refusal_wrong_check_digit_without_candidate(small):
    body = v("WBSUR91500VS00001")
    typed = body[:8] + ("1" if body[8] != "1" else "2") + body[9:]
    reason = refusal(small, typed)
    assert reason == (f"check digit (position 9) should be {body[8]}, not {typed[8]}: "
                      "the VIN is probably mistyped; not in the production register")


def test_refusal_valid_vin_not_built(small):
    x = v("WBSUR91500VS00001")
    reason = refusal(small, x)
    assert reason.startswith(f"{x} is not in the production register")
    assert "valid VIN" in reason


def test_refusal_not_a_bmw_m_vin(small):
    reason = refusal(small, "1G4AH59H45G118341")
    assert "not a BMW M VIN" in reason and "1G4" in reason


def test_refusal_bad_characters(small):
    reason = refusal(small, "WBS*R9C5XBVZ9999Q")
    assert "'*' at position 4" in reason and "'Q' at position 17" in reason
    assert "never use" in reason


def test_typo_search_uses_indexes_not_scans(register):
    # every customer car found by full and short VIN, each the same object
    for car in register.customers()[:500]:
        assert register.lookup(car.vin) is car
        assert register.lookup(car.short_vin) is car


# --- the synthetic demo register -----------------------------------------------------------------
def demo_rows() -> tuple[list[str], list[dict[str, str]]]:
    lines = DEMO_REGISTER.read_text(encoding="utf-8").splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    rows = list(csv.DictReader(ln for ln in lines if ln and not ln.startswith("#")))
    return comments, rows


def test_demo_register_is_labelled_synthetic():
    comments, _ = demo_rows()
    head = "\n".join(comments)
    assert "SYNTHETIC" in head and "NOT BMW" in head
    assert "make_demo_register.py" in head


def test_demo_register_shape(register):
    _, rows = demo_rows()
    assert list(rows[0]) == ["vin", "use", "market", "produced"]
    assert len(rows) == 6342
    uses = Counter(r["use"] for r in rows)
    assert uses == {"customer": 6309, "internal": 33}
    assert register.total == 6309 and len(register.cars) == 6342
    # the number is the rank among customer rows, computed here from the file itself
    rank = 0
    expected = {}
    for r in rows:
        if r["use"] == "customer":
            rank += 1
            expected[r["vin"]] = rank
    assert expected[register.customers()[0].vin] == 1 == register.customers()[0].number
    assert expected[register.customers()[-1].vin] == 6309 == register.customers()[-1].number
    assert {c.vin: c.number for c in register.customers()} == expected
    # most internal units early (pre-production)
    internal = [i for i, r in enumerate(rows) if r["use"] == "internal"]
    assert sum(i < 300 for i in internal) >= 20


def test_demo_register_vins_are_valid_and_ordered():
    _, rows = demo_rows()
    vins = [r["vin"] for r in rows]
    assert all(vin_problem(x) is None for x in vins)
    assert all(x.startswith("WBS") and x[10] == "V" for x in vins)
    serials = [x[11:] for x in vins]
    assert all(a < b for a, b in zip(serials, serials[1:]))       # strictly increasing in build order
    gaps = [int(b[1:]) - int(a[1:]) for a, b in zip(serials, serials[1:]) if a[0] == b[0]]
    assert gaps.count(1) > len(gaps) / 2 and max(gaps) > 1         # runs of consecutive serials, then jumps
    assert len({x[10:] for x in vins}) == len(vins)                # short VINs unique
    dates = [r["produced"] for r in rows]
    assert dates == sorted(dates)
    assert "2011-03-01" <= dates[0] and dates[-1] <= "2012-06-30"


def test_demo_register_markets():
    _, rows = demo_rows()
    cust = [r for r in rows if r["use"] == "customer"]
    m = Counter(r["market"] for r in cust)
    assert (m["US"], m["CA"], m["AU"], m["GB"], m["ZA"]) == (740, 220, 301, 400, 71)
    assert sum(m.values()) == 6309
    for r in rows:
        t, year = r["vin"][3:7], r["vin"][9]
        if r["market"] in ("US", "CA"):
            assert (t, year) == ("UR9C", "B")
        elif r["market"] in ("AU", "GB", "ZA"):
            assert (t, year) == ("UR92", "0")
        else:
            assert (t, year) == ("UR91", "0"), r
    assert "JP" not in m
    # build order interleaves markets: the US cars are not all in one block
    us_pos = [i for i, r in enumerate(cust) if r["market"] == "US"]
    assert us_pos[0] < 200 and us_pos[-1] > 6000


def test_demo_script_is_reproducible(tmp_path):
    out = tmp_path / "again.csv"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == DEMO_REGISTER.read_bytes()
    assert b"\r" not in out.read_bytes()


def test_load_default_is_demo():
    reg = load_register()
    assert Path(reg.source) == DEMO_REGISTER


def _demo_with_stray_quote(tmp_path: Path) -> tuple[Path, list[str]]:
    """The demo register with `"GB` on one customer row and `FR"` two customer rows later."""
    lines = DEMO_REGISTER.read_text("utf-8").splitlines(True)
    rows = [i for i, ln in enumerate(lines) if ln.count(",") == 3 and ",customer," in ln]
    a, b = rows[20], rows[22]

    def quote(line: str, opening: bool) -> str:
        parts = line.rstrip("\n").split(",")
        parts[2] = '"' + parts[2] if opening else parts[2] + '"'
        return ",".join(parts) + "\n"

    lines[a], lines[b] = quote(lines[a], True), quote(lines[b], False)
    p = tmp_path / "register.csv"
    p.write_text("".join(lines), "utf-8")
    return p, [a + 1, b + 1]


def test_a_stray_quote_is_refused_not_two_cars_dropped(tmp_path):
    """Read leniently, the quoted value would swallow two cars and shift every later number
    ("0019 / 6307" for "0021 / 6309"): the register is refused, naming the lines."""
    path, (first, last) = _demo_with_stray_quote(tmp_path)
    import csv as _csv
    lenient = list(_csv.reader(path.read_text("utf-8").splitlines(True)))
    assert len(lenient) < len(DEMO_REGISTER.read_text("utf-8").splitlines()) - 1  # what used to happen
    with pytest.raises(RegisterError) as e:
        load_register(path)
    msg = str(e.value)
    assert f"line {first}: a quote opens a value that runs on to line {last}" in msg
    assert "fix the quoting" in msg and "\n" not in msg


def test_a_nul_in_the_register_is_refused(tmp_path):
    text = DEMO_REGISTER.read_text("utf-8").replace("VS91808", "VS9\x001808", 1)
    p = write(tmp_path, text)
    with pytest.raises(RegisterError) as e:
        load_register(p)
    assert "NUL byte" in str(e.value) and "damaged register file" in str(e.value)
