"""Owner proof PDFs: real PDFs read back with pypdf, poppler and qpdf."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path as FsPath

import pytest
from pypdf import PdfReader, PdfWriter

from plaquegen.geometry.paths import Layer, Path, Plaque, rounded_rect
from plaquegen.proof.render import (A4, LETTER, MM, clean_text, proof_layout, read_proof, render_proof,
                             watermark_box)
from plaquegen.core.records import Numbered, Order

QPDF = shutil.which("qpdf")
PDFTOPPM = shutil.which("pdftoppm")
PDFTOTEXT = shutil.which("pdftotext")
ROOT = FsPath(__file__).resolve().parents[2]

VIN = "WBSUR91060VZ12345"
SHA = "0123456789abcdef" * 4


# ---------------------------------------------------------------------------
# A realistic plaque built from geometry primitives (the composer is tested elsewhere).

def circle(cx: float, cy: float, r: float) -> tuple:
    k = 0.5522847498 * r
    return (("M", cx + r, cy),
            ("C", cx + r, cy + k, cx + k, cy + r, cx, cy + r),
            ("C", cx - k, cy + r, cx - r, cy + k, cx - r, cy),
            ("C", cx - r, cy - k, cx - k, cy - r, cx, cy - r),
            ("C", cx + k, cy - r, cx + r, cy - k, cx + r, cy), ("Z",))


def make_plaque(vin: str = VIN, number: int = 462, total: int = 6309) -> Plaque:
    """80 x 24 mm, r 2: a silhouette-like body, wheels with holes (evenodd), a frame with a
    hole (evenodd), nine digit-like blocks (nonzero), an open signature and a score line."""
    body = Path((("M", 6, 14), ("C", 10, 9, 18, 8, 24, 8), ("L", 34, 7), ("C", 38, 5, 44, 5, 48, 8),
                 ("L", 56, 10), ("L", 57, 14), ("Z",)), "nonzero")
    wheels = Path(circle(14, 14.5, 3) + circle(14, 14.5, 1.5) + circle(48, 14.5, 3)
                  + circle(48, 14.5, 1.5), "evenodd")
    frame = Path((("M", 60, 5), ("L", 75, 5), ("L", 75, 12), ("L", 60, 12), ("Z",),
                  ("M", 62, 7), ("L", 73, 7), ("L", 73, 10), ("L", 62, 10), ("Z",)), "evenodd")
    digits = tuple(rounded_rect(8 + i * 5.5, 17.5, 4, 4.5, 0.6) for i in range(len(str(number)) + 6))
    signature = Path((("M", 60, 18), ("C", 63, 14, 66, 22, 69, 17), ("C", 71, 14, 73, 21, 76, 18)))
    underline = Path((("M", 6, 16), ("L", 56, 16)))
    return Plaque(80.0, 24.0,
                  (Layer("engrave", (body, wheels, frame) + digits),
                   Layer("score", (signature, underline)),
                   Layer("cut", (rounded_rect(0, 0, 80, 24, 2),))),
                  vin=vin, number=number, total=total, label=f"{number:04d} / {total}")


def make_numbered(name: str = "Jörg Müller", country: str = "DE", language: str = "",
                  vin: str = VIN, order_id: str = "A-1001", market: str = "EU") -> Numbered:
    order = Order(line=2, order_id=order_id, vin=vin[-7:], name=name, country=country,
                  language=language)
    return Numbered(order, vin, 462, 6309, market)


def proof(name="Jörg Müller", country="DE", language="", plaque=None, **kw) -> bytes:
    return render_proof(plaque or make_plaque(), make_numbered(name, country, language, **kw),
                        "2025-09-a", SHA, "2025-09-14")


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return reader(pdf).pages[0].extract_text()


def pdftotext(pdf: bytes, tmp_path) -> str:
    f = tmp_path / "p.pdf"
    f.write_bytes(pdf)
    return subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(f), "-"], check=True,
                          capture_output=True).stdout.decode()


# ---------------------------------------------------------------------------
# Structure

@pytest.mark.parametrize("country,size", [("DE", A4), ("AT", A4), ("GB", A4), ("", A4),
                                          ("US", LETTER), ("CA", LETTER)])
def test_one_page_and_paper_size(country, size):
    r = reader(proof(country=country))
    assert len(r.pages) == 1
    box = r.pages[0].mediabox
    assert float(box.width) == pytest.approx(size[0], abs=0.01)
    assert float(box.height) == pytest.approx(size[1], abs=0.01)
    if size == A4:
        assert (float(box.width), float(box.height)) == pytest.approx((595.28, 841.89), abs=0.01)
    else:
        assert (float(box.width), float(box.height)) == (612.0, 792.0)


def test_form_fields_unique_names_and_identity():
    r = reader(proof())
    fields = r.get_fields()
    assert set(fields) == {f"approve_{VIN}", f"changes_{VIN}", f"name_{VIN}", f"date_{VIN}",
                           "plaquegen_id"}
    ident = json.loads(fields["plaquegen_id"]["/V"])
    assert ident == {"batch_id": "2025-09-a", "vin": VIN, "number": 462, "total": 6309,
                     "label": "0462 / 6309", "order_id": "A-1001", "svg_sha256": SHA}
    assert json.loads(r.metadata["/Subject"]) == ident
    assert VIN in r.metadata["/Title"] and "0462 / 6309" in r.metadata["/Title"]
    # the identity field is hidden and read-only; the changes field is multi-line
    annots = {a.get_object()["/T"]: a.get_object() for a in r.pages[0]["/Annots"]}
    assert annots["plaquegen_id"]["/F"] & 2 and annots["plaquegen_id"]["/Ff"] & 1
    assert annots[f"changes_{VIN}"]["/Ff"] & (1 << 12)
    # another plaque -> other names (fields of several proofs never collide when merged)
    other = reader(proof(plaque=make_plaque(vin="WBSUR91070VZ99999"), vin="WBSUR91070VZ99999"))
    assert "approve_WBSUR91070VZ99999" in other.get_fields()


def test_vin_and_label_in_text(tmp_path):
    pdf = proof()
    text = text_of(pdf)
    assert VIN in text and "0462 / 6309" in text and "2025-09-a" in text and "2025-09-14" in text
    assert "A-1001" in text and "EU" in text
    if PDFTOTEXT:
        t2 = pdftotext(pdf, tmp_path)
        assert VIN in t2 and "0462 / 6309" in t2 and "Jörg Müller" in t2


@pytest.mark.parametrize("country,language,lang", [
    ("DE", "", "de"), ("AT", "", "de"), ("CH", "", "de"), ("US", "de", "de"),
    ("GB", "de-AT", "de"), ("AT", "en", "en"), ("US", "", "en"), ("FR", "", "en"),
    ("", "", "en"), ("DE", "fr", "en"),
])
def test_language(country, language, lang):
    text = text_of(proof(country=country, language=language))
    german = ("Ich gebe diese Plakette frei", "Korrekturabzug", "Fahrgestellnummer", "Baunummer",
              "Originalgröße (1:1)", "Tatsächliche Größe")
    english = ("I approve this plaque", "Proof of your plaque", "Build number", "Actual size (1:1)",
               "Fit to page")
    want, other = (german, english) if lang == "de" else (english, german)
    for s in want:
        assert s in text
    for s in other:
        assert s not in text


@pytest.mark.skipif(not QPDF, reason="qpdf not installed")
@pytest.mark.parametrize("country", ["DE", "US"])
def test_qpdf_check(tmp_path, country):
    f = tmp_path / "p.pdf"
    f.write_bytes(proof(name="Łukasz <b>x</b>", country=country))
    res = subprocess.run([QPDF, "--check", str(f)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "No syntax or stream encoding errors" in res.stdout


# ---------------------------------------------------------------------------
# Untrusted text

@pytest.mark.parametrize("name", ["Müller", "Ødegård", "Łukasz", "Dvořák", "Şahin",
                                  "Zoë Ångström-Ñúñez", "Σωκράτης Παπαδόπουλος"])
def test_names_render_exactly(name, tmp_path):
    pdf = proof(name=name)
    assert name in text_of(pdf)
    if PDFTOTEXT:
        assert name in pdftotext(pdf, tmp_path)


def test_decomposed_name_is_normalised():
    assert "Dvořák" in text_of(proof(name="Dvor\u030cák"))


@pytest.mark.parametrize("name", ["<b>x</b>&amp;", "<para>Evil</para>", "<font size=40>Big</font>",
                                  "&lt;script&gt;", "a\\) Tj (b"])
def test_markup_is_literal(name):
    text = text_of(proof(name=name))
    assert name in text


def test_unprintable_characters_never_crash():
    pdf = proof(name="Bell\x07 \x00Tab\tNew\nline \u202eRLO \U0001F697 \U000E0001 \ud800 x")
    text = text_of(pdf)
    assert "\ufffd" in text  # visible placeholder for what cannot be drawn
    assert "\x07" not in text and "\x00" not in text
    assert "Tab New line" in text


def test_clean_text():
    assert clean_text("a\x00b") == "a\ufffdb"
    assert clean_text("  a \t\n b  ") == "a b"
    assert clean_text("x\u200dy\ufeff") == "xy"  # invisible format characters dropped
    assert clean_text("\U0010FFFD") == "\ufffd"  # private use
    assert clean_text(None) == ""


def test_long_name_is_fitted():
    long = "Maximiliane Wilhelmina Theodora von und zu Hohenzollern-Sigmaringen-Württemberg " * 3
    text = text_of(proof(name=long))
    assert "Maximiliane Wilhelmina" in text
    assert long.strip() not in text  # did not run off the page: shrunk and truncated
    assert "\u2026" in text


# ---------------------------------------------------------------------------
# Layout

@pytest.mark.parametrize("size", [A4, LETTER])
def test_layout_fits_page_and_watermark_avoids_plaques(size):
    lay = proof_layout(size, 80, 24)
    w, h = size
    for key in ("actual_box", "enlarged_box", "changes", "name_date"):
        x0, y0, x1, y1 = getattr(lay, key)
        assert 0 < x0 < x1 <= w and 0 < y0 < y1 < lay.footer
    assert lay.return_note + 20 < lay.footer
    assert lay.actual_box[3] + 10 < lay.enlarged_box[1]
    ax0, ay0, ax1, ay1 = lay.actual_box
    assert (ax1 - ax0, ay1 - ay0) == pytest.approx((80 * MM, 24 * MM))
    assert lay.enlarged_scale >= 2.0
    for text in ("PROOF", "KORREKTURABZUG"):
        wx0, wy0, wx1, wy1 = watermark_box(size, 80, 24, text)
        for key in ("actual_box", "enlarged_box"):
            x0, y0, x1, y1 = getattr(lay, key)
            assert wy0 > y1 or wy1 < y0 or wx0 > x1 or wx1 < x0, (text, key)
        rx0, ry0, rx1, ry1 = lay.watermark_region
        assert rx0 - 0.01 <= wx0 and wx1 <= rx1 + 0.01 and ry0 - 0.01 <= wy0 and wy1 <= ry1 + 0.01


def test_plate_too_large_is_refused():
    with pytest.raises(ValueError):
        proof_layout(A4, 250, 24)


# ---------------------------------------------------------------------------
# Fidelity: the 1:1 view against an SVG of the same geometry, rendered by cairosvg.

def svg_of(plaque: Plaque) -> bytes:
    """A minimal SVG of the plaque's engrave (filled, fill-rule) and score (stroked) layers."""
    def d(p: Path) -> str:
        out = []
        for s in p.segs:
            out.append(s[0] + " " + " ".join(repr(float(v)) for v in s[1:]))
        return " ".join(out)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{plaque.width}mm" '
             f'height="{plaque.height}mm" viewBox="0 0 {plaque.width} {plaque.height}">']
    for layer in plaque.layers:
        for p in layer.paths:
            if layer.name == "engrave":
                parts.append(f'<path d="{d(p)}" fill="#000" fill-rule="{p.fill_rule}"/>')
            elif layer.name == "score":
                parts.append(f'<path d="{d(p)}" fill="none" stroke="#000" stroke-width="0.15" '
                             'stroke-linecap="round" stroke-linejoin="round"/>')
    parts.append("</svg>")
    return "".join(parts).encode()


