"""A designer's SVG read defensively: the file's limits, the safety scan and a clean rebuild (untrusted input).

The register replaces our artwork with whatever its designer exports from Illustrator,
Inkscape or Affinity. :func:`read_svg` does the first two of the three passes of
:func:`~plaquegen.art.artwork.load_artwork` (the third, geometry, is in artwork.py):

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

   The root viewport is resolved here exactly into one matrix from user units to mm
   (svgelements' mm constant is rounded): the CSS ``px`` is 1/96 in, so
   ``width="96px"`` (or unitless 96) is 25.4 mm and ``width="10mm"`` 10 mm.

Contract: every refusal is an :class:`ArtworkError` whose text is one sentence naming the
file; nothing is fetched, nothing outside the file is read, and time and memory are bounded
by the limits below (``MAX_*``). Lengths in the rebuilt document are SVG user units (CSS px,
1/96 in) under one root transform to mm (:data:`PX_TO_MM`); ``MAX_COORD`` is in mm.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as DET

from ..core.errors import PlaquegenError
from ..core.files import read_regular_file

__all__ = ["ArtworkError", "read_svg", "PX_TO_MM",
           "MAX_BYTES", "MAX_ELEMENTS", "MAX_EXPANDED", "MAX_DEPTH", "MAX_COORD", "MAX_NUMBERS"]

MAX_BYTES = 5 * 1024 * 1024      # a silhouette is a few hundred kB at most
MAX_ELEMENTS = 20_000            # elements in the file as written
MAX_EXPANDED = 20_000            # elements after <use> references are inlined
MAX_DEPTH = 100                  # element nesting (and <use> chains)
MAX_COORD = 1e6                  # mm; anything larger is a broken file
MAX_NUMBERS = 100_000            # coordinates in path data and points (50,000 line segments);
                                 # the bundled silhouette has ~2,000. Bounds parse time.
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

PX_TO_MM = 25.4 / 96.0           # CSS px (svgelements' user unit at ppi=96) -> mm

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


class ArtworkError(PlaquegenError):
    """An artwork file was refused; ``str(e)`` is one sentence naming the file."""



def read_svg(fspath: str, name: str) -> tuple[bytes, float, float]:
    """Passes 1 and 2: the file at ``fspath`` (``name`` in messages) read, parsed and scanned,
    then rebuilt as a clean SVG document; returns its bytes and the root viewport's width
    and height in user units (for percentage lengths)."""
    data = _read(fspath, name)
    root = _parse_xml(data, name)
    rebuilt = _Rebuilder(name, root)
    clean = rebuilt.build()
    return ET.tostring(clean), rebuilt.vw, rebuilt.vh


# ------------------------------------------------------------------ reading/XML


def _read(fspath: str, name: str) -> bytes:
    try:
        data = read_regular_file(fspath, MAX_BYTES)
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
