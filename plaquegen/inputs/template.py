"""plaque.toml -> a validated Template.

Every problem is a TemplateError whose message is one sentence naming the
key, e.g. "plaque.toml: number.box lies outside the 80 x 24 mm plate
(right edge at 91.0 mm)." All lengths are millimetres.
"""
from __future__ import annotations

import math
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from ..core.errors import PlaquegenError
from ..core.assets import ASSETS
from ..core.files import read_regular_file
from ..geometry.paths import Bounds
from ..geometry.layers import LAYER_ORDER
from .laser_settings import DEFAULT_LASER, LaserSettings, LaserSettingsError, parse_laser
from .machine import SHOP_PROFILES, Machine, MachineError, ShopProfile, parse_machine, take_sections

__all__ = ["TemplateError", "Template", "Placement", "ArtworkSpec", "NumberSpec", "Bed",
           "load_template", "parse_formats", "DEFAULT_TEMPLATE", "FORMATS"]

DEFAULT_TEMPLATE = ASSETS / "plaque.toml"
MAX_TEMPLATE_BYTES = 256 * 1024
MAX_SIZE_MM = 2000.0  # nothing a laser bed holds is larger

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


class TemplateError(PlaquegenError):
    """A template that cannot be used; str() is one sentence naming the key."""


@dataclass(frozen=True)
class Placement:
    """Where an element goes: box in plate mm, alignment inside it."""

    box: Bounds
    align: str = "center"
    valign: str = "middle"


@dataclass(frozen=True)
class ArtworkSpec:
    file: Path
    mode: str  # "fill" -> engrave layer, "line" -> score layer
    place: Placement


@dataclass(frozen=True)
class NumberSpec:
    format: str
    font: str  # resolved path of a TTF/OTF, or "hershey:<name>"
    cap_height: float
    tracking: float
    place: Placement


@dataclass(frozen=True)
class Bed:
    """The shop's jig: pockets on a grid; origin = top-left of pocket 1, all in mm."""

    width: float
    height: float
    columns: int
    rows: int
    pitch_x: float
    pitch_y: float
    origin_x: float
    origin_y: float

    @property
    def slots(self) -> int:
        return self.columns * self.rows


@dataclass(frozen=True)
class Template:
    source: str
    width: float
    height: float
    corner_radius: float
    outline: str  # "cut" | "guide" | "none"
    material: str
    silhouette: ArtworkSpec
    signature: ArtworkSpec | None
    number: NumberSpec
    colors: dict  # layer name -> "#RRGGBB"
    hairline: float
    bed: Bed
    laser: LaserSettings = DEFAULT_LASER  # the shop's [laser] section (plaquegen.laser)
    formats: tuple[str, ...] = ("svg",)  # [output] formats: what a batch writes besides proofs
    engrave_output: str = "fill"  # [output] engrave: "fill" (filled areas) or "hatch" (lines)
    cross_hatch: bool = False     # [output] cross_hatch: a second hatch pass at 90 degrees
    machine: Machine | None = None  # [machine] (plaquegen.inputs.machine); None: a gantry, the bed
    shop: ShopProfile = SHOP_PROFILES["generic"]  # [shop] program: formats, colours, import notes

    def format_number(self, number: int, total: int) -> str:
        return self.number.format.format(number=number, total=total)

    @property
    def plate(self) -> Bounds:
        return Bounds(0.0, 0.0, self.width, self.height)


