"""Shared helpers for the shop-format tests (DXF, LightBurn, MeerK40t): fixtures' data,
an independent reference geometry (shapely), rasters and a headless MeerK40t runner."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path as FsPath

VINS = ["WBSUR91050VS%05d" % (94300 + i) for i in range(8)]
NUMBERS = [462 + 37 * i for i in range(8)]
MEERK40T = shutil.which("meerk40t")


def plaques(composer, n: int = 8):
    return [composer.compose(v, k, 6309) for v, k in zip(VINS[:n], NUMBERS[:n])]


def sheet_of(composer, template, n: int = 8):
    from plaquegen.bed.layout import lay_out_sheets

    return lay_out_sheets(plaques(composer, n), template.bed)[0]


def ref_polys(segs, steps: int = 64):
    """Closed sub-paths as point lists, cubics sampled uniformly (independent of dxfout)."""
    out, pts = [], []
    for s in segs:
        if s[0] == "M":
            if len(pts) > 2:
                out.append(pts)
            pts = [(s[1], s[2])]
        elif s[0] == "L":
            pts.append((s[1], s[2]))
        elif s[0] == "C":
            p0 = pts[-1]
            for k in range(1, steps + 1):
                t = k / steps
                u = 1 - t
                pts.append(tuple(u ** 3 * p0[i] + 3 * u * u * t * s[1 + i] + 3 * u * t * t * s[3 + i]
                                 + t ** 3 * s[5 + i] for i in (0, 1)))
    if len(pts) > 2:
        out.append(pts)
    return out


def fill_area_geometry(paths, dx: float = 0.0, dy: float = 0.0):
    """Union over paths of each path's even-odd fill (XOR of its contours), as shapely."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    shapes = []
    for p in paths:
        g = None
        for ring in ref_polys(p.segs):
            poly = Polygon([(x + dx, y + dy) for x, y in ring]).buffer(0)
            g = poly if g is None else g.symmetric_difference(poly)
        if g is not None:
            shapes.append(g)
    return unary_union(shapes)


def svg_layer_only(svg: bytes, keep: str) -> bytes:
    """The SVG with every layer group but ``layer-<keep>`` removed (defusedxml parse)."""
    from xml.etree import ElementTree as ET

    import defusedxml.ElementTree as DET

    root = DET.fromstring(svg)
    for g in list(root):
        if g.tag.endswith("g") and g.get("id", "").startswith("layer-") and g.get("id") != f"layer-{keep}":
            root.remove(g)
    return ET.tostring(root)


def raster_svg(svg: bytes, px_per_mm: float, w_mm: float, h_mm: float):
    """Black-on-white SVG render as a boolean numpy array (True = ink), by cairosvg."""
    import cairosvg
    import numpy as np
    from PIL import Image

    png = cairosvg.svg2png(bytestring=svg, output_width=round(w_mm * px_per_mm),
                           output_height=round(h_mm * px_per_mm), background_color="white")
    return np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 128


def iou(a, b) -> float:
    import numpy as np

    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def run_meerk40t(file: FsPath, home: FsPath, *commands: str) -> str:
    """Load ``file`` into headless MeerK40t with an empty HOME; the console text, colours stripped."""
    home.mkdir(parents=True, exist_ok=True)
    args = [MEERK40T, "-Z", "-X", "-A", "-e", f"load {file}", "-e", "operations", "-e", "tree list"]
    for c in commands:
        args += ["-e", c]
    args += ["-e", "quit"]
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, cwd=home)
    return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)


_TREE = re.compile(r"^\S+\s+(\d+(?:\.\d+)*)\s+: (.+?) - (.*)$")


def meerk40t_tree(text: str) -> dict:
    """Parse 'tree list': {"ops": [(type, label, refs)], "elems": [(type, label)], "regmarks": n}."""
    ops, elems, reg = [], [], 0
    for line in text.splitlines():
        m = _TREE.match(line)
        if not m:
            continue
        pos, kind, label = m.groups()
        parts = pos.split(".")
        if parts[0] == "0" and len(parts) == 2:
            ops.append([kind, label, 0])
        elif parts[0] == "0" and len(parts) == 3 and kind == "reference":
            ops[-1][2] += 1
        elif parts[0] == "1" and kind.startswith("elem "):
            elems.append((kind, label))
        elif parts[0] == "2" and kind.startswith("elem "):
            reg += 1
    return {"ops": [tuple(o) for o in ops], "elems": elems, "regmarks": reg}


_BOUNDS = re.compile(r"\(([-\d.e]+)mm,([-\d.e]+)mm,([-\d.e]+)mm,([-\d.e]+)mm\)")


def meerk40t_bounds(text: str) -> list[tuple[float, float, float, float]]:
    """Element bounds in mm from 'element* property-get bounds', in element order."""
    return [tuple(float(v) for v in m.groups()) for m in _BOUNDS.finditer(text)]
