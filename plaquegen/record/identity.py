"""Where a batch came from, the one record of it: BatchInfo, and the register pin it carries.

Contract: :class:`BatchInfo` is the batch's identity wherever it is kept. The batch folder
writes it as ``batch.json`` (folder.write_info/read_info: every field, sorted keys); the ledger
keeps it as its ``batch`` row, with the register's total, demo flag and source in its register
pin (ledger.Ledger.batch_record reads them back from the pin while the ledger still pins that
register, else they are None). :class:`RegisterPin` is the production register a ledger's
numbers come from. Frozen dataclasses; no files, no SQL.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BatchInfo", "RegisterPin"]


@dataclass(frozen=True)
class RegisterPin:
    """The production register the ledger's numbers come from (set by the first batch)."""

    sha256: str
    total: int
    demo: bool
    source: str
    pinned_at: str


@dataclass(frozen=True)
class BatchInfo:
    """Where a batch came from: its order file (as given, resolved, and its sha256), when it was
    first made and last changed, and the identity of the register and template it was made with.

    register_total/register_demo/register_source: the register's details (None where they are
    not known: a ledger whose pin is another register since). The field order is not the file's:
    batch.json is written with sorted keys."""

    batch_id: str
    orders_path: str
    orders_sha256: str
    created_at: str
    updated_at: str
    register_sha256: str
    template_sha256: str
    register_total: int | None = None
    register_demo: bool | None = None
    register_source: str | None = None

    def pin(self) -> RegisterPin | None:
        """The register pin again (pinned when the batch was first made); None when the
        register's details are not known."""
        if self.register_total is None or self.register_demo is None or self.register_source is None:
            return None
        return RegisterPin(self.register_sha256, self.register_total, self.register_demo,
                           self.register_source, self.created_at)
