"""Keeping the order search index (`orders_fts`) in step with `orders`.

One contentless FTS5 table with `detail='none'` (it stores only which orders hold a token,
no positions: the smallest FTS5 index), rowid = orders.id. Its tokens are made here, in
Python, from the order's searchable fields - order number, tracking number, buyer nickname,
receiver name and address (province+city+district+detail as one text):
- every pair of adjacent characters of which at least one is Chinese (`柠檬`, `长江`, `葵6`):
  Chinese of 2+ characters from anywhere, also next to digits;
- every trigram of each run of other characters (digits, letters, punctuation: `sf1`,
  `400`, `b_l`): order and tracking numbers from anywhere, `tb_lily`, `SO-2024`;
- every 4 adjacent digits of each run of 4+ digits (`7906`; 0012): a number's fragment read
  out on the phone is looked up by those, whose lists are ~10x shorter than a digit
  trigram's (each of the 1,000 digit trigrams is in ~3% of all orders: intersecting three of
  them was most of a fragment search's time);
- the receiver's surname alone (`王`): what a 1-character query means.
Tokens of ASCII letters, digits and Chinese are stored as they are (in lower case); any
other is stored as `x` + its UTF-8 in hex, so the table's plain unicode61
tokenizer keeps every token whole. A query word is looked up as the AND of its own tokens
(`query_tokens`) - in one FTS5 query also for several words; since the index holds no
positions, `models.search` then checks each word on the row itself (`instr`), so results
are exact.

It is maintained here, explicitly and in bulk, by `models.apply` - the only writer of
synced data - rather than by row triggers: FTS5 flushes its pending index data at every
statement boundary, so a trigger firing once per row of an `executemany` writes one tiny
index segment per order and runs ~3x slower than one `INSERT ... SELECT` per page.

A contentless table forgets the indexed text, so a 'delete' must present exactly the tokens
that were indexed. `order_tokens` is therefore part of the file format: if it ever changes,
a migration must rebuild the table (`rebuild_index`).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from functools import lru_cache

import orjson

from workstation.models.schema import ORDER_NO_SQL

# CJK unified ideographs (with extension A) and compatibility ideographs.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
_IS_CJK = re.compile(f"[{CJK}]")
LATIN_RUN = re.compile(f"[^{CJK}\\s]+")  # digits, letters, punctuation
_PLAIN = re.compile(f"[0-9a-z{CJK}]+", re.ASCII)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

# Columns whose change requires re-indexing an order.
SEARCH_FIELDS = ("order_no", "buyer_nick", "receiver_name", "province", "city", "district",
                 "address_detail", "tracking_no")

TABLE = "orders_fts"
# The ordinary tables FTS5 keeps the index in (a cache file copies them: models.cachefile).
SHADOW_TABLES = ("orders_fts_data", "orders_fts_idx", "orders_fts_config")
# The table (migration 0005 creates it with exactly this DDL).
CREATE_INDEX = ("CREATE VIRTUAL TABLE orders_fts USING fts5(tokens, tokenize='unicode61', "
                "content='', detail='none', columnsize=0)")

_TOKENS_FN = "ws_order_tokens"
TOKENS_FN_0011 = "ws_order_tokens_0011"  # the tokens of 0005..0011 (a downgrade's rebuild)
# An order's text as stored (0010: the number an integer, the place a row of `places`):
# the rows read and `order_tokens`' arguments in SQL.
_FROM = "orders AS o JOIN places AS p ON p.id = o.place_id"
_FIELD_SQL = {"order_no": ORDER_NO_SQL.format("o.order_no"), "province": "p.province", "city": "p.city",
              "district": "p.district"}
_ARGS = (f"{_FIELD_SQL['order_no']}, o.buyer_nick, o.receiver_name, "
         "p.province || p.city || p.district || o.address_detail, o.tracking_no")
SOURCE = (_FROM, _ARGS)
# The same for `orders` as it was from 0005 to 0009 (migration 0005 rebuilds the index from it).
SOURCE_0005 = ("orders AS o", "o.order_no, o.buyer_nick, o.receiver_name, "
                              "o.province || o.city || o.district || o.address_detail, o.tracking_no")
_IDS = "o.id IN (SELECT value FROM json_each(?))"


def fold(text: str) -> str:
    """ASCII upper → lower case, exactly as SQLite's lower() (which the row check uses)."""
    return text.translate(_ASCII_LOWER)