def dark_mask(img):
    """Pixels where every channel is dark (black ink), excluding red cut lines and grey plate."""
    from PIL import ImageChops

    r, g, b = img.convert("RGB").split()
    brightest = ImageChops.lighter(ImageChops.lighter(r, g), b)
    return brightest.point(lambda v: 255 if v < 110 else 0).convert("1")


def count(mask) -> int:
    return mask.convert("L").histogram()[255]


def iou(a, b) -> float:
    from PIL import ImageChops

    inter = count(ImageChops.logical_and(a, b))
    union = count(ImageChops.logical_or(a, b))
    return inter / union


def render_region(pdf: bytes, tmp_path, box_pt, dpi: int = 254):
    from PIL import Image

    f = tmp_path / "proof.pdf"
    f.write_bytes(pdf)
    px = dpi / 72.0
    x0, y0, x1, y1 = box_pt
    args = [PDFTOPPM, "-r", str(dpi), "-png", "-singlefile", "-x", str(round(x0 * px)),
            "-y", str(round(y0 * px)), "-W", str(round((x1 - x0) * px)),
            "-H", str(round((y1 - y0) * px)), str(f), str(tmp_path / "region")]
    subprocess.run(args, check=True)
    return Image.open(tmp_path / "region.png").convert("RGB")


