"""Approval round-trip on real files: a small batch, owners' filled-in proofs, release, status."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from conftest import read_csv as _csv, sha256_file as _sha, write_orders as _orders, ROOT
from plaquegen.owners.approvals import (APPROVED, CHANGES, WAITING, ApprovalError, batch_status,
                                 record_approvals, release)
from plaquegen.pipeline.batch import BatchOptions, run_batch
from plaquegen.cli import main
from plaquegen.record.ledger import Ledger

SVG = "{http://www.w3.org/2000/svg}"
BATCH = "2025-09"
NUMBERS = (40, 41, 42)


# ---------------------------------------------------------------------------
# Helpers




@pytest.fixture
def made(tmp_path, register):
    """A three-plaque batch with proofs in tmp_path/out/2025-09 (ledger: tmp_path/out/ledger.sqlite)."""
    cars = [register.by_number(n) for n in NUMBERS]
    out = tmp_path / "out"
    run_batch(BatchOptions(orders=_orders(tmp_path / "orders.csv", cars), out=out, batch_id=BATCH,
                           workers=1))
    folder = out / BATCH
    rows = _csv(folder / "manifest.csv")
    assert [int(r["number"]) for r in rows] == list(NUMBERS)
    return folder, rows


def _on_state(reader: PdfReader, field: str) -> str:
    """The checkbox's "on" export value, from its widget's /AP /N keys."""
    for annot in reader.pages[0]["/Annots"]:
        a = annot.get_object()
        if a.get("/T") == field:
            states = [k for k in a["/AP"]["/N"].keys() if k != "/Off"]
            assert len(states) == 1
            return states[0]
    raise AssertionError(f"no widget {field}")


def fill(proof: Path, target: Path, *, approve: bool = False, changes: str = "", name: str = "",
         date: str = "", box_value: str | None = None) -> Path:
    """Fill the owner's form as a PDF viewer would, save under another name."""
    reader = PdfReader(proof)
    vin = json.loads(reader.metadata["/Subject"])["vin"]
    writer = PdfWriter(clone_from=reader)
    values = {f"changes_{vin}": changes, f"name_{vin}": name, f"date_{vin}": date}
    if approve:
        values[f"approve_{vin}"] = _on_state(reader, f"approve_{vin}")
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    if box_value:  # a value that is not one of the box's states (pypdf's API refuses to set one)
        for annot in writer.pages[0]["/Annots"]:
            a = annot.get_object()
            if a.get("/T") == f"approve_{vin}":
                a[NameObject("/V")] = NameObject(box_value)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        writer.write(fh)
    return target


def _proof(folder: Path, row: dict) -> Path:
    return folder / row["proof"]


def _approvals(folder: Path) -> dict[str, dict]:
    return {r["vin"]: r for r in _csv(folder / "approvals.csv")}


def _ledger_state(folder: Path) -> list[tuple]:
    with Ledger(folder.parent / "ledger.sqlite") as led:
        return [(i.vin, i.approval_state, i.approved_by, i.approval_changes)
                for i in led.issues(batch_id=folder.name)]


def _layer_paths(svg: Path, layer: str) -> list[ET.Element]:
    root = ET.parse(svg).getroot()
    groups = [g for g in root.iter(f"{SVG}g") if g.get("id") == f"layer-{layer}"]
    return [p for g in groups for p in g.iter(f"{SVG}path")]


# ---------------------------------------------------------------------------
# Approve -> record -> release

