"""Benchmark the job sheet: python bench/bench_jobsheet.py [-n N] [--runs R]

Runs a batch of the first N customer cars of the demo register without proofs (default
all of them) to get the real sheets (composed plaques as they come back from the worker
processes), then measures the CPU time (time.process_time) of rendering the job sheet:
render_jobsheet in one go, and the streamed JobSheetWriter split into the part that can
run while the workers make the plaques (overview + sheet maps) and the part left for the
end (plaque list, totals, save). Each measurement runs in a fresh process (cold caches).
"""
from __future__ import annotations

import argparse
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHILD = r"""
import dataclasses, pickle, sys, time
sys.path.insert(0, sys.argv[2])
from plaquegen.writers import pdf as pdfkit
from plaquegen.writers.jobsheet import JobSheetWriter, render_jobsheet
info = pickle.load(open(sys.argv[1], "rb"))
pdfkit.register_fonts()  # the batch registers the fonts before its workers fork
if sys.argv[3] == "whole":
    t = time.process_time(); pdf = render_jobsheet(info); print(time.process_time() - t, len(pdf))
else:
    head = dataclasses.replace(info, plaques=(), sheets=(), machine_s=0.0)
    t0 = time.process_time()
    w = JobSheetWriter(head, len(info.plaques), len(info.sheets))
    for s in info.sheets:
        w.add_sheet(s)
    t1 = time.process_time()
    w.finish(info.plaques, info.machine_s)
    print(t1 - t0, time.process_time() - t1)
"""


def capture(n: int | None, folder: Path) -> Path:
    import plaquegen.pipeline.batch as batch
    from bench_batch import write_orders
    from plaquegen.pipeline.batch import BatchOptions, run_batch
    from plaquegen.pipeline.emit import jobsheet_info

    got = {}
    real = batch.finish

    def grab(folder, head, made, *args, **kw):
        got["info"] = jobsheet_info(head, made)
        return real(folder, head, made, *args, **kw)

    batch.finish = grab
    try:
        orders = folder / "orders.csv"
        write_orders(orders, n if n else 10 ** 9)
        run_batch(BatchOptions(orders=orders, out=folder / "out", workers=2, proofs=False))
    finally:
        batch.finish = real
    path = folder / "info.pkl"
    path.write_bytes(pickle.dumps(got["info"], protocol=5))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=None, help="plaques (default: the whole register)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="plaquegen-bench-js-") as tmp:
        path = capture(args.n, Path(tmp))
        info = pickle.loads(path.read_bytes())
        runs = []
        for _ in range(args.runs):  # each in a fresh process: cold caches, as in a batch
            row = []
            for mode in ("whole", "streamed"):
                out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT), mode],
                                     capture_output=True, text=True, check=True).stdout.split()
                row += [float(v) for v in out]
            runs.append(row)
    med = [statistics.median(r[i] for r in runs) for i in range(4)]
    print(f"job sheet: {len(info.plaques):,} plaques, {len(info.sheets)} sheets, "
          f"{med[1] / 1e6:.2f} MB; median of {args.runs} cold runs, CPU s")
    print(f"  render_jobsheet          {med[0]:.3f}")
    print(f"  streamed: during batch   {med[2]:.3f}  (overview + sheet maps, as sheets arrive)")
    print(f"            at the end     {med[3]:.3f}  (plaque list, totals, save)")

if __name__ == "__main__":
    main()
