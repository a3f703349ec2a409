"""Designer SVG -> plain absolute paths in millimetres (untrusted input).

The register replaces our artwork with whatever its designer exports from
Illustrator, Inkscape or Affinity.  :func:`load_artwork` turns that into a
tuple of :class:`~plaquegen.geometry.Path` (absolute M/L/C/Z, mm, y down) in
three passes:

1. **Safety scan** of the raw XML (parsed with ``defusedxml``: no entity
   declarations, no external entities) over *every* element, hidden or not.
   Refused, each with one sentence naming the file: files over
   :data:`MAX_BYTES`, non-XML, DTD entity declarations (XXE, billion laughs),
   ``<script>``, ``on*`` event attributes, any ``href`` that is not a
   same-document ``#id``, any ``url(...)`` that is not ``#id`` (also in CSS),
   CSS ``@import``, raster ``<image>``, ``<text>``/``<tspan>``/``<textPath>``,
   ``<foreignObject>`` (except Illustrator's private ``<switch>`` alternative
   guarded by ``requiredExtensions``, which no renderer shows), elements that
   are clipped or masked (``clip-path``/``mask`` in use: it would change the
   shape and a laser cannot honour it), markers in use (they add shapes),
   ``<use>`` of a missing id, more than :data:`MAX_ELEMENTS` elements and
   nesting deeper than :data:`MAX_DEPTH`.

2. **Rebuild** a clean, namespace-free SVG that renders the same: ``<use>`` is
   inlined as a ``<g>`` (``<symbol>`` and nested ``<svg>`` become a ``<g>``
   with their viewBox transform), with reference cycles and the total expanded
   size (``<use>`` bombs) bounded by us, because svgelements would recurse
   forever or explode; ``<switch>`` keeps its first renderable child;
   ``<style>`` sheets are moved to the front (svgelements only applies rules
   it has already seen).  Silently dropped: metadata, title, desc, ``<defs>``
   (reached only through ``<use>``), un-used ``<symbol>``, Inkscape/sodipodi
   and other foreign-namespace elements, gradients, patterns, filters and
   unused clip paths/masks (paint only: a gradient or pattern fill counts as a
   fill), unknown elements, ``display:none`` subtrees.

3. **Geometry** by svgelements (CSS classes, shapes, path data, transforms).
   The root viewport is resolved here exactly (svgelements' mm constant is
   rounded) into one matrix from user units to mm: the CSS ``px`` is 1/96 in,
   so ``width="96px"`` (or unitless 96) is 25.4 mm and ``width="10mm"`` 10 mm.
   Arcs become cubics (at most 45° each) in their local coordinates *before*
   the matrix is applied (svgelements' arc transform is wrong under skew, so
   ``reify`` is off); everything is drawn through geometry's one pen
   (quadratics raised to cubics exactly, zero-length segments dropped at
   ``geometry.PRECISION``); ``visibility:hidden`` and fully
   transparent elements are dropped.

Modes: ``"fill"`` (engraved as filled areas) keeps filled elements and closes
every open sub-path; stroke-only shapes, white fills and strokes thick enough
to change the filled shape are refused with a sentence saying what to do.
``"line"`` (centre lines, e.g. a signature) keeps the outline of every drawn
element, open or closed, whatever its paint.
"""
from __future__ import annotations

import io
import math
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as DET
import svgelements as se

from ..core.errors import PlaquegenError
from ..geometry.paths import Bounds, Path, PathPen, bounds_of, fit_matrix, same_point

__all__ = ["ArtworkError", "Artwork", "load_artwork", "fit_artwork",
           "MAX_BYTES", "MAX_ELEMENTS", "MAX_EXPANDED", "MAX_DEPTH", "MAX_COORD", "MAX_NUMBERS"]

MAX_BYTES = 5 * 1024 * 1024      # a silhouette is a few hundred kB at most
MAX_ELEMENTS = 20_000            # elements in the file as written
MAX_EXPANDED = 20_000            # elements after <use> references are inlined
MAX_DEPTH = 100                  # element nesting (and <use> chains)
MAX_COORD = 1e6                  # mm; anything larger is a broken file
MAX_NUMBERS = 100_000            # coordinates in path data and points (50,000 line segments);
                                 # the bundled silhouette has ~2,000. Bounds parse time.
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
STROKE_TOLERANCE = 0.005         # fill mode: stroke width / artwork size ignored below this

