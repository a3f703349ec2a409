"""The production register: every car built, in build order -> customer build numbers.

A register file is a CSV (UTF-8, with or without BOM) with the columns ``vin``
and ``use`` (``customer`` or ``internal``) and optionally ``market`` and
``produced``; other columns are ignored. Lines starting with ``#`` are comments,
anywhere in the file; blank lines are skipped. Rows are in build order; a
customer car's number is its rank among the customer rows, and the total is
the number of customer rows (never a constant).

``Register.lookup`` takes whatever a person typed (full VIN or 7-character
short VIN) and returns the ``Car`` or raises ``Refused`` with one sentence
saying why, suggesting the register VIN when a single typo explains it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import PlaquegenError
from ..core.records import pad_number
from ..core.assets import ASSETS
from .tables import Table, TableError, read_table
from .vin import ALPHABET, is_short_vin, normalize, vin_problem

__all__ = ["Car", "DEMO_REGISTER", "REGISTER_HELP", "Refused", "Register", "RegisterError", "load_register"]

DEMO_REGISTER = ASSETS / "register-demo.csv"

_USES = ("customer", "internal")
_SUBSTITUTES = sorted(ALPHABET)
_DIGIT_FOR = {"O": "0", "Q": "0", "I": "1"}
_MAX_SUGGESTIONS = 3


class RegisterError(PlaquegenError):
    """The register file cannot be used; the message is one sentence naming file and line."""

    def __init__(self, message: str):
        # Cells quoted in the message come from the file: keep the sentence on one line.
        super().__init__(" ".join(str(message).split()))


class Refused(Exception):
    """A lookup the register refuses; ``reason`` is one sentence a person understands."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Car:
    vin: str
    use: str                 # "customer" or "internal"
    number: int | None       # 1-based rank among customer cars; None for internal units
    line: int                # physical line in the register file
    market: str = ""
    produced: str = ""

    @property
    def short_vin(self) -> str:
        return self.vin[10:17]

    @property
    def is_customer(self) -> bool:
        return self.use == "customer"


