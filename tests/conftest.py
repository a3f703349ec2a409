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
# A few test modules share helpers with each other (test_proof's renderers, test_approvals'
# form filler): every test folder is importable by module name, whichever runs first.
for _d in sorted(Path(__file__).resolve().parent.iterdir()):
    if _d.is_dir() and _d.name not in ("golden", "helpers", "__pycache__") and str(_d) not in sys.path:
        sys.path.append(str(_d))
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
    from plaquegen.pipeline.batch import BatchOptions, run_batch

    out = tmp_path_factory.mktemp("out")
    result = run_batch(BatchOptions(orders=EXAMPLE, out=out, workers=2))
    return result


@pytest.fixture(scope="session")
def template():
    from plaquegen.inputs.template import load_template

    return load_template()


@pytest.fixture(scope="session")
def register():
    from plaquegen.inputs.register import load_register

    return load_register()


@pytest.fixture(scope="session")
def composer(template):
    from plaquegen.art.compose import Composer

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

# Hostile-input tests: many examples, no deadline (the machines are shared and noisy).
from hypothesis import HealthCheck, settings as _settings  # noqa: E402

HYPOTHESIS_SETTINGS = _settings(max_examples=250, deadline=None,
                                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.function_scoped_fixture])
FORMULA_START = ("=", "+", "-", "@")


def one_sentence(msg: str) -> None:
    """A message a person reads: one line, not empty, not a traceback."""
    assert msg.strip(), "empty message"
    assert len(msg.splitlines()) == 1, f"message spans lines: {msg!r}"
    assert "Traceback" not in msg


def cli_batch(tmp_path: Path, template: Path, orders: Path | None = None, out: Path | None = None,
              *extra: str):
    orders = orders or (ROOT / "orders" / "example.csv")
    out = out or (tmp_path / "out")
    """`plaquegen batch` in-process with a template (the example orders unless given)."""
    from click.testing import CliRunner
    from plaquegen.cli import main

    return CliRunner().invoke(main, ["batch", str(orders), "--out", str(out), "--workers", "1",
                                     "--template", str(template), *extra])


def assert_refused(r, *words: str) -> str:
    """A CliRunner result that refused with exit 1 and one sentence holding every word; the sentence."""
    assert r.exit_code == 1, (r.exit_code, r.output, r.exception)
    assert isinstance(r.exception, SystemExit), f"uncaught {r.exception!r}"
    err = r.stderr.strip()
    one_sentence(err)
    assert err.startswith("Error: ") and len(err) < 600, err[:700]
    for w in words:
        assert w in err, err
    return err