def test_approved_proof_is_recorded_and_released(made, tmp_path):
    folder, rows = made
    returned = fill(_proof(folder, rows[1]), tmp_path / "inbox" / "Scan 2025-09-20 (signed).pdf",
                    approve=True, name="Jörg Müller", date="20.09.2025")
    result = record_approvals(folder, [tmp_path / "inbox"])
    assert [a.outcome for a in result.answers] == [APPROVED]
    assert result.answers[0].vin == rows[1]["vin"]  # from the PDF's fields, not its file name

    vin = rows[1]["vin"]
    assert (vin, APPROVED, "Jörg Müller", None) in _ledger_state(folder)
    table = _approvals(folder)
    assert list(table) == [r["vin"] for r in rows]  # one row per plaque, build order
    assert table[vin]["state"] == APPROVED and table[vin]["name"] == "Jörg Müller"
    assert table[vin]["date"] == "20.09.2025" and table[vin]["source"] == returned.name
    assert table[vin]["read_at"].endswith("Z") and table[vin]["order_id"] == rows[1]["order_id"]
    assert table[vin]["svg_sha256"] == rows[1]["svg_sha256"]
    assert {table[r["vin"]]["state"] for r in (rows[0], rows[2])} == {WAITING}

    rel = release(folder)
    assert [s.vin for s in rel.released] == [vin] and rel.sheets == 1 and not rel.refused
    out = folder / "released"
    sheets = sorted((out / "sheets").glob("sheet-??.svg"))
    assert [s.name for s in sheets] == ["sheet-01.svg"]
    assert len(_layer_paths(sheets[0], "cut")) == 1  # one plate outline == one approved plaque
    engrave_file = folder / rows[1]["svg"]
    assert len(_layer_paths(sheets[0], "engrave")) == len(_layer_paths(engrave_file, "engrave"))
    # the single-plaque file is the approved one, byte for byte; nothing else is there
    assert [p.name for p in (out / "engrave").iterdir()] == [engrave_file.name]
    assert _sha(out / "engrave" / engrave_file.name) == rows[1]["svg_sha256"]
    manifest = _csv(out / "manifest.csv")
    assert [(m["vin"], m["sheet"], m["slot"], m["approved_by"]) for m in manifest] == [
        (vin, "sheets/sheet-01.svg", "1", "Jörg Müller")]
    job = PdfReader(out / "job-sheet.pdf")
    from plaquegen.writers.jobsheet import jobsheet_page_count

    assert len(job.pages) == jobsheet_page_count(1, 1)
    first = job.pages[0].extract_text()
    assert "RELEASED" in first and "only the 1 owner-approved" in first
    assert "RELEASED" in (out / "README.txt").read_text()
    assert not list(folder.glob(".released*")), "no temporary folders left"
    # the batch's own output is untouched
    assert len(_layer_paths(folder / "sheets" / "sheet-01.svg", "cut")) == 3


def test_changes_requested_are_recorded_and_not_released(made, tmp_path):
    folder, rows = made
    fill(_proof(folder, rows[0]), tmp_path / "in" / "a.pdf", approve=True, name="A")
    fill(_proof(folder, rows[1]), tmp_path / "in" / "b.pdf", changes="Bitte die Zahl größer\nund fetter",
         name="B", date="2025-09-21")
    fill(_proof(folder, rows[2]), tmp_path / "in" / "c.pdf", approve=True, changes="=1+1 please",
         name="C")  # ticked AND changes: conservative
    result = record_approvals(folder, [tmp_path / "in"])
    by_vin = {a.vin: a for a in result.answers}
    assert by_vin[rows[1]["vin"]].outcome == CHANGES
    assert by_vin[rows[1]["vin"]].changes == "Bitte die Zahl größer\nund fetter"
    c = by_vin[rows[2]["vin"]]
    assert c.outcome == CHANGES and "ticked AND change text" in c.note
    table = _approvals(folder)
    assert [table[r["vin"]]["state"] for r in rows] == [APPROVED, CHANGES, CHANGES]
    assert table[rows[1]["vin"]]["changes"] == "Bitte die Zahl größer\nund fetter"
    assert table[rows[2]["vin"]]["changes"] == "'=1+1 please"  # a formula stays text in Excel
    rel = release(folder)
    assert [s.vin for s in rel.released] == [rows[0]["vin"]]
    assert len(_layer_paths(folder / "released/sheets/sheet-01.svg", "cut")) == 1


