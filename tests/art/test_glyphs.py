"""Text to paths: outline and Hershey fonts, kerning, copy-fitting, rendered counters."""
from __future__ import annotations

import io
import pathlib
import pickle

import pytest

from conftest import python_output
from plaquegen.geometry.paths import Bounds, bounds_of
from plaquegen.art.glyphs import (ROUND_DIGITS, FontError, TextFont, TextRun, fit_text,
                              load_font)

ROOT = pathlib.Path(__file__).resolve().parents[2]
FONTS = ROOT / "assets" / "fonts"
BOLD = str(FONTS / "DejaVuSansCondensed-Bold.ttf")
SANS = str(FONTS / "DejaVuSans.ttf")
NUMBER = "0462 / 6309"


@pytest.fixture(scope="module")
def bold() -> TextFont:
    return load_font(BOLD)


@pytest.fixture(scope="module")
def sans() -> TextFont:
    return load_font(SANS)


@pytest.fixture(scope="module")
def hershey() -> TextFont:
    return load_font("hershey:futural")


def _ops(paths):
    return {s[0] for p in paths for s in p.segs}


def _no_zero_length(path) -> bool:
    cur = None
    for s in path.segs:
        if s[0] == "M":
            cur = (s[1], s[2])
        elif s[0] in "LC":
            pts = [(s[i], s[i + 1]) for i in range(1, len(s), 2)]
            if all(p == cur for p in pts):
                return False
            cur = pts[-1]
    return True


