"""PNG previews with cairosvg (on request only: ~90 ms a plaque).

Always in cairosvg's safe mode: never unsafe=True, never a url_fetcher, so
nothing outside the SVG is ever fetched. Our SVGs hold only paths anyway.
"""
from __future__ import annotations

__all__ = ["svg_to_png"]


def svg_to_png(svg: bytes, dpi: int = 300) -> bytes:
    """Render SVG bytes (mm units) to a PNG on white at ``dpi``."""
    import cairosvg

    return cairosvg.svg2png(bytestring=svg, dpi=dpi, background_color="white")
