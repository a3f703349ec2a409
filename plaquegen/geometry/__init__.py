"""Paths and layers in millimetres: the one geometry model every writer reads (paths), the one layer table (layers), fill-rule-proof contours (contours), the area a fill engraves (area), hatch lines (hatch).

Contract: every coordinate is mm, y down, origin top-left of the plate; every filled path leaving this package engraves the same under non-zero and even-odd.
"""

__all__ = ['area', 'contours', 'hatch', 'layers', 'paths']
