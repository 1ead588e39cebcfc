"""Order lookup for the agent on the phone: one box, six kinds of input.

Order number (exact or fragment), buyer nickname fragment, receiver name, phone (full or
last 4 digits), address fragment, tracking number. Exact order/tracking numbers come
first, then everything else newest first (order ids follow recency, so rowid order is
time order and `... ORDER BY rowid DESC LIMIT n` streams instead of sorting).

Paths, all indexed (ENVIRONMENT.md has the measurements behind them):
- exact order number / tracking number: unique and plain indexes (listed first);
- exactly 4 digits: the phone's last 4 (`ix_orders_phone_last4`);
- 5+ digits: phone ending in them (via the last-4 index) plus order-number (or nick,
  address) fragment (FTS);
- 3+ character terms: `orders_fts` (trigram; order no., nick, name, address), always
  quoted so input is never FTS syntax;
- 1-2 character terms (张伟, 张, 杭州): `orders_short`, grams of name and place names;
- several words: every word must match (AND).
Tracking numbers are matched exactly or by prefix (agents paste them whole).
"""
from __future__ import annotations

import heapq
import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import Engine

from workstation.models.schema import FTS_TABLE, SHORT_FTS_TABLE
from workstation.models.timefmt import from_db

MAX_QUERY_CHARS = 100  # longer than any order no., phone, tracking no. or address fragment
_SPACES = re.compile(r"\s+")
# A whole mainland mobile number. Searching it as a digit fragment would intersect nine huge
# digit-trigram lists (~9 ms at 1M orders when nothing matches) for nothing.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()+]")
# A pasted order/tracking number this long that matched exactly needs no fragment search
# (nothing else can contain it; the digit-trigram phrase would cost milliseconds at 1M rows).
_WHOLE_NUMBER = 10
_TOP = "\U0010ffff"  # sorts after any text: `x <= v < x + _TOP` is "v starts with x"


@dataclass(frozen=True)
class OrderRow:
    id: int
    order_no: str
    buyer_nick: str
    receiver_name: str
    receiver_phone: str
    status: str
    payment_method: str
    total_cents: int
    created_at: datetime
    carrier: str | None
    tracking_no: str | None
    province: str
    city: str
    district: str
    # For the list's flag column and its payment wording (defaults keep older callers working).
    remark: str = ""
    remark_flag: int = 0
    paid_at: datetime | None = None


@dataclass(frozen=True)
class OrderLineRow:
    id: int
    sku_id: int
    style_no: str
    product_name: str
    colour: str
    size: str
    outer_id: str
    qty: int
    unit_price_cents: int


@dataclass(frozen=True)
class OrderDetail:
    id: int
    seq: int
    order_no: str
    buyer_id: int
    buyer_nick: str
    status: str
    payment_method: str
    total_cents: int
    shipping_cents: int
    discount_cents: int
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address_detail: str
    carrier: str | None
    tracking_no: str | None
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    remark: str
    remark_flag: int
    remark_by: str | None
    remark_at: datetime | None
    lines: tuple[OrderLineRow, ...]
    buyer_member_level: str | None  # None when the buyer is not cached
    buyer_first_order_at: datetime | None

    @property
    def address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.address_detail}"


def normalize_query(query: str) -> str:
    """Full-width → half-width (NFKC), trimmed, single spaces, bounded length."""
    text = unicodedata.normalize("NFKC", query or "")
    text = _SPACES.sub(" ", text).strip()
    return text[:MAX_QUERY_CHARS].strip()