@dataclass(frozen=True)
class Register:
    cars: tuple[Car, ...]
    total: int               # number of customer cars
    source: str              # file path
    warnings: tuple[str, ...] = ()   # sentences to show (e.g. an uncertain encoding guess)
    format: str = ""                 # what was read, e.g. "CSV (UTF-8, ';')"
    _by_vin: dict[str, Car] = field(default_factory=dict, repr=False, compare=False)
    _by_short: dict[str, tuple[Car, ...]] = field(default_factory=dict, repr=False, compare=False)
    _by_number: dict[int, Car] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Indexes are built once; a Register built directly from cars gets them too.
        if not self._by_vin and self.cars:
            by_short: dict[str, list[Car]] = {}
            for car in self.cars:
                self._by_vin.setdefault(car.vin, car)
                by_short.setdefault(car.short_vin, []).append(car)
                if car.number is not None:
                    self._by_number[car.number] = car
            self._by_short.update({k: tuple(v) for k, v in by_short.items()})

    # -- public -------------------------------------------------------------------------------
    def customers(self) -> tuple[Car, ...]:
        return tuple(c for c in self.cars if c.number is not None)

    def by_number(self, number: int) -> Car:
        """The customer car with this build number; KeyError if there is none."""
        try:
            return self._by_number[number]
        except KeyError:
            raise KeyError(f"no customer car No. {number} (the register has 1 to {self.total})") from None

    def __len__(self) -> int:
        return len(self.cars)

    def __contains__(self, vin: object) -> bool:
        return isinstance(vin, str) and normalize(vin) in self._by_vin

    def lookup(self, text: str) -> Car:
        """The customer car a person's typed VIN (full or short) names; raises Refused otherwise."""
        t = normalize(text if isinstance(text, str) else ("" if text is None else str(text)))
        if not t:
            raise Refused("no VIN given")
        car = self._by_vin.get(t)
        if car is not None:
            return self._customer(car)
        if len(t) == 17:
            self._refuse_full(t)
        if len(t) == 7:
            return self._lookup_short(t)
        raise Refused(f"VIN has {len(t)} character{'s' if len(t) != 1 else ''}; "
                      "a full VIN has 17, a short VIN 7")

    # -- helpers ------------------------------------------------------------------------------
    def _customer(self, car: Car) -> Car:
        if car.number is None:
            raise Refused(f"internal unit (pre-production/test car), not one of the "
                          f"{self.total:,} customer cars")
        return car

    def _label(self, car: Car) -> str:
        if car.number is None:
            return f"{car.vin} (internal unit)"
        return f"{car.vin} (No. {pad_number(car.number, self.total)})"

    def _short_label(self, car: Car) -> str:
        if car.number is None:
            return f"{car.short_vin} ({car.vin}, internal unit)"
        return f"{car.short_vin} ({car.vin}, No. {pad_number(car.number, self.total)})"

    @staticmethod
    def _one_typo(t: str, index: dict) -> list:
        """Keys of ``index`` one substitution or one adjacent transposition away from ``t``."""
        found: dict[str, None] = {}
        for i, ch in enumerate(t):
            head, tail = t[:i], t[i + 1:]
            for sub in _SUBSTITUTES:
                if sub != ch:
                    key = head + sub + tail
                    if key in index:
                        found[key] = None
        for i in range(len(t) - 1):
            if t[i] != t[i + 1]:
                key = t[:i] + t[i + 1] + t[i] + t[i + 2:]
                if key in index:
                    found[key] = None
        return list(found)

    def _did_you_mean(self, labels: list[str]) -> str:
        shown = labels[:_MAX_SUGGESTIONS]
        text = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        more = f" (and {len(labels) - len(shown)} more)" if len(labels) > len(shown) else ""
        return f"did you mean {text}{more}?"

    def _suggest_full(self, t: str) -> str | None:
        keys = self._one_typo(t, self._by_vin)
        if not keys:
            return None
        # a typo in the check digit or type code (short VIN as typed) first, then build order
        cars = sorted((self._by_vin[k] for k in keys), key=lambda c: (c.short_vin != t[10:], c.line))
        return self._did_you_mean([self._label(c) for c in cars])

    def _refuse_full(self, t: str) -> None:
        bad = [(i, ch) for i, ch in enumerate(t, start=1) if ch not in ALPHABET]
        if bad:
            where = _where(bad)
            fixed = "".join(_DIGIT_FOR.get(ch, ch) for ch in t)
            car = self._by_vin.get(fixed)
            if car is not None and fixed != t:
                raise Refused(f"VIN contains {where}, which VINs never use (I, O and Q are read as 1 and 0): "
                              f"did you mean {self._label(car)}?")
            hint = self._suggest_full(t)
            if hint:
                raise Refused(f"VIN contains {where}, which VINs never use: {hint}")
            raise Refused(f"VIN contains {where}, which VINs never use; not in the production register")
        hint = self._suggest_full(t)
        if hint:
            raise Refused(f"{t} is not in the production register: {hint}")
        problem = vin_problem(t)
        if problem:
            raise Refused(f"{problem}; not in the production register")
        if not t.startswith("WBS"):
            raise Refused(f"{t} is not a BMW M VIN (it starts {t[:3]}, a 1M Coupé's starts WBS); "
                          "not in the production register")
        raise Refused(f"{t} is not in the production register: it is a valid VIN, "
                      "but no 1M Coupé with it was built")

    def _lookup_short(self, t: str) -> Car:
        cars = self._by_short.get(t)
        if cars:
            if len(cars) > 1:
                vins = ", ".join(c.vin for c in cars[:_MAX_SUGGESTIONS])
                more = f" and {len(cars) - _MAX_SUGGESTIONS} more" if len(cars) > _MAX_SUGGESTIONS else ""
                raise Refused(f"short VIN {t} matches {len(cars)} cars ({vins}{more}): give the full VIN")
            return self._customer(cars[0])
        bad = [(i, ch) for i, ch in enumerate(t, start=1) if ch not in ALPHABET]
        if bad:
            where = _where(bad)
            fixed = "".join(_DIGIT_FOR.get(ch, ch) for ch in t)
            found = self._by_short.get(fixed)
            if found and len(found) == 1 and fixed != t:
                raise Refused(f"short VIN contains {where}, which VINs never use (I, O and Q are read as 1 "
                              f"and 0): did you mean {self._short_label(found[0])}?")
        keys = self._one_typo(t, self._by_short)
        cands = sorted((c for k in keys for c in self._by_short[k]), key=lambda c: c.line)
        if bad:
            start = f"short VIN contains {_where(bad)}, which VINs never use"
            if cands:
                raise Refused(f"{start}: {self._did_you_mean([self._short_label(c) for c in cands])}")
            raise Refused(f"{start}; not in the production register")
        if cands:
            raise Refused(f"short VIN {t} is not in the production register: "
                          f"{self._did_you_mean([self._short_label(c) for c in cands])}")
        if not is_short_vin(t):
            raise Refused(f"short VIN {t} is not in the production register "
                          "(a short VIN is the plant letter and serial, VIN positions 11-17)")
        raise Refused(f"short VIN {t} is not in the production register")


