"""Bed sheets: plaques laid out into the pockets of the shop's jig (placeholder, being written)."""
from __future__ import annotations

from dataclasses import dataclass

from .geometry import Plaque


@dataclass(frozen=True)
class Slot:
    """One pocket of the jig. index: 1-based in reading order; x, y: top-left on the bed in mm."""

    index: int
    col: int
    row: int
    x: float
    y: float
    plaque: Plaque | None = None


@dataclass(frozen=True)
class Sheet:
    """One bed load. number: 1-based; bed_w/bed_h in mm; file: path relative to the batch folder."""

    number: int
    bed_w: float
    bed_h: float
    slots: tuple[Slot, ...]
    file: str
