"""Where the bundled assets live: template, artwork, fonts and the synthetic demo register.

Inside an installed package they sit in ``plaquegen/assets/``; in a checkout, in the repository's
``assets/`` folder beside the package.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS"]


def _find_assets() -> Path:
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "assets", package.parent / "assets"):
        if (candidate / "plaque.toml").is_file():
            return candidate
    return package.parent / "assets"


ASSETS = _find_assets()
