"""Sheet -> the operator's guide files: ``sheet-NN-guides.svg`` and ``sheet-NN-guides.pdf``.

Guides are the jig's pocket outlines, each plaque's own guide paths (a pre-cut blank's
outline), the slot labels (single-stroke build number + short VIN) and the bed's frame.
They are for a person, never for a laser: print the PDF at 100 % and lay it under the
jig, or open the SVG to check where a plaque goes. No laser file of a batch holds them
(issue 26: laser programs map colours by nearness and ignore ``display:none`` and DXF
"no plot"), except the LightBurn project's tool layer T1, which LightBurn never outputs.

Contract: 1 unit = 1 mm, bed-sized page, same positions as the sheet's laser files
(y down from the bed's top-left corner); the SVG holds only ``<path>`` elements in three
visible layers (``guide-pockets``, ``guide-labels``, ``guide-frame``), stroked in the
guide colour; deterministic bytes (reportlab ``invariant=1``).
"""
from __future__ import annotations

import io

from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas

from ..geometry.paths import Path, rounded_rect
from ..bed.layout import Sheet, sheet_guides
from ..inputs.template import Template
from .pdf import LABEL, MM, draw_text, path_code, register_fonts
from .svg import element, num, path_data, svg_document

__all__ = ["guide_paths", "frame_path", "sheet_guides_svg", "sheet_guides_pdf", "guides_file",
           "GUIDE_STROKE"]

GUIDE_STROKE = 0.2  # mm: visible on paper, far from a laser hairline


def guides_file(sheet_file: str, ext: str) -> str:
    """``sheets/sheet-01.svg`` -> ``sheets/sheet-01-guides.<ext>``."""
    stem = sheet_file.rsplit(".", 1)[0]
    return f"{stem}-guides.{ext}"


def frame_path(sheet: Sheet) -> Path:
    """The bed's frame in bed mm (its edge)."""
    return rounded_rect(0.0, 0.0, sheet.bed_w, sheet.bed_h, 0.0)


def guide_paths(sheet: Sheet, template: Template) -> dict[str, list[Path]]:
    """Every guide of a sheet in bed mm: {"pockets": ..., "labels": ..., "frame": [...]}."""
    pockets, labels = [], []
    for g in sheet_guides(sheet, template):
        pockets += [p.translated(g.slot.x, g.slot.y) for p in g.outlines]
        labels += list(g.label)
    return {"pockets": pockets, "labels": labels, "frame": [frame_path(sheet)]}


def _title(sheet: Sheet, batch_id: str) -> str:
    return (f"Batch {batch_id}, sheet {sheet.number}: guides for the jig "
            f"(print at 100 %, lay under the jig; NOT for the laser)")


def sheet_guides_svg(sheet: Sheet, template: Template, batch_id: str) -> bytes:
    """The guides of one sheet as a visible, bed-sized SVG (see module doc)."""
    color = template.colors["guide"]
    body = []
    for name, paths in guide_paths(sheet, template).items():
        d = "".join(f'<path d="{path_data(p)}" />' for p in paths)
        body.append(element("g", {"id": f"guide-{name}", "inkscape:groupmode": "layer",
                                  "inkscape:label": f"guide {name} (not for the laser)",
                                  "fill": "none", "stroke": color,
                                  "stroke-width": num(GUIDE_STROKE)}, d))
    return svg_document(sheet.bed_w, sheet.bed_h, _title(sheet, batch_id), body)


def sheet_guides_pdf(sheet: Sheet, template: Template, batch_id: str) -> bytes:
    """The guides of one sheet as a bed-sized PDF page, 1:1 (see module doc)."""
    register_fonts()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(sheet.bed_w * MM, sheet.bed_h * MM), invariant=1, pageCompression=1)
    c.setTitle(_title(sheet, batch_id))
    c.setStrokeColor(HexColor(template.colors["guide"]))
    c.setFillColor(HexColor("#000000"))
    draw_text(c, 5 * MM, 3 * MM, _title(sheet, batch_id), LABEL, 9,
              max_width=(sheet.bed_w - 10) * MM)
    c.saveState()
    c.transform(MM, 0, 0, -MM, 0, sheet.bed_h * MM)  # mm, y down from the top-left corner
    c.setLineWidth(GUIDE_STROKE)
    ops = [path_code(p) + " S" for paths in guide_paths(sheet, template).values() for p in paths]
    c._code.extend(ops)  # the same operators drawPath writes, without a path object per path
    c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()
