"""A batch: plan it (read -> number -> check against the ledger), then emit it and record it.

:func:`plan_batch` writes nothing: ``plaquegen check`` prints its plan, and :func:`run_batch`
makes it. Everything that would make the record untrue is refused in the plan, before a file
is written: the same batch id from another order file, a register that renumbers issued cars
or mixes the demo register with a real one, a missing ledger beside existing batch folders.

While a run writes, the folder holds ``INCOMPLETE.txt`` and no manifest; it becomes a batch
(manifest written, marker removed) only after the ledger recorded it. A run that is refused at
record time or interrupted leaves the marker with the reason; running it again completes it.
"""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..record.folder import (OWNERS, RELEASED, owners_csv, ManifestRow, batch_name, clear_incomplete,
                       file_sha256, keep_template, kept_template, mark_incomplete, read_info,
                       read_manifest, rejects_csv, template_identity, write_history, write_info)
from ..core.clock import utc_now
from ..art.compose import Composer
from .emit import EmitContext, emit, fewer_collections, finish, jobsheet_head
from ..core.errors import Interrupted, Outcome, PlaquegenError
from ..core.files import atomic_write_bytes, remove_temp_files, sync_folder
from ..record.identity import BatchInfo
from ..record.ledger import Ledger, open_ledger
from ..record.rows import Event, Issue
from ..inputs.numbering import number_orders
from ..inputs.orders import OrderFile, read_orders
from ..writers.pdf import A4, LETTER
from ..proof.render import proof_layout
from ..core.records import Numbered, Reject
from ..inputs.register import Register
from ..inputs.register_cache import load_register_cached
from ..record.season import DEMO_NOTE, check_register, is_demo, register_pin, require_ledger
from ..inputs.template import DEFAULT_TEMPLATE, Template, load_template

__all__ = ["BatchError", "BatchInterrupted", "BatchOptions", "BatchPlan", "BatchResult",
           "plan_batch", "run_batch", "DRAFT_NOTE"]

DRAFT_NOTE = ("DRAFT until the owners approve their proofs: when the register sends a released/ "
              "folder, engrave from released/ only (it holds just the approved plaques).")


class BatchError(PlaquegenError):
    """A fatal problem that stops a batch; str() is one sentence."""


class BatchInterrupted(BatchError, Interrupted):
    """The run was interrupted (Ctrl-C); the folder is marked incomplete."""


@dataclass(frozen=True)
class BatchOptions:
    orders: Path
    out: Path = Path("output")
    batch_id: str | None = None
    register: Path | None = None
    template: Path | None = None  # default: the batch's kept template, else assets/plaque.toml
    ledger: Path | None = None  # default: <out>/ledger.sqlite
    reprint: bool = False
    replace: bool = False  # make the batch again from another order file on purpose
    proofs: bool = True
    previews: bool = False
    workers: int = 1
    formats: tuple[str, ...] | None = None  # None: the template's [output] formats
    read_options: dict = field(default_factory=dict)  # passed to read_orders (sheet, columns, ...)


@dataclass(frozen=True)
class BatchPlan:
    """What a batch would make and refuse, checked against the ledger; nothing written yet."""

    batch_id: str
    folder: Path
    ledger_path: Path
    template: Template
    composer: Composer  # the artwork and font, parsed once for the plan and the emission
    template_path: Path
    template_files: dict
    template_sha256: str
    register: Register
    orderfile: OrderFile
    orders_path: str
    orders_sha256: str
    numbered: tuple[Numbered, ...]
    rejects: tuple[Reject, ...]
    reprints: frozenset[str]
    previous: BatchInfo | None
    notes: tuple[str, ...]

    @property
    def outcome(self) -> Outcome:
        return Outcome.REFUSED if self.rejects else Outcome.DONE


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    folder: Path
    orders_read: int
    plaques: int
    rejects: int
    sheets: int
    timings: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # things the admin must know (demo register, changes, releases)

    @property
    def outcome(self) -> Outcome:
        return Outcome.REFUSED if self.rejects else Outcome.DONE


