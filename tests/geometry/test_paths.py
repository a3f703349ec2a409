"""The one pen and the one cleaner (geometry.PathPen, geometry.clean_segs)."""
from __future__ import annotations

import pytest
from fontTools.pens.recordingPen import RecordingPen
from hypothesis import given, settings
from hypothesis import strategies as st

from plaquegen.geometry.paths import PRECISION, Path, PathPen, clean_segs, rounded_rect, same_point

TINY = PRECISION / 4  # well inside one point
SMALL = PRECISION * 2  # a real (if short) segment


def test_same_point_is_half_the_precision_on_each_axis():
    assert same_point((0.0, 0.0), (PRECISION / 2, -PRECISION / 2))
    assert not same_point((0.0, 0.0), (PRECISION * 0.51, 0.0))
    assert not same_point((0.0, 0.0), (0.0, PRECISION))  # neighbours on the grid differ
    assert same_point((3, 4), (3, 4), precision=0) and not same_point((3, 4), (3, 4 + 1e-12), 0)


def test_cleaner_drops_zero_length_segments_at_the_precision():
    segs = (("M", 0.0, 0.0), ("L", TINY, 0.0), ("L", 10.0, 0.0), ("C", 10.0, TINY, 10.0, 0.0, 10.0, -TINY),
            ("L", 10.0, SMALL), ("L", 10.0, 10.0))
    assert clean_segs(segs) == (("M", 0.0, 0.0), ("L", 10.0, 0.0), ("L", 10.0, SMALL), ("L", 10.0, 10.0))


def test_cleaner_compares_with_the_last_point_kept_so_tiny_steps_cannot_drift():
    step = 0.3 * PRECISION
    steps = [("L", i * step, 0.0) for i in range(1, 9)]  # each alone is no segment
    out = clean_segs((("M", 0.0, 0.0), *steps))
    assert out == (("M", 0.0, 0.0), *steps[1::2])  # every second point is one (0.6 x PRECISION on)


def test_cleaner_drops_a_closing_line_that_duplicates_z():
    tri = (("M", 0.0, 0.0), ("L", 5.0, 0.0), ("L", 5.0, 5.0))
    assert clean_segs(tri + (("L", TINY, -TINY), ("Z",))) == tri + (("Z",),)
    # an open path keeps its line back to the start: nothing else draws it
    assert clean_segs(tri + (("L", 0.0, 0.0),)) == tri + (("L", 0.0, 0.0),)


def test_cleaner_drops_empty_subpaths_and_stray_z():
    segs = (("M", 1.0, 1.0), ("M", 2.0, 2.0), ("L", 2.0, 2.0), ("Z",), ("Z",),
            ("M", 0.0, 0.0), ("L", 1.0, 0.0), ("Z",), ("Z",), ("M", 9.0, 9.0))
    assert clean_segs(segs) == (("M", 0.0, 0.0), ("L", 1.0, 0.0), ("Z",))
    assert clean_segs((("M", 5.0, 5.0), ("Z",))) == ()


def test_cleaner_restarts_after_z_at_the_subpath_start():
    segs = (("M", 0.0, 0.0), ("L", 1.0, 0.0), ("L", 1.0, 1.0), ("Z",), ("L", 0.0, 3.0))
    assert clean_segs(segs)[-2:] == (("M", 0.0, 0.0), ("L", 0.0, 3.0))
    with pytest.raises(ValueError):
        clean_segs((("L", 1.0, 1.0),))


def test_cleaner_on_integer_quanta_keeps_the_tuples():
    segs = (("M", 0, 0), ("L", 0, 0), ("L", 7, 0), ("C", 7, 1, 8, 1, 8, 2), ("L", 0, 0), ("Z",))
    out = clean_segs(segs, precision=1)
    assert out == (("M", 0, 0), ("L", 7, 0), ("C", 7, 1, 8, 1, 8, 2), ("Z",))
    assert out[1] is segs[2]  # values untouched, not re-created


coord = st.sampled_from([0.0, TINY, -TINY, SMALL, 1.0, 2.5]) | st.floats(-5, 5)
seg = st.one_of(
    st.tuples(st.just("M"), coord, coord),
    st.tuples(st.just("L"), coord, coord),
    st.tuples(st.just("C"), coord, coord, coord, coord, coord, coord),
    st.just(("Z",)),
)


