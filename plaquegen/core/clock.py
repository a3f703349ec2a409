"""The one clock: every time plaquegen records or prints is UTC, ISO 8601 with seconds.

``PLAQUEGEN_NOW`` (an ISO 8601 UTC time) freezes the clock, for reproducible
batches and for tests that play a season forward.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

__all__ = ["TIME_FORMAT", "utc_now", "today", "parse_utc", "format_utc"]

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def format_utc(dt: datetime) -> str:
    """``2025-09-14T10:22:03Z`` for an aware datetime (naive ones are taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_utc(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime, or None when it is not one."""
    try:
        dt = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def utc_now() -> str:
    """The current time, e.g. ``2025-09-14T10:22:03Z`` (or PLAQUEGEN_NOW when set)."""
    frozen = os.environ.get("PLAQUEGEN_NOW")
    if frozen:
        dt = parse_utc(frozen)
        if dt is not None:
            return format_utc(dt)
    return format_utc(datetime.now(timezone.utc))


def today() -> str:
    """The current UTC date, ``YYYY-MM-DD``."""
    return utc_now()[:10]
