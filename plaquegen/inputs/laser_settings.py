"""The shop's laser settings: what each operation runs at, in the template's ``[laser]`` section.

Units: speeds in mm/s, power in percent of the source's rated power, frequency
in kHz (pulse repetition rate of a fiber/MOPA source; ``None`` = leave the
machine's own value), line interval and overscan in mm, angle in degrees
(0 = lines along x, counter-clockwise positive as LightBurn shows it), overhead
in seconds.

Defaults are a *starting point* typical for a 20-30 W pulsed fiber (galvo)
laser marking brushed stainless steel 1.4301; every shop tests its own values
on a scrap blank and writes them into its template:

==========  =====================================================================
engrave     fill ("Scan"): 1000 mm/s, 80 %, 30 kHz, 0.03 mm line interval,
            bidirectional, angle 0 deg, 1 pass, 0.5 mm overscan (the head is
            up to speed before the beam switches on, so line ends do not burn
            darker)
score       line ("Cut" in LightBurn's words): 300 mm/s, 60 %, 30 kHz, 1 pass
            (a fine dark line for the single-stroke signature)
cut         line: 200 mm/s, 100 %, 30 kHz, 60 passes (cutting 0.8 mm stainless
            with a marking laser is many fast passes; shops that receive
            pre-cut blanks set ``plate.outline = "guide"`` and never run it)
rapid       4000 mm/s beam-off (galvo jump) speed
overhead    0.5 s per pass of an operation (galvo settle, laser on/off delays)
==========  =====================================================================

:func:`parse_laser` turns the TOML table into a frozen :class:`LaserSettings`
and refuses anything else in one sentence (:class:`LaserSettingsError`).
Writers (the LightBurn project, the job sheet, time estimates) read the
settings; nothing here draws.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..core.errors import PlaquegenError

__all__ = ["FillOp", "LineOp", "LaserSettings", "LaserSettingsError", "DEFAULT_LASER",
           "parse_laser", "RUN_ORDER"]

RUN_ORDER = ("engrave", "score", "cut")  # the order the operations run in


class LaserSettingsError(PlaquegenError):
    """A ``[laser]`` section that cannot be used; str() is one sentence naming the key."""


@dataclass(frozen=True)
class FillOp:
    """A filled area, scanned line by line (LightBurn "Scan", EZCAD hatch).

    speed mm/s, power %, frequency kHz or None, interval mm between scan lines,
    bidirectional: scan both ways, angle degrees, passes: whole repetitions,
    overscan mm run past each line end with the beam off.
    """

    speed: float = 1000.0
    power: float = 80.0
    frequency: float | None = 30.0
    interval: float = 0.03
    bidirectional: bool = True
    angle: float = 0.0
    passes: int = 1
    overscan: float = 0.5


@dataclass(frozen=True)
class LineOp:
    """A hairline followed by the beam (LightBurn "Cut"/Line): speed mm/s, power %,
    frequency kHz or None, passes."""

    speed: float = 300.0
    power: float = 60.0
    frequency: float | None = 30.0
    passes: int = 1


@dataclass(frozen=True)
class LaserSettings:
    """Per-operation settings plus rapid (beam-off) speed in mm/s and overhead in s per pass."""

    engrave: FillOp = FillOp()
    score: LineOp = LineOp()
    cut: LineOp = LineOp(speed=200.0, power=100.0, frequency=30.0, passes=60)
    rapid_speed: float = 4000.0
    pass_overhead: float = 0.5

    def op(self, name: str) -> FillOp | LineOp:
        """The settings of operation ``name`` (engrave, score or cut)."""
        if name not in RUN_ORDER:
            raise KeyError(name)
        return getattr(self, name)


DEFAULT_LASER = LaserSettings()

# Limits: generous for any laser a shop owns, tight enough to catch a unit mix-up
# (mm/min typed as mm/s, a fraction typed for a percentage).
_SPEED_MAX = 20000.0   # mm/s
_FREQ_MAX = 4000.0     # kHz
_PASSES_MAX = 1000
_INTERVAL = (0.001, 5.0)  # mm
_OVERSCAN_MAX = 50.0   # mm
_OVERHEAD_MAX = 60.0   # s

_FILL_KEYS = ("speed", "power", "frequency", "interval", "bidirectional", "angle", "passes",
              "overscan")
_LINE_KEYS = ("speed", "power", "frequency", "passes")
_TOP_KEYS = ("rapid_speed", "pass_overhead")


def parse_laser(table: Mapping[str, Any] | None, source: str) -> LaserSettings:
    """Validate a template's ``[laser]`` table (None or {} = all defaults).

    ``source`` names the file in messages ("plaque.toml"). Shape of the table::

        [laser]
        rapid_speed = 4000      # mm/s
        pass_overhead = 0.5     # s
        [laser.engrave]         # speed, power, frequency, interval, bidirectional,
        ...                     # angle, passes, overscan
        [laser.score]           # speed, power, frequency, passes
        [laser.cut]             # speed, power, frequency, passes

    ``frequency = 0`` means "leave the machine's own frequency" (None).
    """
    def fail(msg: str) -> LaserSettingsError:
        return LaserSettingsError(f"{source}: {msg}")

    if table is None:
        return DEFAULT_LASER
    if not isinstance(table, Mapping):
        raise fail("[laser] must be a table.")
    known = _TOP_KEYS + RUN_ORDER
    for key in table:
        if key not in known:
            raise fail(f"unknown key laser.{key} (known: {', '.join(known)}).")
    out = DEFAULT_LASER
    for name in RUN_ORDER:
        sub = table.get(name)
        if sub is None:
            continue
        if not isinstance(sub, Mapping):
            raise fail(f"laser.{name} must be a table like [laser.{name}].")
        keys = _FILL_KEYS if name == "engrave" else _LINE_KEYS
        base = out.op(name)
        values: dict[str, Any] = {}
        for key, value in sub.items():
            if key not in keys:
                raise fail(f"unknown key laser.{name}.{key} (known: {', '.join(keys)}).")
            values[key] = _value(fail, f"laser.{name}.{key}", key, value)
        out = replace(out, **{name: replace(base, **values)})
    top = {k: _value(fail, f"laser.{k}", k, table[k]) for k in _TOP_KEYS if k in table}
    return replace(out, **top)


def _value(fail, key: str, kind: str, value: Any):
    """One checked value; ``kind`` is the field name, which fixes its unit and range."""
    if kind == "bidirectional":
        if not isinstance(value, bool):
            raise fail(f"{key} must be true or false, not {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{key} must be a number, not {value!r}.")
    if kind == "passes":
        if not isinstance(value, int) or not 1 <= value <= _PASSES_MAX:
            raise fail(f"{key} must be a whole number from 1 to {_PASSES_MAX}, not {value!r}.")
        return int(value)
    try:
        v = float(value)
    except OverflowError:
        v = math.inf
    if not math.isfinite(v):
        raise fail(f"{key} must be a finite number, not {value!r}.")
    if kind in ("speed", "rapid_speed"):
        if not 0 < v <= _SPEED_MAX:
            raise fail(f"{key} must be a speed in mm/s above 0 and at most {_SPEED_MAX:g}, "
                       f"not {value!r}.")
    elif kind == "power":
        if not 0 < v <= 100:
            raise fail(f"{key} must be a power in percent above 0 and at most 100, not {value!r}.")
    elif kind == "frequency":
        if not 0 <= v <= _FREQ_MAX:
            raise fail(f"{key} must be a pulse frequency in kHz from 0 (machine default) "
                       f"to {_FREQ_MAX:g}, not {value!r}.")
        return None if v == 0 else v
    elif kind == "interval":
        lo, hi = _INTERVAL
        if not lo <= v <= hi:
            raise fail(f"{key} must be a line interval in mm from {lo:g} to {hi:g}, not {value!r}.")
    elif kind == "angle":
        if not -360 <= v <= 360:
            raise fail(f"{key} must be an angle in degrees from -360 to 360, not {value!r}.")
    elif kind == "overscan":
        if not 0 <= v <= _OVERSCAN_MAX:
            raise fail(f"{key} must be a distance in mm from 0 to {_OVERSCAN_MAX:g}, not {value!r}.")
    elif kind == "pass_overhead":
        if not 0 <= v <= _OVERHEAD_MAX:
            raise fail(f"{key} must be a time in seconds from 0 to {_OVERHEAD_MAX:g}, not {value!r}.")
    return v
