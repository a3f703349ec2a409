"""The shop's machine and program: the template's ``[machine]`` and ``[shop]`` sections.

``[machine]`` says where the sheets go in the laser program's workspace::

    [machine]
    kind = "gantry"            # "gantry": a head over a bed; "galvo": mirrors over a lens field
    workspace = [600.0, 400.0] # gantry: the bed's working area; galvo: the lens field, in mm
    origin = "front-left"      # gantry: front-left | front-right | rear-left | rear-right; galvo: center
    jig_at = [0.0, 0.0]        # the jig's rear-left corner in the workspace, mm from its rear-left corner
    mirror_x = false           # galvo only: the device's own mirroring (LightBurn's MirrorX/MirrorY)
    mirror_y = false
    device = ""                # LightBurn's device name (DeviceName), "" = none

Left out: a gantry whose workspace is the ``[bed]``, origin front-left, jig at [0, 0].
A galvo's workspace is its lens field (110 x 110 mm is common), not a bed: when the
jig is larger than the field, a sheet is laid out **per field** (:func:`fit_bed`): only
the pockets that lie wholly inside the field are used, and :attr:`Machine.note` says so
in a sentence the job sheet prints. No pocket inside the field is refused.

``[shop]`` names the program family that runs the files (:data:`SHOP_PROFILES`):
``lightburn``, ``ezcad``, ``ruby`` or ``generic``. The profile picks the output formats and
the layer colours where the template does not give them, and the import notes the job
sheet prints (``sources`` of each claim: README "Shop programs").

Messages are :class:`MachineError`, one sentence naming the key (the template turns them
into its own error).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..core.errors import PlaquegenError

__all__ = ["Machine", "ShopProfile", "MachineError", "SHOP_PROFILES", "KINDS", "ORIGINS",
           "take_sections", "parse_machine", "fit_bed", "default_machine"]

KINDS = ("gantry", "galvo")
ORIGINS = ("front-left", "front-right", "rear-left", "rear-right", "center")
_MAX_MM = 2000.0
_MACHINE_KEYS = ("kind", "workspace", "origin", "jig_at", "mirror_x", "mirror_y", "device")


class MachineError(PlaquegenError):
    """A ``[machine]`` or ``[shop]`` section that cannot be used; one sentence naming the key."""


@dataclass(frozen=True)
class Machine:
    """Where a sheet sits in the laser program's workspace.

    width/height: the workspace (gantry bed or galvo lens field) in mm. offset_x/offset_y: the
    sheet's top-left (rear-left) corner in the workspace, mm from the workspace's rear-left
    corner, y towards the front (a galvo's sheet is the field itself: 0, 0). mirror_x/mirror_y:
    LightBurn's ``MirrorX``/``MirrorY`` (a gantry's origin on the right / at the rear).
    note: what the shop must know about the fit ("" when the jig fits).
    """

    kind: str = "gantry"
    width: float = 600.0
    height: float = 400.0
    origin: str = "front-left"
    offset_x: float = 0.0
    offset_y: float = 0.0
    mirror_x: bool = False
    mirror_y: bool = False
    device: str = ""
    note: str = ""

    def workspace_point(self, x: float, y: float) -> tuple[float, float]:
        """Sheet mm (y down from the sheet's top-left) -> workspace mm, y up from its front-left
        corner (LightBurn's frame: its rulers and its own files, FINDINGS.md 4 and 6)."""
        return (self.offset_x + x, self.height - (self.offset_y + y))

    def describe(self) -> str:
        """One line for the job sheet."""
        what = "lens field" if self.kind == "galvo" else "workspace"
        text = (f"{self.kind}, {what} {self.width:g} \u00d7 {self.height:g} mm, origin {self.origin}")
        if self.kind == "gantry" and (self.offset_x or self.offset_y):
            text += f", jig's rear-left corner at {self.offset_x:g}, {self.offset_y:g} mm"
        return text


@dataclass(frozen=True)
class ShopProfile:
    """One program family: formats written besides the SVGs, layer colours, import notes."""

    name: str
    program: str
    formats: tuple[str, ...]
    colors: Mapping[str, str]
    notes: tuple[tuple[str, str], ...]  # (file, what to do with it), for the job sheet


_COLORS = {"engrave": "#000000", "score": "#0000FF", "cut": "#FF0000", "guide": "#F36926"}

SHOP_PROFILES: dict[str, ShopProfile] = {
    "lightburn": ShopProfile("lightburn", "LightBurn", ("svg", "lbrn2"), _COLORS, (
        ("sheets/sheet-NN.lbrn2", "File > Open (not Import): layers C00 engrave (Fill), C01 score, "
                                  "C02 cut (Line) run in that order across all plaques; guides on T1."),
        ("sheets/sheet-NN.svg", "if imported instead: black, blue and red are LightBurn's palette "
                                "colours C00, C01, C02 exactly; no guide in it."),
    )),
    "ezcad": ShopProfile("ezcad", "EZCAD", ("svg", "dxf"), _COLORS, (
        ("sheets/sheet-NN.dxf", "import in mm; select layer 1-ENGRAVE-FILL and Hatch it: each "
                                "contour is there once, closed, none crossing another."),
        ("layers", "2-SCORE-LINE and 3-CUT-LINE are lines (give each its own pen); "
                   "a galvo lays out one field per sheet."),
    )),
    "ruby": ShopProfile("ruby", "Trotec Ruby", ("svg",), _COLORS, (
        ("sheets/sheet-NN.svg", "import; in the material settings give black the engrave, blue the "
                                "mark and red the cut process (cut lines are unfilled hairlines)."),
        ("colours", "no white anywhere: Ruby ignores white lines."),
    )),
    "generic": ShopProfile("generic", "any laser program", ("svg", "dxf"), _COLORS, (
        ("sheets/sheet-NN.svg", "import 1:1 in mm: one layer per operation by exact colour."),
        ("sheets/sheet-NN.dxf", "import in mm: closed outlines on 1-ENGRAVE-FILL to fill, lines on "
                                "2-SCORE-LINE and 3-CUT-LINE."),
    )),
}
DEFAULT_SHOP = "generic"


def take_sections(raw: dict, source: str) -> tuple[ShopProfile, dict | None]:
    """Take ``[shop]`` and ``[machine]`` out of a template's raw TOML table (like ``[laser]``)
    and fill the profile's formats and colours into it where the template gives none.

    Returns the profile and the raw ``[machine]`` table (None when left out) for
    :func:`parse_machine`, which needs the validated bed.
    """
    def fail(msg: str) -> MachineError:
        return MachineError(f"{source}: {msg}")

    shop = raw.pop("shop", None)
    machine = raw.pop("machine", None)
    if shop is None:
        shop = {}
    if not isinstance(shop, dict):
        raise fail("[shop] must be a table.")
    for key in shop:
        if key != "program":
            raise fail(f"unknown key shop.{key} (known: program).")
    name = shop.get("program", DEFAULT_SHOP)
    if name not in SHOP_PROFILES:
        raise fail(f"shop.program must be one of {', '.join(SHOP_PROFILES)}, not {name!r}.")
    profile = SHOP_PROFILES[name]
    if machine is not None and not isinstance(machine, dict):
        raise fail("[machine] must be a table.")
    if "program" in shop:  # a named program: its formats and colours where the template has none
        output = raw.get("output")
        if output is None:
            raw["output"] = {"formats": list(profile.formats)}
        elif isinstance(output, dict) and "formats" not in output:
            raw["output"] = dict(output, formats=list(profile.formats))
        colors = raw.get("colors")
        if colors is None:
            raw["colors"] = dict(profile.colors)
        elif isinstance(colors, dict):
            raw["colors"] = dict(profile.colors, **colors)
    return profile, machine


def default_machine(bed_w: float, bed_h: float) -> Machine:
    """A gantry whose workspace is the bed, origin front-left (no [machine] section)."""
    return Machine("gantry", bed_w, bed_h)


def parse_machine(table: Mapping[str, Any] | None, bed, plate_w: float, plate_h: float,
                  source: str):
    """Validate ``[machine]`` against the (validated) ``[bed]``; returns (bed, Machine): the
    bed as sheets are laid out on it (a galvo's: per field, :func:`fit_bed`)."""
    def fail(msg: str) -> MachineError:
        return MachineError(f"{source}: {msg}")

    if table is None:
        return bed, default_machine(bed.width, bed.height)
    for key in table:
        if key not in _MACHINE_KEYS:
            raise fail(f"unknown key machine.{key} (known: {', '.join(_MACHINE_KEYS)}).")
    kind = table.get("kind", "gantry")
    if kind not in KINDS:
        raise fail(f"machine.kind must be gantry or galvo, not {kind!r}.")
    galvo = kind == "galvo"
    if galvo and "workspace" not in table:
        raise fail("machine.workspace is missing: a galvo's workspace is its lens field "
                   "(e.g. [110.0, 110.0]), never the bed.")
    ws = _pair(fail, "machine.workspace", table.get("workspace", [bed.width, bed.height]), False)
    at = _pair(fail, "machine.jig_at", table.get("jig_at", [0.0, 0.0]), True)
    origin = table.get("origin", "center" if galvo else "front-left")
    allowed = ("center",) if galvo else ORIGINS[:4]
    if origin not in allowed:
        raise fail(f"machine.origin must be {' | '.join(allowed)} for a {kind}, not {origin!r}.")
    mirror = [table.get(k, False) for k in ("mirror_x", "mirror_y")]
    if not all(isinstance(m, bool) for m in mirror):
        raise fail("machine.mirror_x and machine.mirror_y must be true or false.")
    if not galvo and any(k in table for k in ("mirror_x", "mirror_y")):
        raise fail("machine.mirror_x/mirror_y are for a galvo; a gantry's mirroring follows "
                   "machine.origin.")
    device = table.get("device", "")
    if not isinstance(device, str) or len(device) > 64 or any(ord(ch) < 32 for ch in device):
        raise fail("machine.device must be a short line of text (LightBurn's device name).")
    if galvo:
        bed, note = fit_bed(bed, ws, at, plate_w, plate_h, fail)
        return bed, Machine(kind, ws[0], ws[1], origin, 0.0, 0.0, mirror[0], mirror[1], device, note)
    if at[0] + bed.width > ws[0] + 1e-9 or at[1] + bed.height > ws[1] + 1e-9:
        raise fail(f"the {bed.width:g} \u00d7 {bed.height:g} mm jig at [{at[0]:g}, {at[1]:g}] reaches "
                   f"beyond the {ws[0]:g} \u00d7 {ws[1]:g} mm workspace (machine.workspace).")
    return bed, Machine(kind, ws[0], ws[1], origin, at[0], at[1], origin.endswith("right"),
                        origin.startswith("rear"), device, "")


def fit_bed(bed, field: tuple[float, float], at: tuple[float, float], plate_w: float,
            plate_h: float, fail):
    """A galvo's sheet is its lens field: the pockets wholly inside the field (the jig's
    rear-left corner at ``at`` in it), on a field-sized sheet. Returns (bed, note)."""
    def count(n: int, origin: float, pitch: float, size: float, limit: float) -> int:
        k = 0
        while k < n and origin + k * pitch + size <= limit + 1e-9:
            k += 1
        return k

    x0, y0 = at[0] + bed.origin_x, at[1] + bed.origin_y
    cols = count(bed.columns, x0, bed.pitch_x, plate_w, field[0])
    rows = count(bed.rows, y0, bed.pitch_y, plate_h, field[1])
    if x0 < -1e-9 or y0 < -1e-9 or cols == 0 or rows == 0:
        raise fail(f"no pocket of the jig lies inside the galvo's {field[0]:g} \u00d7 {field[1]:g} mm "
                   f"lens field (machine.workspace, machine.jig_at): a {plate_w:g} \u00d7 {plate_h:g} mm "
                   "plate must fit in the field.")
    fitted = replace(bed, width=field[0], height=field[1], columns=cols, rows=rows,
                     origin_x=x0, origin_y=y0)
    note = ""
    if cols * rows < bed.columns * bed.rows:
        note = (f"The {bed.width:g} \u00d7 {bed.height:g} mm jig is larger than the galvo's "
                f"{field[0]:g} \u00d7 {field[1]:g} mm lens field: sheets are laid out per field, "
                f"{cols * rows} of its {bed.columns * bed.rows} pockets a load ({cols} \u00d7 {rows}, "
                "the ones under the lens; the guides show them).")
    return fitted, note


def _pair(fail, key: str, value, allow_zero: bool) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise fail(f"{key} must be two numbers [x, y] in mm.")
    try:
        out = tuple(float(v) for v in value)
    except OverflowError:
        raise fail(f"{key} must hold finite numbers.") from None
    for v in out:
        if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero) or v > _MAX_MM:
            raise fail(f"{key} must be {'non-negative' if allow_zero else 'positive'} lengths in mm "
                       f"up to {_MAX_MM:g}, not {value!r}.")
    return out  # type: ignore[return-value]
