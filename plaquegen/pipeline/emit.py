"""Plaques -> files: the one emitter that batch and release both use.

A job is one bed load (sheet) of numbered cars in build order. For each car the emitter
composes the plaque once, writes its engrave SVG (and, for a batch, its owner proof), then
writes the sheet. Sheets are independent, so they run in worker processes; the bytes are the
same whatever the number of workers. Meanwhile this process draws the job sheet's pages as the
sheets come back, and the disk writes back what is done (:class:`files.EarlyWriteback`);
:func:`finish` then completes the job sheet and writes the manifest. Release calls the same
functions with ``proofs=False`` on the approved cars only, so the shop's released sheets are
laid out exactly as a batch's.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..record.folder import ENGRAVE, JOBSHEET, MANIFEST, PROOFS, ManifestRow, manifest_csv, plaque_stem
from ..art.compose import Composer
from ..writers.dxf import plaque_dxf, sheet_dxf
from ..writers.lbrn import sheet_lbrn2
from ..laser.estimate import EstimateParams, plaque_estimate, sheet_estimate
from ..core.children import die_with_parent
from ..core.files import EarlyWriteback, atomic_write_bytes, sha256_bytes
from ..writers.jobsheet import JobSheetWriter, render_jobsheet
from ..writers.jobsheet_page import JobSheetInfo
from ..geometry.layers import LAYERS
from ..writers.png import svg_to_png
from ..proof.render import ProofWriter, prepare_proofs, render_proof
from ..proof.strings import letter_paper, proof_language
from ..core.records import Numbered
from ..bed.layout import Sheet, laser_run, place_in_pockets, split_loads
from ..writers.svg import sheet_svg
from ..writers.lbrn import machine_of
from ..writers.guides import guides_file, sheet_guides_pdf, sheet_guides_svg
from ..writers.svg import plaque_svg
from ..inputs.template import Template

__all__ = ["EmitContext", "Emission", "Job", "jobs_for", "run_jobs", "make_sheet", "emit",
           "jobsheet_head", "jobsheet_info", "shop_howto", "finish", "layer_table", "fewer_collections",
           "FEWER_COLLECTIONS"]

Job = tuple[int, Sequence[Numbered], str]  # (sheet number, cars in build order, sheet file)


@dataclass(frozen=True)
class EmitContext:
    """What every sheet of one emission shares. created: the batch date (YYYY-MM-DD)."""

    composer: Composer
    template: Template
    batch_id: str
    created: str
    folder: Path
    proofs: bool
    previews: bool = False
    formats: tuple[str, ...] = ("svg",)  # besides the SVGs: "dxf" (plaques, sheets), "lbrn2" (sheets)
    proof_writer: ProofWriter | None = None  # the batch's (run_jobs makes it: one font subset)

    @property
    def params(self) -> EstimateParams:
        return estimate_params(self.template)


def estimate_params(template: Template) -> EstimateParams:
    """The template's laser settings as the time estimate needs them (passes folded into the
    speeds: n passes at v mm/s take as long as one at v/n)."""
    las = template.laser
    e, s, c = las.engrave, las.score, las.cut
    return EstimateParams(fill_speed=e.speed / e.passes, interval=e.interval,
                          bidirectional=e.bidirectional, score_speed=s.speed / s.passes,
                          cut_speed=c.speed / c.passes, rapid_speed=las.rapid_speed,
                          overscan=e.overscan, overhead=las.pass_overhead, angle=e.angle)


def jobs_for(numbered: Sequence[Numbered], template: Template) -> list[Job]:
    """Cars (any order) -> bed loads in build-number order."""
    return split_loads(sorted(numbered, key=lambda n: (n.number, n.vin)), template.bed)


def make_sheet(ctx: EmitContext, sheet_no: int, chunk: Sequence[Numbered],
               sheet_file: str) -> tuple[Sheet, list[ManifestRow], float]:
    """Compose and write each plaque of one sheet (engrave SVG, proof), then the sheet;
    returns the sheet, its manifest rows and its estimated machine time in s."""
    t = ctx.template
    plaques, rows = [], []
    for slot, n in enumerate(chunk, start=1):
        plaque = ctx.composer.compose(n.vin, n.number, n.total)
        plaques.append(plaque)
        stem = plaque_stem(n.vin, n.number, n.total)
        svg = plaque_svg(plaque, t)
        svg_rel = f"{ENGRAVE}/{stem}.svg"
        atomic_write_bytes(ctx.folder / svg_rel, svg)
        svg_sha = sha256_bytes(svg)
        proof_rel, proof_sha = "", ""
        if ctx.proofs:
            pdf = render_proof(plaque, n, ctx.batch_id, svg_sha, ctx.created, ctx.proof_writer)
            proof_rel = f"{PROOFS}/{stem}.pdf"
            atomic_write_bytes(ctx.folder / proof_rel, pdf)
            proof_sha = sha256_bytes(pdf)
        if "dxf" in ctx.formats:
            atomic_write_bytes(ctx.folder / f"{ENGRAVE}/{stem}.dxf", plaque_dxf(plaque, t))
        if ctx.previews:
            atomic_write_bytes(ctx.folder / f"preview/{stem}.png", svg_to_png(svg))
        est = plaque_estimate(plaque, ctx.params)
        rows.append(ManifestRow(n.order.order_id, n.vin, n.number, n.total, plaque.label, n.market,
                                svg_rel, svg_sha, proof_rel, proof_sha, sheet_file, slot,
                                round(plaque.engraved_length, 1), round(plaque.travel_length, 1),
                                round(est.hatch_length, 1), round(est.seconds, 1)))
    sheet = Sheet(sheet_no, t.bed.width, t.bed.height, place_in_pockets(plaques, t.bed), sheet_file)
    seconds = sheet_estimate(laser_run(sheet), ctx.params).seconds
    atomic_write_bytes(ctx.folder / sheet_file, sheet_svg(sheet, t, ctx.batch_id))
    for ext, guides in (("svg", sheet_guides_svg), ("pdf", sheet_guides_pdf)):  # never for a laser
        atomic_write_bytes(ctx.folder / guides_file(sheet_file, ext), guides(sheet, t, ctx.batch_id))
    if "dxf" in ctx.formats:
        atomic_write_bytes(ctx.folder / Path(sheet_file).with_suffix(".dxf"),
                           sheet_dxf(sheet, t, ctx.batch_id))
    if "lbrn2" in ctx.formats:
        atomic_write_bytes(ctx.folder / Path(sheet_file).with_suffix(".lbrn2"),
                           sheet_lbrn2(sheet, t, ctx.batch_id, t.laser))
    return sheet, rows, seconds


_WORKER_CTX: EmitContext | None = None


def _init_worker(ctx: EmitContext, parent_pid: int) -> None:
    global _WORKER_CTX
    die_with_parent(parent_pid)  # a parent killed outright (OOM killer) takes its workers along
    _WORKER_CTX = ctx
    # What the worker inherited (artwork, caches, templates) lives as long as it does: out of
    # the collector's sight, and collections less often (plaques are made of many tuples).
    gc.freeze()
    gc.set_threshold(*FEWER_COLLECTIONS)


# Garbage collector thresholds while a batch is made: plaques are many small acyclic tuples,
# and a full collection walks every live one (the parent holds every sheet until the end).
FEWER_COLLECTIONS = (50000, 50, 1000)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often inside the block (a batch's parent: ~15% of its CPU)."""
    old = gc.get_threshold()
    gc.freeze()  # what exists now (register, orders, artwork) outlives the block anyway
    gc.set_threshold(*FEWER_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _worker_job(job: Job):
    return make_sheet(_WORKER_CTX, *job)


def run_jobs(ctx: EmitContext, jobs: list[Job],
             workers: int) -> Iterator[tuple[Sheet, list[ManifestRow], float]]:
    """Yield (sheet, manifest rows, machine s) in job order, in this process or in worker processes.

    A sheet travels back pickled (~70 kB, ~2 ms): its plaques still share their artwork
    objects, which the job sheet draws once per page."""
    if ctx.proofs and ctx.proof_writer is None:
        # One font subset of exactly the batch's characters, templates built before the fork.
        t = ctx.template
        ctx = replace(ctx, proof_writer=prepare_proofs([n for _, chunk, _ in jobs for n in chunk],
                                                      (t.width, t.height), ctx.batch_id))
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield make_sheet(ctx, *job)
        return
    _warm(ctx, jobs)
    mp = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp, initializer=_init_worker,
                             initargs=(ctx, os.getpid())) as pool:
        yield from pool.map(_worker_job, jobs)


