"""files.py: atomic writes, the one sync per batch and its early start in the background."""
from __future__ import annotations

import os
import threading

import pytest
from hypothesis import given, strategies as st

import plaquegen.core.files as files
from plaquegen.core.files import EarlyWriteback, atomic_write_bytes, remove_temp_files


def test_atomic_write_leaves_only_the_file(tmp_path):
    target = tmp_path / "sub" / "a.svg"
    atomic_write_bytes(target, b"<svg/>" * 10000)
    atomic_write_bytes(target, b"new")  # replaced whole
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(target.parent)) == ["a.svg"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_a_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    def boom(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "write", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(tmp_path / "a.pdf", b"x")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    (tmp_path / ".a.pdf.1-2.tmp").write_bytes(b"half")  # what a kill leaves
    assert remove_temp_files(tmp_path) == 1 and os.listdir(tmp_path) == []


def test_early_writeback_runs_one_flush_at_a_time_and_is_waited_for(tmp_path, monkeypatch):
    calls, release, started = [], threading.Event(), threading.Event()

    def slow_sync(folder):
        calls.append(folder)
        started.set()
        release.wait(5)

    monkeypatch.setattr(files, "sync_folder", slow_sync)
    with EarlyWriteback(tmp_path) as wb:
        wb.kick()
        assert started.wait(5)
        wb.kick()  # one is still running: no second flush
        wb.kick()
        assert calls == [tmp_path]
        threading.Timer(0.2, release.set).start()  # still flushing when the block ends
        thread = wb._thread
    assert not thread.is_alive()  # leaving the block waited for it
    started.clear()
    with EarlyWriteback(tmp_path) as wb:
        wb.kick()
    assert calls == [tmp_path, tmp_path]  # a new flush once the last one ended


def test_early_writeback_swallows_a_failing_flush(tmp_path, monkeypatch):
    def broken(folder):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(files, "sync_folder", broken)
    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args))
    with EarlyWriteback(tmp_path) as wb:
        wb.kick()
    # the final, counting sync_folder reports problems; the early one only starts the disk
    assert errors == []


@given(st.text(max_size=12, alphabet=st.sampled_from("'=+-@ab1 \t")))
def test_a_cell_written_defused_reads_back_as_itself(text):
    """Order ids like '-5 used to come back as -5 (the proof then looked tampered)."""
    from plaquegen.core.files import sheet_cell, unsheet_cell

    assert unsheet_cell(sheet_cell(text)) == text
    assert sheet_cell(text)[:1] not in ("=", "+", "-", "@")
