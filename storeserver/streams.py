"""The synced streams, declared once each, and reading them as wire entities (Core only).

A stream is one `ServerStream` below: its table and, when entities carry child rows (a
product's SKUs, an order's lines), the child table. The wire fields are the tables' columns
minus the shop scoping and the parent key, in column order (docs/PROTOCOL.md lists the same),
unless the stream names them (`wire`): `agents` does, so the login, the password hash and
the bookkeeping columns never leave the server. A stream whose entities only some agents may
see names a `visible` hook: `(table, agent_no) -> WHERE clause`, applied to its snapshot
pages, totals and change feed for the caller (`phrases`: the team's and the caller's own;
tombstones are not filtered, the client ignores ids it does not hold).
The workstation declares its side once per layer too (`workstation/models/streams.py`,
`workstation/sync/wire.py`); a test checks that the three agree.

A page is one select on the stream table plus, for streams with children, ONE select of the
children of every entity on the page (no per-row queries, no ORM objects). Entities are
plain dicts whose datetimes are naive UTC; `api.dumps` turns them into wire JSON. Snapshot
pages, a first sync's bulk, are served as JSON the database builds per entity
(`snapshot_json`, children in the same statement): the same JSON, at a third of the cost.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import (JSON, Boolean, ColumnElement, Connection, DateTime, Table, Text, case, cast, func,
                        literal, or_, select)
from sqlalchemy.dialects.postgresql import JSON as PgJSON, aggregate_order_by

from . import cursors
from .models import (Agent, Buyer, BuyerNote, Conversation, Message, Order, OrderLine, Phrase,
                     Product, RemarkHistory, ShopSettings, Sku, Stock, Tombstone, Warehouse)

_tombs = Tombstone.__table__


@dataclass(frozen=True)
class ServerChild:
    table: Table
    key: str  # the list's key in the wire entity
    parent_column: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table.columns if c.name != self.parent_column)


@dataclass(frozen=True)
class ServerStream:
    name: str
    table: Table
    child: ServerChild | None = None
    wire: tuple[str, ...] | None = None  # the wire fields, when not every column goes out
    # Which rows the caller sees (None: every row of the shop); see the module doc.
    visible: Callable[[Table, str | None], ColumnElement[bool]] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.wire or ()) - set(self.table.columns.keys())
        if unknown or (self.wire is not None and not {"id", "seq"} <= set(self.wire)):
            raise ValueError(f"stream {self.name}: bad wire fields {sorted(unknown) or self.wire}")

    @property
    def fields(self) -> tuple[str, ...]:
        """Wire fields (children are attached separately)."""
        if self.wire is not None:
            return self.wire
        return tuple(c.name for c in self.table.columns if c.name != "shop_id")


def _own_or_team(table: Table, agent_no: str | None) -> ColumnElement[bool]:
    """The team's phrases and the caller's personal ones."""
    return or_(table.c.owner_agent_no.is_(None), table.c.owner_agent_no == agent_no)


_DECLARED = (
    ServerStream("conversations", Conversation.__table__),
    ServerStream("messages", Message.__table__),
    ServerStream("agents", Agent.__table__, wire=("id", "seq", "agent_no", "display_name", "role",
                                                  "status", "capacity", "active")),
    ServerStream("shop_settings", ShopSettings.__table__),
    ServerStream("phrases", Phrase.__table__, visible=_own_or_team),
    ServerStream("warehouses", Warehouse.__table__),
    ServerStream("products", Product.__table__, ServerChild(Sku.__table__, "skus", "product_id")),
    ServerStream("stock", Stock.__table__),
    ServerStream("remarks", RemarkHistory.__table__),
    ServerStream("buyers", Buyer.__table__),
    ServerStream("buyer_notes", BuyerNote.__table__),
    ServerStream("orders", Order.__table__, ServerChild(OrderLine.__table__, "lines", "order_id")),
)
STREAMS: dict[str, ServerStream] = {s.name: s for s in _DECLARED}
STREAM_NAMES: tuple[str, ...] = tuple(STREAMS)
STREAM_TABLES: dict[str, Table] = {name: s.table for name, s in STREAMS.items()}
FIELDS: dict[str, tuple[str, ...]] = {name: s.fields for name, s in STREAMS.items()}


@dataclass(frozen=True)
class ShopState:
    seq: int
    epoch: int
    purged_seq: int


def shop_state(conn: Connection, shop_id: int) -> ShopState:
    from .models import Shop

    row = conn.execute(select(Shop.seq, Shop.epoch, Shop.purged_seq).where(Shop.id == shop_id)).one()
    return ShopState(row.seq, row.epoch, row.purged_seq)


def _rows_as_dicts(result, fields: tuple[str, ...]) -> list[dict]:
    return [dict(zip(fields, row)) for row in result]


def _scope(stream: str, shop_id: int, agent_no: str | None) -> list[ColumnElement[bool]]:
    """The rows of the shop the caller sees (`agent_no` None: a tool, every row)."""
    spec = STREAMS[stream]
    where = [spec.table.c.shop_id == shop_id]
    if spec.visible is not None and agent_no is not None:
        where.append(spec.visible(spec.table, agent_no))
    return where


def _entity_select(stream: str, shop_id: int, agent_no: str | None = None):
    t = STREAM_TABLES[stream]
    return select(*(t.c[f] for f in FIELDS[stream])).where(*_scope(stream, shop_id, agent_no))


def attach_children(conn: Connection, stream: str, items: list[dict]) -> list[dict]:
    """Products get `skus`, orders get `lines`: one query for the whole page."""
    spec = STREAMS[stream].child
    if spec is None or not items:
        return items
    child, parent_col, fields, key = spec.table, spec.table.c[spec.parent_column], spec.fields, spec.key
    ids = [it["id"] for it in items]
    q = (select(parent_col, *(child.c[f] for f in fields))
         .where(parent_col.in_(ids)).order_by(parent_col, child.c.id))
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(q):
        grouped[row[0]].append(dict(zip(fields, row[1:])))
    for it in items:
        it[key] = grouped.get(it["id"], [])
    return items


def snapshot_items(conn: Connection, stream: str, shop_id: int, snapshot_seq: int,
                   before_id: int | None, limit: int, agent_no: str | None = None) -> list[dict]:
    """Up to `limit` entities with id < before_id, id descending, each in its current version.

    Every entity of the page's id range is in it, also one changed after `snapshot_seq` (it
    then comes again through the feed, which the client's seq guard skips): a client that
    reloads a stream beside its cached rows can trust that a row missing from a page's range
    is gone. Entities created after `snapshot_seq` have higher ids than the first page (ids
    grow) and come through the feed only. `snapshot_seq` fixes the feed cursor and the total.
    `agent_no`: the caller (the stream's `visible` hook), None for every row."""
    t = STREAM_TABLES[stream]
    q = _entity_select(stream, shop_id, agent_no)
    if before_id is not None:
        q = q.where(t.c.id < before_id)
    items = _rows_as_dicts(conn.execute(q.order_by(t.c.id.desc()).limit(limit)), FIELDS[stream])
    return attach_children(conn, stream, items)


# ---- snapshot pages as JSON made by the database ------------------------------------------
# A first sync reads every entity of the shop once: building the wire JSON in SQL (SQLite's
# json_object, PostgreSQL's json_build_object: C) instead of Python dicts made the server's
# cost of an order page about a third (profiled at 1M orders: ~50 -> ~16 us per order). The
# JSON is the same as `api.dumps` of `snapshot_items` (a test compares them on both databases).

_WIRE_TIME = {"sqlite": "%Y-%m-%dT%H:%M:%SZ", "postgresql": 'YYYY-MM-DD"T"HH24:MI:SS"Z"'}


def _json_value(col, dialect: str):
    """`col` as its wire JSON value: times as `...Z` (whole seconds), booleans as true/false,
    documents as JSON (not a string)."""
    kind = getattr(col.type, "_type_affinity", None)
    if isinstance(col.type, DateTime):
        return (func.strftime(_WIRE_TIME["sqlite"], col) if dialect == "sqlite"
                else func.to_char(col, _WIRE_TIME["postgresql"]))
    if dialect == "sqlite" and isinstance(col.type, Boolean):
        return func.json(case((col == 1, "true"), (col == 0, "false")))
    if dialect == "sqlite" and kind is JSON:
        return func.json(col)
    return col


def _json_object(dialect: str, pairs: list) -> ColumnElement:
    args = [a for name, value in pairs for a in (literal(name), value)]
    return func.json_object(*args) if dialect == "sqlite" else func.json_build_object(*args)


def _entity_json(stream: str, dialect: str) -> ColumnElement:
    """One entity of `stream` as wire JSON, children included (one correlated subquery)."""
    spec = STREAMS[stream]
    t = spec.table
    pairs = [(f, _json_value(t.c[f], dialect)) for f in FIELDS[stream]]
    child = spec.child
    if child is not None:
        c = child.table
        obj = _json_object(dialect, [(f, _json_value(c.c[f], dialect)) for f in child.fields])
        match = c.c[child.parent_column] == t.c.id
        if dialect == "sqlite":
            # In the order of the parent-key index (id order). json_group_array has no ORDER BY
            # before SQLite 3.44, and an ordered subquery would drop the objects' JSON subtype
            # (re-parsing each cost ~40% of the page); `json()` keeps the array JSON through the
            # scalar subquery on every SQLite version.
            rows = func.json(select(func.json_group_array(obj)).where(match).scalar_subquery())
        else:
            rows = select(func.coalesce(func.json_agg(aggregate_order_by(obj, c.c.id)),
                                        cast(literal("[]"), PgJSON))).where(match).scalar_subquery()
        pairs.append((child.key, rows))
    return cast(_json_object(dialect, pairs), Text)


def snapshot_json(conn: Connection, stream: str, shop_id: int, before_id: int | None, limit: int,
                  agent_no: str | None = None) -> list[tuple[int, str]]:
    """`snapshot_items`, each entity as its wire JSON text: (id, JSON) pairs, id descending."""
    t = STREAM_TABLES[stream]
    q = select(t.c.id, _entity_json(stream, conn.dialect.name)).where(*_scope(stream, shop_id, agent_no))
    if before_id is not None:
        q = q.where(t.c.id < before_id)
    return [tuple(row) for row in conn.execute(q.order_by(t.c.id.desc()).limit(limit))]


def snapshot_body(conn: Connection, stream: str, shop_id: int, epoch: int, snapshot_seq: int,
                  before_id: int | None, limit: int, total: int | None, agent_no: str | None = None) -> bytes:
    """One snapshot page as its JSON body (PROTOCOL.md): the entities below `before_id`
    (`snapshot_json`), the next page's cursor, the feed cursor at `snapshot_seq`."""
    rows = snapshot_json(conn, stream, shop_id, before_id, limit + 1, agent_no)
    done = len(rows) <= limit
    rows = rows[:limit]
    next_cursor = None if done else cursors.encode(
        cursors.Cursor("s", shop_id, epoch, snapshot_seq, stream, rows[-1][0]))
    rest = orjson.dumps({"stream": stream, "next_cursor": next_cursor, "done": done,
                         "feed_cursor": cursors.feed_cursor(shop_id, epoch, snapshot_seq), "total": total})
    return b'{"items":[' + ",".join(entity for _, entity in rows).encode() + b"]," + rest[1:]


def snapshot_total(conn: Connection, stream: str, shop_id: int, snapshot_seq: int,
                   agent_no: str | None = None) -> int:
    t = STREAM_TABLES[stream]
    q = select(func.count()).select_from(t).where(*_scope(stream, shop_id, agent_no), t.c.seq <= snapshot_seq)
    return conn.execute(q).scalar_one()


def changes(conn: Connection, stream: str, shop_id: int, after_seq: int, upto_seq: int,
            limit: int, agent_no: str | None = None) -> tuple[list[dict], bool]:
    """Upserts and tombstones with after_seq < seq <= upto_seq, ascending; and has_more.

    `upto_seq` is the shop's sequence read at the start of the request: every writer with a
    smaller number has committed (the shop row lock serializes them), so nothing below it
    can still appear and the page never skips a change.
    """
    t = STREAM_TABLES[stream]
    uq = (_entity_select(stream, shop_id, agent_no)
          .where(t.c.seq > after_seq, t.c.seq <= upto_seq).order_by(t.c.seq).limit(limit + 1))
    upserts = _rows_as_dicts(conn.execute(uq), FIELDS[stream])
    tq = (select(_tombs.c.seq, _tombs.c.entity_id)
          .where(_tombs.c.shop_id == shop_id, _tombs.c.stream == stream,
                 _tombs.c.seq > after_seq, _tombs.c.seq <= upto_seq)
          .order_by(_tombs.c.seq).limit(limit + 1))
    tombs = [{"seq": s, "op": "delete", "id": i} for s, i in conn.execute(tq)]
    merged = [{"seq": it["seq"], "op": "upsert", "item": it} for it in upserts] + tombs
    merged.sort(key=lambda c: c["seq"])
    page, has_more = merged[:limit], len(merged) > limit
    attach_children(conn, stream, [c["item"] for c in page if c["op"] == "upsert"])
    return page, has_more


def fetch_entities(conn: Connection, stream: str, shop_id: int, ids: list[int]) -> list[dict]:
    """Current wire form of some entities (tests, tools)."""
    t = STREAM_TABLES[stream]
    q = _entity_select(stream, shop_id).where(t.c.id.in_(ids)).order_by(t.c.id)
    return attach_children(conn, stream, _rows_as_dicts(conn.execute(q), FIELDS[stream]))


def streams_changed_after(conn: Connection, shop_id: int, after_seq: int, upto_seq: int,
                          agent_no: str | None = None, only: list[str] | None = None) -> list[str]:
    """The streams (of `only`, default all) with a change (an upsert or a tombstone) numbered
    in (after_seq, upto_seq] that the caller sees (`agent_no` None: anyone): ONE statement of
    index probes on `(shop_id, seq)`, so a woken client pulls only those."""
    from sqlalchemy import literal, union_all

    names = list(STREAMS) if only is None else [n for n in STREAMS if n in only]
    if not names:
        return []
    probes = [select(literal(name).label("stream")).where(
        select(STREAMS[name].table.c.id).where(*_scope(name, shop_id, agent_no), STREAMS[name].table.c.seq > after_seq,
                                               STREAMS[name].table.c.seq <= upto_seq).limit(1).exists())
        for name in names]
    probes.append(select(_tombs.c.stream.label("stream")).where(
        _tombs.c.shop_id == shop_id, _tombs.c.stream.in_(names), _tombs.c.seq > after_seq,
        _tombs.c.seq <= upto_seq).distinct())
    found = set(conn.execute(union_all(*probes)).scalars())
    return [name for name in STREAMS if name in found]
