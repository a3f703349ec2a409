"""Benchmark reading order spreadsheets: python bench/bench_orders.py [-n N] [--runs R]

Writes an .xlsx (openpyxl, write-only) with a title line and N order lines (int order ids,
a date column, demo-register VINs, names with accents), then times read_orders() on it in a
fresh process per run and reports wall time (median), lines per second and peak RSS of the
reading process. The same for a CSV of the same lines, for comparison.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plaquegen.inputs.register import load_register  # noqa: E402

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from plaquegen.inputs.orders import read_orders
t0 = time.perf_counter()
of = read_orders({path!r})
wall = time.perf_counter() - t0
print(json.dumps({{"wall": wall, "orders": len(of.orders), "rejects": len(of.rejects),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def write_files(folder: Path, n: int) -> tuple[Path, Path]:
    import openpyxl

    cars = load_register().customers()
    xlsx, csvp = folder / "orders.xlsx", folder / "orders.csv"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Bestellungen")
    ws.append(["Bestellungen (benchmark)"])
    ws.append(["Bestell-Nr", "FIN", "Besitzer", "E-Mail-Adresse", "Land", "Bestelldatum"])
    day = dt.date(2025, 9, 1)
    with open(csvp, "w", encoding="utf-8", newline="") as fh:
        fh.write("Bestell-Nr;FIN;Besitzer;E-Mail-Adresse;Land;Bestelldatum\r\n")
        for i in range(n):
            car = cars[i % len(cars)]
            row = [i + 1, car.vin, f"Jürgen Müller {i}", f"o{i}@example.org", "DE", day + dt.timedelta(i % 90)]
            ws.append(row)
            fh.write(";".join(str(x) for x in row) + "\r\n")
    wb.save(xlsx)
    return xlsx, csvp


def measure(path: Path, runs: int) -> dict:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT), path=str(path))],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout))
    walls = [r["wall"] for r in results]
    return {"wall": statistics.median(walls), "walls": walls, "orders": results[0]["orders"],
            "rejects": results[0]["rejects"], "rss_mb": max(r["rss_mb"] for r in results)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=50_000, help="order lines (default 50,000)")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaquegen-bench-orders-") as tmp:
        xlsx, csvp = write_files(Path(tmp), a.n)
        print(f"{a.n:,} order lines; xlsx {xlsx.stat().st_size / 1e6:.1f} MB, csv {csvp.stat().st_size / 1e6:.1f} MB")
        for label, p in (("xlsx", xlsx), ("csv", csvp)):
            m = measure(p, a.runs)
            # every line is an order (repeated VINs are refused later, by numbering, not here)
            assert m["orders"] == a.n and m["rejects"] == 0, m
            print(f"{label:>5}: read_orders {m['wall']:.2f} s median ({', '.join(f'{w:.2f}' for w in m['walls'])}), "
                  f"{a.n / m['wall']:,.0f} lines/s, peak RSS {m['rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
