"""Machine-time estimates from the geometry: per plaque and per sheet.

Model (all lengths mm, speeds mm/s, times s):

* **Fill** (engrave layer, filled): the laser scans lines ``interval`` apart, so
  the burnt length is ``hatch = fill area / interval``. Each scan segment (one
  crossing of the shape by one line; their number is the boundary's extent across
  the scan direction / (2 x interval), or counted exactly for hatch output) gets
  ``overscan`` mm of run-up and run-out at fill speed for the head to accelerate.
  Unidirectional scanning adds a return move at rapid speed per segment
  (segment length + both overscans). Stepping from line to line is neglected.
* **Outline**: score and cut lines (and hatch output lines) at their speeds.
* **Travel**: beam-off moves between paths at rapid speed (sheets: sheets.laser_run).
* **Overhead**: ``overhead`` s per layer pass (job start, focus, pass change).

A fiber laser on stainless (typical): fill 1000-2000 mm/s at 0.03-0.05 mm interval,
bidirectional, overscan 1-2 mm; scoring 300-800 mm/s; rapid 4000-7000 mm/s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import shapely

from ..geometry.area import fill_geometry
from ..geometry.paths import Path, Plaque
from .units import segs_key

__all__ = ["EstimateParams", "Estimate", "fill_figures", "plaque_estimate", "sheet_estimate"]


@dataclass(frozen=True)
class EstimateParams:
    """Laser settings the estimate needs (mm, mm/s, s). The lead maps the template's laser settings here."""

    fill_speed: float = 1500.0      # engrave (fill) speed, mm/s
    interval: float = 0.05          # fill line interval, mm
    bidirectional: bool = True      # fill scans both ways
    score_speed: float = 500.0      # mm/s
    cut_speed: float = 50.0         # mm/s (cutting blanks is slow)
    rapid_speed: float = 5000.0     # beam-off moves, mm/s
    overscan: float = 1.5           # run-up and run-out per scan segment end, mm
    overhead: float = 2.0           # per layer pass, s
    angle: float = 0.0              # fill scan direction, degrees (0 = along x)


@dataclass(frozen=True)
class Estimate:
    """Lengths in mm, area in mm², times in s."""

    fill_area: float
    hatch_length: float
    scan_segments: int
    overscan_length: float
    outline_length: float
    travel_length: float
    fill_time: float
    outline_time: float
    travel_time: float
    overhead_time: float

    @property
    def seconds(self) -> float:
        return self.fill_time + self.outline_time + self.travel_time + self.overhead_time

    def __add__(self, other: "Estimate") -> "Estimate":
        return Estimate(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


_BY_ID: dict[tuple[int, float, float], tuple[Path, tuple[float, int]]] = {}
_BY_SHAPE: dict[tuple, tuple[float, int]] = {}


def fill_figures(paths: Sequence[Path], interval: float, angle: float = 0.0) -> tuple[float, int]:
    """(fill area mm², number of scan segments) of filled paths (disjoint shapes: the sum of
    each path's figures, added in the order given). Each path's figures are measured on that
    path and cached per path object and per path content, so the constant artwork and every
    placed digit are measured once and a figure never depends on what was measured before."""
    area, segs = 0.0, 0
    for p in paths:
        hit = _BY_ID.get((id(p), interval, angle))
        a, s = hit[1] if hit is not None and hit[0] is p else _path_figures(p, interval, angle)
        area += a
        segs += s
    return area, segs


def _path_figures(path: Path, interval: float, angle: float) -> tuple[float, int]:
    hit = _BY_ID.get((id(path), interval, angle))
    if hit is not None and hit[0] is path:
        return hit[1]
    # The exact commands (not a rounded or translated copy: a twin elsewhere on the plate
    # may measure a last bit differently, and which twin came first must not matter).
    key = (interval, angle, path.fill_rule, segs_key(path.segs))
    out = _BY_SHAPE.get(key)
    if out is None:
        out = _measure((path,), interval, angle)
        if len(_BY_SHAPE) > 20000:
            _BY_SHAPE.clear()
        _BY_SHAPE[key] = out
    if len(_BY_ID) > 20000:
        _BY_ID.clear()
    _BY_ID[(id(path), interval, angle)] = (path, out)
    return out


def _measure(paths: Sequence[Path], interval: float, angle: float) -> tuple[float, int]:
    geom = fill_geometry(paths)
    # Extent of the boundary across the scan direction: sum |d(normal coordinate)|.
    nx, ny = -math.sin(math.radians(angle)), math.cos(math.radians(angle))
    across = 0.0
    b = geom.boundary
    for line in getattr(b, "geoms", [b]):
        cs = shapely.get_coordinates(line)
        if len(cs) > 1:
            d = cs[1:] - cs[:-1]
            across += float(abs(d[:, 0] * nx + d[:, 1] * ny).sum())
    return float(geom.area), int(round(across / (2 * interval)))


def _estimate(fill_paths: Sequence[Path], score_len: float, cut_len: float, travel: float,
              passes: int, params: EstimateParams, hatch_len: float = 0.0, hatch_segs: int = 0,
              area: float | None = None, segs: int | None = None) -> Estimate:
    p = params
    if area is None:
        area, segs = fill_figures(fill_paths, p.interval, p.angle) if fill_paths else (0.0, 0)
    hatch = area / p.interval
    over = 2 * p.overscan * segs
    fill_t = (hatch + over) / p.fill_speed if hatch else 0.0
    if hatch and not p.bidirectional:
        fill_t += (hatch + over) / p.rapid_speed
    outline = score_len + cut_len + hatch_len
    outline_t = score_len / p.score_speed + cut_len / p.cut_speed + hatch_len / p.fill_speed
    return Estimate(area, hatch, segs, over, outline, travel, fill_t, outline_t,
                    travel / p.rapid_speed, passes * p.overhead)


def plaque_estimate(plaque: Plaque, params: EstimateParams) -> Estimate:
    """The time to run one plaque on its own (travel in its file's order, from the origin)."""
    fill = plaque.layer("engrave").paths if plaque.layer("engrave") else ()
    score = sum(p.length for p in plaque.layer("score").paths) if plaque.layer("score") else 0.0
    cut = sum(p.length for p in plaque.layer("cut").paths) if plaque.layer("cut") else 0.0
    passes = sum(1 for l in plaque.layers if l.name != "guide" and l.paths)
    return _estimate(fill, score, cut, plaque.travel_length, passes, params)


def sheet_estimate(run, params: EstimateParams) -> Estimate:
    """The time to run a sheet: ``run`` is a sheets.SheetRun (the sheet in laser order)."""
    area, segs, score, cut = 0.0, 0, 0.0, 0.0
    for name, slots in run.layers:
        for _, paths in slots:
            if name == "engrave":
                a, s = fill_figures(paths, params.interval, params.angle)
                area += a
                segs += s
            elif name == "score":
                score += sum(p.length for p in paths)
            elif name == "cut":
                cut += sum(p.length for p in paths)
    return _estimate((), score, cut, run.travel, len(run.layers), params, area=area, segs=segs)
