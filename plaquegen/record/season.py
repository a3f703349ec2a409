"""What keeps the record true over a season: register identity, a ledger that cannot vanish,
rebuilding a lost ledger from the batch folders, adopting a corrected register.

The ledger pins the register its first plaque was numbered with. Every later run compares
the register it is given against every plaque issued (not only against the pin's checksum:
a register re-saved as xlsx is the same register): a car with another number, or another
total, stops the run before anything is written. The identity of a register is the sha256
of its cars in build order (VIN and use), so it does not depend on the file format.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from .folder import (INCOMPLETE, batch_folders, incomplete_reason, read_history, read_info,
                       read_manifest)
from ..core.clock import utc_now
from ..core.errors import Outcome, PlaquegenError
from .identity import RegisterPin
from .health import good_backups, restore_command
from .ledger import Ledger, open_ledger
from .rows import Issue
from ..core.records import pad_number
from ..inputs.register import DEMO_REGISTER, Register, load_register

__all__ = ["SeasonError", "register_identity", "is_demo", "register_pin", "DEMO_NOTE",
           "check_register", "renumbering", "require_ledger", "rebuild_ledger", "RebuildReport"]

DEMO_NOTE = ("this run uses the bundled SYNTHETIC demo register (not BMW's production record); "
             "pass --register FILE for the real one.")


class SeasonError(PlaquegenError):
    """The record would stop being true; str() says what to do."""


def register_identity(register: Register) -> str:
    """sha256 of the register's cars in build order (format-independent)."""
    h = hashlib.sha256()
    for car in register.cars:
        h.update(f"{car.vin},{car.use}\n".encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _demo_identity() -> str:
    return register_identity(load_register(DEMO_REGISTER))


def is_demo(register: Register) -> bool:
    """True for the bundled synthetic demo register (by content, whatever the file)."""
    try:
        if Path(register.source).samefile(DEMO_REGISTER):
            return True  # the demo file itself: its content is the demo's (no second read)
    except OSError:
        pass
    return register_identity(register) == _demo_identity()


def register_pin(register: Register) -> RegisterPin:
    return RegisterPin(register_identity(register), register.total, is_demo(register),
                       str(register.source), utc_now())


def _no(number: int | None, total: int) -> str:
    return "none" if number is None else f"{pad_number(number, total)} / {total}"


def renumbering(ledger: Ledger, register: Register) -> list[tuple[Issue, int | None, int]]:
    """Every plaque issued (and not already marked to be made again) that this register numbers
    differently: (issue, new number or None when the register lacks the car or has it as an
    internal unit, new total)."""
    out = []
    for issue in ledger.issues():
        if issue.stale:
            continue
        try:
            car = register.lookup(issue.vin)
            number = car.number
        except Exception:  # Refused: not in this register, or an internal unit
            number = None
        if number != issue.number or (issue.total and issue.total != register.total):
            out.append((issue, number, register.total))
    return out


def check_register(ledger: Ledger, register: Register) -> None:
    """Refuse a register that would give an issued car another number or total, or that mixes
    the synthetic demo register with a real one. Reads only."""
    pin = ledger.register_pin()
    demo = is_demo(register)
    if pin is not None and pin.demo != demo:
        what = ("the bundled SYNTHETIC demo register" if pin.demo else f"a real register "
                f"({pin.source})")
        raise SeasonError(f"ledger {ledger.path} was numbered with {what}, and this run uses "
                          f"{'the demo register' if demo else register.source}: mixing them would "
                          "give cars numbers from two different registers; use the ledger's own "
                          "register, or another --out/--ledger for the other one.")
    moved = renumbering(ledger, register)
    if moved:
        shown = "; ".join(f"{i.vin} No. {_no(i.number, i.total or (pin.total if pin else 0))} -> "
                          f"{_no(n, t)}" for i, n, t in moved[:3])
        raise SeasonError(
            f"the register {register.source} gives {len(moved)} plaque(s) already issued another "
            f"number ({shown}{'; ...' if len(moved) > 3 else ''}); pass the register the ledger "
            f"was made with, or, if this is the corrected register, adopt it with 'plaquegen "
            f"register adopt {register.source}', which lists every plaque to make again.")


def require_ledger(out: Path, ledger_path: Path) -> None:
    """Refuse to start an empty ledger beside batch folders that a lost one knew about."""
    if ledger_path.exists():
        return
    folders = [f for f in batch_folders(out)]
    if folders:
        names = ", ".join(f.name for f in folders[:3]) + (", ..." if len(folders) > 3 else "")
        backups = good_backups(ledger_path)
        how = (f"restore its newest good backup {backups[0][0]} with "
               f"'{restore_command(ledger_path)}'" if backups
               else f"move the ledger back to {ledger_path}")
        raise SeasonError(
            f"{out} holds {len(folders)} batch folder(s) ({names}) but no ledger {ledger_path}: "
            f"an empty one would forget every plaque and approval; {how}, or rebuild it with "
            f"'plaquegen ledger --rebuild {out}'.")


@dataclass(frozen=True)
class RebuildReport:
    ledger: Path
    batches: tuple[str, ...]
    plaques: int
    events: int
    lost: tuple[str, ...]  # what could not be recovered, one sentence each

    @property
    def outcome(self) -> Outcome:
        return Outcome.ATTENTION if self.lost else Outcome.DONE


def rebuild_ledger(out: Path, ledger_path: Path) -> RebuildReport:
    """A new ledger from the batch folders under ``out``: batch identity (batch.json), plaques
    (manifest.csv) and the history (history.jsonl), answers settled again."""
    if ledger_path.exists():
        raise SeasonError(f"ledger {ledger_path} exists; move it away first (a rebuild never "
                          "overwrites a ledger).")
    folders = batch_folders(out)
    if not folders:
        raise SeasonError(f"{out} holds no batch folders to rebuild a ledger from.")
    lost: list[str] = []
    found = []
    for f in folders:
        if incomplete_reason(f) is not None:
            lost.append(f"{f.name}: incomplete batch ({INCOMPLETE}); run it again after the rebuild")
            continue
        info = read_info(f)
        try:
            rows = read_manifest(f / "manifest.csv")
        except PlaquegenError as e:
            lost.append(f"{f.name}: {e}")
            continue
        events, bad = read_history(f)
        if info is None:
            lost.append(f"{f.name}: no batch.json (made by an older plaquegen): its order file "
                        "and register are unknown, the next run of it records them")
        if not events:
            lost.append(f"{f.name}: no history.jsonl: its answers are lost; read the returned "
                        "proofs again with 'plaquegen approvals'")
        if bad:
            lost.append(f"{f.name}: {bad} damaged history line(s) skipped")
        found.append((f, info, rows, events))
    found.sort(key=lambda x: (x[1].created_at if x[1] else "9999", x[0].name))
    n_plaques = n_events = 0
    with open_ledger(ledger_path, create=True) as led:
        for f, info, rows, events in found:
            issued_at = {e.vin: e.at for e in events if e.kind in ("issued", "reprint")}
            reprints = {e.vin for e in events if e.kind == "reprint"}
            when = info.created_at if info else utc_now()
            issues = [Issue(r.vin, r.number, f.name, r.order_id, r.svg_sha256, r.proof_sha256,
                            issued_at.get(r.vin, when), r.vin in reprints, total=r.total)
                      for r in rows]
            batch, pin = (replace(info, batch_id=f.name), info.pin()) if info is not None else (None, None)
            led.restore(issues, events, batch, pin)
            n_plaques += len(issues)
            n_events += len(events)
    return RebuildReport(ledger_path, tuple(f.name for f, *_ in found), n_plaques, n_events,
                         tuple(lost))


def adopt(ledger: Ledger, register: Register) -> list[tuple[Issue, int | None, int]]:
    """Adopt ``register`` as the ledger's register: pin it and mark every plaque it numbers
    differently to be made again (recorded in the history). Refused when it lacks an issued car."""
    moved = renumbering(ledger, register)
    missing = [i for i, n, _ in moved if n is None]
    if missing:
        raise SeasonError(f"the register {register.source} has no customer car {missing[0].vin} "
                          f"(issued in batch {missing[0].batch_id}){' and others' if len(missing) > 1 else ''}; "
                          "a corrected register must still hold every car issued.")
    ledger.adopt_register(register_pin(register), [(i, n, t) for i, n, t in moved])
    return moved
