"""Real stock for the agent who is about to promise a size or colour (USERS.md "Stock").

- `Catalogue`: finds styles by style no., name, outer id, colour, size, category, and the
  pinyin of the name (initials `cmyltx` or whole syllables `chunmian` for 纯棉圆领T恤). An
  in-memory index of the cached products and SKUs (a shop has hundreds to a few thousand
  styles): built once off the GUI thread, refreshed per changed product. Every word typed
  must match (AND); colour, size and outer-id words narrow the style to the SKUs they name.
- `style_stock`: one style's colour × size grid per warehouse: real (on hand, `stock.qty`),
  reserved, available (= real − reserved, may be ≤ 0) and the figure shown on the shop page
  when the cache has it (`stock.page_qty`; see `page_column`).
- `find_substitutes`: for an out-of-stock SKU, the same style's other colours/sizes with
  stock, then styles of the same category with stock.
- `check_skus` / `check_order`: all lines of an order at once.

Typed, frozen results; no Qt. Reads use the raw driver connection, like `models.search`.
"""
from __future__ import annotations

import heapq
import re
import sqlite3
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Engine

from workstation.models.timefmt import from_db
from workstation.models.schema import order_status

MAX_QUERY_CHARS = 60
_SPACES = re.compile(r"\s+")
_LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "3XL", "XXXL", "4XL", "5XL")
_SIZE_RANK = {s: i for i, s in enumerate(_LETTER_SIZES)}
_SIZE_RANK["2XL"] = _SIZE_RANK["XXL"]
_SIZE_RANK["XXXL"] = _SIZE_RANK["3XL"]
# Orders in these states hold their lines in `stock.reserved` (the server's lifecycle:
# paid → reserved, shipped → taken from qty, closed/refunded → released).
RESERVING_STATUSES = frozenset({"paid", "documents_made"})


# ---- the page figure: a column the cache may or may not have yet ------------------------

_PAGE_COLUMN: "weakref.WeakKeyDictionary[Engine, bool]" = weakref.WeakKeyDictionary()
_PAGE_LOCK = threading.Lock()


def page_column(engine: Engine) -> bool:
    """Whether the cache's `stock` table has `page_qty` (the quantity on the shop page).
    Asked once per engine (`PRAGMA table_info`); every stock query here selects the page
    figure only when it is there, so the figure appears as soon as the column does."""
    with _PAGE_LOCK:
        known = _PAGE_COLUMN.get(engine)
    if known is not None:
        return known
    with engine.connect() as conn:
        cols = {row[1] for row in conn.connection.driver_connection.execute("PRAGMA table_info(stock)")}
    known = "page_qty" in cols
    with _PAGE_LOCK:
        _PAGE_COLUMN[engine] = known
    return known


def _page_sql(engine: Engine, alias: str = "st") -> str:
    return f"{alias}.page_qty" if page_column(engine) else "NULL"


# ---- typed results ---------------------------------------------------------------------

@dataclass(frozen=True)
class Warehouse:
    id: int
    name: str
    code: str


@dataclass(frozen=True)
class SkuInfo:
    id: int
    outer_id: str
    colour: str
    size: str


@dataclass(frozen=True)
class StockCell:
    """One SKU in one warehouse. `stock_id` is None when the cache has no stock row for it
    (nothing there); `page` is None when the page figure is not known."""

    sku_id: int
    warehouse_id: int
    stock_id: int | None
    real: int
    reserved: int
    page: int | None = None

    @property
    def available(self) -> int:
        return self.real - self.reserved

    @property
    def out_of_stock(self) -> bool:
        return self.available <= 0

    @property
    def page_mismatch(self) -> bool:
        """The shop page shows a figure other than what is really available here."""
        return self.page is not None and self.page != self.available

    @property
    def page_oversells(self) -> bool:
        """The page offers more than can ship: the order would stall (缺货发不了订单)."""
        return self.page is not None and self.page > max(self.available, 0)


