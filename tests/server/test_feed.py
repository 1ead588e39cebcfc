"""The change feed: ascending seq, upserts and tombstones, paging, errors."""
from __future__ import annotations

import threading

from sqlalchemy import select

from datetime import timedelta

from storeserver import cursors, ops
from storeserver.models import OrderLine
from storeserver.streams import STREAM_TABLES

from .conftest import ALL_STREAMS


def _head_cursor(api, stream="orders"):
    return api.ok(f"/sync/{stream}/snapshot", limit=1)["feed_cursor"]


def test_feed_after_ops_in_seq_order_with_paging(live, api):
    cursor = {s: _head_cursor(api, s) for s in ("orders", "stock", "buyers")}
    eng, shop = live.engine, live.shop_id
    seqs = [
        ops.set_remark(eng, shop, 3, "换货：M码缺货，改发L码", 1, "1024"),
        ops.set_stock_qty(eng, shop, 10, 0),
        ops.delete_order(eng, shop, 4),
        ops.set_member_level(eng, shop, 2, "vip"),
    ]
    with eng.connect() as conn:
        line = conn.execute(select(OrderLine.id).where(OrderLine.order_id == 5)).scalars().first()
    seqs.append(ops.set_line_qty(eng, shop, line, 3))  # a line change bumps its order
    seqs.append(ops.set_remark(eng, shop, 3, "地址已核对", 3, "1031"))  # 3 again: only its latest version

    page1 = api.ok("/sync/orders/changes", cursor=cursor["orders"], limit=2)
    assert page1["has_more"] is True and len(page1["changes"]) == 2
    assert [(c["op"], c["seq"]) for c in page1["changes"]] == [("delete", seqs[2]), ("upsert", seqs[4])]
    assert page1["changes"][0] == {"seq": seqs[2], "op": "delete", "id": 4}
    item = page1["changes"][1]["item"]
    assert item["id"] == 5 and item["seq"] == seqs[4]
    assert [ln["qty"] for ln in item["lines"] if ln["id"] == line] == [3]
    page2 = api.ok("/sync/orders/changes", cursor=page1["next_cursor"], limit=2)
    assert page2["has_more"] is False
    assert [(c["item"]["id"], c["seq"]) for c in page2["changes"]] == [(3, seqs[5])]
    assert page2["changes"][0]["item"]["remark"] == "地址已核对"
    assert page2["changes"][0]["item"]["remark_flag"] == 3

    # Nothing new: an empty page that keeps the cursor.
    empty = api.ok("/sync/orders/changes", cursor=page2["next_cursor"])
    assert empty == {"stream": "orders", "changes": [], "next_cursor": page2["next_cursor"], "has_more": False,
                     "seq": page2["seq"]}
    # A page says where its cursor stands: the last change's seq while more is to come.
    assert page1["seq"] == seqs[4] and page2["seq"] == seqs[5]

    stock = api.ok("/sync/stock/changes", cursor=cursor["stock"])["changes"]
    assert [(c["item"]["id"], c["item"]["qty"], c["seq"]) for c in stock] == [(10, 0, seqs[1])]
    buyers = api.ok("/sync/buyers/changes", cursor=cursor["buyers"])["changes"]
    assert [(c["item"]["id"], c["item"]["member_level"]) for c in buyers] == [(2, "vip")]
    assert api.ok("/sync/head")["seq"] == seqs[-1]


def test_new_order_travels_with_lines_and_status_times(live, api):
    cursor = _head_cursor(api)
    oid = ops.create_order(live.engine, live.shop_id, 1, [(1, 1), (2, 2)])
    for status in ("paid", "documents_made", "shipped"):
        ops.set_order_status(live.engine, live.shop_id, oid, status)
    changes, _ = api.drain("orders", cursor)
    assert len(changes) == 1  # one entity, its latest version
    order = changes[0]["item"]
    assert order["status"] == "shipped" and order["paid_at"] and order["shipped_at"]
    assert order["carrier"] and order["tracking_no"]
    assert len(order["order_no"]) == 18 and order["order_no"].isdigit()
    assert [(ln["sku_id"], ln["qty"]) for ln in order["lines"]] == [(1, 1), (2, 2)]
    assert order["total_cents"] == sum(ln["qty"] * ln["unit_price_cents"] for ln in order["lines"])
    assert order["id"] > live.orders  # newest order, largest id


def test_cursor_errors(live, api):
    feed = _head_cursor(api)
    for bad in ("garbage!", "eyJ2IjoxfQ", cursors.encode(cursors.Cursor("f", live.shop_id, 1, -5))):
        r = api.get("/sync/orders/changes", cursor=bad)
        assert r.status_code == 400 and r.json()["code"] == "bad_cursor", bad
    ahead = cursors.feed_cursor(live.shop_id, 1, 10**9)
    assert api.get("/sync/orders/changes", cursor=ahead).json()["code"] == "bad_cursor"
    r = api.get("/sync/orders/changes")
    assert r.status_code == 422
    r = api.get("/sync/customers/changes", cursor=feed)
    assert r.status_code == 404 and r.json()["code"] == "unknown_stream"
    r = api.get("/sync/customers/snapshot")
    assert r.status_code == 404 and r.json()["code"] == "unknown_stream"
    for limit in (0, 5001):
        assert api.get("/sync/orders/changes", cursor=feed, limit=limit).status_code == 422


