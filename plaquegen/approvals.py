"""Approval round-trip: read the owners' returned proofs, release only approved plaques.

Owners tick the approval checkbox of their proof PDF (or write requested
changes into its text field) and send it back, usually renamed. Three steps:

* :func:`record_approvals` reads returned PDFs (pypdf, through
  :func:`proof.read_proof`), identifies each plaque from the PDF's own hidden
  ``plaquegen_id`` field / document Subject (never from the file name),
  checks that the proof belongs to this batch and still matches the engrave
  file the owner saw (``svg_sha256`` of proof == manifest == file on disk ==
  ledger), and records the answer in the ledger. Files are read in file-name
  order; for one plaque the last answer read wins. A proof that is ticked
  *and* carries change text counts as "changes requested". A PDF that is not
  ours, belongs to another batch, cannot be read, or does not match is
  refused with a reason and changes nothing. ``approvals.csv`` in the batch
  folder then shows every plaque of the batch with its latest state.
* :func:`release` lays out only the approved plaques onto fresh sheets in
  ``<batch>/released/`` (``sheets/``, ``engrave/``, ``job-sheet.pdf``,
  ``manifest.csv``, ``README.txt``). The folder is built aside and swapped in
  whole, so the shop never sees a mix of an old and a new release. Before a
  plaque is placed, its engrave file, the manifest, the ledger's approved
  checksum and the plaque re-composed with the same library code must all
  have the same sha256: the geometry on the released sheets is byte for byte
  what the owner approved. Anything else is refused with a reason.
* :func:`batch_status` tells where each plaque stands.

The ledger is the record of the approval state (an approval there is only
valid for the ``svg_sha256`` it was given for: re-making a batch with changed
artwork clears it). ``approvals.csv`` adds what the ledger has no column for:
the owner's own date and the returned file's name.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import unicodedata
import tempfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Iterable, Sequence

from .files import (atomic_write_bytes, csv_bytes, read_csv, sha256_bytes, sheet_cell, sync_folder,
                    unsheet_cell)
from .ledger import Issue, Ledger, LedgerError, utc_now

__all__ = ["ApprovalError", "Answer", "PlaqueState", "BatchFolder", "ApprovalsResult",
           "ReleaseResult", "open_batch", "find_pdfs", "read_answer", "record_approvals",
           "batch_status", "release", "counts", "APPROVED", "CHANGES", "WAITING",
           "APPROVALS_FIELDS", "RELEASED_DIR"]

APPROVED = "approved"
CHANGES = "changes requested"
WAITING = "waiting"
NO_ANSWER = "no answer"
REFUSED = "refused"

APPROVALS_FIELDS = ("number", "vin", "order_id", "label", "state", "changes", "name", "date",
                    "source", "read_at", "svg_sha256")
RELEASED_DIR = "released"
RELEASE_FIELDS = ("order_id", "vin", "number", "total", "label", "market", "svg", "svg_sha256",
                  "sheet", "slot", "approved_by", "approved_at")
_MANIFEST_NEEDS = {"order_id", "vin", "number", "total", "label", "svg", "svg_sha256"}
_IDENTITY_KEYS = {"batch_id": str, "vin": str, "number": int, "total": int, "svg_sha256": str}
_OFF = ("", "/Off", "Off")


class ApprovalError(Exception):
    """A fatal problem (no batch, no ledger, bad template); str() is one sentence."""


# ---------------------------------------------------------------------------
# The batch folder.

@dataclass(frozen=True)
class ManifestRow:
    order_id: str
    vin: str
    number: int
    total: int
    label: str
    market: str
    svg: str
    svg_sha256: str
    proof: str


@dataclass(frozen=True)
class BatchFolder:
    """A batch output folder: its id (the folder's name), manifest rows and ledger file."""

    folder: Path
    batch_id: str
    ledger: Path
    rows: tuple[ManifestRow, ...]

    def row(self, vin: str) -> ManifestRow | None:
        return next((r for r in self.rows if r.vin == vin), None)


def open_batch(folder: str | os.PathLike, ledger: str | os.PathLike | None = None) -> BatchFolder:
    """Check that ``folder`` is a batch folder and find its ledger (default: ../ledger.sqlite)."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise ApprovalError(f"{folder} is not a folder.")
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise ApprovalError(f"{folder} is not a plaquegen batch folder (it has no manifest.csv).")
    try:
        rows = read_csv(manifest)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ApprovalError(f"cannot read {manifest}: {e}.") from None
    if rows and not _MANIFEST_NEEDS <= set(rows[0]):
        raise ApprovalError(f"{manifest} is not a plaquegen manifest (columns "
                            f"{', '.join(sorted(_MANIFEST_NEEDS - set(rows[0])))} are missing).")
    parsed = []
    for i, r in enumerate(rows, start=2):
        try:
            parsed.append(ManifestRow(unsheet_cell(r["order_id"]), r["vin"], int(r["number"]),
                                      int(r["total"]), r["label"], r.get("market") or "", r["svg"],
                                      r["svg_sha256"], r.get("proof") or ""))
        except (TypeError, ValueError):
            raise ApprovalError(f"{manifest} line {i} is damaged (number or total is not a "
                                "whole number).") from None
    ledger_path = Path(ledger) if ledger else folder.parent / "ledger.sqlite"
    if not ledger_path.is_file():
        raise ApprovalError(f"ledger {ledger_path} does not exist; pass the batch's ledger with "
                            "--ledger.")
    return BatchFolder(folder, folder.name, ledger_path,
                       tuple(sorted(parsed, key=lambda r: (r.number, r.vin))))


def _open_ledger(batch: BatchFolder) -> Ledger:
    try:
        return Ledger(batch.ledger)
    except LedgerError as e:
        raise ApprovalError(str(e).rstrip(".") + ".") from None


def _issues(batch: BatchFolder, ledger: Ledger) -> dict[str, Issue]:
    try:
        issues = {i.vin: i for i in ledger.issues(batch_id=batch.batch_id)}
    except LedgerError as e:
        raise ApprovalError(str(e).rstrip(".") + ".") from None
    if batch.rows and not issues:
        raise ApprovalError(f"ledger {batch.ledger} has no plaques of batch {batch.batch_id}; "
                            "is it the ledger this batch was made with?")
    return issues


# ---------------------------------------------------------------------------
# Reading one returned proof.

@dataclass(frozen=True)
class Answer:
    """What one returned PDF says, or why it was refused.

    outcome: "approved", "changes requested", "no answer" (neither ticked nor
    any change text: recorded as nothing) or "refused" (reason says why).
    note: something the admin should know about an accepted answer.
    """

    file: Path
    outcome: str
    vin: str = ""
    number: int = 0
    label: str = ""
    changes: str = ""
    name: str = ""
    date: str = ""
    reason: str = ""
    note: str = ""

    @property
    def accepted(self) -> bool:
        return self.outcome in (APPROVED, CHANGES)


def find_pdfs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Files given, plus every *.pdf below folders given; sorted by file name (then path)."""
    found: dict[Path, Path] = {}
    for item in inputs:
        p = Path(item)
        if p.is_dir():
            for f in p.rglob("*"):
                if f.is_file() and f.suffix.lower() == ".pdf" and not f.name.startswith("."):
                    found.setdefault(f.resolve(), f)
        else:
            found.setdefault(p.resolve(), p)
    return sorted(found.values(), key=lambda f: (f.name, str(f)))


def read_answer(batch: BatchFolder, path: Path, issues: dict[str, Issue]) -> Answer:
    """Read and check one returned proof against the batch; never raises for a bad file."""
    from .proof import read_proof

    def refuse(reason: str, **kw) -> Answer:
        return Answer(path, REFUSED, reason=reason, **kw)

    try:
        data = path.read_bytes()
    except OSError as e:
        return refuse(f"cannot read the file ({e.strerror or e})")
    if b"%PDF-" not in data[:1024]:
        return refuse("not a PDF file")
    if b"%%EOF" not in data[-1024:]:
        return refuse("the PDF is incomplete (it has no end-of-file marker: cut off in transfer?)")
    try:
        from pypdf import PdfReader

        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return refuse("the PDF is password-protected; ask the owner to return it without "
                          "a password")
        fields = reader.get_fields() or {}
        subject = (reader.metadata or {}).get("/Subject")
        answer = read_proof(data) if not reader.is_encrypted else None
    except Exception as e:  # noqa: BLE001 - pypdf raises many kinds of errors on broken files
        detail = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        return refuse(f"the PDF is damaged and cannot be read ({detail})")
    if answer is None:
        return refuse("the PDF is encrypted; ask the owner to return it without a password")

    # Who is it? The hidden form field and the document Subject must agree.
    ident = answer["identity"]
    if ident is None:
        return refuse("not a plaquegen proof (it has no plaquegen_id)")
    from_field = _json(fields.get("plaquegen_id", {}).get("/V"))
    from_subject = _json(subject)
    if from_field is not None and from_subject is not None and from_field != from_subject:
        return refuse("tampered: the proof's hidden identity and its document metadata disagree")
    if not isinstance(ident, dict) or any(not isinstance(ident.get(k), t) or isinstance(ident.get(k), bool)
                                          for k, t in _IDENTITY_KEYS.items()):
        return refuse("the proof's plaquegen_id is damaged")
    vin, number = ident["vin"], ident["number"]
    who = dict(vin=vin, number=number, label=str(ident.get("label", "")))
    if ident["batch_id"] != batch.batch_id:
        return refuse(f"belongs to batch {ident['batch_id']}, not to batch {batch.batch_id}", **who)
    row = batch.row(vin)
    if row is None:
        return refuse(f"VIN {vin} is not in batch {batch.batch_id}", **who)
    if (number, ident["total"]) != (row.number, row.total):
        return refuse(f"tampered or outdated: the proof says No. {number} of {ident['total']}, "
                      f"the manifest No. {row.number} of {row.total}", **who)
    if "order_id" in ident and ident["order_id"] != row.order_id:
        return refuse(f"tampered or outdated: the proof is for order {ident['order_id']}, "
                      f"the manifest has order {row.order_id}", **who)
    sha = ident["svg_sha256"]
    if sha != row.svg_sha256:
        return refuse("the proof's artwork checksum differs from the manifest (tampered, or the "
                      "batch was made again after this proof: send the owner the new proof)", **who)
    on_disk = _file_sha(batch.folder, row.svg)
    if on_disk != sha:
        why = "is missing" if on_disk is None else "was changed after the proof was made"
        return refuse(f"the engrave file {row.svg} {why}; the owner did not see what would be "
                      "engraved", **who)
    issue = issues.get(vin)
    if issue is None:
        return refuse(f"VIN {vin} of batch {batch.batch_id} is not in the ledger {batch.ledger}", **who)
    if issue.svg_sha256 != sha or issue.number != number:
        return refuse("the ledger records other artwork for this plaque (the batch was made again "
                      "after this proof?)", **who)

    # What does the owner say? Only this plaque's own form counts.
    from .proof import field_suffix

    suffix = field_suffix(vin)
    others = sorted(k[len("approve_"):] for k in fields if k.startswith("approve_")
                    and k != f"approve_{suffix}")
    if others:
        return refuse(f"the PDF also holds the form of another plaque ({others[0]}); return each "
                      "proof as its own PDF", **who)
    box = fields.get(f"approve_{suffix}")
    if box is None:
        return refuse("the approval form is missing (flattened or printed to PDF?); ask the owner "
                      "to fill in the original proof", **who)
    # read_proof counts any value but Off as ticked; only the box's own "on" state counts here.
    ticked = _ticked(box, reader, f"approve_{suffix}")
    odd = "the checkbox holds a value that is not its 'on' state: not counted as approval" \
        if answer["approved"] and not ticked else ""
    changes = _clean(answer["changes"])
    name, date = _clean(answer["name"]), _clean(answer["date"])
    common = dict(who, changes=changes, name=name, date=date)
    if changes:
        note = "ticked AND change text given: treated as changes requested" if ticked else ""
        return Answer(path, CHANGES, note=note or odd, **common)
    if ticked:
        return Answer(path, APPROVED, note="" if name else "approved without a name", **common)
    return Answer(path, NO_ANSWER, note=odd or "neither ticked nor any change text: nothing recorded",
                  **common)


def _ticked(box: dict, reader, field_name: str) -> bool:
    """The checkbox is on: its value (or, without one, its widget's state) is one of its own
    "on" appearance names (the /AP /N keys other than /Off)."""
    states = [str(s) for s in box.get("/_States_", []) if str(s) not in _OFF]
    value = box.get("/V")
    if value is None:  # some viewers only set the widget's appearance state
        for page in reader.pages:
            for a in page.get("/Annots") or []:
                a = a.get_object()
                if a.get("/T") == field_name or (a.get("/Parent") and
                                                 a["/Parent"].get_object().get("/T") == field_name):
                    value = a.get("/AS")
    return value is not None and str(value) not in _OFF and (not states or str(value) in states)


def _json(value) -> dict | None:
    if not value:
        return None
    try:
        out = json.loads(str(value))
    except ValueError:
        return None
    return out if isinstance(out, dict) else None


def _clean(text) -> str:
    """An owner's form entry: line breaks unified, control and invisible format
    characters (terminal escapes, bidi overrides) removed."""
    s = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in s if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def _file_sha(folder: Path, rel: str) -> str | None:
    data = _read_inside(folder, rel)
    return None if data is None else sha256_bytes(data)


def _read_inside(folder: Path, rel: str) -> bytes | None:
    """Bytes of ``folder/rel`` if it is a file inside ``folder`` (the manifest is not trusted)."""
    p = (folder / rel).resolve()
    if folder not in p.parents:
        return None
    try:
        return p.read_bytes()
    except OSError:
        return None


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


def counts(states: Sequence[PlaqueState]) -> dict[str, int]:
    """{"approved": n, "changes requested": n, "waiting": n}."""
    out = {APPROVED: 0, CHANGES: 0, WAITING: 0}
    for s in states:
        out[s.state] += 1
    return out


def _states(batch: BatchFolder, issues: dict[str, Issue],
            answers: dict[str, Answer] | None = None, read_at: str = "") -> list[PlaqueState]:
    """Each manifest row's state from the ledger; date/source from this run or approvals.csv."""
    previous = _previous_approvals(batch.folder)
    released = released_plaques(batch.folder)
    out = []
    for r in batch.rows:
        issue = issues.get(r.vin)
        state = WAITING
        if issue is not None and issue.svg_sha256 == r.svg_sha256 and issue.number == r.number \
                and issue.approval_state in (APPROVED, CHANGES):
            state = issue.approval_state
        base = dict(number=r.number, vin=r.vin, order_id=r.order_id, label=r.label,
                    svg_sha256=r.svg_sha256, state=state,
                    released=state == APPROVED and released.get(r.vin) == r.svg_sha256)
        if state == WAITING:
            out.append(PlaqueState(**base))
            continue
        new = (answers or {}).get(r.vin)
        old = previous.get(r.vin, {})
        if new is not None:
            date, source = new.date, new.file.name
        elif old.get("svg_sha256") == r.svg_sha256 and old.get("state") == state:
            date, source = unsheet_cell(old.get("date", "")), unsheet_cell(old.get("source", ""))
        else:
            date, source = "", ""
        out.append(PlaqueState(**base, changes=issue.approval_changes or "",
                               name=issue.approved_by or "", date=date, source=source,
                               read_at=issue.approved_at or read_at))
    return out


def _previous_approvals(folder: Path) -> dict[str, dict]:
    try:
        return {r.get("vin", ""): r for r in read_csv(folder / "approvals.csv")}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}


