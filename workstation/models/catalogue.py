"""Finding a style as the agent types (USERS.md "Stock"): `Catalogue`.

It finds styles by style no., name, outer id, colour, size, category, and the pinyin of the
name (initials `cmyltx` or whole syllables `chunmian` for 纯棉圆领T恤). An in-memory index of
the cached products and SKUs (a shop has hundreds to a few thousand styles): built once off
the GUI thread, refreshed per changed product. Every word typed must match (AND); colour,
size and outer-id words narrow the style to the SKUs they name. Results are
`models.stock.StyleMatch`; the grids and substitutes of a style found are `models.stock`'s.
No Qt.
"""
from __future__ import annotations

import heapq
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import orjson
from sqlalchemy import Engine

from workstation.models.stock import SkuInfo, StyleMatch

MAX_QUERY_CHARS = 60
_SPACES = re.compile(r"\s+")


def normalize_query(query: str) -> str:
    """Full-width → half-width (NFKC), lower case, single spaces, bounded length."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    return _SPACES.sub(" ", text).strip()[:MAX_QUERY_CHARS].strip()


def _pinyin(text: str) -> tuple[str, str]:
    """(initials, whole syllables) of `text`, lower case: 纯棉圆领T恤 → ('cmyltx', 'chunmianyuanlingtxu')."""
    from workstation.models.pinyin import lazy_pinyin  # noqa: PLC0415 (lazy: its dictionaries take a while)

    initials = "".join(lazy_pinyin(text, initials=True)).lower()
    whole = "".join(lazy_pinyin(text)).lower()
    return initials.replace(" ", ""), whole.replace(" ", "")


@dataclass(frozen=True)
class _Entry:
    product_id: int
    style_no: str
    name: str
    category: str
    skus: tuple[SkuInfo, ...]
    style_l: str
    name_l: str
    category_l: str
    initials: str
    syllables: str
    by_outer: Mapping[str, tuple[int, ...]]  # outer id (lower case) → SKU ids
    by_size: Mapping[str, tuple[int, ...]]  # size (lower case) → SKU ids
    by_colour: tuple[tuple[str, str, tuple[int, ...]], ...]  # (colour, its initials, SKU ids)
    haystack: str  # everything searchable, for a quick first test


def _group(pairs: Iterable[tuple[str, int]]) -> dict[str, tuple[int, ...]]:
    out: dict[str, list[int]] = {}
    for key, sku_id in pairs:
        out.setdefault(key, []).append(sku_id)
    return {k: tuple(v) for k, v in out.items()}


_RANK = {"style_no": 0, "outer_id": 1, "name": 2, "pinyin": 3, "colour": 4, "size": 4, "category": 5}


class Catalogue:
    """The searchable styles of one cache. Thread-safe: loads and refreshes swap in a new
    mapping under a lock, searches read a snapshot."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, _Entry] = {}
        self._pinyin_memo: dict[str, tuple[str, str]] = {}
        self._stale: set[int] = set()
        self.loaded = False

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, engine: Engine) -> None:
        """(Re)build from the cache (off the GUI thread: ~70 µs of pinyin per style)."""
        entries = self._read(engine, None)
        with self._lock:
            self._entries = entries
            self.loaded = True

    def refresh(self, engine: Engine, product_ids: Iterable[int]) -> None:
        """Re-read the given products (changed, new or deleted ones)."""
        ids = sorted(set(product_ids))
        if not ids:
            return
        fresh = self._read(engine, ids)
        with self._lock:
            entries = dict(self._entries)
            for pid in ids:
                entries.pop(pid, None)
            entries.update(fresh)
            self._entries = entries

    def mark_stale(self, product_ids: Iterable[int]) -> None:
        """Products changed in the cache: `ensure` re-reads them before the next search."""
        with self._lock:
            self._stale.update(product_ids)

    def ensure(self, engine: Engine) -> None:
        """Load on first use, then re-read what was marked stale (on the caller's thread)."""
        if not self.loaded:
            with self._lock:
                self._stale.clear()
            self.load(engine)
            return
        with self._lock:
            stale, self._stale = self._stale, set()
        try:
            self.refresh(engine, stale)
        except BaseException:
            self.mark_stale(stale)  # try again next time
            raise

    def search(self, query: str, limit: int = 50) -> list[StyleMatch]:
        terms = normalize_query(query).split(" ")
        if not terms or not terms[0] or limit <= 0:
            return []
        with self._lock:
            entries = self._entries
        found = []
        for entry in entries.values():
            hit = _match(entry, terms)
            if hit is not None:
                found.append((hit[0], entry.style_no, entry, hit[1], hit[2]))
        # Only the shown rows become objects (a 2-character fragment may match every style).
        best = heapq.nsmallest(limit, found, key=lambda t: (t[0], t[1]))
        return [StyleMatch(e.product_id, e.style_no, e.name, e.category, kind,
                           () if narrowed is None else tuple(s.id for s in e.skus if s.id in narrowed))
                for _, _, e, kind, narrowed in best]

    def _pin(self, text: str) -> tuple[str, str]:
        memo = self._pinyin_memo.get(text)
        if memo is None:
            memo = self._pinyin_memo[text] = _pinyin(text)
        return memo

    def _read(self, engine: Engine, ids: list[int] | None) -> dict[int, _Entry]:
        sql = ("SELECT p.id, p.style_no, p.name, p.category, s.id, s.outer_id, s.colour, s.size "
               "FROM products AS p LEFT JOIN skus AS s ON s.product_id = p.id")
        args: tuple = ()
        if ids is not None:
            sql += " WHERE p.id IN (SELECT value FROM json_each(?))"
            args = (orjson.dumps(ids),)
        rows: dict[int, list] = {}
        with engine.connect() as conn:
            for pid, style_no, name, category, sid, outer_id, colour, size in \
                    conn.connection.driver_connection.execute(sql + " ORDER BY p.id, s.id", args):
                product = rows.setdefault(pid, [style_no, name, category, []])
                if sid is not None:
                    product[3].append(SkuInfo(sid, outer_id, colour, size))
        return {pid: self._entry(pid, *values) for pid, values in rows.items()}

    def _entry(self, pid: int, style_no: str, name: str, category: str, skus: list[SkuInfo]) -> _Entry:
        initials, syllables = self._pin(name)
        colours = _group((s.colour, s.id) for s in skus)
        by_colour = tuple((c.lower(), self._pin(c)[0], ids) for c, ids in colours.items())
        parts = [style_no, name, category, initials, syllables, *(c for c, _, _ in by_colour),
                 *(i for _, i, _ in by_colour), *(s.outer_id for s in skus), *(s.size for s in skus)]
        return _Entry(pid, style_no, name, category, tuple(skus), style_no.lower(), name.lower(), category.lower(),
                      initials, syllables, _group((s.outer_id.lower(), s.id) for s in skus),
                      _group((s.size.lower(), s.id) for s in skus), by_colour, "\x00".join(parts).lower())


