"""The batch folder's contract: its paths, the one manifest row, its CSVs, its identity files.

```
<out>/<batch-id>/
  engrave/<number>_<vin>.svg   sheets/sheet-NN.svg   proofs/<number>_<vin>.pdf
  job-sheet.pdf  manifest.csv  rejects.csv  approvals.csv
  batch.json       where the batch came from (order file + sha256, register, template)
  history.jsonl    this batch's part of the ledger's history (to rebuild a lost ledger)
  template/        a copy of the template, artwork and font the batch was made with
  INCOMPLETE.txt   present while a run is writing or after it failed: nothing here is valid
  released/        only the approved plaques, for the shop
```
A folder with INCOMPLETE.txt has no manifest.csv: a half-made batch never looks valid.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable, Sequence

from ..core.errors import PlaquegenError
from ..core.files import atomic_write_bytes, csv_bytes, read_csv, safe_name, sheet_cell, unsheet_cell
from .ledger import BatchRecord, Event, RegisterPin
from ..core.records import Reject, pad_number

__all__ = ["BatchDirError", "ManifestRow", "BatchInfo", "BatchFolder", "MANIFEST_FIELDS",
           "RELEASE_FIELDS", "REJECT_FIELDS", "manifest_csv", "read_manifest", "rejects_csv",
           "plaque_stem", "batch_name", "open_batch", "mark_incomplete", "clear_incomplete",
           "incomplete_reason", "write_info", "read_info", "write_history", "read_history",
           "keep_template", "kept_template", "template_identity", "batch_folders", "file_sha256",
           "read_inside", "owners_csv", "read_owners"]

ENGRAVE, SHEETS, PROOFS, RELEASED, TEMPLATE_DIR = "engrave", "sheets", "proofs", "released", "template"
MANIFEST, REJECTS, JOBSHEET, APPROVALS = "manifest.csv", "rejects.csv", "job-sheet.pdf", "approvals.csv"
INCOMPLETE, BATCH_JSON, HISTORY = "INCOMPLETE.txt", "batch.json", "history.jsonl"
OWNERS, OUTBOX = "owners.csv", "outbox"
OWNER_FIELDS = ("vin", "order_id", "name", "email", "country", "language")


class BatchDirError(PlaquegenError):
    """A batch folder that cannot be used as one; str() is one sentence."""


# ---------------------------------------------------------------- the manifest

@dataclass(frozen=True)
class ManifestRow:
    """One plaque in a manifest. Files are relative to the folder holding the manifest;
    lengths in mm, times in s (estimates, see estimate.py). approved_by/approved_at are
    filled only in released/manifest.csv."""

    order_id: str
    vin: str
    number: int
    total: int
    label: str
    market: str
    svg: str
    svg_sha256: str
    proof: str
    proof_sha256: str
    sheet: str
    slot: int
    engraved_mm: float
    travel_mm: float
    hatch_mm: float = 0.0    # fill line length (fill area / interval), estimate.py's model
    machine_s: float = 0.0   # estimated time to run this plaque alone, s
    approved_by: str = ""
    approved_at: str = ""


RELEASE_FIELDS = tuple(f.name for f in fields(ManifestRow))
MANIFEST_FIELDS = RELEASE_FIELDS[:-2]
_NEEDED = {"order_id", "vin", "number", "total", "label", "svg", "svg_sha256"}
_TEXT_CELLS = {"order_id", "approved_by"}  # cells that came from people: formula-guarded


def manifest_csv(rows: Iterable[ManifestRow], released: bool = False) -> bytes:
    """manifest.csv bytes, rows in build-number order; released adds the approval columns."""
    names = RELEASE_FIELDS if released else MANIFEST_FIELDS
    out = []
    for r in sorted(rows, key=lambda r: (r.number, r.vin)):
        cells = []
        for name in names:
            v = getattr(r, name)
            if name in ("engraved_mm", "travel_mm", "hatch_mm", "machine_s"):
                v = f"{v:.1f}"
            elif name in _TEXT_CELLS:
                v = sheet_cell(v)
            cells.append(v)
        out.append(cells)
    return csv_bytes(names, out)


def read_manifest(path: Path) -> tuple[ManifestRow, ...]:
    """The rows of a manifest.csv written by manifest_csv (BatchDirError if it is not one)."""
    try:
        rows = read_csv(path)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise BatchDirError(f"cannot read {path}: {e}.") from None
    if rows and not _NEEDED <= set(rows[0]):
        raise BatchDirError(f"{path} is not a plaquegen manifest (columns "
                            f"{', '.join(sorted(_NEEDED - set(rows[0])))} are missing).")
    out = []
    for i, r in enumerate(rows, start=2):
        try:
            out.append(ManifestRow(
                unsheet_cell(r["order_id"]), r["vin"], int(r["number"]), int(r["total"]), r["label"],
                r.get("market") or "", r["svg"], r["svg_sha256"], r.get("proof") or "",
                r.get("proof_sha256") or "", r.get("sheet") or "", int(r.get("slot") or 0),
                float(r.get("engraved_mm") or 0), float(r.get("travel_mm") or 0),
                float(r.get("hatch_mm") or 0), float(r.get("machine_s") or 0),
                unsheet_cell(r.get("approved_by") or ""), r.get("approved_at") or ""))
        except (TypeError, ValueError):
            raise BatchDirError(f"{path} line {i} is damaged (a number in it is not a "
                                "number).") from None
    return tuple(sorted(out, key=lambda r: (r.number, r.vin)))


REJECT_FIELDS = ("line", "order_id", "vin", "reason", "raw")


def rejects_csv(rejects: Iterable[Reject]) -> bytes:
    out = [(r.line, sheet_cell(r.order_id), sheet_cell(r.vin), r.reason,
            sheet_cell(" | ".join(f"{k}={v}" for k, v in r.raw)))
           for r in sorted(rejects, key=lambda r: r.line)]
    return csv_bytes(REJECT_FIELDS, out)


def plaque_stem(vin: str, number: int, total: int) -> str:
    """File-name stem '<number>_<vin>', number zero-padded so listings sort in build order."""
    return f"{pad_number(number, total)}_{safe_name(vin)}"


def batch_name(orders: str | os.PathLike, batch_id: str | None = None) -> str:
    """The batch id: as given, else the order file's name; always a safe folder name."""
    stem = "stdin" if str(orders) == "-" else Path(orders).stem
    name = safe_name(batch_id or stem, fallback="batch")
    if name.lower().startswith(_RESERVED_PREFIXES) or name.lower() in _RESERVED_NAMES:
        raise BatchDirError(f"the batch id {name!r} is the name of the output folder's own files "
                            "(the ledger, its backups, the season page); give another --batch-id.")
    return name


# What the output folder holds besides batch folders: never a batch id.
_RESERVED_PREFIXES = ("ledger.sqlite", ".")
_RESERVED_NAMES = {"index.html", "plaquegen.toml"}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_inside(folder: Path, rel: str) -> bytes | None:
    """Bytes of ``folder/rel`` if it is a file inside ``folder`` (a manifest is not trusted)."""
    folder = folder.resolve()
    p = (folder / rel).resolve()
    if folder not in p.parents:
        return None
    try:
        return p.read_bytes()
    except OSError:
        return None


def owners_csv(numbered) -> bytes:
    """owners.csv: how to reach each plaque's owner (for ``plaquegen send``)."""
    return csv_bytes(OWNER_FIELDS, [
        (n.vin, sheet_cell(n.order.order_id), sheet_cell(n.order.name), sheet_cell(n.order.email),
         n.order.country, n.order.language) for n in sorted(numbered, key=lambda n: n.number)])


def read_owners(folder: Path) -> dict[str, dict]:
    """VIN -> the owners.csv row (empty when the batch has none)."""
    try:
        return {r["vin"]: {k: unsheet_cell(v or "") for k, v in r.items()}
                for r in read_csv(folder / OWNERS)}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError):
        return {}


# ------------------------------------------------------------ identity: batch.json

@dataclass(frozen=True)
class BatchInfo:
    """batch.json: where a batch came from (mirrors the ledger's batch row and register pin)."""

    batch_id: str
    orders_path: str
    orders_sha256: str
    created_at: str
    updated_at: str
    register_sha256: str
    register_total: int
    register_demo: bool
    register_source: str
    template_sha256: str

    @classmethod
    def of(cls, record: BatchRecord, pin: RegisterPin) -> "BatchInfo":
        """batch.json for the ledger's batch row and the register pin it was made under."""
        return cls(record.batch_id, record.orders_path, record.orders_sha256, record.created_at,
                   record.updated_at, pin.sha256, pin.total, pin.demo, pin.source,
                   record.template_sha256)

    def record(self, batch_id: str) -> BatchRecord:
        """The ledger's batch row again (``batch_id``: the folder's name, which wins)."""
        return BatchRecord(batch_id, self.orders_path, self.orders_sha256, self.created_at,
                           self.updated_at, self.register_sha256, self.template_sha256)

    def pin(self) -> RegisterPin:
        """The register pin again (pinned when the batch was first made)."""
        return RegisterPin(self.register_sha256, self.register_total, self.register_demo,
                           self.register_source, self.created_at)


def write_info(folder: Path, info: BatchInfo) -> None:
    atomic_write_bytes(folder / BATCH_JSON,
                       (json.dumps(asdict(info), indent=1, sort_keys=True) + "\n").encode())


def read_info(folder: Path) -> BatchInfo | None:
    """batch.json of a folder, or None when it has none or it is damaged."""
    try:
        raw = json.loads((folder / BATCH_JSON).read_text("utf-8"))
        return BatchInfo(**{f.name: raw[f.name] for f in fields(BatchInfo)})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_history(folder: Path, events: Sequence[Event]) -> None:
    """history.jsonl: one JSON object per event, oldest first (rewritten whole, atomically)."""
    names = [f.name for f in fields(Event)]  # flat records: no deep copy as asdict() makes
    atomic_write_bytes(folder / HISTORY, "".join(
        json.dumps({k: getattr(e, k) for k in names}, sort_keys=True, ensure_ascii=False) + "\n"
        for e in events).encode())


def read_history(folder: Path) -> tuple[list[Event], int]:
    """(events, damaged line count) of a folder's history.jsonl."""
    events, bad = [], 0
    try:
        lines = (folder / HISTORY).read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return [], 0
    names = {f.name for f in fields(Event)}
    for line in lines:
        try:
            raw = json.loads(line)
            events.append(Event(**{k: v for k, v in raw.items() if k in names}))
        except (ValueError, TypeError):
            bad += 1
    return events, bad


# --------------------------------------------------------- the kept template

def _references(toml_text: str) -> dict[str, str]:
    """{role: file reference as written} of a template (artwork files and the number font)."""
    raw = tomllib.loads(toml_text)
    refs = {}
    for section, key in (("silhouette", "file"), ("signature", "file"), ("number", "font")):
        ref = (raw.get(section) or {}).get(key)
        if isinstance(ref, str) and not ref.startswith("hershey:"):
            refs[section] = ref
    return refs


def template_identity(toml_path: Path, resolved: dict[str, Path]) -> str:
    """sha256 over the template text and every file it uses (what makes the plaques)."""
    h = hashlib.sha256(Path(toml_path).read_bytes())
    for role in sorted(resolved):
        h.update(f"\0{role}\0".encode())
        h.update(file_sha256(resolved[role]).encode())
    return h.hexdigest()


def keep_template(folder: Path, toml_path: Path, resolved: dict[str, Path]) -> None:
    """Copy the template and the files it uses into folder/template/ (files.json maps each
    reference as written in the TOML to its copy), so a re-run makes the same plaques."""
    toml_path = Path(toml_path)
    text = toml_path.read_text("utf-8")
    refs = _references(text)
    target = folder / TEMPLATE_DIR
    mapping = {}
    for role, ref in sorted(refs.items()):
        src = resolved[role]
        name = f"files/{role}-{safe_name(Path(ref).name)}"
        atomic_write_bytes(target / name, Path(src).read_bytes())
        mapping[ref] = name
    atomic_write_bytes(target / "files.json", (json.dumps(mapping, indent=1, sort_keys=True)
                                               + "\n").encode())
    atomic_write_bytes(target / "plaque.toml", toml_path.read_bytes())


def kept_template(folder: Path) -> tuple[Path, dict[str, Path]] | None:
    """(toml, {reference: kept file}) of a batch's kept template, or None if it has none.

    A kept template that is there but damaged (files.json unreadable, a file missing or
    outside the folder) is refused, never taken as "none": the run would silently fall back to
    the bundled template and make every plaque again with other artwork."""
    target = folder / TEMPLATE_DIR
    if not target.exists():
        return None

    def damaged(why: str) -> BatchDirError:
        return BatchDirError(f"the batch's kept template in {target} is damaged ({why}); restore that "
                             "folder, or give --template FILE to make the batch with a template on purpose.")

    try:
        mapping = json.loads((target / "files.json").read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise damaged(f"files.json cannot be read: {type(e).__name__}") from None
    toml = target / "plaque.toml"
    if not toml.is_file():
        raise damaged("plaque.toml is missing")
    if not isinstance(mapping, dict):
        raise damaged("files.json is not a table of files")
    files = {}
    for ref, name in mapping.items():
        p = (target / str(name)).resolve()
        if target.resolve() not in p.parents or not p.is_file():
            raise damaged(f"{str(name)[:60]!r} is missing")
        files[str(ref)] = p
    return toml, files


# ------------------------------------------------------------ opening a batch

def incomplete_reason(folder: Path) -> str | None:
    """The text of INCOMPLETE.txt, or None when the folder is complete."""
    try:
        return (folder / INCOMPLETE).read_text("utf-8", errors="replace").strip() or "incomplete"
    except FileNotFoundError:
        return None
    except OSError:
        return "incomplete"


def mark_incomplete(folder: Path, reason: str) -> None:
    """Mark a folder incomplete: INCOMPLETE.txt written first, then the manifest removed."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / INCOMPLETE, (
        "THIS BATCH FOLDER IS INCOMPLETE - do not engrave or send anything from it.\r\n"
        f"{reason}\r\n").encode("utf-8"))
    (folder / MANIFEST).unlink(missing_ok=True)


def clear_incomplete(folder: Path) -> None:
    (folder / INCOMPLETE).unlink(missing_ok=True)


@dataclass(frozen=True)
class BatchFolder:
    """An opened, complete batch folder: its id (the folder's name) and manifest rows."""

    folder: Path
    batch_id: str
    rows: tuple[ManifestRow, ...]
    info: BatchInfo | None

    def row(self, vin: str) -> ManifestRow | None:
        return next((r for r in self.rows if r.vin == vin), None)


def open_batch(folder: str | os.PathLike) -> BatchFolder:
    """A complete batch folder (BatchDirError for anything else, in one sentence)."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise BatchDirError(f"{folder} is not a folder.")
    reason = incomplete_reason(folder)
    if reason is not None:
        raise BatchDirError(f"{folder} is an incomplete batch ({reason.splitlines()[-1]}); "
                            "run the batch again to complete it.")
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise BatchDirError(f"{folder} is not a plaquegen batch folder (it has no {MANIFEST}).")
    return BatchFolder(folder, folder.name, read_manifest(manifest), read_info(folder))


def batch_folders(out: Path) -> list[Path]:
    """The batch folders (complete or not) directly under ``out``."""
    try:
        subs = sorted(p for p in Path(out).iterdir() if p.is_dir())
    except OSError:
        return []
    return [p for p in subs if any((p / n).exists() for n in (MANIFEST, INCOMPLETE, BATCH_JSON))]