PX_TO_MM = 25.4 / 96.0           # CSS px (svgelements' user unit at ppi=96) -> mm

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

MODES = ("fill", "line")
ALIGNS = ("left", "center", "right")
VALIGNS = ("top", "middle", "bottom")


class ArtworkError(PlaquegenError):
    """An artwork file was refused; ``str(e)`` is one sentence naming the file."""


@dataclass(frozen=True)
class Artwork:
    source: str                 # file name
    mode: str                   # "fill" or "line"
    paths: tuple[Path, ...]     # file's own mm coordinates, drawing order
    bounds: Bounds              # exact bounds of all paths


# --------------------------------------------------------------------------- API


def load_artwork(path: str | os.PathLike, mode: str = "fill") -> Artwork:
    """Read a designer's SVG and normalise it into absolute mm paths.

    Raises :class:`ArtworkError` (one sentence naming the file) for anything
    unsafe, unsupported or empty.
    """
    fspath = os.fspath(path)
    name = os.path.basename(fspath) or fspath
    if mode not in MODES:
        raise ArtworkError(f"{name}: unknown artwork mode {mode!r}; use 'fill' or 'line'.")
    data = _read(fspath, name)
    root = _parse_xml(data, name)
    rebuilt = _Rebuilder(name, root)
    clean = rebuilt.build()
    svg = _parse_geometry(ET.tostring(clean), name, rebuilt.vw, rebuilt.vh)
    try:
        paths = _extract(svg, name, mode)
    except ArtworkError:
        raise
    except Exception as e:  # anything svgelements trips over in untrusted data
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read "
                           f"({_detail(e)}).") from None
    if not paths:
        raise ArtworkError(f"{name}: contains no visible shapes to engrave; the drawing is empty.")
    bounds = bounds_of(paths)
    assert bounds is not None
    if bounds.width <= 0 and bounds.height <= 0:
        raise ArtworkError(f"{name}: the drawing has no size (all its points coincide).")
    return Artwork(source=name, mode=mode, paths=paths, bounds=bounds)


def fit_artwork(art: Artwork, box: Bounds, align: str = "center",
                valign: str = "middle") -> tuple[Path, ...]:
    """Scale uniformly (aspect ratio kept) and translate ``art`` into ``box``."""
    if align not in ALIGNS:
        raise ValueError(f"align must be one of {', '.join(ALIGNS)}, not {align!r}")
    if valign not in VALIGNS:
        raise ValueError(f"valign must be one of {', '.join(VALIGNS)}, not {valign!r}")
    m = fit_matrix(art.bounds, box, align, valign)
    return tuple(p.transformed(m) for p in art.paths)


# ------------------------------------------------------------------ reading/XML