def test_newest_answer_wins_by_the_owners_time_not_by_file_name(made, tmp_path, monkeypatch):
    import os

    folder, rows = made
    vin = rows[0]["vin"]
    # the owner approved first, then changed their mind: "Nachweis.pdf" sorts last but is older
    fill(_proof(folder, rows[0]), tmp_path / "in" / "Nachweis.pdf", approve=True, name="Owner")
    fill(_proof(folder, rows[0]), tmp_path / "in" / "Nachweis (2).pdf", changes="smaller please")
    import time
    from plaquegen.core.clock import format_utc
    from datetime import datetime, timezone

    # dated after the proof was made and before it is read (two days later): inside that range
    # the owner's time orders the answers
    t0 = time.time()
    os.utime(tmp_path / "in" / "Nachweis.pdf", (t0 + 1000, t0 + 1000))
    os.utime(tmp_path / "in" / "Nachweis (2).pdf", (t0 + 90000, t0 + 90000))
    monkeypatch.setenv("PLAQUEGEN_NOW", format_utc(datetime.fromtimestamp(t0 + 2 * 86400, timezone.utc)))
    result = record_approvals(folder, [tmp_path / "in"])
    assert _approvals(folder)[vin]["state"] == CHANGES
    assert _approvals(folder)[vin]["source"] == "Nachweis (2).pdf"
    assert len(result.conflicts) == 1 and "Nachweis.pdf" in result.conflicts[0] \
        and "the newest, Nachweis (2).pdf, counts" in result.conflicts[0]
    # reading the old file again adds nothing and changes nothing
    again = record_approvals(folder, [tmp_path / "in" / "Nachweis.pdf"])
    assert [a.outcome for a in again.answers] == ["already recorded"] and again.recorded == 0
    assert _approvals(folder)[vin]["state"] == CHANGES
    # a later run with other plaques keeps this row's details
    fill(_proof(folder, rows[2]), tmp_path / "later" / "x.pdf", approve=True, date="1.10.2025")
    record_approvals(folder, [tmp_path / "later"])
    table = _approvals(folder)
    assert table[vin]["source"] == "Nachweis (2).pdf" and table[vin]["changes"] == "smaller please"
    assert table[rows[2]["vin"]]["state"] == APPROVED and table[rows[2]["vin"]]["date"] == "1.10.2025"
    # a newer answer still counts; every answer stays in the history
    fill(_proof(folder, rows[0]), tmp_path / "newest" / "ok.pdf", approve=True, name="Owner, again")
    os.utime(tmp_path / "newest" / "ok.pdf", (t0 + 100000, t0 + 100000))
    record_approvals(folder, [tmp_path / "newest"])
    assert _approvals(folder)[vin]["state"] == APPROVED
    with Ledger(folder.parent / "ledger.sqlite") as led:
        answers = [e for e in led.events(vin=vin) if e.kind == "answer"]
    assert [(e.decision, e.source) for e in answers] == [
        (APPROVED, "Nachweis.pdf"), (CHANGES, "Nachweis (2).pdf"), (APPROVED, "ok.pdf")]


def test_blank_and_odd_checkbox_values_approve_nothing(made, tmp_path):
    folder, rows = made
    fill(_proof(folder, rows[0]), tmp_path / "in" / "odd.pdf", box_value="/Maybe")
    shutil.copy(_proof(folder, rows[1]), tmp_path / "in" / "blank.pdf")
    result = record_approvals(folder, [tmp_path / "in"])
    assert [a.outcome for a in result.answers] == ["no answer", "no answer"]
    assert "not its 'on' state" in result.answers[1].note
    assert all(s.state == WAITING for s in result.states)
    assert all(state is None for _, state, _, _ in _ledger_state(folder))


# ---------------------------------------------------------------------------
# Refused PDFs change nothing

def _refused(folder: Path, pdf: Path) -> str:
    before = _ledger_state(folder)
    result = record_approvals(folder, [pdf])
    assert [a.outcome for a in result.answers] == ["refused"]
    assert _ledger_state(folder) == before
    assert all(s.state == WAITING for s in result.states)
    return result.answers[0].reason


def test_proof_from_another_batch_is_refused(made, tmp_path, register):
    folder, _ = made
    other = run_batch(BatchOptions(orders=_orders(tmp_path / "o2.csv", [register.by_number(77)], 9),
                                   out=folder.parent, batch_id="2025-10", workers=1))
    proof = next((other.folder / "proofs").glob("*.pdf"))
    reason = _refused(folder, fill(proof, tmp_path / "x" / "mine.pdf", approve=True, name="X"))
    assert "belongs to batch 2025-10" in reason and BATCH in reason
    assert not (folder.parent / "2025-10" / "approvals.csv").exists()


