"""Issue 23, the ledger's part, with real `plaquegen` processes on real files and file systems:
a damaged ledger is refused and restored, parallel writers all tell the truth, a full disk keeps
the good backups, read-only commands write nothing (also on a read-only mount), and a second
writer is told who is busy."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, read_csv, write_orders

from plaquegen.record.health import inspect_ledger

_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PLAQUEGEN_LOCK_WAIT": "300"}


def plaquegen(*args, env: dict | None = None) -> tuple[int, str]:
    """Run the real command; (exit status, stdout + stderr)."""
    r = subprocess.run([sys.executable, "-m", "plaquegen", *map(str, args)], cwd=ROOT,
                       env={**_ENV, **(env or {})}, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout + r.stderr


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _batch(tmp_path: Path, register, numbers, out: Path, name: str = "a") -> Path:
    orders = write_orders(tmp_path / f"{name}.csv", [register.by_number(n) for n in numbers])
    code, text = plaquegen("batch", orders, "--out", out, "--no-proofs", "--workers", "1")
    assert code == 0, text
    return out / name


def _answers(ledger: Path) -> int:
    with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True) as c:
        return c.execute("SELECT count(*) FROM event WHERE kind = 'answer'").fetchone()[0]


# ------------------------------------------------------------ 23.1 damaged ledgers

def _empty(p: Path) -> None:
    subprocess.run(["truncate", "-s", "0", str(p)], check=True)


def _cut_short(p: Path) -> None:
    subprocess.run(["truncate", "-s", str(p.stat().st_size // 2), str(p)], check=True)


def _garbage_page(p: Path) -> None:
    with open(p, "r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xa5" * 4096)


def _foreign(p: Path) -> None:
    p.unlink()
    with sqlite3.connect(p) as c:
        c.execute("CREATE TABLE photos (name TEXT)")


def _table_dropped(p: Path) -> None:
    with sqlite3.connect(p) as c:
        c.execute("DROP TABLE register_pin")


@pytest.mark.parametrize("damage, problem", [
    (_empty, "is empty (0 bytes)"),
    (_cut_short, "is damaged"),
    (_garbage_page, "is damaged"),
    (_foreign, "is not a plaquegen ledger (an SQLite database of another application"),
    (_table_dropped, "is damaged (its table register_pin is missing)"),
])
def test_a_damaged_ledger_is_refused_naming_its_backup_and_restored(tmp_path, register, damage,
                                                                    problem):
    out = tmp_path / "out"
    _batch(tmp_path, register, (50, 51), out)
    ledger, backups = out / "ledger.sqlite", out / "ledger.sqlite.backups"
    damage(ledger)
    kept_backups = _files(backups)
    for cmd in (("ledger", "--ledger", ledger), ("status", out / "a"),
                ("batch", write_orders(tmp_path / "b.csv", [register.by_number(50)]), "--out", out,
                 "--no-proofs")):
        code, text = plaquegen(*cmd)
        assert code == 1, (cmd, text)
        assert f"ledger {ledger} {problem}" in text, text
        assert f"its newest good backup is {backups / '1.sqlite'}" in text, text
        assert f"'plaquegen ledger --restore --ledger {ledger}'" in text, text
    # the same car was not issued again, and the good backups were not rotated away
    assert not (out / "b").exists()
    assert _files(backups) == kept_backups
    code, text = plaquegen("ledger", "--restore", "--ledger", ledger)
    assert code == 0, text
    assert f"Restored {ledger} from {backups / '1.sqlite'}: 1 batch(es), 2 plaque(s)" in text
    kept = sorted(out.glob("ledger.sqlite.damaged-*"))
    assert [k.name for k in kept if not k.name.endswith(("-wal", "-shm"))] == [kept[0].name]
    assert not inspect_ledger(kept[0]).healthy
    code, text = plaquegen("ledger", "--ledger", ledger)
    assert code == 0 and "1 batch(es)." in text, text
    code, text = plaquegen("batch", tmp_path / "b.csv", "--out", out, "--no-proofs")
    assert code == 3, text
    assert "already issued in batch a" in (out / "b" / "rejects.csv").read_text("utf-8")


def test_restore_keeps_a_healthy_ledger_unless_told(tmp_path, register):
    out = tmp_path / "out"
    _batch(tmp_path, register, (50,), out)
    _batch(tmp_path, register, (51,), out, name="b")
    ledger = out / "ledger.sqlite"
    before = ledger.read_bytes()
    code, text = plaquegen("ledger", "--restore", "--ledger", ledger)
    assert code == 1 and "is a healthy ledger (2 batch(es), 2 plaque(s)); nothing was restored; " \
                          "add --yes" in text, text
    assert ledger.read_bytes() == before
    older = out / "ledger.sqlite.backups" / "2.sqlite"  # after batch a only
    code, text = plaquegen("ledger", "--restore", older, "--yes", "--ledger", ledger)
    assert code == 0 and "1 batch(es), 1 plaque(s)" in text, text
    assert inspect_ledger(ledger).batches == 1
    code, text = plaquegen("ledger", "--restore", tmp_path / "b.csv", "--yes", "--ledger", ledger)
    assert code == 1 and "is not a plaquegen ledger" in text, text


def test_no_ledger_but_a_good_backup_names_the_restore(tmp_path, register):
    out = tmp_path / "out"
    _batch(tmp_path, register, (50,), out)
    (out / "ledger.sqlite").unlink()
    code, text = plaquegen("ledger", "--ledger", out / "ledger.sqlite")
    assert code == 1 and "does not exist; its newest good backup is" in text, text
    code, text = plaquegen("batch", tmp_path / "a.csv", "--out", out, "--no-proofs")
    assert code == 1 and "restore its newest good backup" in text and "--restore" in text, text


# ------------------------------------------------------ 23.2 parallel writers, full disk

def test_twelve_parallel_answer_runs_all_exit_0_and_all_36_answers_are_in(tmp_path, register):
    out = tmp_path / "out"
    folder = _batch(tmp_path, register, range(60, 72), out)
    vins = [r["vin"] for r in read_csv(folder / "manifest.csv")]
    script = ("import subprocess, sys\n"
              "for k in range(3):\n"
              "    r = subprocess.run([sys.executable, '-m', 'plaquegen', 'answer', sys.argv[1], "
              "sys.argv[2], 'changes' if k < 2 else 'approve', f'try {k}', '--by', 'phone'], "
              "capture_output=True, text=True)\n"
              "    print(r.returncode, flush=True)\n"
              "    sys.stderr.write(r.stderr)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(folder), v], cwd=ROOT, env=_ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for v in vins]
    results = [p.communicate(timeout=600) for p in procs]
    codes = [c for stdout, _ in results for c in stdout.split()]
    assert codes == ["0"] * 36, [err for _, err in results if err]
    assert _answers(out / "ledger.sqlite") == 36
    backups = out / "ledger.sqlite.backups"
    assert sorted(p.name for p in backups.iterdir() if not p.name.startswith(".rotate")) == \
        [f"{k}.sqlite" for k in range(1, 6)]  # no temp file left behind
    assert all(inspect_ledger(backups / f"{k}.sqlite").healthy for k in range(1, 6))
    assert _answers(backups / "1.sqlite") == 36


@contextmanager
def _tmpfs(where: Path, size: str):
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}): "
                    "the full-disk and read-only-mount cases need one")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_records_the_answer_warns_and_keeps_the_good_backup(tmp_path, register):
    with _tmpfs(tmp_path / "disk", "16m") as disk:
        out = disk / "out"
        folder = _batch(tmp_path, register, range(60, 100), out)
        ledger, backups = out / "ledger.sqlite", out / "ledger.sqlite.backups"
        good = (backups / "1.sqlite").read_bytes()
        # room for the commit (the WAL index and a few pages), not for a copy of the ledger
        st = os.statvfs(disk)
        room = 32768 + ledger.stat().st_size
        (disk / "filler").write_bytes(b"x" * (st.f_bavail * st.f_frsize - room))
        vin = read_csv(folder / "manifest.csv")[0]["vin"]
        code, text = plaquegen("answer", folder, vin, "approve", "--by", "phone")
        assert code == 0, text
        assert f"warning: the ledger {ledger} was written, but its backup failed" in text, text
        assert "nothing was recorded" not in text
        assert _answers(ledger) == 1
        assert (backups / "1.sqlite").read_bytes() == good
        assert [p.name for p in backups.iterdir() if p.name.endswith(".tmp")] == []
        (disk / "filler").unlink()
        code, text = plaquegen("answer", folder, vin, "changes", "smaller", "--by", "phone")
        assert code == 0 and "warning" not in text, text
        assert _answers(backups / "1.sqlite") == 2 and (backups / "2.sqlite").read_bytes() == good


# ------------------------------------------------------------- 23.3 read-only commands

def _make_v1(ledger: Path) -> None:
    """Turn a schema 2 ledger back into schema 1 (the issue table only)."""
    c = sqlite3.connect(ledger, isolation_level=None)
    try:
        for t in ("event_append_only_u", "event_append_only_d"):
            c.execute(f"DROP TRIGGER {t}")
        for t in ("event", "batch", "register_pin"):
            c.execute(f"DROP TABLE {t}")
        c.execute("ALTER TABLE issue DROP COLUMN stale")
        c.execute("ALTER TABLE issue DROP COLUMN total")
        c.execute("PRAGMA user_version = 1")
        c.execute("PRAGMA journal_mode = DELETE")
        c.execute("VACUUM")
    finally:
        c.close()


def _read_commands(tmp_path: Path, register, out: Path):
    check_orders = write_orders(tmp_path / "c.csv", [register.by_number(50), register.by_number(52)])
    ledger = out / "ledger.sqlite"
    vin = register.by_number(50).vin
    return [(("check", check_orders, "--out", out), 3, "already issued in batch a"),
            (("ledger", "--ledger", ledger), 0, "1 batch(es)."),
            (("ledger", "--ledger", ledger, "--batch-id", "a"), 0, "2 plaque(s)."),
            (("history", vin, "--ledger", ledger), 0, "issued"),
            (("status", out / "a"), 0, "waiting")]


def test_read_only_commands_never_migrate_or_back_up_an_old_ledger(tmp_path, register):
    out = tmp_path / "out"
    _batch(tmp_path, register, (50, 51), out)
    _make_v1(out / "ledger.sqlite")
    for p in (out / "ledger.sqlite.backups").iterdir():
        p.unlink()
    before = _files(out)
    for args, want, says in _read_commands(tmp_path, register, out):
        code, text = plaquegen(*args)
        assert code == want and says in text, (args, text)
        assert _files(out) == before, args  # not a byte, not a file
    with sqlite3.connect(out / "ledger.sqlite") as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 1
    # a writing command migrates it
    code, text = plaquegen("answer", out / "a", register.by_number(50).vin, "approve", "--by", "x")
    assert code == 0, text
    assert inspect_ledger(out / "ledger.sqlite").version == 2


def test_read_only_commands_work_on_a_read_only_disk(tmp_path, register):
    with _tmpfs(tmp_path / "disk", "16m") as disk:
        out = disk / "out"
        _batch(tmp_path, register, (50, 51), out)
        before = _files(out)
        r = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot remount the tmpfs read-only: {r.stderr.strip()}")
        assert not os.access(disk, os.W_OK) or subprocess.run(
            ["touch", str(disk / "x")], capture_output=True).returncode != 0
        for args, want, says in _read_commands(tmp_path, register, out):
            code, text = plaquegen(*args)
            assert code == want and says in text, (args, text)
        # a writer is refused with one sentence, nothing half-done
        code, text = plaquegen("answer", out / "a", register.by_number(50).vin, "approve",
                               "--by", "x")
        assert code == 1 and "Traceback" not in text and "read-only file system" in text.lower(), text
        assert _files(out) == before


# ---------------------------------------------------------------- 23.4 one writer at a time

def test_a_second_writer_is_told_who_is_busy_and_readers_go_on(tmp_path, register):
    out = tmp_path / "out"
    folder = _batch(tmp_path, register, (50, 51), out)
    ledger = out / "ledger.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom plaquegen.record.lock import ledger_lock\n"
         "with ledger_lock(sys.argv[1], what='release'):\n"
         "    print('held', flush=True)\n    sys.stdin.read()\n", str(ledger)],
        cwd=ROOT, env=_ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        vin = register.by_number(50).vin
        for args in (("answer", folder, vin, "approve", "--by", "phone"), ("release", folder),
                     ("register", "adopt", ROOT / "assets" / "register-demo.csv", "--ledger",
                      ledger, "--yes"),
                     ("batch", tmp_path / "a.csv", "--out", out, "--no-proofs")):
            code, text = plaquegen(*args, env={"PLAQUEGEN_LOCK_WAIT": "0.3"})
            assert code == 1, (args, text)
            assert (f"another plaquegen command (release, started " in text
                    and f"UTC by pid {holder.pid}) is writing ledger {ledger}; try again when "
                        "it has finished." in text), text
        assert _answers(ledger) == 0
        code, text = plaquegen("status", folder)
        assert code == 0, text
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    code, text = plaquegen("answer", folder, register.by_number(50).vin, "approve", "--by", "phone")
    assert code == 0, text
    assert _answers(ledger) == 1
