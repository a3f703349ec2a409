"""Benchmark the whole batch: python bench/bench_batch.py [-n N] [--workers W] [--runs R]

Generates orders for the first N customer cars of the demo register (default
all of them), runs the full batch (engrave SVGs, sheets, proofs, job sheet,
manifest, ledger) in a fresh temporary folder, and prints wall time, plaques
per second, peak RSS and the split by stage. With --compare-inkscape (and
Inkscape installed) it also times `inkscape --export-type=pdf` on 20 of the
produced SVGs, the per-row cost of an Inkscape CSV-merge extension.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plaquegen.pipeline.batch import BatchOptions, run_batch  # noqa: E402
from plaquegen.inputs.register import load_register  # noqa: E402


def write_orders(path: Path, n: int) -> int:
    reg = load_register()
    cars = reg.customers()[:n]
    countries = ("DE", "US", "GB", "FR", "AT", "CA", "AU", "CH")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("order_id,vin,name,email,country,language\r\n")
        for i, car in enumerate(cars):
            fh.write(f"B-{i + 1:05d},{car.vin},Owner Müller {i},o{i}@example.org,"
                     f"{countries[i % len(countries)]},\r\n")
    return len(cars)


def peak_rss_mb() -> float:
    """Peak resident set size of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def _cpu() -> float:
    """User + system CPU seconds of this process and its reaped children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def one_run(n: int, workers: int, proofs: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="plaquegen-bench-") as tmp:
        tmp = Path(tmp)
        orders = tmp / "bench.csv"
        count = write_orders(orders, n)
        c0 = _cpu()
        t0 = time.perf_counter()
        res = run_batch(BatchOptions(orders=orders, out=tmp / "out", workers=workers, proofs=proofs))
        wall = time.perf_counter() - t0
        cpu = _cpu() - c0
        assert res.plaques == count, (res.plaques, count)
        return {"wall": wall, "cpu": cpu, "plaques": res.plaques, "timings": res.timings,
                "svg_sample": _keep_sample(res.folder)}


_SAMPLES: list[Path] = []


def _keep_sample(folder: Path) -> list[Path]:
    dest = Path(tempfile.mkdtemp(prefix="plaquegen-bench-svg-"))
    files = sorted((folder / "engrave").glob("*.svg"))[:20]
    for f in files:
        shutil.copy(f, dest / f.name)
    return sorted(dest.glob("*.svg"))


def time_inkscape(svgs: list[Path]) -> float | None:
    exe = shutil.which("inkscape")
    if not exe or not svgs:
        return None
    out = Path(tempfile.mkdtemp(prefix="plaquegen-bench-ink-"))
    t0 = time.perf_counter()
    for s in svgs:
        subprocess.run([exe, str(s), "--export-type=pdf", f"--export-filename={out / (s.stem + '.pdf')}"],
                       check=True, capture_output=True)
    return (time.perf_counter() - t0) / len(svgs)


def bench_proof_writers(n: int = 300, runs: int = 3) -> dict[str, float]:
    """CPU ms per proof of the template writer and the reference reportlab writer, same plaques,
    interleaved runs in this process (median of ``runs``); also the job sheet's CPU time."""
    from plaquegen.art.compose import Composer
    from plaquegen.proof.page import render_proof_reportlab
    from plaquegen.proof.writer import ProofWriter
    from plaquegen.core.records import Numbered, Order
    from plaquegen.inputs.template import load_template

    composer = Composer.prepare(load_template())
    reg = load_register()
    cars = reg.customers()[:n]
    countries = ("DE", "US", "GB", "FR", "AT", "CA", "AU", "CH")
    jobs = []
    for i, car in enumerate(cars):
        order = Order(line=i + 2, order_id=f"B-{i + 1:05d}", vin=car.vin, name=f"Owner Müller {i}",
                      country=countries[i % len(countries)], language="")
        number = i + 1
        jobs.append((composer.compose(car.vin, number, reg.total),
                     Numbered(order, car.vin, number, reg.total, "EU")))
    writer = ProofWriter()
    fast, ref = [], []
    for _ in range(runs):
        for fn, out in ((writer.render, fast), (render_proof_reportlab, ref)):
            t0 = time.process_time()
            for plaque, num in jobs:
                fn(plaque, num, "bench", "0" * 64, "2026-01-01")
            out.append(1000 * (time.process_time() - t0) / len(jobs))
    return {"template": statistics.median(fast), "reference": statistics.median(ref),
            "fallbacks": writer.stats["reference"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=None, help="plaques (default: every customer car)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=3, help="runs; the median is reported")
    ap.add_argument("--no-proofs", action="store_true")
    ap.add_argument("--compare-inkscape", action="store_true")
    ap.add_argument("--proof-writers", action="store_true",
                    help="only compare the template and reference proof writers (CPU ms/proof)")
    args = ap.parse_args()
    if args.proof_writers:
        r = bench_proof_writers(min(args.n or 300, 6309), args.runs)
        print(f"proof writers, CPU per proof (median of {args.runs}): template {r['template']:.2f} ms, "
              f"reference {r['reference']:.2f} ms: {r['reference'] / r['template']:.1f}x; "
              f"fallbacks {r['fallbacks']}")
        return
    n = args.n or load_register().total
    runs = [one_run(n, args.workers, not args.no_proofs) for _ in range(args.runs)]
    walls = sorted(r["wall"] for r in runs)
    med = statistics.median(walls)
    mid = min(runs, key=lambda r: abs(r["wall"] - med))
    plaques = mid["plaques"]
    print(f"plaquegen batch benchmark: {plaques} plaques, {args.workers} workers, "
          f"proofs {'off' if args.no_proofs else 'on'}, {args.runs} run(s), {os.cpu_count()} cores")
    print(f"  wall time (median): {med:.2f} s   (runs: {', '.join(f'{w:.2f}' for w in walls)})")
    print(f"  plaques per second: {plaques / med:.0f}   ({1000 * med / plaques:.2f} ms per plaque)")
    print(f"  CPU time (that run): {mid['cpu']:.2f} s   ({1000 * mid['cpu'] / plaques:.2f} ms per plaque, "
          f"all processes; the wall time is this over the cores kept busy)")
    print(f"  peak RSS:           {peak_rss_mb():.0f} MB")
    print("  by stage (median run):")
    for stage, secs in mid["timings"].items():
        print(f"    {stage:<22} {secs:7.2f} s")
    if args.compare_inkscape:
        ink = time_inkscape(mid["svg_sample"])
        if ink is None:
            print("  inkscape: not installed, no comparison")
        else:
            ours = med / plaques
            print(f"  inkscape --export-type=pdf: {ink * 1000:.0f} ms per plaque; "
                  f"ours {ours * 1000:.2f} ms: {ink / ours:.0f}x faster")
    for r in runs:
        if r["svg_sample"]:
            shutil.rmtree(r["svg_sample"][0].parent, ignore_errors=True)


if __name__ == "__main__":
    main()