def _where(bad: list[tuple[int, str]], shown: int = 3) -> str:
    """"'O' at position 5, ..." for the first few bad characters (a garbage cell stays short)."""
    where = ", ".join(f"{ch!r} at position {i}" for i, ch in bad[:shown])
    return where + (f" and {len(bad) - shown} more" if len(bad) > shown else "")


_REG_COLUMNS = {
    "vin": ("vin", "fin", "fahrgestellnummer", "fahrgestellnr", "chassis", "chassisnumber"),
    "use": ("use", "verwendung", "usage", "nutzung", "einsatz"),
    "market": ("market", "markt", "land", "country"),
    "produced": ("produced", "produziert", "built", "gebaut", "produktionsdatum", "builddate"),
}
_USE_WORDS = {"customer": "customer", "kunde": "customer", "kundenfahrzeug": "customer",
              "internal": "internal", "intern": "internal"}
REGISTER_HELP = ("Register files: CSV (',' ';' or tab; UTF-8, Windows-1252 or Mac Roman), .xlsx, .xls "
                 "or .ods, one row per car in build order, with the columns vin (or FIN, "
                 "Fahrgestellnummer) and use (or Verwendung: customer/Kunde or internal/intern); "
                 "optional market/Markt and produced. Lines starting with '#' are comments unless "
                 "they hold a VIN.")


def _reg_key(text: str) -> str:
    return re.sub(r"[\s\-_.:()]+", "", text.strip().lstrip("\ufeff").casefold())


def _vin_in(cells: tuple[str, ...]) -> str:
    """A VIN-shaped value (17 VIN characters, letters and digits; typed with spaces or dashes
    too) anywhere in the cells of a row; "" if there is none."""
    for c in cells:
        words = [w for w in re.split(r"[\s,;|#]+", c) if w]
        for i in range(len(words)):
            for j in range(i + 1, min(i + 7, len(words)) + 1):
                n = normalize("".join(words[i:j]))
                if len(n) > 17:
                    break
                if len(n) == 17 and all(ch in ALPHABET for ch in n) and any(ch.isdigit() for ch in n) \
                        and any(ch.isalpha() for ch in n):
                    return n
    return ""


