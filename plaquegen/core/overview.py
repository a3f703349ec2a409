"""What the season overview shows (frozen dataclasses, no behaviour): one row per plaque with
its state and the date of every step, one summary per batch.

Built from the ledger and the batch folders by ``record/season_view.py``; drawn by
``writers/season_page.py`` (the HTML pages) and ``writers/handout.py`` (the hand-out PDF),
printed by ``plaquegen status`` and ``plaquegen ledger``. Every text field that came from an
order cell or an owner (name, order id, address, answer text) is untrusted: writers escape it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["STATES", "STATE_HELP", "Step", "PlaqueRow", "BatchSummary", "Season", "SUMMARY_COLUMNS"]

# Where a plaque stands, in the order of the season (the page's data-state values).
STATES = ("waiting", "sent", "reminded", "approved", "changes", "released", "delivered",
          "withdrawn")
STATE_HELP = {
    "waiting": "made, proof not sent yet",
    "sent": "proof sent, no answer yet",
    "reminded": "reminded, no answer yet",
    "approved": "the owner approved the proof",
    "changes": "the owner asked for changes",
    "released": "released to the shop",
    "delivered": "the owner has the plaque",
    "withdrawn": "no longer in its batch's order file",
}
# The season summary's columns (plaquegen ledger): how many plaques of a batch reached a step.
SUMMARY_COLUMNS = ("made", "sent", "approved", "changes", "released", "delivered")


@dataclass(frozen=True)
class Step:
    """One step of a plaque's history. kind: a ledger event kind (issued, reprint, remade, sent,
    reminded, answer, released, unreleased, delivered, withdrawn, renumbered); at: ISO 8601 UTC
    (an answer: when the owner made it, if known); what: the decision or the delivery method;
    how: how it came or went (the returned file, "by hand: phone", a tracking number)."""

    kind: str
    at: str
    what: str = ""
    how: str = ""


@dataclass(frozen=True)
class PlaqueRow:
    """One plaque of the season. engrave/proof: paths relative to the batch folder ("" when the
    file is not there); address: the order file's address cells, one per line."""

    batch_id: str
    vin: str
    number: int
    total: int
    label: str
    order_id: str
    name: str
    country: str
    state: str
    steps: tuple[Step, ...] = ()
    engrave: str = ""
    proof: str = ""
    address: str = ""
    note: str = ""

    def last(self, *kinds: str) -> Step | None:
        """The newest step of one of these kinds (None if there is none)."""
        return next((s for s in reversed(self.steps) if s.kind in kinds), None)

    def first(self, *kinds: str) -> Step | None:
        return next((s for s in self.steps if s.kind in kinds), None)


@dataclass(frozen=True)
class BatchSummary:
    """One batch: how many plaques reached each step (SUMMARY_COLUMNS), its state counts."""

    batch_id: str
    made: int
    sent: int
    approved: int
    changes: int
    released: int
    delivered: int
    states: dict = field(default_factory=dict)  # state -> count
    folder: bool = True     # the batch folder is there (links work)
    created_at: str = ""
    note: str = ""          # e.g. "incomplete: run the batch again"


@dataclass(frozen=True)
class Season:
    """Every plaque of the ledger's batches, oldest batch first, then by number."""

    rows: tuple[PlaqueRow, ...]
    batches: tuple[BatchSummary, ...]
    generated_at: str       # the newest recorded step (the page is the same until one is added)
    demo: bool = False      # numbered with the bundled synthetic demo register
    title: str = "BMW 1M Coupé owners' register"
