"""A season of batches without silent loss (issue 12): each case runs the CLI as a user would
and asserts what the user sees: exit status, the sentence, files on disk, ledger rows."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT, read_csv as _csv, template_variant, write_orders as _orders
from plaquegen.cli import main
from plaquegen.record.ledger import Ledger
from test_approvals import APPROVED, fill

DEMO = ROOT / "assets" / "register-demo.csv"



def run(*args: str, env: dict | None = None):
    r = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return r.exit_code, r.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _issues(out: Path, batch_id: str | None = None):
    with Ledger(out / "ledger.sqlite") as led:
        return led.issues(batch_id=batch_id)


def _shifted_register(tmp_path: Path, *internal: int, name: str = "register-corrected.csv") -> Path:
    """The demo register with the customer cars numbered ``internal`` turned into internal
    units: every later customer car's number moves down, the total too."""
    lines = DEMO.read_text("utf-8").splitlines(keepends=True)
    out, n = [], 0
    for line in lines:
        if line.startswith("#") or line.lower().startswith("vin"):
            out.append(line.replace("SYNTHETIC", "corrected"))
            continue
        cells = line.rstrip("\r\n").split(",")
        if len(cells) > 1 and cells[1] == "customer":
            n += 1
            if n in internal:
                cells[1] = "internal"
        out.append(",".join(cells) + "\n")
    path = tmp_path / name
    path.write_text("".join(out), "utf-8")
    return path


def test_same_named_order_files_do_not_overwrite_each_other(tmp_path, register):
    out = tmp_path / "out"
    jan = _orders(tmp_path / "jan" / "orders.csv", [register.by_number(n) for n in (10, 11)])
    feb = _orders(tmp_path / "feb" / "orders.csv", [register.by_number(n) for n in (20, 21)])
    code, text = run("batch", jan, "--out", out, "--no-proofs", "--workers", "1")
    assert code == 0, text
    before = _tree(out / "orders")
    code, text = run("batch", feb, "--out", out, "--no-proofs", "--workers", "1")
    assert code == 1
    assert "batch orders was made on" in text and str(jan.resolve()) in text
    assert "--batch-id NEW" in text and "--replace" in text
    assert _tree(out / "orders") == before, "nothing of the first batch changed"
    assert {i.number for i in _issues(out)} == {10, 11}
    code, text = run("batch", feb, "--out", out, "--no-proofs", "--workers", "1", "--batch-id", "feb")
    assert code == 0, text
    assert {(i.batch_id, i.number) for i in _issues(out)} == {("orders", 10), ("orders", 11),
                                                             ("feb", 20), ("feb", 21)}
    # re-running the same file after editing it is allowed and says what changed
    _orders(jan, [register.by_number(n) for n in (10, 12)])
    code, text = run("batch", jan, "--out", out, "--no-proofs", "--workers", "1")
    assert code == 0, text
    assert "1 plaque(s) added, 1 withdrawn, 0 made again" in text
    with Ledger(out / "ledger.sqlite") as led:
        kinds = [(e.kind, e.number) for e in led.events(batch_id="orders")]
    assert kinds == [("issued", 10), ("issued", 11), ("issued", 12), ("withdrawn", 11)]
    # --replace makes the batch id again from another file, on purpose
    code, text = run("batch", feb, "--out", out, "--no-proofs", "--workers", "1", "--batch-id",
                     "orders", "--replace", "--reprint")
    assert code == 0, text


