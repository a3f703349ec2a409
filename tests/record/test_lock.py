"""The writers' lock (record/lock.py) and concurrent backups, with real processes."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT

from plaquegen.record.health import inspect_ledger
from plaquegen.record.ledger import Ledger
from plaquegen.record.lock import LedgerBusy, ledger_lock, lock_path
from plaquegen.record.rows import Event
from test_ledger import make_issues, vin


def _holder(ledger, what="batch"):
    p = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom plaquegen.record.lock import ledger_lock\n"
         f"with ledger_lock(sys.argv[1], what={what!r}):\n"
         "    print('held', flush=True)\n    sys.stdin.read()\n", str(ledger)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_busy_names_the_holder_and_a_dead_holder_frees_the_lock(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    p = _holder(ledger)
    try:
        with pytest.raises(LedgerBusy) as err:
            with ledger_lock(ledger, what="answer", wait_s=0.2):
                pass
        msg = str(err.value)
        assert msg.startswith("another plaquegen command (batch, started ")
        assert msg.endswith(f"UTC by pid {p.pid}) is writing ledger {ledger}; try again when it "
                            "has finished.")
    finally:
        os.kill(p.pid, signal.SIGKILL)  # killed, not ended: the flock goes with the process
        p.wait(timeout=60)
    with ledger_lock(ledger, what="answer", wait_s=0):
        assert f'"what": "answer", ' in lock_path(ledger).read_text()


def test_the_lock_is_reentrant_in_one_process_and_released_after(tmp_path):
    ledger = tmp_path / "ledger.sqlite"
    with ledger_lock(ledger, what="release"):
        with ledger_lock(ledger, what="release", wait_s=0):
            pass
        with ledger_lock(ledger, what="inner", wait_s=0):  # still ours
            pass
    p = _holder(ledger)  # another process gets it once we let go
    p.stdin.close()
    assert p.wait(timeout=60) == 0


def _answer_without_lock(path, n, start):
    start.wait()
    with Ledger(path) as led:
        led.record_answers("A", [Event("2025-09-15T10:00:00Z", vin(n), "A", "answer",
                                       f"{n:064x}", n, decision="approved", source="t")])
        return led.backup_warnings


def test_parallel_writers_backups_never_collide(tmp_path):
    """Issue 23.2: one fixed temp name made parallel backups fail with 'disk I/O error'."""
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as led:
        led.record(make_issues("A", range(1, 13)))
    ctx = multiprocessing.get_context("fork")
    with ctx.Manager() as m:
        start = m.Event()
        with ctx.Pool(12) as pool:
            runs = [pool.apply_async(_answer_without_lock, (path, n, start)) for n in range(1, 13)]
            start.set()
            warnings = [r.get(timeout=300) for r in runs]
    assert warnings == [[]] * 12
    folder = tmp_path / "ledger.sqlite.backups"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".rotate")) == \
        [f"{k}.sqlite" for k in range(1, 6)]
    assert all(inspect_ledger(folder / f"{k}.sqlite").healthy for k in range(1, 6))
    with Ledger(path) as led:
        assert len([e for e in led.events() if e.kind == "answer"]) == 12