def _template_files(t: Template) -> dict[str, Path]:
    """{role: file} of what the template draws with (a Hershey font is built in: no file)."""
    out = {"silhouette": t.silhouette.file}
    if t.signature is not None:
        out["signature"] = t.signature.file
    if not t.number.font.startswith("hershey:"):
        out["number"] = Path(t.number.font)
    return out


def _choose_template(opts: BatchOptions, folder: Path) -> tuple[Template, Path]:
    """The template: as given, else the batch's kept copy, else the bundled default."""
    kept = kept_template(folder) if folder.is_dir() and opts.template is None else None
    if kept is not None:
        toml, files = kept
        return load_template(toml, files), toml
    template = load_template(opts.template)
    return template, Path(opts.template) if opts.template else DEFAULT_TEMPLATE


def plan_batch(opts: BatchOptions, ledger: Ledger | None, *, cache: bool = False) -> BatchPlan:
    """Read, number and check a batch. ``ledger`` None: no ledger exists yet (check only).
    ``cache``: the parsed register may be cached in the season folder (run_batch; a dry run
    uses a valid cache but writes none)."""
    batch_id = batch_name(opts.orders, opts.batch_id)
    folder = Path(opts.out) / batch_id
    ledger_path = Path(opts.ledger) if opts.ledger else Path(opts.out) / "ledger.sqlite"
    template, tpath = _choose_template(opts, folder)
    composer = Composer.prepare(template)  # bad artwork/font: refused before anything is written
    if opts.proofs:
        _check_proof_fits(template)
    resolved = _template_files(template)
    tsha = template_identity(tpath, resolved)
    info = read_info(folder) if folder.is_dir() else None
    notes: tuple[str, ...] = ()
    if info is not None and opts.template is not None and info.template_sha256 != tsha:
        notes = ("the template or its artwork differs from the one this batch was made with: "
                 "changed plaques are made again and their owners must approve the new proof "
                 "(earlier answers stay in the history).",)
    register = load_register_cached(opts.register, opts.out, write=cache)
    if is_demo(register):
        notes = (DEMO_NOTE,) + notes
    orderfile = read_orders(opts.orders, **opts.read_options)
    notes += tuple(orderfile.notes()) + tuple(getattr(register, "warnings", ()))
    orders_path = "-" if str(opts.orders) == "-" else str(Path(opts.orders).resolve())
    orders_sha = getattr(orderfile, "sha256", "") or (
        file_sha256(Path(opts.orders)) if orders_path != "-" else "")

    previous = None
    if ledger is not None:
        check_register(ledger, register)
        previous = ledger.batch_record(batch_id)
    earlier = previous.orders_path if previous else (info.orders_path if info else None)
    when = previous.created_at if previous else (info.created_at if info else "")
    if earlier is not None and earlier != orders_path and not opts.replace:
        raise BatchError(f"batch {batch_id} was made on {when[:10]} from {earlier}, not from "
                         f"{orders_path}; give this batch its own id with --batch-id NEW, or "
                         "make it again from this file on purpose with --replace.")

    numbered, refused = number_orders(orderfile.orders, register)
    rejects = list(orderfile.rejects) + refused
    reprints: set[str] = set()
    if ledger is not None:
        numbered, more, reprints = _check_conflicts(ledger, numbered, batch_id, opts.reprint)
        rejects += more
    rejects.sort(key=lambda r: r.line)
    return BatchPlan(batch_id, folder, ledger_path, template, composer, tpath, resolved, tsha,
                     register,
                     orderfile, orders_path, orders_sha, tuple(sorted(numbered, key=lambda n: n.number)),
                     tuple(rejects), frozenset(reprints), previous, notes)


def _check_conflicts(ledger: Ledger, numbered: list[Numbered], batch_id: str,
                     reprint: bool) -> tuple[list[Numbered], list[Reject], set[str]]:
    """Refuse cars issued in another batch, unless reprinting (then remember them)."""
    conflicts = ledger.conflicts([n.vin for n in numbered], batch_id)
    if not conflicts:
        return numbered, [], set()
    if reprint:
        return numbered, [], set(conflicts)
    keep, rejects = [], []
    for n in numbered:
        c = conflicts.get(n.vin)
        if c is None:
            keep.append(n)
        else:
            o = n.order
            rejects.append(Reject(o.line, o.order_id, o.vin, c.reason, o.raw))
    return keep, rejects, set()


