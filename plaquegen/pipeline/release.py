"""Release = verify + emit: only the approved plaques, re-made and checked byte for byte, laid
out by the same emitter as the batch into ``<batch>/released/`` (built aside, swapped in whole).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path


from ..record.folder import RELEASED, BatchFolder, ManifestRow, kept_template, read_inside, write_history
from ..core.clock import today, utc_now
from ..art.compose import Composer
from .emit import EmitContext, emit, finish, jobsheet_head
from ..core.errors import Outcome, PlaquegenError
from ..core.files import atomic_write_bytes, sha256_bytes, sync_folder
from ..record.ledger import Event, Ledger
from ..core.records import Numbered, Order
from ..inputs.template import load_template
from ..record.states import (APPROVED, CHANGES, WAITING, ApprovalError, PlaqueState, counts, load_state,
                     open_batch_and_ledger, plaque_states, released_plaques)

__all__ = ["ReleaseResult", "release"]


# ---------------------------------------------------------------------------
# Releasing the approved plaques to the shop.

@dataclass(frozen=True)
class ReleaseResult:
    batch_id: str
    folder: Path  # <batch>/released (exists only if something was released)
    states: list[PlaqueState]
    released: list[PlaqueState]
    refused: list[tuple[PlaqueState, str]]  # approved but not placed, with the reason
    sheets: int
    removed_stale: bool = False  # an old released/ folder was removed, nothing replaced it

    @property
    def outcome(self) -> Outcome:
        return Outcome.ATTENTION if self.refused else Outcome.DONE


def _release_template(batch: BatchFolder, template):
    try:
        kept = kept_template(batch.folder) if template is None else None
        if kept is None:
            return load_template(template)
        return load_template(*kept)
    except PlaquegenError as e:
        raise ApprovalError(str(e)) from None


def release(folder: str | os.PathLike, ledger: str | os.PathLike | None = None,
            template: str | os.PathLike | None = None,
            formats: tuple[str, ...] | None = None, workers: int = 1) -> ReleaseResult:
    """Write <batch>/released/ with only the approved, verified plaques (swapped in whole),
    made by ``workers`` processes (the bytes are the same for any number)."""
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    issues, events = load_state(batch, ledger_path)
    states = plaque_states(batch, issues, events)
    tpl = _release_template(batch, template)
    try:
        composer = Composer.prepare(tpl)
    except PlaquegenError as e:
        raise ApprovalError(str(e)) from None

    placed: list[tuple[PlaqueState, ManifestRow]] = []
    refused: list[tuple[PlaqueState, str]] = []
    for s in states:
        if s.state != APPROVED:
            continue
        row = batch.row(s.vin)
        data = read_inside(batch.folder, row.svg)
        if data is None:
            refused.append((s, f"engrave file {row.svg} is missing"))
        elif sha256_bytes(data) != issues[s.vin].svg_sha256:
            refused.append((s, f"engrave file {row.svg} differs from the approved artwork "
                               "(changed after approval)"))
        else:
            placed.append((s, row))

    target = batch.folder / RELEASED
    held_before = released_plaques(batch.folder)
    created = today()
    for leftover in batch.folder.glob(".released-*"):  # a killed release's half-built folder
        shutil.rmtree(leftover, ignore_errors=True)
    while True:
        if not placed:
            removed = target.exists()
            if removed:
                shutil.rmtree(target)  # nothing approved any more: an old release must not linger
            _log_release(ledger_path, batch, held_before, {})
            return ReleaseResult(batch.batch_id, target, states, [], refused, 0, removed)
        tmp = Path(tempfile.mkdtemp(prefix=".released-new-", dir=batch.folder))
        try:
            made, head = _emit_released(batch, composer, tpl, states, placed, refused, created,
                                        tmp, formats, workers)
            # Each plaque is made again here, and must be the very file its owner approved.
            differs = {r.vin for r in made.rows if r.svg_sha256 != issues[r.vin].svg_sha256}
            if differs:  # (a template other than the batch's): hold those back, lay out again
                refused += [(s, "the plaque made again with this template differs from the "
                                "approved artwork (was the batch made with another --template?)")
                            for s, _ in placed if s.vin in differs]
                placed = [(s, r) for s, r in placed if s.vin not in differs]
                continue
            by_vin = {s.vin: s for s, _ in placed}
            proof_of = {r.vin: r.proof for _, r in placed}
            rows = [replace(r, proof=proof_of[r.vin], approved_by=by_vin[r.vin].name,
                            approved_at=by_vin[r.vin].read_at) for r in made.rows]
            finish(tmp, head, made, rows, released=True, proof_prefix="../")
            atomic_write_bytes(tmp / "README.txt", _readme(batch.batch_id, len(placed),
                                                           len(made.sheets), created).encode("utf-8"))
            sync_folder(tmp)
            _swap_in(tmp, target)
            break
        except OSError as e:
            raise ApprovalError(f"cannot write {target}: {e.strerror or e}.") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    _log_release(ledger_path, batch, held_before, {r.vin: r for r in rows})
    states = [replace(s, released=s.vin in by_vin) for s in states]
    return ReleaseResult(batch.batch_id, target, states, [s for s in states if s.released],
                         refused, len(made.sheets))


def _emit_released(batch: BatchFolder, composer: Composer, tpl, states: list[PlaqueState],
                   placed: list[tuple[PlaqueState, ManifestRow]], refused: list, created: str,
                   tmp: Path, formats: tuple[str, ...] | None, workers: int):
    """The placed plaques' engrave files and sheets in ``tmp``; (emission, job sheet head)."""
    c = counts(states)
    title = f"{batch.batch_id} RELEASED"
    numbered = [Numbered(Order(0, r.order_id, r.vin), r.vin, r.number, r.total, r.market)
                for _, r in placed]
    ctx = EmitContext(composer, tpl, title, created, tmp, proofs=False,
                      formats=formats or tpl.formats)
    notes = (f"RELEASED: only the {len(placed)} owner-approved plaques of batch {batch.batch_id} "
             f"({len(states)} in the batch: {c[APPROVED]} approved, {c[WAITING]} waiting, "
             f"{c[CHANGES]} changes requested).",
             "Engrave only from this released/ folder; the batch's own sheets/ hold unapproved "
             "plaques too.")
    if refused:
        notes += (f"{len(refused)} approved plaque(s) held back: their files no longer match "
                  "the approval.",)
    head = jobsheet_head(tpl, title, created, 0, len(states), notes, ctx.formats)
    return emit(ctx, numbered, workers, head=head), head


