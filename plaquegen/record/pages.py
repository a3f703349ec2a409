"""The season pages on disk: ``<out>/index.html`` (every batch, every plaque) and
``<out>/<batch>/index.html`` (one batch), rewritten from the ledger and the batch folders.

:func:`refresh_pages` is called by every command that changes state (the CLI does it once a
command has run, whatever its exit status: see cli/handover.py) and by ``plaquegen report``.
A page is written atomically and only when its bytes change, and the page says "as of" the
newest recorded step rather than the time it was written, so a command that changed nothing
leaves every file as it was.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from ..core.errors import PlaquegenError
from ..core.files import atomic_write_bytes
from ..writers.season_page import PAGE_NAME, season_pages
from .season_view import load_season

__all__ = ["PagesResult", "refresh_pages", "write_pages"]


@dataclass(frozen=True)
class PagesResult:
    season_page: Path
    pages: tuple[Path, ...]      # every page written or already up to date, season page first
    changed: tuple[Path, ...]    # the pages whose bytes changed
    plaques: int


def _put(path: Path, text: str, changed: list[Path]) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    atomic_write_bytes(path, data)
    changed.append(path)


def write_pages(out: str | os.PathLike, ledger: str | os.PathLike | None = None) -> PagesResult:
    """Write the season page into ``out`` and each batch's page into its folder; PlaquegenError
    (one sentence) when the ledger is missing or a page cannot be written."""
    out = Path(out)
    season = load_season(out, ledger)
    changed: list[Path] = []
    written = [out / PAGE_NAME]
    try:
        for batch_id, html in season_pages(season).items():
            page = out / PAGE_NAME if batch_id is None else out / batch_id / PAGE_NAME
            _put(page, html, changed)
            if batch_id is not None:
                written.append(page)
    except OSError as e:
        raise PlaquegenError(f"cannot write the season page {e.filename or out}: "
                             f"{e.strerror or e}.") from None
    return PagesResult(written[0], tuple(written), tuple(changed), len(season.rows))


def refresh_pages(out: str | os.PathLike, ledger: str | os.PathLike | None = None) -> str | None:
    """Rewrite the pages after a command changed state; None when done, else the one sentence
    why not (the command's own work is done and recorded either way: a page that could not be
    written never undoes it). Nothing happens without a ledger."""
    out = Path(out)
    path = Path(ledger) if ledger else out / "ledger.sqlite"
    if not path.is_file():
        return None
    try:
        write_pages(out, path)
    except PlaquegenError as e:
        return f"the season page was not updated: {e}"
    return None