def test_rerun_without_template_uses_the_batchs_own(tmp_path, register):
    out = tmp_path / "out"
    tpl_dir = tmp_path / "tpl"
    shutil.copytree(ROOT / "assets", tpl_dir)
    toml = tpl_dir / "plaque.toml"
    toml.write_text(toml.read_text().replace("cap_height = 3.2", "cap_height = 2.0"))
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (30, 31)])
    code, text = run("batch", orders, "--out", out, "--template", toml, "--workers", "1")
    assert code == 0, text
    folder = out / "o"
    assert (folder / "template" / "plaque.toml").read_bytes() == toml.read_bytes()
    rows = _csv(folder / "manifest.csv")
    fill(folder / rows[0]["proof"], tmp_path / "in" / "a.pdf", approve=True, name="A")
    assert run("approvals", folder, tmp_path / "in")[0] == 0
    engrave = {r["svg"]: (folder / r["svg"]).read_bytes() for r in rows}
    shutil.rmtree(tpl_dir)  # the designer's folder is gone: the batch kept its own copy
    code, text = run("batch", orders, "--out", out, "--workers", "1")
    assert code == 0, text
    assert "every plaque is unchanged" in text
    assert {r["svg"]: (folder / r["svg"]).read_bytes() for r in rows} == engrave
    assert _csv(folder / "approvals.csv")[0]["state"] == APPROVED
    # a different template on purpose: the plaques change, the owners must approve again
    code, text = run("batch", orders, "--out", out, "--template", ROOT / "assets" / "plaque.toml",
                     "--workers", "1")
    assert code == 0, text
    assert "must approve the new proof" in text and "2 made again" in text
    code, text = run("status", folder)
    assert "waiting (approved an earlier version)" in text
    with Ledger(out / "ledger.sqlite") as led:
        assert any(e.kind == "answer" and e.decision == APPROVED for e in led.events(batch_id="o"))


def test_a_lost_ledger_is_refused_and_rebuilt(tmp_path, register):
    out = tmp_path / "out"
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (50, 51)])
    assert run("batch", orders, "--out", out, "--workers", "1")[0] == 0
    folder = out / "o"
    rows = _csv(folder / "manifest.csv")
    fill(folder / rows[0]["proof"], tmp_path / "in" / "a.pdf", approve=True, name="Ann")
    assert run("approvals", folder, tmp_path / "in")[0] == 0
    assert run("release", folder)[0] == 0
    before = [(i.vin, i.number, i.approval_state, i.approved_by) for i in _issues(out)]
    (out / "ledger.sqlite").rename(tmp_path / "moved.sqlite")
    for f in out.glob("ledger.sqlite-*"):
        f.unlink()
    for cmd in (("batch", orders), ("check", orders)):
        code, text = run(*cmd, "--out", out, "--no-proofs" if cmd[0] == "batch" else "--reprint")
        assert code == 1, text
        assert "holds 1 batch folder(s) (o) but no ledger" in text
        assert "ledger --rebuild" in text and "backups" in text
        assert not (out / "ledger.sqlite").exists()
    code, text = run("ledger", "--rebuild", out)
    assert code == 0, text
    assert "1 batch(es), 2 plaque(s)" in text
    after = [(i.vin, i.number, i.approval_state, i.approved_by) for i in _issues(out)]
    assert after == before
    with Ledger(out / "ledger.sqlite") as led:
        assert led.register_pin() is not None and led.batch_record("o") is not None
        kinds = [e.kind for e in led.events(batch_id="o")]
    assert kinds.count("answer") == 1 and "released" in kinds
    # and the season goes on: the same cars are still refused elsewhere
    code, text = run("check", _orders(tmp_path / "p.csv", [register.by_number(50)]), "--out", out)
    assert code == 3 and "already issued in batch o" in text


def test_backups_rotate_and_restore(tmp_path, register):
    out = tmp_path / "out"
    for k in range(7):
        orders = _orders(tmp_path / f"b{k}.csv", [register.by_number(100 + k)])
        assert run("batch", orders, "--out", out, "--no-proofs", "--workers", "1")[0] == 0
    backups = sorted((out / "ledger.sqlite.backups").glob("*.sqlite"))
    assert [b.name for b in backups] == [f"{k}.sqlite" for k in range(1, 6)]
    with Ledger(backups[0]) as led:
        assert len(led.issues()) == 7


def test_a_changed_register_is_refused_before_anything_is_written(tmp_path, register):
    out = tmp_path / "out"
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (10, 20)])
    code, text = run("batch", orders, "--out", out, "--no-proofs", "--workers", "1")
    assert code == 0 and "SYNTHETIC demo register" in text
    corrected = _shifted_register(tmp_path, 12)
    later = _orders(tmp_path / "later.csv", [register.by_number(30)])
    for cmd in ("check", "batch"):
        code, text = run(cmd, later, "--out", out, "--register", corrected)
        assert code == 1, text
        # the demo register and another one are never mixed
        assert "mixing them would give cars numbers from two different registers" in text
    assert not (out / "later").exists()


