"""The ledger's history: the append-only event log, and owners' answers settled into each
plaque's approval state.

Contract: events are only ever appended (the schema's triggers refuse UPDATE and DELETE on the
event table); a recording appends what it changed (issued, remade, reprint, withdrawn);
:meth:`History.record_answers` appends answers and sets each plaque's approval state to its
newest answer for the artwork it has now, ordered by the owner's time, then by when it was
read. A mixin of :class:`plaquegen.record.ledger.Ledger`: it uses the ledger's connection
(``_db``), its write transaction (``_write``) and its ``path``.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Sequence

from ..core.clock import utc_now
from .rows import Event, EVENT_KINDS, LedgerError, sql_where
from .schema import EVENT_COLUMNS

__all__ = ["History"]


class History:
    """The event log of a ledger (mixed into Ledger)."""

    path: Path
    _db: sqlite3.Connection

    def _history_of_record(self, rows: list[tuple], replace_batch: str | None) -> None:
        """Events for what a recording changes: issued, remade, reprint, withdrawn."""
        db = self._db
        batches = {r[2] for r in rows} | ({replace_batch} if replace_batch else set())
        old: dict[tuple[str, str], tuple] = {}
        for b in batches:
            for vin, number, svg, total, stale in db.execute(
                    "SELECT vin, number, svg_sha256, total, stale FROM issue WHERE batch_id = ?",
                    (b,)):
                old[(vin, b)] = (number, svg, total, stale)
        now = utc_now()
        events: list[Event] = []
        for r in rows:
            vin, number, batch_id, svg, reprint, total = r[0], r[1], r[2], r[4], r[7], r[12]
            before = old.get((vin, batch_id))
            if before is None:
                events.append(Event(now, vin, batch_id, "reprint" if reprint else "issued", svg,
                                    number))
            elif before[:3] != (number, svg, total) or before[3]:
                why = "number" if before[0] != number or before[2] != total else "artwork"
                events.append(Event(now, vin, batch_id, "remade", svg, number,
                                    detail=f"{why} changed (was No. {before[0]} of {before[2]})"))
        if replace_batch is not None:
            keep = {r[0] for r in rows if r[2] == replace_batch}
            for (vin, b), before in sorted(old.items()):
                if b == replace_batch and vin not in keep:
                    events.append(Event(now, vin, b, "withdrawn", before[1], before[0],
                                        detail="no longer in the batch's order file"))
        self._insert_events(events)

    def _insert_events(self, events: Sequence[Event]) -> None:
        for e in events:
            if e.kind not in EVENT_KINDS:
                raise LedgerError(f"unknown history event {e.kind!r}")
        self._db.executemany(f"INSERT INTO event ({EVENT_COLUMNS}) VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [e.as_row() for e in events])

    def add_events(self, events: Sequence[Event]) -> None:
        """Append events to the history in one transaction (sends, releases, ...)."""
        if events:
            with self._write("nothing was recorded"):
                self._insert_events(events)

    def events(self, vin: str | None = None, batch_id: str | None = None) -> list[Event]:
        """The history, oldest first, optionally of one car and/or one batch."""
        where, params = sql_where(vin=vin, batch_id=batch_id)
        try:
            rows = self._db.execute(f"SELECT {EVENT_COLUMNS} FROM event{where} ORDER BY id",
                                    params).fetchall()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read ledger {self.path}: {exc}") from exc
        return [Event(*r) for r in rows]

    # ------------------------------------------------------------------ answers

    def record_answers(self, batch_id: str, answers: Sequence[Event]) -> list[str]:
        """Append owners' answers (kind 'answer') and set each plaque's state to its newest
        answer for its current artwork (by the owner's time, then by when it was read).
        Returns the VINs whose state was set."""
        vins = sorted({a.vin for a in answers})
        with self._write("no answer recorded"):
            for a in answers:
                if a.kind != "answer" or a.batch_id != batch_id:
                    raise LedgerError(f"not an answer of batch {batch_id}: {a.kind} {a.vin}")
                if self._db.execute("SELECT 1 FROM issue WHERE vin = ? AND batch_id = ?",
                                    (a.vin, batch_id)).fetchone() is None:
                    raise LedgerError(f"VIN {a.vin} was not issued in batch {batch_id}; "
                                      "no answer recorded")
            self._insert_events(answers)
            for vin in vins:
                self._settle(vin, batch_id)
        return vins

    def _settle(self, vin: str, batch_id: str) -> None:
        """A plaque's approval state = its newest answer for the artwork it has now."""
        svg = self._db.execute("SELECT svg_sha256 FROM issue WHERE vin = ? AND batch_id = ?",
                               (vin, batch_id)).fetchone()[0]
        rows = self._db.execute(
            f"SELECT {EVENT_COLUMNS} FROM event WHERE vin = ? AND batch_id = ? AND kind = 'answer' "
            "AND svg_sha256 = ? ORDER BY min(coalesce(owner_at, at), at), at, id",  # never later than received
            (vin, batch_id, svg)).fetchall()
        if not rows:
            return
        e = Event(*rows[-1])
        self._db.execute("UPDATE issue SET approval_state = ?, approved_by = ?, approved_at = ?, "
                         "approval_changes = ? WHERE vin = ? AND batch_id = ?",
                         (e.decision, e.name or None, e.when, e.changes or None, vin, batch_id))

