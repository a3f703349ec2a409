"""Where each plaque of a batch stands: its newest answer for its artwork, released or not.

The ledger settles a plaque's state; this module reads it together with the history and
released/ (shared by approvals, release, status and send).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence


from .folder import RELEASED, BatchFolder, open_batch as _open_dir
from ..core.errors import PlaquegenError
from ..core.files import csv_bytes, read_csv, sheet_cell
from .ledger import Event, Issue, Ledger, open_ledger

__all__ = ["APPROVED", "CHANGES", "WAITING", "APPROVALS_FIELDS", "ApprovalError",
           "batch_ledger", "open_batch_and_ledger", "load_issues", "PlaqueState", "counts",
           "plaque_states", "released_plaques", "approvals_csv", "StatusResult", "load_state",
           "batch_status"]


APPROVED = "approved"
CHANGES = "changes requested"
WAITING = "waiting"

APPROVALS_FIELDS = ("number", "vin", "order_id", "label", "state", "changes", "name", "date",
                    "source", "read_at", "svg_sha256")


class ApprovalError(PlaquegenError):
    """A fatal problem (no batch, no ledger, bad template); str() is one sentence."""


def batch_ledger(folder: Path, ledger: str | os.PathLike | None) -> Path:
    """The ledger of a batch folder: as given, else the one beside the folder."""
    path = Path(ledger) if ledger else Path(folder).resolve().parent / "ledger.sqlite"
    if not path.is_file():
        raise ApprovalError(f"ledger {path} does not exist; pass the batch's ledger with --ledger "
                            "(or rebuild it with 'plaquegen ledger --rebuild').")
    return path


def open_batch_and_ledger(folder, ledger) -> tuple[BatchFolder, Path]:
    try:
        batch = _open_dir(folder)
    except PlaquegenError as e:
        raise ApprovalError(str(e)) from None
    return batch, batch_ledger(batch.folder, ledger)


def load_issues(batch: BatchFolder, ledger: Ledger, ledger_path: Path) -> dict[str, Issue]:
    issues = {i.vin: i for i in ledger.issues(batch_id=batch.batch_id)}
    if batch.rows and not issues:
        raise ApprovalError(f"ledger {ledger_path} has no plaques of batch {batch.batch_id}; "
                            "is it the ledger this batch was made with?")
    return issues


# ---------------------------------------------------------------------------
# Where each plaque stands.

@dataclass(frozen=True)
class PlaqueState:
    number: int
    vin: str
    order_id: str
    label: str
    svg_sha256: str
    state: str  # approved | changes requested | waiting
    changes: str = ""
    name: str = ""
    date: str = ""
    source: str = ""
    read_at: str = ""
    released: bool = False
    earlier: str = ""  # "approved an earlier version" when only an older artwork was answered


def counts(states: Sequence[PlaqueState]) -> dict[str, int]:
    """{"approved": n, "changes requested": n, "waiting": n}."""
    out = {APPROVED: 0, CHANGES: 0, WAITING: 0}
    for s in states:
        out[s.state] += 1
    return out


def plaque_states(batch: BatchFolder, issues: dict[str, Issue], events: list[Event]) -> list[PlaqueState]:
    """Each manifest row's state: the newest answer for its artwork (as the ledger settled it)."""
    released = released_plaques(batch.folder)
    answers: dict[str, list[Event]] = {}
    for e in events:
        if e.kind == "answer":
            answers.setdefault(e.vin, []).append(e)
    out = []
    for r in batch.rows:
        issue = issues.get(r.vin)
        mine = sorted((e for e in answers.get(r.vin, []) if e.svg_sha256 == r.svg_sha256),
                      key=lambda e: (e.when, e.at))
        older = [e for e in answers.get(r.vin, []) if e.svg_sha256 != r.svg_sha256]
        state = WAITING
        if issue is not None and issue.svg_sha256 == r.svg_sha256 and issue.number == r.number \
                and issue.approval_state in (APPROVED, CHANGES):
            state = issue.approval_state
        base = dict(number=r.number, vin=r.vin, order_id=r.order_id, label=r.label,
                    svg_sha256=r.svg_sha256, state=state,
                    released=state == APPROVED and released.get(r.vin) == r.svg_sha256,
                    earlier=(f"{older[-1].decision} an earlier version" if older and not mine else ""))
        if state == WAITING or not mine:
            out.append(PlaqueState(**base))
            continue
        e = mine[-1]
        out.append(PlaqueState(**base, changes=e.changes or "", name=e.name or "",
                               date=e.owner_date or "", source=e.source or "", read_at=e.at))
    return out


def released_plaques(folder: Path) -> dict[str, str]:
    """VIN -> svg_sha256 of what the current released/ folder holds."""
    try:
        return {r["vin"]: r.get("svg_sha256", "") for r in
                read_csv(folder / RELEASED / "manifest.csv")}
    except (OSError, UnicodeDecodeError, KeyError, ValueError):
        return {}


def approvals_csv(states: Sequence[PlaqueState]) -> bytes:
    return csv_bytes(APPROVALS_FIELDS, [
        (s.number, s.vin, sheet_cell(s.order_id), s.label, s.state if not s.earlier else
         f"{s.state} ({s.earlier})", sheet_cell(s.changes), sheet_cell(s.name),
         sheet_cell(s.date), sheet_cell(s.source), s.read_at, s.svg_sha256)
        for s in states])


@dataclass(frozen=True)
class StatusResult:
    batch_id: str
    folder: Path
    states: list[PlaqueState]
    stale_release: list[str] = field(default_factory=list)  # VINs in released/ not approved now


def load_state(batch: BatchFolder, ledger_path: Path) -> tuple[dict[str, Issue], list[Event]]:
    with open_ledger(ledger_path, readonly=True) as led:
        return load_issues(batch, led, ledger_path), led.events(batch_id=batch.batch_id)


def batch_status(folder: str | os.PathLike, ledger: str | os.PathLike | None = None) -> StatusResult:
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    issues, events = load_state(batch, ledger_path)
    states = plaque_states(batch, issues, events)
    approved = {s.vin: s.svg_sha256 for s in states if s.state == APPROVED}
    stale = sorted(v for v, sha in released_plaques(batch.folder).items() if approved.get(v) != sha)
    return StatusResult(batch.batch_id, batch.folder, states, stale)


