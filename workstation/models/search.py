"""Order lookup for the agent on the phone: one box, every way an agent types.

Each word of the query means what it would mean alone, and every word must hold:
- exactly 4 digits: the phone's last 4 (`5678`);
- an 11-digit mobile number: the phone (`13912345678`, also `139-1234-5678` as a whole query);
- 18 digits: the order number;
- other digit runs of 5+: a phone ending in them, or a fragment of an order or tracking
  number (read out on the phone: its last 7 digits);
- anything else: text found in the order number, tracking number, buyer nickname,
  receiver name or address (province+city+district+detail), from anywhere; one Chinese
  character alone is the receiver's surname (`王`).
So `张伟 5678`, `5678 张伟`, `西湖区 5678` and `tb_lily 杭州` find the orders that hold both
words. Exact order/tracking numbers come first, then everything else newest first (order
ids follow recency, so `... ORDER BY rowid DESC LIMIT n` streams instead of sorting).

How: an index drives the lookup - a B-tree when a word is an order number or a phone,
else the FTS table (`models.fts`) with the AND of all words' tokens - and every word is
checked on the order row itself in the same statement (the index stores no positions, so
this check is what makes results exact). Nothing scans `orders`: a query with no
indexable word (`a`, `12`) returns nothing; such a word still narrows a query with others.

Paging: `search_page(..., before=<last id shown>)` continues with older matches;
`count_matches` counts up to a cap for "more than N".
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

from workstation.models.fts import CJK_RUN, fold, query_tokens, surname_token
from workstation.models.schema import FTS_TABLE, ORDER_NO_SQL, order_number, order_status, payment_method
from workstation.models.timefmt import from_db

MAX_QUERY_CHARS = 100  # longer than any order no., phone, tracking no. or address fragment
MAX_WORDS = 6  # more words than anyone types; bounds the statement
_SPACES = re.compile(r"\s+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()+]")
# A pasted order/tracking number this long that matched exactly needs no fragment search.
_WHOLE_NUMBER = 10
_NO_BOUND = 2**63 - 1
# The order's searchable text, for the per-row check (newlines keep fields apart). 0010: the
# number is an integer and the province, city and district a row of `places`.
_HAYSTACK = (f"lower({ORDER_NO_SQL.format('o.order_no')} || char(10) || o.buyer_nick || char(10) || "
             "o.receiver_name || char(10) || (SELECT p.province || p.city || p.district FROM places AS p "
             "WHERE p.id = o.place_id) || o.address_detail || char(10) || coalesce(o.tracking_no, ''))")


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
    remark_version: int = 0  # the server's version of the remark (a remark write names it)

    @property
    def address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.address_detail}"


@dataclass(frozen=True)
class SearchPage:
    """One page of matches, newest first; `more` says older matches follow (pass the last
    row's id as `before` to get them)."""

    rows: list[OrderRow]
    more: bool

    @property
    def next_before(self) -> int | None:
        return self.rows[-1].id if self.more and self.rows else None


@dataclass(frozen=True)
class _Word:
    """What one word of the query means, as SQL on `orders AS o`."""

    check: str  # condition every matching order meets
    args: tuple
    seek: str | None = None  # a B-tree condition finding it (order no., phone), or None
    rank: int = 9  # among seeks: lower finds fewer rows
    tokens: tuple[str, ...] = ()  # orders_fts tokens all its matches hold
    phone_seek: str | None = None  # 5+ digits: a phone ending in them (args[:2]) OR the text


def normalize_query(query: str) -> str:
    """Full-width → half-width (NFKC), trimmed, single spaces, bounded length."""
    text = unicodedata.normalize("NFKC", query or "")
    text = _SPACES.sub(" ", text).strip()
    return text[:MAX_QUERY_CHARS].strip()


def _as_phone(text: str) -> str | None:
    """'138-0000 1234', '+86 138 0000 1234' or '0571-8888 6666' → its digits; None if not
    phone-like. Digits split by spaces alone are one phone only when they make a mobile
    number: `5678 1234` is two phone tails."""
    if not any(sep in text for sep in " -()+"):
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    if len(digits) < 7 or not digits.isdigit():
        return None
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not any(sep in text for sep in "-()+") and not _MOBILE.fullmatch(digits):
        return None
    return digits


def _quote(term: str) -> str:
    """An FTS5 string literal: whatever the agent typed is matched as text, never syntax."""
    return '"' + term.replace('"', '""') + '"'


def _text_word(word: str) -> _Word:
    if len(word) == 1 and CJK_RUN.fullmatch(word):
        return _Word("substr(o.receiver_name, 1, 1) = ?", (word,), tokens=(surname_token(word),))
    return _Word(f"instr({_HAYSTACK}, ?) > 0", (fold(word),), tokens=tuple(query_tokens(word)))


def _digits_word(word: str) -> _Word:
    if len(word) == 4:
        return _Word("o.phone_last4 = ?", (word,), seek="o.phone_last4 = ?", rank=2)
    if _MOBILE.fullmatch(word):
        cond = "o.phone_last4 = ? AND o.receiver_phone = ?"
        return _Word(cond, (word[-4:], word), seek=cond, rank=1)
    if len(word) == 18:  # stored as an integer (0010)
        return _Word("o.order_no = ?", (int(word),), seek="o.order_no = ?", rank=0)
    text = _text_word(word)
    if len(word) < 5:
        return text
    phone = f"o.phone_last4 = ? AND substr(o.receiver_phone, -{len(word)}) = ?"
    return _Word(f"({phone}) OR {text.check}", (word[-4:], word, *text.args), tokens=text.tokens,
                 phone_seek=phone)


def _words(q: str) -> list[_Word]:
    phone = _as_phone(q)
    words = [phone] if phone else [w for w in q.split(" ") if any(ch.isalnum() for ch in w)]
    return [_digits_word(w) if w.isdigit() else _text_word(w) for w in words[:MAX_WORDS]]


def _sources(words: list[_Word], before: int, limit: int) -> list[tuple[str, tuple]]:
    """Statements yielding the ids of orders meeting every word, newest first, below
    `before`; one index drives each (see the module docstring)."""
    checks = " AND ".join(f"({w.check})" for w in words)
    check_args = tuple(a for w in words for a in w.args)

    def seek(cond: str, args: tuple) -> tuple[str, tuple]:
        return (f"SELECT o.id FROM orders AS o WHERE {cond} AND o.id < ? AND {checks} "
                "ORDER BY o.id DESC LIMIT ?", (*args, before, *check_args, limit))

    def fts(tokens: Iterable[str]) -> tuple[str, tuple]:
        expr = " AND ".join(_quote(t) for t in dict.fromkeys(tokens))
        # CROSS JOIN keeps the FTS table outside: it streams rowids newest first.
        return (f"SELECT o.id FROM {FTS_TABLE} CROSS JOIN orders AS o ON o.id = {FTS_TABLE}.rowid "
                f"WHERE {FTS_TABLE} MATCH ? AND {FTS_TABLE}.rowid < ? AND {checks} "
                f"ORDER BY {FTS_TABLE}.rowid DESC LIMIT ?", (expr, before, *check_args, limit))

    seeks = sorted((w for w in words if w.seek), key=lambda w: w.rank)
    if seeks:
        return [seek(seeks[0].seek, seeks[0].args)]  # type: ignore[arg-type]
    tokens = [t for w in words if not w.phone_seek for t in w.tokens]
    if tokens:
        return [fts(tokens)]
    either = [w for w in words if w.phone_seek]
    if either:
        w = either[0]
        sources = [seek(w.phone_seek, w.args[:2])]  # type: ignore[arg-type]
        if w.tokens:
            sources.append(fts(w.tokens))
        return sources
    return []  # nothing indexable (e.g. "a", "12"): never a scan


_ROW_COLUMNS = ("id, order_no, buyer_nick, receiver_name, receiver_phone, status, payment_method, "
                "total_cents, created_at, carrier, tracking_no, province, city, district, remark, remark_flag, paid_at")
_PLACE = ("province", "city", "district")  # columns of `places` (0010)


def _exact_ids(cur: sqlite3.Cursor, q: str) -> list[int]:
    """Orders whose number or tracking number is exactly the query (shown first)."""
    if " " in q:
        return []
    # An 18-digit number is stored as an integer (0010); other text only matches text (the
    # column's INTEGER affinity would turn `123` into a number).
    number = int(q) if len(q) == 18 and q.isdigit() and q.isascii() else None
    rows = cur.execute(
        "SELECT id FROM orders WHERE order_no = ?2 AND (?3 OR typeof(order_no) = 'text') "
        "UNION SELECT id FROM orders WHERE tracking_no IN (?1, upper(?1)) ORDER BY id DESC",
        (q, q if number is None else number, number is not None),
    )
    return [r[0] for r in rows]


def _newest_first(sources: Iterable[list[int]], limit: int) -> list[int]:
    """Merge newest-first id lists into one, without duplicates."""
    out: list[int] = []
    for oid in heapq.merge(*sources, reverse=True):
        if not out or out[-1] != oid:
            out.append(oid)
            if len(out) == limit:
                break
    return out


def _match_ids(cur: sqlite3.Cursor, q: str, limit: int, before: int = _NO_BOUND) -> list[int]:
    """Newest-first ids (below `before`) of orders matching every word of `q`."""
    sources = _sources(_words(q), before, limit)
    return _newest_first(([r[0] for r in cur.execute(sql, args)] for sql, args in sources), limit)


def _load_rows(cur: sqlite3.Cursor, ids: list[int]) -> list[OrderRow]:
    if not ids:
        return []
    rows = cur.execute(
        f"SELECT {', '.join(('p.' if c.strip() in _PLACE else 'o.') + c.strip() for c in _ROW_COLUMNS.split(','))} "
        "FROM json_each(?) AS j JOIN orders AS o ON o.id = j.value CROSS JOIN places AS p ON p.id = o.place_id "
        "ORDER BY j.key",
        (orjson.dumps(ids),),
    ).fetchall()
    return [OrderRow(r[0], order_number(r[1]), r[2], r[3], r[4], order_status(r[5]), payment_method(r[6]), r[7], from_db(r[8]), r[9], r[10],
                     r[11], r[12], r[13], r[14] or "", int(r[15] or 0), from_db(r[16])) for r in rows]


def _page_ids(cur: sqlite3.Cursor, q: str, limit: int, before: int | None) -> list[int]:
    """Up to `limit` ids: on the first page the exact numbers first, then newest first."""
    if before is not None:
        return _match_ids(cur, q, limit, before)
    ids = _exact_ids(cur, q)
    if ids and len(q) >= _WHOLE_NUMBER:
        return ids[:limit]
    seen = set(ids)
    return (ids + [i for i in _match_ids(cur, q, limit + len(ids)) if i not in seen])[:limit]


def _raw_cursor(conn) -> sqlite3.Cursor:
    return conn.connection.driver_connection.cursor()


def search_page(engine: Engine, query: str, limit: int = 50, before: int | None = None) -> SearchPage:
    """A page of orders matching what the agent typed: the first page (`before=None`) has
    the exact numbers first, then newest first; `before=<id>` continues below that id
    (exact numbers are not repeated: they were on the first page)."""
    q = normalize_query(query)
    if not q or limit <= 0:
        return SearchPage([], False)
    with engine.connect() as conn:
        cur = _raw_cursor(conn)
        try:
            ids = _page_ids(cur, q, limit + 1, before)
            return SearchPage(_load_rows(cur, ids[:limit]), len(ids) > limit)
        finally:
            cur.close()


def order_rows(cur: sqlite3.Cursor, ids: list[int]) -> list[OrderRow]:
    """The list's rows of these orders, in the order of `ids` (for other modules' lists)."""
    return _load_rows(cur, ids)


def search_orders(engine: Engine, query: str, limit: int = 50) -> list[OrderRow]:
    """Orders matching what the agent typed: exact numbers first, then newest first."""
    return search_page(engine, query, limit).rows


def count_matches(engine: Engine, query: str, up_to: int = 1000) -> tuple[int, bool]:
    """How many orders match: (n, True) when n <= `up_to` is the exact count, else
    (up_to, False) for "more than up_to". Costs about one page of `up_to` rows."""
    q = normalize_query(query)
    if not q or up_to <= 0:
        return 0, True
    with engine.connect() as conn:
        cur = _raw_cursor(conn)
        try:
            n = len(_page_ids(cur, q, up_to + 1, None))
        finally:
            cur.close()
    return (n, True) if n <= up_to else (up_to, False)


_NEWEST_IDS_SQL = "SELECT id FROM orders ORDER BY id DESC LIMIT ?"


def recent_orders(engine: Engine, limit: int = 50) -> list[OrderRow]:
    """The newest orders, newest first (what the lookup shows while the query is empty).
    Ids follow recency, so this walks the rowid backwards and stops after `limit` rows."""
    if limit <= 0:
        return []
    with engine.connect() as conn:
        cur = _raw_cursor(conn)
        try:
            return _load_rows(cur, [r[0] for r in cur.execute(_NEWEST_IDS_SQL, (limit,))])
        finally:
            cur.close()


def count_orders(engine: Engine) -> int:
    """Cached orders, O(1): `orders_count` is kept by `models.apply` in every write transaction."""
    with engine.connect() as conn:
        return conn.connection.driver_connection.execute("SELECT n FROM orders_count").fetchone()[0]


_DETAIL_SQL = (
    "SELECT o.id, o.seq, o.order_no, o.buyer_id, o.buyer_nick, o.status, o.payment_method, o.total_cents, "
    "o.shipping_cents, o.discount_cents, o.receiver_name, o.receiver_phone, p.province, p.city, "
    "p.district, o.address_detail, o.carrier, o.tracking_no, o.created_at, o.paid_at, o.shipped_at, "
    "o.completed_at, o.closed_at, o.remark, o.remark_flag, o.remark_by, o.remark_at, "
    "b.member_level, b.first_order_at, o.remark_version "
    "FROM orders AS o JOIN places AS p ON p.id = o.place_id LEFT JOIN buyers AS b ON b.id = o.buyer_id "
    "WHERE o.id = ?"
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
            "SELECT l.id, i.sku_id, i.style_no, i.product_name, i.colour, i.size, i.outer_id, l.qty, "
            "l.unit_price_cents FROM order_lines AS l JOIN sold_items AS i ON i.id = l.item_id "
            "WHERE l.order_id = ? ORDER BY l.id", (order_id,)).fetchall()
    fields = [from_db(v) if i in _TIME_FIELDS else v for i, v in enumerate(row[:27])]
    fields[2], fields[5], fields[6] = order_number(fields[2]), order_status(fields[5]), payment_method(fields[6])
    return OrderDetail(*fields, lines=tuple(OrderLineRow(*li) for li in lines),
                       buyer_member_level=row[27], buyer_first_order_at=from_db(row[28]),
                       remark_version=row[29] or 0)