def released_plaques(folder: Path) -> dict[str, str]:
    """VIN -> svg_sha256 of what the current released/ folder holds."""
    try:
        return {r["vin"]: r.get("svg_sha256", "") for r in
                read_csv(folder / RELEASED_DIR / "manifest.csv")}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError):
        return {}


def approvals_csv(states: Sequence[PlaqueState]) -> bytes:
    return csv_bytes(APPROVALS_FIELDS, [
        (s.number, s.vin, sheet_cell(s.order_id), s.label, s.state, sheet_cell(s.changes),
         sheet_cell(s.name), sheet_cell(s.date), sheet_cell(s.source), s.read_at, s.svg_sha256)
        for s in states])


@dataclass(frozen=True)
class StatusResult:
    batch_id: str
    folder: Path
    states: list[PlaqueState]
    stale_release: list[str] = field(default_factory=list)  # VINs in released/ not approved now


def batch_status(folder: str | os.PathLike, ledger: str | os.PathLike | None = None) -> StatusResult:
    batch = open_batch(folder, ledger)
    with _open_ledger(batch) as led:
        issues = _issues(batch, led)
    states = _states(batch, issues)
    approved = {s.vin: s.svg_sha256 for s in states if s.state == APPROVED}
    stale = sorted(v for v, sha in released_plaques(batch.folder).items() if approved.get(v) != sha)
    return StatusResult(batch.batch_id, batch.folder, states, stale)


