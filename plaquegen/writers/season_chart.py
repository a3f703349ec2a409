"""The season page's charts as inline SVG (no script, no external reference): the answers over
time (approvals and change requests per week, with the plaques handed over) and the plaques per
country. Every label is escaped; colours are presentation attributes (the page's CSP allows no
inline style attribute)."""
from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Sequence

from ..core.overview import PlaqueRow

__all__ = ["answers_chart", "countries_chart", "COLOURS"]

COLOURS = {"waiting": "#8a94a0", "sent": "#2f6fb3", "reminded": "#7a4fb5", "approved": "#2e8540",
           "changes": "#c2571a", "released": "#0f7b7b", "delivered": "#1f5130",
           "withdrawn": "#a3a3a3"}
_W, _H = 440, 190


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _week(day: str) -> date | None:
    try:
        d = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return d - timedelta(days=d.weekday())


def _weekly(rows: Sequence[PlaqueRow]) -> dict[date, list[int]]:
    """Monday -> [approvals, change requests, deliveries] of that week."""
    weeks: dict[date, list[int]] = {}
    for r in rows:
        for s in r.steps:
            if s.kind not in ("answer", "delivered"):
                continue
            w = _week(s.at)
            if w is None:
                continue
            i = 2 if s.kind == "delivered" else (0 if s.what.startswith("approved") else 1)
            weeks.setdefault(w, [0, 0, 0])[i] += 1
    return weeks


def answers_chart(rows: Sequence[PlaqueRow]) -> str:
    """Per week: approvals (green) and change requests (orange) stacked, deliveries beside."""
    weeks = _weekly(rows)
    if not weeks:
        return _empty("No answers yet.")
    first, last = min(weeks), max(weeks)
    n = (last - first).days // 7 + 1
    if n > 104:  # more than two years: the last two
        first, n = last - timedelta(weeks=103), 104
    top = max(max(a + c, d) for a, c, d in weeks.values()) or 1
    left, bottom, plot_h = 34, 24, _H - 24 - 24  # the legend above the plot
    slot = (_W - left - 6) / n
    bar = min(22.0, max(1.0, slot * 0.42))
    out = [_axis(left, bottom, top, plot_h)]
    for k in range(n):
        w = first + timedelta(weeks=k)
        a, c, d = weeks.get(w, (0, 0, 0))
        x = left + k * slot + slot * 0.06
        y0 = _H - bottom
        for value, colour, dx, base in ((a, COLOURS["approved"], 0, 0), (c, COLOURS["changes"], 0, a),
                                        (d, COLOURS["delivered"], bar, 0)):
            if value:
                h = value / top * plot_h
                y = y0 - base / top * plot_h - h
                out.append(f'<rect x="{x + dx:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                           f'fill="{colour}"><title>week of {w.isoformat()}: {value}</title></rect>')
        if n <= 6 or k % -(-n // 6) == 0:
            out.append(f'<text x="{x:.1f}" y="{_H - 8}">{_e(w.strftime("%d %b"))}</text>')
    legend = [("approved", COLOURS["approved"]), ("changes requested", COLOURS["changes"]),
              ("delivered", COLOURS["delivered"])]
    out += [f'<rect x="{left + x}" y="2" width="10" height="10" fill="{c}"/>'
            f'<text x="{left + x + 14}" y="11">{_e(t)}</text>'
            for x, (t, c) in zip((0, 84, 222), legend)]
    return _svg("Answers and deliveries per week", "".join(out))


def _axis(left: int, bottom: int, top: int, plot_h: float) -> str:
    y0 = _H - bottom
    ticks = sorted({0, top // 2, top})
    parts = [f'<line x1="{left}" y1="{y0}" x2="{_W - 4}" y2="{y0}" stroke="#b9c1ca"/>']
    for t in ticks:
        y = y0 - t / top * plot_h
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t}</text>')
        if t:
            parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{_W - 4}" y2="{y:.1f}" '
                         'stroke="#eceff2"/>')
    return "".join(parts)


def countries_chart(rows: Sequence[PlaqueRow], shown: int = 12) -> str:
    """Plaques per owner's country (withdrawn ones left out), largest first."""
    counts: dict[str, int] = {}
    for r in rows:
        if r.state != "withdrawn":
            key = r.country or "unknown"
            counts[key] = counts.get(key, 0) + 1
    if not counts:
        return _empty("No plaques yet.")
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > shown:
        rest = sum(v for _, v in ranked[shown - 1:])
        ranked = ranked[:shown - 1] + [(f"{len(counts) - shown + 1} more", rest)]
    top = ranked[0][1] or 1
    row_h = min(24.0, (_H - 8) / len(ranked))
    left = 74
    out = []
    for i, (country, n) in enumerate(ranked):
        y = 4 + i * row_h
        w = max(1.0, n / top * (_W - left - 50))
        out.append(f'<text x="{left - 6}" y="{y + row_h * 0.68:.1f}" text-anchor="end">'
                   f'{_e(country[:14])}</text>'
                   f'<rect x="{left}" y="{y + row_h * 0.15:.1f}" width="{w:.1f}" '
                   f'height="{row_h * 0.7:.1f}" fill="{COLOURS["sent"]}"><title>{_e(country)}: {n}'
                   f'</title></rect><text x="{left + w + 5:.1f}" y="{y + row_h * 0.68:.1f}">{n}</text>')
    return _svg(f"Plaques per country ({len(counts)})", "".join(out))


def _svg(label: str, body: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{_e(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def _empty(text: str) -> str:
    return _svg(text, f'<text x="{_W / 2}" y="{_H / 2}" text-anchor="middle">{_e(text)}</text>')
