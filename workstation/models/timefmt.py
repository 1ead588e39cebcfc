"""How times are stored in the cache.

Most tables: ISO 8601 UTC text with a `Z` suffix (readable in any SQLite browser; a fixed
shape so text order is time order). Wire times already have this shape
(`2026-11-11T02:13:00Z`) and are stored untouched.

The big tables (orders' five life-cycle times, buyers.first_order_at; migration 0009) store
integer Unix seconds instead (`schema.UtcEpoch`): 4 bytes instead of 20, a million orders
times five. Apply converts in SQL (`EPOCH_SQL`); `from_db` reads both shapes, so a reader
never needs to know which one a column has. Integer order is time order too.
"""
from __future__ import annotations

from datetime import datetime, timezone


def _is_canonical(text: str) -> bool:
    return len(text) == 20 and text[19] == "Z" and text[10] == "T"


def to_db(value: datetime | str | int | None) -> str | None:
    """A wire string, a datetime or epoch seconds -> canonical UTC text. Naive datetimes are
    taken as UTC."""
    if value is None:
        return None
    if value.__class__ is int:
        value = datetime.fromtimestamp(value, timezone.utc)  # type: ignore[arg-type]
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


# The SQL that turns a wire time (canonical text) into stored epoch seconds; NULL stays NULL.
EPOCH_SQL = "CAST(strftime('%s', ?) AS INTEGER)"


def from_db(text: str | int | None) -> datetime | None:
    """Canonical text, or epoch seconds (`UtcEpoch` columns) -> an aware UTC datetime."""
    if text is None:
        return None
    if text.__class__ is int:
        return datetime.fromtimestamp(text, timezone.utc)  # type: ignore[arg-type]
    return datetime.fromisoformat(text)  # type: ignore[arg-type]


def to_epoch(value: datetime | str | int | None) -> int | None:
    """A wire string, a datetime or epoch seconds -> whole epoch seconds (UtcEpoch columns)."""
    if value is None or value.__class__ is int:
        return value  # type: ignore[return-value]
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a time, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def utc_now() -> datetime:
    """Now, in UTC, to the second (the precision the cache keeps for sync times)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def utc_now_text() -> str:
    return to_db(utc_now())
