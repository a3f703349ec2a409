"""Benchmark the owner proof writer: python bench/bench_proof.py [-n N] [--runs R] [--baseline REV]

Composes N plaques of the demo register (owners "Owner Müller i", countries cycling through
A4/Letter and German/English) and times ``ProofWriter.render`` on them, in CPU time
(time.process_time: the machine may be shared), best and median of R runs. With --baseline
REV the proof writer of that git revision (plaquegen/proof/writer.py; plaquegen/proofwriter.py
before the sub-packages) is loaded next to this tree's, on this tree's other modules, and both
are timed in the same process, runs interleaved, and their proofs compared byte for byte.
--reference also times the reportlab reference writer on 50 proofs.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plaquegen.art.compose import Composer  # noqa: E402
from plaquegen.proof.page import render_proof_reportlab  # noqa: E402
from plaquegen.proof.writer import ProofWriter  # noqa: E402
from plaquegen.core.records import Numbered, Order  # noqa: E402
from plaquegen.inputs.register import load_register  # noqa: E402
from plaquegen.inputs.template import load_template  # noqa: E402

COUNTRIES = ("DE", "US", "GB", "FR", "AT", "CA", "AU", "CH")
SHA = "ab" * 32


WRITER = "plaquegen/proof/writer.py"      # since the sub-packages
OLD_WRITER = "plaquegen/proofwriter.py"   # before them
# What an old proofwriter.py imports relatively, by where it is now (the layout moved the flat
# modules into the sub-packages with git mv); loaded in plaquegen.proof, its imports go there.
MOVED = {".geometry": "..geometry.paths", ".pdfkit": "..writers.pdf", ".proofform": ".form",
         ".proofpage": ".page", ".proofstrings": ".strings", ".records": "..core.records"}


def _show(rev: str, path: str) -> str | None:
    r = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"], capture_output=True,
                       text=True)
    return r.stdout if r.returncode == 0 else None


def baseline_module(rev: str):
    """The proof writer of ``rev``, imported as plaquegen.proof._baseline_writer: it imports this
    tree's modules (page, form, the PDF toolkit), so it is the writer alone that is compared."""
    src = _show(rev, WRITER)
    if src is None:
        src = _show(rev, OLD_WRITER)
        if src is None:
            sys.exit(f"bench_proof: {rev} has neither {WRITER} nor {OLD_WRITER}")
        src = re.sub(r"^(\s*)from (\.\w+) import",
                     lambda m: f"{m[1]}from {MOVED.get(m[2], m[2])} import", src, flags=re.M)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(src)
    name = "plaquegen.proof._baseline_writer"
    spec = importlib.util.spec_from_file_location(name, fh.name)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "plaquegen.proof"
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except ImportError as e:
        sys.exit(f"bench_proof: the proof writer of {rev} does not load on this tree's modules "
                 f"({e}); compare with a later revision")
    return mod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", default="")
    ap.add_argument("--reference", action="store_true")
    a = ap.parse_args()
    reg = load_register()
    cars = reg.customers()[:a.n]
    composer = Composer.prepare(load_template())
    items = []
    for i, car in enumerate(cars):
        plaque = composer.compose(car.vin, car.number, reg.total)
        order = Order(line=i + 2, order_id=f"B-{i + 1:05d}", vin=car.vin, name=f"Owner Müller {i}",
                      country=COUNTRIES[i % len(COUNTRIES)], language="")
        items.append((plaque, Numbered(order, car.vin, plaque.number, plaque.total, "EU")))
    writers = {"this tree": ProofWriter()}
    if a.baseline:
        writers = {f"baseline {a.baseline}": baseline_module(a.baseline).ProofWriter(), **writers}
    for w in writers.values():  # templates and caches warm, as in a batch after _warm
        for plaque, n in items[:16]:
            w.render(plaque, n, "2025-09-a", SHA, "2025-09-14")
    times: dict[str, list[float]] = {k: [] for k in writers}
    for _ in range(a.runs):
        for k, w in writers.items():
            t0 = time.process_time()
            for plaque, n in items:
                w.render(plaque, n, "2025-09-a", SHA, "2025-09-14")
            times[k].append((time.process_time() - t0) / len(items) * 1000)
    for k, ts in times.items():
        print(f"{k:24s} {min(ts):.3f} ms/proof best, {statistics.median(ts):.3f} median "
              f"({a.runs} x {len(items)} proofs, CPU time)  {writers[k].stats}")
    if a.baseline:
        old, new = writers.values()
        same = sum(old.render(p, n, "2025-09-a", SHA, "2025-09-14")
                   == new.render(p, n, "2025-09-a", SHA, "2025-09-14") for p, n in items)
        print(f"identical bytes: {same} of {len(items)}")
    if a.reference:
        t0 = time.process_time()
        for plaque, n in items[:50]:
            render_proof_reportlab(plaque, n, "2025-09-a", SHA, "2025-09-14")
        print(f"{'reference (reportlab)':24s} {(time.process_time() - t0) / 50 * 1000:.3f} ms/proof")


if __name__ == "__main__":
    main()
