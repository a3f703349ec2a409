"""Fills as hatch lines, for controllers that cannot fill: hairline strokes clipped to the shapes.

Lines run at ``angle`` degrees (0 = along x), ``interval`` mm apart, the first
half an interval inside the area's extent, so each line stands for the
``interval``-wide strip around it and the hatched area (line length x interval)
equals the fill area up to the strip ends. Lines are clipped to the filled
area (shapely) and come in laser order: scan line after scan line, along each
line in the direction of travel, every other line reversed when
``bidirectional``. ``cross`` adds a second pass at angle + 90 degrees.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import shapely
from shapely import affinity

from .area import fill_geometry
from .paths import Path

__all__ = ["hatch_paths", "hatch_lines"]


def hatch_lines(geom, interval: float, angle: float = 0.0,
                bidirectional: bool = True) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Hatch segments ((x0, y0), (x1, y1)) in mm clipping ``geom`` (a shapely area), laser order."""
    if interval <= 0 or not math.isfinite(interval):
        raise ValueError(f"hatch interval must be a positive number of mm, not {interval!r}")
    if geom.is_empty:
        return []
    rot = affinity.rotate(geom, -angle, origin=(0, 0))
    xmin, ymin, xmax, ymax = rot.bounds
    n = max(0, int(math.floor((ymax - ymin) / interval + 1e-9)))
    ys = ymin + interval / 2 + interval * np.arange(n + 1)
    ys = ys[ys < ymax]
    lines = shapely.linestrings([[(xmin - 1, y), (xmax + 1, y)] for y in ys]) if len(ys) else []
    cut = shapely.intersection(lines, rot) if len(ys) else []
    out = []
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def back(x: float, y: float) -> tuple[float, float]:
        return (x * c - y * s, x * s + y * c)

    k = 0
    for g in cut:
        segs = []
        for part in getattr(g, "geoms", [g]):
            if part.is_empty or part.geom_type != "LineString" or part.length <= 0:
                continue
            (x0, y0), (x1, _) = part.coords[0], part.coords[-1]
            segs.append((min(x0, x1), max(x0, x1), y0))
        if not segs:
            continue
        segs.sort()
        forward = not bidirectional or k % 2 == 0
        if not forward:
            segs.reverse()
        for a, b, y in segs:
            p, q = ((a, y), (b, y)) if forward else ((b, y), (a, y))
            out.append((back(*p), back(*q)))
        k += 1
    return out


def hatch_paths(contours: Sequence[Path], interval: float, angle: float = 0.0,
                bidirectional: bool = True, cross: bool = False) -> tuple[Path, ...]:
    """The fill of ``contours`` (filled paths, mm) as open two-point hatch Paths in laser order."""
    geom = fill_geometry(contours)
    segs = hatch_lines(geom, interval, angle, bidirectional)
    if cross:
        segs += hatch_lines(geom, interval, angle + 90.0, bidirectional)
    return tuple(Path((("M", *p), ("L", *q))) for p, q in segs)