@settings(max_examples=300, deadline=None)
@given(st.tuples(st.just("M"), coord, coord), st.lists(seg, max_size=25))
def test_cleaner_output_is_clean_and_idempotent(first, rest):
    out = clean_segs((first, *rest))
    assert clean_segs(out) == out
    cur = start = None
    for i, s in enumerate(out):
        if s[0] == "M":
            start = cur = (s[1], s[2])
            assert i + 1 < len(out) and out[i + 1][0] in "LC", "empty sub-path kept"
        elif s[0] == "Z":
            prev = out[i - 1]
            assert not (prev[0] == "L" and same_point(prev[1:], start)), "closing L kept"
            cur = start
        else:
            pts = [s[j:j + 2] for j in range(1, len(s), 2)]
            assert not all(same_point(p, cur) for p in pts), f"zero-length {s}"
            cur = pts[-1]


def test_pen_raises_quadratics_to_cubics_exactly():
    pen = PathPen()
    pen.moveTo((0, 0))
    pen.qCurveTo((3, 6), (6, 0))
    pen.endPath()
    assert pen.path().segs == (("M", 0.0, 0.0), ("C", 2.0, 4.0, 4.0, 4.0, 6.0, 0.0))


def test_pen_handles_truetype_implied_points_and_super_beziers():
    pen = PathPen()
    pen.moveTo((0, 0))
    pen.qCurveTo((2, 2), (4, 2), (6, 0))  # two quads through the implied point (3, 2)
    pen.curveTo((6, -1), (5, -2), (4, -3), (2, -3))  # a super-Bézier: two cubics
    pen.closePath()
    p = pen.path()
    assert [s[0] for s in p.segs] == ["M", "C", "C", "C", "C", "Z"]
    assert p.segs[2][-2:] == (6.0, 0.0) and p.segs[1][-2:] == (3.0, 2.0)
    ring = PathPen()
    ring.qCurveTo((0, 0), (2, 0), (2, 2), (0, 2), None)  # a contour with no on-curve point
    ring.closePath()
    r = ring.path().segs
    assert r[0] == ("M", 0.0, 1.0) and [s[0] for s in r[1:]] == ["C"] * 4 + ["Z"]


def test_pen_close_closes_every_contour():
    pen = PathPen(close=True)
    pen.moveTo((0, 0))
    pen.lineTo((1, 0))
    pen.lineTo((1, 1))
    pen.moveTo((5, 5))  # interrupts the first contour
    pen.lineTo((6, 5))
    pen.lineTo((6, 6))
    pen.lineTo((5, 5))  # back to the start: Z draws that
    pen.endPath()
    assert pen.path().segs == (("M", 0.0, 0.0), ("L", 1.0, 0.0), ("L", 1.0, 1.0), ("Z",),
                               ("M", 5.0, 5.0), ("L", 6.0, 5.0), ("L", 6.0, 6.0), ("Z",))
    open_pen = PathPen()
    open_pen.moveTo((0, 0))
    open_pen.lineTo((1, 0))
    assert open_pen.path().segs == (("M", 0.0, 0.0), ("L", 1.0, 0.0))  # stays open


def test_path_draw_replays_into_the_pen_and_any_fonttools_pen():
    p = rounded_rect(0.0, 0.0, 80.0, 24.0, 2.0)
    pen = PathPen()
    p.draw(pen)
    assert pen.path() == p
    rec = RecordingPen()
    p.draw(rec)
    assert [op for op, _ in rec.value] == ["moveTo"] + ["lineTo", "curveTo"] * 4 + ["closePath"]


def test_rounded_rect_drops_sides_the_corners_use_up():
    stadium = rounded_rect(0.0, 0.0, 20.0, 10.0, 5.0)  # the short sides have no straight part
    assert [s[0] for s in stadium.segs] == ["M", "L", "C", "C", "L", "C", "C", "Z"]
    assert stadium.bounds.width == pytest.approx(20.0) and stadium.bounds.height == pytest.approx(10.0)
    assert Path(clean_segs(stadium.segs)) == stadium