def _token(text: str) -> str:
    return text if _PLAIN.fullmatch(text) else "x" + text.encode().hex()


# Overlapping matches in C: every pair with a Chinese character, every trigram of the rest.
_PAIR = re.compile(f"[{CJK}][^\\s]|[^\\s][{CJK}]")  # one pair
_PAIRS = re.compile(f"(?=({_PAIR.pattern}))")
_TRIGRAMS = re.compile(f"(?=([^{CJK}\\s]{{3}}))")
_PLAIN_TEXT = re.compile(f"[0-9a-z{CJK}\\s]*")


def cjk_pairs(text: str) -> list[str]:
    """Adjacent character pairs of `text` with at least one Chinese character and no
    whitespace, in order, without repeats."""
    return list(dict.fromkeys(_PAIRS.findall(text)))


def latin_runs(text: str) -> list[str]:
    """The runs of non-Chinese, non-space characters of `text` long enough for trigrams."""
    return [r for r in LATIN_RUN.findall(text or "") if len(r) >= 3]


def trigrams(run: str) -> list[str]:
    """Every trigram of `run`, without repeats."""
    return list(dict.fromkeys(run[i:i + 3] for i in range(len(run) - 2)))


_QUADS = re.compile("(?=([0-9]{4}))")  # every 4 adjacent ASCII digits
_DIGIT_RUN = re.compile("[0-9]{4,}")


def _grams(text: str, quads: bool = True) -> list[str]:
    """Every pair, trigram and digit 4-gram of one lower-cased field, as stored (`quads`
    False: as 0005..0011 stored them, for a downgrade)."""
    if text.isascii() and text.isalnum():  # order and tracking numbers: nothing to encode
        grams = [text[i:i + 3] for i in range(len(text) - 2)]
        if quads:
            grams += [text[i:i + 4] for i in range(len(text) - 3)] if text.isdigit() else _QUADS.findall(text)
        return grams
    grams = _PAIRS.findall(text) + _TRIGRAMS.findall(text)
    if quads:
        grams += _QUADS.findall(text)  # digits alone: never a token needing `_token`
    return grams if _PLAIN_TEXT.fullmatch(text) else [_token(g) for g in grams]


@lru_cache(maxsize=4096)
def _common_grams(text: str, quads: bool = True) -> tuple[str, ...]:
    """`_grams` of a text many orders share (a receiver's name, a province+city+district)."""
    return tuple(_grams(text, quads))


@lru_cache(maxsize=4096)
def _place_grams(place: str, quads: bool = True) -> tuple[tuple[str, ...], bool]:
    """`_grams` of a lower-cased province+city+district (a few thousand serve a million
    orders), and whether its last two characters are a pair."""
    return tuple(_grams(place, quads)), _PAIR.fullmatch(place[-2:]) is not None


def _address_grams(address: str, place: int, quads: bool = True) -> list[str]:
    """`_grams` of the address (lower-cased here), whose first `place` characters are its
    province+city+district: their grams are looked up; the rest are made from the detail
    with the place's last two characters in front (the grams across the two), less the
    pair those two make, which the place's grams hold already. (A place name holds no
    digits: no 4-gram spans the two.)"""
    text = address.lower()
    if not 2 <= place < len(text) or len(text) != len(address) or text[place - 3:place].isdigit():
        return _grams(text, quads)  # lower() may change lengths (İ)
    head, ends_in_pair = _place_grams(text[:place], quads)
    tail = _grams(text[place - 2:], quads)
    return [*head, *(tail[1:] if ends_in_pair else tail)]