def test_corrupt_and_foreign_pdfs_are_refused(made, tmp_path):
    folder, rows = made
    good = fill(_proof(folder, rows[0]), tmp_path / "g.pdf", approve=True, name="A")
    data = good.read_bytes()
    cut = tmp_path / "bad" / "truncated.pdf"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) // 2])
    assert "incomplete" in _refused(folder, cut)
    mangled = tmp_path / "bad" / "mangled.pdf"
    mangled.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    assert "damaged" in _refused(folder, mangled) or "not a plaquegen" in _refused(folder, mangled)
    text = tmp_path / "bad" / "letter.pdf"
    text.write_text("Dear register, I approve.")
    assert "not a PDF" in _refused(folder, text)

    # a perfectly good PDF with a form, made by someone else
    from reportlab.pdfgen.canvas import Canvas

    foreign = tmp_path / "bad" / "foreign.pdf"
    c = Canvas(str(foreign))
    c.drawString(72, 720, "Approval")
    c.acroForm.checkbox(name=f"approve_{rows[0]['vin']}", x=72, y=680, checked=True)
    c.showPage()
    c.save()
    assert "not a plaquegen proof" in _refused(folder, foreign)


def test_engrave_file_changed_after_the_proof_is_refused(made, tmp_path):
    folder, rows = made
    returned = fill(_proof(folder, rows[0]), tmp_path / "r.pdf", approve=True, name="A")
    svg = folder / rows[0]["svg"]
    svg.write_bytes(svg.read_bytes().replace(b"</svg>", b"<path d=\"M0 0L1 1\"/></svg>"))
    assert "was changed after the proof" in _refused(folder, returned)


def _edit_identity(src: Path, target: Path, *, field: bool, subject: bool) -> Path:
    reader = PdfReader(src)
    ident = json.loads(reader.metadata["/Subject"])
    ident["svg_sha256"] = "0" * 64
    forged = json.dumps(ident, sort_keys=True, separators=(",", ":"))
    writer = PdfWriter(clone_from=reader)
    if field:
        writer.update_page_form_field_values(writer.pages[0], {"plaquegen_id": forged},
                                             auto_regenerate=False)
    if subject:
        writer.add_metadata({"/Subject": forged})
    with open(target, "wb") as fh:
        writer.write(fh)
    return target


def test_edited_identity_is_refused(made, tmp_path):
    folder, rows = made
    returned = fill(_proof(folder, rows[0]), tmp_path / "r.pdf", approve=True, name="A")
    one = _edit_identity(returned, tmp_path / "field.pdf", field=True, subject=False)
    assert "identity and its document metadata disagree" in _refused(folder, one)
    both = _edit_identity(returned, tmp_path / "both.pdf", field=True, subject=True)
    assert "checksum differs from the manifest" in _refused(folder, both)


def test_flattened_proof_is_refused(made, tmp_path):
    folder, rows = made
    reader = PdfReader(fill(_proof(folder, rows[0]), tmp_path / "r.pdf", approve=True))
    writer = PdfWriter(clone_from=reader)
    writer.remove_annotations(None)
    del writer._root_object[NameObject("/AcroForm")]
    flat = tmp_path / "flat.pdf"
    with open(flat, "wb") as fh:
        writer.write(fh)
    reason = _refused(folder, flat)
    assert "the proof has lost its form" in reason
    assert f"most likely No. {rows[0]['label']}, {rows[0]['vin']}" in reason
    assert "plaquegen answer" in reason


# ---------------------------------------------------------------------------
# Release guards

