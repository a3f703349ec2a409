"""The production register, parsed once per season folder: :func:`load_register_cached`.

Reading and validating the 6,342-car register (every VIN's characters and check digit) costs
~50 ms, paid by every ``number``, ``check`` and ``batch``. The validated cars are cached in the
season folder (``<out>/.cache/register-<path key>.json``, core/cache.py), keyed by the register
file's sha256, the options it was read with and the sha256 of the reader's own source.

Contract: the Register returned is equal to what :func:`register.load_register` returns for the
same file and options (cars, numbers, total, source, warnings, format). A cache whose key,
digest or content does not check out is never used: the register is read again and the cache
rewritten. Build numbers are never taken from the cache: they are counted again from the
cars' order and use, and the total must agree. Reading from stdin ("-") or a file that is not
a regular file is never cached; neither is anything when ``folder`` is None or missing.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..core.cache import code_identity, read_cache, write_cache
from ..core.files import read_regular_file
from .register import DEMO_REGISTER, Car, Register, load_register

__all__ = ["load_register_cached", "register_cache_key"]

_HERE = Path(__file__).resolve().parent
_CODE = (_HERE / "register.py", _HERE / "tables.py", _HERE / "vin.py", Path(__file__).resolve(),
         _HERE.parent / "core" / "cache.py")


def register_cache_key(path: str | os.PathLike, data: bytes, options: dict) -> tuple[str, str] | None:
    """(cache name, key) of a register file's bytes read with ``options``; None: not cacheable."""
    code = code_identity(*_CODE)
    if not code:
        return None
    where = json.dumps([str(path), options], sort_keys=True)
    name = "register-" + hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    key = hashlib.sha256(f"{where}\0{code}\0".encode("utf-8", "surrogatepass") + data).hexdigest()
    return name, key


def load_register_cached(path: str | os.PathLike | None = None, folder: str | os.PathLike | None = None,
                         *, write: bool = True, **options) -> Register:
    """:func:`load_register` through the cache in ``folder`` (a season folder; see the contract).
    ``write=False`` uses a valid cache but never writes one (a dry run writes nothing)."""
    p = DEMO_REGISTER if path is None else path
    ident = _identity(p, options) if folder is not None and Path(folder).is_dir() else None
    if ident is None:
        return load_register(path, **options)
    name, key = ident
    cached = _from_payload(read_cache(folder, name, key), str(p))
    if cached is not None:
        return cached
    register = load_register(path, **options)
    if write and _identity(p, options) == ident:  # the file did not change while it was read
        write_cache(folder, name, key, _payload(register))
    return register


def _identity(p, options: dict) -> tuple[str, str] | None:
    if str(p) == "-":
        return None
    try:
        data = read_regular_file(p)
    except OSError:
        return None  # load_register says what is wrong with it
    return register_cache_key(p, data, options)


def _payload(register: Register) -> dict:
    return {"total": register.total, "warnings": list(register.warnings), "format": register.format,
            "cars": [[c.vin, c.use, c.line, c.market, c.produced] for c in register.cars]}


def _from_payload(payload, source: str) -> Register | None:
    """The Register a cached payload describes, or None when anything in it does not check out."""
    try:
        cars, number, new = [], 0, object.__new__
        seen: set[str] = set()
        for vin, use, line, market, produced in payload["cars"]:
            if not (isinstance(vin, str) and len(vin) == 17 and type(line) is int
                    and isinstance(market, str) and isinstance(produced, str)) or vin in seen:
                return None
            seen.add(vin)
            if use == "customer":
                number += 1
                n = number
            elif use == "internal":
                n = None
            else:
                return None
            car = new(Car)  # Car's frozen __init__, without its per-field setattr calls
            car.__dict__.update(vin=vin, use=use, number=n, line=line, market=market, produced=produced)
            cars.append(car)
        warnings, fmt = payload["warnings"], payload["format"]
        if (number == 0 or payload["total"] != number or not isinstance(fmt, str)
                or not all(isinstance(w, str) for w in warnings)):
            return None
        return Register(cars=tuple(cars), total=number, source=source, warnings=tuple(warnings), format=fmt)
    except (KeyError, TypeError, ValueError):
        return None