def test_renumbering_register_is_refused_and_adopted_explicitly(tmp_path, register):
    out = tmp_path / "out"
    real = _shifted_register(tmp_path, 6309, name="real.csv")  # not the demo: a "real" register
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (10, 20)])
    code, text = run("batch", orders, "--out", out, "--register", real, "--no-proofs", "--workers", "1")
    assert code == 0 and "SYNTHETIC" not in text
    corrected = _shifted_register(tmp_path, 12, 6309)
    later = _orders(tmp_path / "later.csv", [register.by_number(30)])
    code, text = run("check", later, "--out", out, "--register", corrected)
    assert code == 1
    assert "gives 2 plaque(s) already issued another number" in text
    assert "No. 0020 / 6308 -> 0019 / 6307" in text and "register adopt" in text
    code, text = run("batch", later, "--out", out, "--register", corrected)
    assert code == 1 and not (out / "later").exists()
    # adopting lists what changes, and only --yes records it
    code, text = run("register", "adopt", corrected, "--ledger", out / "ledger.sqlite")
    assert code == 0 and "0020 / 6308 -> 0019 / 6307" in text and "--yes" in text
    code, text = run("register", "adopt", corrected, "--ledger", out / "ledger.sqlite", "--yes")
    assert code == 0, text
    assert sorted((i.number, i.stale) for i in _issues(out)) == [(10, True), (20, True)]
    code, text = run("batch", orders, "--out", out, "--register", corrected, "--no-proofs",
                     "--workers", "1")
    assert code == 0, text
    assert sorted((i.number, i.total, i.stale) for i in _issues(out)) == [(10, 6307, False),
                                                                       (19, 6307, False)]
    with Ledger(out / "ledger.sqlite") as led:
        kinds = [e.kind for e in led.events(batch_id="o")]
    assert kinds.count("renumbered") == 2 and kinds.count("remade") == 2


def test_withdrawal_after_release_removes_the_plaque_at_once(tmp_path, register):
    out = tmp_path / "out"
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (60, 61)])
    assert run("batch", orders, "--out", out, "--workers", "1")[0] == 0
    folder = out / "o"
    rows = _csv(folder / "manifest.csv")
    for i, r in enumerate(rows):
        fill(folder / r["proof"], tmp_path / "in" / f"{i}.pdf", approve=True, name="X")
    assert run("approvals", folder, tmp_path / "in")[0] == 0
    assert run("release", folder)[0] == 0
    assert len(_csv(folder / "released" / "manifest.csv")) == 2
    fill(folder / rows[1]["proof"], tmp_path / "later" / "no.pdf", changes="wrong name")
    code, text = run("approvals", folder, tmp_path / "later")
    assert code == 4
    assert "ATTENTION: 1 plaque(s) are no longer approved" in text
    assert [r["vin"] for r in _csv(folder / "released" / "manifest.csv")] == [rows[0]["vin"]]
    assert not (folder / "released" / rows[1]["svg"]).exists()
    code, text = run("history", rows[1]["vin"], "--ledger", out / "ledger.sqlite")
    assert code == 0
    assert [l.split()[5].rstrip(":") for l in text.splitlines()[:-1]] == ["issued", "answer", "released",
                                                              "answer", "unreleased"]


def test_a_batch_refused_at_record_time_is_left_incomplete(tmp_path, register, monkeypatch):
    from plaquegen.pipeline import batch as batch_mod
    from plaquegen.record.ledger import LedgerError

    out = tmp_path / "out"
    orders = _orders(tmp_path / "o.csv", [register.by_number(70)])

    def racing(self, *a, **k):  # another batch recorded this car while we ran
        raise LedgerError("1 car(s), e.g. X, were issued in batch other while this batch ran; "
                          "nothing was recorded; run this batch again to refuse them")

    monkeypatch.setattr(batch_mod.Ledger, "record", racing)
    code, text = run("batch", orders, "--out", out, "--workers", "1")
    assert code == 1
    assert "is left incomplete (INCOMPLETE.txt, no manifest)" in text
    folder = out / "o"
    assert (folder / "INCOMPLETE.txt").is_file() and not (folder / "manifest.csv").exists()
    assert "Refused when recording" in (folder / "INCOMPLETE.txt").read_text()
    for cmd in (("release", folder), ("status", folder), ("approvals", folder, folder)):
        code, text = run(*cmd)
        assert code == 1 and "is an incomplete batch" in text and "run the batch again" in text
    monkeypatch.undo()
    code, text = run("batch", orders, "--out", out, "--workers", "1")
    assert code == 0 and not (folder / "INCOMPLETE.txt").exists()
    assert (folder / "manifest.csv").is_file()


