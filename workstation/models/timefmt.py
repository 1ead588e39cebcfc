"""How times are stored in the cache: ISO 8601 UTC text with a `Z` suffix.

Text (not epoch numbers) so the file stays readable in any SQLite browser; UTC with a fixed
shape so text order is time order. Wire times already have this shape
(`2026-11-11T02:13:00Z`) and are stored untouched, which keeps the apply path cheap.
"""
from __future__ import annotations

from datetime import datetime, timezone


def _is_canonical(text: str) -> bool:
    return len(text) == 20 and text[19] == "Z" and text[10] == "T"


def to_db(value: datetime | str | None) -> str | None:
    """A wire string or a datetime -> canonical UTC text. Naive datetimes are taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        if _is_canonical(value):
            return value
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a time, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def from_db(text: str | None) -> datetime | None:
    """Canonical text -> an aware UTC datetime."""
    if text is None:
        return None
    return datetime.fromisoformat(text)


def utc_now() -> datetime:
    """Now, in UTC, to the second (the precision the cache keeps for sync times)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def utc_now_text() -> str:
    return to_db(utc_now())