@dataclass(frozen=True)
class StyleStock:
    """A style's stock: colours × sizes per warehouse, as of the stock stream's last sync."""

    product_id: int
    style_no: str
    name: str
    category: str
    page_price_cents: int
    colours: tuple[str, ...]
    sizes: tuple[str, ...]
    skus: tuple[SkuInfo, ...]
    warehouses: tuple[Warehouse, ...]
    cells: tuple[StockCell, ...]
    page_known: bool
    as_of: datetime | None
    _by_key: Mapping[tuple[int, int], StockCell] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    _by_grid: Mapping[tuple[str, str], SkuInfo] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {(c.sku_id, c.warehouse_id): c for c in self.cells})
        object.__setattr__(self, "_by_grid", {(s.colour, s.size): s for s in self.skus})

    def sku_at(self, colour: str, size: str) -> SkuInfo | None:
        return self._by_grid.get((colour, size))

    def sku(self, sku_id: int) -> SkuInfo | None:
        return next((s for s in self.skus if s.id == sku_id), None)

    def cell(self, sku_id: int, warehouse_id: int) -> StockCell:
        found = self._by_key.get((sku_id, warehouse_id))
        return found if found is not None else StockCell(sku_id, warehouse_id, None, 0, 0, None)

    def total_available(self, sku_id: int) -> int:
        """What can ship from some warehouse: the sum of the positive availabilities."""
        return sum(max(self.cell(sku_id, w.id).available, 0) for w in self.warehouses)

    @property
    def stock_ids(self) -> frozenset[int]:
        return frozenset(c.stock_id for c in self.cells if c.stock_id is not None)

    @property
    def complete(self) -> bool:
        """Every SKU has a stock row in every warehouse (a new stock row cannot be ours)."""
        return len(self._by_key) == len(self.skus) * len(self.warehouses)


@dataclass(frozen=True)
class StyleMatch:
    """A style found by `Catalogue.search`; `sku_ids` are the SKUs the query named (by
    outer id, colour or size), empty when it named the style as a whole."""

    product_id: int
    style_no: str
    name: str
    category: str
    matched: str  # what matched: style_no | outer_id | name | pinyin | colour | size | category
    sku_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SkuOption:
    """An in-stock alternative: a SKU with what can ship and from where."""

    product_id: int
    style_no: str
    name: str
    sku_id: int
    colour: str
    size: str
    available: int  # summed over warehouses with stock
    best_warehouse: str  # the warehouse with the most available
    page_price_cents: int


@dataclass(frozen=True)
class Substitutes:
    sku_id: int
    same_style: tuple[SkuOption, ...]  # same colour first (nearest size), then same size
    similar: tuple[SkuOption, ...]  # other styles of the category, the same size preferred

    def __bool__(self) -> bool:
        return bool(self.same_style or self.similar)


@dataclass(frozen=True)
class LineCheck:
    """Stock for one order line (or one SKU asked for)."""

    sku_id: int
    wanted: int
    known: bool  # the SKU is in the cache
    product_id: int | None
    style_no: str
    name: str
    colour: str
    size: str
    outer_id: str
    cells: tuple[StockCell, ...]  # one per warehouse, in warehouse order
    held: bool = False  # the order's own qty is already in `reserved` (a paid order)

    @property
    def best(self) -> StockCell | None:
        return max(self.cells, key=lambda c: c.available, default=None)

    @property
    def can_ship(self) -> int:
        """What one warehouse can ship for this line (its own reservation given back)."""
        # A held line sits in the `reserved` of some warehouse that reserves at least its qty.
        give_back = self.wanted if self.held else 0
        return max((c.available + (give_back if c.reserved >= give_back else 0) for c in self.cells), default=0)

    @property
    def enough(self) -> bool:
        return self.known and self.can_ship >= self.wanted

    @property
    def short_by(self) -> int:
        return max(self.wanted - max(self.can_ship, 0), 0)


@dataclass(frozen=True)
class StockCheck:
    order_id: int | None
    lines: tuple[LineCheck, ...]
    warehouses: tuple[Warehouse, ...]
    page_known: bool
    as_of: datetime | None

    @property
    def all_enough(self) -> bool:
        return all(line.enough for line in self.lines)

    @property
    def stock_ids(self) -> frozenset[int]:
        return frozenset(c.stock_id for line in self.lines for c in line.cells if c.stock_id is not None)

    @property
    def sku_ids(self) -> frozenset[int]:
        return frozenset(line.sku_id for line in self.lines)


# ---- search ----------------------------------------------------------------------------

def normalize_query(query: str) -> str:
    """Full-width → half-width (NFKC), lower case, single spaces, bounded length."""
    text = unicodedata.normalize("NFKC", query or "").lower()
    return _SPACES.sub(" ", text).strip()[:MAX_QUERY_CHARS].strip()


def _pinyin(text: str) -> tuple[str, str]:
    """(initials, whole syllables) of `text`, lower case: 纯棉圆领T恤 → ('cmyltx', 'chunmianyuanlingtxu')."""
    from pypinyin import Style, lazy_pinyin  # noqa: PLC0415 (lazy: its dictionaries take a while)

    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()
    whole = "".join(lazy_pinyin(text, errors="default")).lower()
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


# ---- grids -----------------------------------------------------------------------------