def render_svg(svg: bytes, width_px: int, height_px: int):
    import cairosvg
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg, output_width=width_px, output_height=height_px,
                           background_color="white")
    return Image.open(io.BytesIO(png)).convert("RGB")


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
@pytest.mark.parametrize("country", ["DE", "US"])
def test_one_to_one_view_matches_svg(tmp_path, country):
    pytest.importorskip("PIL")
    plaque = make_plaque()
    pdf = proof(country=country, plaque=plaque)
    lay = proof_layout(A4 if country == "DE" else LETTER, plaque.width, plaque.height)
    got = render_region(pdf, tmp_path, lay.actual_box)
    assert got.size == (800, 240)  # 10 px per mm: the view is exactly 80 x 24 mm
    want = render_svg(svg_of(plaque), 800, 240)
    a, b = dark_mask(got), dark_mask(want)
    assert count(b) > 15000  # the reference really has ink
    assert iou(a, b) >= 0.98


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
def test_fidelity_check_can_fail(tmp_path):
    """The same comparison catches a plaque shifted by 0.5 mm or with a wrong fill rule."""
    pytest.importorskip("PIL")
    plaque = make_plaque()
    pdf = proof(plaque=plaque)
    got = dark_mask(render_region(pdf, tmp_path, proof_layout(A4).actual_box))
    shifted = Plaque(80, 24, tuple(Layer(l.name, tuple(p.translated(0.5, 0) for p in l.paths))
                                   for l in plaque.layers), VIN, 462, 6309, "0462 / 6309")
    assert iou(got, dark_mask(render_svg(svg_of(shifted), 800, 240))) < 0.95
    nonzero = Plaque(80, 24, tuple(Layer(l.name, tuple(Path(p.segs, "nonzero") for p in l.paths))
                                   for l in plaque.layers), VIN, 462, 6309, "0462 / 6309")
    assert iou(got, dark_mask(render_svg(svg_of(nonzero), 800, 240))) < 0.98


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
def test_enlargement_matches_svg(tmp_path):
    pytest.importorskip("PIL")
    plaque = make_plaque()
    pdf = proof(plaque=plaque)
    lay = proof_layout(A4)
    x0, y0, x1, y1 = lay.enlarged_box
    got = render_region(pdf, tmp_path, (x0, y0, x1, y1), dpi=100)
    svg = svg_of(plaque).replace(b'stroke-width="0.15"',
                                 b'stroke-width="0.15"')  # same stroke in plaque mm
    want = render_svg(svg, *got.size)
    assert iou(dark_mask(got), dark_mask(want)) >= 0.95  # lower dpi, sub-pixel origin


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm not installed")
@pytest.mark.parametrize("country", ["DE", "US"])
def test_watermark_does_not_touch_the_plaques(tmp_path, country):
    """Inside the plates only grey plate, black ink and red cut line: no watermark tint."""
    pytest.importorskip("PIL")
    pdf = proof(country=country)
    lay = proof_layout(A4 if country == "DE" else LETTER)
    from PIL import ImageChops

    for key, scale in (("actual_box", 1.0), ("enlarged_box", lay.enlarged_scale)):
        x0, y0, x1, y1 = getattr(lay, key)
        # inside the red cut line: clear of the straight edges and the r = 2 mm corners
        ix, iy = 2.5 * MM * scale, 0.6 * MM * scale
        img = render_region(pdf, tmp_path, (x0 + ix, y0 + iy, x1 - ix, y1 - iy), dpi=100)
        r, g, b = img.split()
        tint = ImageChops.subtract(r, g)  # the watermark is a light red: R > G
        assert tint.getextrema()[1] < 12, key
    # ... while the watermark is really on the page (below the plaques)
    wx0, wy0, wx1, wy1 = watermark_box(A4 if country == "DE" else LETTER, 80, 24,
                                       "KORREKTURABZUG" if country == "DE" else "PROOF")
    img = render_region(pdf, tmp_path, (wx0, wy0, wx1, wy1), dpi=50)
    r, g, b = img.split()
    assert ImageChops.subtract(r, g).getextrema()[1] >= 12