# ---------------------------------------------------------------------------
# Recording returned proofs.

@dataclass(frozen=True)
class ApprovalsResult:
    batch_id: str
    folder: Path
    answers: list[Answer]
    states: list[PlaqueState]
    recorded: int  # plaques whose state was written to the ledger
    csv: Path


def record_approvals(folder: str | os.PathLike, inputs: Iterable[str | os.PathLike],
                     ledger: str | os.PathLike | None = None) -> ApprovalsResult:
    """Read returned proofs, record the answers in the ledger, write approvals.csv."""
    batch = open_batch(folder, ledger)
    files = find_pdfs(inputs)
    if not files:
        raise ApprovalError("no PDF files were found in the paths given.")
    read_at = utc_now()
    with _open_ledger(batch) as led:
        issues = _issues(batch, led)
        answers = [read_answer(batch, f, issues) for f in files]
        latest: dict[str, Answer] = {}
        for a in answers:  # in file-name order: the last answer for a plaque wins
            if a.accepted:
                latest[a.vin] = a
        try:
            for vin, a in latest.items():
                led.set_approval(vin, batch.batch_id, a.outcome, a.name or None, read_at,
                                 a.changes or None)
            issues = _issues(batch, led)
        except LedgerError as e:
            raise ApprovalError(str(e).rstrip(".") + ".") from None
    states = _states(batch, issues, latest, read_at)
    target = batch.folder / "approvals.csv"
    try:
        atomic_write_bytes(target, approvals_csv(states))
    except OSError as e:
        raise ApprovalError(f"cannot write {target}: {e.strerror or e}.") from None
    return ApprovalsResult(batch.batch_id, batch.folder, answers, states, len(latest), target)


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


