"""The package's import graph, read with ast, and the rules it must keep.

The sub-packages form layers: a module may import from its own sub-package and from those
listed before it in ``LAYERS``, never from one after it (an upward import), and nothing imports
the CLI. Within a sub-package the modules must not form a cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

LAYERS = ("core", "geometry", "inputs", "laser", "art", "bed", "writers", "proof", "record",
          "pipeline", "owners", "cli")


def module_name(pkg: Path, f: Path) -> str:
    """plaquegen/record/ledger.py -> 'record.ledger'; plaquegen/__init__.py -> '__init__'."""
    parts = f.relative_to(pkg).with_suffix("").parts
    return ".".join(parts)


def imports(pkg: Path) -> dict[str, set[str]]:
    """module -> the plaquegen modules it imports (anywhere in the file, functions included)."""
    graph = {}
    for f in sorted(pkg.rglob("*.py")):
        name = module_name(pkg, f)
        here = name.split(".")[:-1] if not name.endswith("__init__") else name.split(".")[:-1]
        deps = set()
        for node in ast.walk(ast.parse(f.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                    target = base + (node.module.split(".") if node.module else [])
                    if node.module is None or len(target) == len(base) + 0:
                        targets = [".".join(target + [a.name]) for a in node.names]
                    else:
                        targets = [".".join(target)]
                    deps |= {t for t in targets if t}
                elif (node.module or "").startswith("plaquegen."):
                    deps.add(node.module.split(".", 1)[1])
            elif isinstance(node, ast.Import):
                deps |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("plaquegen.")}
        graph[name] = deps - {name}
    return graph


def layer_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in LAYERS else None


def violations(pkg: Path) -> list[str]:
    """Every import that runs up (or sideways into the CLI), as 'a.b -> c.d' lines."""
    out = []
    for mod, deps in imports(pkg).items():
        src = layer_of(mod)
        for dep in sorted(deps):
            dst = layer_of(dep)
            if dst is None or dst == src:
                continue
            if dst == "cli" and mod not in ("__main__",):
                out.append(f"{mod} -> {dep} (nothing imports the CLI)")
            elif src is not None and LAYERS.index(dst) > LAYERS.index(src):
                out.append(f"{mod} -> {dep} ({src} may not import {dst})")
            elif src is None and mod not in ("__init__", "__main__"):
                out.append(f"{mod} -> {dep} (module outside the layers)")
    return out


def cycles(pkg: Path) -> list[list[str]]:
    graph = imports(pkg)
    seen, stack, found = set(), [], []

    def visit(m):
        if m in stack:
            found.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if d in graph and not d.endswith("__init__"):
                visit(d)
        stack.pop()

    for m in graph:
        visit(m)
    return found