# ---------------------------------------------------------------------------
# Determinism and the approval round-trip

def test_deterministic_bytes():
    assert proof() == proof()
    assert proof(country="US") == proof(country="US")
    assert proof() != proof(name="Jörg Müller-Lüdenscheidt")


def test_deterministic_across_processes():
    code = ("import sys; sys.path.insert(0, %r); sys.path.insert(0, %r)\n"
            "import hashlib, test_proof\n"
            "print(hashlib.sha256(test_proof.proof(name='Łukasz Dvořák')).hexdigest())"
            % (str(ROOT), str(FsPath(__file__).parent)))
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True, cwd=ROOT)
        digests.add(out.stdout.strip())
    import hashlib
    digests.add(hashlib.sha256(proof(name="Łukasz Dvořák")).hexdigest())
    assert len(digests) == 1


def test_approval_round_trip(tmp_path):
    pdf = proof()
    blank = read_proof(pdf)
    assert blank["identity"]["vin"] == VIN and blank["identity"]["svg_sha256"] == SHA
    assert blank["approved"] is False and blank["changes"] == ""
    # the owner fills in the form
    w = PdfWriter(clone_from=reader(pdf))
    w.update_page_form_field_values(w.pages[0], {
        f"approve_{VIN}": "/Yes", f"changes_{VIN}": "Bitte größer", f"name_{VIN}": "Jörg Müller",
        f"date_{VIN}": "2025-09-20"}, auto_regenerate=False)
    out = io.BytesIO()
    w.write(out)
    filled = read_proof(out.getvalue())
    assert filled["approved"] is True
    assert filled["changes"] == "Bitte größer"
    assert filled["name"] == "Jörg Müller" and filled["date"] == "2025-09-20"
    assert filled["identity"] == blank["identity"]


