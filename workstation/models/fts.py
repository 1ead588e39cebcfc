"""Keeping the order search indexes (`orders_fts`, `orders_grams`) in step with `orders`.

Two contentless FTS5 tables with `detail='none'` (they store only which orders hold a
token, no positions: the smallest FTS5 index), rowid = orders.id:
- `orders_fts` (trigram): the non-Chinese runs of every searchable field - order number,
  tracking number, the latin/digit parts of nickname, name and address. Serves order and
  tracking numbers from anywhere (6 digits read out on the phone), `tb_lily`, `SO-2024`.
- `orders_grams` (unicode61 over prepared tokens): every pair of adjacent Chinese characters
  of receiver name, nickname and address (province+city+district+detail), plus the
  surname alone. Serves Chinese of 2+ characters anywhere (`柠檬` in 可爱的柠檬297, `长江` in
  长江路, `西湖区文三路`) and 1-character surnames (`王`).
A query word is looked up as the AND of its tokens (its Chinese pairs, its trigrams); since
the index holds no positions, `models.search` then checks the word against the row itself
(`instr` on the order's text), so results are exact.

They are maintained here, explicitly and in bulk, by `models.apply` - the only writer of
synced data - rather than by row triggers: FTS5 flushes its pending index data at every
statement boundary, so a trigger firing once per row of an `executemany` writes one tiny
index segment per order and runs ~3x slower than one `INSERT ... SELECT` per page.

Contentless tables forget the indexed text, so a 'delete' must present exactly the tokens
that were indexed. `index_tokens` below is therefore part of the file format: if it ever
changes, a migration must rebuild both tables (`rebuild_index`).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

import orjson

# CJK unified ideographs (with extension A) and compatibility ideographs.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
LATIN_RUN = re.compile(f"[^{CJK}\\s]+")  # digits, letters, punctuation: everything trigram serves

# Columns whose change requires re-indexing an order.
SEARCH_FIELDS = ("order_no", "buyer_nick", "receiver_name", "province", "city", "district",
                 "address_detail", "tracking_no")

_GRAMS_FN = "ws_order_grams"
_LATIN_FN = "ws_order_latin"
_ARGS = "order_no, buyer_nick, receiver_name, province || city || district || address_detail, tracking_no"
_IDS = "id IN (SELECT value FROM json_each(?))"

# The DDL of the two tables (migration 0005 creates them with exactly this).
CREATE_TRIGRAMS = ("CREATE VIRTUAL TABLE orders_fts USING fts5(text, tokenize='trigram', "
                   "content='', detail='none', columnsize=0)")
CREATE_GRAMS = ("CREATE VIRTUAL TABLE orders_grams USING fts5(grams, tokenize='unicode61', "
                "content='', detail='none', columnsize=0)")


def cjk_pairs(text: str) -> list[str]:
    """Every pair of adjacent Chinese characters of `text`, in order, without repeats."""
    pairs: dict[str, None] = {}
    for run in CJK_RUN.findall(text or ""):
        for i in range(len(run) - 1):
            pairs[run[i:i + 2]] = None
    return list(pairs)


def latin_runs(text: str) -> list[str]:
    """The runs of non-Chinese, non-space characters of `text` that trigram can index (3+)."""
    return [r for r in LATIN_RUN.findall(text or "") if len(r) >= 3]


def trigrams(run: str) -> list[str]:
    """Trigrams covering `run` (every one: the AND of all is the most selective)."""
    return list(dict.fromkeys(run[i:i + 3] for i in range(len(run) - 2)))


def _grams_text(order_no: str, nick: str, name: str, address: str, tracking: str | None) -> str:
    tokens: dict[str, None] = {}
    if name:
        tokens[name[0]] = None  # the surname alone: a 1-character query means the surname
    for text in (name, nick, address):
        tokens.update(dict.fromkeys(cjk_pairs(text)))
    return " ".join(tokens)


def _latin_text(order_no: str, nick: str, name: str, address: str, tracking: str | None) -> str:
    runs: dict[str, None] = {order_no: None}
    if tracking:
        runs[tracking] = None
    for text in (nick, name, address):
        runs.update(dict.fromkeys(latin_runs(text)))
    return "\n".join(runs)


def index_tokens(order: dict) -> tuple[str, str]:
    """(trigram text, gram tokens) indexed for a wire/cached order: what a query can find."""
    args = (order["order_no"], order["buyer_nick"], order["receiver_name"],
            order["province"] + order["city"] + order["district"] + order["address_detail"],
            order.get("tracking_no"))
    return _latin_text(*args), _grams_text(*args)


def _register(con: sqlite3.Connection) -> None:
    con.create_function(_GRAMS_FN, 5, _grams_text, deterministic=True)
    con.create_function(_LATIN_FN, 5, _latin_text, deterministic=True)


def _insert(cur: sqlite3.Cursor, where: str, args: tuple, *, delete: bool) -> None:
    _register(cur.connection)
    tri = "orders_fts (orders_fts, rowid, text)" if delete else "orders_fts (rowid, text)"
    grams = "orders_grams (orders_grams, rowid, grams)" if delete else "orders_grams (rowid, grams)"
    head = "'delete', " if delete else ""
    cur.execute(f"INSERT INTO {tri} SELECT {head}id, {_LATIN_FN}({_ARGS}) FROM orders WHERE {where}", args)
    cur.execute(f"INSERT INTO {grams} SELECT {head}id, {_GRAMS_FN}({_ARGS}) FROM orders WHERE {where}", args)


def index_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Add the orders `ids` (already written to `orders`) to both search indexes."""
    if ids:
        _insert(cur, _IDS, (orjson.dumps(ids),), delete=False)


def unindex_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Remove the orders `ids` from both indexes; call while `orders` still holds the
    values that were indexed."""
    if ids:
        _insert(cur, _IDS, (orjson.dumps(ids),), delete=True)


def clear_index(cur: sqlite3.Cursor) -> None:
    cur.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")
    cur.execute("INSERT INTO orders_grams (orders_grams) VALUES ('delete-all')")


def rebuild_index(cur: sqlite3.Cursor, progress: Callable[[int, int], None] | None = None,
                  chunk: int = 50_000) -> int:
    """Index every cached order afresh (both tables emptied first), in id ranges of `chunk`,
    calling `progress(done, total)` after each; returns the number of orders indexed."""
    clear_index(cur)
    total = cur.execute("SELECT count(*) FROM orders").fetchone()[0]
    done, low = 0, None
    while True:
        bounds = cur.execute("SELECT min(id), max(id), count(*) FROM (SELECT id FROM orders "
                             "WHERE id > ? ORDER BY id LIMIT ?)", (low if low is not None else -2**63, chunk)
                             ).fetchone()
        if not bounds[2]:
            break
        _insert(cur, "id BETWEEN ? AND ?", (bounds[0], bounds[1]), delete=False)
        done, low = done + bounds[2], bounds[1]
        if progress is not None:
            progress(done, total)
    cur.execute("INSERT INTO orders_fts (orders_fts) VALUES ('optimize')")
    cur.execute("INSERT INTO orders_grams (orders_grams) VALUES ('optimize')")
    return done


def search_fields_changed(cur: sqlite3.Cursor, items: list[dict]) -> list[int]:
    """Ids of cached orders whose searchable text differs from the incoming version."""
    if not items:
        return []
    incoming = {it["id"]: it for it in items}
    rows = cur.execute(
        f"SELECT id, {', '.join(SEARCH_FIELDS)} FROM orders WHERE {_IDS}", (orjson.dumps(list(incoming)),))
    return [row[0] for row in rows
            if any(row[k + 1] != incoming[row[0]].get(f) for k, f in enumerate(SEARCH_FIELDS))]
