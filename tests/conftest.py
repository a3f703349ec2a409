"""Shared fixtures (a real batch made once per test session from the example orders) and
shared helpers, plain functions a test module imports with ``from conftest import ...``:
:func:`read_csv`, :func:`sha256_file`, :func:`write_orders`, :func:`template_variant`,
:func:`python_output`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "orders" / "example.csv"

INKSCAPE = shutil.which("inkscape")
QPDF = shutil.which("qpdf")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
ASSETS = ROOT / "assets"
TEMPLATE_TEXT = (ASSETS / "plaque.toml").read_text("utf-8")


def read_csv(path: Path) -> list[dict]:
    """A CSV we wrote (manifest, rejects), as dicts; the BOM Excel needs is stripped."""
    return list(csv.DictReader(io.StringIO(Path(path).read_text("utf-8-sig"))))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes (what the manifest and the ledger record)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_orders(path: Path, cars: Iterable, start: int = 1, prefix: str = "O-",
                 names: bool = True, contact: bool = False, newline: str = "\n") -> Path:
    """An orders CSV with one line per car (a register Car or anything with ``.vin``).

    order_id is ``prefix + str(start + i)``; ``names`` adds ``name`` ("Owner i"), ``contact``
    adds ``email`` and ``country`` (every third order from the US). UTF-8, ``newline`` ends lines.
    """
    header = ["order_id", "vin"] + (["name"] if names else []) + (["email", "country"] if contact else [])
    lines = [",".join(header)]
    for i, c in enumerate(cars):
        cells = [f"{prefix}{start + i}", c.vin]
        if names:
            cells.append(f"Owner {i}")
        if contact:
            cells += [f"o{i}@example.org", "DE" if i % 3 else "US"]
        lines.append(",".join(cells))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(newline.join(lines) + newline, "utf-8")
    return Path(path)


def template_variant(tmp_path: Path, edit: Callable[[str], str] | None = None, art: str | None = None,
                     name: str = "plaque.toml", **replace: str) -> Path:
    """The shipped template written to ``tmp_path/name`` with its assets referenced absolutely.

    ``replace``: old -> new text replacements, each of which must occur; ``edit``: a function
    of the whole text applied after them; ``art``: SVG text that replaces the silhouette
    (written to ``tmp_path/art.svg``, referenced relatively: errors name ``art.svg``).
    """
    text = TEMPLATE_TEXT
    for k in ("signature.svg", "fonts/"):
        text = text.replace(f'"{k}', f'"{ASSETS.as_posix()}/{k}')
    if art is not None:
        (tmp_path / "art.svg").write_text(art, "utf-8")
        text = text.replace('"silhouette.svg"', '"art.svg"')  # next to the template
    else:
        text = text.replace('"silhouette.svg"', f'"{ASSETS.as_posix()}/silhouette.svg"')
    for old, new in replace.items():
        assert old in text, f"template has no {old!r}"
        text = text.replace(old, new)
    if edit is not None:
        text = edit(text)
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


@pytest.fixture(scope="session")
def example_batch(tmp_path_factory):
    """The example orders made into a batch (proofs included), as the admin would run it."""
    from plaquegen.batch import BatchOptions, run_batch

    out = tmp_path_factory.mktemp("out")
    result = run_batch(BatchOptions(orders=EXAMPLE, out=out, workers=2))
    return result


@pytest.fixture(scope="session")
def template():
    from plaquegen.template import load_template

    return load_template()


@pytest.fixture(scope="session")
def register():
    from plaquegen.register import load_register

    return load_register()


@pytest.fixture(scope="session")
def composer(template):
    from plaquegen.compose import Composer

    return Composer.prepare(template)


def python_output(code: str, hash_seed: int = 0) -> str:
    """stdout of ``code`` run by a fresh Python process (cold caches, its own hash seed).

    For determinism across processes: a cache inside one process returns the same objects,
    so only another process shows whether the bytes really repeat.
    """
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout
