"""The owners' answers: read returned proofs, keep every answer, release only approved plaques.

Owners tick the approval checkbox of their proof PDF (or write requested changes into its
text field) and send it back, usually renamed, often by mail.

* :func:`record_approvals` reads returned proofs (files, folders; see :class:`Returned` for
  what the mailbox readers hand in), identifies each plaque from the PDF's own hidden
  ``plaquegen_id`` (never from the file name), checks that it belongs to this batch and still
  matches the engrave file the owner saw, and appends every answer to the ledger's history.
  A plaque's state is its **newest** answer for its current artwork, by the time the owner made
  it (the mail's Date, else the PDF's modification date, else the file's time), never by file
  name; two differing answers for one plaque in one run are reported. An answer that takes back
  a released plaque rebuilds ``released/`` at once without it.
* :func:`release` = verify + emit: the approved plaques are made again with the batch's own
  template and placed only if engrave file, manifest, ledger and the re-made plaque have the
  same sha256; then the same emitter as the batch writes ``released/`` (built aside, swapped in
  whole).
* :func:`record_by_hand` records an answer given by phone, in a reply or on paper.
"""
from __future__ import annotations

import json
import os
import unicodedata
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from ..record.folder import APPROVALS, BatchFolder, read_inside, write_history
from ..core.clock import format_utc, parse_utc, utc_now
from ..core.errors import Outcome
from ..core.files import atomic_write_bytes, sha256_bytes
from .items import CANDIDATE, NEEDS_LOOK, Item, quiet
from ..record.ledger import Ledger
from ..record.rows import Event, Issue
from ..proof.form import APPROVE as FORM_APPROVE, ID_FIELD, field_name, field_suffix, read_proof

if TYPE_CHECKING:  # the mail readers, pypdf and the pipeline load where they are used (start-up)
    from pypdf import PdfReader

    from .inbox import Item
    from ..pipeline.release import ReleaseResult
from ..record.states import (APPROVALS_FIELDS, APPROVED, CHANGES, WAITING, ApprovalError, PlaqueState,
                     StatusResult, approvals_csv, batch_ledger, batch_status, counts, load_issues,
                     open_batch_and_ledger, plaque_states, released_plaques)

# The approvals API as before the split: states, status and release are re-exported.
__all__ = ["ApprovalError", "Answer", "Returned", "PlaqueState", "ApprovalsResult",
           "ReleaseResult", "StatusResult", "read_answer",
           "record_approvals", "record_by_hand", "batch_status", "release", "counts", "APPROVED",
           "CHANGES", "WAITING", "REFUSED", "APPROVALS_FIELDS", "batch_ledger",
           "open_batch_and_ledger", "plaque_states", "NEEDS_LOOK"]

NO_ANSWER = "no answer"
REFUSED = "refused"
DUPLICATE = "already recorded"

_IDENTITY_KEYS = {"batch_id": str, "vin": str, "number": int, "total": int, "svg_sha256": str}
_OFF = ("", "/Off", "Off")

# ---------------------------------------------------------------------------
# What comes back.

@dataclass(frozen=True)
class Returned:
    """One returned file: a display name ("inbox/x.pdf", "mail.eml!proof.pdf"), its bytes, and
    the time the owner sent it when known (a mail's Date, ISO UTC); mtime: the file's time."""

    name: str
    data: bytes
    received_at: str | None = None
    mtime: str | None = None


@dataclass(frozen=True)
class Answer:
    """What one returned PDF says, or why it was refused.

    outcome: "approved", "changes requested", "no answer" (neither ticked nor any change
    text: recorded as nothing), "already recorded" (this very file was read before) or
    "refused" (reason says why). owner_at: when the owner made it (ISO UTC), if known.
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
    owner_at: str | None = None
    source_sha256: str = ""
    via: str = ""        # how it came when not a returned form ("button, from x@y")
    svg_sha256: str = ""  # the version answered, when not the current one (an earlier token)

    @property
    def accepted(self) -> bool:
        return self.outcome in (APPROVED, CHANGES)


def _pdf_time(reader: PdfReader) -> tuple[str | None, str | None]:
    """(creation, modification) date of a PDF as ISO UTC, where present and readable."""
    out = []
    for key in ("/CreationDate", "/ModDate"):
        raw = str((reader.metadata or {}).get(key) or "")
        out.append(_pdf_date(raw))
    return out[0], out[1]


def _pdf_date(raw: str) -> str | None:
    """D:YYYYMMDDHHmmSS+HH'mm' -> ISO UTC."""
    s = raw[2:] if raw.startswith("D:") else raw
    digits = "".join(ch for ch in s[:14] if ch.isdigit())
    if len(digits) < 8:
        return None
    digits = digits.ljust(14, "0")
    tz = s[14:].replace("'", "")
    iso = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}T{digits[8:10]}:{digits[10:12]}:{digits[12:14]}"
    if tz[:1] in "+-" and len(tz) >= 3:
        iso += f"{tz[:3]}:{tz[3:5] or '00'}"
    dt = parse_utc(iso)
    return None if dt is None else format_utc(dt)


def _clamped(a: Answer, issues: dict[str, Issue], read_at: str) -> Answer:
    """An answer's time as the ledger orders it: when the owner made it, but never after
    plaquegen received it (a mail dated 2100 would win over every later answer, the admin's
    included) nor before its plaque was issued (a date before the proof existed is wrong).
    A time outside that range is recorded as the time received, with a note."""
    if not a.owner_at:
        return a
    issued = issues[a.vin].issued_at if a.vin in issues else ""
    if a.owner_at > read_at:
        why = f"its date {a.owner_at} lies in the future"
    elif issued and a.owner_at < issued:
        why = f"its date {a.owner_at} is before the proof was made ({issued})"
    else:
        return a
    note = f"{why}: ordered by when it was received ({read_at})"
    return replace(a, owner_at=read_at, note=f"{a.note}; {note}" if a.note else note)


def _later_than_proof(times: tuple[str | None, str | None]) -> str | None:
    created, modified = times
    return modified if modified and created and modified > created else None


def read_answer(batch: BatchFolder, item: Returned, issues: dict[str, Issue]) -> Answer:
    """Read and check one returned proof against the batch; never raises for a bad file.

    In three steps: open the PDF (:func:`_open_proof`), check whose proof it is against the
    manifest, the engrave file and the ledger (:func:`_check_identity`), then read what the
    owner says (:func:`_decision`); the first refusal ends it.
    """
    path = Path(item.name)
    opened = _open_proof(path, item.data)
    if isinstance(opened, Answer):
        return opened
    reader, fields, subject, answer, modified = opened
    checked = _check_identity(batch, path, answer, fields, subject, issues)
    if isinstance(checked, Answer):
        return checked
    return _decision(path, item, reader, fields, answer, modified, checked)


def _refuser(path: Path):
    def refuse(reason: str, **kw) -> Answer:
        return Answer(path, REFUSED, reason=reason, **kw)
    return refuse


def _open_proof(path: Path, data: bytes):
    """(reader, fields, subject, answer, modified) of a readable proof PDF, or the refusal."""
    refuse = _refuser(path)
    if b"%PDF-" not in data[:1024]:
        return refuse("not a PDF file")
    if b"%%EOF" not in data[-1024:]:
        return refuse("the PDF is incomplete (it has no end-of-file marker: cut off in transfer?)")
    try:
        from pypdf import PdfReader

        reader = PdfReader(BytesIO(data))
        modified = _pdf_time(reader)
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
    return reader, fields, subject, answer, modified


def _check_identity(batch: BatchFolder, path: Path, answer: dict, fields: dict, subject,
                    issues: dict[str, Issue]):
    """who (vin, number, label) of the plaque this proof is for, or the refusal saying why not."""
    refuse = _refuser(path)
    # Who is it? The hidden form field and the document Subject must agree.
    ident = answer["identity"]
    if ident is None:
        return refuse("not a plaquegen proof (it has no plaquegen_id)")
    from_field = _json(fields.get(ID_FIELD, {}).get("/V"))
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
    if not fields:
        guess = f" (it is most likely No. {row.label}, {vin})" if row else ""
        return refuse(f"the proof has lost its form (flattened, printed or scanned){guess}; record "
                      f"the owner's answer by hand with 'plaquegen answer {batch.folder} {vin} "
                      "approve|changes TEXT --by HOW'", **who)
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
    return who


def _decision(path: Path, item: Returned, reader, fields: dict, answer: dict, modified,
              who: dict) -> Answer:
    """What the owner says on this plaque's own form."""
    refuse = _refuser(path)
    vin, data = who["vin"], item.data
    # What does the owner say? Only this plaque's own form counts.
    mine = field_name(FORM_APPROVE, vin)
    prefix = field_name(FORM_APPROVE, "")[:-len(field_suffix(""))]
    others = sorted(k[len(prefix):] for k in fields if k.startswith(prefix) and k != mine)
    if others:
        return refuse(f"the PDF also holds the form of another plaque ({others[0]}); return each "
                      "proof as its own PDF", **who)
    box = fields.get(mine)
    if box is None:
        return refuse("the approval form is missing (flattened or printed to PDF?); ask the owner "
                      "to fill in the original proof", **who)
    # read_proof counts any value but Off as ticked; only the box's own "on" state counts here.
    ticked = _ticked(box, reader, mine)
    odd = "the checkbox holds a value that is not its 'on' state: not counted as approval" \
        if answer["approved"] and not ticked else ""
    changes = _clean(answer["changes"])
    name, date = _clean(answer["name"]), _clean(answer["date"])
    common = dict(who, changes=changes, name=name, date=date, source_sha256=sha256_bytes(data),
                  owner_at=item.received_at or _later_than_proof(modified) or item.mtime)
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
    data = read_inside(folder, rel)
    return None if data is None else sha256_bytes(data)


# ---------------------------------------------------------------------------
# Recording answers.

@dataclass(frozen=True)
class ApprovalsResult:
    batch_id: str
    folder: Path
    answers: list[Answer]
    states: list[PlaqueState]
    recorded: int  # answers appended to the history
    csv: Path
    conflicts: list[str] = field(default_factory=list)  # differing answers for one plaque
    withdrawn: list[str] = field(default_factory=list)  # VINs taken out of released/
    release: "ReleaseResult | None" = None

    @property
    def refused(self) -> int:
        """Files refused with their reason."""
        return sum(a.outcome == REFUSED for a in self.answers)

    @property
    def outcome(self) -> Outcome:
        if self.withdrawn:
            return Outcome.ATTENTION
        return Outcome.REFUSED if self.refused or self.needs_look else Outcome.DONE

    @property
    def needs_look(self) -> int:
        """Replies matched to a proof but without an answer button: the admin records them."""
        return sum(a.outcome == NEEDS_LOOK for a in self.answers)


def _answer_event(batch_id: str, a: Answer, svg_sha: str, read_at: str, source: str) -> Event:
    return Event(read_at, a.vin, batch_id, "answer", a.svg_sha256 or svg_sha, a.number,
                 decision=a.outcome, owner_at=a.owner_at, name=a.name or None,
                 owner_date=a.date or None, changes=a.changes or None,
                 source=f"{a.via} ({source})" if a.via else source, source_sha256=a.source_sha256 or None)


def _returned(item: Item) -> Returned:
    """An inbox item as a returned file; a plain file's time is its modification time."""
    mtime = None
    if "!" not in item.name and not item.name.startswith("imap"):
        try:
            mtime = format_utc(datetime.fromtimestamp(Path(item.name).stat().st_mtime).astimezone())
        except (OSError, ValueError):
            pass
    return Returned(item.name, item.data, received_at=item.made_at, mtime=mtime)


def record_approvals(folder: str | os.PathLike, inputs: Iterable,
                     ledger: str | os.PathLike | None = None,
                     items: Sequence[Item] = ()) -> ApprovalsResult:
    """Read returned answers (PDF files, folders, .zip, .eml, .mbox given as ``inputs``, plus
    ``items`` already collected, e.g. from IMAP), append every answer to the history, settle
    each plaque on its newest answer, write approvals.csv, and rebuild released/ at once if an
    answer took a released plaque back. Every item ends as an Answer: recorded, refused with
    the reason, or "not a proof"."""
    from ..pipeline.release import release

    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    from .inbox import collect  # the mail readers load only when answers are read
    from .replies import read_reply
    from .tokens import secret_for

    found = collect(list(inputs or [])) + list(items)
    if not found:
        raise ApprovalError("nothing to read: no files were found in the paths given.")
    read_at = utc_now()
    with Ledger(ledger_path) as led:
        issues = load_issues(batch, led, ledger_path)
        known = {(e.vin, e.source_sha256) for e in led.events(batch_id=batch.batch_id)
                 if e.kind == "answer" and e.source_sha256}
        answers = []
        history = led.events(batch_id=batch.batch_id)
        secret = secret_for(ledger_path)
        for item in found:
            if item.outcome != CANDIDATE:
                a = read_reply(batch, item, issues, history, secret, Answer)
                if a is None:
                    answers.append(Answer(Path(item.name), item.outcome, reason=item.reason))
                    continue
            else:
                a = _read_form(batch, item, issues)
                if a.accepted and item.mail is not None:
                    from email.utils import parseaddr

                    a = replace(a, via=f"form, from {parseaddr(item.mail.sender)[1] or 'unknown'}")
            if a.accepted and (a.vin, a.source_sha256) in known:
                a = replace(a, outcome=DUPLICATE, note="this very file was read before")
            elif a.accepted and a.via:
                known.add((a.vin, a.source_sha256))  # the same reply twice in one run: once
            answers.append(a)
        answers = [_clamped(a, issues, read_at) if a.accepted else a for a in answers]
        fresh = [a for a in answers if a.accepted]
        conflicts = _conflicts(fresh)
        events = [_answer_event(batch.batch_id, a, issues[a.vin].svg_sha256, read_at, a.file.name)
                  for a in sorted(fresh, key=lambda a: (a.owner_at or read_at, a.file.name))]
        before = released_plaques(batch.folder)
        led.record_answers(batch.batch_id, events)
        issues = load_issues(batch, led, ledger_path)
        history = led.events(batch_id=batch.batch_id)
    states = plaque_states(batch, issues, history)
    target = batch.folder / APPROVALS
    atomic_write_bytes(target, approvals_csv(states))
    write_history(batch.folder, history)
    approved = {s.vin for s in states if s.state == APPROVED}
    withdrawn = sorted(v for v in before if v not in approved)
    rel = release(batch.folder, ledger_path) if withdrawn else None
    if rel is not None:
        states = rel.states
    return ApprovalsResult(batch.batch_id, batch.folder, answers, states, len(events), target,
                           conflicts, withdrawn, rel)