def _check_proof_fits(template: Template) -> None:
    """A plate too large for a 1:1 view on A4 or Letter is refused before anything is written."""
    for page in (A4, LETTER):
        try:
            proof_layout(page, template.width, template.height)
        except ValueError as e:
            raise BatchError(f"{template.source}: {e}; make the batch with --no-proofs.") from None


def run_batch(opts: BatchOptions, progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None) -> BatchResult:
    """Plan, make and record a whole batch; raises a PlaquegenError for a fatal problem."""
    t0 = time.perf_counter()
    ledger_path = Path(opts.ledger) if opts.ledger else Path(opts.out) / "ledger.sqlite"
    require_ledger(Path(opts.out), ledger_path)
    if ledger_path.exists() or ledger_path.is_symlink():
        ledger = open_ledger(ledger_path)
        try:
            plan = plan_batch(opts, ledger, cache=True)
        except BaseException:
            ledger.close()
            raise
    else:  # nothing to check against yet: a refused plan creates no ledger
        plan = plan_batch(opts, None, cache=True)
        ledger = open_ledger(ledger_path, create=True)  # require_ledger: no batch is forgotten
    try:
        if on_plan:
            on_plan(len(plan.numbered))
        with fewer_collections():
            return _make(plan, opts, ledger, progress, t0)
    finally:
        ledger.close()