# ---------------------------------------------------------------------------
# With the real composer, when it is there

def test_proof_of_a_composed_plaque(tmp_path):
    from plaquegen.art.compose import Composer
    from plaquegen.inputs.template import load_template

    composer = Composer.prepare(load_template())
    plaque = composer.compose(VIN, 462, 6309)
    pdf = proof(plaque=plaque)
    text = text_of(pdf)
    assert VIN in text and plaque.label in text
    if PDFTOPPM:
        lay = proof_layout(A4, plaque.width, plaque.height)
        got = render_region(pdf, tmp_path, lay.actual_box)
        w, h = round(plaque.width * 10), round(plaque.height * 10)
        want = render_svg(svg_of(plaque), w, h)
        assert count(dark_mask(want)) > 1000
        assert iou(dark_mask(got), dark_mask(want)) >= 0.98


@pytest.mark.parametrize("name", ["Noa שלום Cohen", "محمد علي"])
def test_right_to_left_names_are_drawn_in_visual_order(name):
    """Hebrew reads right to left and Arabic letters join: the PDF draws glyphs left to
    right, so the drawn string must be the bidi algorithm's visual order (shaped for Arabic)."""
    from bidi import get_display

    from plaquegen.writers.pdf import visual

    shown = visual(name)
    assert shown != name
    if "שלום" in name:
        assert shown == get_display(name) == "Noa םולש Cohen"
    else:
        assert all(0xFE70 <= ord(c) <= 0xFEFF for c in shown if c != " ")  # joined forms
    # pypdf's text extraction turns the drawn (visual) RTL run back into reading order:
    # it reads the Hebrew back as typed only if it was drawn in visual order.
    text = text_of(proof(name=name)).replace(" ", "")
    if "שלום" in name:
        assert name.replace(" ", "") in text
    else:
        assert {c for c in shown if c != " "} <= set(text)
    assert visual("Jürgen Müller") == "Jürgen Müller"


