"""The cached, faster laser order and estimates (issue 17) decide exactly what the old code did.

tests/laser_reference.py is a frozen copy of the code before the speed-up. Four full sheets
of 66 plaques with build numbers spread over 1..6309 go through both: every plaque's layers,
every sheet's laser order (path by path, the visiting order, the travel) must be the same, and
the estimates the same value by value. The one deliberate difference is in the fill figures:
the old code measured a shape once and reused that figure for a translated twin (the same
digit at another place), so a figure's last bits depended on which twin came first; the new
code measures every path itself. Its figures are checked exactly against a fresh measurement
of each path, and against the old ones to 1e-12.

Results must not depend on what ran before: fresh processes that run the same sheets in
different orders, after other work, and after the caches are emptied, print the same digests.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

import laser_reference as ref
from plaquegen import estimate, sheets, travel
from plaquegen.compose import Composer
from plaquegen.emit import estimate_params
from plaquegen.estimate import plaque_estimate, sheet_estimate
from plaquegen.template import load_template

TOTAL = 6309
FILL_FIELDS = ("fill_area", "hatch_length", "fill_time")


def _numbers(sheet: int, per: int) -> list[int]:
    """Build numbers of one test sheet: 1- to 4-digit numbers spread over 1..TOTAL."""
    return [1 + ((sheet * per + i) * 97 + sheet * 13) % TOTAL for i in range(per)]


@pytest.fixture(scope="module")
def setup():
    template = load_template()
    return template, Composer.prepare(template), estimate_params(template)


def _run_key(run) -> list:
    return [(name, [(slot.index, [(p.segs, p.fill_rule) for p in paths]) for slot, paths in r])
            for name, r in run.layers]


_MEASURED: dict[tuple, tuple[float, int]] = {}


def _fresh_fill(paths, params) -> tuple[float, int]:
    """fill_figures as measured on each path itself (this test's own memo, per exact path)."""
    area, segs = 0.0, 0
    for p in paths:
        key = (p.segs, p.fill_rule)
        if key not in _MEASURED:
            _MEASURED[key] = estimate._measure((p,), params.interval, params.angle)
        a, s = _MEASURED[key]
        area += a
        segs += s
    return area, segs


def _same_but_fill(new, old) -> None:
    for f in new.__dataclass_fields__:
        x, y = getattr(new, f), getattr(old, f)
        if f in FILL_FIELDS:
            assert x == pytest.approx(y, rel=1e-12, abs=0.0), f
        else:
            assert x == y, f


def test_four_full_sheets_match_the_old_code(setup):
    template, composer, params = setup
    bed = template.bed
    assert bed.slots == 66
    exact_estimates = 0
    for k in range(4):
        nums = _numbers(k, bed.slots)
        new_plaques = [composer.compose(f"WBSUR915X0VS{n:05d}", n, TOTAL) for n in nums]
        old_plaques = [ref.old_compose(composer, f"WBSUR915X0VS{n:05d}", n, TOTAL) for n in nums]
        assert [p.layers for p in new_plaques] == [p.layers for p in old_plaques]
        for new_p, old_p in zip(new_plaques, old_plaques):
            got, want = plaque_estimate(new_p, params), ref.old_plaque_estimate(old_p, params)
            _same_but_fill(got, want)
            exact_estimates += got == want
            fill = _fresh_fill(new_p.layer("engrave").paths, params)
            assert (got.fill_area, got.scan_segments) == fill
        new_sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.fill(new_plaques, bed), "s.svg")
        old_sheet = sheets.Sheet(k + 1, bed.width, bed.height, sheets.fill(old_plaques, bed), "s.svg")
        new_run, old_run = sheets.laser_run(new_sheet), ref.old_laser_run(old_sheet)
        assert _run_key(new_run) == _run_key(old_run)
        assert (new_run.travel, new_run.inner_travel) == (old_run.travel, old_run.inner_travel)
        assert [name for name, _ in new_run.layers] == ["engrave", "score", "cut"]
        got, want = sheet_estimate(new_run, params), ref.old_sheet_estimate(old_run, params)
        _same_but_fill(got, want)
        area, segs = 0.0, 0
        for _, ps in dict(new_run.layers)["engrave"]:  # summed per plaque, as sheet_estimate does
            a, s = _fresh_fill(ps, params)
            area += a
            segs += s
        assert (got.fill_area, got.scan_segments) == (area, segs)
    assert exact_estimates > 0  # most plaques have no twin: bit for bit the old figure


