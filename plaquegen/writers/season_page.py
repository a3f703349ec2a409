"""The season page: one static HTML file (CSS, a little script and the charts inline) of every
plaque and where it stands; the same writer makes a batch's own page.

Offline by construction: no CDN, no font, no request but the thumbnails and links, which are
relative paths inside the output folder (zip the folder, it still works). The thumbnail of a
plaque is its engrave file itself (``<img src="engrave/....svg" loading="lazy">``): the very
geometry the shop engraves, drawn by the browser on a steel-grey plate, at no cost to the page's
weight. Each row is ``<div class="r" data-vin data-state ...>`` with the state one of
core.overview.STATES, so scripts and tests can read the page.

Everything from an order cell or an owner (names, order ids, answer texts, batch ids) is
escaped, names sit in ``<bdi>`` so right-to-left text cannot reorder the row, and the page's
Content-Security-Policy runs only its own script and style (by hash): no injected handler runs.
"""
from __future__ import annotations

import re
from html import escape
from typing import Sequence
from urllib.parse import quote

from ..core.overview import STATE_HELP, STATES, BatchSummary, PlaqueRow, Season, Step
from .season_assets import CSS, SCRIPT, csp_hash
from .season_chart import answers_chart, countries_chart

__all__ = ["season_page", "season_pages", "PAGE_NAME", "STEP_LABELS"]

PAGE_NAME = "index.html"
STEP_LABELS = {"issued": "issued", "reprint": "issued again", "remade": "made again",
               "sent": "sent", "reminded": "reminded", "answer": "answer",
               "released": "released", "unreleased": "taken back", "delivered": "delivered",
               "withdrawn": "withdrawn", "renumbered": "renumbered"}
_LONG = 140  # longer answer texts are cut on the page (the full text is in the tooltip)
_CSP = (f"default-src 'none'; img-src 'self' file: data:; style-src {csp_hash(CSS)}; "
        f"script-src {csp_hash(SCRIPT)}; base-uri 'none'; form-action 'none'")


