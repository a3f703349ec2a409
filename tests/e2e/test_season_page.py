"""The season at a glance (issue 25), end to end: a season played through the CLI as the admin
would (batch, send over a real SMTP server, answers as filled PDFs and by hand, a reminder,
release, a take-back, hand-over and post, a re-run that withdraws a plaque), then the pages
opened in headless Chromium at desktop and phone width, and the hand-out PDF read back with
qpdf and pdftotext."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import QPDF, PDFTOTEXT, read_csv as _csv
from helpers.browser import DESKTOP, PHONE, chromium, open_page
from helpers.mailservers import SmtpServer, make_certs
from plaquegen.cli import main
from plaquegen.record.ledger import Ledger
from test_approvals import fill

NAMES = ["Jürgen Müller", "Anneke de Vries", "Łukasz Kowalski", "Νίκος Παπαδόπουλος",
         "Emre Şahin", "יעל כהן", "Chloé Tremblay", "Sven Ødegård", "Sam O'Brien", "Tomáš Dvořák"]


def run(*args, env=None):
    r = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return r.exit_code, r.output


def _orders(path: Path, cars, emails=True) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Bestell-Nr", "FIN", "Name", "E-Mail", "Land", "Straße", "PLZ", "Ort"])
        for i, car in enumerate(cars):
            w.writerow([f"{path.stem}-{i}", car.vin, NAMES[i % len(NAMES)],
                        f"owner{i}@example.org" if emails and i != 7 else "",
                        ("DE", "NL", "PL", "GR", "TR", "IL", "CA", "NO", "IE", "CZ")[i % 10],
                        f"Ringstraße {i + 1}", f"5{i:04d}", "Nürburg"])
    return path


def _later(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def season(tmp_path_factory, register):
    """The season: (output folder, batch A, batch B, A's VINs, B's VINs, expected states)."""
    tmp = tmp_path_factory.mktemp("season")
    out = tmp / "output"
    cars = [register.by_number(n) for n in (3, 17, 88, 462, 640, 1000, 2045, 2500, 3101, 4000)]
    a = _orders(tmp / "2026-05.csv", cars)
    code, text = run("batch", a, "--out", out, "--workers", "2")
    assert code == 0, text
    A = out / "2026-05"
    v = [r["vin"] for r in _csv(A / "manifest.csv")]
    assert v == [c.vin for c in cars]
    proofs = {r["vin"]: A / r["proof"] for r in _csv(A / "manifest.csv")}

    certs = make_certs(tmp / "certs")
    with SmtpServer(certs) as srv:
        send = ("send", A, "--from", "plaques@register.example", "--smtp", f"127.0.0.1:{srv.port}",
                "--ca-file", certs.ca)
        code, text = run(*send)
        assert code == 3 and f"deliver by hand: {v[7]}" in text, text  # no e-mail address
        for k in (0, 1, 2, 3):
            fill(proofs[v[k]], tmp / "in" / f"{k}.pdf", approve=True, name=NAMES[k])
        fill(proofs[v[4]], tmp / "in" / "4.pdf", changes="a bigger number, please")
        code, text = run("approvals", A, tmp / "in")
        assert code == 0, text
        assert run("answer", A, v[5], "approve", "--by", "phone, 14 May")[0] == 0
        code, text = run(*send, "--remind", "--after", "3", env={"PLAQUEGEN_NOW": _later(4)})
        assert code == 0 and "3 reminder(s) sent" in text, text  # v6, v8, v9: sent, no answer
        code, text = run(*send, "--again", v[9], env={"PLAQUEGEN_NOW": _later(5)})
        assert code == 3 and "1 proof(s) sent" in text, text  # (v7 is still to deliver by hand)
    code, text = run("release", A, "--workers", "1")
    assert code == 0 and "Released 5 approved plaque(s)" in text, text
    # a take-back: the owner of v3 changes their mind after the release
    assert run("answer", A, v[3], "changes", "the other font", "--by", "phone")[0] == 0
    assert run("answer", A, v[8], "approve", "--by", "at the desk")[0] == 0  # approved, not released
    code, text = run("deliver", A, v[0][-7:], "--by", "handover", "--note", "collected by his son")
    assert code == 0, text
    code, text = run("deliver", A, v[1], "--by", "post", "--tracking", "RR123456785DE")
    assert code == 0, text

    cars_b = [register.by_number(n) for n in (5000, 5230, 6309)]
    b = _orders(tmp / "2026-06.csv", cars_b)
    assert run("batch", b, "--out", out, "--workers", "1", "--no-proofs")[0] == 0
    _orders(b, cars_b[:2])  # the third order was cancelled: a re-run withdraws its plaque
    code, text = run("batch", b, "--out", out, "--workers", "1", "--no-proofs")
    assert code == 0 and "1 withdrawn" in text, text
    B = out / "2026-06"
    w = [c.vin for c in cars_b]
    expected = {v[0]: "delivered", v[1]: "delivered", v[2]: "released", v[3]: "changes",
                v[4]: "changes", v[5]: "released", v[6]: "reminded", v[7]: "waiting",
                v[8]: "approved", v[9]: "sent", w[0]: "waiting", w[1]: "waiting",
                w[2]: "withdrawn"}
    return out, A, B, v, w, expected


def test_refused_deliveries_say_why(season):
    out, A, B, v, w, expected = season
    code, text = run("deliver", A, v[4], "--by", "handover")
    assert code == 3 and "its owner asked for changes: it was never released" in text, text
    code, text = run("deliver", A, v[3], "--by", "handover")
    assert code == 3 and "taken back from the shop" in text, text
    code, text = run("deliver", A, v[7], v[0], "--by", "handover")
    assert code == 3 and "never released to the shop" in text and "already delivered" in text
    code, text = run("deliver", B, w[2], "--by", "post")
    assert code == 3 and "withdrawn" in text, text
    code, text = run("deliver", A, v[2], "--by", "handover", "--tracking", "X1")
    assert code == 1 and "tracking number goes with --by post" in text
    with Ledger(out / "ledger.sqlite") as led:
        got = {e.vin: (e.source, e.detail) for e in led.events() if e.kind == "delivered"}
    assert got == {v[0]: ("handover", "collected by his son"), v[1]: ("post", "tracking RR123456785DE")}


def test_status_and_ledger_show_owner_dates_and_deliveries(season):
    out, A, B, v, w, expected = season
    code, text = run("status", A)
    assert code == 0, text
    line = next(ln for ln in text.splitlines() if v[1] in ln)
    assert "Anneke de Vries" in line and "post" in line and line.count(datetime.now().strftime("%Y")) >= 3
    line = next(ln for ln in text.splitlines() if v[6] in ln)  # sent, then reminded 4 days later
    assert _later(0)[:10] in line and _later(4)[:10] in line
    assert "2 delivered" in text and "the other font" in text
    code, text = run("ledger", "--ledger", out / "ledger.sqlite")
    assert code == 0, text
    summary = {ln.split()[0]: ln.split()[1:] for ln in text.split("Season:")[1].splitlines()[1:]}
    # made, sent, approved, changes, released, delivered
    assert summary["2026-05"] == ["10", "9", "5", "2", "4", "2"], text
    assert summary["2026-06"] == ["2", "0", "0", "0", "0", "0"], text


def _look(opened, name: str) -> None:
    """Keep a screenshot for a person to look at (PLAQUEGEN_SHOTS=folder keeps them)."""
    folder = os.environ.get("PLAQUEGEN_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        opened.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_season_page_in_chromium(season):
    out, A, B, v, w, expected = season
    with chromium() as browser:
        for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            o = open_page(browser, out / "index.html", out, viewport)
            assert o.rows() == expected  # the states match the ledger over the season
            thumbs = o.thumbnails()
            assert len(thumbs) == len(expected) - 1  # the withdrawn plaque has no file
            assert all(width > 0 for _, width in thumbs), thumbs
            for state in sorted(set(expected.values())):
                o.page.select_option("#fstate", state)
                assert sorted(o.visible()) == sorted(k for k, s in expected.items() if s == state)
                assert o.page.inner_text("#shown").startswith(
                    f"{sum(s == state for s in expected.values())} of {len(expected)}")
            o.page.select_option("#fstate", "")
            o.page.select_option("#fbatch", "2026-06")
            assert sorted(o.visible()) == sorted(w)
            o.page.select_option("#fbatch", "")
            o.page.fill("#q", v[2][-7:].lower())  # the short VIN, as an owner types it
            o.page.wait_for_timeout(200)
            assert o.visible() == [v[2]]
            o.page.fill("#q", "kowalski")
            o.page.wait_for_timeout(200)
            assert o.visible() == [v[2]]
            o.page.fill("#q", "0462")
            o.page.wait_for_timeout(200)
            assert o.visible() == [v[3]]
            o.page.fill("#q", "")
            o.page.wait_for_timeout(200)
            assert len(o.visible()) == len(expected)
            _look(o, f"season-{label}")
            assert not o.errors and not o.outside and not o.failed, (o.errors, o.outside, o.failed)
            o.page.close()


def _fold(text: str) -> str:  # as the page's script folds names: accents off, lower case
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def test_sorting_and_a_bookmarked_filter(season):
    out, A, B, v, w, expected = season
    with chromium() as browser:
        o = open_page(browser, out / "index.html", out)
        o.page.click(".h button[data-k=n]")
        o.page.click(".h button[data-k=n]")  # again: descending
        numbers = [int(n) for n in o.visible("n")]
        assert numbers == sorted(numbers, reverse=True) and len(numbers) == len(expected)
        o.page.click(".h button[data-k=name]")
        names = [o.page.evaluate(f"document.querySelector('.r[data-vin={vin}] bdi').textContent")
                 for vin in o.visible()]
        assert names == sorted(names, key=_fold) and names[0] == ""  # the withdrawn one: no name
        o.page.select_option("#fstate", "released")
        url = o.page.url
        assert url.endswith("#state=released&sort=name"), url
        again = open_page(browser, out / "index.html", out, fragment="#" + url.split("#")[1])
        released = sorted(k for k, s in expected.items() if s == "released")
        assert sorted(again.visible()) == released
        assert again.page.input_value("#fstate") == "released"
        assert not o.errors and not again.errors, (o.errors, again.errors)


def test_batch_pages_and_a_zipped_copy(season, tmp_path):
    out, A, B, v, w, expected = season
    archive = tmp_path / "season.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in out.rglob("*"):
            z.write(p, p.relative_to(out.parent))
    elsewhere = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as z:
        z.extractall(elsewhere)
    copy = elsewhere / out.name
    with chromium() as browser:
        for page, mine in ((copy / "index.html", expected),
                           (copy / A.name / "index.html", {k: s for k, s in expected.items() if k in v}),
                           (copy / B.name / "index.html", {k: s for k, s in expected.items() if k in w})):
            o = open_page(browser, page, copy)
            assert o.rows() == mine
            assert all(width > 0 for _, width in o.thumbnails())
            links = o.page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
            assert links and all(h.startswith(o.folder) for h in links), links
            missing = [h for h in links if not Path(h[7:].split("#")[0]).exists()]
            assert not missing, missing
            assert not o.errors and not o.outside and not o.failed, (o.errors, o.outside)
            o.page.close()


def test_handout_lists_exactly_the_released_plaques(season, tmp_path):
    out, A, B, v, w, expected = season
    code, text = run("handout", A, "--event", "Nürburgring meeting 2026")
    assert code == 0, text
    pdf = A / "handout.pdf"
    check = subprocess.run([QPDF, "--check", pdf], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    txt = subprocess.run([PDFTOTEXT, "-layout", pdf, "-"], capture_output=True, text=True).stdout
    released = {k for k, s in expected.items() if s == "released"}
    listed = {vin for vin in expected if vin in txt}
    assert listed == released, (listed, released)
    desk, _, post = txt.partition("To post")
    assert all(desk.count(vin) == 1 and post.count(vin) == 1 for vin in released)
    assert "Nürburgring meeting 2026" in desk and "Signature" in desk
    assert "Ringstraße 3" in post and "Ringstraße 6" in post  # the order file's address columns
    assert "Łukasz Kowalski" in desk and ("יעל כהן" in desk or "יעל כהן"[::-1] in desk)
    assert desk.index(v[2]) < desk.index(v[5])  # by surname: Kowalski, then כהן
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "60", "-png", pdf, tmp_path / "page"], check=True)
        assert sorted(tmp_path.glob("page*.png"))