def _make(plan: BatchPlan, opts: BatchOptions, ledger: Ledger,
          progress: Callable[[int], None] | None, t0: float) -> BatchResult:
    folder, batch_id = plan.folder, plan.batch_id
    timings = {"plan": time.perf_counter() - t0}
    before = {i.vin: i for i in ledger.issues(batch_id=batch_id)}
    created = min((i.issued_at for i in before.values()), default=utc_now())[:10]
    fresh = not folder.exists()  # then nothing of an earlier run can be left to sweep
    try:
        mark_incomplete(folder, f"A run of this batch started at {utc_now()} and has not "
                                "finished. Run the same command again to complete it.")
        remove_temp_files(folder)  # a killed run's leftovers are never shipped
        for sub in ("engrave", "sheets", "proofs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        ctx = EmitContext(plan.composer, plan.template, batch_id, created,
                          folder, opts.proofs, opts.previews, opts.formats or plan.template.formats)
        t1 = time.perf_counter()
        head = jobsheet_head(plan.template, batch_id, created, len(plan.rejects),
                             plan.orderfile.lines_read, (DRAFT_NOTE,), ctx.formats)
        made = emit(ctx, plan.numbered, opts.workers, progress, head)
        rows, sheets = list(made.rows), made.sheets
        timings["plaques+sheets"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        atomic_write_bytes(folder / "rejects.csv", rejects_csv(plan.rejects))
        atomic_write_bytes(folder / OWNERS, owners_csv(plan.numbered))
        finish(folder, head, made)
        if not fresh:
            _remove_stale(folder, rows, [s.file for s in sheets], ctx.formats, opts.previews)
        notes = plan.notes + _changes(before, rows) + _retire_stale_release(folder, rows, ledger, batch_id)
        keep_template(folder, plan.template_path, plan.template_files)
        now = utc_now()
        pin = register_pin(plan.register)
        created_at = plan.previous.created_at if plan.previous else now
        record = BatchInfo(batch_id, plan.orders_path, plan.orders_sha256, created_at, now,
                           pin.sha256, plan.template_sha256, register_total=pin.total,
                           register_demo=pin.demo, register_source=pin.source)
        write_info(folder, record)
        timings["job sheet+manifest"] = time.perf_counter() - t2
        sync_folder(folder)
        try:
            ledger.record([Issue(vin=r.vin, number=r.number, batch_id=batch_id,
                                 order_id=r.order_id, svg_sha256=r.svg_sha256,
                                 proof_sha256=r.proof_sha256, issued_at=now,
                                 reprint=r.vin in plan.reprints, total=r.total) for r in rows],
                          replace_batch=batch_id, batch=record, pin=pin)
        except PlaquegenError as e:
            mark_incomplete(folder, f"Refused when recording in the ledger: {e}")
            raise BatchError(f"{str(e).rstrip('.')}; {folder} is left incomplete "
                             "(INCOMPLETE.txt, no manifest): nothing in it may be sent or "
                             "engraved.") from None
        write_history(folder, ledger.events(batch_id=batch_id))
        # the manifest was removed by mark_incomplete's first call only if it existed; finish
        # wrote the new one, so the folder is complete once the marker goes
        clear_incomplete(folder)
    except KeyboardInterrupt:
        mark_incomplete(folder, f"Interrupted at {utc_now()}. Run the same command again to "
                                "complete it.")
        raise BatchInterrupted(f"interrupted: {folder} is incomplete (INCOMPLETE.txt, no "
                               "manifest); run the same command again to complete it.") from None
    except OSError as e:
        where = e.filename or folder
        raise BatchError(f"cannot write to {where}: {e.strerror or e}.") from None
    timings["total"] = time.perf_counter() - t0
    return BatchResult(batch_id, folder, plan.orderfile.lines_read, len(rows), len(plan.rejects),
                       len(sheets), timings, notes)


def _changes(before: dict[str, Issue], rows: list[ManifestRow]) -> tuple[str, ...]:
    """What a re-run changed, for the summary."""
    if not before:
        return ()
    now = {r.vin: r for r in rows}
    added = [v for v in now if v not in before]
    withdrawn = [v for v in before if v not in now]
    remade = [v for v, r in now.items() if v in before and
              (before[v].svg_sha256, before[v].number) != (r.svg_sha256, r.number)]
    if not (added or withdrawn or remade):
        return ("re-run: every plaque is unchanged.",)
    return (f"re-run: {len(added)} plaque(s) added, {len(withdrawn)} withdrawn, {len(remade)} "
            f"made again{' (their owners must approve the new proof)' if remade else ''}.",)


def _remove_stale(folder: Path, rows: list[ManifestRow], sheet_files: list[str],
                  formats: tuple[str, ...], previews: bool) -> None:
    """Delete files a previous run of this batch wrote that this run did not (a changed order
    list, fewer formats): the folder holds exactly what the manifest describes."""
    plaques = {Path(r.svg).stem for r in rows}
    proofs = {Path(r.proof).stem for r in rows if r.proof}
    sheets = {Path(f).stem + tail for f in sheet_files for tail in ("", "-guides")}
    wanted = {
        "engrave": (plaques, {".svg"} | ({".dxf"} if "dxf" in formats else set())),
        "sheets": (sheets, {".svg", ".pdf"} | {f".{x}" for x in formats if x != "svg"}),
        "proofs": (proofs, {".pdf"}),
        "preview": (plaques if previews else set(), {".png"}),
    }
    for sub, (stems, exts) in wanted.items():
        try:
            entries = list(os.scandir(folder / sub))  # no stat per file (12,000 of them)
        except FileNotFoundError:
            continue
        for e in entries:
            stem, suffix = os.path.splitext(e.name)
            if (not e.name.startswith(".") and (stem not in stems or suffix not in exts)
                    and e.is_file()):
                os.unlink(e.path)


def _retire_stale_release(folder: Path, rows: list[ManifestRow], ledger: Ledger,
                          batch_id: str) -> tuple[str, ...]:
    """Remove released/ if it holds a plaque this run no longer makes, or makes differently.

    The shop engraves from released/; after a re-run it may no longer match what was
    approved, so it goes (``plaquegen release`` makes it again from the approvals).
    """
    target = folder / RELEASED
    if not target.exists():
        return ()
    try:
        held = {r.vin: r for r in read_manifest(target / "manifest.csv")}
    except PlaquegenError:
        held = {}
    made = {r.vin: r.svg_sha256 for r in rows}
    changed = sorted(v for v, r in held.items() if made.get(v) != r.svg_sha256)
    if not changed and held:
        return ()
    shutil.rmtree(target)
    now = utc_now()
    ledger.add_events([Event(now, v, batch_id, "unreleased", held[v].svg_sha256, held[v].number,
                             detail="the batch was made again; released/ removed")
                       for v in sorted(held)])
    return (f"{RELEASED}/ was removed: {len(changed)} plaque(s) in it are no longer made "
            "as approved; run 'plaquegen release' again after the approvals.",)
