"""The pipeline: orders -> numbered -> plaques -> writers.

run_batch() reads and numbers the orders, refuses what must be refused,
then works sheet by sheet (one sheet = one jig load of plaques in build-number
order): compose each plaque once, write its engrave SVG and owner proof, write
the sheet. Sheets are independent, so they run in worker processes; the
output is the same bytes whatever the number of workers. Finally the job
sheet, manifest.csv and rejects.csv are written and the ledger records the
batch in one transaction.
"""
from __future__ import annotations

import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from .artwork import ArtworkError
from .compose import Composer
from .files import (atomic_write_bytes, csv_bytes, remove_temp_files, safe_name, sha256_bytes,
                    sheet_cell, sync_folder)
from .glyphs import FontError
from .ledger import Issue, Ledger, LedgerError
from .numbering import number_orders
from .orders import OrdersError, read_orders
from .records import Numbered, Reject
from .register import RegisterError, load_register
from .sheets import Sheet, fill, plan, sheet_svg
from .svgout import plaque_svg
from .template import Template, TemplateError, load_template

MANIFEST_FIELDS = ("order_id", "vin", "number", "total", "label", "market", "svg", "svg_sha256",
                   "proof", "proof_sha256", "sheet", "slot", "engraved_mm", "travel_mm")
REJECT_FIELDS = ("line", "order_id", "vin", "reason", "raw")


class BatchError(Exception):
    """A fatal problem that stops a batch; str() is one sentence."""


@dataclass(frozen=True)
class BatchOptions:
    orders: Path
    out: Path = Path("output")
    batch_id: str | None = None
    register: Path | None = None
    template: Path | None = None
    ledger: Path | None = None  # default: <out>/ledger.sqlite
    reprint: bool = False
    proofs: bool = True
    previews: bool = False
    workers: int = 1


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    folder: Path
    orders_read: int
    plaques: int
    rejects: int
    sheets: int
    timings: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # things the admin must know (e.g. a release withdrawn)


@dataclass(frozen=True)
class PlaqueRow:
    """One manifest row (see MANIFEST_FIELDS)."""

    numbered: Numbered
    label: str
    svg: str
    svg_sha256: str
    proof: str
    proof_sha256: str
    sheet: str
    slot: int
    engraved_mm: float
    travel_mm: float


def fatal(fn: Callable, *args):
    """Call a loader; turn its one-sentence error into a BatchError."""
    try:
        return fn(*args)
    except (OrdersError, RegisterError, TemplateError, ArtworkError, FontError, LedgerError) as e:
        raise BatchError(str(e)) from None


def batch_name(orders: Path, batch_id: str | None = None) -> str:
    """The batch id: as given, else the orders file's name; always a safe folder name."""
    return safe_name(batch_id or Path(orders).stem, fallback="batch")


def plaque_stem(n: Numbered) -> str:
    """File-name stem '<number>_<vin>', number zero-padded to the total's width."""
    return f"{n.number:0{len(str(n.total))}d}_{safe_name(n.vin)}"


