"""Real stock for the agent who is about to promise a size or colour (USERS.md "Stock").

- `models.catalogue.Catalogue` finds the styles (by style no., name, pinyin, outer id,
  colour, size, category); this module has the typed results both use.
- `style_stock`: one style's colour × size grid per warehouse: real (on hand, `stock.qty`),
  reserved, available (= real − reserved, may be ≤ 0) and the figure shown on the shop page
  when the cache has it (`stock.page_qty`; see `page_column`).
- `find_substitutes`: for an out-of-stock SKU, the same style's other colours/sizes with
  stock, then styles of the same category with stock.
- `check_skus` / `check_order`: all lines of an order at once.

Typed, frozen results; no Qt. Reads use the raw driver connection, like `models.search`.
"""
from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import Engine

from workstation.models.timefmt import from_db
from workstation.models.schema import order_status

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
