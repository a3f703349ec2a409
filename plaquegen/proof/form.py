"""The proof's form: the one definition of its AcroForm field names, the identity it embeds,
and :func:`read_proof`, which reads a returned (filled-in) proof back.

Used by both the proof writers (names, identity) and the approvals code (reading answers).
It imports neither reportlab nor the writers.

Fields of one proof: ``approve_<suffix>`` (checkbox), ``changes_<suffix>``, ``name_<suffix>``,
``date_<suffix>`` (text), where ``<suffix>`` is :func:`field_suffix` of the VIN, so the fields of
several proofs never collide when merged; and the hidden read-only ``plaquegen_id`` holding the
identity as JSON (also in the document Subject).
"""
from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path as FsPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: reading a proof back needs no geometry
    from ..geometry.paths import Plaque
    from ..core.records import Numbered

__all__ = ["ID_FIELD", "APPROVE", "CHANGES", "NAME", "DATE", "ANSWER_FIELDS", "field_suffix",
           "field_name", "identity", "identity_json", "read_proof"]

ID_FIELD = "plaquegen_id"
APPROVE, CHANGES, NAME, DATE = "approve", "changes", "name", "date"
ANSWER_FIELDS = (APPROVE, CHANGES, NAME, DATE)


def field_suffix(vin: str) -> str:
    """VIN made safe for an AcroForm field name (no '.', which means hierarchy)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", vin) or "unknown"


def field_name(kind: str, vin: str) -> str:
    """The name of answer field ``kind`` (one of ANSWER_FIELDS) on the proof of ``vin``."""
    if kind not in ANSWER_FIELDS:
        raise ValueError(f"no proof field {kind!r}")
    return f"{kind}_{field_suffix(vin)}"


def identity(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str) -> dict[str, Any]:
    """What ties a proof to one engrave file: batch, car, number and the SVG's sha256."""
    return {
        "batch_id": batch_id,
        "vin": numbered.vin,
        "number": plaque.number,
        "total": plaque.total,
        "label": plaque.label,
        "order_id": numbered.order.order_id,
        "svg_sha256": svg_sha256,
    }


def identity_json(ident: dict[str, Any]) -> str:
    """The identity as embedded: ASCII-only JSON, sorted keys, no spaces (deterministic)."""
    return json.dumps(ident, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def read_proof(pdf: bytes | str | FsPath) -> dict[str, Any]:
    """Read a (possibly filled-in) proof: the embedded identity and the owner's answers.

    Returns ``{"identity": {...} | None, "approved": bool, "changes": str,
    "name": str, "date": str}``. The identity comes from the hidden field,
    falling back to the document Subject.
    """
    from pypdf import PdfReader  # heavy; only the approvals path needs it

    reader = PdfReader(BytesIO(pdf) if isinstance(pdf, (bytes, bytearray)) else str(pdf))
    fields = reader.get_fields() or {}
    ident = None
    raw = fields.get(ID_FIELD, {}).get("/V") if ID_FIELD in fields else None
    for candidate in (raw, (reader.metadata or {}).get("/Subject")):
        if candidate:
            try:
                ident = json.loads(str(candidate))
                break
            except ValueError:
                continue
    out: dict[str, Any] = {"identity": ident, "approved": False, "changes": "", "name": "", "date": ""}
    for fname, f in fields.items():
        value = f.get("/V")
        if fname.startswith(APPROVE + "_"):
            out["approved"] = str(value) not in ("", "/Off", "Off", "None")
        for key in (CHANGES, NAME, DATE):
            if fname.startswith(key + "_") and value is not None:
                out[key] = str(value)
    return out