def _log_release(ledger_path: Path, batch: BatchFolder, before: dict[str, str],
                 now_rows: dict[str, ManifestRow]) -> None:
    """History: released for what entered released/, unreleased for what left it."""
    at = utc_now()
    events = [Event(at, v, batch.batch_id, "released", r.svg_sha256, r.number,
                    detail=f"{r.sheet} slot {r.slot}")
              for v, r in sorted(now_rows.items()) if before.get(v) != r.svg_sha256]
    events += [Event(at, v, batch.batch_id, "unreleased", sha,
                     batch.row(v).number if batch.row(v) else None, detail="no longer approved")
               for v, sha in sorted(before.items()) if v not in now_rows]
    with Ledger(ledger_path) as led:
        led.add_events(events)
        write_history(batch.folder, led.events(batch_id=batch.batch_id))


def _swap_in(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` as a whole (the old folder is renamed away, then deleted)."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=".released-old-", dir=target.parent))
        os.rename(target, old / "x")
    os.rename(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _readme(batch_id: str, n: int, sheets: int, created: str) -> str:
    return (f"RELEASED PLAQUES of batch {batch_id} ({created})\r\n\r\n"
            f"This folder holds only the {n} plaques whose owners approved their proof, on "
            f"{sheets} sheet(s).\r\nEngrave from this folder only: sheets/sheet-NN.svg (bed "
            "loads), engrave/ (single plaques),\r\njob-sheet.pdf (overview and maps), manifest.csv "
            "(what is here, with sha256).\r\nThe sheets/ and engrave/ folders one level up also "
            "hold plaques that are NOT approved.\r\n")