def release(folder: str | os.PathLike, ledger: str | os.PathLike | None = None,
            template: str | os.PathLike | None = None) -> ReleaseResult:
    """Write <batch>/released/ with only the approved, verified plaques (swapped in whole)."""
    from .artwork import ArtworkError
    from .batch import write_jobsheet
    from .compose import Composer
    from .glyphs import FontError
    from .sheets import layout, sheet_svg
    from .svgout import plaque_svg
    from .template import TemplateError, load_template

    batch = open_batch(folder, ledger)
    with _open_ledger(batch) as led:
        issues = _issues(batch, led)
    states = _states(batch, issues)
    try:
        tpl = load_template(template)
        composer = Composer.prepare(tpl)
    except (TemplateError, ArtworkError, FontError) as e:
        raise ApprovalError(str(e).rstrip(".") + ".") from None

    placed: list[tuple[PlaqueState, ManifestRow, object, bytes]] = []
    refused: list[tuple[PlaqueState, str]] = []
    for s in states:
        if s.state != APPROVED:
            continue
        row = batch.row(s.vin)
        approved_sha = issues[s.vin].svg_sha256
        data = _read_inside(batch.folder, row.svg)
        if data is None:
            refused.append((s, f"engrave file {row.svg} is missing"))
            continue
        if sha256_bytes(data) != approved_sha:
            refused.append((s, f"engrave file {row.svg} differs from the approved artwork "
                               "(changed after approval)"))
            continue
        plaque = composer.compose(row.vin, row.number, row.total)
        if sha256_bytes(plaque_svg(plaque, tpl)) != approved_sha:
            refused.append((s, "the plaque made again with this template differs from the approved "
                               "artwork (was the batch made with another --template?)"))
            continue
        placed.append((s, row, plaque, data))

    target = batch.folder / RELEASED_DIR
    if not placed:
        removed = target.exists()
        if removed:
            shutil.rmtree(target)  # nothing approved any more: an old release must not linger
        return ReleaseResult(batch.batch_id, target, states, [], refused, 0, removed)

    c = counts(states)
    sheets = layout([p for _, _, p, _ in placed], tpl.bed)
    where = {sl.plaque.vin: (sh.file, sl.index) for sh in sheets for sl in sh.slots}
    title_id = f"{batch.batch_id} RELEASED"
    created = utc_now()[:10]
    for leftover in batch.folder.glob(".released-*"):  # a killed release's half-built folder
        shutil.rmtree(leftover, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=".released-new-", dir=batch.folder))
    try:
        rows = []
        for s, row, plaque, data in placed:
            svg_rel = f"engrave/{Path(row.svg).name}"  # a plain name: the manifest is not trusted
            atomic_write_bytes(tmp / svg_rel, data)
            sheet_file, slot = where[row.vin]
            rows.append((sheet_cell(row.order_id), row.vin, row.number, row.total, row.label, row.market,
                         svg_rel, issues[row.vin].svg_sha256, sheet_file, slot, sheet_cell(s.name),
                         s.read_at))
        for sh in sheets:
            atomic_write_bytes(tmp / sh.file, sheet_svg(sh, tpl, title_id))
        atomic_write_bytes(tmp / "manifest.csv", csv_bytes(RELEASE_FIELDS, rows))
        notes = (f"RELEASED: only the {len(placed)} owner-approved plaques of batch {batch.batch_id} "
                 f"({len(states)} in the batch: {c[APPROVED]} approved, {c[WAITING]} waiting, "
                 f"{c[CHANGES]} changes requested).",
                 "Engrave only from this released/ folder; the batch's own sheets/ hold unapproved "
                 "plaques too.")
        if refused:
            notes += (f"{len(refused)} approved plaque(s) held back: their files no longer match "
                      "the approval.",)
        write_jobsheet(tmp, tpl, title_id, created,
                       [(row.label, row.vin, row.order_id, f"engrave/{Path(row.svg).name}",
                         f"../{row.proof}" if row.proof else "") for _, row, _, _ in placed],
                       sheets, 0, len(states), notes)
        atomic_write_bytes(tmp / "README.txt", _readme(batch.batch_id, len(placed), len(sheets),
                                                       created).encode("utf-8"))
        sync_folder(tmp)
        _swap_in(tmp, target)
    except OSError as e:
        raise ApprovalError(f"cannot write {target}: {e.strerror or e}.") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    released = [s for s, *_ in placed]
    states = [PlaqueState(**{**s.__dict__, "released": s in released}) for s in states]
    return ReleaseResult(batch.batch_id, target, states,
                         [s for s in states if s.released], refused, len(sheets))


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