def _warm(ctx: EmitContext, jobs: Sequence[Job]) -> None:
    """Fill the caches every worker needs once, before the workers fork, instead of once in
    each of them: glyphs, path data and one proof template per language and paper, and the
    laser order of a full sheet (the constant layers of every full sheet are solved once)."""
    cars = [n for _, chunk, _ in jobs for n in chunk]
    seen = set()
    for n in cars:
        variant = (proof_language(n), letter_paper(n))
        if variant in seen:
            continue
        seen.add(variant)
        plaque = ctx.composer.compose(n.vin, n.number, n.total)
        svg = plaque_svg(plaque, ctx.template)
        if ctx.proofs:
            render_proof(plaque, n, ctx.batch_id, sha256_bytes(svg), ctx.created, ctx.proof_writer)
    t = ctx.template
    _, chunk, sheet_file = jobs[0]
    plaques = [ctx.composer.compose(n.vin, n.number, n.total) for n in chunk]
    sheet = Sheet(0, t.bed.width, t.bed.height, place_in_pockets(plaques, t.bed), sheet_file)
    sheet_estimate(laser_run(sheet), ctx.params)


def layer_table(template: Template) -> list[tuple[str, str, str]]:
    """(layer, colour, how to run it) for the job sheet, in run order (from layers.LAYERS)."""
    rows = []
    for spec in LAYERS:
        if spec.name == "cut" and template.outline != "cut":
            continue
        how = {"fill": f"fill: engrave {spec.purpose}",
               "line": f"line: trace the {template.hairline} mm hairlines ({spec.purpose})"
               if spec.name == "score" else f"cut {spec.purpose}",
               "guide": f"do not output: {spec.purpose}"}[spec.kind]
        if spec.output:
            how += f" — {_settings(template, spec.name)}"
        rows.append((spec.name, template.colors[spec.name], how))
    return rows


