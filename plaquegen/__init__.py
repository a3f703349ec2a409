"""plaquegen: individually numbered, laser-engraved plaques from a customer list.

The library, without the command line::

    import plaquegen as pg
    register = pg.load_register()                      # the production register
    template = pg.load_template()                      # plaque.toml: plate, artwork, font
    car = register.lookup("VS94332")                   # full or 7-character short VIN
    plaque = pg.Composer.prepare(template).compose(car.vin, car.number, register.total)
    open("0462.svg", "wb").write(pg.plaque_svg(plaque, template))   # mm, engraver-ready

Names are loaded on first use, so ``import plaquegen`` stays cheap.
"""
from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "PlaquegenError": "errors",
    "read_orders": "orders", "Order": "records", "Reject": "records", "Numbered": "records",
    "load_register": "register", "Register": "register", "Refused": "register",
    "number_orders": "numbering",
    "load_template": "template", "Template": "template",
    "Composer": "compose", "Plaque": "geometry", "Layer": "geometry", "Path": "geometry",
    "plaque_svg": "svgout", "render_proof": "proof", "read_proof": "proofform",
    "BatchOptions": "batch", "plan_batch": "batch", "run_batch": "batch",
    "Ledger": "ledger", "open_batch": "batchdir",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'plaquegen' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