def _match(entry: _Entry, terms: list[str]) -> tuple[int, str, set[int] | None] | None:
    """Every term must match the style; SKU-naming terms narrow it to the SKUs they name.
    (rank, what matched best, the SKUs named or None) or None."""
    rank_total, best_kind = 0, "name"
    narrowed: set[int] | None = None
    for i, term in enumerate(terms):
        if term not in entry.haystack:
            return None
        hit = _match_term(entry, term)
        if hit is None:
            return None
        kind, rank, sku_ids = hit
        rank_total += rank
        if i == 0 or _RANK[kind] < _RANK[best_kind]:
            best_kind = kind
        if sku_ids is not None:
            narrowed = set(sku_ids) if narrowed is None else narrowed & set(sku_ids)
            if not narrowed:
                return None
    return rank_total, best_kind, narrowed


def _match_term(entry: _Entry, t: str) -> tuple[str, int, tuple[int, ...] | None] | None:
    """(kind, rank, SKU ids named or None for the whole style) for one term."""
    if t == entry.style_l:
        return "style_no", 0, None
    exact = entry.by_outer.get(t)
    if exact:
        return "outer_id", 0, exact
    sizes = entry.by_size.get(t)
    if sizes:  # before prefixes: "m" is the size M, not every style number starting with M
        return "size", 3, sizes
    if entry.style_l.startswith(t):
        return "style_no", 1, None
    colours = tuple(i for colour, initials, ids in entry.by_colour if t in colour or t == initials for i in ids)
    if colours:
        return "colour", 3, colours
    if t in entry.style_l:
        return "style_no", 2, None
    if t in entry.name_l:
        return "name", 2, None
    if t.isascii() and t.isalpha():
        if entry.initials.startswith(t) or entry.syllables.startswith(t):
            return "pinyin", 3, None
        if t in entry.initials or (len(t) >= 3 and t in entry.syllables):
            return "pinyin", 4, None
    outer = tuple(i for outer_id, ids in entry.by_outer.items() if t in outer_id for i in ids)
    if outer:
        return "outer_id", 4, outer
    if t in entry.category_l:
        return "category", 5, None
    return None