def load_register(path: str | os.PathLike | None = None, *, strict_check_digit: bool = True,
                  sheet: str | None = None, encoding: str | None = None) -> Register:
    """Read and validate a register file (None: the bundled synthetic demo register).

    Formats: CSV with ',' ';' or tab (encoding detected, or ``encoding``), .xlsx/.xls/.ods
    (the first sheet, or ``sheet``). Headers in English or German (vin/FIN/Fahrgestellnummer,
    use/Verwendung with customer/Kunde and internal/intern). Rows whose first cell starts
    with '#' are comments, unless they hold a VIN (then fatal: a car must never be skipped).
    Fatal (RegisterError naming file and line): unreadable file, missing vin/use columns,
    a VIN of wrong length or characters, a wrong check digit (unless
    ``strict_check_digit=False``), a duplicate VIN, an unknown use, no customer cars.
    Warnings (an uncertain encoding guess) are in ``Register.warnings``.
    """
    p = DEMO_REGISTER if path is None else path
    table = _read_register(p, sheet, encoding)
    name = table.name
    unit = "line" if table.kind == "csv" else "row"

    def fail(line: int, msg: str) -> RegisterError:
        return RegisterError(f"{name} {unit} {line}: {msg}.")

    header: dict[str, int] | None = None
    header_line = 0
    cars: list[Car] = []
    seen: dict[str, int] = {}
    number = 0
    for row in table.rows:
        lineno, cells = row.line, row.cells
        if cells and cells[0].lstrip().lstrip("\ufeff").startswith("#"):
            _comment(cells, lineno, fail)
            continue
        if header is None:
            header, header_line = _header(cells, lineno, table.kind, fail), lineno
            continue
        vin, use, market, produced = _car_cells(cells, header, lineno, strict_check_digit, fail)
        if vin in seen:
            raise fail(lineno, f"duplicate VIN {vin}, first seen on {unit} {seen[vin]}")
        seen[vin] = lineno
        if use == "customer":
            number += 1
        cars.append(Car(vin=vin, use=use, number=number if use == "customer" else None, line=lineno,
                        market=market, produced=produced))
    if header is None:
        raise RegisterError(f"{name} {unit} 1: the register is empty (no header line vin,use).")
    if not cars:
        raise RegisterError(f"{name} {unit} {header_line}: the register has a header but no cars after it.")
    if number == 0:
        raise RegisterError(f"{name} {unit} {cars[-1].line}: the register has no customer cars "
                            f"(all {len(cars)} are internal).")
    return Register(cars=tuple(cars), total=number, source=str(p), warnings=table.warnings,
                    format=table.format)


def _read_register(p: str | os.PathLike, sheet: str | None, encoding: str | None) -> Table:
    """The register file's table (its rows not yet looked at), or a RegisterError."""
    shown = Path(p)
    if str(p) != "-" and not shown.exists() and not shown.is_symlink():
        raise RegisterError(f"register file {shown} not found.")
    try:
        return read_table(p, sheet=sheet, encoding=encoding, what="register file", strict=True)
    except TableError as e:
        raise RegisterError(str(e)) from None


def _comment(cells: tuple[str, ...], lineno: int, fail) -> None:
    """A comment line may not hold a VIN: a car must never be skipped."""
    vin = _vin_in(cells)
    if vin:
        raise fail(lineno, f"the line starts with '#' (a comment) but holds the VIN {vin}; "
                           "a car must not be skipped: move the '#' note out of the first "
                           "column, or remove the VIN from the comment")


def _header(cells: tuple[str, ...], lineno: int, kind: str, fail) -> dict[str, int]:
    """Column -> index of the header line; vin and use must be there."""
    keys = [_reg_key(c) for c in cells]
    header = {}
    for col, names in _REG_COLUMNS.items():
        for i, k in enumerate(keys):
            if k in names:
                header[col] = i
                break
    missing = [c for c in ("vin", "use") if c not in header]
    if missing:
        found = ", ".join(" ".join(c.split())[:40] for c in cells if c.strip()) or "nothing"
        hint = ""
        if len([c for c in cells if c.strip()]) == 1 and kind == "csv":
            hint = " (the line has one column: is the delimiter one of , ; or tab?)"
        raise fail(lineno, f"the header must name the columns vin (or FIN, Fahrgestellnummer) "
                           f"and use (or Verwendung) (missing: {', '.join(missing)}; found: "
                           f"{found}){hint}")
    return header


def _car_cells(cells: tuple[str, ...], header: dict[str, int], lineno: int,
               strict_check_digit: bool, fail) -> tuple[str, str, str, str]:
    """(vin, use, market, produced) of a car's line, its VIN and use checked (not yet against
    the other lines)."""

    def cell(col: str) -> str:
        i = header.get(col)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    vin = normalize(cell("vin"))
    if not vin:
        raise fail(lineno, "no VIN")
    problem = vin_problem(vin)
    if problem and (strict_check_digit or len(vin) != 17 or any(ch not in ALPHABET for ch in vin)):
        raise fail(lineno, f"bad VIN {vin}: {problem}")
    use = _USE_WORDS.get(cell("use").casefold())
    if use is None:
        raise fail(lineno, f"use must be customer or internal (Kunde or intern), not {cell('use')!r}")
    return vin, use, cell("market"), cell("produced")
