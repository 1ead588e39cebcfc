"""First load: id-descending pages at a fixed snapshot sequence, then the change feed."""
from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import func, select

from storeserver import ops, streams
from storeserver.api import dumps
from storeserver.demodata import generate
from storeserver.streams import STREAM_TABLES

from .conftest import ALL_STREAMS


def test_snapshot_walks_every_entity_once_newest_first(live, api):
    for stream in ALL_STREAMS:
        items, pages, feed = api.snapshot_all(stream, limit=37)
        ids = [it["id"] for it in items]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids), stream
        with live.engine.connect() as conn:
            t = STREAM_TABLES[stream]
            in_db = conn.execute(select(func.count()).select_from(t).where(t.c.shop_id == live.shop_id)).scalar_one()
        assert len(items) == in_db == pages[0]["total"], stream
        assert all(p["total"] is None for p in pages[1:]), stream
        assert all(p["feed_cursor"] == feed for p in pages), stream
        assert [p["done"] for p in pages] == [False] * (len(pages) - 1) + [True]
        assert pages[-1]["next_cursor"] is None and all(p["next_cursor"] for p in pages[:-1])
        assert all(p["stream"] == stream for p in pages)


def test_snapshot_serves_exactly_the_seeded_entities(live, api):
    """The wire entities equal the generator's: every field, lines and addresses included."""
    demo = generate(live.orders, seed=1)
    assert api.snapshot_all("orders", limit=50)[0] == list(reversed(list(demo.orders())))
    assert api.snapshot_all("buyers")[0] == list(reversed(list(demo.buyers())))
    assert api.snapshot_all("products")[0] == list(reversed(demo.products()))
    assert api.snapshot_all("stock", limit=5000)[0] == list(reversed(demo.stock()))
    assert api.snapshot_all("warehouses")[0] == list(reversed(demo.warehouses()))


def _canonical(entities: list) -> bytes:
    return orjson.dumps(entities, option=orjson.OPT_SORT_KEYS)


HOSTILE = 'said "hi" \\ back\nline\ttab \x01\x1f \u2028\u2029 😀 </script> 柠檬'


def test_snapshot_json_made_by_the_database_is_the_entities_json(live, api):
    """Snapshot pages carry each entity as JSON the database builds (streams.snapshot_json);
    it equals the entities as the API encodes them, for every stream and field: text that
    needs escaping, nulls, booleans, documents, times with fractions of a second, children."""
    ops.set_remark(live.engine, live.shop_id, 5, HOSTILE, 3, "1024", now=datetime(2026, 11, 11, 9, 8, 7, 654321))
    with live.engine.connect() as conn:
        for stream in ALL_STREAMS:
            want = orjson.loads(dumps(streams.snapshot_items(conn, stream, live.shop_id, 2**62, None, 10**6)))
            got = [orjson.loads(j) for _, j in streams.snapshot_json(conn, stream, live.shop_id, None, 10**6)]
            # Compared as canonical JSON text: in Python 1 == True, on the wire they differ.
            assert _canonical(got) == _canonical(want) and got, stream
    order = next(it for it in api.snapshot_all("orders", limit=40)[0] if it["id"] == 5)
    assert (order["remark"], order["remark_at"]) == (HOSTILE, "2026-11-11T09:08:07Z")


def test_changes_after_snapshot_seq_come_through_the_feed(live, api):
    first = api.ok("/sync/orders/snapshot", limit=20)
    seen = {it["id"] for it in first["items"]}
    old_ids = [i for i in range(1, 60) if i not in seen]
    edited, deleted = old_ids[0], old_ids[1]
    # Changes made while the client is still paging: later pages bring the current version of
    # every entity of their range (the feed brings the change again), never a deleted one.
    ops.set_remark(live.engine, live.shop_id, edited, "地址已核对", 1, "1024")
    ops.delete_order(live.engine, live.shop_id, deleted)
    new_id = ops.create_order(live.engine, live.shop_id, 1, [(1, 2)])
    already_seen = max(seen)
    ops.set_remark(live.engine, live.shop_id, already_seen, "催发货，已加急", 2, "1031")

    items, cursor = list(first["items"]), first["next_cursor"]
    while cursor:
        page = api.ok("/sync/orders/snapshot", cursor=cursor, limit=20)
        assert page["total"] is None and page["feed_cursor"] == first["feed_cursor"]
        items += page["items"]
        cursor = page["next_cursor"]
    ids = {it["id"] for it in items}
    assert edited in ids and deleted not in ids and new_id not in ids
    assert next(it for it in items if it["id"] == edited)["remark"] == "地址已核对"

    changes, _ = api.drain("orders", first["feed_cursor"])
    assert [(c["op"], c.get("id") or c["item"]["id"]) for c in changes] == [
        ("upsert", edited), ("delete", deleted), ("upsert", new_id), ("upsert", already_seen)]
    assert changes[0]["item"]["remark"] == "地址已核对" and changes[0]["item"]["remark_by"] == "1024"
    # The client's picture (snapshot + feed) now equals the server's.
    state = {it["id"]: it for it in items}
    for c in changes:
        if c["op"] == "delete":
            state.pop(c["id"], None)
        else:
            state[c["item"]["id"]] = c["item"]
    assert sorted(state) == sorted(it["id"] for it in api.snapshot_all("orders")[0])


def test_bad_snapshot_cursor_and_limits(live, api):
    page = api.ok("/sync/orders/snapshot", limit=10)
    r = api.get("/sync/buyers/snapshot", cursor=page["next_cursor"])
    assert r.status_code == 400 and r.json()["code"] == "bad_cursor"  # another stream's cursor
    r = api.get("/sync/orders/snapshot", cursor=page["feed_cursor"])
    assert r.status_code == 400 and r.json()["code"] == "bad_cursor"  # a feed cursor
    for limit in (0, 5001, -1, "ten"):
        r = api.get("/sync/orders/snapshot", limit=limit)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", limit
    assert len(api.ok("/sync/orders/snapshot", limit=5000)["items"]) == live.orders
    assert len(api.ok("/sync/orders/snapshot")["items"]) == live.orders  # default 1000
