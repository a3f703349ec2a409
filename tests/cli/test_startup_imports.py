"""What the small commands the admin types all day load: number, status, history and answer
run in a fresh interpreter each, and none of them imports the drawing, PDF, geometry, mail or
pipeline code it does not use (issue 27: their start-up was 0.3-0.5 s of imports). A command
that starts importing one of these again fails here, by name, whatever the machine's speed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, read_csv

# Third-party packages only the batch, the proofs, the shop files or the mail readers need.
HEAVY = ("reportlab", "pypdf", "shapely", "numpy", "cairosvg", "ezdxf", "fontTools", "uharfbuzz",
         "svgelements", "pyclipper", "PIL", "python_calamine", "openpyxl", "defusedxml",
         "multiprocessing", "concurrent", "email", "imaplib", "smtplib", "ssl", "http", "xml")
# plaquegen's own drawing and production layers.
PIPELINE = ("plaquegen.geometry", "plaquegen.laser", "plaquegen.art", "plaquegen.bed",
            "plaquegen.writers", "plaquegen.pipeline", "plaquegen.owners.inbox",
            "plaquegen.owners.send", "plaquegen.owners.outgoing", "plaquegen.proof.writer",
            "plaquegen.proof.page", "plaquegen.proof.render", "plaquegen.inputs.orders",
            "plaquegen.inputs.template")

# Runs the command line in this interpreter, then writes the modules it loaded (argv[1]).
RUNNER = """
import json, sys
target, sys.argv = sys.argv[1], ["plaquegen"] + sys.argv[2:]
code = 0
try:
    from plaquegen.cli import run
    run()
except SystemExit as e:
    code = e.code or 0
with open(target, "w") as fh:
    json.dump(sorted(sys.modules), fh)
sys.exit(code)
"""


def loaded(tmp_path: Path, *args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    target = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    r = subprocess.run([sys.executable, "-c", RUNNER, str(target), *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    return r, json.loads(target.read_text())


def unwanted(modules: list[str], allow: tuple[str, ...] = ()) -> list[str]:
    tops = {m.split(".")[0] for m in modules}
    bad = [m for m in HEAVY if m in tops]
    bad += sorted({p for p in PIPELINE for m in modules if (m == p or m.startswith(p + "."))
                   and p not in allow})
    return bad


@pytest.fixture(scope="module")
def season(example_batch, tmp_path_factory) -> Path:
    """A copy of the example season (batch folder and ledger): answer writes into it."""
    out = tmp_path_factory.mktemp("season") / "output"
    shutil.copytree(example_batch.folder.parent, out)
    return out


def test_number_loads_only_the_register(tmp_path, season):
    for where in (season.parent, tmp_path):  # a season folder (cache) and anywhere else
        r, mods = loaded(tmp_path, "number", "VS94332", cwd=where)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split()[:3] == ["WBSUR915X0VS94332", "0462", "/"]
        assert unwanted(mods) == []
        assert "plaquegen.inputs.register" in mods


def test_status_loads_only_the_record(tmp_path, season):
    r, mods = loaded(tmp_path, "status", str(season / "example"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "18 plaque(s)" in r.stdout
    assert unwanted(mods) == [] and "plaquegen.owners.approvals" not in mods
    assert "plaquegen.record.states" in mods


def vins(season: Path) -> list[str]:
    return [row["vin"] for row in read_csv(season / "example" / "manifest.csv")]


def test_history_loads_only_the_ledger(tmp_path, season):
    vin = vins(season)[0]
    r, mods = loaded(tmp_path, "history", vin, "--ledger", str(season / "ledger.sqlite"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert vin in r.stdout
    assert unwanted(mods) == [] and "plaquegen.record.ledger" in mods


def test_answer_by_hand_loads_neither_pdf_nor_mail_nor_pipeline(tmp_path, season):
    vin = vins(season)[1]
    r, mods = loaded(tmp_path, "answer", str(season / "example"), vin, "approve", "--by", "phone",
                     cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "approved" in r.stdout
    # an answer changes state, so the season page is rewritten: its writer (plain text) may load
    assert unwanted(mods, allow=("plaquegen.writers",)) == []
    assert not {m for m in mods if m.startswith("plaquegen.writers.")} - {
        "plaquegen.writers.season_page", "plaquegen.writers.season_assets", "plaquegen.writers.season_chart"}
    assert "plaquegen.owners.approvals" in mods and "pypdf" not in {m.split(".")[0] for m in mods}


def test_the_check_can_fail(tmp_path, season):
    """The probe sees imports: the batch command does load the pipeline."""
    r, mods = loaded(tmp_path, "check", str(ROOT / "orders" / "example.csv"), "--out", str(season),
                     cwd=tmp_path)
    assert r.returncode == 3, r.stderr
    assert "plaquegen.pipeline.batch" in mods and "shapely" in {m.split(".")[0] for m in mods}
