"""Crash safety: a batch killed at random points (workers included) and run again.

After every kill: no half-written file is visible under its real name (each SVG
parses, each PDF is complete), and the ledger holds either none or all of the
batch's plaques. After the final run: the folder, the manifest (sha256) and the
ledger agree, every car is issued exactly once, and no temporary file is left.

The kill delays are random; the seed is printed in every failure message and
can be fixed with PLAQUEGEN_CRASH_SEED=<n>.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import defusedxml.ElementTree as DET
import pytest

from conftest import QPDF, ROOT

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")

N_ORDERS = 300
BATCH = "orders300"


def _orders(path: Path, register, seed: int) -> list[str]:
    cars = random.Random(seed).sample(register.customers(), N_ORDERS)
    lines = ["order_id,vin,name,email,country"]
    lines += [f"K-{i:04d},{c.vin},Owner {i},o{i}@example.org,{'DE' if i % 3 else 'US'}"
              for i, c in enumerate(cars)]
    path.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    return [c.vin for c in cars]


def _start(cmd: list[str]) -> subprocess.Popen:
    # A new session: the batch and its worker processes share one process group.
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_after(cmd: list[str], delay: float) -> str:
    """Run the batch and SIGKILL its whole process group after ``delay`` s; what happened."""
    p = _start(cmd)
    try:
        p.wait(timeout=delay)
        return f"finished before {delay:.2f} s (rc {p.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        _wait_group_gone(p.pid)
        return f"killed at {delay:.2f} s"
    finally:
        if p.stderr:
            p.stderr.close()


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
            assert rows and rows[0][0] in ("order_id", "line"), f"{where}: bad CSV {p}"
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


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_batch_killed_at_random_points_then_rerun(tmp_path, register):
    seed = int(os.environ.get("PLAQUEGEN_CRASH_SEED", random.randrange(1 << 30)))
    rnd = random.Random(seed)
    orders = tmp_path / f"{BATCH}.csv"
    vins = _orders(orders, register, seed)
    out = tmp_path / "out"
    folder = out / BATCH
    db = out / "ledger.sqlite"
    cmd = [sys.executable, "-m", "plaquegen.cli", "batch", str(orders), "--out", str(out),
           "--workers", "2"]

    # Kills while nothing is finished yet, one complete run, kills while a finished batch is
    # being made again (files replaced under the shop's eyes), then the final run.
    plan = [rnd.uniform(0.3, 0.8), rnd.uniform(0.8, 1.6), rnd.uniform(1.6, 3.0), None,
            rnd.uniform(0.6, 2.0), rnd.uniform(2.0, 3.2), None]
    log = []
    for step, delay in enumerate(plan):
        where = f"seed {seed}, step {step}"
        if delay is None:
            r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, f"{where}: {r.stderr}"
            assert "Traceback" not in r.stderr
            log.append("complete run")
        else:
            log.append(_kill_after(cmd, delay))
        where += f" ({log[-1]}; so far: {log})"
        _complete_files(folder, where)
        issued = _ledger_rows(db)
        assert len(issued) in (0, N_ORDERS), f"{where}: ledger holds {len(issued)} plaques"

    where = f"seed {seed} ({log})"
    # No temporary or hidden file anywhere in the batch folder.
    leftovers = [p for p in folder.rglob("*") if _is_temp(p)]
    assert not leftovers, f"{where}: {leftovers}"

    # The manifest and the files agree, byte for byte.
    rows = list(csv.DictReader(io.StringIO((folder / "manifest.csv").read_text("utf-8-sig"))))
    assert len(rows) == N_ORDERS
    assert sorted(r["vin"] for r in rows) == sorted(vins)
    listed = set()
    for r in rows:
        assert _sha(folder / r["svg"]) == r["svg_sha256"], f"{where}: {r['svg']}"
        assert _sha(folder / r["proof"]) == r["proof_sha256"], f"{where}: {r['proof']}"
        car = register.lookup(r["vin"])
        assert int(r["number"]) == car.number
        listed |= {r["svg"], r["proof"], r["sheet"]}
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
        for p in [folder / "job-sheet.pdf"] + random.Random(seed).sample(pdfs, 20):
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