def _read_form(batch: BatchFolder, item: Item, issues: dict[str, Issue]) -> Answer:
    with quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = read_answer(batch, _returned(item), issues)
        if a.outcome == REFUSED and not a.vin:
            a = _named(a, item.data, batch)
    return a


def _named(a: Answer, data: bytes, batch: BatchFolder) -> Answer:
    """A refused file that is not a readable proof: name the plaque it most likely is."""
    from .guess import guess_plaque

    try:
        vin, number = guess_plaque(data)
    except Exception:  # noqa: BLE001 - a damaged file: nothing to guess from
        return a
    row = batch.row(vin) if vin else None
    if row is None:
        return a
    return replace(a, vin=row.vin, number=row.number, label=row.label,
                   reason=f"{a.reason}; it is most likely No. {row.label}, {row.vin} (printed or "
                          f"scanned?): record the owner's answer by hand with 'plaquegen answer "
                          f"{batch.folder} {row.vin} approve|changes TEXT --by HOW'")


def _conflicts(answers: Sequence[Answer]) -> list[str]:
    by_vin: dict[str, list[Answer]] = {}
    for a in answers:
        by_vin.setdefault(a.vin, []).append(a)
    out = []
    for vin, group in sorted(by_vin.items()):
        if len({(a.outcome, a.changes) for a in group}) > 1:
            group = sorted(group, key=lambda a: (a.owner_at or "", a.file.name))
            parts = ", ".join(f"{a.file.name} ({a.outcome}, {a.owner_at or 'time unknown'})"
                              for a in group)
            out.append(f"{vin}: differing answers {parts}; the newest, {group[-1].file.name}, counts")
    return out


def record_by_hand(folder: str | os.PathLike, vin: str, decision: str, changes: str, by: str,
                   ledger: str | os.PathLike | None = None, name: str = "") -> PlaqueState:
    """Record an answer the owner gave outside the form (phone, reply, paper)."""
    batch, ledger_path = open_batch_and_ledger(folder, ledger)
    row = batch.row(vin) or next((r for r in batch.rows if r.vin.endswith(vin[-7:])
                                  and len(vin) == 7), None)
    if row is None:
        raise ApprovalError(f"VIN {vin} is not in batch {batch.batch_id}.")
    if decision not in (APPROVED, CHANGES):
        raise ApprovalError(f"the answer must be approve or changes, not {decision!r}.")
    if decision == CHANGES and not changes.strip():
        raise ApprovalError("an answer asking for changes needs the text of the changes.")
    if not by.strip():
        raise ApprovalError("say how the answer came with --by (e.g. \"phone, 2025-09-14\").")
    now = utc_now()
    e = Event(now, row.vin, batch.batch_id, "answer", row.svg_sha256, row.number,
              decision=decision, owner_at=now, name=_clean(name) or None,
              changes=_clean(changes) or None, source=f"by hand: {_clean(by)}")
    with Ledger(ledger_path) as led:
        before = released_plaques(batch.folder)
        led.record_answers(batch.batch_id, [e])
        issues = load_issues(batch, led, ledger_path)
        history = led.events(batch_id=batch.batch_id)
    states = plaque_states(batch, issues, history)
    atomic_write_bytes(batch.folder / APPROVALS, approvals_csv(states))
    write_history(batch.folder, history)
    if row.vin in before and decision != APPROVED:
        from ..pipeline.release import release

        release(batch.folder, ledger_path)
    return next(s for s in states if s.vin == row.vin)


def __getattr__(name: str):
    """``release`` and ``ReleaseResult`` stay importable from here, loaded on first use."""
    if name in ("release", "ReleaseResult"):
        from ..pipeline import release as _release

        return getattr(_release, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