# ---------------------------------------------------------------------------
# The template writer against the reference reportlab writer

from plaquegen.proof.page import render_proof_reportlab  # noqa: E402
from plaquegen.proof.writer import ProofWriter, repertoire_for  # noqa: E402
from plaquegen.writers.pdfstream import adler32_combine, deflate_ops  # noqa: E402

LONG = "Maximiliane Wilhelmina Theodora von und zu Hohenzollern-Sigmaringen-Württemberg " * 3
SAMPLE = [  # (name, country, language): long, RTL, outside the subset, both languages and papers
    ("Jörg Müller", "DE", ""), ("Łukasz Dvořák-Şahin", "US", ""), (LONG, "AT", ""),
    (LONG, "CA", "de"), ("Noa שלום Cohen", "GB", ""), ("محمد علي", "US", "de"),
    ("Σωκράτης Παπαδόπουλος", "DE", ""), ("<b>x</b> a\\) Tj (b", "FR", ""), ("", "CH", ""),
]


@pytest.fixture(scope="module")
def composed():
    from plaquegen.art.compose import Composer
    from plaquegen.inputs.template import load_template

    composer = Composer.prepare(load_template())
    return [composer.compose(VIN, 462 + i, 6309) for i in range(3)]


def both(writer, plaque, name, country, language):
    n = make_numbered(name, country, language)
    args = (plaque, n, "2025-09-a", SHA, "2025-09-14")
    return writer.render(*args), render_proof_reportlab(*args)


def pixels(pdf: bytes, tmp_path, tag: str):
    from PIL import Image

    f = tmp_path / f"{tag}.pdf"
    f.write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", "150", "-png", "-singlefile", str(f), str(tmp_path / tag)],
                   check=True)
    return Image.open(tmp_path / f"{tag}.png").convert("RGB")


@pytest.mark.skipif(not (PDFTOPPM and PDFTOTEXT and QPDF), reason="poppler-utils/qpdf not installed")
def test_template_writer_renders_like_the_reference(tmp_path, composed):
    from PIL import ImageChops

    writer = ProofWriter()
    for i, (name, country, language) in enumerate(SAMPLE):
        plaque = composed[i % len(composed)] if i % 2 else make_plaque()
        fast, ref = both(writer, plaque, name, country, language)
        a, b = pixels(fast, tmp_path, f"f{i}"), pixels(ref, tmp_path, f"r{i}")
        assert a.size == b.size
        assert ImageChops.difference(a, b).getbbox() is None, (name, country)
        assert pdftotext(fast, tmp_path) == pdftotext(ref, tmp_path)
        f = tmp_path / "c.pdf"
        f.write_bytes(fast)
        res = subprocess.run([QPDF, "--check", str(f)], capture_output=True, text=True)
        assert res.returncode == 0 and "No syntax or stream encoding errors" in res.stdout, res.stdout
        assert reader(fast).get_fields().keys() == reader(ref).get_fields().keys()
        assert read_proof(fast) == read_proof(ref)
        assert reader(fast).metadata == reader(ref).metadata
    # Latin names went through the template, Greek/Hebrew/Arabic (outside the subset) did not.
    assert writer.stats == {"template": 6, "fallback": 0, "reference": 3}


