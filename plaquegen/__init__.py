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

from .core.version import __version__

_EXPORTS = {
    "PlaquegenError": "core.errors",
    "read_orders": "inputs.orders", "Order": "core.records", "Reject": "core.records", "Numbered": "core.records",
    "load_register": "inputs.register", "Register": "inputs.register", "Refused": "inputs.register",
    "number_orders": "inputs.numbering",
    "load_template": "inputs.template", "Template": "inputs.template",
    "Composer": "art.compose", "Plaque": "geometry.paths", "Layer": "geometry.paths", "Path": "geometry.paths",
    "plaque_svg": "writers.svg", "render_proof": "proof.render", "read_proof": "proof.form",
    "BatchOptions": "pipeline.batch", "plan_batch": "pipeline.batch", "run_batch": "pipeline.batch",
    "Ledger": "record.ledger", "open_batch": "record.folder",
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
