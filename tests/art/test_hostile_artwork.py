"""Untrusted artwork and templates, end to end through `plaquegen batch`: one sentence, exit 1, nothing written, no network."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from conftest import ROOT, assert_refused as _assert_refused, cli_batch as _cli_batch, template_variant
from plaquegen.inputs.template import load_template


# ---------------------------------------------------------------------------------------------
# 3. Untrusted artwork and templates, end to end through `plaquegen batch`.

class _NoNetwork:
    """Records (and refuses) every attempt to open a network connection."""

    def __init__(self, monkeypatch):
        self.attempts: list = []

        def refuse(*args, **kwargs):
            self.attempts.append(args)
            raise OSError("network disabled in this test")

        monkeypatch.setattr(socket.socket, "connect", lambda s, *a: refuse(*a))
        monkeypatch.setattr(socket.socket, "connect_ex", lambda s, *a: refuse(*a))
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
       'width="100mm" height="40mm" viewBox="0 0 100 40">')
RECT = '<rect x="10" y="10" width="50" height="20"/>'
_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi"))
           + ']>' + SVG + '<desc>&i;</desc>' + RECT + '</svg>')
HOSTILE_ART = {
    "xxe": ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + SVG + '<title>&x;</title>' + RECT + '</svg>', "DTD/entity declaration"),
    "billion-laughs": (_LAUGHS, "DTD/entity declaration"),
    "href-file": (SVG + '<use xlink:href="file:///etc/passwd#x"/>' + RECT + '</svg>', "external reference"),
    "href-http": (SVG + '<use href="http://127.0.0.1:9/x.svg#a"/>' + RECT + '</svg>', "external reference"),
    "css-import-http": (SVG + '<style>@import url(http://127.0.0.1:9/x.css);</style>' + RECT + '</svg>',
                        "external style sheet"),
    "fill-url-http": (SVG + '<rect width="5" height="5" fill="url(http://127.0.0.1:9/p#g)"/>' + RECT
                      + '</svg>', "external reference"),
    "xinclude": (SVG + '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"'
                 ' parse="text"/>' + RECT + '</svg>', "external reference"),
    "script": (SVG + '<script>alert(1)</script>' + RECT + '</svg>', "<script>"),
    "onload": (SVG.replace("<svg ", '<svg onload="alert(1)" ') + RECT + '</svg>', "onload"),
    "image-data": (SVG + '<image href="data:image/png;base64,iVBORw0KGgo=" width="9" height="9"/>'
                   + RECT + '</svg>', "raster <image>"),
    "image-http": (SVG + '<image href="http://127.0.0.1:9/a.png" width="9" height="9"/>' + RECT
                   + '</svg>', "raster <image>"),
    "foreign-object": (SVG + '<foreignObject width="9" height="9"><p xmlns="http://www.w3.org/1999/xhtml">'
                       'x</p></foreignObject>' + RECT + '</svg>', "foreignObject"),
    "huge-coordinates": (SVG + '<path d="M0 0 L1e300 0 L1e300 1e300 Z"/></svg>', "coordinates beyond"),
    "huge-rect": (SVG + '<rect width="1e300" height="1e300"/></svg>', "coordinates beyond"),
    "tiny-viewbox": (SVG.replace('viewBox="0 0 100 40"', 'viewBox="0 0 1e-300 1e-300"') + RECT + '</svg>',
                     "coordinates beyond"),
    "nan": (SVG + '<path d="M0 0 L10 NaN L5 5 Z"/></svg>', "cannot be read"),
    "empty-drawing": (SVG + '</svg>', "no visible shapes"),
    "single-point": (SVG + '<path d="M5 5 L5 5 Z"/></svg>', "no visible shapes"),
    "empty-file": ("", "not a valid SVG/XML file"),
    "not-xml": ("hello", "not a valid SVG/XML file"),
    "deep-nesting": (SVG + "<g>" * 5000 + RECT + "</g>" * 5000 + "</svg>", "more than 100 deep"),
    "use-bomb": (SVG + '<defs><g id="a">' + RECT * 10 + '</g>'
                 + "".join(f'<g id="{c}">' + f'<use href="#{p}"/>' * 10 + '</g>'
                           for p, c in zip("abcdefg", "bcdefgh")) + '</defs><use href="#h"/></svg>',
                 "more than 20,000 elements"),
}


@pytest.mark.parametrize("case", list(HOSTILE_ART))
def test_hostile_artwork_makes_batch_exit_1_with_one_sentence(tmp_path, monkeypatch, case):
    svg, words = HOSTILE_ART[case]
    net = _NoNetwork(monkeypatch)
    r = _cli_batch(tmp_path, template_variant(tmp_path, art=svg))
    _assert_refused(r, "art.svg", words)
    assert not net.attempts, f"network attempted: {net.attempts}"
    assert not (tmp_path / "out" / "example").exists()  # no batch folder for a refused template


def test_hostile_artwork_through_the_real_cli_process(tmp_path):
    """One case as the admin runs it: a separate process, exit 1, no traceback (its time: bench)."""
    tpl = template_variant(tmp_path, art=SVG + '<use href="http://127.0.0.1:9/x.svg#a"/>' + RECT + '</svg>')
    r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(ROOT / "orders" / "example.csv"),
                        "--out", str(tmp_path / "out"), "--template", str(tpl), "--workers", "1"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == ("Error: art.svg: contains an external reference "
                                "('http://127.0.0.1:9/x.svg#a'); artwork must be self-contained, "
                                "with no links to other files, web addresses or embedded data."), r.stderr


def test_refused_artwork_writes_nothing(tmp_path):
    r = _cli_batch(tmp_path, template_variant(tmp_path, art=SVG + '</svg>'))
    _assert_refused(r, "no visible shapes")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_artwork_with_too_many_segments_is_refused(tmp_path):
    from plaquegen.art.artwork import load_artwork
    from plaquegen.art.svgread import ArtworkError

    p = tmp_path / "zigzag.svg"
    p.write_text(SVG + '<path d="M0 0' + " l1 1 l1 -1" * 30_001 + 'z"/></svg>', "utf-8")
    with pytest.raises(ArtworkError, match="too complex"):
        load_artwork(p)


_NUM = 'format = "{number:04d} / {total}"'
HOSTILE_TEMPLATES = {
    "width-text": (lambda t: t.replace("width = 80.0", 'width = "80"'), "plate.width must be a number"),
    "width-nan": (lambda t: t.replace("width = 80.0", "width = nan"), "plate.width must be a positive"),
    "width-inf": (lambda t: t.replace("width = 80.0", "width = inf"), "plate.width must be a positive"),
    "width-negative": (lambda t: t.replace("width = 80.0", "width = -5"), "plate.width must be a positive"),
    "width-zero": (lambda t: t.replace("width = 80.0", "width = 0"), "plate.width must be a positive"),
    "width-1e12": (lambda t: t.replace("width = 80.0", "width = 1e12"), "absurd"),
    "width-huge-int": (lambda t: t.replace("width = 80.0", "width = " + "9" * 400), "absurd"),
    "box-huge-int": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, " + "9" * 400 + ", 18]"),
                     "silhouette.box must contain finite numbers"),
    "box-nan": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, nan, 18]"),
                "silhouette.box must contain finite numbers"),
    "box-bool": (lambda t: t.replace("box = [3.0, 3.0, 51.0, 18.0]", "box = [3, 3, true, 18]"),
                 "silhouette.box must be four numbers"),
    "radius-nan": (lambda t: t.replace("corner_radius = 2.0", "corner_radius = nan"), "corner_radius"),
    "missing-section": (lambda t: t.replace("[number]", "[numbr]"), "unknown section [numbr]"),
    "missing-key": (lambda t: t.replace("cap_height = 3.2\n", ""), "number.cap_height is missing"),
    "unknown-key": (lambda t: t.replace("[plate]\n", "[plate]\ncolour = 1\n"), "unknown key plate.colour"),
    "table-is-value": (lambda t: "strokes = 5\n" + t.replace("[strokes]\nhairline = 0.025", ""),
                       "[strokes] must be a table"),
    "columns-float": (lambda t: t.replace("columns = 6", "columns = 6.5"), "bed.columns must be a whole number"),
    "columns-huge": (lambda t: t.replace("columns = 6", "columns = " + "9" * 30), "from 1 to 1000"),
    "grid-1000x1000": (lambda t: t.replace("columns = 6", "columns = 1000").replace("rows = 11", "rows = 1000"),
                       "beyond the 600 x 400 mm bed"),
    "tracking-nan": (lambda t: t.replace("tracking = 0.0", "tracking = nan"), "number.tracking"),
    "tracking-inf": (lambda t: t.replace("tracking = 0.0", "tracking = inf"), "number.tracking"),
    "tracking-1e300": (lambda t: t.replace("tracking = 0.0", "tracking = 1e300"), "number.tracking"),
    "format-width-1e9": (lambda t: t.replace(_NUM, 'format = "{number:0999999999d}"'), "width at most 64"),
    "format-width-5000-digits": (lambda t: t.replace(_NUM, 'format = "{number:0' + "9" * 5000 + 'd}"'),
                                 "width at most 64"),
    "format-char": (lambda t: t.replace(_NUM, 'format = "{number:c}"'), "not a valid format"),
    "format-hex": (lambda t: t.replace(_NUM, 'format = "{number:x} / {total}"'), "not a valid format"),
    "format-conversion": (lambda t: t.replace(_NUM, 'format = "{number!r}"'), "{number!r}"),
    "format-attribute": (lambda t: t.replace(_NUM, 'format = "{number.__class__}"'), "may only use"),
    "format-rlo": (lambda t: t.replace(_NUM, 'format = "\\u202e{number}"'), "U+202E"),
    "format-nul": (lambda t: t.replace(_NUM, 'format = "{number}\\u0000"'), "U+0000"),
    "format-hard-total": (lambda t: t.replace(_NUM, 'format = "{number:04d} / 6309"'), "hard-codes the total"),
    "not-toml": (lambda t: t.replace("[plate]", "[plate"), "is not valid TOML"),
    "duplicate-key": (lambda t: t.replace("width = 80.0", "width = 80.0\nwidth = 81.0"), "is not valid TOML"),
    "font-missing": (lambda t: t.replace("DejaVuSansCondensed-Bold.ttf", "nope.ttf"), "not found"),
    "font-not-a-font": (lambda t: t.replace(f'font = "{ROOT / "assets"}/fonts/DejaVuSansCondensed-Bold.ttf"',
                                            f'font = "{ROOT / "assets" / "plaque.toml"}"'), "not a .ttf"),
    "artwork-device": (lambda t: t.replace(f'"{ROOT / "assets" / "silhouette.svg"}"', '"/dev/zero"'),
                       "not a regular file"),
    "artwork-missing": (lambda t: t.replace(f'"{ROOT / "assets" / "silhouette.svg"}"', '"nope.svg"'),
                        "not found"),
}


@pytest.mark.parametrize("case", list(HOSTILE_TEMPLATES))
def test_hostile_template_makes_batch_exit_1_with_one_sentence(tmp_path, case):
    edit, words = HOSTILE_TEMPLATES[case]
    tpl = template_variant(tmp_path, edit)
    r = _cli_batch(tmp_path, tpl)
    _assert_refused(r, words)


def test_every_template_case_really_edits_the_template(tmp_path):
    plain = template_variant(tmp_path).read_text("utf-8")
    for case, (edit, _) in HOSTILE_TEMPLATES.items():
        assert edit(plain) != plain, case


def test_huge_bed_grid_on_a_tiny_plate_is_bounded(tmp_path):
    """1000 x 1000 pockets fit a 2 m bed when the plate is 1.9 mm: allowed (its time: bench)."""
    a = ROOT / "assets"
    tpl = tmp_path / "plaque.toml"
    tpl.write_text(f"""