@pytest.mark.skipif(not PDFTOPPM, reason="poppler-utils not installed")
def test_a_batch_repertoire_covers_names_beyond_latin(tmp_path):
    from PIL import ImageChops

    names = ["Σωκράτης Παπαδόπουλος", "Noa שלום Cohen"]
    writer = ProofWriter(repertoire_for(names))
    for i, name in enumerate(names):
        fast, ref = both(writer, make_plaque(), name, "DE", "")
        diff = ImageChops.difference(pixels(fast, tmp_path, f"f{i}"), pixels(ref, tmp_path, f"r{i}"))
        assert diff.getbbox() is None, name
    assert writer.stats == {"template": 2, "fallback": 0, "reference": 0}


def test_template_bytes_do_not_depend_on_history(composed):
    """A warm writer (templates and caches filled by other owners) gives the bytes of a fresh one."""
    warm = ProofWriter()
    for plaque in composed:
        both(warm, plaque, "Someone Else", "US", "")
        both(warm, plaque, "Jörg Müller", "DE", "")
    fresh = ProofWriter()
    for plaque in composed:
        assert both(fresh, plaque, "Jörg Müller", "DE", "")[0] == \
            both(warm, plaque, "Jörg Müller", "DE", "")[0]
    assert both(fresh, composed[0], "Jörg Müller", "DE", "")[0] != \
        both(fresh, composed[1], "Jörg Müller", "DE", "")[0]


def test_template_proof_round_trip():
    pdf = ProofWriter().render(make_plaque(), make_numbered(), "2025-09-a", SHA, "2025-09-14")
    assert b"/F3+" in pdf or b"/F2+" in pdf  # the embedded subset is there
    w = PdfWriter(clone_from=reader(pdf))
    w.update_page_form_field_values(w.pages[0], {f"approve_{VIN}": "/Yes",
                                                 f"name_{VIN}": "Jörg Müller"},
                                    auto_regenerate=False)
    out = io.BytesIO()
    w.write(out)
    got = read_proof(out.getvalue())
    assert got["approved"] is True and got["name"] == "Jörg Müller"
    assert got["identity"]["vin"] == VIN and got["identity"]["order_id"] == "A-1001"


def test_deflate_ops_is_one_valid_zlib_stream():
    import random
    import zlib

    rnd = random.Random(7)
    big = "n " + " ".join(f"{rnd.random():.3f}" for _ in range(400)) + " l"
    ops = ["q", big, "f", "0 0 0 rg", big, "S", "Q"]
    data = deflate_ops(ops)
    assert zlib.decompress(data).decode() == "\n".join(ops) + "\n"
    assert deflate_ops(ops) == data
    a, b = b"hello " * 1000, bytes(rnd.randrange(256) for _ in range(70000))
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


# ---------------------------------------------------------------------------
# The direct text writer and the batch's wide subset

from plaquegen.proof.page import proof_values  # noqa: E402
from plaquegen.proof.writer import NotInTemplate, batch_writer  # noqa: E402

DIRECT = [  # Latin-1/Extended-A mixes (both subsets), escapes, no-break space, fitting, empty
    "Jörg Müller", "Łukasz Dvořák-Şahin", "Đorđe Šćepanović", "İsmail Çağlar", "a\u00a0b",
    "O'Brien & Söhne \\ ) (", "€uro ‚quote‘ „de“ …", LONG, "x" * 300, "", "   ", "Æ" * 60,
    "\x00\x07 tab\there", "José Nuñez (Jr.)",
]


