"""Shared fixtures: a real batch made once per test session from the example orders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "orders" / "example.csv"

INKSCAPE = shutil.which("inkscape")
QPDF = shutil.which("qpdf")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")


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