def size_key(size: str) -> tuple[int, float, str]:
    """Sizes in wearing order: XS < S < M < … < 3XL, then numeric sizes, then the rest."""
    upper = size.upper()
    if upper in _SIZE_RANK:
        return (0, _SIZE_RANK[upper], upper)
    try:
        return (1, float(size), size)
    except ValueError:
        return (2, 0.0, size)


def _warehouses(raw: sqlite3.Connection) -> tuple[Warehouse, ...]:
    return tuple(Warehouse(*r) for r in raw.execute("SELECT id, name, code FROM warehouses ORDER BY id"))


def _stock_as_of(raw: sqlite3.Connection) -> datetime | None:
    row = raw.execute("SELECT last_synced_at FROM sync_state WHERE stream = 'stock'").fetchone()
    return from_db(row[0]) if row else None


def style_stock(engine: Engine, product_id: int) -> StyleStock | None:
    """One style's grid; None when the style is not in the cache."""
    page = _page_sql(engine)
    with engine.connect() as conn, conn.begin():  # one read: the grid comes from one commit
        raw = conn.connection.driver_connection
        product = raw.execute("SELECT id, style_no, name, category, page_price_cents FROM products WHERE id = ?",
                              (product_id,)).fetchone()
        if product is None:
            return None
        rows = raw.execute(
            f"SELECT s.id, s.outer_id, s.colour, s.size, st.id, st.warehouse_id, st.qty, st.reserved, {page} "
            "FROM skus AS s LEFT JOIN stock AS st ON st.sku_id = s.id WHERE s.product_id = ? ORDER BY s.id",
            (product_id,)).fetchall()
        warehouses = _warehouses(raw)
        as_of = _stock_as_of(raw)
    skus: dict[int, SkuInfo] = {}
    cells: list[StockCell] = []
    known_warehouses = {w.id for w in warehouses}
    for sid, outer_id, colour, size, stock_id, wid, qty, reserved, page_qty in rows:
        skus.setdefault(sid, SkuInfo(sid, outer_id, colour, size))
        if stock_id is not None and wid in known_warehouses:
            cells.append(StockCell(sid, wid, stock_id, qty, reserved, page_qty))
    colours = tuple(dict.fromkeys(s.colour for s in skus.values()))
    sizes = tuple(sorted(dict.fromkeys(s.size for s in skus.values()), key=size_key))
    return StyleStock(product[0], product[1], product[2], product[3], product[4], colours, sizes,
                      tuple(skus.values()), warehouses, tuple(cells), page_column(engine), as_of)


# ---- substitutes -----------------------------------------------------------------------

# Per in-stock SKU: available summed over the warehouses that have some, and the best one
# (SQLite takes a bare column from the row of the single max() aggregate).
_OPTIONS_SQL = (
    "SELECT p.id, p.style_no, p.name, s.id, s.colour, s.size, s.page_price_cents, w.name, "
    "SUM(st.qty - st.reserved), MAX(st.qty - st.reserved) "
    "FROM products AS p JOIN skus AS s ON s.product_id = p.id JOIN stock AS st ON st.sku_id = s.id "
    "JOIN warehouses AS w ON w.id = st.warehouse_id "
    "WHERE {where} AND st.qty - st.reserved > 0 GROUP BY s.id"
)


def _options(raw: sqlite3.Connection, where: str, args: tuple) -> list[SkuOption]:
    """In-stock SKUs: available summed over warehouses, the best warehouse named."""
    return [SkuOption(pid, style_no, name, sid, colour, size, avail, wname, price)
            for pid, style_no, name, sid, colour, size, price, wname, avail, _best in raw.execute(
                _OPTIONS_SQL.format(where=where), args)]


def _size_distance(a: str, b: str) -> float:
    ka, kb = size_key(a), size_key(b)
    if ka[0] != kb[0] or ka[0] == 2:
        return 99.0 if a != b else 0.0
    return abs(ka[1] - kb[1])


