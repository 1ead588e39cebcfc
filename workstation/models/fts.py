"""Keeping the order search indexes (`orders_fts`, `orders_short`) in step with `orders`.

Both are contentless FTS5 tables (the text lives in `orders` only; rowid = orders.id).
They are maintained here, explicitly and in bulk, by `models.apply` - the only writer of
synced data - rather than by row triggers: FTS5 flushes its pending index data at every
statement boundary, so a trigger firing once per row of an `executemany` writes one tiny
index segment per order and runs ~3x slower than one `INSERT ... SELECT` per page.

Contentless tables forget the indexed text, so a 'delete' must present exactly the values
that were indexed. The SQL expressions below are therefore part of the file format: if one
ever changes, the migration that changes it must rebuild both tables.
"""
from __future__ import annotations

import sqlite3

import orjson

FTS_COLUMNS = "order_no, buyer_nick, receiver_name, address"
_FTS_VALUES = "order_no, buyer_nick, receiver_name, province || city || district || address_detail"


def _grams(expr: str, *, unigrams: int, bigrams: int) -> list[str]:
    """SQL pieces yielding the 1- and 2-character grams of `expr` (its first few only)."""
    pieces = [f"substr({expr}, {i}, 1)" for i in range(1, unigrams + 1)]
    pieces += [f"CASE WHEN length({expr}) > {i} THEN substr({expr}, {i}, 2) ELSE '' END"
               for i in range(1, bigrams + 1)]
    return pieces


def _short_grams_sql() -> str:
    """Space-separated grams for `orders_short`, i.e. what 1-2 character queries mean: the
    receiver's surname (张) and every character pair of the name (张伟, 伟明), and the first
    pair of each place name (杭州, 西湖, 内蒙). Kept this small on purpose: every gram costs
    ~1.5 µs per order at apply time."""
    pieces = _grams("receiver_name", unigrams=1, bigrams=4)
    for col in ("province", "city", "district"):
        pieces.append(f"substr({col}, 1, 2)")
    return " || ' ' || ".join(pieces)


_SHORT_GRAMS = _short_grams_sql()
_IDS = "id IN (SELECT value FROM json_each(?))"

# Columns whose change requires re-indexing an order.
SEARCH_FIELDS = ("order_no", "buyer_nick", "receiver_name", "province", "city", "district",
                 "address_detail")


def index_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Add the orders `ids` (already written to `orders`) to both search indexes."""
    if not ids:
        return
    arg = (orjson.dumps(ids),)
    cur.execute(f"INSERT INTO orders_fts (rowid, {FTS_COLUMNS}) "
                f"SELECT id, {_FTS_VALUES} FROM orders WHERE {_IDS}", arg)
    cur.execute(f"INSERT INTO orders_short (rowid, grams) SELECT id, {_SHORT_GRAMS} FROM orders WHERE {_IDS}", arg)


def unindex_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Remove the orders `ids` from both indexes; call while `orders` still holds the
    values that were indexed."""
    if not ids:
        return
    arg = (orjson.dumps(ids),)
    cur.execute(f"INSERT INTO orders_fts (orders_fts, rowid, {FTS_COLUMNS}) "
                f"SELECT 'delete', id, {_FTS_VALUES} FROM orders WHERE {_IDS}", arg)
    cur.execute(f"INSERT INTO orders_short (orders_short, rowid, grams) "
                f"SELECT 'delete', id, {_SHORT_GRAMS} FROM orders WHERE {_IDS}", arg)


def clear_index(cur: sqlite3.Cursor) -> None:
    cur.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")
    cur.execute("INSERT INTO orders_short (orders_short) VALUES ('delete-all')")


def search_fields_changed(cur: sqlite3.Cursor, items: list[dict]) -> list[int]:
    """Ids of cached orders whose searchable text differs from the incoming version."""
    if not items:
        return []
    incoming = {it["id"]: it for it in items}
    rows = cur.execute(
        f"SELECT id, {', '.join(SEARCH_FIELDS)} FROM orders WHERE {_IDS}", (orjson.dumps(list(incoming)),))
    return [row[0] for row in rows
            if any(row[k + 1] != incoming[row[0]][f] for k, f in enumerate(SEARCH_FIELDS))]
