"""Opaque sync cursors: URL-safe base64 of a small JSON object.

Feed cursor:     {"v":1, "k":"f", "sh":shop, "e":epoch, "s":seq}
Snapshot cursor: {"v":1, "k":"s", "sh":shop, "st":stream, "e":epoch, "s":snapshot_seq, "i":last_id}
Not signed: a cursor grants nothing (every query is scoped to the token's shop); it only has
to be recognisably ours, so anything malformed or aimed at another shop/stream is rejected.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from .limits import MAX_CURSOR_CHARS, MAX_INT64

VERSION = 1


class BadCursor(ValueError):
    """Not a cursor this server made (or not one for this shop/stream/endpoint)."""


@dataclass(frozen=True)
class Cursor:
    kind: str  # "f" feed, "s" snapshot
    shop_id: int
    epoch: int
    seq: int
    stream: str | None = None
    last_id: int | None = None


def encode(c: Cursor) -> str:
    doc: dict = {"v": VERSION, "k": c.kind, "sh": c.shop_id, "e": c.epoch, "s": c.seq}
    if c.kind == "s":
        doc["st"] = c.stream
        doc["i"] = c.last_id
    return base64.urlsafe_b64encode(orjson.dumps(doc)).rstrip(b"=").decode("ascii")


def feed_cursor(shop_id: int, epoch: int, seq: int) -> str:
    return encode(Cursor("f", shop_id, epoch, seq))


def decode(text: str, *, kind: str, shop_id: int, stream: str | None = None) -> Cursor:
    if len(text) > MAX_CURSOR_CHARS:
        raise BadCursor("the cursor is not one this server made (too long)")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise BadCursor("the cursor is not one this server made") from None
    if not isinstance(doc, dict) or doc.get("v") != VERSION or doc.get("k") != kind:
        raise BadCursor("the cursor is not one this server made for this request")
    ints = [doc.get(k) for k in ("sh", "e", "s")] + ([doc.get("i")] if kind == "s" else [])
    # Within the database's 64-bit integers, so a crafted cursor cannot overflow a query.
    if not all(type(v) is int and 0 <= v <= MAX_INT64 for v in ints):
        raise BadCursor("the cursor is damaged")
    if doc["sh"] != shop_id:
        raise BadCursor("the cursor belongs to another shop")
    if kind == "s" and doc.get("st") != stream:
        raise BadCursor("the cursor belongs to another stream")
    return Cursor(kind, doc["sh"], doc["e"], doc["s"], doc.get("st"), doc.get("i"))