def find_substitutes(engine: Engine, sku_id: int, *, limit: int = 8) -> Substitutes:
    """What to offer instead of `sku_id`: the same style in another size (nearest first, same
    colour) or colour (same size), then styles of the same category with the same size in
    stock first, closest in price. Empty when the SKU is not cached."""
    with engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        row = raw.execute(
            "SELECT s.product_id, s.colour, s.size, s.page_price_cents, p.category FROM skus AS s "
            "JOIN products AS p ON p.id = s.product_id WHERE s.id = ?", (sku_id,)).fetchone()
        if row is None:
            return Substitutes(sku_id, (), ())
        product_id, colour, size, price, category = row
        same = [o for o in _options(raw, "p.id = ?", (product_id,)) if o.sku_id != sku_id]
        # The same size first (what the buyer wears); other sizes only when that is not enough.
        others = _options(raw, "p.category = ? AND p.id != ? AND s.size = ?", (category, product_id, size))
        if len({o.product_id for o in others}) < limit:
            others += _options(raw, "p.category = ? AND p.id != ? AND s.size != ?", (category, product_id, size))

    def same_key(o: SkuOption):
        return (o.colour != colour, o.size != size, _size_distance(o.size, size), -o.available)

    same.sort(key=same_key)
    best_per_style: dict[int, SkuOption] = {}

    def similar_key(o: SkuOption):
        return (o.size != size, o.colour != colour, abs(o.page_price_cents - price), -o.available, o.sku_id)

    for option in sorted(others, key=similar_key):
        best_per_style.setdefault(option.product_id, option)
    similar = sorted(best_per_style.values(), key=similar_key)
    return Substitutes(sku_id, tuple(same[:limit]), tuple(similar[:limit]))


# ---- checking an order's lines ---------------------------------------------------------

@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    qty: int = 1


def _requests(lines: Iterable) -> list[LineRequest]:
    """Accepts `LineRequest`s, order lines (anything with `sku_id` and `qty`) or (sku, qty)."""
    out = []
    for line in lines:
        if isinstance(line, tuple):
            sku_id, qty = line
        elif isinstance(line, dict):
            sku_id, qty = line["sku_id"], line.get("qty", 1)
        else:
            sku_id, qty = line.sku_id, getattr(line, "qty", 1)
        if not isinstance(sku_id, int) or isinstance(sku_id, bool) or not isinstance(qty, int) or qty < 1:
            raise ValueError(f"a line to check needs an integer sku_id and a quantity ≥ 1, not {line!r}")
        out.append(LineRequest(sku_id, qty))
    return out


def check_skus(engine: Engine, lines: Iterable, *, held: bool = False, order_id: int | None = None) -> StockCheck:
    """Stock of every line at once, per warehouse. `held`: the lines are already counted in
    `reserved` (their order is paid), so their own quantity is given back when judging."""
    requests = _requests(lines)
    page = _page_sql(engine)
    ids = orjson.dumps(sorted({r.sku_id for r in requests}))
    with engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        warehouses = _warehouses(raw)
        info = {r[0]: r[1:] for r in raw.execute(
            "SELECT s.id, s.product_id, p.style_no, p.name, s.colour, s.size, s.outer_id FROM skus AS s "
            "JOIN products AS p ON p.id = s.product_id WHERE s.id IN (SELECT value FROM json_each(?))", (ids,))}
        stock: dict[tuple[int, int], StockCell] = {}
        for sid, stock_id, wid, qty, reserved, page_qty in raw.execute(
                f"SELECT st.sku_id, st.id, st.warehouse_id, st.qty, st.reserved, {page} FROM stock AS st "
                "WHERE st.sku_id IN (SELECT value FROM json_each(?))", (ids,)):
            stock[(sid, wid)] = StockCell(sid, wid, stock_id, qty, reserved, page_qty)
        as_of = _stock_as_of(raw)
    checks = []
    for r in requests:
        known = r.sku_id in info
        pid, style_no, name, colour, size, outer_id = info.get(r.sku_id, (None, "", "", "", "", ""))
        cells = tuple(stock.get((r.sku_id, w.id), StockCell(r.sku_id, w.id, None, 0, 0, None)) for w in warehouses)
        checks.append(LineCheck(r.sku_id, r.qty, known, pid, style_no, name, colour, size, outer_id,
                                cells if known else (), held))
    return StockCheck(order_id, tuple(checks), warehouses, page_column(engine), as_of)


def check_order(engine: Engine, order_id: int) -> StockCheck | None:
    """`check_skus` for every line of a cached order; None when the order is not cached."""
    with engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        row = raw.execute("SELECT status FROM orders WHERE id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        lines = raw.execute("SELECT i.sku_id, l.qty FROM order_lines AS l JOIN sold_items AS i ON i.id = l.item_id "
                            "WHERE l.order_id = ? ORDER BY l.id", (order_id,)).fetchall()
    return check_skus(engine, [(sid, max(int(q), 1)) for sid, q in lines],
                      held=order_status(row[0]) in RESERVING_STATUSES, order_id=order_id)


def lines_of(rows: Sequence) -> list[LineRequest]:
    """Order lines (e.g. `OrderDetail.lines`) as check requests."""
    return _requests(rows)