def _as_phone(text: str) -> str | None:
    """'138-0000 1234' or '+86 138 0000 1234' → '13800001234'; None if not phone-like."""
    if not any(sep in text for sep in " -()+"):
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    if len(digits) < 7 or not digits.isdigit():
        return None
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _quote(term: str) -> str:
    """An FTS5 string literal: whatever the agent typed is matched as text, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def _has_token_chars(term: str) -> bool:
    return any(ch.isalnum() for ch in term)


_ROW_COLUMNS = ("id, order_no, buyer_nick, receiver_name, receiver_phone, status, payment_method, "
                "total_cents, created_at, carrier, tracking_no, province, city, district, remark, remark_flag, paid_at")


def _exact_ids(cur: sqlite3.Cursor, q: str) -> list[int]:
    """Orders whose number or tracking number is exactly the query (shown first)."""
    if " " in q:
        return []
    rows = cur.execute(
        "SELECT id FROM orders WHERE order_no = ?1 "
        "UNION SELECT id FROM orders WHERE tracking_no IN (?1, upper(?1)) ORDER BY id DESC",
        (q,),
    )
    return [r[0] for r in rows]


def _ids(cur: sqlite3.Cursor, sql: str, args: tuple) -> list[int]:
    return [r[0] for r in cur.execute(sql, args)]


def _prefix_ids(cur: sqlite3.Cursor, column: str, prefix: str, limit: int) -> list[int]:
    """Newest-first ids whose `column` starts with `prefix` (an index range; callers keep
    prefixes long enough that the range is small, since it is sorted by id)."""
    return _ids(cur, f"SELECT id FROM orders WHERE {column} >= ? AND {column} < ? ORDER BY id DESC LIMIT ?",
                (prefix, prefix + _TOP, limit))


def _phone_suffix_ids(cur: sqlite3.Cursor, digits: str, limit: int) -> list[int]:
    """Phones ending in `digits` (a whole number or its last digits): the last-4 index
    narrows to ~1/10,000 of the orders, then the full suffix is checked."""
    return _ids(cur, "SELECT id FROM orders WHERE phone_last4 = ? AND substr(receiver_phone, -?) = ? "
                     "ORDER BY id DESC LIMIT ?", (digits[-4:], len(digits), digits, limit))


def _fts_ids(cur: sqlite3.Cursor, long_terms: list[str], short_terms: list[str], limit: int) -> list[int]:
    """Newest-first ids matching every term: trigram for 3+ characters, grams for 1-2."""
    long_expr = " AND ".join(_quote(t) for t in long_terms)
    short_expr = " AND ".join(_quote(t) for t in short_terms)
    if not short_terms:
        sql, args = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?", (long_expr,)
    elif not long_terms:
        sql, args = f"SELECT rowid FROM {SHORT_FTS_TABLE} WHERE {SHORT_FTS_TABLE} MATCH ?", (short_expr,)
    else:
        sql = (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid IN "
               f"(SELECT rowid FROM {SHORT_FTS_TABLE} WHERE {SHORT_FTS_TABLE} MATCH ?)")
        args = (long_expr, short_expr)
    return _ids(cur, sql + " ORDER BY rowid DESC LIMIT ?", (*args, limit))


def _newest_first(sources: Iterable[list[int]], limit: int) -> list[int]:
    """Merge newest-first id lists into one, without duplicates."""
    out: list[int] = []
    for oid in heapq.merge(*sources, reverse=True):
        if not out or out[-1] != oid:
            out.append(oid)
            if len(out) == limit:
                break
    return out


def _match_ids(cur: sqlite3.Cursor, q: str, limit: int) -> list[int]:
    """Newest-first ids of orders matching `q` (besides the exact numbers)."""
    if len(q) == 4 and q.isdigit():
        return _ids(cur, "SELECT id FROM orders WHERE phone_last4 = ? ORDER BY id DESC LIMIT ?", (q, limit))
    digits = _as_phone(q) or (q if q.isdigit() else None)
    if digits:
        if len(digits) < 3:
            return []
        if _MOBILE.fullmatch(digits):  # a whole mobile number: only phones can hold it
            return _phone_suffix_ids(cur, digits, limit)
        sources = [_fts_ids(cur, [digits], [], limit)]  # order no., or digits in a nick/address
        if len(digits) >= 5:
            sources.append(_phone_suffix_ids(cur, digits, limit))
        return _newest_first(sources, limit)
    terms = q.split(" ")
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3 and _has_token_chars(t)]
    if not long_terms and not short_terms:
        return []
    sources = [_fts_ids(cur, long_terms, short_terms, limit)]
    if len(terms) == 1 and len(q) >= 6 and q.isascii() and q.isalnum():
        sources.append(_prefix_ids(cur, "tracking_no", q.upper(), limit))
    return _newest_first(sources, limit)


def _load_rows(cur: sqlite3.Cursor, ids: list[int]) -> list[OrderRow]:
    if not ids:
        return []
    rows = cur.execute(
        f"SELECT {', '.join('o.' + c.strip() for c in _ROW_COLUMNS.split(','))} "
        "FROM json_each(?) AS j JOIN orders AS o ON o.id = j.value ORDER BY j.key",
        (orjson.dumps(ids),),
    ).fetchall()
    return [OrderRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_db(r[8]), r[9], r[10],
                     r[11], r[12], r[13], r[14] or "", int(r[15] or 0), from_db(r[16])) for r in rows]


def search_orders(engine: Engine, query: str, limit: int = 50) -> list[OrderRow]:
    """Orders matching what the agent typed: exact numbers first, then newest first."""
    q = normalize_query(query)
    if not q or limit <= 0:
        return []
    with engine.connect() as conn:
        cur = conn.connection.driver_connection.cursor()
        try:
            ids = _exact_ids(cur, q)
            if not (ids and len(q) >= _WHOLE_NUMBER):
                seen = set(ids)
                ids += [i for i in _match_ids(cur, q, limit + len(ids)) if i not in seen]
            return _load_rows(cur, ids[:limit])
        finally:
            cur.close()


_NEWEST_IDS_SQL = "SELECT id FROM orders ORDER BY id DESC LIMIT ?"


def recent_orders(engine: Engine, limit: int = 50) -> list[OrderRow]:
    """The newest orders, newest first (what the lookup shows while the query is empty).
    Ids follow recency, so this walks the rowid backwards and stops after `limit` rows."""
    if limit <= 0:
        return []
    with engine.connect() as conn:
        cur = conn.connection.driver_connection.cursor()
        try:
            return _load_rows(cur, _ids(cur, _NEWEST_IDS_SQL, (limit,)))
        finally:
            cur.close()


def count_orders(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.connection.driver_connection.execute("SELECT count(*) FROM orders").fetchone()[0]


_DETAIL_SQL = (
    "SELECT o.id, o.seq, o.order_no, o.buyer_id, o.buyer_nick, o.status, o.payment_method, o.total_cents, "
    "o.shipping_cents, o.discount_cents, o.receiver_name, o.receiver_phone, o.province, o.city, "
    "o.district, o.address_detail, o.carrier, o.tracking_no, o.created_at, o.paid_at, o.shipped_at, "
    "o.completed_at, o.closed_at, o.remark, o.remark_flag, o.remark_by, o.remark_at, "
    "b.member_level, b.first_order_at "
    "FROM orders AS o LEFT JOIN buyers AS b ON b.id = o.buyer_id WHERE o.id = ?"
)
_TIME_FIELDS = {18, 19, 20, 21, 22, 26}


def get_order_detail(engine: Engine, order_id: int) -> OrderDetail | None:
    """Everything the context pane shows about one order; None if it is not cached."""
    # One read transaction: the order and its lines come from the same commit of the sync.
    with engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        row = raw.execute(_DETAIL_SQL, (order_id,)).fetchone()
        if row is None:
            return None
        lines = raw.execute(
            "SELECT id, sku_id, style_no, product_name, colour, size, outer_id, qty, unit_price_cents "
            "FROM order_lines WHERE order_id = ? ORDER BY id", (order_id,)).fetchall()
    fields = [from_db(v) if i in _TIME_FIELDS else v for i, v in enumerate(row[:27])]
    return OrderDetail(*fields, lines=tuple(OrderLineRow(*li) for li in lines),
                       buyer_member_level=row[27], buyer_first_order_at=from_db(row[28]))