_SCHEMA: dict[str, dict[str, tuple[type, ...] | None]] = {
    "plate": {"width": (int, float), "height": (int, float), "corner_radius": (int, float),
              "outline": (str,), "material": (str,)},
    "silhouette": {"file": (str,), "mode": (str,), "box": (list,), "align": (str,), "valign": (str,)},
    "signature": {"file": (str,), "mode": (str,), "box": (list,), "align": (str,), "valign": (str,)},
    "number": {"format": (str,), "font": (str,), "cap_height": (int, float), "tracking": (int, float),
               "box": (list,), "align": (str,), "valign": (str,)},
    "colors": {name: (str,) for name in LAYER_ORDER},
    "strokes": {"hairline": (int, float)},
    "bed": {"width": (int, float), "height": (int, float), "columns": (int,), "rows": (int,),
            "pitch_x": (int, float), "pitch_y": (int, float), "origin_x": (int, float),
            "origin_y": (int, float)},
    "output": {"formats": (list,), "engrave": (str,), "cross_hatch": (bool,)},
}
FORMATS = ("svg", "dxf", "lbrn2")
_OPTIONAL = {"signature", "strokes", "colors", "output"}
_DEFAULTS = {
    "plate": {"corner_radius": 0.0, "outline": "cut", "material": "stainless steel"},
    "silhouette": {"mode": "fill", "align": "center", "valign": "middle"},
    "signature": {"mode": "line", "align": "center", "valign": "middle"},
    "number": {"format": "{number:04d} / {total}", "tracking": 0.0, "align": "center",
               "valign": "middle"},
    "colors": {"engrave": "#000000", "score": "#0000FF", "cut": "#FF0000", "guide": "#F36926"},
    "strokes": {"hairline": 0.025},
    "bed": {},
    "output": {"formats": ["svg"], "engrave": "fill", "cross_hatch": False},
}


def load_template(path: str | os.PathLike | None = None,
                  files: dict[str, Path] | None = None) -> Template:
    """Read and validate a plaque template (default: assets/plaque.toml).

    files: where a file the template names (artwork, font; the text as written in the TOML)
    really is; a batch folder's kept copy of its template uses it. Others resolve next to the TOML.
    """
    p = Path(path) if path is not None else DEFAULT_TEMPLATE
    name = p.name
    try:
        if p.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"{name} is larger than {MAX_TEMPLATE_BYTES // 1024} KB; "
                                "a template is a short text file.")
        if p.is_dir():
            raise IsADirectoryError
        raw = tomllib.loads(read_regular_file(p, MAX_TEMPLATE_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"template {p} does not exist.") from None
    except IsADirectoryError:
        raise TemplateError(f"template {p} is a folder, not a TOML file.") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{name} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"{name} is not valid TOML ({e}).") from None
    except OSError as e:
        raise TemplateError(f"template {p} cannot be read: {e.strerror or e}.") from None
    return _build(raw, name, p.resolve().parent, files or {})


def _build(raw: dict, name: str, base: Path, files: dict[str, Path]) -> Template:
    def fail(msg: str) -> TemplateError:
        return TemplateError(f"{name}: {msg}")

    laser_settings = _laser_section(raw, name)  # hook: [laser] is validated by plaquegen.laser
    shop, machine_raw = _shop_sections(raw, name)  # hook: [shop], [machine] (plaquegen.inputs.machine)
    sec = _sections(raw, fail)
    plate = sec["plate"]
    width, height, radius, outline = _plate(fail, plate)

    def placement(section: str, table: dict) -> Placement:
        return _placement(fail, section, table, width, height)

    def artwork(section: str) -> ArtworkSpec | None:
        table = sec[section]
        if table is None:
            return None
        mode = _choice(fail, f"{section}.mode", table["mode"], ("fill", "line"))
        return ArtworkSpec(_resolve(base, table["file"], files), mode, placement(section, table))

    number = _number(fail, sec["number"], base, files, placement)
    colors = _colors(fail, sec["colors"])
    hairline = _length(fail, "strokes.hairline", sec["strokes"]["hairline"])
    if hairline > 1.0:
        raise fail(f"strokes.hairline {hairline} mm is not a hairline (use at most 1 mm).")
    bed, machine = _machine_section(machine_raw, _bed(fail, sec["bed"], width, height), width,
                                    height, name)
    return Template(source=name, width=width, height=height, corner_radius=radius, outline=outline,
                    material=plate["material"], silhouette=artwork("silhouette"),
                    signature=artwork("signature"), number=number, colors=colors,
                    hairline=hairline, bed=bed, laser=laser_settings, machine=machine, shop=shop,
                    formats=parse_formats(sec["output"]["formats"], f"{name}: output.formats"),
                    engrave_output=_choice(fail, "output.engrave", sec["output"]["engrave"],
                                           ("fill", "hatch")),
                    cross_hatch=sec["output"]["cross_hatch"])