def order_tokens(order_no: str, nick: str, name: str, address: str, tracking: str | None,
                 place: int = 0, quads: bool = True) -> str:
    """The index tokens of one order, space-separated (what a query can find): the surname,
    then every pair, trigram and digit 4-gram of each field (no gram spans two fields). Runs
    once per order at first sync, so each field takes its quickest way: numbers are sliced,
    what many orders share is looked up, the rest goes through the gram patterns. `place`:
    the length of the address's province+city+district, when known. `quads` False: the
    tokens of 0005..0011 (no digit 4-grams), for a downgrade."""
    tokens = [surname_token(name[0]), *_common_grams(name.lower(), quads)] if name else []
    tokens += _grams(order_no.lower(), quads)
    if tracking:
        tokens += _grams(tracking.lower(), quads)
    tokens += _grams(nick.lower(), quads)
    tokens += _address_grams(address, place, quads)
    return " ".join(tokens)


def order_tokens_0011(order_no: str, nick: str, name: str, address: str, tracking: str | None) -> str:
    """`order_tokens` as 0005..0011 made them (a downgrade rebuilds the index with these)."""
    return order_tokens(order_no, nick, name, address, tracking, quads=False)


def item_tokens(order: dict) -> str:
    """`order_tokens` of a wire order (the values `models.apply` writes to its row)."""
    place = order["province"] + order["city"] + order["district"]
    return order_tokens(order["order_no"], order["buyer_nick"], order["receiver_name"],
                        place + order["address_detail"], order["tracking_no"], len(place))


def _spread(grams: list[str], step: int) -> list[str]:
    """Every `step`-th gram and the last: together they still cover every character."""
    return grams if len(grams) <= 2 else grams[::step] + ([grams[-1]] if (len(grams) - 1) % step else [])


def query_tokens(word: str) -> list[str]:
    """Tokens every order containing `word` (a query word, no spaces) holds; empty when the
    word is too short to look up (1-2 latin characters, a lone Chinese character).
    Overlapping grams add little: pairs that just cover the word, and trigrams overlapping
    by one character, make FTS5 intersect about half the lists (a 7-digit fragment: 3, not
    5; ~2x faster at 1M orders), and the row check keeps the answer exact. (Trigrams that
    do not overlap at all let too many orders with digits past the index: slower again.)
    A run of 4+ digits is looked up by its 4-grams (overlapping by one: `7906711` is
    `7906` AND `6711`), not by its trigrams, whose lists are ~10x longer."""
    text = word.lower()
    quads = [g for run in _DIGIT_RUN.findall(text) for g in _spread(list(dict.fromkeys(_QUADS.findall(run))), 3)]
    # Trigrams only where they reach outside those runs (`_15` of `_1505`: rarer than its
    # 4-gram alone): each run keeps its two end digits, split apart.
    rest = _DIGIT_RUN.sub(lambda m: f"{m[0][:2]} {m[0][-2:]}", text) if quads else text
    pairs, tris = _PAIRS.findall(text), _TRIGRAMS.findall(rest)
    grams = _spread(list(dict.fromkeys(pairs)), 2) + _spread(list(dict.fromkeys(tris)), 2) + list(dict.fromkeys(quads))
    return grams if _PLAIN_TEXT.fullmatch(text) else [_token(g) for g in grams]


def surname_token(char: str) -> str:
    return _token(char.lower())


def _register(con: sqlite3.Connection) -> None:
    con.create_function(_TOKENS_FN, 5, order_tokens, deterministic=True)
    con.create_function(TOKENS_FN_0011, 5, order_tokens_0011, deterministic=True)


def _insert(cur: sqlite3.Cursor, where: str, args: tuple, *, delete: bool,
            source: tuple[str, str] = SOURCE, tokens_fn: str = _TOKENS_FN) -> None:
    _register(cur.connection)
    rows, fields = source
    if delete:
        cur.execute(f"INSERT INTO orders_fts (orders_fts, rowid, tokens) "
                    f"SELECT 'delete', o.id, {tokens_fn}({fields}) FROM {rows} WHERE {where}", args)
    else:
        cur.execute(f"INSERT INTO orders_fts (rowid, tokens) "
                    f"SELECT o.id, {tokens_fn}({fields}) FROM {rows} WHERE {where}", args)


