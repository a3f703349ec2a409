"""Geometry -> files: engraver SVG (svg), DXF (dxf), LightBurn projects (lbrn), PNG previews (png), the small PDF toolkit (pdf) and its canvas-free stream bytes (pdfstream), the shop's job sheet (jobsheet).

Contract: writers never compose; the same Plaque gives the same bytes.
"""

__all__ = ['dxf', 'jobsheet', 'lbrn', 'pdf', 'pdfstream', 'png', 'svg']
