"""Owner proofs: the entry point batch code calls.

:func:`render_proof` writes one proof through the template writer
(:mod:`plaquegen.proof.writer`: a page prepared once per variant, per owner only the owner's
objects), which falls back to the reference reportlab writer
(:func:`plaquegen.proof.page.render_proof_reportlab`) for names outside the embedded font
subset. The page itself is in :mod:`plaquegen.proof.page`, the shared PDF toolkit in
:mod:`plaquegen.writers.pdf` (stream bytes in :mod:`plaquegen.writers.pdfstream`), the strings
in :mod:`plaquegen.proof.strings`, the form (field names, identity, :func:`read_proof`) in
:mod:`plaquegen.proof.form`.
"""
from __future__ import annotations

from typing import Sequence

from ..geometry.paths import Plaque
from ..writers.pdf import A4, LETTER, MM, clean_text, visual
from .form import field_suffix, read_proof
from .page import (ProofLayout, ProofLayoutError, proof_layout, proof_page_size,
                        render_proof_reportlab, watermark_box)
from .writer import ProofWriter, batch_writer, default_writer
from ..core.records import Numbered

__all__ = ["render_proof", "prepare_proofs", "render_proof_reportlab", "ProofWriter", "ProofLayout",
           "ProofLayoutError", "proof_layout", "proof_page_size", "watermark_box",
           "read_proof", "field_suffix", "A4", "LETTER", "MM", "clean_text", "visual"]


def render_proof(plaque: Plaque, numbered: Numbered, batch_id: str, svg_sha256: str,
                 created: str, writer: ProofWriter | None = None) -> bytes:
    """One-page owner proof PDF for ``plaque`` (deterministic bytes for equal input).

    ``created`` is the date printed on the proof. ``writer``: a batch's writer
    (:func:`prepare_proofs`), else the process's default :class:`ProofWriter` (templates
    cached per language x paper x plate).
    """
    return (writer or default_writer()).render(plaque, numbered, batch_id, svg_sha256, created)


def prepare_proofs(cars: Sequence[Numbered], plate: tuple[float, float] | None = None,
                   batch_id: str = "") -> ProofWriter:
    """The proof writer for one batch, to pass to :func:`render_proof` (make it once, before
    forking workers, which inherit it).

    Names beyond the default font subset get a second subset covering the whole batch
    (their proofs go through a template too, not the ~8 ms reference writer); with ``plate``
    (width, height in mm) every template the batch needs is built now, once, instead of in
    each worker. Proofs that the default subset covers keep their exact bytes.
    """
    return batch_writer(cars, plate, batch_id)
