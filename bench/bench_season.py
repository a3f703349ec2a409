"""Benchmark the season page: python bench/bench_season.py [-n N] [--batches B] [--runs R]

Makes a season of N plaques (default every customer car of the demo register, 6,309) in B
batches (real batches without proofs, so every thumbnail is a real engrave file), plays it
forward through the library (sends, reminders, answers over twelve weeks, a release per batch,
deliveries), then measures:

- writing the pages (the refresh every state-changing command does): median of R runs;
- the season page's weight (bytes, and gzip'd as a zip would hold it);
- in headless Chromium (Debian's chromium driven by Playwright): time to first contentful
  paint, to DOMContentLoaded and to load; filtering by a state, searching a short VIN and
  sorting by owner (each until the next frame is drawn); with a desktop viewport.

Exit 1 if the page has a console error or a request outside the output folder.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plaquegen.core.clock import format_utc  # noqa: E402
from plaquegen.inputs.register import load_register  # noqa: E402
from plaquegen.pipeline.batch import BatchOptions, run_batch  # noqa: E402
from plaquegen.pipeline.deliver import deliver  # noqa: E402
from plaquegen.pipeline.release import release  # noqa: E402
from plaquegen.record.ledger import Event, Ledger  # noqa: E402
from plaquegen.record.pages import write_pages  # noqa: E402

COUNTRIES = ("DE", "DE", "DE", "CH", "AT", "NL", "BE", "GB", "FR", "IT", "PL", "SE", "US", "ES", "GR")
NAMES = ("Jürgen Müller", "Łukasz Kowalski", "Νίκος Παπαδόπουλος", "יעל כהן", "Anneke de Vries",
         "Sven Ødegård", "Chloé Tremblay", "O'Brien, Sam", "Emre Şahin", "Tomáš Dvořák")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]


def make_season(out: Path, n: int, batches: int) -> None:
    cars = load_register().customers()[:n]
    per = -(-len(cars) // batches)
    for b in range(batches):
        part = cars[b * per:(b + 1) * per]
        if not part:
            break
        orders = out.parent / f"2026-{b + 3:02d}.csv"
        with open(orders, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(("order_id", "vin", "name", "email", "country", "Straße", "PLZ", "Ort"))
            for i, car in enumerate(part):
                k = b * per + i
                w.writerow((f"S-{k + 1:05d}", car.vin, f"{NAMES[k % len(NAMES)]} {k}",
                            f"o{k}@example.org", COUNTRIES[k % len(COUNTRIES)],
                            f"Ringstraße {k % 90 + 1}", 10000 + k, "Nürburg"))
        os.environ["PLAQUEGEN_NOW"] = _at(b, 0)
        run_batch(BatchOptions(orders=orders, out=out, proofs=False, workers=os.cpu_count() or 1))
        _play(out, orders.stem, b)
    os.environ.pop("PLAQUEGEN_NOW", None)


def _at(b: int, days: float) -> str:
    """Batch b's season: made on 2 March (+ b months), then ``days`` later."""
    start = datetime(2026, 3 + b % 9, 2, 9, 0, tzinfo=timezone.utc)
    return format_utc(start + timedelta(days=days))


def _play(out: Path, batch_id: str, b: int) -> None:
    """Sends, reminders and answers spread over twelve weeks, a release, deliveries."""
    at = lambda days: _at(b, days)  # noqa: E731
    with Ledger(out / "ledger.sqlite") as led:
        issues = led.issues(batch_id=batch_id)
        led.add_events([Event(at(1), i.vin, batch_id, "sent", i.svg_sha256, i.number)
                        for k, i in enumerate(issues) if k % 10])
        led.add_events([Event(at(9), i.vin, batch_id, "reminded", i.svg_sha256, i.number)
                        for k, i in enumerate(issues) if k % 10 and k % 3 == 0])
        answers = [Event(at(2 + k % 80), i.vin, batch_id, "answer", i.svg_sha256, i.number,
                         decision="changes requested" if k % 13 == 0 else "approved",
                         owner_at=at(2 + k % 80), changes="bigger number" if k % 13 == 0 else None,
                         source=f"{i.number:04d}_{i.vin}.pdf")
                   for k, i in enumerate(issues) if k % 10 and k % 4]
        led.record_answers(batch_id, answers)
    folder = out / batch_id
    if answers:
        os.environ["PLAQUEGEN_NOW"] = at(84)
        release(folder, None, workers=os.cpu_count() or 1)
        approved = [a.vin for a in answers if a.decision == "approved"]
        os.environ["PLAQUEGEN_NOW"] = at(110)
        deliver(folder, approved[::2], "handover")