@pytest.mark.parametrize("country,language", [("DE", ""), ("US", ""), ("CA", "de"), ("GB", "")])
def test_direct_text_is_what_the_canvas_writes(country, language, composed):
    """The owner's operators written directly are byte for byte those reportlab's canvas
    writes on the template (so the whole proof is the same bytes either way)."""
    writer = ProofWriter()
    for i, name in enumerate(DIRECT):
        plaque = composed[i % len(composed)]
        n = make_numbered(name, country, language, order_id=f"Ü-{i} ({name[:5]})",
                          market="ÉU" if i % 2 else "")
        v = proof_values(plaque, n, "2025-09-ä", SHA, "14. 9. 2025")
        t = writer.template(v.lang, v.page, (plaque.width, plaque.height))
        assert t.pieces_ops(v) == t.pieces_ops(v, direct=False), name
        assert t.render(v) == t.render(v, direct=False), name
    # a character outside the subset is refused by both ways (the writer then falls back)
    v = proof_values(composed[0], make_numbered("Σωκράτης", country, language), "b", SHA, "d")
    t = writer.template(v.lang, v.page, (80.0, 24.0))
    for direct in (True, False):
        with pytest.raises(NotInTemplate):
            t.render(v, direct)


def test_deflate_run_cache_gives_the_same_bytes(composed):
    import zlib

    from plaquegen.proof.page import form_ops

    for plaque in composed:
        ops = ["q", *form_ops(plaque), "Q"]
        a = deflate_ops(ops)
        assert deflate_ops(ops, cache_runs=True) == a == deflate_ops(ops, cache_runs=True)
        assert zlib.decompress(a).decode("latin-1") == "\n".join(ops) + "\n"


BATCH = [("Jörg Müller", "DE", ""), ("Σωκράτης Παπαδόπουλος", "US", ""),
         ("Noa שלום Cohen", "GB", "de"), ("محمد علي", "CA", ""), (LONG, "AT", "")]


@pytest.mark.skipif(not (PDFTOPPM and PDFTOTEXT and QPDF), reason="poppler-utils/qpdf not installed")
def test_batch_writer_covers_the_batch(tmp_path, composed):
    """One font subset of exactly the batch's characters: every proof of the batch comes from
    a template (Greek, Hebrew, Arabic too), renders like the reference and is smaller."""
    import re

    from PIL import ImageChops

    import plaquegen.proof.writer as pw

    cars = [make_numbered(name, country, language) for name, country, language in BATCH]
    default = pw.default_writer()
    writer = batch_writer(cars, (80.0, 24.0), "2025-09-a")
    assert pw.default_writer() is default  # a batch never changes what other callers get
    built = set(writer._templates)
    plain = ProofWriter()

    def check(i, plaque, n):
        args = (plaque, n, "2025-09-a", SHA, "2025-09-14")
        fast, ref = render_proof(*args, writer=writer), render_proof_reportlab(*args)
        a, b = pixels(fast, tmp_path, f"f{i}"), pixels(ref, tmp_path, f"r{i}")
        assert ImageChops.difference(a, b).getbbox() is None, n.order.name
        assert pdftotext(fast, tmp_path) == pdftotext(ref, tmp_path)
        f = tmp_path / "c.pdf"
        f.write_bytes(fast)
        res = subprocess.run([QPDF, "--check", str(f)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout
        assert read_proof(fast) == read_proof(ref)
        return fast, args

    for i, n in enumerate(cars):
        fast, args = check(i, composed[i % len(composed)], n)
        assert not re.search(rb"/F\d+\+1 ", fast)  # one subset, not the default's two
        if i == 0:
            assert len(fast) < 0.7 * len(plain.render(*args))
    assert writer.stats == {"template": 5, "fallback": 0, "reference": 0}
    assert set(writer._templates) == built  # every template was built up front
    # owners the batch did not announce: the default subset, then the reference writer
    check(10, composed[0], make_numbered("Łukasz Dvořák", "DE", ""))
    check(11, composed[1], make_numbered("Ἀριστοτέλης Ⅻ", "US", ""))
    assert writer.stats == {"template": 5, "fallback": 1, "reference": 1}
    assert pw.batch_repertoire(cars[:1]) == "".join(sorted(
        set(pw.batch_repertoire([])) | set("Jörg Müller")))
