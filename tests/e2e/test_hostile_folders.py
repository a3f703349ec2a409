"""Output folders that cannot be written, and two batches at once: no traceback, no number issued twice, the ledger agrees with the folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, read_csv, write_orders
from plaquegen.pipeline.batch import BatchError, BatchOptions, run_batch
from plaquegen.cli import main

from conftest import assert_refused as _assert_refused, cli_batch as _cli_batch, one_sentence

# ---------------------------------------------------------------------------------------------
# 4 (part). Output folder that cannot be written.

def test_output_folder_below_a_regular_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(ROOT / "orders" / "example.csv"),
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
    from plaquegen.record.ledger import Ledger

    with Ledger(out / "ledger.sqlite") as led:
        issued = {i.vin for i in led.issues(batch_id="o")}
    made = {r["vin"] for r in read_csv(res.folder / "manifest.csv")}
    assert issued == made, f"issued but not made: {sorted(issued - made)}"


def test_number_command_does_not_echo_terminal_escapes():
    r = CliRunner().invoke(main, ["number", "a\x1b[31mb", "\x1b]0;title\x07"])
    assert r.exit_code == 1
    assert "\x1b" not in r.output + r.stderr


def test_ctrl_c_while_the_commands_still_load_is_one_line_and_exit_130(tmp_path):
    """A Ctrl-C that lands while Python imports the command line (simulated: the first import
    of click raises KeyboardInterrupt) used to print a traceback."""
    fake = tmp_path / "fake" / "click"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise KeyboardInterrupt\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "fake"), str(ROOT)]))
    for cmd in ([sys.executable, "-m", "plaquegen", "number", "VS94332"],):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path)
        assert r.returncode == 130 and r.stderr == "Interrupted; nothing was recorded.\n", r.stderr


def test_a_batch_id_that_names_the_output_folders_own_files_is_refused(tmp_path):
    from plaquegen.cli import main as cli

    for bid in ("ledger.sqlite.backups", "ledger.sqlite", "index.html"):
        r = CliRunner().invoke(cli, ["batch", str(ROOT / "orders" / "example.csv"), "--out",
                                     str(tmp_path / "out"), "--batch-id", bid, "--workers", "1"])
        assert r.exit_code == 1 and "the output folder's own files" in r.output + (r.stderr or ""), r.output
    assert not (tmp_path / "out" / "ledger.sqlite.backups").exists()