def run_batch(opts: BatchOptions, progress: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None) -> BatchResult:
    """Run a whole batch; raises BatchError for a fatal problem. progress(n) after each sheet."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    template = fatal(load_template, opts.template)
    composer = fatal(Composer.prepare, template)  # bad artwork/font: refuse before writing anything
    if opts.proofs:
        _check_proof_fits(template)
    register = fatal(load_register, opts.register)
    orderfile = fatal(read_orders, opts.orders)
    batch_id = batch_name(opts.orders, opts.batch_id)
    folder = Path(opts.out) / batch_id
    numbered, refused = number_orders(orderfile.orders, register)
    rejects = list(orderfile.rejects) + refused

    ledger_path = Path(opts.ledger) if opts.ledger else Path(opts.out) / "ledger.sqlite"
    ledger = fatal(Ledger, ledger_path)
    try:
        numbered, conflict_rejects, reprints = check_ledger(ledger, numbered, batch_id, opts.reprint)
        rejects += conflict_rejects
        created = _batch_date(ledger, batch_id)
        timings["read+number"] = time.perf_counter() - t0

        numbered.sort(key=lambda n: n.number)
        jobs = plan(numbered, template.bed)
        if on_plan:
            on_plan(len(numbered))
        t1 = time.perf_counter()
        _prepare_folder(folder)
        ctx = _Context(composer, template, batch_id, created, folder, opts.proofs, opts.previews)
        rows: list[PlaqueRow] = []
        sheets: list[Sheet] = []
        for sheet, sheet_rows in _run_jobs(ctx, jobs, opts.workers):
            # A sheet travels back pickled (~70 kB, ~2 ms): its plaques still share their
            # artwork objects, which the job sheet draws once per page.
            sheets.append(sheet)
            rows.extend(sheet_rows)
            if progress:
                progress(len(sheet_rows))
        timings["plaques+sheets"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        rejects.sort(key=lambda r: r.line)
        write_jobsheet(folder, template, batch_id, created,
                       [(r.label, r.numbered.vin, r.numbered.order.order_id, r.svg, r.proof)
                        for r in rows], sheets, len(rejects), orderfile.lines_read, (DRAFT_NOTE,))
        atomic_write_bytes(folder / "manifest.csv", manifest_csv(rows))
        atomic_write_bytes(folder / "rejects.csv", rejects_csv(rejects))
        _remove_stale(folder, rows, sheets)
        notes = _retire_stale_release(folder, rows)
        timings["job sheet+manifest"] = time.perf_counter() - t2
        sync_folder(folder)
        now = _now()
        ledger.record([Issue(vin=r.numbered.vin, number=r.numbered.number, batch_id=batch_id,
                             order_id=r.numbered.order.order_id, svg_sha256=r.svg_sha256,
                             proof_sha256=r.proof_sha256, issued_at=now,
                             reprint=r.numbered.vin in reprints) for r in rows],
                      replace_batch=batch_id)
    except LedgerError as e:
        raise BatchError(str(e)) from None
    except OSError as e:
        where = e.filename or folder
        raise BatchError(f"cannot write to {where}: {e.strerror or e}.") from None
    finally:
        ledger.close()
    timings["total"] = time.perf_counter() - t0
    return BatchResult(batch_id, folder, orderfile.lines_read, len(rows), len(rejects), len(sheets),
                       timings, notes)


def _check_proof_fits(template: Template) -> None:
    """A plate too large for a 1:1 view on A4 or Letter is refused before anything is written."""
    from reportlab.lib.pagesizes import A4, LETTER

    from .proof import proof_layout

    for page in (A4, LETTER):
        try:
            proof_layout(page, template.width, template.height)
        except ValueError as e:
            raise BatchError(f"{template.source}: {e}; make the batch with --no-proofs.") from None


def check_ledger(ledger: Ledger, numbered: list[Numbered], batch_id: str,
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


def _batch_date(ledger: Ledger, batch_id: str) -> str:
    """The batch's date: when it was first issued (so re-runs give the same bytes), else today."""
    issued = ledger.issues(batch_id=batch_id)
    if issued:
        return min(i.issued_at for i in issued)[:10]
    return _now()[:10]


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class _Context:
    composer: Composer
    template: Template
    batch_id: str
    created: str
    folder: Path
    proofs: bool
    previews: bool


_WORKER_CTX: _Context | None = None


