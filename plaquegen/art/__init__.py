"""Artwork and text -> a Plaque: designer SVG -> contours in mm (svgread), text -> outline or stroke glyphs (glyphs), template + artwork + number -> the Plaque (compose).

Contract: the Plaque is built once and every writer draws that same geometry.
"""

__all__ = ['compose', 'glyphs', 'svgread']
