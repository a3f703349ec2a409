"""The area a set of filled paths engraves, as a shapely geometry in mm (for hatching, estimates, tests).

Each path is taken as its contours flattened to contours.FLATTEN_TOL: the
symmetric difference of its contours' polygons (even-odd, which after
contours.normalize_fill is also what nonzero fills), then the union over paths
(separate paths add up, as on screen).
"""
from __future__ import annotations

from functools import reduce
from typing import Sequence

import shapely
from shapely.geometry import Polygon

from .contours import FLATTEN_TOL, flatten_subpath
from .paths import Path, split_subpaths

__all__ = ["fill_geometry", "path_geometry"]

_CACHE: dict[int, tuple[Path, object]] = {}


def path_geometry(path: Path, tol: float = FLATTEN_TOL):
    """One filled path's area (cached per path object)."""
    hit = _CACHE.get(id(path))
    if hit is not None and hit[0] is path:
        return hit[1]
    polys = []
    for sp in split_subpaths(path.segs):
        pts = flatten_subpath(sp, tol)
        if len(pts) >= 3:
            polys.append(shapely.make_valid(Polygon(pts)))
    geom = reduce(lambda a, b: a.symmetric_difference(b), polys) if polys else Polygon()
    if len(_CACHE) > 20000:
        _CACHE.clear()
    _CACHE[id(path)] = (path, geom)
    return geom


def fill_geometry(paths: Sequence[Path], tol: float = FLATTEN_TOL):
    """The union of the filled areas of ``paths`` (mm)."""
    geoms = [path_geometry(p, tol) for p in paths]
    return shapely.union_all(geoms) if geoms else Polygon()
