"""The package's shape: the sub-packages are layers and imports only go down them, nothing
imports the CLI, no cycles, every module declares its API, the library works without the CLI,
and the size limits that keep modules readable."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys

from conftest import ROOT
from helpers.architecture import LAYERS, cycles, imports, violations

PKG = ROOT / "plaquegen"


def test_every_sub_package_is_a_layer_and_every_module_sits_in_one():
    subs = sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").is_file() and p.name != "assets")
    assert subs == sorted(LAYERS)
    loose = sorted(f.name for f in PKG.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"]


def test_imports_only_go_down_the_layers():
    assert violations(PKG) == []


def test_no_import_cycles():
    assert cycles(PKG) == []


def test_nothing_imports_the_cli():
    users = [m for m, deps in imports(PKG).items()
             if any(d == "cli" or d.startswith("cli.") for d in deps) and not m.startswith("cli")]
    assert users == ["__main__"]  # python -m plaquegen, the one front door


def test_a_planted_upward_import_is_caught(tmp_path):
    """The checker itself: copy the package, plant one upward and one CLI import, see both."""
    copy = tmp_path / "plaquegen"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "geometry" / "paths.py").write_text(
        (PKG / "geometry" / "paths.py").read_text("utf-8") + "\n\ndef _planted():\n"
        "    from ..record.ledger import Ledger  # upward: geometry -> record\n    return Ledger\n", "utf-8")
    (copy / "inputs" / "vin.py").write_text(
        (PKG / "inputs" / "vin.py").read_text("utf-8") + "\nfrom plaquegen.cli import main  # noqa\n", "utf-8")
    found = violations(copy)
    assert "geometry.paths -> record.ledger (geometry may not import record)" in found
    assert "inputs.vin -> cli (nothing imports the CLI)" in found or \
        "inputs.vin -> cli (inputs may not import cli)" in found
    assert len(found) == 2, found


def test_the_library_api_works_without_the_cli(tmp_path):
    code = ("import sys, plaquegen as pg\n"
            "reg = pg.load_register(); tpl = pg.load_template()\n"
            "car = reg.lookup('VS94332')\n"
            "p = pg.Composer.prepare(tpl).compose(car.vin, car.number, reg.total)\n"
            "svg = pg.plaque_svg(p, tpl)\n"
            "assert b'<path' in svg and p.label == '0462 / 6309', p.label\n"
            "assert 'plaquegen.cli' not in sys.modules and 'click' not in sys.modules\n"
            "assert set(pg.__all__) <= set(dir(pg))\n"
            "print('ok')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


def test_python_dash_m_plaquegen_is_the_cli(tmp_path):
    r = subprocess.run([sys.executable, "-m", "plaquegen", "--version"], capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("plaquegen, version "), r.stderr


def test_every_module_declares_its_api():
    missing = [str(f.relative_to(PKG)) for f in sorted(PKG.rglob("*.py"))
               if f.name != "__main__.py" and "__all__" not in f.read_text("utf-8")]
    assert missing == [], f"modules without __all__: {missing}"


def test_every_sub_package_says_what_it_holds():
    for sub in LAYERS:
        doc = ast.get_docstring(ast.parse((PKG / sub / "__init__.py").read_text("utf-8")))
        assert doc and "Contract" in doc or sub == "cli" and doc, sub


def test_no_module_over_600_lines_and_no_function_over_80():
    long_modules, long_functions = [], []
    for f in sorted(PKG.rglob("*.py")):
        text = f.read_text("utf-8")
        if text.count("\n") > 600:
            long_modules.append(f"{f.relative_to(PKG)}: {text.count(chr(10))}")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 80:
                    long_functions.append(f"{f.relative_to(PKG)}:{node.name} {n}")
    assert long_modules == [] and long_functions == []
