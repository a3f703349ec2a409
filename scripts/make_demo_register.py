#!/usr/bin/env python3
"""Write the SYNTHETIC demo production register (assets/register-demo.csv).

These are not BMW's production records: every VIN is invented (with a valid
check digit) so that plaquegen runs out of the box. The real register supplies
its own file with ``--register``.

The shape follows what is published about the BMW 1er M Coupé (E82): 6,342 cars
built in Leipzig from spring 2011 to mid 2012, 6,309 for customers and 33
internal units (pre-production, crash-test and test cars). Market split:
about 740 USA, 220 Canada (type UR9C, year code B), 301 Australia, 400 UK,
71 South Africa (right-hand drive, UR92, year code 0), the rest continental
Europe (UR91, year code 0).

Fixed seed: running it twice writes identical bytes.

    python scripts/make_demo_register.py [--out assets/register-demo.csv]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plaquegen.inputs.vin import check_digit  # noqa: E402

DEFAULT_OUT = ROOT / "assets" / "register-demo.csv"
SEED = 1

CUSTOMERS = 6309
INTERNAL = 33
INTERNAL_EARLY = 26          # pre-production cars among the first builds
EARLY_WINDOW = 160           # ... within the first this many cars

# market code -> (type code, year code, customer cars)
FIXED = {
    "US": ("UR9C", "B", 740),
    "CA": ("UR9C", "B", 220),
    "AU": ("UR92", "0", 301),
    "GB": ("UR92", "0", 400),
    "ZA": ("UR92", "0", 71),
}
# Continental Europe (and other left-hand-drive markets served by UR91): shares of the rest.
EUROPE_WEIGHTS = {
    "DE": 34, "IT": 10, "FR": 8, "CH": 8, "NL": 6, "BE": 5, "AT": 5, "ES": 5,
    "SE": 4, "PL": 2, "DK": 2, "PT": 2, "CZ": 2, "NO": 2, "LU": 1, "GR": 1, "FI": 1,
    "RU": 2,
}
RESTRAINT = "5"              # position 8: constant, as on the cars the register knows
PLANT = "V"                  # position 11: Leipzig
FIRST_DAY = dt.date(2011, 3, 1)
LAST_DAY = dt.date(2012, 6, 29)

HEADER = """\
# SYNTHETIC DEMO DATA - NOT BMW's production records.
# Every VIN below is invented (valid check digits, realistic structure) so that
# plaquegen runs out of the box; the real register supplies its own file
# (plaquegen ... --register their-register.csv).
# Shape: {total:,} cars in build order = {customers:,} customer + {internal} internal
# (pre-production / test cars, use=internal, no customer number).
# Regenerate (byte-identical, fixed seed {seed}): python scripts/make_demo_register.py
"""


def _europe_counts(n: int) -> dict[str, int]:
    """Split n cars over the European markets by weight (largest remainder, deterministic)."""
    total_w = sum(EUROPE_WEIGHTS.values())
    exact = {m: n * w / total_w for m, w in EUROPE_WEIGHTS.items()}
    counts = {m: int(x) for m, x in exact.items()}
    rest = n - sum(counts.values())
    for m in sorted(exact, key=lambda m: (-(exact[m] - counts[m]), m))[:rest]:
        counts[m] += 1
    return counts


def _market_spec() -> dict[str, tuple[str, str]]:
    spec = {m: (t, y) for m, (t, y, _) in FIXED.items()}
    spec.update({m: ("UR91", "0") for m in EUROPE_WEIGHTS})
    return spec


def _production_days(rng: random.Random) -> list[tuple[dt.date, float]]:
    """Working days with a relative daily volume: ramp-up, summer and Christmas breaks."""
    days = []
    d = FIRST_DAY
    while d <= LAST_DAY:
        holiday = (d.month == 8 and d.day <= 19) or (d.month == 12 and d.day >= 22) or \
                  (d.month == 1 and d.day <= 6)
        if d.weekday() < 5 and not holiday:
            weeks = (d - FIRST_DAY).days / 7
            ramp = min(1.0, 0.25 + weeks / 8)          # slow start, full rate after ~6 weeks
            fade = 0.6 if d >= dt.date(2012, 5, 1) else 1.0
            days.append((d, ramp * fade * rng.uniform(0.6, 1.4)))
        d += dt.timedelta(days=1)
    return days


def build_rows() -> list[tuple[str, str, str, str]]:
    rng = random.Random(SEED)
    spec = _market_spec()

    # Customer markets in build order: seeded shuffle, i.e. interleaved.
    europe = CUSTOMERS - sum(c for _, _, c in FIXED.values())
    counts = {m: c for m, (_, _, c) in FIXED.items()}
    counts.update(_europe_counts(europe))
    customer_markets = [m for m in sorted(counts) for _ in range(counts[m])]
    rng.shuffle(customer_markets)

    # Internal units: most among the first builds (pre-production), a few later test cars.
    total = CUSTOMERS + INTERNAL
    early = rng.sample(range(EARLY_WINDOW), INTERNAL_EARLY)
    late = rng.sample(range(EARLY_WINDOW, total), INTERNAL - INTERNAL_EARLY)
    internal_at = set(early) | set(late)
    internal_markets = ["DE", "DE", "DE", "US", "GB"]

    cars: list[tuple[str, str]] = []          # (use, market)
    it = iter(customer_markets)
    for i in range(total):
        if i in internal_at:
            cars.append(("internal", rng.choice(internal_markets)))
        else:
            cars.append(("customer", next(it)))

    # Serials: BMW hands out serial numbers in blocks shared with other models,
    # so the 1M's serials run consecutively for a while, then jump.
    serial = 91000 + rng.randrange(400)
    serials = []
    run = 0
    for _ in range(total):
        if run <= 0:
            serial += rng.randint(20, 400)
            run = rng.randint(10, 80)
        else:
            serial += 1
        run -= 1
        serials.append(serial)
    assert serials[-1] < 260000

    # Production dates: cars spread over working days by daily volume, non-decreasing.
    days = _production_days(rng)
    weight = sum(w for _, w in days)
    dates: list[dt.date] = []
    acc = 0.0
    for d, w in days:
        acc += w
        upto = round(total * acc / weight)
        dates.extend([d] * (upto - len(dates)))
    dates.extend([days[-1][0]] * (total - len(dates)))

    rows = []
    for (use, market), n, day in zip(cars, serials, dates):
        type_code, year = spec[market]
        letter = "ABCDEFGHJKLMNPRSTUVWXYZ"[n // 100000 + 15]   # 'S' for 0..99999, 'T' beyond, ...
        vin = f"WBS{type_code}{RESTRAINT}?{year}{PLANT}{letter}{n % 100000:05d}"
        vin = vin.replace("?", check_digit(vin.replace("?", "0")))
        rows.append((vin, use, market, day.isoformat()))
    return rows


def render() -> str:
    rows = build_rows()
    buf = io.StringIO(newline="")
    buf.write(HEADER.format(total=len(rows), customers=CUSTOMERS, internal=INTERNAL, seed=SEED))
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("vin", "use", "market", "produced"))
    w.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the synthetic demo production register.")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output CSV (default: {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    text = render()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    tmp.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
