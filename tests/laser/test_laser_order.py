"""The laser order and the estimates decide exactly what they decided when they were pinned.

Four full sheets of 66 plaques with build numbers spread over 1..6309 (tests/helpers/laser_pins.py):
every plaque's layers and estimate, every sheet's laser run (path by path, the visiting order,
travel) and its estimate hash to the digests in tests/golden/laser_order.json, recorded from
the code the frozen pre-speed-up copy had confirmed. Caches must not change an answer: a layer
from the cache is the layer solved afresh, and fresh processes that run the same sheets in
different orders, after other work and after the caches are emptied, print the same digests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from helpers.laser_pins import TOTAL, pinned, record, run_key as _run_key, sheet_numbers as _numbers
from plaquegen.laser import estimate
from plaquegen.bed import layout as sheets
from plaquegen.laser import order, solve, sweep, units
from plaquegen.art.compose import Composer
from plaquegen.pipeline.emit import estimate_params
from plaquegen.inputs.template import load_template


@pytest.fixture(scope="module")
def setup():
    template = load_template()
    return template, Composer.prepare(template), estimate_params(template)


_PINS = r"""
import json, sys
sys.path[:0] = ["tests"]
from helpers.laser_pins import all_digests
print(json.dumps(all_digests(), sort_keys=True))
"""


def test_four_full_sheets_match_their_pins():
    """In a fresh process (no cache warmed by another test): the pinned decisions, bit for bit."""
    if os.environ.get("PLAQUEGEN_UPDATE_GOLDEN"):
        record()
    r = subprocess.run([sys.executable, "-c", _PINS], cwd=ROOT, capture_output=True, text=True, check=True)
    got, want = json.loads(r.stdout), pinned()
    assert sorted(got) == sorted(want) == ["0", "1", "2", "3"]
    for k in want:
        assert got[k] == want[k], f"sheet {k}: the laser order or an estimate changed"


def test_a_layer_from_the_cache_is_the_layer_solved_afresh(setup):
    """The score and cut layers of a second full sheet come from the layer cache: the same
    answer as with every cache emptied."""
    template, composer, _ = setup
    bed = template.bed
    plaques = [composer.compose("WBSUR915X0VS00001", n, TOTAL) for n in _numbers(7, bed.slots)]
    sheet = sheets.Sheet(1, bed.width, bed.height, sheets.place_in_pockets(plaques, bed), "s.svg")
    warm = sheets._laser_run(sheet, (0.0, 0.0))
    assert len(sheets._LAYERS) >= 2
    _clear_caches()
    cold = sheets._laser_run(sheet, (0.0, 0.0))
    assert _run_key(warm) == _run_key(cold) and warm.travel == cold.travel


def _clear_caches() -> None:
    for d in (units._UNITS, units._UNITS_BY_SHAPE, units._BUILT, units._BACKS, solve._BLOCKS,
              solve._PICKS, sweep._VARIANTS, order._REV, sweep._SEQS, sweep._PAIRS,
              sheets._LAYERS, sheets._FIGURES, estimate._BY_ID, estimate._BY_SHAPE):
        d.clear()
    sheets._RUNS.clear()


_DIGESTS = r"""
import hashlib, json, sys
sys.path[:0] = ["tests", "tests/laser"]
from test_laser_order import _clear_caches, _numbers, _run_key, TOTAL
from plaquegen.bed import layout as sheets
from plaquegen.art.compose import Composer
from plaquegen.pipeline.emit import estimate_params
from plaquegen.laser.estimate import plaque_estimate, sheet_estimate
from plaquegen.inputs.template import load_template
template = load_template(); composer = Composer.prepare(template); params = estimate_params(template)
bed = template.bed
order = json.loads(sys.argv[1])
out = {}
for k in order:
    if k == "clear":
        _clear_caches()
        continue
    plaques = [composer.compose("WBSUR915X0VS%05d" % n, n, TOTAL) for n in _numbers(k, 30)]
    sheet = sheets.Sheet(1, bed.width, bed.height, sheets.place_in_pockets(plaques, bed), "s.svg")
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
    from plaquegen.geometry.paths import Path

    _, _, params = setup
    pos = Path((("M", 0.0, 1.0), ("L", 5.0, 1.0), ("L", 5.0, 3.0), ("Z",)))
    neg = Path((("M", -0.0, 1.0), ("L", 5.0, 1.0), ("L", 5.0, 3.0), ("Z",)))
    assert order.order_layer([pos])[0] is pos
    (got,) = order.order_layer([neg])
    assert repr(got.segs) == repr(neg.segs) and "-0.0" in repr(got.segs)
    assert estimate.fill_figures([pos], params.interval) == estimate.fill_figures([neg], params.interval)
    assert units.segs_key(pos.segs) != units.segs_key(neg.segs)
    assert estimate._BY_SHAPE.keys() >= {(params.interval, 0.0, "nonzero", units.segs_key(p.segs))
                                         for p in (pos, neg)}