def _settings(template: Template, layer: str) -> str:
    """The shop's laser settings of one operation, as the job sheet prints them."""
    op = template.laser.op(layer)
    text = f"{op.speed:g} mm/s, {op.power:g} %"
    if getattr(op, "interval", None):
        text += f", interval {op.interval:g} mm{', both ways' if op.bidirectional else ''}"
    if op.passes != 1:
        text += f", {op.passes} passes"
    return text


def jobsheet_head(template: Template, title: str, created: str, rejects: int, orders_read: int,
                  notes: tuple[str, ...], formats: tuple[str, ...] = ("svg",)) -> JobSheetInfo:
    """What the job sheet shows that is known before any plaque is made (no plaques, sheets or
    machine time yet: :func:`emit` draws the sheets as they come, :func:`finish` the rest)."""
    return JobSheetInfo(batch_id=title, created=created, plate_w=template.width,
                        plate_h=template.height, material=template.material,
                        layers=tuple(layer_table(template)), plaques=(), sheets=(),
                        rejects=rejects, orders_read=orders_read, notes=notes, formats=formats,
                        howto=shop_howto(template))


def shop_howto(template: Template) -> tuple[tuple[str, str], ...]:
    """The job sheet's lines on the machine (workspace, per-field layout) and the shop
    program's import notes (plaquegen.inputs.machine.SHOP_PROFILES)."""
    machine = machine_of(template)
    rows = [("machine", f"{machine.describe()}: set the laser program's workspace so.")]
    if machine.note:
        rows.append(("per field", machine.note))
    shop = template.shop
    rows += [(shop.program, f"{what}: {text}") for what, text in shop.notes]
    return tuple(rows)


@dataclass(frozen=True)
class Emission:
    """What :func:`emit` made: the sheets in order, one manifest row per plaque, the estimated
    machine time of all sheets in s, and the job sheet drawn so far (None without a head)."""

    sheets: tuple[Sheet, ...]
    rows: tuple[ManifestRow, ...]
    machine_s: float
    jobsheet: JobSheetWriter | None = None


def emit(ctx: EmitContext, numbered: Sequence[Numbered], workers: int,
         progress: Callable[[int], None] | None = None,
         head: JobSheetInfo | None = None) -> Emission:
    """All sheets and plaques of these cars (no manifest: see :func:`finish`). With ``head``
    (:func:`jobsheet_head`) the job sheet's pages are drawn while the workers make the next
    sheets, in this process, which otherwise only waits."""
    jobs = jobs_for(numbered, ctx.template)
    writer = JobSheetWriter(head, len(numbered), len(jobs)) if head is not None else None
    sheets: list[Sheet] = []
    rows: list[ManifestRow] = []
    total = 0.0
    with EarlyWriteback(ctx.folder) as writeback:
        for sheet, sheet_rows, seconds in run_jobs(ctx, jobs, workers):
            sheets.append(sheet)
            rows.extend(sheet_rows)
            total += seconds
            writeback.kick()  # the workers exist by now: the disk writes while they compute
            if writer is not None:
                writer.add_sheet(sheet)
            if progress:
                progress(len(sheet_rows))
    return Emission(tuple(sheets), tuple(rows), total, writer)


def finish(folder: Path, head: JobSheetInfo, made: Emission, rows: Sequence[ManifestRow] | None = None,
           released: bool = False, proof_prefix: str = "") -> None:
    """Write folder/job-sheet.pdf and folder/manifest.csv for what :func:`emit` made (``rows``:
    its manifest rows as the caller amended them, by default ``made.rows``).

    The manifest is written last: a folder with a manifest is complete."""
    ordered = sorted(made.rows if rows is None else rows, key=lambda r: (r.number, r.vin))
    info = jobsheet_info(head, made, ordered, proof_prefix)
    if made.jobsheet is not None:
        pdf = made.jobsheet.finish(info.plaques, info.machine_s)
    else:
        pdf = render_jobsheet(info)
    atomic_write_bytes(folder / JOBSHEET, pdf)
    atomic_write_bytes(folder / MANIFEST, manifest_csv(ordered, released=released))


def jobsheet_info(head: JobSheetInfo, made: Emission, rows: Sequence[ManifestRow] | None = None,
                  proof_prefix: str = "") -> JobSheetInfo:
    """The whole job sheet's content: the head, the made sheets and machine time, one list
    row per manifest row (``rows`` in build order, by default ``made.rows``, which are)."""
    plaques = tuple((r.label, r.vin, r.order_id, r.svg, proof_prefix + r.proof if r.proof else "")
                    for r in (made.rows if rows is None else rows))
    return replace(head, plaques=plaques, sheets=made.sheets, machine_s=made.machine_s)
