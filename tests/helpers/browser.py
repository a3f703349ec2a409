"""Debian's headless Chromium driven by Playwright (``playwright install`` cannot download a
browser here: the system one is launched), and what the season-page tests read from a page."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@contextmanager
def chromium():
    """A headless Chromium browser (the system's)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "chromium is not installed (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Opened:
    page: object
    folder: str                                   # file:// URL of the folder the page may use
    errors: list = field(default_factory=list)    # console errors, page errors, dialogs
    outside: list = field(default_factory=list)   # requests outside the folder
    failed: list = field(default_factory=list)    # requests that failed

    def rows(self) -> dict[str, str]:
        """VIN -> data-state of every plaque row."""
        return self.page.evaluate("Object.fromEntries([...document.querySelectorAll("
                                  "'.r[data-vin]')].map(r => [r.dataset.vin, r.dataset.state]))")

    def visible(self, key: str = "vin") -> list:
        """The rows shown, top to bottom as a person sees them (sorting moves rows with CSS
        order, not in the DOM): their VINs, or another data attribute."""
        return self.page.evaluate("""k => [...document.querySelectorAll('.r[data-vin]')]
            .filter(r => r.offsetParent !== null)
            .map(r => [r.getBoundingClientRect().top, r.dataset[k]])
            .sort((a, b) => a[0] - b[0]).map(x => x[1])""", key)

    def thumbnails(self) -> list[tuple[str, int]]:
        """(src, natural width) of every thumbnail, each loaded now (lazy ones too)."""
        return self.page.evaluate("""async () => Promise.all([...document.querySelectorAll(
            '.r img')].map(async i => { i.loading = 'eager';
              try { await i.decode(); } catch (e) { return [i.src, 0]; }
              return [i.src, i.naturalWidth]; }))""")


def open_page(browser, path: Path, folder: Path, viewport=DESKTOP, fragment: str = "") -> Opened:
    """Open ``path`` (a file) and record every console error, dialog and request outside
    ``folder``; wait until the page's script has run."""
    page = browser.new_page(viewport=viewport)
    o = Opened(page, Path(folder).resolve().as_uri() + "/")
    page.on("console", lambda m: o.errors.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: o.errors.append(f"page error: {e}"))
    page.on("dialog", lambda d: (o.errors.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: None if r.url.startswith(o.folder) else o.outside.append(r.url))
    page.on("requestfailed", lambda r: o.failed.append(r.url))
    page.goto(Path(path).resolve().as_uri() + fragment, wait_until="load")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    return o
