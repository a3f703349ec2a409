"""Crash safety: a batch killed mid-run (workers included) and run again.

Each kill is placed by progress, not by time: the test polls the engrave folder
and SIGKILLs the batch's process group once a given number of engrave files has
been written by that run (on a re-run: replaced), and asserts the batch was still
running when the kill landed. The orders are fixed (one seed), so every run of
the test kills at the same points of the same batch.

After every kill: no half-written file is visible under its real name (each SVG
parses, each PDF is complete), and the ledger holds either none or all of the
batch's plaques. After the final run: the folder, the manifest (sha256) and the
ledger agree, every car is issued exactly once, and no temporary file is left.
"""
from __future__ import annotations

import csv
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest

from conftest import QPDF, ROOT, sha256_file, write_orders

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

N_ORDERS = 300
BATCH = "orders300"
SEED = 20251  # which cars are ordered; fixed so every run of the test is the same
POLL = 0.01  # s between looks at the engrave folder (each look stats ~300 files)


def _orders(path: Path, register, seed: int) -> list[str]:
    cars = random.Random(seed).sample(register.customers(), N_ORDERS)
    write_orders(path, cars, start=0, prefix="K-", contact=True, newline="\r\n")
    return [c.vin for c in cars]


def _start(cmd: list[str], stderr) -> subprocess.Popen:
    # A new session: the batch and its worker processes share one process group. stderr goes
    # to a file: an unread pipe would stall a batch that reports a lot of progress.
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=stderr)


