"""Golden pins: the sha256 of every engrave file, sheet and the manifest of the example batch.

Owners approve proofs tied to the engrave file's sha256, and the shop engraves these bytes: a
change that alters any of them must be on purpose. Regenerate the pins with
``PLAQUEGEN_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.
The batch runs in a fresh process (no warm caches from other tests) without proofs, whose
bytes carry the batch date; the manifest's proof columns are then empty.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE, ROOT

PINS = ROOT / "tests" / "golden" / "example.json"
PINNED = ("engrave/", "sheets/", "manifest.csv")


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and str(p.relative_to(folder)).startswith(PINNED)}


def test_example_batch_bytes_are_pinned(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(EXAMPLE), "--out",
                        str(tmp_path), "--no-proofs", "--workers", "2"],
                       capture_output=True, text=True, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})  # this tree, not an installed copy
    assert r.returncode in (0, 3), r.stderr
    got = _digests(tmp_path / "example")
    if os.environ.get("PLAQUEGEN_UPDATE_GOLDEN"):
        PINS.parent.mkdir(exist_ok=True)
        PINS.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(PINS.read_text())
    assert sorted(got) == sorted(want), "the set of pinned files changed"
    changed = [k for k in want if got[k] != want[k]]
    assert not changed, f"bytes changed: {changed}"
