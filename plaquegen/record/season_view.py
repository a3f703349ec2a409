"""The season at a glance, as data: every plaque of every batch, where it stands and the date
of every step, read from the ledger (issues and the append-only history) and the batch folders
(manifest, owners.csv, released/).

A plaque's state is derived in one place, :func:`derive_state`, from the newest facts about the
artwork it has now (an answer to an older proof, a send of an older proof, a plaque handed over
before it was made again do not count for the current one):

  withdrawn  no longer in its batch (the ledger's 'withdrawn', and not issued there again)
  delivered  a 'delivered' event for the current artwork (the owner has it)
  released   approved and in released/ with the approved artwork (states.py)
  approved   the newest answer for the current artwork approves it (the ledger settles it)
  changes    the newest answer for the current artwork asks for changes
  reminded   no answer; the newest send of the current proof was a reminder
  sent       no answer; the current proof was sent
  waiting    made, the proof not sent
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from ..core.errors import PlaquegenError
from ..core.overview import BatchSummary, PlaqueRow, Season, Step
from ..core.records import pad_number
from ..inputs.address import ADDRESS_SEPARATOR
from .folder import ENGRAVE, PROOFS, BatchFolder, incomplete_reason, open_batch, read_owners
from .ledger import open_ledger
from .rows import Event, Issue
from .states import APPROVED, CHANGES, PlaqueState, plaque_states

__all__ = ["SeasonViewError", "derive_state", "load_season", "season_of", "summarise",
           "event_step", "address_of"]

_SENDS = ("sent", "reminded")


class SeasonViewError(PlaquegenError):
    """The season cannot be read (no ledger); str() is one sentence."""


def derive_state(current: PlaqueState | None, events: Sequence[Event], svg_sha256: str,
                 alive: bool = True) -> str:
    """The page's state of one plaque (see the module doc): ``current`` is its states.py state
    (None when its batch folder cannot be read), ``events`` its history, oldest first."""
    if not alive:
        return "withdrawn"
    if any(e.kind == "delivered" and e.svg_sha256 == svg_sha256 for e in events):
        return "delivered"
    if current is not None:
        if current.released:
            return "released"
        if current.state == APPROVED:
            return "approved"
        if current.state == CHANGES:
            return "changes"
    sends = [e for e in events if e.kind in _SENDS and e.svg_sha256 == svg_sha256]
    if sends:
        return "reminded" if sends[-1].kind == "reminded" else "sent"
    return "waiting"


def event_step(e: Event) -> Step:
    """One history event as a step of the page (what and how, as the ledger has them)."""
    if e.kind == "answer":
        what = e.decision or ""
        if e.changes:
            what += f": {e.changes}"
        how = e.source or ""
        if e.name:
            how += f" (signed {e.name})" if how else f"signed {e.name}"
        return Step("answer", e.when, what, how)
    if e.kind == "delivered":
        return Step("delivered", e.at, e.source or "", e.detail or "")
    if e.kind in ("remade", "withdrawn", "renumbered", "unreleased"):
        return Step(e.kind, e.at, e.detail or "")
    return Step(e.kind, e.at)


def _files(folder: Path, sub: str) -> set[str]:
    """Names of the files in folder/sub (one directory listing, no stat per file)."""
    try:
        return {e.name for e in os.scandir(folder / sub)}
    except OSError:
        return set()


def _note(current: PlaqueState | None, events: Sequence[Event], sha: str, issue: Issue | None) -> str:
    notes = []
    if issue is not None and issue.stale:
        notes.append("a corrected register changed its number: make it again")
    if current is not None and current.earlier:
        notes.append(current.earlier)
    old = [e for e in events if e.kind == "delivered" and e.svg_sha256 != sha]
    if old and not any(e.kind == "delivered" and e.svg_sha256 == sha for e in events):
        notes.append(f"an earlier version was delivered on {old[-1].at[:10]}")
    return "; ".join(notes)


def _batch_rows(batch: BatchFolder | None, batch_id: str, issues: dict[str, Issue],
                events: dict[str, list[Event]]) -> list[PlaqueRow]:
    """The rows of one batch: from its folder when it opens, else from the ledger alone."""
    flat = [e for evs in events.values() for e in evs]
    out: list[PlaqueRow] = []
    if batch is not None:
        owners = read_owners(batch.folder)
        engraves, proofs = _files(batch.folder, ENGRAVE), _files(batch.folder, PROOFS)
        states = {s.vin: s for s in plaque_states(batch, issues, flat)}
        for r in batch.rows:
            o = owners.get(r.vin, {})
            evs = events.get(r.vin, [])
            cur = states.get(r.vin)
            out.append(PlaqueRow(
                batch_id, r.vin, r.number, r.total, r.label, r.order_id, o.get("name", ""),
                o.get("country", ""), derive_state(cur, evs, r.svg_sha256),
                tuple(event_step(e) for e in evs),
                r.svg if r.svg.startswith(ENGRAVE + "/") and r.svg[len(ENGRAVE) + 1:] in engraves else "",
                r.proof if r.proof.startswith(PROOFS + "/") and r.proof[len(PROOFS) + 1:] in proofs else "",
                o.get("address", ""), _note(cur, evs, r.svg_sha256, issues.get(r.vin))))
        alive = {r.vin for r in batch.rows}
    else:
        for i in issues.values():
            evs = events.get(i.vin, [])
            cur = None
            if i.approval_state in (APPROVED, CHANGES):
                cur = PlaqueState(i.number, i.vin, i.order_id, "", i.svg_sha256, i.approval_state)
            out.append(PlaqueRow(batch_id, i.vin, i.number, i.total, _label(i.number, i.total),
                                 i.order_id, "", "", derive_state(cur, evs, i.svg_sha256),
                                 tuple(event_step(e) for e in evs),
                                 note=_note(cur, evs, i.svg_sha256, i)))
        alive = set(issues)
    out += _withdrawn(batch_id, events, alive, issues)
    return out


def _label(number: int, total: int) -> str:
    return f"{pad_number(number, total)} / {total}" if total else str(number)


def _withdrawn(batch_id: str, events: dict[str, list[Event]], alive: set[str],
               issues: dict[str, Issue]) -> list[PlaqueRow]:
    total = next((i.total for i in issues.values() if i.total), 0)
    out = []
    for vin, evs in events.items():
        gone = [e for e in evs if e.kind == "withdrawn"]
        if vin in alive or not gone:
            continue
        number = gone[-1].number or 0
        out.append(PlaqueRow(batch_id, vin, number, total, _label(number, total), "", "", "",
                             "withdrawn", tuple(event_step(e) for e in evs)))
    return out


def season_of(out: Path, issues: Iterable[Issue], events: Iterable[Event], demo: bool = False,
              created: dict[str, str] | None = None,
              only: Sequence[str] | None = None) -> Season:
    """The season from the ledger's issues and history and the batch folders under ``out``
    (``only``: just these batches)."""
    by_batch: dict[str, dict[str, Issue]] = {}
    for i in issues:
        by_batch.setdefault(i.batch_id, {})[i.vin] = i
    ev: dict[str, dict[str, list[Event]]] = {}
    for e in events:
        ev.setdefault(e.batch_id, {}).setdefault(e.vin, []).append(e)
    created = created or {}
    first = {b: min((i.issued_at for i in v.values()), default="") for b, v in by_batch.items()}
    for b, v in ev.items():
        first.setdefault(b, min((e.at for evs in v.values() for e in evs), default=""))
    order = sorted(set(by_batch) | set(ev), key=lambda b: (created.get(b) or first.get(b) or "", b))
    rows: list[PlaqueRow] = []
    summaries: list[BatchSummary] = []
    for b in order:
        if only is not None and b not in only:
            continue
        batch, note = _open(out / b)
        mine = sorted(_batch_rows(batch, b, by_batch.get(b, {}), ev.get(b, {})),
                      key=lambda r: (r.number, r.vin))
        rows += mine
        summaries.append(summarise(b, mine, batch is not None, created.get(b) or first.get(b, ""),
                                   note))
    newest = max((e.at for b in ev.values() for evs in b.values() for e in evs), default="")
    return Season(tuple(rows), tuple(summaries), newest, demo)


def _open(folder: Path) -> tuple[BatchFolder | None, str]:
    if not folder.is_dir():
        return None, "its folder is not here"
    try:
        return open_batch(folder), ""
    except PlaquegenError:
        reason = incomplete_reason(folder)
        return None, ("incomplete: run the batch again" if reason else "its folder has no manifest")


def summarise(batch_id: str, rows: Sequence[PlaqueRow], folder: bool = True, created_at: str = "",
              note: str = "") -> BatchSummary:
    """How many plaques of a batch reached each step (a plaque released is also approved...)."""
    states: dict[str, int] = {}
    for r in rows:
        states[r.state] = states.get(r.state, 0) + 1
    alive = [r for r in rows if r.state != "withdrawn"]
    n = lambda *s: sum(states.get(x, 0) for x in s)  # noqa: E731
    return BatchSummary(batch_id, made=len(alive),
                        sent=sum(1 for r in alive if r.first("sent", "reminded") is not None),
                        approved=n("approved", "released", "delivered"), changes=n("changes"),
                        released=n("released", "delivered"), delivered=n("delivered"),
                        states=states, folder=folder, created_at=created_at, note=note)


def load_season(out: str | os.PathLike, ledger: str | os.PathLike | None = None,
                only: Sequence[str] | None = None) -> Season:
    """The season of the ledger (default ``out/ledger.sqlite``) and the batch folders in ``out``."""
    out = Path(out)
    path = Path(ledger) if ledger else out / "ledger.sqlite"
    if not path.is_file():
        raise SeasonViewError(f"ledger {path} does not exist; no batch has been made with it.")
    with open_ledger(path, readonly=True) as led:
        issues = led.issues()
        events = led.events()
        pin = led.register_pin()
        created = {}
        for b, *_ in led.batches():
            rec = led.batch_record(b)
            if rec is not None:
                created[b] = rec.created_at
    return season_of(out, issues, events, bool(pin and pin.demo), created, only)


def address_of(row: PlaqueRow) -> tuple[str, ...]:
    """The address lines of a row (as owners.csv keeps them)."""
    return tuple(x for x in row.address.split(ADDRESS_SEPARATOR) if x.strip())