def _init_worker(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_job(job):
    return make_sheet(_WORKER_CTX, *job)


def _run_jobs(ctx: _Context, jobs: list, workers: int):
    """Yield (sheet, manifest rows) in job order, in this process or in a pool of workers."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield make_sheet(ctx, *job)
        return
    import multiprocessing

    mp = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp, initializer=_init_worker,
                             initargs=(ctx,)) as pool:
        yield from pool.map(_worker_job, jobs)


def make_sheet(ctx: _Context, sheet_no: int, chunk: Sequence[Numbered],
               sheet_file: str) -> tuple[Sheet, list[PlaqueRow]]:
    """Compose, write engrave SVG and proof for each plaque of one sheet; write the sheet."""
    from .proof import render_proof  # reportlab import is heavy; only where needed

    t = ctx.template
    plaques = []
    rows: list[PlaqueRow] = []
    for slot, n in enumerate(chunk, start=1):
        plaque = ctx.composer.compose(n.vin, n.number, n.total)
        plaques.append(plaque)
        stem = plaque_stem(n)
        svg = plaque_svg(plaque, t)
        svg_rel = f"engrave/{stem}.svg"
        atomic_write_bytes(ctx.folder / svg_rel, svg)
        svg_sha = sha256_bytes(svg)
        proof_rel, proof_sha = "", ""
        if ctx.proofs:
            pdf = render_proof(plaque, n, ctx.batch_id, svg_sha, ctx.created)
            proof_rel = f"proofs/{stem}.pdf"
            atomic_write_bytes(ctx.folder / proof_rel, pdf)
            proof_sha = sha256_bytes(pdf)
        if ctx.previews:
            from .preview import svg_to_png

            atomic_write_bytes(ctx.folder / f"preview/{stem}.png", svg_to_png(svg))
        rows.append(PlaqueRow(n, plaque.label, svg_rel, svg_sha, proof_rel, proof_sha, sheet_file,
                              slot, round(plaque.engraved_length, 1), round(plaque.travel_length, 1)))
    sheet = Sheet(sheet_no, t.bed.width, t.bed.height, fill(plaques, t.bed), sheet_file)
    atomic_write_bytes(ctx.folder / sheet_file, sheet_svg(sheet, t, ctx.batch_id))
    return sheet, rows


def _prepare_folder(folder: Path) -> None:
    if folder.exists():
        remove_temp_files(folder)  # a killed run's leftovers are never shipped
    for sub in ("engrave", "sheets", "proofs"):
        (folder / sub).mkdir(parents=True, exist_ok=True)


def _remove_stale(folder: Path, rows: list[PlaqueRow], sheets: list[Sheet]) -> None:
    """Delete files a previous run of this batch wrote that this run did not (a changed order list)."""
    keep = {r.svg for r in rows} | {r.proof for r in rows if r.proof} | {s.file for s in sheets}
    keep |= {f"preview/{Path(r.svg).stem}.png" for r in rows}
    for sub, pattern in (("engrave", "*.svg"), ("proofs", "*.pdf"), ("sheets", "*.svg"),
                         ("preview", "*.png")):
        for f in (folder / sub).glob(pattern):
            if f"{sub}/{f.name}" not in keep:
                f.unlink()


def _retire_stale_release(folder: Path, rows: list[PlaqueRow]) -> tuple[str, ...]:
    """Remove released/ if it holds a plaque this run no longer makes, or makes differently.

    The shop engraves from released/; after a re-run it may no longer match what was
    approved, so it goes (``plaquegen release`` makes it again from the approvals).
    """
    from .approvals import RELEASED_DIR, released_plaques

    held = released_plaques(folder)
    if not (folder / RELEASED_DIR).exists():
        return ()
    made = {r.numbered.vin: r.svg_sha256 for r in rows}
    changed = sorted(v for v, sha in held.items() if made.get(v) != sha)
    if not changed and held:
        return ()
    shutil.rmtree(folder / RELEASED_DIR)
    return (f"{RELEASED_DIR}/ was removed: {len(changed)} plaque(s) in it are no longer made "
            "as approved; run 'plaquegen release' again after the approvals.",)


DRAFT_NOTE = ("DRAFT until the owners approve their proofs: when the register sends a released/ "
              "folder, engrave from released/ only (it holds just the approved plaques).")


def write_jobsheet(folder: Path, template: Template, title: str, created: str,
                   plaques: Sequence[tuple[str, str, str, str, str]], sheets: Sequence[Sheet],
                   rejects: int, orders_read: int, notes: tuple[str, ...]) -> None:
    """folder/job-sheet.pdf. plaques: (label, vin, order id, svg file, proof file) rows."""
    from .jobsheet import JobSheetInfo, render_jobsheet

    info = JobSheetInfo(
        batch_id=title, created=created, plate_w=template.width, plate_h=template.height,
        material=template.material, layers=tuple(layer_table(template)), plaques=tuple(plaques),
        sheets=tuple(sheets), rejects=rejects, orders_read=orders_read, notes=notes)
    atomic_write_bytes(folder / "job-sheet.pdf", render_jobsheet(info))


def layer_table(template: Template) -> list[tuple[str, str, str]]:
    """(layer, colour, how to run it) for the job sheet, in laser order."""
    c = template.colors
    rows = [("engrave", c["engrave"], "fill: engrave the black areas (silhouette, number)"),
            ("score", c["score"], f"line: trace the {template.hairline} mm hairlines (signature)")]
    if template.outline == "cut":
        rows.append(("cut", c["cut"], "cut the plate outline, last"))
    rows.append(("guide", c["guide"], "do not output: pockets, slot labels, outlines"))
    return rows


def manifest_csv(rows: list[PlaqueRow]) -> bytes:
    out = []
    for r in sorted(rows, key=lambda r: r.numbered.number):
        n = r.numbered
        out.append((sheet_cell(n.order.order_id), n.vin, n.number, n.total, r.label, n.market,
                    r.svg, r.svg_sha256, r.proof, r.proof_sha256, r.sheet, r.slot,
                    f"{r.engraved_mm:.1f}", f"{r.travel_mm:.1f}"))
    return csv_bytes(MANIFEST_FIELDS, out)


def rejects_csv(rejects: list[Reject]) -> bytes:
    out = [(r.line, sheet_cell(r.order_id), sheet_cell(r.vin), r.reason,
            sheet_cell(" | ".join(f"{k}={v}" for k, v in r.raw)))
           for r in sorted(rejects, key=lambda r: r.line)]
    return csv_bytes(REJECT_FIELDS, out)