def _engrave_state(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of each engrave file: an atomic replace gives a new inode."""
    try:
        return {e.name: (e.inode(), e.stat().st_mtime_ns) for e in os.scandir(folder / "engrave")
                if e.name.endswith(".svg")}
    except FileNotFoundError:
        return {}


def _kill_at(cmd: list[str], folder: Path, written: int) -> str:
    """Run the batch; SIGKILL its process group once it has written ``written`` engrave files.

    Files already there before the run count only once replaced. Fails unless the kill hit
    the batch while it was still running.
    """
    before = _engrave_state(folder)
    err = tempfile.TemporaryFile()
    p = _start(cmd, err)
    try:
        deadline = time.monotonic() + 120
        while True:
            now = _engrave_state(folder)
            done = sum(1 for k, v in now.items() if before.get(k) != v)
            if done >= written:
                break
            assert p.poll() is None, (f"the batch ended (rc {p.returncode}) after writing {done} "
                                      f"engrave files, before the kill at {written}: "
                                      f"{_tail(err)}")
            assert time.monotonic() < deadline, f"no progress past {done} engrave files"
            time.sleep(POLL)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        _wait_group_gone(p.pid)
        assert p.returncode == -signal.SIGKILL, \
            f"the batch had already ended (rc {p.returncode}) when the kill at {written} landed"
        return f"killed after {done} engrave files (aimed at {written})"
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        err.close()


def _tail(fh) -> str:
    fh.seek(0)
    return fh.read().decode("utf-8", "replace")[-500:]


def _group_alive(pgid: int) -> bool:
    """True while a process of the group still runs (zombies, which write nothing, don't count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        if time.monotonic() > deadline:
            raise AssertionError(f"process group {pgid} still running after SIGKILL")
        time.sleep(0.02)


def _is_temp(p: Path) -> bool:
    return p.name.startswith(".") or p.suffix == ".tmp"


def _complete_files(folder: Path, where: str) -> None:
    """Every file under its real name is whole: SVGs parse, PDFs end with %%EOF, CSVs parse."""
    if not folder.exists():
        return
    for p in folder.rglob("*"):
        if not p.is_file() or _is_temp(p):
            continue
        data = p.read_bytes()
        if p.suffix == ".svg":  # a truncated file lacks its end (all of them are parsed at the end)
            assert data.startswith(b"<?xml") and data.rstrip().endswith(b"</svg>"), \
                f"{where}: half-written SVG {p}"
        elif p.suffix == ".pdf":
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), \
                f"{where}: half-written PDF {p}"
        elif p.suffix == ".csv":
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            assert rows and rows[0][0] in ("order_id", "line", "vin"), f"{where}: bad CSV {p}"
            if p.name == "manifest.csv":
                assert len(rows) == N_ORDERS + 1, f"{where}: manifest with {len(rows) - 1} rows"


def _ledger_rows(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT vin, number, batch_id, svg_sha256, proof_sha256 FROM issue "
                           "ORDER BY number").fetchall()
    finally:
        con.close()


def test_batch_killed_mid_run_then_rerun(tmp_path, register):
    orders = tmp_path / f"{BATCH}.csv"
    vins = _orders(orders, register, SEED)
    out = tmp_path / "out"
    folder = out / BATCH
    db = out / "ledger.sqlite"
    cmd = [sys.executable, "-m", "plaquegen", "batch", str(orders), "--out", str(out),
           "--workers", "2"]

    # Kills while nothing is finished yet (at the first file, mid-way, once every engrave
    # file is written and the proofs, sheets, job sheet and ledger are under way), one
    # complete run, kills while a finished batch is being made again (files replaced under
    # the shop's eyes), then the final run. Numbers: engrave files written by that run.
    plan = [1, N_ORDERS // 2, N_ORDERS, None, N_ORDERS // 5, N_ORDERS - 10, None]
    log = []
    for step, written in enumerate(plan):
        where = f"step {step}"
        if written is None:
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"{where}: {r.stderr}"
            assert "Traceback" not in r.stderr
            log.append("complete run")
        else:
            log.append(_kill_at(cmd, folder, written))
        where += f" ({log[-1]}; so far: {log})"
        _complete_files(folder, where)
        issued = _ledger_rows(db)
        assert len(issued) in (0, N_ORDERS), f"{where}: ledger holds {len(issued)} plaques"
        # a killed run leaves the folder marked incomplete, without a manifest: nothing in it
        # looks valid; a complete run leaves the manifest and no marker
        killed = written is not None
        assert (folder / "INCOMPLETE.txt").exists() == killed, where
        assert (folder / "manifest.csv").exists() == (not killed), where

    where = f"({log})"
    # No temporary or hidden file anywhere in the batch folder.
    leftovers = [p for p in folder.rglob("*") if _is_temp(p)]
    assert not leftovers, f"{where}: {leftovers}"

    # The manifest and the files agree, byte for byte.
    rows = list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text("utf-8-sig"))))
    assert len(rows) == N_ORDERS
    assert sorted(r["vin"] for r in rows) == sorted(vins)
    listed = set()
    for r in rows:
        assert sha256_file(folder / r["svg"]) == r["svg_sha256"], f"{where}: {r['svg']}"
        assert sha256_file(folder / r["proof"]) == r["proof_sha256"], f"{where}: {r['proof']}"
        car = register.lookup(r["vin"])
        assert int(r["number"]) == car.number
        guides = r["sheet"][:-len(".svg")] + "-guides"  # the operator's guide files beside each sheet
        listed |= {r["svg"], r["proof"], r["sheet"], guides + ".svg", guides + ".pdf"}
    on_disk = {p.relative_to(folder).as_posix() for sub in ("engrave", "proofs", "sheets")
               for p in (folder / sub).iterdir()}
    assert on_disk == listed, f"{where}: files not in the manifest: {on_disk ^ listed}"
    assert list(csv.reader(io.StringIO((folder / "rejects.csv").read_text("utf-8-sig")))) == [
        ["line", "order_id", "vin", "reason", "raw"]]

    # Every file is whole and valid.
    from pypdf import PdfReader

    for p in (folder / "engrave").glob("*.svg"):
        DET.fromstring(p.read_bytes())
    for p in (folder / "sheets").glob("*.svg"):
        DET.fromstring(p.read_bytes())
    pdfs = sorted((folder / "proofs").glob("*.pdf"))
    for p in pdfs:
        assert len(PdfReader(p).pages) == 1, p
    if QPDF:
        for p in [folder / "job-sheet.pdf"] + random.Random(SEED).sample(pdfs, 20):
            r = subprocess.run([QPDF, "--check", str(p)], capture_output=True, text=True)
            assert r.returncode == 0, f"{where}: {p}: {r.stdout} {r.stderr}"

    # The ledger: each of the 300 cars exactly once for this batch, numbers unique, and the
    # recorded checksums are those of the files the shop received.
    issued = _ledger_rows(db)
    assert len(issued) == N_ORDERS
    assert {b for _, _, b, _, _ in issued} == {BATCH}
    assert sorted(v for v, *_ in issued) == sorted(vins)
    numbers = [n for _, n, *_ in issued]
    assert len(set(numbers)) == N_ORDERS
    by_vin = {r["vin"]: r for r in rows}
    for vin, number, _, svg_sha, proof_sha in issued:
        assert int(by_vin[vin]["number"]) == number
        assert by_vin[vin]["svg_sha256"] == svg_sha and by_vin[vin]["proof_sha256"] == proof_sha


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_a_parent_killed_outright(tmp_path, register):
    """kill -9 of the parent only (as the OOM killer does): its two workers used to block on
    the pipe for good, ~85 MB each. They must be gone within a few seconds."""
    out = tmp_path / "out"
    orders = write_orders(tmp_path / "o.csv", [register.by_number(n) for n in range(1, 800)])
    proc = subprocess.Popen([sys.executable, "-m", "plaquegen", "batch", str(orders), "--out", str(out),
                             "--workers", "2"], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _children(proc.pid)
        time.sleep(0.02)
    assert len(workers) >= 2, "the batch must be running its workers when the parent is killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leave them behind for the rest of the suite
        os.kill(w, signal.SIGKILL)
    assert left == []
