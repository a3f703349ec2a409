"""The SQLite ledger: real files in tmp_path, real processes for concurrency."""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
from dataclasses import replace

import pytest

from plaquegen.core.clock import utc_now
from plaquegen.record.ledger import Ledger
from plaquegen.record.rows import Conflict, Issue, LedgerError


def vin(n: int, prefix: str = "WBSUR9C5") -> str:
    """A 17-character VIN-shaped string (ISO 3779 alphabet) for car n."""
    v = f"{prefix}{n:0{17 - len(prefix)}d}"
    assert len(v) == 17
    return v


def make_issues(batch_id: str, numbers, issued_at: str = "2025-09-14T10:22:03Z",
                reprint: bool = False, prefix: str = "WBSUR9C5") -> list[Issue]:
    return [Issue(vin=vin(n, prefix), number=n, batch_id=batch_id, order_id=f"{batch_id}-{n}",
                  svg_sha256=f"{n:064x}", proof_sha256=f"{n + 1:064x}",
                  issued_at=issued_at, reprint=reprint, total=6309)
            for n in numbers]


def raw_rows(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT vin, batch_id, number, issued_at FROM issue ORDER BY id").fetchall()


# ------------------------------------------------------------------ basics

def test_new_ledger_has_schema_version_wal_and_parent_dirs(tmp_path):
    path = tmp_path / "output" / "deep" / "ledger.sqlite"
    with Ledger(path) as ledger:
        assert ledger.issues() == []
        assert ledger.batches() == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x504C5147
    with Ledger(path) as ledger:  # reopening an existing ledger works
        assert ledger.issues() == []


def test_conflicts_name_the_other_batch_and_its_date(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert ledger.record(make_issues("2025-09", [462, 463])) == 2
        vins = [vin(462), vin(463), vin(999)]

        found = ledger.conflicts(vins, "2025-11")
        assert set(found) == {vin(462), vin(463)}
        c = found[vin(462)]
        assert c == Conflict(vin=vin(462), batch_id="2025-09", issued_at="2025-09-14T10:22:03Z",
                             number=462, total=6309)
        assert c.reason == ("already issued in batch 2025-09 on 2025-09-14 (No. 0462); "
                            "use --reprint to make it again")

        # the batch itself is not a conflict with itself
        assert ledger.conflicts(vins, "2025-09") == {}
        assert ledger.conflicts([], "2025-11") == {}


def test_conflict_reports_the_latest_other_issue(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(make_issues("2024-01", [5], issued_at="2024-01-02T08:00:00Z"))
        ledger.record(make_issues("2025-03", [5], issued_at="2025-03-04T08:00:00Z", reprint=True))
        assert ledger.conflicts([vin(5)], "2025-09")[vin(5)].batch_id == "2025-03"
        # a batch that already holds the car keeps it: a re-run of it is no conflict
        assert vin(5) not in ledger.conflicts([vin(5)], "2025-03")
        assert vin(5) not in ledger.conflicts([vin(5)], "2024-01")


def test_recording_the_same_batch_twice_is_idempotent(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        first = make_issues("2025-09", range(1, 51), issued_at="2025-09-14T10:22:03Z")
        assert ledger.record(first) == 50
        before = raw_rows(path)

        again = make_issues("2025-09", range(1, 51), issued_at="2025-10-01T00:00:00Z")
        assert ledger.record(again) == 0  # nothing changed, nothing written
        assert raw_rows(path) == before

        # changed checksum for one plaque: updated in place, time kept
        changed = [replace(again[9], svg_sha256="f" * 64)]
        assert ledger.record(changed) == 1
        assert raw_rows(path) == before
        (row,) = ledger.issues(batch_id="2025-09", vin=vin(10))
        assert row.svg_sha256 == "f" * 64
        assert row.issued_at == "2025-09-14T10:22:03Z"
        assert ledger.batches() == [("2025-09", 50, "2025-09-14T10:22:03Z", "2025-09-14T10:22:03Z")]


def test_reprint_is_recorded_in_the_new_batch(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(make_issues("2025-09", [462], issued_at="2025-09-14T10:22:03Z"))
        ledger.record(make_issues("2025-11", [462], issued_at="2025-11-02T09:00:00Z", reprint=True))
        history = ledger.issues(vin=vin(462))
        assert [(i.batch_id, i.reprint, i.issued_at) for i in history] == [
            ("2025-09", False, "2025-09-14T10:22:03Z"),
            ("2025-11", True, "2025-11-02T09:00:00Z"),
        ]
        assert [b[:2] for b in ledger.batches()] == [("2025-09", 1), ("2025-11", 1)]


def test_issues_are_ordered_by_batch_then_number(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(make_issues("B", [30, 10, 20]))
        ledger.record(make_issues("A", [7, 3]))
        got = [(i.batch_id, i.number) for i in ledger.issues()]
        assert got == [("A", 3), ("A", 7), ("B", 10), ("B", 20), ("B", 30)]
        assert [i.number for i in ledger.issues(batch_id="B")] == [10, 20, 30]


def test_approval_is_stored_and_survives_an_unchanged_rerun_only(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        issues = make_issues("2025-09", [1, 2])
        ledger.record(issues)
        assert ledger.issues(vin=vin(1))[0].approval_state is None
        ledger.set_approval(vin(1), "2025-09", "approved", "owner@example.org",
                            "2025-09-20T12:00:00Z", None)
        ledger.set_approval(vin(2), "2025-09", "approved", "o2", "2025-09-20T12:00:00Z", None)
        (i1,) = ledger.issues(vin=vin(1))
        assert (i1.approval_state, i1.approved_by, i1.approved_at) == (
            "approved", "owner@example.org", "2025-09-20T12:00:00Z")

        # re-run: plaque 1 unchanged keeps its approval; plaque 2's artwork changed -> reset
        ledger.record([issues[0], replace(issues[1], svg_sha256="e" * 64)])
        assert ledger.issues(vin=vin(1))[0].approval_state == "approved"
        assert ledger.issues(vin=vin(2))[0].approval_state is None

        with pytest.raises(LedgerError, match="was not issued in batch 2099"):
            ledger.set_approval(vin(1), "2099", "approved", "x", None, None)


# ------------------------------------------------------------ all-or-nothing

def test_failing_iterable_writes_nothing(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        ledger.record(make_issues("2025-01", [1]))

        def halfway():
            yield from make_issues("2025-09", range(100, 150))
            raise RuntimeError("engraver fell over")

        with pytest.raises(RuntimeError, match="engraver fell over"):
            ledger.record(halfway())
        assert ledger.issues(batch_id="2025-09") == []
        assert len(raw_rows(path)) == 1


def test_invalid_issue_halfway_writes_nothing(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as ledger:
        good = make_issues("2025-09", range(1, 20))
        bad = replace(good[0], vin="WBSUR9C5-short", number=99)
        with pytest.raises(LedgerError, match="17-character"):
            ledger.record(good[:10] + [bad] + good[10:])
        assert ledger.issues() == []
        with pytest.raises(LedgerError, match="not in UTC"):
            ledger.record([replace(good[0], issued_at="2025-09-14T12:22:03+02:00")])
        with pytest.raises(LedgerError, match="appears twice"):
            ledger.record(good[:3] + good[:1])
        assert ledger.issues() == []


def test_database_error_mid_transaction_rolls_back(tmp_path):
    """A failure inside the write (here: a CHECK constraint hit at row 60) leaves no rows."""
    path = tmp_path / "l.sqlite"
    with Ledger(path) as ledger:
        issues = make_issues("2025-09", range(1, 101))
        # every row passes the Python-side checks; the database itself rejects row 60
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TRIGGER boom BEFORE INSERT ON issue WHEN NEW.number = 60 "
                         "BEGIN SELECT RAISE(ABORT, 'disk gremlin'); END")
        conn.close()
        with pytest.raises(LedgerError, match="disk gremlin.*nothing was recorded"):
            ledger.record(issues)
        assert raw_rows(path) == []


# --------------------------------------------------------------- concurrency

def _record_worker(path: str, batch_id: str, first: int, count: int, barrier, results) -> None:
    barrier.wait(timeout=60)
    with Ledger(path) as ledger:
        written = ledger.record(make_issues(batch_id, range(first, first + count),
                                            issued_at=utc_now()))
    results.put((batch_id, written))


def test_concurrent_processes_record_without_loss_or_duplicates(tmp_path):
    path = str(tmp_path / "ledger.sqlite")  # not created yet: the workers race to create it
    ctx = multiprocessing.get_context("spawn")
    jobs = [(f"batch-{k}", 1 + 1000 * k, 200) for k in range(4)]
    jobs += [("shared", 5001, 200), ("shared", 5001, 200)]
    barrier = ctx.Barrier(len(jobs))
    results = ctx.Queue()
    procs = [ctx.Process(target=_record_worker, args=(path, b, first, n, barrier, results))
             for b, first, n in jobs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    got = sorted(results.get(timeout=5) for _ in procs)
    # each distinct batch wrote its 200 rows; of the two runs of "shared" one wrote
    # 200 rows and the other found them identical and wrote nothing
    assert got == [("batch-0", 200), ("batch-1", 200), ("batch-2", 200), ("batch-3", 200),
                   ("shared", 0), ("shared", 200)]

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM issue").fetchone()[0] == 1000
        counts = dict(conn.execute("SELECT batch_id, count(*) FROM issue GROUP BY batch_id"))
        assert counts == {"batch-0": 200, "batch-1": 200, "batch-2": 200, "batch-3": 200,
                          "shared": 200}
        dupes = conn.execute("SELECT vin, batch_id FROM issue GROUP BY vin, batch_id "
                             "HAVING count(*) > 1").fetchall()
        assert dupes == []
    with Ledger(path) as ledger:
        assert [n for _, n, _, _ in ledger.batches()] == [200] * 5


# ------------------------------------------------------------- bad files

def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    conn.close()
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    msg = str(err.value)
    assert "is not a plaquegen ledger" in msg and str(path) in msg and "\n" not in msg
    with sqlite3.connect(path) as conn:  # and left untouched
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]
    conn.close()


def test_sqlite_file_of_another_application_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()
    with pytest.raises(LedgerError, match="is not a plaquegen ledger"):
        Ledger(path)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(LedgerError, match="newer plaquegen"):
        Ledger(path)


def test_non_sqlite_file_is_refused_and_untouched(tmp_path):
    path = tmp_path / "ledger.sqlite"
    path.write_text("vin,number\nWBSUR9C5000000001,1\n")
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    msg = str(err.value)
    assert msg.startswith(f"ledger {path} is not a plaquegen ledger (not an SQLite database): "
                          "nothing was read or written; no good backup is left in ")
    assert path.read_text() == "vin,number\nWBSUR9C5000000001,1\n"


def test_empty_file_is_refused_not_taken_for_a_new_ledger(tmp_path):
    """Issue 23.1: a truncated (0-byte) ledger used to become a new, empty ledger."""
    path = tmp_path / "ledger.sqlite"
    path.touch()
    with pytest.raises(LedgerError, match=r"is empty \(0 bytes\): nothing was read or written"):
        Ledger(path)
    assert path.stat().st_size == 0 and not (tmp_path / "ledger.sqlite.backups").exists()


def test_path_under_a_regular_file_is_refused(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(LedgerError, match=r"^cannot open ledger .*afile.*ledger\.sqlite: "):
        Ledger(tmp_path / "afile" / "ledger.sqlite")


def test_folder_instead_of_file_is_refused(tmp_path):
    (tmp_path / "ledger.sqlite").mkdir()
    with pytest.raises(LedgerError, match="is a folder"):
        Ledger(tmp_path / "ledger.sqlite")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root ignores directory permissions")
def test_read_only_directory_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(LedgerError, match="^cannot open ledger"):
            Ledger(ro / "ledger.sqlite")
    finally:
        ro.chmod(0o700)


def test_closed_ledger_says_so(tmp_path):
    ledger = Ledger(tmp_path / "l.sqlite")
    ledger.close()
    ledger.close()  # idempotent
    with pytest.raises(LedgerError, match="is closed"):
        ledger.issues()


# ---------------------------------------------------------------- full size

def test_conflicts_for_the_whole_production(tmp_path):
    total = 6309
    with Ledger(tmp_path / "l.sqlite") as ledger:
        assert ledger.record(make_issues("2025-09", range(1, total + 1))) == total
        # the next batch asks about every car, plus 100 VINs never issued
        asked = [vin(n) for n in range(1, total + 1)] + [vin(n, "WBSUR9C6") for n in range(100)]
        found = ledger.conflicts(asked, "2025-11")
        assert len(found) == total
        assert set(found) == {vin(n) for n in range(1, total + 1)}
        assert found[vin(6309)].number == 6309
        assert all(c.batch_id == "2025-09" for c in found.values())
        assert ledger.conflicts(asked, "2025-09") == {}


def test_record_refuses_cars_another_batch_issued_meanwhile(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    led.record(make_issues("a", [1, 2]))
    with pytest.raises(LedgerError, match=r"1 car\(s\), e.g. .* were issued in batch a while this batch ran"):
        led.record(make_issues("b", [2, 3]))
    assert raw_rows(tmp_path / "l.sqlite") == [(vin(1), "a", 1, "2025-09-14T10:22:03Z"),
                                               (vin(2), "a", 2, "2025-09-14T10:22:03Z")]
    assert led.record(make_issues("b", [2], reprint=True) + make_issues("b", [3])) == 2
    led.close()


def test_replace_batch_drops_cars_no_longer_in_it(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    led.record(make_issues("a", [1, 2, 3]), replace_batch="a")
    led.record(make_issues("x", [9]), replace_batch="x")
    assert led.record(make_issues("a", [1, 3]), replace_batch="a") == 1  # one row deleted
    assert [i.vin for i in led.issues(batch_id="a")] == [vin(1), vin(3)]
    assert led.record([], replace_batch="a") == 2
    assert led.issues(batch_id="a") == [] and len(led.issues(batch_id="x")) == 1
    led.close()


def test_one_car_one_number(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    led.record(make_issues("a", [1, 2]))
    moved = make_issues("b", [7], reprint=True)[0]
    moved = Issue(**{**moved.__dict__, "vin": vin(1)})  # car 1 under another number
    with pytest.raises(LedgerError, match=r"car .* would be No. 7, but batch a issued No. 1 .* register has changed"):
        led.record([moved])
    taken = Issue(**{**make_issues("b", [2])[0].__dict__, "vin": vin(9)})  # No. 2 for another car
    with pytest.raises(LedgerError, match="would be No. 2, but batch a issued No. 2"):
        led.record([taken])
    assert len(led.issues()) == 2
    led.close()