def test_ctrl_c_marks_the_folder_incomplete(tmp_path, register):
    out = tmp_path / "out"
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in range(200, 500)])
    proc = subprocess.Popen([sys.executable, "-m", "plaquegen", "batch", str(orders), "--out",
                             str(out), "--workers", "1"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    engrave = out / "o" / "engrave"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(engrave.glob("*.svg"))) < 20:
        time.sleep(0.02)
    made = len(list(engrave.glob("*.svg")))
    assert 20 <= made < 300, "the interrupt must land while plaques are being made"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted:" in err and "is incomplete (INCOMPLETE.txt" in err
    assert "run the same command again" in err and "Traceback" not in err
    assert (out / "o" / "INCOMPLETE.txt").is_file() and not (out / "o" / "manifest.csv").exists()
    assert _issues(out) == []


def test_a_damaged_kept_template_is_refused_not_replaced_by_the_bundled_one(tmp_path, register):
    """A broken <batch>/template/files.json and a re-run without --template used to re-make
    every plaque with the default artwork, cancel approvals and remove released/, exit 0."""
    out = tmp_path / "out"
    art = (ROOT / "assets" / "silhouette.svg").read_text("utf-8").replace("<path", '<path transform="translate(2 0)"', 1)
    tpl = template_variant(tmp_path, art=art)
    orders = _orders(tmp_path / "o.csv", [register.by_number(n) for n in (5, 6)])
    code, text = run("batch", orders, "--out", out, "--workers", "1", "--template", tpl)
    assert code == 0, text
    folder = out / "o"
    before = {p.name: p.read_bytes() for p in (folder / "engrave").iterdir()}
    (folder / "template" / "files.json").write_text("{broken", "utf-8")
    for args in (("batch", orders, "--out", out, "--workers", "1"), ("release", folder)):
        code, text = run(*args)
        assert code == 1, text
        assert "kept template" in text and "is damaged (files.json cannot be read" in text, text
    assert {p.name: p.read_bytes() for p in (folder / "engrave").iterdir()} == before
    code, text = run("batch", orders, "--out", out, "--workers", "1", "--template", tpl)
    assert code == 0 and "unchanged" in text, text  # the same template on purpose: the same plaques


def test_a_released_car_withdrawn_from_its_orders_is_not_issued_again_silently(tmp_path, register):
    """Its line left the order file (withdrawn) after its plaque went to the shop; another order
    file that lists it used to issue it again without --reprint: two plaques for one car."""
    out = tmp_path / "out"
    cars = [register.by_number(n) for n in (7, 8)]
    a = _orders(tmp_path / "a.csv", cars)
    assert run("batch", a, "--out", out, "--workers", "1")[0] == 0
    assert run("answer", out / "a", cars[0].vin, "approve", "--by", "phone")[0] == 0
    assert run("release", out / "a")[0] == 0
    _orders(tmp_path / "a.csv", cars[1:])  # the line of car 7 is removed
    code, text = run("batch", a, "--out", out, "--workers", "1")
    assert code in (0, 4) and "withdrawn" in text, text
    b = _orders(tmp_path / "b.csv", cars[:1], prefix="B-")
    code, text = run("batch", b, "--out", out, "--workers", "1")
    assert code == 3, text
    rejects = _csv(out / "b" / "rejects.csv")
    assert len(rejects) == 1 and "released to the shop in batch a" in rejects[0]["reason"]
    assert "use --reprint" in rejects[0]["reason"]
    code, text = run("batch", b, "--out", out, "--workers", "1", "--reprint")
    assert code == 0, text