def test_other_epoch_cursor_is_gone(live, api):
    feed = _head_cursor(api)
    snap = api.ok("/sync/orders/snapshot", limit=10)["next_cursor"]
    ops.bump_epoch(live.engine, live.shop_id)
    for path, cursor in (("/sync/orders/changes", feed), ("/sync/orders/snapshot", snap)):
        r = api.get(path, cursor=cursor)
        assert r.status_code == 410 and r.json()["code"] == "cursor_gone", path
    assert api.ok("/sync/head")["epoch"] == 2
    # A fresh snapshot works again in the new epoch.
    assert len(api.snapshot_all("orders")[0]) == live.orders


def test_expired_tombstones_make_old_cursors_gone(live, api):
    old = _head_cursor(api)
    ops.delete_order(live.engine, live.shop_id, 9)
    assert ops.purge_tombstones(live.engine, live.shop_id, older_than=timedelta(0),
                                now=ops.utcnow() + timedelta(seconds=5)) == 1
    r = api.get("/sync/orders/changes", cursor=old)
    assert r.status_code == 410 and r.json()["code"] == "cursor_gone"
    fresh = _head_cursor(api)
    assert api.ok("/sync/orders/changes", cursor=fresh)["changes"] == []


def test_concurrent_writers_feed_sees_every_change_exactly_once(store_factory):
    """Several writers at once on PostgreSQL; a reader tails the feed meanwhile. The reader's
    picture equals the database at the end (no change skipped), seqs strictly increase."""
    from .conftest import Api

    live = store_factory(kind="postgresql", orders=60)
    api = Api(live.url)
    api.login()
    start = cursors.feed_cursor(live.shop_id, 1, 0)
    eng, shop = live.engine, live.shop_id
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(25):
                if i % 3 == 0:
                    ops.create_order(eng, shop, 1 + (k + i) % 20, [(1 + i, 1)])
                elif i % 3 == 1:
                    ops.set_remark(eng, shop, 1 + (k * 7 + i) % 60, f"备注 {k}-{i}", 1 + k % 5, "1024")
                else:
                    ops.set_stock_qty(eng, shop, 1 + (k * 11 + i) % 50, i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    state = {s: {} for s in ("orders", "stock")}
    cursor = {s: start for s in state}
    last_seq = {s: 0 for s in state}

    def pull() -> None:
        for s in state:
            changes, cursor[s] = api.drain(s, cursor[s], limit=20)
            for c in changes:
                assert c["seq"] > last_seq[s]
                last_seq[s] = c["seq"]
                if c["op"] == "delete":
                    state[s].pop(c["id"], None)
                else:
                    state[s][c["item"]["id"]] = c["item"]["seq"]

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for _ in range(100):  # tail while the writers run (bounded)
        pull()
        api.get("/sync/wait", after=max(last_seq.values()), timeout=0.2)
        if not any(t.is_alive() for t in threads):
            break
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    pull()
    with eng.connect() as conn:
        for s in state:
            t = STREAM_TABLES[s]
            in_db = dict(conn.execute(select(t.c.id, t.c.seq).where(t.c.shop_id == shop)).all())
            assert state[s] == in_db, s

    # From 0, every entity of every stream once; all seqs unique across streams.
    all_seqs = []
    for s in ALL_STREAMS:
        changes, _ = api.drain(s, start, limit=500)
        seqs = [c["seq"] for c in changes]
        assert seqs == sorted(set(seqs)), s
        all_seqs += seqs
    assert len(all_seqs) == len(set(all_seqs))
    assert max(all_seqs) == api.ok("/sync/head")["seq"]


def test_a_quiet_stream_cursor_keeps_up_with_the_head(live, api):
    """A stream with nothing new gets a cursor at the shop's head on its empty page, so a
    later tombstone purge does not force streams that had no deletes to reload."""
    warehouses = _head_cursor(api, "warehouses")
    orders = _head_cursor(api, "orders")
    ops.delete_order(live.engine, live.shop_id, 9)
    ops.set_stock_qty(live.engine, live.shop_id, 3, 7)
    head = api.ok("/sync/head")["seq"]
    page = api.ok("/sync/warehouses/changes", cursor=warehouses)
    assert page["changes"] == [] and page["has_more"] is False
    assert page["next_cursor"] != warehouses
    assert cursors.decode(page["next_cursor"], kind="f", shop_id=live.shop_id).seq == head
    # The order feed's last page also ends at the head, past its own last change.
    orders_page = api.ok("/sync/orders/changes", cursor=orders)
    assert [c["op"] for c in orders_page["changes"]] == ["delete"]
    assert cursors.decode(orders_page["next_cursor"], kind="f", shop_id=live.shop_id).seq == head

    assert ops.purge_tombstones(live.engine, live.shop_id, older_than=timedelta(0),
                                now=ops.utcnow() + timedelta(seconds=5)) == 1
    again = api.get("/sync/warehouses/changes", cursor=page["next_cursor"])
    assert again.status_code == 200 and again.json()["changes"] == []
    assert api.get("/sync/warehouses/changes", cursor=warehouses).status_code == 410