def _read(fspath: str, name: str) -> bytes:
    try:
        with open(fspath, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ArtworkError(f"{name}: artwork file not found ({fspath}).") from None
    except OSError as e:
        raise ArtworkError(f"{name}: artwork file cannot be read ({e.strerror or e}).") from None
    if len(data) > MAX_BYTES:
        raise ArtworkError(f"{name}: file is larger than {MAX_BYTES // (1024 * 1024)} MB, "
                           "too large for plaque artwork (simplify it or remove embedded data).")
    return data


def _parse_xml(data: bytes, name: str) -> ET.Element:
    try:
        # A plain <!DOCTYPE svg PUBLIC ...> line (old Inkscape/Illustrator) is
        # harmless and accepted (expat never fetches it); entity declarations
        # (XXE, billion laughs) and external entities are refused.
        root = DET.fromstring(data, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    except (defusedxml.EntitiesForbidden, defusedxml.DTDForbidden,
            defusedxml.ExternalReferenceForbidden):
        raise ArtworkError(f"{name}: contains a DTD/entity declaration, which artwork files may "
                           "not have (export plain SVG without a DTD).") from None
    except ET.ParseError as e:
        raise ArtworkError(f"{name}: is not a valid SVG/XML file ({e}).") from None
    except (ValueError, LookupError) as e:  # e.g. unknown encoding declaration
        raise ArtworkError(f"{name}: is not a valid SVG/XML file ({e}).") from None
    if _local(root.tag) == "svg" and _ns(root.tag) not in ("", SVG_NS):
        raise ArtworkError(f"{name}: is not an SVG file (its root <svg> is in the namespace "
                           f"{_ns(root.tag)[:60]!r}, not {SVG_NS!r}).")
    if _local(root.tag) != "svg":
        raise ArtworkError(f"{name}: is not an SVG file (its root element is <{_local(root.tag)}>).")
    return root


def _ns(tag) -> str:
    if not isinstance(tag, str):
        return "?"
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""  # comments / processing instructions
    return tag.rsplit("}", 1)[-1]


def _is_svg(elem) -> bool:
    return isinstance(elem.tag, str) and _ns(elem.tag) in ("", SVG_NS)


def _href(elem) -> str | None:
    v = elem.get("href")
    if v is None:
        v = elem.get("{%s}href" % XLINK_NS)
    return v


def _style_props(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_CSS_SHAPE_PROPS_RE = re.compile(
    r"(?<![\w-])(clip-path|mask|marker|marker-start|marker-mid|marker-end)\s*:\s*([^;}]*)", re.I)
_IDREF_RE = re.compile(r"#[^\s#'\"()]+\Z")

# Content we cannot engrave: refused wherever it is (even hidden or in <defs>).
_REFUSED_ELEMENTS = {
    "image": "contains a raster <image>; artwork must be vector paths only (delete the image, "
             "even if it is hidden or only a tracing reference)",
    "text": "contains <text>; convert text to outlines/paths in your design program "
            "(Object to Path / Create Outlines)",
    "tspan": "contains <tspan> text; convert text to outlines/paths in your design program "
             "(Object to Path / Create Outlines)",
    "textPath": "contains <textPath> text; convert text to outlines/paths in your design program "
                "(Object to Path / Create Outlines)",
    "foreignObject": "contains a <foreignObject> (embedded non-SVG content), which artwork "
                     "files may not have",
    "script": "contains a <script>, which artwork files may not have",
    "video": "contains a <video>, which artwork files may not have",
    "audio": "contains an <audio>, which artwork files may not have",
    "iframe": "contains an <iframe>, which artwork files may not have",
    "canvas": "contains a <canvas>, which artwork files may not have",
}

_SHAPE_CHANGERS = {
    "clip-path": "uses a clip path; release the clip (Object > Clip > Release) and cut the shapes "
                 "with path operations instead, because a laser cannot honour clipping",
    "mask": "uses a mask; release it and express the shape with path operations instead, "
            "because a laser cannot honour masks",
    "marker": "uses markers (e.g. arrowheads); convert them to paths (Object to Path)",
    "marker-start": "uses markers (e.g. arrowheads); convert them to paths (Object to Path)",
    "marker-mid": "uses markers (e.g. arrowheads); convert them to paths (Object to Path)",
    "marker-end": "uses markers (e.g. arrowheads); convert them to paths (Object to Path)",
}

# Drawn by us (after rebuild) -- everything else in the SVG namespace is skipped.
_SHAPES = {"path", "rect", "circle", "ellipse", "line", "polyline", "polygon"}
_CONTAINERS = {"g", "a"}


# ---------------------------------------------------------------- safety scan


def _check_value_urls(name: str, value: str) -> None:
    for _q, target in _URL_RE.findall(value):
        if not _IDREF_RE.match(target.strip()):
            raise ArtworkError(f"{name}: contains an external reference (url({target.strip()[:60]})); "
                               "artwork must be self-contained.")


_CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.S)
_CSS_RULE_RE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR_RE = re.compile(r"\*|[A-Za-z][\w-]*|\.[\w-]+|#[\w-]+|[A-Za-z][\w-]*\.[\w-]+")


def _check_selectors(name: str, css: str) -> None:
    """Refuse style sheets svgelements would apply wrongly (it silently skips the rest).

    Supported: ``*``, ``tag``, ``.class``, ``#id``, ``tag.class`` (what
    Illustrator, Inkscape and Affinity write), comma-separated.
    """
    css = _CSS_COMMENT_RE.sub("", css)
    if "@" in css:
        raise ArtworkError(f"{name}: its <style> has CSS @-rules, which this tool cannot apply; "
                           "export with presentation attributes or simple class styles.")
    rest = _CSS_RULE_RE.sub("", css).strip()
    if rest:
        raise ArtworkError(f"{name}: its <style> sheet cannot be read (near {rest[:40]!r}).")
    for selectors, _body in _CSS_RULE_RE.findall(css):
        for sel in selectors.split(","):
            sel = sel.strip()
            if not _SIMPLE_SELECTOR_RE.fullmatch(sel):
                raise ArtworkError(f"{name}: its <style> uses the CSS selector {sel[:40]!r}, which "
                                   "this tool cannot apply; export with presentation attributes "
                                   "or simple class styles.")


def _check_shape_changers(name: str, props: dict[str, str]) -> None:
    for prop, why in _SHAPE_CHANGERS.items():
        v = props.get(prop)
        if v is not None and v.strip().lower() not in ("", "none"):
            raise ArtworkError(f"{name}: {why}.")


def _scan(name: str, root: ET.Element) -> dict[str, ET.Element]:
    """Refuse unsafe or un-engravable content anywhere; return the id map."""
    ids: dict[str, ET.Element] = {}
    uses: list[str] = []
    count = numbers = 0
    stack: list[tuple[ET.Element, int, bool]] = [(root, 1, False)]
    while stack:
        elem, depth, in_switch_alt = stack.pop()
        if not isinstance(elem.tag, str):
            continue  # comment / processing instruction
        count += 1
        if count > MAX_ELEMENTS:
            raise ArtworkError(f"{name}: has more than {MAX_ELEMENTS:,} elements, too complex for "
                               "plaque artwork (simplify it).")
        for attr in ("d", "points"):
            numbers += len(_NUMBER.findall(elem.get(attr) or ""))
        if numbers > MAX_NUMBERS:
            raise ArtworkError(f"{name}: has more than {MAX_NUMBERS:,} path coordinates, too "
                               "complex for plaque artwork (simplify it).")
        if depth > MAX_DEPTH:
            raise ArtworkError(f"{name}: nests elements more than {MAX_DEPTH} deep, too complex "
                               "for plaque artwork (ungroup it).")
        local = _local(elem.tag)
        svg_el = _is_svg(elem)

        # Scripts in any namespace (an XHTML <script> runs in browsers too).
        if local == "script":
            raise ArtworkError(f"{name}: {_REFUSED_ELEMENTS['script']}.")
        # Un-engravable content first: an embedded image says "image", not "data: link".
        if svg_el and local in _REFUSED_ELEMENTS:
            # Illustrator's private data sits in a <switch> alternative that
            # requires an extension no renderer has: never shown, so harmless.
            if not (local == "foreignObject" and in_switch_alt
                    and elem.get("requiredExtensions", "").strip()):
                raise ArtworkError(f"{name}: {_REFUSED_ELEMENTS[local]}.")
        for attr, value in elem.attrib.items():
            alocal = _local(attr)
            if alocal.lower().startswith("on"):
                raise ArtworkError(f"{name}: has an event handler attribute ({alocal}=...), "
                                   "which artwork files may not have.")
            if alocal == "href":
                v = value.strip()
                if not _IDREF_RE.match(v):
                    raise ArtworkError(f"{name}: contains an external reference ({v[:60]!r}); "
                                       "artwork must be self-contained, with no links to other "
                                       "files, web addresses or embedded data.")
            if "url(" in value.lower():
                _check_value_urls(name, value)
        if local == "style" and svg_el:
            css = elem.text or ""
            if "@import" in css.lower():
                raise ArtworkError(f"{name}: its <style> imports an external style sheet; "
                                   "artwork must be self-contained.")
            _check_value_urls(name, css)
            _check_selectors(name, css)
            for prop, value in _CSS_SHAPE_PROPS_RE.findall(css):
                _check_shape_changers(name, {prop.lower(): value})

        if svg_el:
            props = {k: v for k, v in elem.attrib.items() if _ns(k) == ""}
            props.update(_style_props(elem.get("style", "")))
            _check_shape_changers(name, props)
            if local == "use":
                uses.append((_href(elem) or "").strip())

        if elem.get("id") is not None:
            ids.setdefault(elem.get("id"), elem)
        for child in reversed(list(elem)):
            stack.append((child, depth + 1, svg_el and local == "switch"))

    for ref in uses:
        if not ref:
            raise ArtworkError(f"{name}: has a <use> element without a reference.")
        if ref[1:] not in ids:
            raise ArtworkError(f"{name}: has a <use> that refers to a missing id ({ref[:60]}).")
    return ids


# -------------------------------------------------------------------- rebuild

_UNITS = {"": 1.0, "px": 1.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0,
          "pt": 96 / 72.0, "pc": 16.0}
_LEN_RE = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|mm|cm|in|pt|pc|%)?\s*\Z")


class _Rebuilder:
    """Builds a clean, <use>-free, namespace-free copy of the drawable tree."""

    def __init__(self, name: str, root: ET.Element):
        self.name = name
        self.root = root
        self.ids = _scan(name, root)
        self.count = 0
        self._init_viewport(root)

    def _init_viewport(self, root: ET.Element) -> None:
        """Root viewport -> one exact matrix from user units to mm.

        svgelements converts mm with a rounded constant (0.0393701 in/mm,
        an error of 5e-7), so the root size is resolved here instead and the
        clean document it receives has plain user units that are already mm.
        """
        vb = _viewbox(root.get("viewBox"))
        w = self._root_length(root.get("width"))
        h = self._root_length(root.get("height"))
        if vb and (vb[2] <= 0 or vb[3] <= 0):
            raise ArtworkError(f"{self.name}: has an empty viewBox, so nothing is drawn.")
        if vb:
            if w is None and h is None:
                w, h = vb[2], vb[3]
            elif w is None:
                w = h * vb[2] / vb[3]
            elif h is None:
                h = w * vb[3] / vb[2]
            if w <= 0 or h <= 0:
                raise ArtworkError(f"{self.name}: has a zero width or height, so nothing is drawn.")
            self.vw, self.vh = vb[2], vb[3]
            self.root_transform = (f"scale({PX_TO_MM!r}) "
                                   + _viewbox_transform(vb, w, h, root.get("preserveAspectRatio", "")))
        else:
            self.vw = w if w is not None else 1000.0
            self.vh = h if h is not None else 1000.0
            self.root_transform = f"scale({PX_TO_MM!r})"

    def _root_length(self, value: str | None) -> float | None:
        if value is None or not value.strip() or value.strip().endswith("%") \
                or value.strip() == "auto":
            return None  # relative to a window we do not have: use the viewBox
        return self._length(value, None, 0.0)

    # -- helpers
    def _length(self, value: str | None, ref: float | None, default: float) -> float:
        if value is None or not value.strip() or value.strip() == "auto":
            return default
        m = _LEN_RE.match(value)
        if not m:
            raise ArtworkError(f"{self.name}: has an invalid length {value.strip()[:40]!r}.")
        num, unit = float(m.group(1)), m.group(2) or ""
        if unit == "%":
            return num / 100.0 * (ref if ref is not None else default)
        if unit not in _UNITS:  # em/ex: relative to a font we do not have
            return num
        return num * _UNITS[unit]

    def _new(self, tag: str, src: ET.Element | None, skip=()) -> ET.Element:
        self.count += 1
        if self.count > MAX_EXPANDED:
            raise ArtworkError(f"{self.name}: expands to more than {MAX_EXPANDED:,} elements through "
                               "<use> references, too complex for plaque artwork.")
        e = ET.Element(tag)
        if src is not None:
            for k, v in src.attrib.items():
                if _ns(k) == "" and k not in skip:
                    e.set(k, v)
        return e

    # -- walk
    def build(self) -> ET.Element:
        out = self._new("svg", self.root, skip=("x", "y", "width", "height", "viewBox",
                                                 "preserveAspectRatio", "transform"))
        top = self._new("g", None)
        top.set("transform", self.root_transform)
        self._children(top, self.root, 1, ())
        # Style sheets apply document-wide wherever they are (often in <defs>,
        # sometimes after the shapes): svgelements only applies rules it has
        # already read, so they all go first.
        for elem in self.root.iter():
            if _is_svg(elem) and _local(elem.tag) == "style":
                st = self._new("style", elem)
                st.text = elem.text or ""
                out.append(st)
        out.append(top)
        return out

    def _visit(self, elem: ET.Element, depth: int, chain: tuple[int, ...]) -> ET.Element | None:
        if not _is_svg(elem):
            return None  # comments, metadata of editors, foreign namespaces
        local = _local(elem.tag)
        if depth > MAX_DEPTH:
            raise ArtworkError(f"{self.name}: nests elements more than {MAX_DEPTH} deep "
                               "(through <use> references), too complex for plaque artwork.")
        if local == "style":
            return None  # collected document-wide in build()
        if _display_none(elem):
            return None
        if local in _SHAPES:
            return self._new(local, elem)
        if local in _CONTAINERS:
            g = self._new("g", elem, skip=("href",))
            self._children(g, elem, depth, chain)
            return g
        if local == "svg":  # nested viewport
            return self._viewport(elem, depth, chain, elem.get("x"), elem.get("y"),
                                  elem.get("width"), elem.get("height"))
        if local == "switch":
            for child in elem:
                if not _is_svg(child):
                    continue
                if child.get("requiredExtensions", "").strip() or \
                        child.get("requiredFeatures", "").strip():
                    continue
                g = self._new("g", elem)
                c = self._visit(child, depth + 1, chain)
                if c is not None:
                    g.append(c)
                return g
            return None
        if local == "use":
            return self._use(elem, depth, chain)
        # defs, symbol (direct), metadata, title, desc, gradients, patterns,
        # filters, unused clipPath/mask, marker definitions, unknown elements.
        return None

    def _children(self, out: ET.Element, elem: ET.Element, depth: int, chain) -> None:
        for child in elem:
            c = self._visit(child, depth + 1, chain)
            if c is not None:
                out.append(c)

    def _use(self, elem: ET.Element, depth: int, chain: tuple[int, ...]) -> ET.Element | None:
        ref = (_href(elem) or "").strip()[1:]
        target = self.ids[ref]  # existence checked by _scan
        if id(target) in chain or target is elem:
            raise ArtworkError(f"{self.name}: has a <use> reference cycle through #{ref}, "
                               "which can never be drawn.")
        if len(chain) >= MAX_DEPTH:
            raise ArtworkError(f"{self.name}: chains <use> references more than {MAX_DEPTH} deep.")
        if not _is_svg(target):
            return None
        chain = chain + (id(target),)
        x = self._length(elem.get("x"), self.vw, 0.0)
        y = self._length(elem.get("y"), self.vh, 0.0)
        g = self._new("g", elem, skip=("x", "y", "width", "height", "href", "id"))
        g.set("transform", f"{elem.get('transform', '')} translate({x!r},{y!r})".strip())
        tlocal = _local(target.tag)
        if tlocal in ("symbol", "svg"):
            # Only a <use>'s own width/height size a symbol (default 100%).
            inner = self._viewport(target, depth + 1, chain,
                                   target.get("x") if tlocal == "svg" else None,
                                   target.get("y") if tlocal == "svg" else None,
                                   elem.get("width") or (target.get("width") if tlocal == "svg" else None),
                                   elem.get("height") or (target.get("height") if tlocal == "svg" else None))
        else:
            inner = self._visit(target, depth + 1, chain)
        if inner is None:
            return None
        if inner.get("id") is not None:
            del inner.attrib["id"]
        g.append(inner)
        return g

    def _viewport(self, elem, depth, chain, x, y, w, h) -> ET.Element | None:
        """<svg>/<symbol> content as a <g> with its viewBox transform (no clipping)."""
        if _display_none(elem):
            return None
        vx = self._length(x, self.vw, 0.0)
        vy = self._length(y, self.vh, 0.0)
        vw = self._length(w, self.vw, self.vw)
        vh = self._length(h, self.vh, self.vh)
        g = self._new("g", elem, skip=("x", "y", "width", "height", "viewBox",
                                       "preserveAspectRatio", "transform"))
        vb = _viewbox(elem.get("viewBox"))
        parts = [f"translate({vx!r},{vy!r})"]
        if vb:
            if vw <= 0 or vh <= 0 or vb[2] <= 0 or vb[3] <= 0:
                return None  # zero-size viewport: nothing rendered
            parts.append(_viewbox_transform(vb, vw, vh, elem.get("preserveAspectRatio", "")))
        g.set("transform", " ".join(parts))
        self._children(g, elem, depth, chain)
        return g


def _display_none(elem: ET.Element) -> bool:
    d = elem.get("display")
    if d is None:
        d = _style_props(elem.get("style", "")).get("display")
    return d is not None and d.strip().lower() == "none"


def _viewbox(value: str | None):
    if not value:
        return None
    try:
        nums = [float(v) for v in re.split(r"[\s,]+", value.strip())]
    except ValueError:
        return None
    if len(nums) != 4 or not all(math.isfinite(n) for n in nums):
        return None
    return nums


def _viewbox_transform(vb, w: float, h: float, par: str) -> str:
    x0, y0, vw, vh = vb
    sx, sy = w / vw, h / vh
    par = (par or "").split()
    align = par[0] if par else "xMidYMid"
    slice_ = len(par) > 1 and par[1] == "slice"
    if align == "none":
        return f"scale({sx!r},{sy!r}) translate({-x0!r},{-y0!r})"
    s = max(sx, sy) if slice_ else min(sx, sy)
    tx, ty = 0.0, 0.0
    if "xMid" in align:
        tx = (w - vw * s) / 2
    elif "xMax" in align:
        tx = w - vw * s
    if "YMid" in align:
        ty = (h - vh * s) / 2
    elif "YMax" in align:
        ty = h - vh * s
    return f"translate({tx!r},{ty!r}) scale({s!r}) translate({-x0!r},{-y0!r})"


# ------------------------------------------------------------------- geometry


def _parse_geometry(clean: bytes, name: str, width: float, height: float) -> se.SVG:
    # width/height: the viewport in user units, for percentage lengths.
    try:
        # reify=False: svgelements' own Arc-times-matrix is wrong under skew
        # (it bends rounded-rect corners); arcs are turned into cubics in their
        # local coordinates and the shape's matrix is applied by us instead.
        svg = se.SVG.parse(io.BytesIO(clean), reify=False, ppi=96, width=width, height=height,
                           on_error="raise")
    except ArtworkError:
        raise
    except RecursionError:
        raise ArtworkError(f"{name}: is nested too deeply to be read.") from None
    except Exception as e:  # svgelements raises ValueError/IndexError/... on bad data
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read "
                           f"({_detail(e)}).") from None
    return svg


