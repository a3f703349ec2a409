"""The ledger's records as Python values, and the checks a row passes before it is written.

Contract: :class:`Issue` is one row of the ``issue`` table (one plaque: a VIN made in a batch),
:class:`Event` one row of the append-only ``event`` table (its fields in the order of
schema.EVENT_COLUMNS), :class:`Conflict` a car already issued elsewhere. Frozen dataclasses.
:func:`issue_row` turns an Issue into the row the ledger writes or raises :class:`LedgerError`
(the one error of the ledger modules: one sentence for a person); times are canonical UTC
seconds (:func:`utc_seconds`); :func:`sql_where` is the WHERE clause the reads share. No SQL
runs here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from ..core.clock import TIME_FORMAT as _TIME_FORMAT
from ..core.errors import PlaquegenError
from ..core.records import pad_number

__all__ = ["LedgerError", "Issue", "Event", "Conflict", "EVENT_KINDS", "issue_row", "utc_seconds",
           "sql_where"]

_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")  # ISO 3779: no I, O, Q

# What the history holds. issued/remade/withdrawn: a batch run made, changed or dropped the
# plaque; answer: an owner's answer (decision approved|changes requested); released/unreleased:
# in or out of released/; sent/reminded: a proof mailed; reprint: made again for a car issued
# before; renumbered: a corrected register was adopted that changes this plaque's number;
# delivered: the owner has the plaque (source handover|post, detail tracking/note).
EVENT_KINDS = ("issued", "remade", "withdrawn", "answer", "released", "unreleased", "sent",
               "reminded", "reprint", "renumbered", "delivered")


class LedgerError(PlaquegenError):
    """The ledger cannot be opened or written; the message is one sentence for a person."""


@dataclass(frozen=True)
class Issue:
    """One recorded plaque: a VIN made in a batch.

    issued_at: ISO 8601 UTC with seconds (``2025-09-14T10:22:03Z``).
    reprint: made with ``--reprint`` although issued in an earlier batch.
    approval_*: the owner's answer to the proof (None until one arrives);
    set with :meth:`Ledger.set_approval`, not through :meth:`Ledger.record`.
    """

    vin: str
    number: int
    batch_id: str
    order_id: str
    svg_sha256: str
    proof_sha256: str
    issued_at: str
    reprint: bool
    approval_state: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    approval_changes: str | None = None
    total: int = 0
    stale: bool = False


@dataclass(frozen=True)
class Event:
    """One entry of the append-only history (see EVENT_KINDS).

    at: when plaquegen recorded it; owner_at: when the owner made the answer (PDF modification
    date, or the mail's Date), None if unknown; name/owner_date: what the owner wrote in the form;
    source/source_sha256: the returned file (or "by hand: ..."); detail: free text (Message-ID...).
    """

    at: str
    vin: str
    batch_id: str
    kind: str
    svg_sha256: str = ""
    number: int | None = None
    decision: str | None = None
    owner_at: str | None = None
    name: str | None = None
    owner_date: str | None = None
    changes: str | None = None
    source: str | None = None
    source_sha256: str | None = None
    detail: str | None = None

    def as_row(self) -> tuple:
        return (self.at, self.vin, self.batch_id, self.kind, self.svg_sha256, self.number,
                self.decision, self.owner_at, self.name, self.owner_date, self.changes,
                self.source, self.source_sha256, self.detail)

    @property
    def when(self) -> str:
        """The time that orders answers: the owner's own time, else when it was read; never
        later than when it was read (a claimed future date cannot outrank later answers)."""
        return min(self.owner_at or self.at, self.at)


@dataclass(frozen=True)
class Conflict:
    """A VIN already issued in another batch (its latest issue there)."""

    vin: str
    batch_id: str
    issued_at: str
    number: int
    total: int = 0
    released_at: str = ""  # released to the shop there, then withdrawn from that batch's orders

    @property
    def reason(self) -> str:
        no = pad_number(self.number, self.total) if self.total else str(self.number)
        if self.released_at:
            return (f"released to the shop in batch {self.batch_id} on {self.released_at[:10]} "
                    f"(No. {no}) and withdrawn from it since: its plaque may already be engraved; "
                    "use --reprint to make it again")
        return (f"already issued in batch {self.batch_id} on {self.issued_at[:10]} "
                f"(No. {no}); use --reprint to make it again")


def sql_where(**equal) -> tuple[str, list]:
    """' WHERE a = ? AND b = ?' and its parameters for the arguments that are not None."""
    given = {k: v for k, v in equal.items() if v is not None}
    if not given:
        return "", []
    return " WHERE " + " AND ".join(f"{k} = ?" for k in given), list(given.values())


@lru_cache(maxsize=256)  # a batch records thousands of rows with the same time
def utc_seconds(value: str, what: str) -> str:
    """Canonical ``YYYY-MM-DDTHH:MM:SSZ`` for an ISO 8601 UTC time, else LedgerError."""
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise LedgerError(f"{what} {value!r} is not an ISO 8601 time") from None
    if dt.utcoffset() is None or dt.utcoffset().total_seconds() != 0:
        raise LedgerError(f"{what} {value!r} is not in UTC (expected e.g. 2025-09-14T10:22:03Z)")
    return dt.strftime(_TIME_FORMAT)


def issue_row(issue: Issue) -> tuple:
    if not isinstance(issue, Issue):
        raise LedgerError(f"cannot record {type(issue).__name__} {issue!r}: not an Issue")
    if not isinstance(issue.vin, str) or not _VIN.fullmatch(issue.vin):
        raise LedgerError(f"cannot record VIN {issue.vin!r}: the ledger takes full "
                          "17-character VINs in upper case")
    if not isinstance(issue.batch_id, str) or not issue.batch_id:
        raise LedgerError(f"cannot record VIN {issue.vin}: empty batch id")
    if isinstance(issue.number, bool) or not isinstance(issue.number, int) or issue.number < 1:
        raise LedgerError(f"cannot record VIN {issue.vin}: number {issue.number!r} "
                          "is not a positive whole number")
    for name in ("order_id", "svg_sha256", "proof_sha256"):
        if not isinstance(getattr(issue, name), str):
            raise LedgerError(f"cannot record VIN {issue.vin}: {name} must be text")
    return (issue.vin, issue.number, issue.batch_id, issue.order_id, issue.svg_sha256,
            issue.proof_sha256, utc_seconds(issue.issued_at, "issued_at"), int(bool(issue.reprint)),
            issue.approval_state, issue.approved_by,
            None if issue.approved_at is None else utc_seconds(issue.approved_at, "approved_at"),
            issue.approval_changes, int(issue.total))
