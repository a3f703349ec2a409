"""Laser travel on sheets, ours vs vpype: python bench/bench_travel.py [-n N ...]

For the example orders and for batches of the first N customer cars of the demo register
(default 66, one full 6 x 11 jig), writes the sheets and measures, per sheet, the beam-off
travel between paths with vpype 1.15 on the file as written (`vpype read -q 0.01mm F stat`)
and after vpype's own optimiser (`... linesort --two-opt stat`), guide layer removed first.
vpype reports px (x 25.4/96 = mm) and leaves out the move from the origin and the moves
between layers; both columns are measured the same way, so the ratio is fair. Also prints our
own figure for the whole run (origin and layer changes included) from sheets.laser_run.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_batch import write_orders  # noqa: E402
from plaquegen.pipeline.batch import BatchOptions, run_batch  # noqa: E402

PX = 25.4 / 96
SVG_NS = "http://www.w3.org/2000/svg"


def laser_only(src: Path, dst: Path) -> Path:
    """A copy of a sheet without its guide layer (what the laser runs)."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("inkscape", "http://www.inkscape.org/namespaces/inkscape")
    ET.register_namespace("sodipodi", "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd")
    tree = ET.parse(src)
    root = tree.getroot()
    for g in list(root):
        if g.get("id") == "layer-guide":
            root.remove(g)
    tree.write(dst, xml_declaration=True, encoding="utf-8")
    return dst


def vpype_penup_mm(svg: Path, *commands: str) -> float:
    out = subprocess.run(["vpype", "read", "-q", "0.01mm", str(svg), *commands, "stat"],
                         capture_output=True, text=True, check=True).stdout
    totals = out[out.index("Totals"):]
    return float(re.search(r"Pen-up length: ([0-9.e+-]+)", totals).group(1)) * PX


def measure(orders: Path, out: Path, label: str) -> list[tuple]:
    res = run_batch(BatchOptions(orders=orders, out=out, workers=2, proofs=False))
    rows = []
    for sheet in sorted((res.folder / "sheets").glob("sheet-*.svg")):
        f = laser_only(sheet, out / f"{label}-{sheet.name}")
        t0 = time.perf_counter()
        ours = vpype_penup_mm(f)
        vp1 = vpype_penup_mm(f, "linesort")
        vp2 = vpype_penup_mm(f, "linesort", "--two-opt")
        rows.append((label, sheet.name, ours, vp1, vp2, time.perf_counter() - t0))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, nargs="*", default=[66], help="batch sizes (default: 66)")
    args = ap.parse_args()
    if not shutil.which("vpype"):
        sys.exit("vpype is not installed (pip install '.[test]').")
    rows = []
    with tempfile.TemporaryDirectory(prefix="plaquegen-travel-") as tmp:
        tmp = Path(tmp)
        rows += measure(ROOT / "orders" / "example.csv", tmp / "ex", "example")
        for n in args.n:
            orders = tmp / f"first-{n}.csv"
            write_orders(orders, n)
            rows += measure(orders, tmp / f"n{n}", f"first {n}")
    print(f"{'batch':<10} {'sheet':<14} {'ours mm':>9} {'linesort':>9} {'two-opt':>9} {'ours/two-opt':>12}")
    for label, name, ours, vp1, vp2, _ in rows:
        print(f"{label:<10} {name:<14} {ours:9.0f} {vp1:9.0f} {vp2:9.0f} {ours / vp2:12.4f}")


if __name__ == "__main__":
    main()
