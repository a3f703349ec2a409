"""VIN normalisation, check digit (49 CFR 565 / ISO 3779), 1M VIN decoding."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vininfo import Vin

from plaquegen.inputs.vin import (ALPHABET, VinInfo, check_digit, decode, is_short_vin, normalize, short_vin,
                           vin_problem)

ALPHA = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def with_check(vin: str) -> str:
    return vin[:8] + check_digit(vin) + vin[9:]


# --- check digit ---------------------------------------------------------------------------------
def test_official_sample_check_digit():
    # The example of 49 CFR 565 / NHTSA: 1G4AH59H?5G118341 -> 4
    assert check_digit("1G4AH59H05G118341") == "4"
    assert check_digit("1G4AH59HX5G118341") == "4"      # position 9 itself carries no weight
    assert vin_problem("1G4AH59H45G118341") is None


def test_check_digit_can_be_x():
    # find a VIN whose remainder is 10 and check both our answer and vininfo's
    base = "WBSUR9C5?BVS9"
    for n in range(10000):
        vin = base.replace("?", "0") + f"{n:04d}"
        if check_digit(vin) == "X":
            vin = vin[:8] + "X" + vin[9:]
            assert vin_problem(vin) is None
            assert Vin(vin).verify_checksum(check_year=False)
            return
    pytest.fail("no VIN with check digit X found")


def test_check_digit_matches_vininfo_on_random_vins():
    rng = random.Random(7)
    for _ in range(500):
        body = "".join(rng.choice(ALPHA) for _ in range(17))
        vin = with_check(body)
        assert Vin(vin).verify_checksum(check_year=False), vin
        wrong = vin[:8] + ("1" if vin[8] != "1" else "2") + vin[9:]
        assert not Vin(wrong).verify_checksum(check_year=False)
        assert vin_problem(wrong) is not None


def test_check_digit_european_1m_with_year_zero():
    vin = with_check("WBSUR91500VS91529")
    assert vin == "WBSUR91530VS91529"
    assert vin_problem(vin) is None
    assert Vin(vin).verify_checksum(check_year=False)


@pytest.mark.parametrize("bad", ["", "WBSUR9C50BVS9656", "WBSUR9C50BVS965661", "WBSUR9C5OBVS96566",
                                 "wbsur9c50bvs96566", "WBSUR9C50BVS9656*"])
def test_check_digit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


# --- vin_problem ---------------------------------------------------------------------------------
def test_vin_problem_length():
    assert vin_problem("WBSUR9C51BVS9656") == "VIN has 16 characters, a full VIN has 17"
    assert vin_problem("WBSUR9C51BVS965660") == "VIN has 18 characters, a full VIN has 17"
    assert vin_problem("") == "VIN has 0 characters, a full VIN has 17"


def test_vin_problem_ioq_names_position():
    p = vin_problem("WBSUO9C51BVS96566")
    assert p == "VIN contains I, O or Q, which VINs never use (position 5: 'O')"
    p = vin_problem("WBSUR9C51BVS9656Q")
    assert "I, O or Q" in p and "position 17: 'Q'" in p


def test_vin_problem_other_characters():
    p = vin_problem("WBSUR9C51BVS9656*")
    assert "position 17: '*'" in p and "I, O or Q" not in p


def test_vin_problem_check_digit():
    good = with_check("WBSUR9C50BVS96566")
    assert good[8] == "1" and vin_problem(good) is None
    wrong = good[:8] + "7" + good[9:]
    assert vin_problem(wrong) == "check digit (position 9) should be 1, not 7: the VIN is probably mistyped"


# --- normalize -----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", [
    "wbsur9c51bvs96566",
    " WBS UR9C 51B VS96566 ",
    "WBS-UR9C-51B-VS96566",
    "WBS\u2013UR9C\u201451B\u2011VS96566",          # en dash, em dash, non-breaking hyphen
    "WBS.UR9C.51B_VS96566\t",
    "WBS\u00a0UR9C\u202f51BVS96566",                 # NBSP, narrow NBSP
    "\ufeffＷＢＳＵＲ９Ｃ５１ＢＶＳ９６５６６",          # BOM + full-width (NFKC)
    "WBS\u2212UR9C51BVS96566\u200b",                # minus sign, zero-width space
])
def test_normalize(typed):
    assert normalize(typed) == "WBSUR9C51BVS96566"


def test_normalize_keeps_foreign_characters_for_the_error_message():
    assert normalize("wbs*ur9") == "WBS*UR9"
    assert normalize("") == ""
    assert normalize(" - . _ ") == ""


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_never_raises_and_is_idempotent(s):
    n = normalize(s)
    assert isinstance(n, str)
    assert normalize(n) == n
    assert not any(ch.isspace() or ch in "-._" for ch in n)


# --- short VIN, decode ---------------------------------------------------------------------------
def test_short_vin():
    assert short_vin("WBSUR9C51BVS96566") == "VS96566"
    assert is_short_vin("VS96566")
    assert is_short_vin("V123456")
    assert not is_short_vin("1S96566")         # plant is a letter
    assert not is_short_vin("VS9656")
    assert not is_short_vin("VS9656O")          # O is never used
    assert not is_short_vin("OS96566")


def test_decode_north_america():
    info = decode("wbs-ur9c51bvs96566")
    assert info == VinInfo(vin="WBSUR9C51BVS96566", wmi="WBS", type_code="UR9C", steering="LHD",
                           region="North America", year_code="B", plant="Leipzig", serial="S96566",
                           is_1m=True)


def test_decode_europe_and_rhd():
    eu = decode("WBSUR91530VS91529")
    assert (eu.steering, eu.region, eu.year_code, eu.is_1m) == ("LHD", "Europe (left-hand drive)", "0", True)
    rhd = decode("WBSUR92530VS91528")
    assert rhd.steering == "RHD" and rhd.region == "right-hand-drive markets" and rhd.is_1m


def test_decode_other_vins():
    other = decode("1G4AH59H45G118341")
    assert not other.is_1m and other.wmi == "1G4" and other.steering == ""
    with pytest.raises(ValueError):
        decode("WBSUR9C51BVS9656")
    with pytest.raises(ValueError):
        decode("WBSUR9C5OBVS96566")


def test_alphabet():
    assert ALPHABET == frozenset(ALPHA) and not ALPHABET & set("IOQ")
