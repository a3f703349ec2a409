"""Digest pins of the laser order and the estimates on four full sheets.

The pins in ``tests/golden/laser_order.json`` were recorded once (2026-12-04, commit after
c2a1967) from code that ``tests/laser_reference.py`` -- a frozen copy of the pre-issue-17 laser
code, since removed -- had just confirmed path for path, so they hold the decisions that old
code made. Four sheets of the jig's 66 plaques with build numbers spread over 1..6309; for
each: every plaque's layers and estimate, the sheet's laser run (path by path, the visiting
order, travel and inner travel) and the sheet's estimate, each hashed from its ``repr`` (which
tells 0.0 from -0.0 and prints floats exactly).

Re-record on purpose only: ``PLAQUEGEN_UPDATE_GOLDEN=1 pytest tests/laser`` and say why.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

PINS = Path(__file__).resolve().parent.parent / "golden" / "laser_order.json"
TOTAL = 6309
SHEETS = 4


def sheet_numbers(sheet: int, per: int) -> list[int]:
    """Build numbers of one test sheet: 1- to 4-digit numbers spread over 1..TOTAL."""
    return [1 + ((sheet * per + i) * 97 + sheet * 13) % TOTAL for i in range(per)]


def run_key(run) -> list:
    """A sheet's laser run as plain data: per layer, per slot, the paths in order."""
    return [(name, [(slot.index, [(p.segs, p.fill_rule) for p in paths]) for slot, paths in r])
            for name, r in run.layers]


def _sha(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def sheet_digests(sheet_no: int) -> dict[str, str]:
    """The three digests of one pinned sheet, computed by the current code."""
    from plaquegen.art.compose import Composer
    from plaquegen.bed.layout import Sheet, laser_run, place_in_pockets
    from plaquegen.inputs.template import load_template
    from plaquegen.laser.estimate import plaque_estimate, sheet_estimate
    from plaquegen.pipeline.emit import estimate_params

    template = load_template()
    composer, params, bed = Composer.prepare(template), estimate_params(template), template.bed
    nums = sheet_numbers(sheet_no, bed.slots)
    plaques = [composer.compose(f"WBSUR915X0VS{n:05d}", n, TOTAL) for n in nums]
    sheet = Sheet(sheet_no + 1, bed.width, bed.height, place_in_pockets(plaques, bed), "s.svg")
    run = laser_run(sheet)
    return {"plaques": _sha([(p.layers, plaque_estimate(p, params)) for p in plaques]),
            "run": _sha((run_key(run), run.travel, run.inner_travel)),
            "estimate": _sha(sheet_estimate(run, params))}


def all_digests() -> dict[str, dict[str, str]]:
    return {str(k): sheet_digests(k) for k in range(SHEETS)}


def pinned() -> dict[str, dict[str, str]]:
    return json.loads(PINS.read_text("utf-8"))


def record() -> None:
    PINS.write_text(json.dumps(all_digests(), indent=1, sort_keys=True) + "\n", "utf-8")