def _sections(raw: dict, fail) -> dict[str, dict]:
    """Every section of the schema, its keys checked and typed, defaults filled in
    (an optional section left out: its defaults; [signature] left out: None)."""
    for section in raw:
        if section not in _SCHEMA:
            raise fail(f"unknown section [{section}] (known: {', '.join(_SCHEMA)}).")
    sec: dict[str, dict] = {}
    for section, keys in _SCHEMA.items():
        if section not in raw:
            if section in _OPTIONAL:
                sec[section] = None if section == "signature" else dict(_DEFAULTS[section])
                continue
            raise fail(f"section [{section}] is missing.")
        table = raw[section]
        if not isinstance(table, dict):
            raise fail(f"[{section}] must be a table.")
        merged = dict(_DEFAULTS.get(section, {}))
        for key, value in table.items():
            if key not in keys:
                raise fail(f"unknown key {section}.{key} (known: {', '.join(keys)}).")
            types = keys[key]
            if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
                want = "a number" if float in types else ("a list" if list in types else
                                                          "a whole number" if int in types else
                                                          "true or false" if bool in types else "text")
                raise fail(f"{section}.{key} must be {want}, not {value!r}.")
            merged[key] = value
        for key in keys:
            if key not in merged:
                raise fail(f"{section}.{key} is missing.")
        sec[section] = merged
    return sec


def _plate(fail, plate: dict) -> tuple[float, float, float, str]:
    """(width, height, corner radius, outline) of [plate]."""
    width = _length(fail, "plate.width", plate["width"])
    height = _length(fail, "plate.height", plate["height"])
    radius = _length(fail, "plate.corner_radius", plate["corner_radius"], allow_zero=True)
    if radius > min(width, height) / 2:
        raise fail(f"plate.corner_radius {radius} mm is more than half the plate's "
                   f"{min(width, height)} mm side.")
    outline = _choice(fail, "plate.outline", plate["outline"], ("cut", "guide", "none"))
    return width, height, radius, outline


def _placement(fail, section: str, table: dict, width: float, height: float) -> Placement:
    """The box and alignment of ``section``, inside the ``width`` x ``height`` mm plate."""
    plate_box = Bounds(0.0, 0.0, width, height)
    box = table["box"]
    key = f"{section}.box"
    if len(box) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                for v in box):
        raise fail(f"{key} must be four numbers [x, y, width, height] in mm.")
    try:
        x, y, w, h = (float(v) for v in box)
    except OverflowError:  # a TOML integer beyond any float
        raise fail(f"{key} must contain finite numbers.") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise fail(f"{key} must contain finite numbers.")
    if w <= 0 or h <= 0:
        raise fail(f"{key} must have a positive width and height, not {w} x {h} mm.")
    b = Bounds(x, y, x + w, y + h)
    if not plate_box.contains(b):
        raise fail(f"{key} [{x}, {y}, {w}, {h}] lies outside the {width:g} x {height:g} mm plate.")
    return Placement(b, _choice(fail, f"{section}.align", table["align"], ("left", "center", "right")),
                     _choice(fail, f"{section}.valign", table["valign"], ("top", "middle", "bottom")))


