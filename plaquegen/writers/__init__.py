"""Geometry -> files: engraver SVG (svg), DXF (dxf), LightBurn projects (lbrn), PNG previews (png), the operator's sheet guides (guides: sheet-NN-guides.svg/.pdf, never for a laser), the small PDF toolkit (pdf) and its canvas-free bytes (pdfstream: deflated streams, string literals), the shop's job sheet (jobsheet: writer, overview, list; jobsheet_maps: sheet maps; jobsheet_page: what every page shares), the season pages (season_page; season_assets: its CSS and script; season_chart: its SVG charts), the meeting desk's hand-out (handout).

Contract: writers never compose; the same Plaque gives the same bytes.
"""

__all__ = ['dxf', 'guides', 'handout', 'jobsheet', 'jobsheet_maps', 'jobsheet_page', 'lbrn', 'pdf', 'pdfstream', 'png', 'season_assets', 'season_chart', 'season_page', 'svg', 'thumbnail']