def test_release_holds_back_a_plaque_whose_file_changed_after_approval(made, tmp_path):
    folder, rows = made
    for i in (0, 1):
        fill(_proof(folder, rows[i]), tmp_path / "in" / f"{i}.pdf", approve=True, name=f"N{i}")
    record_approvals(folder, [tmp_path / "in"])
    svg = folder / rows[1]["svg"]
    svg.write_bytes(svg.read_bytes() + b"\n")
    rel = release(folder)
    assert [s.vin for s in rel.released] == [rows[0]["vin"]]
    assert [(s.vin, "changed after approval" in why) for s, why in rel.refused] == [(rows[1]["vin"], True)]
    assert len(_layer_paths(folder / "released/sheets/sheet-01.svg", "cut")) == 1


def _template(tmp_path: Path, **changes: str) -> Path:
    text = (ROOT / "assets" / "plaque.toml").read_text()
    for k in ("silhouette.svg", "signature.svg", "fonts/"):
        text = text.replace(f'"{k}', f'"{(ROOT / "assets").as_posix()}/{k}')
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "t.toml"
    path.write_text(text)
    return path


def test_release_uses_the_templates_jig_and_refuses_other_artwork(made, tmp_path):
    folder, rows = made
    for i in range(3):
        fill(_proof(folder, rows[i]), tmp_path / "in" / f"{i}.pdf", approve=True)
    record_approvals(folder, [tmp_path / "in"])
    small_jig = _template(tmp_path, **{"columns = 6": "columns = 2", "rows = 11": "rows = 1"})
    rel = release(folder, template=small_jig)
    assert rel.sheets == 2 and len(rel.released) == 3
    files = sorted((folder / "released/sheets").glob("sheet-??.svg"))  # not the -guides files
    assert [len(_layer_paths(f, "cut")) for f in files] == [2, 1]
    # a template that draws other plaques: nothing the owners did not see goes out
    other = _template(tmp_path, **{"corner_radius = 2.0": "corner_radius = 3.0"})
    rel = release(folder, template=other)
    assert not rel.released and len(rel.refused) == 3 and rel.removed_stale
    assert "another --template" in rel.refused[0][1]
    assert not (folder / "released").exists()


def test_release_replaces_an_old_release_when_an_approval_is_withdrawn(made, tmp_path):
    folder, rows = made
    for i in (0, 1):
        fill(_proof(folder, rows[i]), tmp_path / "in" / f"{i}.pdf", approve=True)
    record_approvals(folder, [tmp_path / "in"])
    assert len(release(folder).released) == 2
    fill(_proof(folder, rows[1]), tmp_path / "later" / "z.pdf", changes="wrong VIN on my side")
    result = record_approvals(folder, [tmp_path / "later"])
    # taking a released plaque back rebuilds released/ at once, without it
    assert result.withdrawn == [rows[1]["vin"]]
    st = batch_status(folder)
    assert st.stale_release == []
    assert [s.released for s in st.states] == [True, False, False]
    assert [m["vin"] for m in _csv(folder / "released/manifest.csv")] == [rows[0]["vin"]]
    assert [p.name for p in (folder / "released/engrave").iterdir()] == [Path(rows[0]["svg"]).name]
    assert batch_status(folder).stale_release == []


def test_fatal_problems_are_one_sentence(made, tmp_path):
    folder, _ = made
    with pytest.raises(ApprovalError, match="no manifest.csv"):
        record_approvals(tmp_path, [tmp_path])
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(folder, elsewhere / BATCH)
    with pytest.raises(ApprovalError, match="does not exist"):
        batch_status(elsewhere / BATCH)
    with pytest.raises(ApprovalError, match="no files were found"):
        record_approvals(folder, [])


# ---------------------------------------------------------------------------
# The CLI

