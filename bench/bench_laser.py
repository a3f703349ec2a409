"""CPU cost of the laser order and the time estimates, old vs new: python bench/bench_laser.py

Composes S full sheets of plaques (default 8 x the jig's slots) with build numbers spread
over 1..6309, as emit.make_sheet does, and times per plaque, in CPU seconds
(time.process_time, so a shared machine's load matters less), the library's
``Composer.compose``, ``sheets.laser_run``, ``estimate.plaque_estimate`` and
``estimate.sheet_estimate`` beside the frozen pre-issue-17 copies in tests/laser_reference.py,
interleaved sheet by sheet (which one goes first alternates). Every result is compared: the
same paths in the same order on every layer of every sheet and the same estimate figures.
``--profile`` prints a cProfile of the new code instead.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import laser_reference as ref  # noqa: E402
from plaquegen import sheets  # noqa: E402
from plaquegen.compose import Composer  # noqa: E402
from plaquegen.emit import estimate_params  # noqa: E402
from plaquegen.estimate import plaque_estimate, sheet_estimate  # noqa: E402
from plaquegen.template import load_template  # noqa: E402

TOTAL = 6309


def numbers(count: int) -> list[int]:
    """``count`` build numbers spread over 1..6309 (1-, 2-, 3- and 4-digit ones)."""
    step = 97
    return [1 + (i * step) % TOTAL for i in range(count)]


def vin(n: int) -> str:
    return f"WBSUR915X0VS{n:05d}"


def same_run(a, b) -> bool:
    if len(a.layers) != len(b.layers) or a.travel != b.travel or a.inner_travel != b.inner_travel:
        return False
    for (na, ra), (nb, rb) in zip(a.layers, b.layers):
        if na != nb or len(ra) != len(rb):
            return False
        for (sa, pa), (sb, pb) in zip(ra, rb):
            if sa.index != sb.index or len(pa) != len(pb):
                return False
            if any(x.segs != y.segs or x.fill_rule != y.fill_rule for x, y in zip(pa, pb)):
                return False
    return True


FILL_FIELDS = ("fill_area", "hatch_length", "fill_time")


def estimate_match(a, b) -> str:
    """"exact", or "close" when only the fill figures differ, by at most 1e-12 relative (the
    old code reused a translated twin's area, measured a last bit differently: see
    tests/test_laser_speed.py), or "differ"."""
    if a == b:
        return "exact"
    for f in a.__dataclass_fields__:
        x, y = getattr(a, f), getattr(b, f)
        if x != y and (f not in FILL_FIELDS or abs(x - y) > 1e-12 * max(abs(x), abs(y))):
            return "differ"
    return "close"


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
            sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.fill(plaques, bed), "x.svg")
            sheet_estimate(sheets.laser_run(sheet), params)
        pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(40)
        return
    t = {key: 0.0 for key in ("compose", "laser_run", "plaque_estimate", "sheet_estimate")}
    o = dict(t)
    clock = time.process_time
    bad = 0
    matches: dict[str, int] = {}
    for k, chunk in enumerate(chunks):
        sides = [("new", t), ("old", o)] if k % 2 == 0 else [("old", o), ("new", t)]
        got = {}
        for side, acc in sides:
            c0 = clock()
            if side == "new":
                plaques = [composer.compose(vin(n), n, TOTAL) for n in chunk]
            else:
                plaques = [ref.old_compose(composer, vin(n), n, TOTAL) for n in chunk]
            c1 = clock()
            pe = [(plaque_estimate if side == "new" else ref.old_plaque_estimate)(p, params)
                  for p in plaques]
            c2 = clock()
            sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.fill(plaques, bed), "x.svg")
            run = (sheets.laser_run if side == "new" else ref.old_laser_run)(sheet)
            c3 = clock()
            se = (sheet_estimate if side == "new" else ref.old_sheet_estimate)(run, params)
            c4 = clock()
            if k < warm:
                acc = {}  # warming up: not counted
            acc["compose"] = acc.get("compose", 0.0) + c1 - c0
            acc["plaque_estimate"] = acc.get("plaque_estimate", 0.0) + c2 - c1
            acc["laser_run"] = acc.get("laser_run", 0.0) + c3 - c2
            acc["sheet_estimate"] = acc.get("sheet_estimate", 0.0) + c4 - c3
            got[side] = (plaques, pe, run, se)
        (pn, en, rn, sn), (po, eo, ro, so) = got["new"], got["old"]
        for m in [estimate_match(a, b) for a, b in zip(en, eo)] + [estimate_match(sn, so)]:
            matches[m] = matches.get(m, 0) + 1
        if not (all(a.layers == b.layers for a, b in zip(pn, po)) and same_run(rn, ro)
                and "differ" not in (estimate_match(sn, so), *map(estimate_match, en, eo))):
            bad += 1
            print(f"sheet {k + 1}: results differ", file=sys.stderr)
    n = len(nums) - warm * bed.slots
    print(f"{len(chunks) - warm} sheets timed after {warm} warm-up sheets, {n} plaques; "
          "CPU ms per plaque (time.process_time)")
    print(f"{'function':<18}{'old':>9}{'new':>9}{'ratio':>8}")
    for key in t:
        print(f"{key:<18}{o[key] / n * 1e3:9.3f}{t[key] / n * 1e3:9.3f}{o[key] / max(t[key], 1e-9):8.1f}x")
    so_, sn_ = sum(o.values()), sum(t.values())
    print(f"{'total':<18}{so_ / n * 1e3:9.3f}{sn_ / n * 1e3:9.3f}{so_ / max(sn_, 1e-9):8.1f}x")
    print("laser order: identical" if not bad else f"results: {bad} sheets differ")
    print("estimates (plaques and sheets):", ", ".join(f"{v} {k}" for k, v in sorted(matches.items())))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