def _detail(e: Exception) -> str:
    text = " ".join(str(e).split())[:80].rstrip(".")
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _paint(values: dict, key: str) -> str | None:
    """'paint' (drawn), 'white' (drawn white) or None (not drawn)."""
    raw = values.get(key)
    if raw is None:
        raw = "black" if key == "fill" else "none"
    raw = str(raw).strip()
    low = raw.lower()
    if low in ("none", "transparent", ""):
        return None
    for op in (f"{key}-opacity", "opacity"):
        try:
            if float(values.get(op, 1.0)) <= 0.0:
                return None
        except (TypeError, ValueError):
            pass
    if low.startswith("url("):
        return "paint"  # gradient/pattern: paint only, the shape is still filled
    try:
        c = se.Color(raw)
    except Exception:
        return "paint"
    if c.value is None:
        return "paint"
    if c.alpha == 0:
        return None
    if min(c.red, c.green, c.blue) >= 0xF0:
        return "white"
    return "paint"


def _describe(shape) -> str:
    tag = shape.values.get("tag", type(shape).__name__.lower()) if hasattr(shape, "values") else "shape"
    sid = shape.values.get("id") if hasattr(shape, "values") else None
    return f"<{tag} id=\"{sid}\">" if sid else f"a <{tag}>"


def _extract(svg, name: str, mode: str) -> tuple[Path, ...]:
    paths: list[Path] = []
    stroke_widths: list[tuple[float, str]] = []
    for shape in svg.elements():
        if not isinstance(shape, se.Shape) or isinstance(shape, se.Image):
            continue
        values = getattr(shape, "values", {}) or {}
        if str(values.get("visibility", "visible")).strip().lower() in ("hidden", "collapse"):
            continue
        # A <line> encloses no area: its fill paints nothing, whatever it says.
        fill = None if isinstance(shape, se.SimpleLine) else _paint(values, "fill")
        stroke = _paint(values, "stroke")
        if fill is None and stroke is None:
            continue  # invisible (e.g. a frame rectangle): not engraved
        if mode == "fill":
            if fill is None:
                raise ArtworkError(f"{name}: has stroke-only shapes ({_describe(shape)}); outline "
                                   "strokes (Object to Path / Stroke to Path) or set the artwork's "
                                   "mode to line.")
            if fill == "white":
                raise ArtworkError(f"{name}: has shapes filled with white ({_describe(shape)}); a "
                                   "laser cannot engrave white, so express such details as holes "
                                   "in the black shapes (Path > Difference).")
            if stroke is not None:
                sw = shape.implicit_stroke_width  # scaled by the shape's matrix: mm
                stroke_widths.append((float(sw if sw is not None else PX_TO_MM), _describe(shape)))
        segs = _convert(shape, name, close=(mode == "fill"))
        if not segs:
            continue
        rule = str(values.get("fill-rule", "nonzero")).strip().lower()
        paths.append(Path(segs, "evenodd" if rule == "evenodd" else "nonzero"))
    if paths and stroke_widths:
        b = bounds_of(paths)
        size = max(b.width, b.height)
        for sw, what in stroke_widths:
            if sw > STROKE_TOLERANCE * size:
                raise ArtworkError(f"{name}: has filled shapes with a {sw:.3g} mm stroke "
                                   f"({what}), which would change the engraved shape; remove "
                                   "the stroke or outline it (Stroke to Path) and unite it with "
                                   "the fill.")
    return tuple(paths)


