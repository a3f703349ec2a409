"""Records that flow through the pipeline (frozen dataclasses, no behaviour)."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["pad_number", "Order", "Reject", "Numbered"]


def pad_number(number: int, total: int) -> str:
    """A build number zero-padded to the width of the total ('0462' of 6309): the one rule for
    file names, listings and slot labels, so a directory listing sorts in build order."""
    return f"{number:0{len(str(total))}d}"


@dataclass(frozen=True)
class Order:
    """One accepted order line, as read from the order CSV.

    line: 1-based physical line number in the file (header is line 1).
    vin: what the customer typed, normalised (upper case, no spaces/dashes);
    may be a 17-character VIN or a 7-character short VIN.
    country: ISO 3166 alpha-2 upper case or "" ; language: lower-case code or "".
    raw: the line's cells keyed by the file's own header names.
    """

    line: int
    order_id: str
    vin: str
    name: str = ""
    email: str = ""
    country: str = ""
    language: str = ""
    raw: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reject:
    """An order line that will not become a plaque, with a reason a person understands."""

    line: int
    order_id: str
    vin: str
    reason: str
    raw: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Numbered:
    """An order matched to its car in the production register.

    vin: the full 17-character VIN from the register; number: 1-based rank
    among customer cars; total: number of customer cars in the register;
    market: the register's market for this car ("" when unknown).
    """

    order: Order
    vin: str
    number: int
    total: int
    market: str = ""