def test_cli_approvals_release_status(made, tmp_path):
    folder, rows = made
    runner = CliRunner()
    fill(_proof(folder, rows[0]), tmp_path / "in" / "owner-a.pdf", approve=True, name="Anna")
    fill(_proof(folder, rows[2]), tmp_path / "in" / "owner-c.pdf", changes="move the number")

    r = runner.invoke(main, ["status", str(folder)])
    assert r.exit_code == 0, r.output
    assert "3 plaque(s): 0 approved, 0 changes requested, 3 waiting" in r.output

    r = runner.invoke(main, ["release", str(folder)])
    assert r.exit_code == 1 and "Nothing released" in r.output and "Traceback" not in r.output

    r = runner.invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 0, r.output
    assert "owner-a.pdf" in r.output and "approved by Anna" in r.output
    assert "changes requested" in r.output and "move the number" in r.output
    assert "1 approved, 1 changes requested, 1 waiting" in r.output

    r = runner.invoke(main, ["release", str(folder)])
    assert r.exit_code == 0, r.output
    assert "Released 1 approved plaque(s)" in r.output and "1 waiting" in r.output
    assert (folder / "released" / "job-sheet.pdf").is_file()

    r = runner.invoke(main, ["status", str(folder)])
    assert r.exit_code == 0
    line = next(ln for ln in r.output.splitlines() if rows[0]["vin"] in ln)
    assert "approved" in line and "yes" in line and "Anna" in line
    assert "move the number" in r.output and "1 released" in r.output


def test_cli_refusals_and_errors(made, tmp_path):
    folder, rows = made
    runner = CliRunner()
    fill(_proof(folder, rows[0]), tmp_path / "in" / "a.pdf", approve=True)
    (tmp_path / "in" / "b.pdf").write_bytes(b"%PDF-1.4 broken")
    r = runner.invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 3  # some answers refused: the documented status
    assert "b.pdf: REFUSED" in r.output and "1 refused" in r.output and "1 approved" in r.output

    ledger = folder.parent / "ledger.sqlite"
    moved = tmp_path / "ledger-elsewhere.sqlite"
    shutil.move(ledger, moved)
    for extra in (ledger.with_name("ledger.sqlite-wal"), ledger.with_name("ledger.sqlite-shm")):
        if extra.exists():
            extra.unlink()
    r = runner.invoke(main, ["status", str(folder)])
    assert r.exit_code == 1 and "does not exist" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(main, ["status", str(folder), "--ledger", str(moved)])
    assert r.exit_code == 0 and "1 approved" in r.output

    r = runner.invoke(main, ["approvals", str(tmp_path), str(tmp_path / "in")])
    assert r.exit_code == 1 and "no manifest.csv" in r.output


def test_terminal_escapes_in_returned_forms_never_reach_the_terminal(made, tmp_path):
    folder, rows = made
    fill(_proof(folder, rows[0]), tmp_path / "in" / "a\x1b[2K.pdf", approve=True,
         name="Jo\x1b[2K\x1b[1A\x1b[31mFAKE LINE\x1b[0m", date="1.1.\u202e2026")
    r = CliRunner().invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\u202e" not in r.output
    assert "approved by Jo[2K[1A[31mFAKE LINE[0m" in r.output
    assert _approvals(folder)[rows[0]["vin"]]["name"] == "Jo[2K[1A[31mFAKE LINE[0m"


def test_batch_rerun_withdraws_a_release_it_no_longer_matches(made, tmp_path, register):
    folder, rows = made
    fill(_proof(folder, rows[0]), tmp_path / "in" / "a.pdf", approve=True, name="A")
    record_approvals(folder, [tmp_path / "in"])
    release(folder)
    assert (folder / "released" / "manifest.csv").exists()
    # same batch, same orders: the release still matches and stays
    cars = [register.by_number(n) for n in NUMBERS]
    same = run_batch(BatchOptions(orders=_orders(tmp_path / "orders.csv", cars), out=folder.parent,
                                  batch_id=BATCH, workers=1))
    assert not any("released/" in n for n in same.notes) and (folder / "released").exists()
    # the approved car dropped from the orders: released/ would ship a plaque no longer issued
    fewer = run_batch(BatchOptions(orders=_orders(tmp_path / "orders.csv", cars[1:]),
                                   out=folder.parent, batch_id=BATCH, workers=1))
    assert not (folder / "released").exists()
    assert any("released/ was removed" in n for n in fewer.notes)