def test_a_layer_from_the_cache_is_the_layer_solved_afresh(setup):
    """The score and cut layers of a second full sheet come from the layer cache: the same
    answer as with every cache emptied."""
    template, composer, _ = setup
    bed = template.bed
    plaques = [composer.compose("WBSUR915X0VS00001", n, TOTAL) for n in _numbers(7, bed.slots)]
    sheet = sheets.Sheet(1, bed.width, bed.height, sheets.fill(plaques, bed), "s.svg")
    warm = sheets._laser_run(sheet, (0.0, 0.0))
    assert len(sheets._LAYERS) >= 2
    _clear_caches()
    cold = sheets._laser_run(sheet, (0.0, 0.0))
    assert _run_key(warm) == _run_key(cold) and warm.travel == cold.travel


def _clear_caches() -> None:
    for d in (travel._UNITS, travel._UNITS_BY_SHAPE, travel._BUILT, travel._BACKS, travel._BLOCKS,
              travel._PICKS, travel._VARIANTS, travel._REV, travel._SEQS, travel._PAIRS,
              sheets._LAYERS, sheets._FIGURES, estimate._BY_ID, estimate._BY_SHAPE):
        d.clear()
    sheets._RUNS.clear()


_DIGESTS = r"""
import hashlib, json, sys
sys.path.insert(0, "tests")
from test_laser_speed import _clear_caches, _numbers, _run_key, TOTAL
from plaquegen import sheets
from plaquegen.compose import Composer
from plaquegen.emit import estimate_params
from plaquegen.estimate import plaque_estimate, sheet_estimate
from plaquegen.template import load_template
template = load_template(); composer = Composer.prepare(template); params = estimate_params(template)
bed = template.bed
order = json.loads(sys.argv[1])
out = {}
for k in order:
    if k == "clear":
        _clear_caches()
        continue
    plaques = [composer.compose("WBSUR915X0VS%05d" % n, n, TOTAL) for n in _numbers(k, 30)]
    sheet = sheets.Sheet(1, bed.width, bed.height, sheets.fill(plaques, bed), "s.svg")
    run = sheets.laser_run(sheet)
    data = repr((_run_key(run), run.travel, run.inner_travel, sheet_estimate(run, params),
                 [(p.layers, plaque_estimate(p, params)) for p in plaques]))
    out[str(k)] = hashlib.sha256(data.encode()).hexdigest()
print(json.dumps(out, sort_keys=True))
"""


def _digests(order: list) -> dict:
    r = subprocess.run([sys.executable, "-c", _DIGESTS, json.dumps(order)], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def test_results_do_not_depend_on_what_ran_before():
    fresh = {**_digests([10]), **_digests([11])}  # each in a new process
    warm = _digests([12, 11, 10])  # after other work, in another order
    cleared = _digests([10, 11, "clear", 11, 10])  # the last ones count: computed after a clear
    assert {k: warm[k] for k in fresh} == fresh
    assert {k: cleared[k] for k in fresh} == fresh
    assert len(set(fresh.values())) == 2


def test_paths_equal_but_for_a_zero_sign_keep_their_own_bytes(setup):
    """Units and fill figures are shared per path content; 0.0 == -0.0 in a tuple, but the
    writers would print them differently, so such a twin is not shared."""
    from plaquegen.geometry import Path

    _, _, params = setup
    pos = Path((("M", 0.0, 1.0), ("L", 5.0, 1.0), ("L", 5.0, 3.0), ("Z",)))
    neg = Path((("M", -0.0, 1.0), ("L", 5.0, 1.0), ("L", 5.0, 3.0), ("Z",)))
    assert travel.order_layer([pos])[0] is pos
    (got,) = travel.order_layer([neg])
    assert repr(got.segs) == repr(neg.segs) and "-0.0" in repr(got.segs)
    assert estimate.fill_figures([pos], params.interval) == estimate.fill_figures([neg], params.interval)
    assert travel.segs_key(pos.segs) != travel.segs_key(neg.segs)
    assert estimate._BY_SHAPE.keys() >= {(params.interval, 0.0, "nonzero", travel.segs_key(p.segs))
                                         for p in (pos, neg)}
