"""The package's shape: imports only go down the pipeline, nothing imports the CLI, and the
library API imports without it."""
from __future__ import annotations

import ast
import subprocess
import sys

from conftest import ROOT

PKG = ROOT / "plaquegen"


def _imports() -> dict[str, set[str]]:
    """module -> plaquegen modules it imports (anywhere in the file, functions included)."""
    graph = {}
    for f in sorted(PKG.glob("*.py")):
        name = f.stem
        deps = set()
        for node in ast.walk(ast.parse(f.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("plaquegen."):
                deps.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                deps |= {a.name.split(".")[1] for a in node.names if a.name.startswith("plaquegen.")}
        graph[name] = deps - {name}
    return graph


def test_no_import_cycles():
    graph = _imports()
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if d != "__init__":
                visit(d)
        stack.pop()

    for m in graph:
        visit(m)
    assert cycles == []


def test_nothing_imports_the_cli():
    graph = _imports()
    assert [m for m, deps in graph.items() if "cli" in deps] == []


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


def test_every_library_module_declares_its_api():
    missing = [f.stem for f in sorted(PKG.glob("*.py"))
               if f.stem not in ("__init__", "cli") and "__all__" not in f.read_text("utf-8")]
    assert missing == [], f"modules without __all__: {missing}"
