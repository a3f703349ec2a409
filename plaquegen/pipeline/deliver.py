"""The hand-over: record that owners have their plaques, and the meeting desk's hand-out list.

:func:`deliver` appends a 'delivered' event (how: handover at the register's meeting, or post
with its tracking number) for each plaque named, in one ledger transaction, and rewrites the
batch's history.jsonl. Only a plaque released to the shop with the artwork it has now can be
delivered: one never released, taken back, withdrawn or not in the batch is refused with the
reason (the others are still recorded); one already delivered is left as it is.

:func:`handout` writes ``<batch>/handout.pdf`` for the desk: every plaque released and not yet
delivered, by owner's name, with a signature box, then the same plaques with the address columns
the order file had, for those that go by post.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..core.clock import today, utc_now
from ..core.errors import Outcome, PlaquegenError
from ..core.files import atomic_write_bytes
from ..core.overview import PlaqueRow
from ..inputs.vin import normalize
from ..record.folder import write_history
from ..record.ledger import Event, Ledger
from ..record.season_view import address_of, load_season
from ..record.states import open_batch_and_ledger
from ..writers.handout import HandoutLine, handout_pdf

__all__ = ["DeliverError", "METHODS", "DeliverResult", "deliver", "HandoutResult", "handout",
           "HANDOUT"]

METHODS = ("handover", "post")
HANDOUT = "handout.pdf"


class DeliverError(PlaquegenError):
    """Nothing can be recorded (bad method, no batch, no ledger); str() is one sentence."""


@dataclass(frozen=True)
class DeliverResult:
    batch_id: str
    folder: Path
    delivered: list[PlaqueRow] = field(default_factory=list)
    already: list[tuple[PlaqueRow, str]] = field(default_factory=list)  # (row, when)
    refused: list[tuple[str, str]] = field(default_factory=list)        # (what was typed, why)

    @property
    def outcome(self) -> Outcome:
        return Outcome.REFUSED if self.refused else Outcome.DONE


def _why_not(r: PlaqueRow) -> str:
    """Why a plaque that is not released cannot be delivered, in one clause."""
    back = r.last("unreleased")
    if r.state == "withdrawn":
        gone = r.last("withdrawn")
        return f"it was withdrawn from batch {r.batch_id}" + (f" on {gone.at[:10]}" if gone else "")
    if back is not None and r.state in ("changes", "approved", "waiting", "sent", "reminded"):
        now = {"changes": "its owner now asks for changes", "approved": "approved again but not "
               "released since: run 'plaquegen release' first"}.get(r.state, f"it is now {r.state}")
        return f"it was taken back from the shop on {back.at[:10]} ({back.what or 'no longer approved'}); {now}"
    return {
        "approved": "it is approved but was never released to the shop: run 'plaquegen release' first",
        "changes": "its owner asked for changes: it was never released to the shop",
    }.get(r.state, f"it was never released to the shop (its proof is {r.state}: not approved yet)")


def _find(typed: str, rows: Sequence[PlaqueRow]) -> tuple[PlaqueRow | None, str]:
    want = normalize(typed)
    if len(want) == 17:
        hit = [r for r in rows if r.vin == want]
    elif len(want) == 7:
        hit = [r for r in rows if r.vin[-7:] == want]
    else:
        return None, "is neither a 17-character VIN nor a 7-character short VIN"
    live = [r for r in hit if r.state != "withdrawn"] or hit
    if not live:
        return None, "is not in this batch"
    if len({r.vin for r in live}) > 1:
        return None, f"matches {len(live)} cars of the batch: give the full VIN"
    return live[0], ""


def _detail(tracking: str, note: str) -> str:
    parts = [f"tracking {' '.join(tracking.split())}"] if tracking.strip() else []
    if note.strip():
        parts.append(" ".join(note.split()))
    return "; ".join(parts)


def deliver(folder: str | os.PathLike, vins: Sequence[str], by: str, tracking: str = "",
            note: str = "", ledger: str | os.PathLike | None = None) -> DeliverResult:
    """Record that the owners of ``vins`` (full or short VINs) have their plaques."""
    if by not in METHODS:
        raise DeliverError(f"say how the plaque reached its owner with --by handover or --by post, "
                           f"not {by!r}.")
    if tracking.strip() and by != "post":
        raise DeliverError("a tracking number goes with --by post; a plaque handed over at the "
                           "meeting has none (use --note for anything to remember).")
    if not vins:
        raise DeliverError("name the plaques delivered: one or more VINs or short VINs.")
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    season = load_season(batch.folder.parent, ledger_path, only=[batch.batch_id])
    rows = [r for r in season.rows if r.batch_id == batch.batch_id]
    result = DeliverResult(batch.batch_id, batch.folder)
    chosen: dict[str, PlaqueRow] = {}
    for typed in vins:
        row, why = _find(typed, rows)
        shown = " ".join(str(typed).split())[:40]
        if row is None:
            result.refused.append((shown, f"{shown} {why}"))
        elif row.vin in chosen:
            continue
        elif row.state == "delivered":
            step = row.last("delivered")
            result.already.append((row, step.at if step else ""))
        elif row.state != "released":
            result.refused.append((shown, f"No. {row.label} {row.vin}: {_why_not(row)}"))
        else:
            chosen[row.vin] = row
    if chosen:
        now, detail = utc_now(), _detail(tracking, note)
        manifest = {r.vin: r for r in batch.rows}
        with Ledger(ledger_path) as led:
            led.add_events([Event(now, v, batch.batch_id, "delivered", manifest[v].svg_sha256,
                                  manifest[v].number, source=by, detail=detail or None)
                            for v in chosen])
            write_history(batch.folder, led.events(batch_id=batch.batch_id))
        result.delivered.extend(chosen.values())
    return result


@dataclass(frozen=True)
class HandoutResult:
    batch_id: str
    path: Path
    plaques: int          # released, not yet delivered: on the desk list
    delivered: int        # already with their owners (not listed)
    no_address: int       # of those listed, how many have no address for the post

    @property
    def outcome(self) -> Outcome:
        return Outcome.DONE


def handout(folder: str | os.PathLike, event: str = "", ledger: str | os.PathLike | None = None,
            output: str | os.PathLike | None = None) -> HandoutResult:
    """Write the hand-out PDF of a batch (default ``<batch>/handout.pdf``)."""
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    season = load_season(batch.folder.parent, ledger_path, only=[batch.batch_id])
    rows = [r for r in season.rows if r.batch_id == batch.batch_id]
    ready = [r for r in rows if r.state == "released"]
    lines = [HandoutLine(r.label, r.vin, r.name, r.country, address_of(r), r.order_id)
             for r in ready]
    path = Path(output) if output else batch.folder / HANDOUT
    data = handout_pdf(lines, batch.batch_id, event.strip(), today(),
                       sum(r.state == "delivered" for r in rows))
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise DeliverError(f"cannot write {path}: {e.strerror or e}.") from None
    return HandoutResult(batch.batch_id, path, len(ready), sum(r.state == "delivered" for r in rows),
                         sum(1 for x in lines if not x.address))