def _mapper(shape, name: str):
    """The shape's full matrix (root mm scale, viewBox, groups, own) as a point function."""
    m = shape.transform
    a, b, c, d, e, f = (float(v) for v in (m.a, m.b, m.c, m.d, m.e, m.f))

    def pt(p) -> tuple[float, float]:
        px, py = float(p[0]), float(p[1])
        x, y = a * px + c * py + e, b * px + d * py + f
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ArtworkError(f"{name}: has coordinates that are not numbers (NaN or infinity).")
        if abs(x) > MAX_COORD or abs(y) > MAX_COORD:
            raise ArtworkError(f"{name}: has coordinates beyond {MAX_COORD:.0e} mm, which is "
                               "not a plaque drawing.")
        return (x, y)

    return pt


def _convert(shape, name: str, close: bool) -> tuple:
    """svgelements shape -> our absolute M/L/C/Z command tuple in mm, cleaned.

    Drawn through :class:`~plaquegen.geometry.PathPen` (which raises
    quadratics to cubics, closes every contour when ``close`` and cleans at
    geometry.PRECISION); only SVG's own rules are decided here.
    """
    try:
        seglist = list(shape.segments(transformed=False))
    except Exception as e:
        raise ArtworkError(f"{name}: has malformed shape data that cannot be read in "
                           f"{_describe(shape)} ({_detail(e)}).") from None
    pt = _mapper(shape, name)
    pen = PathPen(close=close)
    start = cur = None
    moved = False  # a contour is open in the pen

    for seg in seglist:
        if isinstance(seg, se.Move):
            start = cur = pt(seg.end)
            pen.moveTo(cur)
            moved = True
            continue
        if cur is None:  # drawing before any move: start at the segment's start
            if getattr(seg, "start", None) is None:
                continue
            start = cur = pt(seg.start)
        if not moved:  # first drawing, or a command after Z: starts at the sub-path's start
            pen.moveTo(start)
            cur = start
            moved = True
        if isinstance(seg, se.Close):
            pen.closePath()
            cur = start
            moved = False
            continue
        end = pt(seg.end)
        if isinstance(seg, se.Line):
            pen.lineTo(end)
        elif isinstance(seg, se.CubicBezier):
            pen.curveTo(pt(seg.control1), pt(seg.control2), end)
        elif isinstance(seg, se.QuadraticBezier):
            pen.qCurveTo(pt(seg.control), end)  # degree elevation is exact and commutes with the matrix
        elif isinstance(seg, se.Arc):
            if same_point(end, cur):
                continue  # an arc to its own start draws nothing (SVG spec)
            if not seg.rx or not seg.ry:
                pen.lineTo(end)  # zero radius: a straight line (SVG spec)
            else:
                n = max(1, math.ceil(abs(seg.sweep) / (math.pi / 4) - 1e-9))
                curves = list(seg.as_cubic_curves(n))
                for k, cb in enumerate(curves):
                    e = end if k == len(curves) - 1 else pt(cb.end)
                    pen.curveTo(pt(cb.control1), pt(cb.control2), e)
        else:  # unknown segment type: be explicit rather than silently wrong
            raise ArtworkError(f"{name}: has an unsupported path segment ({type(seg).__name__}).")
        cur = end
    return pen.path().segs