def _number(fail, num: dict, base: Path, files: dict[str, Path], placement) -> NumberSpec:
    """[number]: format, font (resolved), cap height and tracking, placement."""
    fmt = num["format"]
    _check_format(fail, fmt)
    font = num["font"]
    font = font if font.startswith("hershey:") else str(_resolve(base, font, files))
    cap = _length(fail, "number.cap_height", num["cap_height"])
    number = NumberSpec(fmt, font, cap, _tracking(fail, num["tracking"], cap), placement("number", num))
    if cap > number.place.box.height:
        raise fail(f"number.cap_height {cap} mm is taller than its {number.place.box.height:g} mm box.")
    return number


def _colors(fail, colors: dict) -> dict[str, str]:
    """[colors]: "#RRGGBB" (upper case); the laser layers' three colours differ, guide from all."""
    colors = {k: v.upper() for k, v in colors.items()}
    for k, v in colors.items():
        if not _HEX.match(v):
            raise fail(f"colors.{k} must be a colour like \"#FF0000\", not {v!r}.")
    laser = [colors[k] for k in ("engrave", "score", "cut")]
    if colors["guide"] in laser:
        raise fail("colors.guide must differ from every laser layer's colour.")
    if len(set(laser)) != 3:
        raise fail("colors.engrave, colors.score and colors.cut must be three different colours.")
    return colors


def _bed(fail, b: dict, width: float, height: float) -> Bed:
    """[bed]: the jig, its pockets at least a plate apart and all on the bed."""
    bed = Bed(*(_length(fail, f"bed.{k}", b[k]) for k in ("width", "height")),
              *(_count(fail, f"bed.{k}", b[k]) for k in ("columns", "rows")),
              *(_length(fail, f"bed.{k}", b[k]) for k in ("pitch_x", "pitch_y")),
              *(_length(fail, f"bed.{k}", b[k], allow_zero=True) for k in ("origin_x", "origin_y")))
    if bed.columns > 1 and bed.pitch_x < width:
        raise fail(f"bed.pitch_x {bed.pitch_x:g} mm is less than the plate width {width:g} mm: pockets overlap.")
    if bed.rows > 1 and bed.pitch_y < height:
        raise fail(f"bed.pitch_y {bed.pitch_y:g} mm is less than the plate height {height:g} mm: pockets overlap.")
    right = bed.origin_x + (bed.columns - 1) * bed.pitch_x + width
    bottom = bed.origin_y + (bed.rows - 1) * bed.pitch_y + height
    if right > bed.width + 1e-9 or bottom > bed.height + 1e-9:
        raise fail(f"the {bed.columns} x {bed.rows} pockets reach {right:g} x {bottom:g} mm, "
                   f"beyond the {bed.width:g} x {bed.height:g} mm bed.")
    return bed


def parse_formats(value, what: str = "--formats") -> tuple[str, ...]:
    """A list of output formats ("svg", "dxf", "lbrn2"; svg always included), in that order."""
    items = value.split(",") if isinstance(value, str) else value
    chosen = set()
    for item in items:
        f = str(item).strip().lower().lstrip(".")
        if f not in FORMATS:
            raise TemplateError(f"{what}: unknown format {str(item)[:20]!r} (known: {', '.join(FORMATS)}).")
        chosen.add(f)
    return tuple(f for f in FORMATS if f in chosen or f == "svg")


def _shop_sections(raw: dict, name: str) -> tuple[ShopProfile, dict | None]:
    """Take [shop] and [machine] out of the raw table (the profile fills in formats, colours)."""
    try:
        return take_sections(raw, name)
    except MachineError as e:
        raise TemplateError(str(e)) from None


def _machine_section(table: dict | None, bed: Bed, width: float, height: float,
                     name: str) -> tuple[Bed, Machine]:
    """[machine] against the bed: the bed sheets are laid out on (a galvo's: per field)."""
    try:
        return parse_machine(table, bed, width, height, name)
    except MachineError as e:
        raise TemplateError(str(e)) from None


def _laser_section(raw: dict, name: str) -> LaserSettings:
    """Take [laser] out of the raw table and validate it (plaquegen.laser), as a TemplateError."""
    try:
        return parse_laser(raw.pop("laser", None), name)
    except LaserSettingsError as e:
        raise TemplateError(str(e)) from None


