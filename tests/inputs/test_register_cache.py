"""The register parsed once per season folder (inputs/register_cache.py, core/cache.py): the
cached register is the register, a damaged, stale or forged cache is never used, a dry run
writes none."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
from plaquegen.cli.group import main
from plaquegen.core.cache import CACHE_DIR
from plaquegen.inputs import register_cache
from plaquegen.inputs.register import load_register
from plaquegen.inputs.register_cache import load_register_cached
from plaquegen.inputs.vin import check_digit


def v(body: str) -> str:
    return body[:8] + check_digit(body[:8] + "0" + body[9:]) + body[9:]


A, B, C = v("WBSUR91500VS96566"), v("WBSUR91500VS96570"), v("WBSUR91500VS96571")


def small_register(path: Path, second_use: str = "internal") -> Path:
    path.write_text(f"vin,use,market\n{A},customer,US\n{B},{second_use},DE\n{C},customer,GB\n", "utf-8")
    return path


def cache_files(out: Path) -> list[Path]:
    return sorted((out / CACHE_DIR).glob("register-*.json"))


def same(a, b) -> bool:
    return (a.cars, a.total, a.source, a.warnings, a.format) == (b.cars, b.total, b.source, b.warnings, b.format)


def no_parsing(monkeypatch):
    """From here on the register file may not be parsed: only the cache can answer."""
    def refuse(*args, **kwargs):
        raise AssertionError("the register was parsed again")
    monkeypatch.setattr(register_cache, "load_register", refuse)


def test_demo_register_cached_equals_parsed_and_is_used(tmp_path, monkeypatch):
    parsed = load_register()
    first = load_register_cached(None, tmp_path)
    assert same(first, parsed) and len(cache_files(tmp_path)) == 1
    no_parsing(monkeypatch)
    again = load_register_cached(None, tmp_path)
    assert same(again, parsed)
    car = again.lookup("VS94332")
    assert (car.vin, car.number, again.total) == ("WBSUR915X0VS94332", 462, 6309)
    assert again.by_number(6309) == parsed.by_number(6309)


def _flip_payload_byte(data: bytes) -> bytes:
    i = data.index(b"customer")
    return data[:i] + b"internal" + data[i + 8:]


def _forge(data: bytes) -> bytes:
    """A payload changed on purpose with its digest recomputed: B a customer, total unchanged."""
    head, _, body = data.partition(b"\n")
    payload = json.loads(body)
    payload["cars"][1][1] = "customer"
    body = json.dumps(payload).encode()
    header = json.loads(head)
    header["sha256"] = hashlib.sha256(body).hexdigest()
    return json.dumps(header).encode() + b"\n" + body


@pytest.mark.parametrize("damage", [
    _flip_payload_byte,                                     # bit rot in the payload
    lambda d: d.replace(b'"US"', b'"XX"'),                  # bit rot the numbers cannot show
    lambda d: d[: len(d) // 2],                             # truncated
    lambda d: b"",                                          # empty
    lambda d: b"\x00garbage\n{]",                           # not ours
    lambda d: d.replace(b'"format": 1', b'"format": 99'),   # another cache format
    _forge,                                                 # valid digest, numbers disagree
])
def test_damaged_cache_is_rebuilt_and_numbers_stay_right(tmp_path, damage):
    reg = small_register(tmp_path / "reg.csv")
    out = tmp_path / "out"
    out.mkdir()
    run = CliRunner().invoke(main, ["number", A, C, "--register", str(reg), "--out", str(out)])
    assert run.exit_code == 0, run.output
    (cache,) = cache_files(out)
    good = cache.read_bytes()
    cache.write_bytes(damage(good))
    run = CliRunner().invoke(main, ["number", A, B, C, "--register", str(reg), "--out", str(out)])
    assert run.exit_code == 1  # B is an internal unit: refused, whatever the cache said
    assert f"{A}  1 / 2  US" in run.output and f"{C}  2 / 2  GB" in run.output
    assert "internal unit" in run.output
    assert cache.read_bytes() == good  # rewritten from the register itself


def test_changed_register_is_read_again(tmp_path):
    reg = small_register(tmp_path / "reg.csv")
    assert load_register_cached(reg, tmp_path).lookup(C).number == 2
    small_register(reg, second_use="customer")  # B becomes a customer car: C moves to No. 3
    changed = load_register_cached(reg, tmp_path)
    assert (changed.lookup(B).number, changed.lookup(C).number, changed.total) == (2, 3, 3)
    assert same(changed, load_register(reg))


def test_other_options_and_files_get_their_own_entry(tmp_path):
    reg = small_register(tmp_path / "reg.csv")
    twin = small_register(tmp_path / "twin.csv")
    a = load_register_cached(reg, tmp_path)
    b = load_register_cached(twin, tmp_path)
    assert a.source == str(reg) and b.source == str(twin)
    assert len(cache_files(tmp_path)) == 2
    assert load_register_cached(twin, tmp_path).source == str(twin)


def test_no_folder_no_cache_and_a_dry_run_writes_none(tmp_path, monkeypatch):
    missing = tmp_path / "season"
    assert load_register_cached(None, missing).total == 6309
    assert not missing.exists()  # never creates the season folder
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    r = CliRunner().invoke(main, ["check", str(EXAMPLE), "--out", str(out)])
    assert r.exit_code == 3, r.output
    assert list(out.iterdir()) == []  # check writes nothing, not even the cache
    r = CliRunner().invoke(main, ["batch", str(EXAMPLE), "--out", str(out), "--no-proofs", "--workers", "1"])
    assert r.exit_code == 3, r.output
    assert len(cache_files(out)) == 1  # a run that existed before the batch keeps the parsed register
    assert not any(p.name == CACHE_DIR for p in (out / "example").iterdir())