_SPECIAL = re.compile(r"[&<>\"'\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_P = "\x01"  # where a row's links take the batch folder (the season page) or nothing (its own)


def _e(text: object) -> str:
    """Text or an attribute value, escaped (quotes too); control characters become U+FFFD."""
    s = str(text)
    if not _SPECIAL.search(s):
        return s
    return escape(_CONTROL.sub("\ufffd", s), quote=True)


def _href(*parts: str) -> str:
    return _e("/".join(quote(p, safe="/") for p in parts if p))


def _cut(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _LONG:
        return _e(text)
    return f'<span title="{_e(text)}">{_e(text[:_LONG - 1])}…</span>'


def _how(source: str) -> str:
    """How an answer came, in a word or two: the file's name says little to a reader."""
    low = source.casefold()
    if low.startswith("by hand") or not source:
        return source
    if "imap" in low or ".eml" in low or ".mbox" in low or "mail" in low:
        return "by mail"
    return "proof PDF" if low.endswith(".pdf") or ".pdf" in low else source


def _step(s: Step) -> str:
    day = _e(s.at[:10])
    if s.kind == "answer":
        decision, _, changes = s.what.partition(": ")
        text = f"<i>{_e(decision or 'answer')}</i> {day}"
        if changes:
            text += f": <q>{_cut(changes)}</q>"
        how = _how(s.how)
        return text + (f" <small>{_cut(how)}</small>" if how else "")
    if s.kind == "delivered":
        how = {"handover": "handed over", "post": "posted"}.get(s.what, s.what or "delivered")
        return f"<i>{_e(how)}</i> {day}" + (f" <small>{_cut(s.how)}</small>" if s.how else "")
    text = f"<i>{_e(STEP_LABELS.get(s.kind, s.kind))}</i> {day}"
    if s.kind in ("withdrawn", "remade", "renumbered") and s.what:
        text += f" <small>{_cut(s.what)}</small>"
    return text


def _vin(vin: str) -> str:
    return f"{_e(vin[:-7])}<b>{_e(vin[-7:])}</b>" if len(vin) > 7 else _e(vin)


def _row(r: PlaqueRow) -> str:
    """One plaque row; its links start with the marker _P (see :func:`season_pages`)."""
    engrave = _P + _href(r.engrave) if r.engrave else ""
    thumb = (f'<img src="{engrave}" alt="" loading=lazy>' if engrave
             else '<span class=noimg>no file</span>')
    steps = " · ".join(_step(s) for s in r.steps)
    if r.note:
        steps += f' <span class=note>{_cut(r.note)}</span>'
    links = []
    if r.proof:
        links.append(f'<a href="{_P}{_href(r.proof)}">proof</a>')
    if engrave:
        links.append(f'<a href="{engrave}">engrave</a>')
    order = f'<small>{_e(r.order_id)}</small>' if r.order_id else ""
    state = _e(r.state)
    return (f'<div class=r data-vin="{_e(r.vin)}" data-state="{state}" data-batch="{_e(r.batch_id)}"'
            f' data-n={int(r.number)}>{thumb}<span class=n>{_e(r.label.split(" /")[0])}</span>'
            f'<span class=v>{_vin(r.vin)}</span><span class=o><bdi>{_e(r.name)}</bdi>{order}</span>'
            f'<span class=c>{_e(r.country)}</span><span class=b>{_e(r.batch_id)}</span>'
            f'<span class="s {state}">{state}</span><span class=f>{" ".join(links)}</span>'
            f'<span class=d>{steps}</span></div>')


def _counts(rows: Sequence[PlaqueRow]) -> str:
    n = {s: 0 for s in STATES}
    for r in rows:
        n[r.state] = n.get(r.state, 0) + 1
    return "".join(
        f'<button type="button" data-s="{s}" title="{_e(STATE_HELP[s])}" aria-pressed="false">'
        f'<span class="dot {s}"></span>{s}<b>{n[s]}</b></button>' for s in STATES)


def _batches(batches: Sequence[BatchSummary], season_page: bool) -> str:
    head = ("<tr><th>batch</th><th class=opt>made on</th><th>made</th><th>sent</th>"
            "<th>approved</th><th>changes</th><th>released</th><th>delivered</th>"
            "<th class=opt>files</th></tr>")
    body = []
    for b in batches:
        prefix = b.batch_id if season_page else ""
        name = _e(b.batch_id)
        if b.folder and season_page:
            name = f'<a href="{_href(prefix, PAGE_NAME)}">{name}</a>'
        files = ""
        if b.folder:
            files = (f'<a href="{_href(prefix, "job-sheet.pdf")}">job sheet</a> '
                     f'<a href="{_href(prefix, "manifest.csv")}">manifest</a>')
            if b.released:
                files += f' <a href="{_href(prefix, "released", "job-sheet.pdf")}">released</a>'
        note = f' <small class="note">{_e(b.note)}</small>' if b.note else ""
        body.append(f"<tr><td>{name}{note}</td><td class=opt>{_e(b.created_at[:10])}</td>"
                    f"<td>{b.made}</td><td>{b.sent}</td><td>{b.approved}</td><td>{b.changes}</td>"
                    f"<td>{b.released}</td><td>{b.delivered}</td><td class=\"l opt\">{files}</td></tr>")
    return f'<div class="wide"><table class="batches">{head}{"".join(body)}</table></div>'


def _tools(batches: Sequence[BatchSummary], season_page: bool) -> str:
    states = "".join(f'<option value="{s}">{s}</option>' for s in STATES)
    pick = ""
    if season_page and len(batches) > 1:
        pick = ('<select id="fbatch" aria-label="batch"><option value="">every batch</option>'
                + "".join(f'<option value="{_e(b.batch_id)}">{_e(b.batch_id)}</option>'
                          for b in batches) + "</select>")
    return ('<div class="tools"><input id="q" type="search" placeholder="VIN, short VIN, name, '
            'number or order" aria-label="search" autocomplete="off">'
            f'<select id="fstate" aria-label="state"><option value="">every state</option>{states}'
            f'</select>{pick}<select id="sort" aria-label="sort by">'
            + "".join(f'<option value="{k}">sort: {t}</option>' for k, t in _SORTS)
            + '</select><span id="shown"></span></div>')


_HEAD_ROW = ('<div class="r h"><span>plaque</span>' + "".join(
    f'<span class={cls}><button type=button data-k="{key}">{label}</button></span>'
    for cls, key, label in (("n", "n", "No."), ("v", "vin", "VIN"), ("o", "name", "owner"),
                            ("c", "country", "ctry"), ("b", "batch", "batch"),
                            ("s", "state", "state"))) + "<span class=f>files</span></div>")
_SORTS = (("", "batch, then number"), ("n", "number"), ("-n", "number, highest first"),
          ("vin", "VIN"), ("name", "owner"), ("country", "country"), ("state", "state"),
          ("-t", "latest step first"))


def season_pages(season: Season) -> dict[str | None, str]:
    """Every page: None -> the season page (links relative to the output folder), each batch
    with a folder -> its own page (links relative to the batch folder). Each row is made once."""
    made: dict[str, list[str]] = {}
    for r in season.rows:
        made.setdefault(r.batch_id, []).append(_row(r))
    pages = {None: _page(season, None, "\n".join(
        row.replace(_P, _href(b) + "/") for b, rows in made.items() for row in rows))}
    for b in season.batches:
        if b.folder:
            pages[b.batch_id] = _page(season, b.batch_id, "\n".join(
                row.replace(_P, "") for row in made.get(b.batch_id, [])))
    return pages


def season_page(season: Season, batch_id: str | None = None) -> str:
    """The HTML of the season page (``batch_id`` None) or of one batch's page."""
    rows = [r for r in season.rows if batch_id is None or r.batch_id == batch_id]
    prefix = "" if batch_id is not None else None
    return _page(season, batch_id, "\n".join(
        _row(r).replace(_P, prefix if prefix is not None else _href(r.batch_id) + "/")
        for r in rows))


def _page(season: Season, batch_id: str | None, listing: str) -> str:
    on_season = batch_id is None
    rows = season.rows if on_season else tuple(r for r in season.rows if r.batch_id == batch_id)
    batches = season.batches if on_season else tuple(b for b in season.batches
                                                     if b.batch_id == batch_id)
    title = f"{season.title}: the season at a glance" if on_season else f"Batch {batch_id}"
    sub = f"{len(rows)} plaque(s) in {len(batches)} batch(es)"
    if season.generated_at:
        sub += f"; the record as of {_e(season.generated_at.replace('T', ' ').replace('Z', ' UTC'))}"
    sub += "."
    up = "" if on_season else f' <a href="../{PAGE_NAME}">The whole season</a>.'
    demo = ('<p class="warn">Numbered with the bundled SYNTHETIC demo register, not BMW\'s '
            "production record.</p>") if season.demo else ""
    if not rows:
        listing = '<div class="empty">No plaques yet.</div>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
        f'<meta name="referrer" content="no-referrer"><title>{_e(title)}</title>'
        f'<style>{CSS}</style></head>\n<body><header><h1>{_e(title)}</h1><p class="sub">{sub}{up}'
        f'</p>{demo}<nav class="counts" aria-label="plaques per state">{_counts(rows)}</nav></header>'
        f'\n<main><section class="charts"><figure><figcaption>Answers over time</figcaption>'
        f'{answers_chart(rows)}</figure><figure><figcaption>Plaques per country</figcaption>'
        f'{countries_chart(rows)}</figure></section>\n<h2>Batches</h2>{_batches(batches, on_season)}'
        f'\n<h2>Plaques</h2>{_tools(batches, on_season)}{_HEAD_ROW}<div id="plaques">\n{listing}\n'
        f'</div></main>\n<script>{SCRIPT}</script></body></html>\n')