def browser_figures(page_path: Path) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    folder = page_path.parent.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(folder) else problems.append(r.url))
        t0 = time.perf_counter()
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        out["goto_load_s"] = time.perf_counter() - t0
        page.wait_for_function("document.documentElement.dataset.ready === '1'")
        nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                            " const p = performance.getEntriesByName('first-contentful-paint')[0];"
                            " return {fcp: p ? p.startTime : -1, dcl: n.domContentLoadedEventEnd,"
                            " load: n.loadEventEnd}; })()")
        out.update({k: v / 1000 for k, v in nav.items()})
        out["filter_s"] = _timed(page, "fs.value='delivered';fs.dispatchEvent(new Event('change'));",
                                 "const fs=document.getElementById('fstate');")
        out["filter_shown"] = page.evaluate("document.querySelectorAll('.r[data-vin]:not([hidden])').length")
        out["all_s"] = _timed(page, "fs.value='';fs.dispatchEvent(new Event('change'));",
                              "const fs=document.getElementById('fstate');")
        vin = page.evaluate("document.querySelector('.r[data-vin]').dataset.vin")
        out["search_s"] = _timed(page, f"q.value='{vin[-7:]}';q.dispatchEvent(new Event('input'));",
                                 "const q=document.getElementById('q');", wait_ms=150)
        out["search_shown"] = page.evaluate("document.querySelectorAll('.r[data-vin]:not([hidden])').length")
        page.evaluate("(() => {const q=document.getElementById('q');q.value='';"
                      "q.dispatchEvent(new Event('input'));})()")
        page.wait_for_timeout(300)
        out["sort_s"] = _timed(page, "b.click();", "const b=document.querySelector('.h button[data-k=name]');")
        out["problems"] = problems
        browser.close()
    return out


def _timed(page, action: str, setup: str, wait_ms: int = 0) -> float:
    """Seconds from the action to the frame after it (rAF + a task), minus any debounce."""
    ms = page.evaluate(f"""async () => {{ {setup}
        const t0 = performance.now(); {action}
        await new Promise(r => setTimeout(r, {wait_ms}));
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
        return performance.now() - t0 - {wait_ms}; }}""")
    return ms / 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=6309, help="plaques in the season (default 6,309)")
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="make the season in this folder and keep it")
    args = ap.parse_args()
    tmp = None
    if args.keep:
        base = args.keep
        base.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="plaquegen-bench-season-")
        base = Path(tmp.name)
    try:
        out = base / "output"
        t0 = time.perf_counter()
        if not (out / "ledger.sqlite").exists():  # --keep FOLDER again: the season made before
            make_season(out, args.n, args.batches)
        made = time.perf_counter() - t0
        times = []
        for _ in range(args.runs):
            (out / "index.html").unlink(missing_ok=True)
            t1 = time.perf_counter()
            result = write_pages(out)
            times.append(time.perf_counter() - t1)
        page = out / "index.html"
        raw = page.read_bytes()
        print(f"season: {result.plaques} plaques in {len(result.pages) - 1} batches "
              f"(made and played in {made:.1f} s)")
        print(f"write the pages (season + batch pages): median {statistics.median(times):.3f} s "
              f"({', '.join(f'{t:.3f}' for t in times)})")
        print(f"season page: {len(raw) / 1e6:.2f} MB, gzip {len(gzip.compress(raw)) / 1e6:.2f} MB "
              f"({len(raw) / max(1, result.plaques):.0f} bytes per plaque)")
        if shutil.which("chromium"):
            f = browser_figures(page)
            print(f"chromium: first contentful paint {f['fcp']:.3f} s, DOMContentLoaded "
                  f"{f['dcl']:.3f} s, load {f['load']:.3f} s (goto..load {f['goto_load_s']:.3f} s)")
            print(f"chromium: filter by state {f['filter_s'] * 1000:.0f} ms ({f['filter_shown']} shown), "
                  f"back to all {f['all_s'] * 1000:.0f} ms, search a short VIN {f['search_s'] * 1000:.0f} ms "
                  f"({f['search_shown']} shown), sort by owner {f['sort_s'] * 1000:.0f} ms")
            if f["problems"]:
                print(f"PROBLEMS: {f['problems'][:5]}")
                return 1
        else:
            print("chromium not installed: browser figures skipped")
        return 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
