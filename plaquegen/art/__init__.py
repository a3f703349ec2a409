"""Artwork and text -> a Plaque: a designer's SVG read defensively and rebuilt clean (svgread), its shapes as paths in mm fitted into a box (artwork), text -> outline or stroke glyphs (glyphs), template + artwork + number -> the Plaque (compose).

Contract: the Plaque is built once and every writer draws that same geometry; untrusted artwork is refused with one sentence naming the file (svgread.ArtworkError).
"""

__all__ = ['artwork', 'compose', 'glyphs', 'svgread']
