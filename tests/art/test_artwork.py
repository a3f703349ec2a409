"""artwork.py and svgread.py: designer SVG -> absolute mm paths, and refusal of unsafe/unusable files."""
from __future__ import annotations

import io
import math
import re
import socket
from pathlib import Path as FsPath

import pytest

from plaquegen.art.artwork import Artwork, fit_artwork, load_artwork
from plaquegen.art.svgread import MAX_BYTES, ArtworkError
from conftest import python_output
from plaquegen.geometry.paths import Bounds, Path

ROOT = FsPath(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"

NS = ('xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
      'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
      'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/"')

# 200 x 100 mm page, viewBox 400 x 200: one user unit = 0.5 mm.
INKSCAPE_LIKE = f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!-- Created with Inkscape (http://www.inkscape.org/) -->
<svg {NS} width="200mm" height="100mm" viewBox="0 0 400 200" version="1.1" id="svg8"
     inkscape:version="1.3" sodipodi:docname="car.svg">
  <sodipodi:namedview id="base" pagecolor="#ffffff" inkscape:zoom="0.35"/>
  <metadata id="metadata5"><rdf:RDF><dc:title>car</dc:title></rdf:RDF></metadata>
  <title>A test car</title>
  <defs id="defs2">
    <style>.body {{ fill: #1a1a1a; fill-rule: evenodd }} .red{{fill:#c00000}}</style>
    <linearGradient id="grad"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#444"/></linearGradient>
    <symbol id="tri" viewBox="0 0 10 10"><path d="M0 0 L10 0 L10 10 Z"/></symbol>
    <g id="dot"><circle cx="0" cy="0" r="4"/></g>
    <clipPath id="unused-clip"><rect width="5" height="5"/></clipPath>
  </defs>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" id="layer1">
    <g transform="translate(20,40)">
      <rect id="r1" x="0" y="0" width="20" height="10" style="fill:#000000;stroke:none"/>
    </g>
    <g transform="translate(100,100)"><g transform="scale(2)">
      <circle id="c1" cx="10" cy="0" r="5" fill="black"/>
    </g></g>
    <g transform="rotate(90 300 50)">
      <rect id="r2" x="280" y="40" width="40" height="20" class="red"/>
    </g>
    <rect id="r3" x="200" y="120" width="40" height="20" rx="5" fill="url(#grad)"/>
    <ellipse id="e1" cx="300" cy="150" rx="20" ry="10" style="fill:#333333"/>
    <polygon id="p1" points="20,150 60,150 40,190" class="body"/>
    <use id="u1" href="#tri" x="340" y="10" width="20" height="20"/>
    <use id="u2" xlink:href="#dot" transform="translate(380,180)"/>
    <path id="q1" d="M 240 20 Q 260 0 280 20 A 10 10 0 0 1 260 40 Z"/>
    <rect id="hidden1" x="0" y="0" width="400" height="200" style="display:none"/>
    <rect id="hidden2" x="0" y="0" width="400" height="200" visibility="hidden"/>
    <rect id="frame" x="0" y="0" width="400" height="200" style="fill:none;stroke:none"/>
  </g>
  <g inkscape:label="Tracing" inkscape:groupmode="layer" style="display:none">
    <rect x="-50" y="-50" width="10" height="10"/>
  </g>
</svg>
"""

# Expected exact mm bounds, in drawing order.
EXPECTED = [
    ("r1", (10.0, 20.0, 20.0, 25.0)),          # 20x10 units at translate(20,40) -> 10x5 mm
    ("c1", (55.0, 45.0, 65.0, 55.0)),          # centre (120,100) units, r=10 units
    ("r2", (145.0, 15.0, 155.0, 35.0)),        # rotated 90 degrees about (300,50)
    ("r3", (100.0, 60.0, 120.0, 70.0)),        # rounded rect
    ("e1", (140.0, 70.0, 160.0, 80.0)),
    ("p1", (10.0, 75.0, 30.0, 95.0)),
    ("u1", (170.0, 5.0, 180.0, 15.0)),         # symbol viewBox 10 -> use 20x20 at (340,10)
    ("u2", (188.0, 88.0, 192.0, 92.0)),        # <use> of a <g>
]


def write(tmp_path, text: str | bytes, name: str = "art.svg") -> FsPath:
    p = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    p.write_bytes(text)
    return p


def svg(body: str, attrs: str = 'width="100mm" height="50mm" viewBox="0 0 100 50"') -> str:
    return f'<svg {NS} {attrs}>{body}</svg>'


def approx_bounds(b: Bounds, expected, tol=1e-9):
    return all(abs(a - e) <= tol for a, e in zip((b.xmin, b.ymin, b.xmax, b.ymax), expected))


# ------------------------------------------------------------------ loading


def test_inkscape_like_file_exact_bounds(tmp_path):
    art = load_artwork(write(tmp_path, INKSCAPE_LIKE, "car.svg"))
    assert isinstance(art, Artwork)
    assert art.source == "car.svg" and art.mode == "fill"
    # 8 shapes + the quad/arc path; hidden, invisible and <defs> content are gone.
    assert len(art.paths) == len(EXPECTED) + 1
    for (ident, exp), p in zip(EXPECTED, art.paths):
        assert approx_bounds(p.bounds, exp, tol=1e-9), (ident, p.bounds, exp)
    assert art.bounds == Bounds(10.0, 5.0, 192.0, 95.0)


def test_only_absolute_mlcz_floats(tmp_path):
    art = load_artwork(write(tmp_path, INKSCAPE_LIKE))
    for p in art.paths:
        assert p.segs[0][0] == "M"
        for s in p.segs:
            assert s[0] in "MLCZ"
            assert len(s) == {"M": 3, "L": 3, "C": 7, "Z": 1}[s[0]]
            assert all(type(v) is float for v in s[1:])
        assert p.closed  # fill mode closes everything


def test_fill_rule_kept_from_css_class(tmp_path):
    art = load_artwork(write(tmp_path, INKSCAPE_LIKE))
    rules = [p.fill_rule for p in art.paths]
    assert rules[5] == "evenodd"  # polygon with class="body"
    assert rules.count("evenodd") == 1


def test_quadratic_raised_to_cubic_exactly_and_arc_to_cubics(tmp_path):
    art = load_artwork(write(tmp_path, svg('<path d="M 0 0 Q 10 20 20 0 A 10 10 0 0 1 40 0 Z"/>')))
    segs = art.paths[0].segs
    assert [s[0] for s in segs[:2]] == ["M", "C"]
    # quadratic B(0.5) = 0.25*P0 + 0.5*Q + 0.25*P2 = (10, 10); cubic at 0.5 must agree
    (_, x0, y0), (_, x1, y1, x2, y2, x3, y3) = segs[0], segs[1]
    cx = 0.125 * x0 + 0.375 * x1 + 0.375 * x2 + 0.125 * x3
    cy = 0.125 * y0 + 0.375 * y1 + 0.375 * y2 + 0.125 * y3
    assert (cx, cy) == pytest.approx((10.0, 10.0), abs=1e-12)
    # the half-circle arc from (20,0) to (40,0) through (30,-10): 4 cubics of 45 degrees
    arcs = [s for s in segs[2:] if s[0] == "C"]
    assert len(arcs) == 4
    b = art.paths[0].bounds
    assert b.ymin == pytest.approx(-10.0, abs=1e-9)
    assert b.xmax == pytest.approx(40.0, abs=1e-12)


def test_circle_bounds_after_scale_exact(tmp_path):
    art = load_artwork(write(tmp_path, svg(
        '<g transform="translate(50 25) scale(3)"><circle r="5"/></g>')))
    assert approx_bounds(art.bounds, (35.0, 10.0, 65.0, 40.0), tol=1e-9)


def test_zero_length_segments_dropped(tmp_path):
    art = load_artwork(write(tmp_path, svg(
        '<path d="M0 0 L0 0 L10 0 L10 0 L10 10 l0 0 L0 0 Z M 30 30 Z"/>')))
    assert art.paths[0].segs == (("M", 0.0, 0.0), ("L", 10.0, 0.0), ("L", 10.0, 10.0), ("Z",))


@pytest.mark.parametrize("attrs, width_mm", [
    ('width="96px" height="48px" viewBox="0 0 96 48"', 25.4),
    ('width="96" height="48" viewBox="0 0 96 48"', 25.4),
    ('width="96" height="48"', 25.4),
    ('viewBox="0 0 96 48"', 25.4),
    ('width="72pt" height="36pt" viewBox="0 0 96 48"', 25.4),
    ('width="1in" height="0.5in" viewBox="0 0 96 48"', 25.4),
    ('width="2.54cm" height="1.27cm" viewBox="0 0 96 48"', 25.4),
    ('width="100mm" viewBox="0 0 96 48"', 100.0),  # height from the aspect ratio
])
def test_units(tmp_path, attrs, width_mm):
    art = load_artwork(write(tmp_path, svg('<rect width="96" height="48"/>', attrs)))
    assert art.bounds.width == pytest.approx(width_mm, rel=1e-12)
    assert art.bounds.height == pytest.approx(width_mm / 2, rel=1e-12)
    assert art.bounds.xmin == 0.0 and art.bounds.ymin == 0.0


def test_viewbox_aspect_mismatch_is_centred(tmp_path):
    # viewBox 10x10 into a 40x20 mm viewport: xMidYMid meet -> scale 2, 10 mm offset in x
    art = load_artwork(write(tmp_path, svg('<rect width="10" height="10"/>',
                                           'width="40mm" height="20mm" viewBox="0 0 10 10"')))
    assert approx_bounds(art.bounds, (10.0, 0.0, 30.0, 20.0))


def test_style_sheet_after_the_shapes_still_applies(tmp_path):
    art = load_artwork(write(tmp_path, svg(
        '<rect class="gone" width="50" height="50"/><rect x="60" width="10" height="10"/>'
        '<style>.gone { display: none }</style>')))
    assert len(art.paths) == 1 and art.bounds.xmin == 60.0


def test_line_mode_keeps_open_paths_and_strokes(tmp_path):
    f = write(tmp_path, svg('<path d="M10 10 C 20 0 30 20 40 10" fill="none" stroke="#000"/>'
                            '<circle cx="70" cy="25" r="5" fill="none" stroke="black"/>'))
    art = load_artwork(f, mode="line")
    assert art.mode == "line"
    assert art.paths[0].segs[-1][0] == "C" and not art.paths[0].closed
    assert art.paths[1].closed
    with pytest.raises(ArtworkError, match=r"^art\.svg: has stroke-only shapes .*mode to line"):
        load_artwork(f, mode="fill")


def test_fill_mode_closes_open_subpaths(tmp_path):
    art = load_artwork(write(tmp_path, svg('<path d="M10 10 L 40 10 L 40 40 M 50 10 L 60 10 L 60 20"/>')))
    assert art.paths[0].segs == (("M", 10.0, 10.0), ("L", 40.0, 10.0), ("L", 40.0, 40.0), ("Z",),
                                 ("M", 50.0, 10.0), ("L", 60.0, 10.0), ("L", 60.0, 20.0), ("Z",))


def test_white_is_fine_in_line_mode(tmp_path):
    art = load_artwork(write(tmp_path, svg('<path d="M0 0 L 10 10" stroke="white"/>'
                                           '<rect width="5" height="5" fill="#fff"/>')), "line")
    assert len(art.paths) == 2


def test_thin_stroke_on_fill_is_ignored(tmp_path):
    art = load_artwork(write(tmp_path, svg(
        '<rect width="100" height="50" style="fill:#000;stroke:#000;stroke-width:0.26"/>')))
    assert art.bounds == Bounds(0.0, 0.0, 100.0, 50.0)


def test_illustrator_style_file_with_public_doctype_and_switch(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    text = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:i="http://ns.adobe.com/AdobeIllustrator/10.0/" x="0px" y="0px" width="100px" height="50px"
     viewBox="0 0 100 50">
<switch>
  <foreignObject requiredExtensions="http://ns.adobe.com/AdobeIllustrator/10.0/" x="0" y="0" width="1" height="1">
    <i:pgfRef xlink:href="#adobe_illustrator_pgf"/>
  </foreignObject>
  <g i:extraneous="self"><path fill="#231F20" d="M10,10h20v10H10z"/></g>
</switch>
<i:pgf id="adobe_illustrator_pgf">AAAA</i:pgf>
</svg>"""
    art = load_artwork(write(tmp_path, text))
    k = 25.4 / 96
    assert approx_bounds(art.bounds, (10 * k, 10 * k, 30 * k, 20 * k), tol=1e-12)


# ------------------------------------------------------------------- fitting


@pytest.mark.parametrize("align, valign", [("center", "middle"), ("left", "top"),
                                           ("right", "bottom")])
def test_fit_artwork(tmp_path, align, valign):
    art = load_artwork(write(tmp_path, INKSCAPE_LIKE))
    box = Bounds(3.0, 3.0, 54.0, 21.0)
    fitted = fit_artwork(art, box, align, valign)
    assert len(fitted) == len(art.paths)
    fb = Bounds(min(p.bounds.xmin for p in fitted), min(p.bounds.ymin for p in fitted),
                max(p.bounds.xmax for p in fitted), max(p.bounds.ymax for p in fitted))
    assert box.contains(fb, tol=1e-6)
    assert fb.width / fb.height == pytest.approx(art.bounds.width / art.bounds.height, rel=1e-9)
    # art is 182 x 90 (wider than the box's 51 x 18 ratio? no: 2.02 < 2.83) -> height fills
    assert fb.height == pytest.approx(box.height, abs=1e-9)
    expect_x = {"left": box.xmin, "center": box.xmin + (box.width - fb.width) / 2,
                "right": box.xmax - fb.width}[align]
    assert fb.xmin == pytest.approx(expect_x, abs=1e-9)
    assert fb.ymin == pytest.approx(box.ymin, abs=1e-9)
    assert all(isinstance(p, Path) for p in fitted)


def test_fit_artwork_wide_art_fills_width_and_centres_vertically(tmp_path):
    art = load_artwork(write(tmp_path, svg('<rect x="5" y="5" width="80" height="10"/>')))
    box = Bounds(0.0, 0.0, 40.0, 40.0)
    (p,) = fit_artwork(art, box)
    assert approx_bounds(p.bounds, (0.0, 17.5, 40.0, 22.5), tol=1e-9)
    with pytest.raises(ValueError):
        fit_artwork(art, box, align="middle")


# ------------------------------------------------------------------ refusals


def _no_network(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("artwork loading tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", boom)
    monkeypatch.setattr(socket, "create_connection", boom)
    monkeypatch.setattr(socket, "getaddrinfo", boom)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE svg [
 <!ENTITY a "lollollollollollollollollollol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
]>
<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"><desc>&h;</desc>
<rect width="5" height="5"/></svg>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="10mm"><desc>&x;</desc>
<rect width="5" height="5"/></svg>"""

USE_BOMB = svg("<defs>" + "<g id='l0'><rect width='1' height='1'/></g>" + "".join(
    f"<g id='l{i}'>" + f"<use href='#l{i - 1}'/>" * 10 + "</g>" for i in range(1, 8))
    + "</defs><use href='#l7'/>")

REFUSALS = {
    "image": (svg('<image href="#x" width="10" height="10"/><rect id="x" width="1" height="1"/>'),
              r"contains a raster <image>; artwork must be vector paths only"),
    "embedded image": (svg('<image xlink:href="data:image/png;base64,iVBORw0KGgo=" width="10" '
                           'height="10"/>'), r"contains a raster <image>"),
    "hidden image": (svg('<g style="display:none"><image width="1" height="1"/></g>'
                         '<rect width="5" height="5"/>'), r"contains a raster <image>"),
    "text": (svg('<text x="0" y="10">Kay Segler</text>'),
             r"contains <text>; convert text to outlines/paths in your design program"),
    "tspan in defs": (svg('<defs><g><tspan>x</tspan></g></defs><rect width="5" height="5"/>'),
                      r"contains <tspan> text; convert text to outlines/paths"),
    "foreignObject": (svg('<foreignObject width="10" height="10"><p xmlns="http://www.w3.org/1999/xhtml">'
                          'hi</p></foreignObject>'), r"contains a <foreignObject>"),
    "script": (svg('<script>alert(1)</script><rect width="5" height="5"/>'),
               r"contains a <script>, which artwork files may not have"),
    "xhtml script": (svg('<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>'
                         '<rect width="5" height="5"/>'), r"contains a <script>"),
    "onload": (svg('<rect width="5" height="5"/>', 'width="10mm" height="10mm" onload="alert(1)"'),
               r"has an event handler attribute \(onload=\.\.\.\)"),
    "onclick": (svg('<rect width="5" height="5" onclick="x()"/>'), r"event handler attribute"),
    "file href": (svg('<use xlink:href="file:///etc/passwd#a"/>'), r"contains an external reference"),
    "http href": (svg('<use href="http://127.0.0.1:9/evil.svg#a"/>'), r"contains an external reference"),
    "relative href": (svg('<use href="other.svg#a"/>'), r"contains an external reference"),
    "data href": (svg('<use href="data:image/svg+xml;base64,PHN2Zy8+"/>'),
                  r"contains an external reference"),
    "http url in fill": (svg('<rect width="5" height="5" style="fill:url(http://127.0.0.1:9/g.svg#g)"/>'),
                         r"contains an external reference \(url\(http://127\.0\.0\.1:9"),
    "css import": (svg('<style>@import url("http://127.0.0.1:9/x.css");</style><rect width="5" height="5"/>'),
                   r"imports an external style sheet"),
    "css url": (svg('<style>rect { fill: url(file:///etc/passwd) }</style><rect width="5" height="5"/>'),
                r"contains an external reference"),
    "xxe": (XXE, r"contains a DTD/entity declaration, which artwork files may not have"),
    "billion laughs": (BILLION_LAUGHS, r"contains a DTD/entity declaration"),
    "use missing id": (svg('<use href="#nothere"/>'), r"has a <use> that refers to a missing id \(#nothere\)"),
    "use cycle": (svg('<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'),
                  r"has a <use> reference cycle through #"),
    "use self": (svg('<use id="u" href="#u"/><rect width="5" height="5"/>'), r"reference cycle through #u"),
    "use bomb": (USE_BOMB, r"expands to more than 20,000 elements through <use> references"),
    "clipPath": (svg('<defs><clipPath id="c"><rect width="5" height="5"/></clipPath></defs>'
                     '<g clip-path="url(#c)"><rect width="50" height="50"/></g>'),
                 r"uses a clip path; .*a laser cannot honour clipping"),
    "clip via css": (svg('<style>.k { clip-path: url(#c) }</style><clipPath id="c"><rect width="5" '
                         'height="5"/></clipPath><rect class="k" width="50" height="50"/>'),
                     r"uses a clip path"),
    "mask": (svg('<mask id="m"><rect width="5" height="5" fill="white"/></mask>'
                 '<rect style="mask:url(#m)" width="50" height="50"/>'), r"uses a mask"),
    "marker": (svg('<marker id="m"><path d="M0 0 L1 1"/></marker>'
                   '<path d="M0 0 L10 10" stroke="#000" marker-end="url(#m)"/>'), r"uses markers"),
    "css descendant selector": (svg('<style>g .x { fill: none }</style><g><rect class="x" '
                                    'width="5" height="5"/></g>'),
                                r"uses the CSS selector 'g \.x', which this tool cannot apply"),
    "css media rule": (svg('<style>@media print { rect { fill: red } }</style><rect width="5" height="5"/>'),
                       r"has CSS @-rules"),
    "empty": (svg(''), r"contains no visible shapes to engrave; the drawing is empty"),
    "only hidden": (svg('<rect width="5" height="5" display="none"/><rect width="5" height="5" '
                        'fill="none"/><g visibility="hidden"><rect width="5" height="5"/></g>'),
                    r"the drawing is empty"),
    "huge coordinates": (svg('<path d="M0 0 L 1e9 0 L 0 10 Z"/>'), r"has coordinates beyond 1e\+06 mm"),
    "white fill": (svg('<rect width="50" height="50"/><circle cx="20" cy="20" r="5" fill="#fff"/>'),
                   r"has shapes filled with white \(a <circle>\); a laser cannot engrave white, "
                   r"so express such details as holes"),
    "white named": (svg('<rect id="w" width="50" height="50" style="fill:white"/>'),
                    r"filled with white \(<rect id=\"w\">\)"),
    "stroke only": (svg('<path d="M0 0 L 10 10" fill="none" stroke="black"/>'),
                    r"has stroke-only shapes .*outline strokes \(Object to Path / Stroke to Path\) "
                    r"or set the artwork's mode to line"),
    "thick stroke on fill": (svg('<rect width="50" height="20" fill="#000" stroke="#000" '
                                 'stroke-width="3"/>'), r"has filled shapes with a 3 mm stroke"),
    "not xml": ("GIF89a\x01\x00\x01\x00 this is not an svg", r"is not a valid SVG/XML file"),
    "not svg": ('<?xml version="1.0"?><html><body/></html>', r"is not an SVG file \(its root element is <html>\)"),
    "bad path data": (svg('<path d="M 0 0 L 10 10 Q"/>'), r"has malformed shape data"),
    "zero viewBox": (svg('<rect width="5" height="5"/>', 'width="10mm" height="10mm" viewBox="0 0 0 0"'),
                     r"has an empty viewBox"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals(tmp_path, monkeypatch, case):
    _no_network(monkeypatch)
    text, pattern = REFUSALS[case]
    f = write(tmp_path, text, "silhouette.svg")
    with pytest.raises(ArtworkError) as ei:
        load_artwork(f)
    msg = str(ei.value)
    assert msg.startswith("silhouette.svg: "), msg
    assert re.search(pattern, msg), msg
    assert msg.endswith(".") and "\n" not in msg
    # one sentence: no full stop followed by a new capitalised sentence
    assert not re.search(r"\.\s+[A-Z]", msg), msg


def test_http_reference_is_refused_without_touching_the_network(tmp_path, monkeypatch):
    _no_network(monkeypatch)  # any connection attempt fails the test (the time: bench/bench_inputs.py)
    f = write(tmp_path, svg('<use href="http://127.0.0.1:9/evil.svg#a"/><rect width="5" height="5"/>'))
    with pytest.raises(ArtworkError, match=r"^art\.svg: contains an external reference "
                                           r"\('http://127\.0\.0\.1:9/evil\.svg#a'\)"):
        load_artwork(f)


def test_oversized_file(tmp_path):
    body = '<rect width="5" height="5"/>' + "<!--" + "x" * MAX_BYTES + "-->"
    with pytest.raises(ArtworkError, match=r"^big\.svg: file is larger than 5 MB"):
        load_artwork(write(tmp_path, svg(body), "big.svg"))


def test_too_many_elements(tmp_path):
    with pytest.raises(ArtworkError, match=r"has more than 20,000 elements"):
        load_artwork(write(tmp_path, svg('<rect width="1" height="1"/>' * 20_001)))


def test_too_deep(tmp_path):
    with pytest.raises(ArtworkError, match=r"nests elements more than 100 deep"):
        load_artwork(write(tmp_path, svg("<g>" * 150 + '<rect width="1" height="1"/>' + "</g>" * 150)))


def test_missing_file_and_bad_mode(tmp_path):
    with pytest.raises(ArtworkError, match=r"^nope\.svg: artwork file not found"):
        load_artwork(tmp_path / "nope.svg")
    f = write(tmp_path, svg('<rect width="5" height="5"/>'))
    with pytest.raises(ArtworkError, match=r"unknown artwork mode 'outline'"):
        load_artwork(f, mode="outline")


def test_unused_clip_path_and_gradients_are_ignored(tmp_path):
    art = load_artwork(write(tmp_path, INKSCAPE_LIKE))  # has an unused <clipPath> and a gradient fill
    assert len(art.paths) == 9


# -------------------------------------------------------------- render check


def _paths_svg(paths, width_mm: float, height_mm: float) -> bytes:
    def num(v):
        return repr(float(v))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width_mm)}mm" '
           f'height="{num(height_mm)}mm" viewBox="0 0 {num(width_mm)} {num(height_mm)}">']
    for p in paths:
        d = " ".join(s[0] + " " + " ".join(num(v) for v in s[1:]) if len(s) > 1 else "Z"
                     for s in p.segs)
        out.append(f'<path d="{d}" fill="#000" fill-rule="{p.fill_rule}"/>')
    out.append("</svg>")
    return "\n".join(out).encode()


def _ink(png: bytes):
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("RGBA")
    alpha = im.getchannel("A").tobytes()
    return {i for i, a in enumerate(alpha) if a >= 128}, im.size


def test_render_matches_original(tmp_path):
    cairosvg = pytest.importorskip("cairosvg")
    src = write(tmp_path, INKSCAPE_LIKE, "car.svg")
    art = load_artwork(src)
    w_px, h_px = 1000, 500  # the page is 200 x 100 mm
    orig = cairosvg.svg2png(bytestring=src.read_bytes(), output_width=w_px, output_height=h_px)
    ours = cairosvg.svg2png(bytestring=_paths_svg(art.paths, 200, 100),
                            output_width=w_px, output_height=h_px)
    a, size_a = _ink(orig)
    b, size_b = _ink(ours)
    assert size_a == size_b == (w_px, h_px)
    assert len(a) > 10_000  # the original really has ink
    iou = len(a & b) / len(a | b)
    assert iou >= 0.97, iou


HARD = f"""<svg {NS} width="120mm" height="60mm" viewBox="-10 -5 240 120"
     preserveAspectRatio="xMinYMin meet">
<style> .h {{ fill-rule: evenodd }}  path.k {{ fill: #222 }} </style>
<defs>
  <symbol id="sym" viewBox="0 0 20 10" preserveAspectRatio="xMaxYMax meet">
    <ellipse cx="10" cy="5" rx="10" ry="5"/></symbol>
  <g id="base"><rect x="0" y="0" width="10" height="6" rx="2" ry="1"/></g>
  <g id="base2"><use xlink:href="#base" x="12"/><use xlink:href="#base" transform="skewX(20)"/></g>
</defs>
<path class="h k" d="M 0 0 h 60 v 40 h -60 z M 10 10 h 20 v 20 h -20 z"/>
<g transform="translate(70 0) skewX(15) rotate(10)">
  <path d="M0 0 A 20 10 30 1 0 30 20 Q 40 40 10 40 T 0 10 z"/></g>
<svg x="120" y="0" width="60" height="30" viewBox="0 0 10 10" preserveAspectRatio="xMidYMid meet"><circle cx="5" cy="5" r="5"/></svg>
<use xlink:href="#sym" x="0" y="50" width="60" height="40"/>
<use xlink:href="#base2" transform="translate(80 60) scale(3)"/>
<polyline points="150,60 200,60 200,100 170,110" fill="#111"/>
</svg>"""


def test_render_matches_original_hard_cases(tmp_path):
    """Nested <svg>, symbol viewBox with preserveAspectRatio, use of use, skew, arcs, T/Q, holes."""
    cairosvg = pytest.importorskip("cairosvg")
    src = write(tmp_path, HARD, "hard.svg")
    art = load_artwork(src)
    assert len(art.paths) == 7
    orig = cairosvg.svg2png(bytestring=src.read_bytes(), output_width=1200, output_height=600)
    ours = cairosvg.svg2png(bytestring=_paths_svg(art.paths, 120, 60),
                            output_width=1200, output_height=600)
    a, _ = _ink(orig)
    b, _ = _ink(ours)
    assert len(a & b) / len(a | b) >= 0.995


def test_skewed_rounded_corners_are_exact(tmp_path):
    # skewX(20) of a rounded rect: the rightmost point lies on the bottom-right corner
    # ellipse (centre (8,5), radii (2,1)): x = 8 + 5t + sqrt(4 + t^2), t = tan 20 degrees.
    art = load_artwork(write(tmp_path, svg(
        '<rect transform="skewX(20)" width="10" height="6" rx="2" ry="1"/>')))
    t = math.tan(math.radians(20))
    assert art.bounds.xmax == pytest.approx(8 + 5 * t + math.sqrt(4 + t * t), abs=1e-4)
    assert art.bounds.xmin == pytest.approx(2 + t - math.sqrt(4 + t * t), abs=1e-4)
    assert (art.bounds.ymin, art.bounds.ymax) == pytest.approx((0.0, 6.0), abs=1e-9)


def test_line_element_is_stroke_only_in_fill_mode(tmp_path):
    f = write(tmp_path, svg('<rect width="5" height="5"/><line x1="0" y1="10" x2="50" y2="10" '
                            'stroke="black"/>'))
    with pytest.raises(ArtworkError, match=r"has stroke-only shapes \(a <line>\)"):
        load_artwork(f)
    assert len(load_artwork(f, "line").paths) == 2


@pytest.mark.parametrize("name, mode", [("silhouette.svg", "fill"), ("signature.svg", "line")])
def test_shipped_assets_load(name, mode):
    f = ASSETS / name
    if not f.exists():
        pytest.skip(f"{name} not drawn yet")
    art = load_artwork(f, mode)
    assert art.paths and art.bounds.width > 0 and art.bounds.height > 0
    for p in art.paths:
        assert all(s[0] in "MLCZ" for s in p.segs)
        assert all(math.isfinite(v) for s in p.segs for v in s[1:])
    if mode == "fill":  # what we engrave is what the designer's file shows
        cairosvg = pytest.importorskip("cairosvg")
        from xml.etree import ElementTree as ET

        root = ET.fromstring(f.read_bytes())
        if not (root.get("viewBox") and root.get("width", "").endswith("mm")
                and root.get("height", "").endswith("mm")):
            return  # the render comparison below needs a mm page with a viewBox
        vb = [float(v) for v in root.get("viewBox").replace(",", " ").split()]
        w_px = 1200
        h_px = round(w_px * vb[3] / vb[2])
        orig = cairosvg.svg2png(bytestring=f.read_bytes(), output_width=w_px, output_height=h_px)
        w_mm = float(root.get("width").removesuffix("mm"))
        h_mm = float(root.get("height").removesuffix("mm"))
        ours = cairosvg.svg2png(bytestring=_paths_svg(art.paths, w_mm, h_mm),
                                output_width=w_px, output_height=h_px)
        a, _ = _ink(orig)
        b, _ = _ink(ours)
        assert len(a & b) / len(a | b) >= 0.97



def test_mangled_files_raise_only_artwork_error(tmp_path):
    """Random damage to real files: every outcome is an Artwork or an ArtworkError sentence."""
    import random

    rnd = random.Random(20250901)
    alphabet = '0123456789.-e,;: #()"<>/abcxyzMLCQAZz%'
    f = tmp_path / "mangled.svg"
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(300):
        s = list(rnd.choice([INKSCAPE_LIKE, HARD]))
        for _ in range(rnd.randint(1, 4)):
            k = rnd.randrange(len(s))
            op = rnd.random()
            if op < 0.4:
                del s[k]
            elif op < 0.8:
                s[k] = rnd.choice(alphabet)
            else:
                s.insert(k, rnd.choice(alphabet))
        f.write_text("".join(s), encoding="utf-8")
        try:
            art = load_artwork(f, rnd.choice(["fill", "line"]))
        except ArtworkError as e:
            assert str(e).startswith("mangled.svg: ") and str(e).endswith(".")
            outcomes["refused"] += 1
        else:
            assert art.paths and all(math.isfinite(v) for p in art.paths for s_ in p.segs
                                     for v in s_[1:])
            outcomes["ok"] += 1
    assert outcomes["ok"] > 10 and outcomes["refused"] > 10


_ART_DIGEST = """
import hashlib, sys
from plaquegen.art.artwork import fit_artwork, load_artwork
from plaquegen.geometry.paths import Bounds
h = hashlib.sha256()
for f, mode in ((sys.argv[1], "fill"), ({sil!r}, "fill"), ({sig!r}, "line")):
    art = load_artwork(f, mode)
    h.update(repr(([(p.segs, p.fill_rule) for p in art.paths], art.bounds)).encode())
    h.update(repr([p.segs for p in fit_artwork(art, Bounds(3.0, 3.0, 54.0, 21.0))]).encode())
print(h.hexdigest())
"""


def test_artwork_paths_are_identical_across_processes(tmp_path):
    f = write(tmp_path, INKSCAPE_LIKE)
    code = _ART_DIGEST.format(sil=str(ASSETS / "silhouette.svg"), sig=str(ASSETS / "signature.svg"))
    code = code.replace("sys.argv[1]", repr(str(f)))
    here: dict = {}
    for _ in range(2):  # cold, then with this process's caches warm
        exec(compile(code.replace("print(h.hexdigest())", "here.append(h.hexdigest())"), "digest",
                     "exec"), {"here": here.setdefault("d", [])})
    a, b = python_output(code, 1).strip(), python_output(code, 2).strip()
    assert len(a) == 64 and a == b == here["d"][0] == here["d"][1]