[plate]
width = 1.9
height = 1.9
[silhouette]
file = "{a / 'silhouette.svg'}"
box = [0.1, 0.1, 1.0, 0.5]
[number]
format = "{{number:04d}} / {{total}}"
font = "{a / 'fonts' / 'DejaVuSansCondensed-Bold.ttf'}"
cap_height = 0.3
box = [0.1, 0.8, 1.7, 1.0]
[bed]
width = 2000.0
height = 2000.0
columns = 1000
rows = 1000
pitch_x = 2.0
pitch_y = 2.0
origin_x = 0.0
origin_y = 0.0
""", "utf-8")
    assert load_template(tpl).bed.slots == 1_000_000
    r = _cli_batch(tmp_path, tpl, None, None, "--no-proofs")
    assert r.exit_code == 3, r.output  # the example has 4 refused lines
    assert len(list((tmp_path / "out" / "example" / "sheets").glob("sheet-??.svg"))) == 1


def test_format_character_missing_from_the_font_is_one_sentence(tmp_path):
    tpl = template_variant(tmp_path, lambda t: t.replace(_NUM, 'format = "\U0001F697 {number}"'))
    r = _cli_batch(tmp_path, tpl)
    _assert_refused(r, "no glyph")


def test_artwork_or_template_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    """`check` used to hang for good on a named pipe given as artwork."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "art.svg"
    os.mkfifo(fifo)
    tpl = template_variant(tmp_path, **{f'"{ROOT.as_posix()}/assets/silhouette.svg"': f'"{fifo.as_posix()}"'})
    r = subprocess.run([sys.executable, "-m", "plaquegen", "check", str(ROOT / "orders" / "example.csv"),
                        "--template", str(tpl), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr
    tfifo = tmp_path / "t.toml"
    os.mkfifo(tfifo)
    r = subprocess.run([sys.executable, "-m", "plaquegen", "check", str(ROOT / "orders" / "example.csv"),
                        "--template", str(tfifo), "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 1 and "not a regular file" in r.stderr, r.stderr
