"""Where each plaque stands on the season page (issue 25): the state from the ledger's facts
about the artwork a plaque has now, the address columns kept for the post, and pages that are
rewritten only when the record changed."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import read_csv
from plaquegen.cli import main
from plaquegen.inputs.address import address_lines, is_address_header
from plaquegen.record.ledger import Event
from plaquegen.record.season_view import derive_state
from plaquegen.record.states import APPROVED, CHANGES, WAITING, PlaqueState

NOW, OLD = "a" * 64, "b" * 64


def _ps(state=WAITING, released=False):
    return PlaqueState(1, "V", "o", "0001 / 6309", NOW, state, released=released)


def _ev(kind, sha=NOW, **kw):
    return Event("2026-05-01T10:00:00Z", "V", "b", kind, sha, 1, **kw)


@pytest.mark.parametrize("current, events, alive, want", [
    (_ps(), [_ev("issued")], True, "waiting"),
    (_ps(), [_ev("issued"), _ev("sent")], True, "sent"),
    (_ps(), [_ev("sent"), _ev("reminded")], True, "reminded"),
    (_ps(), [_ev("sent"), _ev("reminded"), _ev("sent")], True, "sent"),    # sent again on purpose
    (_ps(), [_ev("sent", OLD), _ev("remade")], True, "waiting"),           # the old proof was sent
    (_ps(APPROVED), [_ev("sent")], True, "approved"),
    (_ps(CHANGES), [_ev("sent")], True, "changes"),
    (_ps(APPROVED, True), [_ev("released")], True, "released"),
    (_ps(CHANGES), [_ev("released"), _ev("unreleased")], True, "changes"),  # a take-back
    (_ps(APPROVED, True), [_ev("released"), _ev("delivered", source="post")], True, "delivered"),
    (_ps(), [_ev("delivered", OLD), _ev("remade")], True, "waiting"),  # handed over, then remade
    (None, [_ev("issued"), _ev("withdrawn")], False, "withdrawn"),
    (None, [_ev("sent")], True, "sent"),  # a batch whose folder is gone: the ledger alone
])
def test_the_state_comes_from_the_current_artwork(current, events, alive, want):
    assert derive_state(current, events, NOW, alive) == want


def test_address_columns_are_recognised_by_their_header():
    for header in ("Straße", "Strasse und Hausnummer", "PLZ", "Ort", "Address line 1", "Postcode",
                   "ZIP code", "City", "Anschrift (für Versand)", "Bundesland", "c/o"):
        assert is_address_header(header), header
    for header in ("E-Mail-Adresse", "Email address", "Name", "Land", "Bestell-Nr", "FIN", "Status",
                   "Sprache", "Order number"):
        assert not is_address_header(header), header
    raw = (("Name", "A"), ("Straße", " Ringstraße  5 "), ("PLZ", "53520"), ("Ort", ""),
           ("City", "Nürburg"), ("E-Mail-Adresse", "a@b.example"))
    assert address_lines(raw) == ("Ringstraße 5", "53520", "Nürburg")


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.output


@pytest.fixture
def made(tmp_path, register):
    orders = tmp_path / "spring.csv"
    with open(orders, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["order_id", "vin", "name", "Straße", "PLZ", "Ort", "=cmd"])
        w.writerow(["1", register.by_number(5).vin, "Ann", "=HYPERLINK(1)", "53520", "Nürburg", "x"])
        w.writerow(["2", register.by_number(6).vin, "Bob", "", "", "", ""])
    out = tmp_path / "output"
    assert run("batch", orders, "--out", out, "--workers", "1", "--no-proofs")[0] == 0
    return out, out / "spring"


def test_owners_csv_keeps_the_address_defused(made):
    out, folder = made
    rows = {r["name"]: r for r in read_csv(folder / "owners.csv")}
    assert rows["Ann"]["address"] == "'=HYPERLINK(1)\n53520\nNürburg"  # a formula stays text
    assert rows["Bob"]["address"] == ""


def test_pages_change_only_with_the_record(made):
    out, folder = made
    season, batch = out / "index.html", folder / "index.html"
    assert season.is_file() and batch.is_file()  # written by the batch command
    before = (season.read_bytes(), season.stat().st_mtime_ns, batch.stat().st_mtime_ns)
    code, text = run("report", "--out", out)
    assert code == 0 and "0 page(s) changed" in text, text
    code, text = run("deliver", folder, "x", "--by", "handover")  # refused: nothing recorded
    assert code == 3
    assert (season.read_bytes(), season.stat().st_mtime_ns, batch.stat().st_mtime_ns) == before
    vin = read_csv(folder / "manifest.csv")[0]["vin"]
    assert run("answer", folder, vin, "approve", "--by", "phone")[0] == 0
    assert season.read_bytes() != before[0] and f'data-vin="{vin}" data-state="approved"' in \
        season.read_text("utf-8")


def test_a_page_that_cannot_be_written_never_undoes_the_command(made):
    out, folder = made
    (out / "index.html").unlink()
    (out / "index.html").mkdir()  # something in the way
    vin = read_csv(folder / "manifest.csv")[1]["vin"]
    code, text = run("answer", folder, vin, "approve", "--by", "phone")
    assert code == 0 and "Note: the season page was not updated" in text, text
    code, text = run("status", folder)
    line = next(ln for ln in text.splitlines() if vin in ln)
    assert "approved" in line
    code, text = run("report", "--out", out)
    assert code == 1 and "cannot write the season page" in text and len(text.splitlines()) == 1