def test_an_order_id_starting_with_an_apostrophe_keeps_its_genuine_proof(tmp_path, register):
    """Order id '-7: written defused as ''-7, read back as '-7, so the owner's own proof is
    recorded (it used to come back as -7: "tampered"), and a rebuild gives the same ledger."""
    cars = [register.by_number(n) for n in NUMBERS[:2]]
    out = tmp_path / "out"
    orders = _orders(tmp_path / "orders.csv", cars, prefix="'-")
    run_batch(BatchOptions(orders=orders, out=out, batch_id=BATCH, workers=1))
    folder = out / BATCH
    rows = _csv(folder / "manifest.csv")
    assert [r["order_id"] for r in rows] == ["''-1", "''-2"]
    fill(_proof(folder, rows[0]), tmp_path / "in" / "a.pdf", approve=True, name="A")
    r = CliRunner().invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 0, r.output
    assert _approvals(folder)[cars[0].vin]["state"] == APPROVED
    before = _ledger_state(folder)
    (out / "ledger.sqlite").rename(tmp_path / "old.sqlite")
    shutil.rmtree(out / "ledger.sqlite.backups", ignore_errors=True)
    r = CliRunner().invoke(main, ["ledger", "--rebuild", str(out)])
    assert r.exit_code == 0, r.output
    assert _ledger_state(folder) == before


def _dated(pdf: Path, when: str) -> Path:
    """The filled proof with its /ModDate set to ``when`` (PDF date D:YYYYMMDDHHmmSSZ)."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    meta = dict(PdfReader(pdf).metadata)
    meta["/ModDate"] = when
    writer.add_metadata(meta)
    with open(pdf, "wb") as fh:
        writer.write(fh)
    return pdf


def test_an_answer_dated_in_the_future_does_not_win_forever(made, tmp_path):
    """An approval whose PDF says 2100 used to outrank every later answer: a later 'changes'
    by phone left it approved and release shipped it. It is now ordered by when it came in."""
    folder, rows = made
    vin = rows[0]["vin"]
    _dated(fill(_proof(folder, rows[0]), tmp_path / "in" / "a.pdf", approve=True, name="A"),
           "D:21000101000000Z")
    r = CliRunner().invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 0, r.output
    assert "lies in the future: ordered by when it was received" in r.output
    r = CliRunner().invoke(main, ["answer", str(folder), vin, "changes", "do NOT engrave", "--by", "phone"])
    assert r.exit_code == 0 and "changes requested" in r.output, r.output
    assert _approvals(folder)[vin]["state"] == CHANGES
    r = CliRunner().invoke(main, ["release", str(folder)])
    assert r.exit_code == 1 and "Nothing released" in r.output + (r.stderr or "")
    assert not (folder / "released").exists()


def test_an_answer_dated_before_its_proof_existed_is_taken_as_received(made, tmp_path):
    """A reply mail dated 1999 (a wrong clock) is ordered by when it came in, with a note."""
    from email.message import EmailMessage

    folder, rows = made
    pdf = fill(_proof(folder, rows[1]), tmp_path / "b.pdf", approve=True, name="B")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "b@example.org", "plaques@example.org", "Re: proof"
    msg["Date"] = "Fri, 01 Jan 1999 10:00:00 +0000"
    msg.set_content("ok")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="b.pdf")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "reply.eml").write_bytes(msg.as_bytes())
    r = CliRunner().invoke(main, ["approvals", str(folder), str(tmp_path / "in")])
    assert r.exit_code == 0 and "is before the proof was made" in r.output, r.output
    with Ledger(folder.parent / "ledger.sqlite") as led:
        (e,) = [e for e in led.events(batch_id=folder.name) if e.kind == "answer"]
    assert e.owner_at == e.at  # recorded as received


def test_a_megabyte_of_change_text_fits_a_spreadsheet_cell_and_stays_whole_in_the_ledger(made, tmp_path):
    folder, rows = made
    text = "bitte größer " * 80_000  # ~1 MB
    r = CliRunner().invoke(main, ["answer", str(folder), rows[0]["vin"], "changes", text, "--by", "mail"])
    assert r.exit_code == 0, r.output
    cell = _approvals(folder)[rows[0]["vin"]]["changes"]
    assert len(cell) <= 32_767 and cell.endswith("the whole text is in the ledger]")
    with Ledger(folder.parent / "ledger.sqlite") as led:
        (e,) = [e for e in led.events(vin=rows[0]["vin"]) if e.kind == "answer"]
    assert len(e.changes) == len(text.strip())