def _plain_advance_units(font_path: str, text: str) -> tuple[float, float]:
    """Sum of hmtx advances (no kerning) and the cap height, straight from fontTools."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    tt = TTFont(font_path)
    cmap = tt.getBestCmap()
    total = sum(tt["hmtx"][cmap[ord(c)]][0] for c in text)
    gs = tt.getGlyphSet()
    bp = BoundsPen(gs)
    gs[cmap[ord("H")]].draw(bp)
    return total, bp.bounds[3]


# --- outline fonts ---------------------------------------------------------

def test_number_run_geometry(bold):
    run = bold.run(NUMBER, 5.0)
    assert isinstance(run, TextRun) and run.strokes is False and run.cap_height == 5.0
    # one path per visible glyph: 8 digits + slash, spaces skipped
    assert len(run.paths) == 9
    assert _ops(run.paths) <= {"M", "L", "C", "Z"}
    assert all(p.closed for p in run.paths)
    assert all(p.fill_rule == "nonzero" for p in run.paths)
    assert all(_no_zero_length(p) for p in run.paths)
    digits = [p for p in run.paths]
    digits.pop(4)  # the slash
    ink = bounds_of(digits)
    # DejaVu's digits are cap height, round ones overshoot by ~2 % top and bottom
    assert 5.0 <= ink.height <= 5.0 * 1.06
    assert ink.ymin < 0 < ink.ymax < 0.15  # caps at negative y (y down), overshoot below baseline
    # the flat-bottomed "4" (second glyph) sits exactly on the baseline, its top is the cap line
    four = run.paths[1].bounds
    assert four.ymax == pytest.approx(0.0, abs=1e-4)
    assert four.ymin == pytest.approx(-5.0, abs=1e-3)
    # text starts at x=0
    assert 0.0 <= ink.xmin < 0.5


def test_one_sits_on_baseline_at_cap_height(bold):
    (one,) = bold.run("1", 5.0).paths
    assert one.bounds.ymax == pytest.approx(0.0, abs=1e-4)
    assert one.bounds.ymin == pytest.approx(-5.0, abs=1e-3)


def test_width_is_sum_of_advances(bold):
    total, cap_units = _plain_advance_units(BOLD, NUMBER)
    run = bold.run(NUMBER, 5.0)
    # digits, space and slash do not kern in DejaVu: width is exactly the advances, scaled
    assert run.width > 0
    assert run.width == pytest.approx(total * 5.0 / cap_units, abs=1e-3)


def test_tracking_adds_space_between_glyphs(bold):
    plain = bold.run("0462", 5.0)
    tracked = bold.run("0462", 5.0, tracking=0.5)
    assert tracked.width == pytest.approx(plain.width + 3 * 0.5, abs=1e-3)
    assert tracked.paths[3].bounds.xmin == pytest.approx(plain.paths[3].bounds.xmin + 1.5, abs=1e-3)


def test_kerning_tightens_av(sans):
    for pair in ("AV", "To"):
        total, cap_units = _plain_advance_units(SANS, pair)
        plain = total * 5.0 / cap_units
        kerned = sans.run(pair, 5.0).width
        assert kerned < plain - 0.05, pair


def test_kerning_without_harfbuzz_uses_kern_table():
    from plaquegen.art.glyphs import OutlineFont

    font = OutlineFont(pathlib.Path(SANS), SANS, use_harfbuzz=False)
    assert font.shaping == "kern-table"
    total, cap_units = _plain_advance_units(SANS, "AV")
    assert font.run("AV", 5.0).width < total * 5.0 / cap_units - 0.05


def test_coordinates_are_rounded(bold):
    run = bold.run(NUMBER, 3.7)
    for p in run.paths:
        for s in p.segs:
            for v in s[1:]:
                assert isinstance(v, float)
                assert round(v, ROUND_DIGITS) == v


def test_tiny_text_has_no_zero_length_segments(bold):
    run = bold.run(NUMBER, 0.02)
    assert all(_no_zero_length(p) and p.closed for p in run.paths)


def test_composite_glyph_is_decomposed(sans):
    # "Ä" is a composite (A + dieresis) in DejaVu: the pen must get plain outlines
    (a_uml,) = sans.run("Ä", 5.0).paths
    (a,) = sans.run("A", 5.0).paths
    assert a_uml.closed and len([s for s in a_uml.segs if s[0] == "M"]) > len([s for s in a.segs if s[0] == "M"])
    assert a_uml.bounds.ymin < a.bounds.ymin  # dots above the cap line


def test_missing_glyph_raises(bold):
    with pytest.raises(FontError, match="no glyph for '\u4e2d'"):
        bold.run("0462 \u4e2d", 5.0)


def test_missing_font_raises(tmp_path):
    with pytest.raises(FontError, match="not found"):
        load_font("no-such-font.ttf", tmp_path)
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"this is not a font")
    with pytest.raises(FontError, match="not a readable"):
        load_font(str(bad))
    with pytest.raises(FontError, match="unknown Hershey font"):
        load_font("hershey:nosuchfont")


def test_fonts_are_cached_and_relative_to_base_dir():
    a = load_font("fonts/DejaVuSans.ttf", ROOT / "assets")
    b = load_font(SANS)
    assert a is b
    assert load_font("hershey:futural") is load_font("hershey:FuturaL")
    # workers get the font by pickling: it reloads through the cache
    assert pickle.loads(pickle.dumps(a)) is a


def test_bad_cap_height(bold):
    with pytest.raises(ValueError):
        bold.run("1", 0)


# --- fit_text --------------------------------------------------------------

def test_fit_shrinks_long_text_into_box(bold):
    box = Bounds(10.0, 20.0, 40.0, 28.0)
    text = "0462 / 6309 0462 / 6309"
    assert bold.run(text, 5.0).width > box.width
    paths, cap = fit_text(bold, text, box, 5.0)
    assert cap < 5.0
    ink = bounds_of(paths)
    assert box.contains(ink, tol=1e-6)
    assert ink.width > 0.97 * box.width  # shrunk just enough, not more


def test_fit_keeps_short_text_size_and_baseline(bold):
    box = Bounds(10.0, 20.0, 70.0, 30.0)
    paths, cap = fit_text(bold, NUMBER, box, 5.0)
    assert cap == 5.0
    ink = bounds_of(paths)
    assert box.contains(ink)
    # the cap band (not the ink) is centred: baseline at 25 + 2.5
    (one,) = fit_text(bold, "1", box, 5.0)[0]
    assert one.bounds.ymax == pytest.approx(27.5, abs=1e-4)
    assert one.bounds.ymin == pytest.approx(22.5, abs=1e-3)
    # every number sits on the same baseline whatever its digits
    for text in ("0001 / 6309", "6309 / 6309", "1111 / 6309"):
        ps, _ = fit_text(bold, text, box, 5.0)
        slash = ps[4].bounds  # the slash's baseline-relative extent does not depend on the digits
        assert slash.ymax == pytest.approx(27.5 + 190 / 1493 * 5.0, abs=1e-3)


def test_fit_align_positions(bold):
    box = Bounds(0.0, 0.0, 100.0, 10.0)
    width = bold.run(NUMBER, 5.0).width
    left = bounds_of(fit_text(bold, NUMBER, box, 5.0, align="left")[0])
    center = bounds_of(fit_text(bold, NUMBER, box, 5.0, align="center")[0])
    right = bounds_of(fit_text(bold, NUMBER, box, 5.0, align="right")[0])
    lsb = bounds_of(bold.run(NUMBER, 5.0).paths).xmin  # the "0"'s left side bearing
    assert left.xmin == pytest.approx(lsb, abs=1e-3)
    assert center.xmin == pytest.approx((100.0 - width) / 2 + lsb, abs=1e-3)
    assert right.xmin == pytest.approx(100.0 - width + lsb, abs=1e-3)
    assert left.xmin < center.xmin < right.xmin
    top = bounds_of(fit_text(bold, "1", box, 5.0, valign="top")[0])
    bottom = bounds_of(fit_text(bold, "1", box, 5.0, valign="bottom")[0])
    assert top.ymin == pytest.approx(0.0, abs=1e-3) and bottom.ymax == pytest.approx(10.0, abs=1e-4)
    with pytest.raises(ValueError):
        fit_text(bold, NUMBER, box, 5.0, align="justify")


def test_fit_shrinks_to_box_height(bold):
    box = Bounds(0.0, 0.0, 100.0, 3.0)
    _, cap = fit_text(bold, "1", box, 5.0)
    assert cap == pytest.approx(3.0, rel=1e-6)


# --- Hershey ---------------------------------------------------------------

def test_hershey_strokes(hershey):
    run = hershey.run(NUMBER, 5.0)
    assert run.strokes is True and hershey.strokes is True
    assert len(run.paths) == 9
    assert _ops(run.paths) <= {"M", "L"}  # open polylines, no Z, no curves
    assert all(_no_zero_length(p) for p in run.paths)
    (h,) = hershey.run("H", 5.0).paths
    assert h.bounds.height == pytest.approx(5.0, abs=1e-3)
    assert h.bounds.ymax == pytest.approx(0.0, abs=1e-4)  # y down: the H stands on the baseline
    assert h.bounds.ymin == pytest.approx(-5.0, abs=1e-3)
    assert run.width > 0 and bounds_of(run.paths).xmax <= run.width + 1e-6


def test_hershey_is_upright(hershey):
    # "T": its bar is at the top (most negative y), its stem runs down to the baseline
    (t,) = hershey.run("T", 5.0).paths
    bar = [s for s in t.segs if s[0] == "L" and abs(s[2] - (-5.0)) < 1e-3]
    assert bar, t.segs


def test_hershey_rejects_non_ascii(hershey):
    with pytest.raises(FontError, match="no glyph for 'ü'"):
        hershey.run("Müller", 5.0)


def test_hershey_fit(hershey):
    box = Bounds(0.0, 0.0, 20.0, 8.0)
    paths, cap = fit_text(hershey, NUMBER, box, 5.0)
    assert cap < 5.0 and box.contains(bounds_of(paths), tol=1e-6)


# --- rendering: counters survive with nonzero winding ----------------------

def _render_holes(run: TextRun) -> int:
    """Render the run filled (nonzero) with cairosvg; count white regions enclosed by ink."""
    import cairosvg
    from PIL import Image

    b = bounds_of(run.paths)
    pad = 1.0
    x0, y0, w, h = b.xmin - pad, b.ymin - pad, b.width + 2 * pad, b.height + 2 * pad
    ds = []
    for p in run.paths:
        parts = []
        for s in p.segs:
            parts.append(s[0] + " " + " ".join("%.4f" % v for v in s[1:]))
        ds.append('<path fill="#000" fill-rule="nonzero" d="%s"/>' % " ".join(parts))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="%.4fmm" height="%.4fmm" '
           'viewBox="%.4f %.4f %.4f %.4f">%s</svg>' % (w, h, x0, y0, w, h, "".join(ds)))
    png = cairosvg.svg2png(bytestring=svg.encode(), output_width=int(w * 20),
                           output_height=int(h * 20), background_color="white")
    img = Image.open(io.BytesIO(png)).convert("L")
    W, H = img.size
    px = img.load()
    white = [[px[x, y] > 128 for x in range(W)] for y in range(H)]
    seen = [[False] * W for _ in range(H)]
    regions = 0
    for sy in range(H):
        for sx in range(W):
            if not white[sy][sx] or seen[sy][sx]:
                continue
            regions += 1
            stack = [(sx, sy)]
            seen[sy][sx] = True
            while stack:
                x, y = stack.pop()
                for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if 0 <= nx < W and 0 <= ny < H and white[ny][nx] and not seen[ny][nx]:
                        seen[ny][nx] = True
                        stack.append((nx, ny))
    assert sum(not v for row in white for v in row) > 0.1 * W * H, "no ink rendered"
    return regions - 1  # minus the background around the glyph


@pytest.mark.parametrize("char, holes", [("8", 2), ("0", 1), ("4", 1), ("1", 0)])
def test_rendered_counters(bold, char, holes):
    assert _render_holes(bold.run(char, 5.0)) == holes


# --- determinism across processes --------------------------------------------

_GLYPH_DIGEST = """
import hashlib
from plaquegen.geometry.paths import Bounds
from plaquegen.art.glyphs import fit_text, load_font
h = hashlib.sha256()
for spec in ({bold!r}, {sans!r}, "hershey:futural"):
    f = load_font(spec)
    for text in ("0462 / 6309", "AVÄ 1/8", "tiny"):
        if f.strokes and "Ä" in text:
            continue
        for cap in (0.2, 3.2, 5.0):
            h.update(repr([p.segs for p in f.run(text, cap).paths]).encode())
            paths, used = fit_text(f, text, Bounds(56.5, 13.5, 77.0, 21.0), cap)
            h.update(repr(([p.segs for p in paths], used)).encode())
print(h.hexdigest())
"""


def test_glyph_paths_are_identical_across_processes():
    code = _GLYPH_DIGEST.format(bold=BOLD, sans=SANS)
    here = {}
    exec(compile(code.replace("print(h.hexdigest())", "here['d'] = h.hexdigest()"), "digest", "exec"),
         {"here": here})
    here_twice = {}
    exec(compile(code.replace("print(h.hexdigest())", "here['d'] = h.hexdigest()"), "digest", "exec"),
         {"here": here_twice})  # warm caches in this process
    a, b = python_output(code, 1).strip(), python_output(code, 2).strip()
    assert len(a) == 64 and a == b == here["d"] == here_twice["d"]