def index_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Add the orders `ids` (already written to `orders`) to the search index."""
    if ids:
        _insert(cur, _IDS, (orjson.dumps(ids),), delete=False)


def index_items(cur: sqlite3.Cursor, orders: list[dict]) -> None:
    """Add wire orders (just written to `orders` with these values) to the search index, the
    tokens made here from the dicts: no SQL function call and no re-read of the rows. One
    INSERT ... SELECT for the page (FTS5 flushes at every statement: never one per row)."""
    if orders:
        cur.execute("INSERT INTO orders_fts (rowid, tokens) "
                    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)",
                    (orjson.dumps([(o["id"], item_tokens(o)) for o in orders]),))


def unindex_orders(cur: sqlite3.Cursor, ids: list[int]) -> None:
    """Remove the orders `ids` from the index; call while `orders` still holds the values
    that were indexed."""
    if ids:
        _insert(cur, _IDS, (orjson.dumps(ids),), delete=True)


def clear_index(cur: sqlite3.Cursor) -> None:
    cur.execute("INSERT INTO orders_fts (orders_fts) VALUES ('delete-all')")


def rebuild_index(cur: sqlite3.Cursor, progress: Callable[[int, int], None] | None = None,
                  chunk: int = 50_000, source: tuple[str, str] = SOURCE, tokens_fn: str = _TOKENS_FN) -> int:
    """Index every cached order afresh (the index emptied first), in id ranges of `chunk`,
    calling `progress(done, total)` after each; returns the number of orders indexed.
    `source`: how the orders' text is read (a migration passes the shape of its revision);
    `tokens_fn`: the SQL function making the tokens (a downgrade: `TOKENS_FN_0011`)."""
    clear_index(cur)
    total = cur.execute("SELECT count(*) FROM orders").fetchone()[0]
    done, low = 0, -2**63
    while True:
        first, last, n = cur.execute("SELECT min(id), max(id), count(*) FROM (SELECT id FROM orders "
                                     "WHERE id > ? ORDER BY id LIMIT ?)", (low, chunk)).fetchone()
        if not n:
            break
        _insert(cur, "o.id BETWEEN ? AND ?", (first, last), delete=False, source=source, tokens_fn=tokens_fn)
        done, low = done + n, last
        if progress is not None:
            progress(done, total)
    optimize(cur)
    return done


def optimize(cur: sqlite3.Cursor) -> None:
    """Fold the whole index into one segment at once (after a bulk build)."""
    cur.execute("INSERT INTO orders_fts (orders_fts) VALUES ('optimize')")


MERGE_PAGES = 200  # pages one step of `merge_step` writes (~25 ms at 1M orders)


def merge_step(cur: sqlite3.Cursor, pages: int = MERGE_PAGES) -> bool:
    """One bounded step of folding the search index into one segment (FTS5 `merge` with a
    negative count: every level together, as `optimize` does, but at most about `pages`
    pages per step). A first load leaves thousands of small segments, which every word
    of a query must visit: folded, the searches that use this index take a third less
    (bench/lookup.py at 1M orders: combined p95 5.95 -> 3.31 ms). True while there is more
    to do (SQLite's counter of changed rows moves only when a step did work)."""
    before = cur.connection.total_changes
    cur.execute("INSERT INTO orders_fts (orders_fts, rank) VALUES ('merge', ?)", (-pages,))
    return cur.connection.total_changes - before > 1


def search_fields_changed(cur: sqlite3.Cursor, items: list[dict]) -> list[int]:
    """Ids of cached orders whose searchable text differs from the incoming version."""
    if not items:
        return []
    incoming = {it["id"]: it for it in items}
    fields = ", ".join(_FIELD_SQL.get(f, f"o.{f}") for f in SEARCH_FIELDS)
    rows = cur.execute(f"SELECT o.id, {fields} FROM {_FROM} WHERE {_IDS}", (orjson.dumps(list(incoming)),))
    return [row[0] for row in rows
            if any(row[k + 1] != incoming[row[0]].get(f) for k, f in enumerate(SEARCH_FIELDS))]