def _length(fail, key: str, value, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except OverflowError:  # a TOML integer beyond any float
        raise fail(f"{key} is absurd (more than {MAX_SIZE_MM:g} mm).") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise fail(f"{key} must be a positive length in mm, not {value!r}.")
    if v > MAX_SIZE_MM:
        raise fail(f"{key} {v:g} mm is absurd (more than {MAX_SIZE_MM:g} mm).")
    return v


def _tracking(fail, value, cap: float) -> float:
    """Extra space between the number's characters: finite, at most a cap height either way."""
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v) or abs(v) > cap:
        raise fail(f"number.tracking must be a number of mm between -{cap:g} and {cap:g} "
                   f"(the cap height), not {value!r}.")
    return v


def _count(fail, key: str, value) -> int:
    if value < 1 or value > 1000:
        raise fail(f"{key} must be a whole number from 1 to 1000, not {value!r}.")
    return int(value)


def _choice(fail, key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise fail(f"{key} must be one of {', '.join(allowed)}, not {value!r}.")
    return value


# A field's spec may pad, align, sign and group the digits; width at most 64 (the label's limit).
_INT_SPEC = re.compile(r"(?:(?P<fill>.)?[<>=^])?[+\- ]?0?(?P<width>\d*)[,_]?d?", re.S)
# A literal number after "/", "of", "von", ... where {total} belongs: "{number:04d} / 6309".
_HARD_TOTAL = re.compile(r"(?:/|\b(?:of|von|aus|de|sur|di|van|av|af)\b)\s*(\d[\d.,' ]*\d|\d)",
                         re.IGNORECASE)
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _check_format(fail, fmt: str) -> None:
    """Only {number} and {total} fields with plain integer specs; no hard-coded total,
    no control or invisible characters; prove it formats."""
    bad = next((ch for ch in fmt if unicodedata.category(ch) in _INVISIBLE), None)
    if bad is not None:
        raise fail(f"number.format contains the invisible or control character U+{ord(bad):04X}; "
                   "it would be engraved as nothing or refused by the font.")
    try:
        fields, literal = set(), []
        for lit, field, spec, conv in Formatter().parse(fmt):
            literal.append(lit)
            if field is None:
                continue
            if field not in ("number", "total") or conv:
                shown = field + (f"!{conv}" if conv else "")
                raise fail(f"number.format may only use {{number}} and {{total}}, not {{{shown}}}.")
            if "{" in (spec or ""):
                raise fail("number.format may not nest fields.")
            m = _INT_SPEC.fullmatch(spec or "")
            width = m.group("width") if m else ""
            if m is None or len(width) > 3 or (width and int(width) > 64):
                shown = f"{{{field}:{spec}}}"
                shown = shown if len(shown) <= 30 else shown[:29] + "\u2026"
                raise fail(f"number.format is not a valid format for a build number: "
                           f"{shown} may only pad, align and group the digits "
                           "(like {number:04d}, width at most 64).")
            fields.add(field)
        if "total" not in fields:
            m = _HARD_TOTAL.search(" ".join(literal))
            if m:
                raise fail(f"number.format hard-codes the total {m.group(1)} ({m.group(0).strip()!r}); "
                           "write {total} instead, so the total is counted from the register.")
        text = fmt.format(number=462, total=6309)
    except TemplateError:
        raise
    except (ValueError, IndexError, KeyError) as e:
        raise fail(f"number.format {fmt!r} is not a valid format ({e}).") from None
    if not text.strip() or len(text) > 64:
        raise fail("number.format must give between 1 and 64 characters.")


def _resolve(base: Path, file: str, files: dict[str, Path]) -> Path:
    if file in files:
        return Path(files[file])
    p = Path(file)
    return p if p.is_absolute() else (base / p)
