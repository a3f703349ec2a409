"""Guessing which plaque a returned proof is when its form is gone (flattened, printed
to PDF): :func:`guess_plaque`, from the identity in the document metadata, else the VIN
and number printed on the page.
"""

from __future__ import annotations

import io
import json
import re

from .items import quiet

__all__ = ["guess_plaque"]

_VIN = re.compile(r"\b([A-HJ-NPR-Z0-9]{17})\b")
_NUMBER = re.compile(r"\b(\d{1,5}\s*/\s*\d{1,5})\b")


def guess_plaque(pdf_bytes: bytes) -> tuple[str | None, str | None]:
    """(VIN, number text such as '0462 / 6309') a proof that lost its form most likely is.

    From the identity in the document Subject if it survived, else from the text
    printed on the page (the proof prints the VIN and the number after their
    labels, in English or German). (None, None) for a scan without text or a
    file that cannot be read.
    """
    from ..proof.strings import STRINGS

    try:
        with quiet():
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(pdf_bytes))
            if reader.is_encrypted and not reader.decrypt(""):
                return None, None
            try:
                ident = json.loads(str((reader.metadata or {}).get("/Subject") or ""))
            except ValueError:
                ident = None
            if isinstance(ident, dict) and isinstance(ident.get("vin"), str) \
                    and _VIN.fullmatch(ident["vin"]):
                label = ident.get("label")
                return ident["vin"], label if isinstance(label, str) and label else None
            text = "\n".join((p.extract_text() or "") for p in list(reader.pages)[:3])
    except Exception:  # noqa: BLE001 - a damaged file simply gives no guess
        return None, None
    lines = [ln.strip() for ln in text.splitlines()]
    vin_labels = {STRINGS[k]["vin"] for k in STRINGS}
    num_labels = {STRINGS[k]["number"] for k in STRINGS}
    vin = number = None
    for i, ln in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        for lab in vin_labels:
            if vin is None and ln.startswith(lab):
                m = _VIN.search(ln[len(lab):] + " " + nxt)
                vin = m.group(1) if m else None
        for lab in num_labels:
            if number is None and ln.startswith(lab):
                m = _NUMBER.search(ln[len(lab):] + " " + nxt)
                number = m.group(1) if m else None
    if vin is None:
        m = _VIN.search(text.upper().replace("-", ""))
        vin = m.group(1) if m else None
    if number is None:
        m = _NUMBER.search(text)
        number = m.group(1) if m else None
    return vin, number

