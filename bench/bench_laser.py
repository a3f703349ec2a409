"""CPU cost of the laser order and the time estimates: python bench/bench_laser.py

Composes S full sheets of plaques (default 8 x the jig's slots) with build numbers spread
over 1..6309, as emit.make_sheet does, and times per plaque, in CPU seconds
(time.process_time, so a shared machine's load matters less), ``Composer.compose``,
``layout.laser_run``, ``estimate.plaque_estimate`` and ``estimate.sheet_estimate``. Then the
four pinned sheets of tests/golden/laser_order.json are made again: exit 1 if any decision
differs from its pin (the frozen pre-issue-17 copy these pins were recorded against is gone;
its figures are in bench/README.md). ``--profile`` prints a cProfile instead.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers.laser_pins import all_digests, pinned  # noqa: E402
from plaquegen.bed import layout as sheets  # noqa: E402
from plaquegen.art.compose import Composer  # noqa: E402
from plaquegen.pipeline.emit import estimate_params  # noqa: E402
from plaquegen.laser.estimate import plaque_estimate, sheet_estimate  # noqa: E402
from plaquegen.inputs.template import load_template  # noqa: E402

TOTAL = 6309


def numbers(count: int) -> list[int]:
    """``count`` build numbers spread over 1..6309 (1-, 2-, 3- and 4-digit ones)."""
    step = 97
    return [1 + (i * step) % TOTAL for i in range(count)]


def vin(n: int) -> str:
    return f"WBSUR915X0VS{n:05d}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-s", "--sheets", type=int, default=8)
    ap.add_argument("-w", "--warm", type=int, default=0,
                    help="sheets run (by both) before the timed ones, not timed: a worker's steady state")
    ap.add_argument("--consecutive", action="store_true",
                    help="build numbers 1, 2, 3, ... as in a real batch (default: spread over 1..6309)")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    template = load_template()
    composer = Composer.prepare(template)
    params = estimate_params(template)
    bed = template.bed
    count = (args.sheets + args.warm) * bed.slots
    nums = list(range(1, count + 1)) if args.consecutive else numbers(count)
    chunks = [nums[k:k + bed.slots] for k in range(0, len(nums), bed.slots)]
    warm = args.warm
    if args.profile:
        import cProfile
        import pstats

        pr = cProfile.Profile()
        pr.enable()
        for k, chunk in enumerate(chunks):
            plaques = [composer.compose(vin(n), n, TOTAL) for n in chunk]
            for p in plaques:
                plaque_estimate(p, params)
            sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.place_in_pockets(plaques, bed), "x.svg")
            sheet_estimate(sheets.laser_run(sheet), params)
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(40)
        return
    t = {key: 0.0 for key in ("compose", "laser_run", "plaque_estimate", "sheet_estimate")}
    clock = time.process_time
    for k, chunk in enumerate(chunks):
        c0 = clock()
        plaques = [composer.compose(vin(n), n, TOTAL) for n in chunk]
        c1 = clock()
        for p in plaques:
            plaque_estimate(p, params)
        c2 = clock()
        sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.place_in_pockets(plaques, bed), "x.svg")
        run = sheets.laser_run(sheet)
        c3 = clock()
        sheet_estimate(run, params)
        c4 = clock()
        if k >= warm:
            for key, dt in zip(t, (c1 - c0, c3 - c2, c2 - c1, c4 - c3)):
                t[key] += dt
    n = len(nums) - warm * bed.slots
    print(f"{len(chunks) - warm} sheets timed after {warm} warm-up sheets, {n} plaques; "
          "CPU ms per plaque (time.process_time)")
    for key in t:
        print(f"{key:<18}{t[key] / n * 1e3:9.3f}")
    print(f"{'total':<18}{sum(t.values()) / n * 1e3:9.3f}")
    got, want = all_digests(), pinned()
    bad = [k for k in want if got.get(k) != want[k]]
    print("laser order and estimates: as pinned" if not bad else f"pinned sheets that differ: {bad}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
