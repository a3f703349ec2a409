"""A hostile order file on the season page (issue 25): markup, quotes, entities and right-to-left
marks in names, order ids and answer texts stay text, the page keeps its shape, nothing runs."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import read_csv
from helpers.browser import PHONE, chromium, open_page
from plaquegen.cli import main
from plaquegen.core.overview import STATES

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(2)</script>',
    "O'Brien \"the Boss\" & Söhne",
    "\u202eevil\u202c Müller",            # a right-to-left override
    "יעל כהן\u200f (Tel Aviv)",            # Hebrew with a right-to-left mark
    "محمد عبد الله",
    "</div></div><h1>broken</h1><div>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;",
    "javascript:alert(3)",
    "<svg onload=alert(4)>",
]


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    return r.exit_code, r.output


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, register):
    tmp = tmp_path_factory.mktemp("hostile")
    orders = tmp / "evil.csv"
    with open(orders, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["order_id", "vin", "name", "email", "country", "Street", "City"])
        for i, name in enumerate(HOSTILE):
            w.writerow([f"<b>{i}</b>\"'", register.by_number(100 + i).vin, name, "", "DE",
                        f"<i>{i} Main St</i>", "Zürich"])
    out = tmp / "output"
    code, text = run("batch", orders, "--out", out, "--workers", "1", "--no-proofs")
    assert code == 0, text
    folder = out / "evil"
    rows = read_csv(folder / "manifest.csv")
    code, text = run("answer", folder, rows[0]["vin"], "changes",
                     "<script>alert(5)</script> make it \u202ebig", "--by", "<b>phone</b>",
                     "--name", "\"><img src=y onerror=alert(6)>")
    assert code == 0, text
    return out, folder, {r["vin"]: r["name"] for r in read_csv(folder / "owners.csv")}


def test_hostile_cells_are_text_and_the_page_keeps_its_shape(hostile):
    out, folder, names = hostile
    with chromium() as browser:
        for page, viewport in ((out / "index.html", None), (folder / "index.html", PHONE)):
            o = open_page(browser, page, out, **({"viewport": viewport} if viewport else {}))
            shape = o.page.evaluate("""() => ({
                scripts: document.scripts.length, h1: document.querySelectorAll('h1').length,
                imgs: [...document.images].map(i => i.getAttribute('src')),
                svgs: document.querySelectorAll('svg').length,
                rows: [...document.querySelectorAll('.r[data-vin]')].map(r => [r.dataset.vin,
                    r.dataset.state, r.children.length, r.querySelector('bdi').textContent,
                    r.parentElement.id])})""")
            assert shape["scripts"] == 1 and shape["h1"] == 1 and shape["svgs"] == 2  # the charts
            assert all(src.startswith("engrave/") or src.startswith("evil/engrave/")
                       for src in shape["imgs"]), shape["imgs"]
            assert len(shape["rows"]) == len(HOSTILE)
            for vin, state, children, shown, parent in shape["rows"]:
                assert state in STATES and children == 9 and parent == "plaques"
                assert shown == names[vin]  # exactly the owner's name, as text
            text = o.page.inner_text("#plaques")
            assert "make it" in text and "<script>alert(5)</script>" in text
            o.page.fill("#q", "brien")
            o.page.wait_for_timeout(150)
            assert len(o.visible()) == 1
            assert not o.errors and not o.outside, (o.errors, o.outside)  # no alert() ran
            o.page.close()


def test_hostile_cells_never_reach_the_html_raw(hostile):
    out, folder, names = hostile
    for page in (out / "index.html", folder / "index.html"):
        html = page.read_text("utf-8")
        for bad in ("<img src=x", "<img src=y", "<script>alert", "<h1>broken", "<svg onload",
                    "<b>phone</b>", "<i>0 Main St</i>"):
            assert bad not in html, bad
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "\u202e" in html and "<bdi>\u202eevil\u202c Müller</bdi>" in html  # isolated
        assert "Content-Security-Policy" in html and "'unsafe-inline'" not in html
