"""Applying sync pages: one transaction per page with its cursor, seq-guarded upserts,
tombstones, and nothing half-written on failure."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from sqlalchemy.orm import Session

from tests.cache.conftest import delete, make_buyer, make_order, make_product, snapshot, upsert
from workstation.models import schema
from workstation.models.schema import ORDER_STATUS
from workstation.models.apply import ApplyError, apply_changes, apply_snapshot_page, reset_stream
from workstation.models.search import count_orders, get_order_detail, search_orders
from workstation.models.state import STREAMS, get_stream_state, last_synced_at


def _rows(cache, sql, *args):
    con = sqlite3.connect(cache.path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def _fts_ids(cache, text):
    """Rowids the search index itself holds for `text` (the AND of its tokens)."""
    from workstation.models.fts import query_tokens

    expr = " AND ".join(f'"{t}"' for t in query_tokens(text))
    return [r[0] for r in _rows(cache, "SELECT rowid FROM orders_fts WHERE orders_fts MATCH ? ORDER BY rowid", expr)]


def test_fresh_stream_state(engine):
    state = get_stream_state(engine, "orders")
    assert (state.phase, state.cursor, state.applied, state.last_synced_at) == ("snapshot", None, 0, None)


def test_unknown_stream_is_a_programming_error(engine):
    with pytest.raises(ValueError):
        get_stream_state(engine, "parcels")
    with pytest.raises(ValueError):
        apply_changes(engine, "parcels", [], next_cursor="x")


def test_snapshot_pages_then_feed(cache, engine):
    n = apply_snapshot_page(engine, "orders", [make_order(3), make_order(2)], next_cursor="s1",
                            done=False, feed_cursor="f0", total=3)
    assert n.rows == 2
    st = get_stream_state(engine, "orders")
    assert (st.phase, st.cursor, st.feed_cursor, st.total, st.applied) == ("snapshot", "s1", "f0", 3, 2)
    assert st.last_synced_at is None
    apply_snapshot_page(engine, "orders", [make_order(1)], next_cursor=None, done=True, feed_cursor="f0", total=None)
    st = get_stream_state(engine, "orders")
    assert (st.phase, st.cursor, st.total, st.applied) == ("feed", "f0", 3, 3)
    assert st.last_synced_at is not None
    assert _rows(cache, "SELECT count(*) FROM orders") == [(3,)]
    assert _rows(cache, "SELECT count(*) FROM order_lines") == [(6,)]

    changed = make_order(2, seq=10, status="shipped", tracking_no="YT9999", receiver_name="李雷雷")
    assert apply_changes(engine, "orders", [upsert(changed), upsert(make_order(4, seq=11))], next_cursor="f1").rows == 2
    assert get_stream_state(engine, "orders").cursor == "f1"
    assert _rows(cache, "SELECT status, tracking_no FROM orders WHERE id = 2") == [(ORDER_STATUS["shipped"], "YT9999")]
    assert _fts_ids(cache, "李雷雷") == [2] and 2 not in _fts_ids(cache, "王小明")


def test_changed_order_replaces_its_lines(cache, engine):
    snapshot(engine, "orders", [make_order(1)])
    new_lines = [{"id": 99, "sku_id": 9, "style_no": "X", "product_name": "帽子", "colour": "黑", "size": "L",
                  "outer_id": "X-L", "qty": 3, "unit_price_cents": 500}]
    apply_changes(engine, "orders", [upsert(make_order(1, seq=5, lines=new_lines))], next_cursor="f1")
    assert _rows(cache, "SELECT id, order_id, qty FROM order_lines") == [(99, 1, 3)]


def test_older_seq_never_overwrites_a_newer_row(cache, engine):
    snapshot(engine, "orders", [make_order(1, seq=50, status="shipped")])
    stale = make_order(1, seq=40, status="paid", receiver_name="旧名字", lines=[])
    assert apply_changes(engine, "orders", [upsert(stale)], next_cursor="f1").rows == 0
    assert _rows(cache, "SELECT seq, status, receiver_name FROM orders") == [(50, ORDER_STATUS["shipped"], "王小明")]
    assert _rows(cache, "SELECT count(*) FROM order_lines") == [(2,)]
    assert _fts_ids(cache, "旧名字") == []
    # The cursor still moves on: the page was handled.
    assert get_stream_state(engine, "orders").cursor == "f1"


def test_same_entity_twice_in_a_page_keeps_the_newest(cache, engine):
    snapshot(engine, "orders", [make_order(1)])
    apply_changes(engine, "orders", [upsert(make_order(1, seq=7, status="shipped")),
                                     upsert(make_order(1, seq=6, status="closed"))], next_cursor="f1")
    assert _rows(cache, "SELECT seq, status FROM orders") == [(7, ORDER_STATUS["shipped"])]


def test_tombstone_removes_order_lines_and_search_entries(cache, engine):
    snapshot(engine, "orders", [make_order(1), make_order(2, receiver_name="张伟")])
    assert search_orders(engine, "张伟")
    assert apply_changes(engine, "orders", [delete(2, seq=9)], next_cursor="f1").rows == 1
    assert _rows(cache, "SELECT id FROM orders") == [(1,)]
    assert _rows(cache, "SELECT DISTINCT order_id FROM order_lines") == [(1,)]
    assert _fts_ids(cache, make_order(2)["order_no"]) == []
    assert search_orders(engine, "张伟") == []
    assert get_order_detail(engine, 2) is None


def test_stale_tombstone_and_unknown_id_change_nothing(cache, engine):
    snapshot(engine, "orders", [make_order(1, seq=30)])
    assert apply_changes(engine, "orders", [delete(1, seq=20), delete(77, seq=31)], next_cursor="f1").rows == 0
    assert _rows(cache, "SELECT id FROM orders") == [(1,)]


def test_failing_page_leaves_rows_and_cursor_as_before(cache, engine):
    snapshot(engine, "orders", [make_order(1)], feed_cursor="f0")
    before_rows = _rows(cache, "SELECT * FROM orders")
    before_lines = _rows(cache, "SELECT * FROM order_lines")
    bad = make_order(3, seq=12, receiver_name=None)  # NOT NULL violation, in the middle
    page = [upsert(make_order(1, seq=10, status="closed")), upsert(bad), upsert(make_order(4, seq=13))]
    with pytest.raises(ApplyError) as info:
        apply_changes(engine, "orders", page, next_cursor="f-bad")
    assert "nothing was changed" in str(info.value)
    assert _rows(cache, "SELECT * FROM orders") == before_rows
    assert _rows(cache, "SELECT * FROM order_lines") == before_lines
    assert get_stream_state(engine, "orders").cursor == "f0"
    assert _fts_ids(cache, make_order(4)["order_no"]) == []


def test_a_bug_in_apply_is_not_disguised_as_a_cache_problem_and_changes_nothing(cache, engine):
    """Items reach apply validated (sync.wire): a missing field here is a bug in this program.
    It surfaces as itself (with its traceback), not as a retryable CacheError."""
    from workstation.models.db import CacheError

    item = make_order(1)
    del item["order_no"]
    with pytest.raises(KeyError) as info:
        snapshot(engine, "orders", [make_order(2), item])
    assert not isinstance(info.value, CacheError)
    assert _rows(cache, "SELECT count(*) FROM orders") == [(0,)]
    assert get_stream_state(engine, "orders").cursor is None


def test_products_replace_their_skus(cache, engine):
    snapshot(engine, "products", [make_product(1, skus=3)])
    assert _rows(cache, "SELECT count(*) FROM skus WHERE product_id = 1") == [(3,)]
    apply_changes(engine, "products", [upsert(make_product(1, seq=5, skus=1))], next_cursor="f1")
    assert _rows(cache, "SELECT id FROM skus") == [(100,)]
    apply_changes(engine, "products", [delete(1, seq=6)], next_cursor="f2")
    assert _rows(cache, "SELECT count(*) FROM skus") == [(0,)]


def test_other_streams_round_trip(cache, engine):
    snapshot(engine, "warehouses", [{"id": 1, "seq": 1, "name": "杭州仓", "code": "HZ"}])
    snapshot(engine, "stock", [{"id": 5, "seq": 2, "sku_id": 100, "warehouse_id": 1, "qty": 7, "reserved": 2, "page_qty": 5}])
    snapshot(engine, "buyers", [make_buyer(9)])
    assert _rows(cache, "SELECT name FROM warehouses") == [("杭州仓",)]
    assert _rows(cache, "SELECT qty, reserved FROM stock") == [(7, 2)]
    # 0009: buyers' first order time as Unix seconds, addresses as arrays in ADDRESS_KEYS order
    assert _rows(cache, "SELECT member_level, first_order_at, addresses FROM buyers") == [
        ("vip", 1735787045, '[["王小明","13800001234","浙江省","杭州市","西湖区","文三路1号"]]')]
    with Session(engine) as s:  # the ORM reads both back as the wire had them
        buyer = s.get(schema.Buyer, 9)
        assert buyer.first_order_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        assert buyer.addresses == make_buyer(9)["addresses"]


def test_order_lines_share_what_they_sold_and_keep_the_name_it_was_sold_under(cache, engine):
    """0009: a line's SKU, style, name, colour, size and outer id are stored once per
    distinct combination; a product renamed later is a new item, the old order keeps the
    old name."""
    snapshot(engine, "orders", [make_order(1), make_order(2)])
    assert _rows(cache, "SELECT count(*) FROM order_lines") == [(4,)]
    items = _rows(cache, "SELECT count(*) FROM sold_items")
    renamed = make_order(3)
    renamed["lines"] = [{**ln, "product_name": "改名后的" + ln["product_name"]} for ln in renamed["lines"]]
    apply_changes(engine, "orders", [upsert(renamed)], next_cursor="f1")
    assert _rows(cache, "SELECT count(*) FROM sold_items") == [(items[0][0] * 2,)]
    old, new = get_order_detail(engine, 1), get_order_detail(engine, 3)
    assert [ln.product_name for ln in old.lines] == [ln["product_name"] for ln in make_order(1)["lines"]]
    assert [ln.product_name for ln in new.lines] == [ln["product_name"] for ln in renamed["lines"]]
    assert [(ln.sku_id, ln.outer_id, ln.qty) for ln in new.lines] == [
        (ln["sku_id"], ln["outer_id"], ln["qty"]) for ln in renamed["lines"]]


def test_reset_stream_clears_rows_and_state_but_keeps_outbox(cache, engine):
    snapshot(engine, "orders", [make_order(1), make_order(2)])
    snapshot(engine, "buyers", [make_buyer(1)])
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, attempts, "
            "created_at, updated_at) VALUES ('0b6f8f2e-1c1e-4a57-9d7e-2f1f9b9c0001', 'remark', 'orders', 1, 1, "
            "'{}', 'pending', 0, '2026-11-11T00:00:00Z', '2026-11-11T00:00:00Z')")
    reset_stream(engine, "orders")
    assert _rows(cache, "SELECT count(*) FROM orders") == [(0,)]
    assert _rows(cache, "SELECT count(*) FROM order_lines") == [(0,)]
    assert _fts_ids(cache, "王小明") == []
    assert search_orders(engine, "杭州") == []
    assert get_stream_state(engine, "orders").cursor is None
    assert _rows(cache, "SELECT count(*) FROM outbox") == [(1,)]
    assert _rows(cache, "SELECT count(*) FROM buyers") == [(1,)]
    # Deleting still maintains the search index afterwards (the trigger came back).
    snapshot(engine, "orders", [make_order(5, receiver_name="张伟")])
    apply_changes(engine, "orders", [delete(5, seq=99)], next_cursor="f")
    assert search_orders(engine, "张伟") == []


def test_last_synced_at_waits_for_every_stream(engine):
    for stream in STREAMS[:-1]:
        snapshot(engine, stream, [])
    assert last_synced_at(engine) is None
    snapshot(engine, "orders", [])
    assert last_synced_at(engine) is not None


def test_change_page_with_more_to_come_keeps_sync_time(engine):
    snapshot(engine, "orders", [])
    first = get_stream_state(engine, "orders").last_synced_at
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sync_state SET last_synced_at = '2020-01-01T00:00:00Z'")
    apply_changes(engine, "orders", [upsert(make_order(1))], next_cursor="f1", has_more=True)
    assert get_stream_state(engine, "orders").last_synced_at.year == 2020
    apply_changes(engine, "orders", [], next_cursor="f1", has_more=False)
    assert get_stream_state(engine, "orders").last_synced_at >= first


def test_search_index_tracks_a_long_random_history(cache, engine):
    """After many upserts (some stale), renames, moves and tombstones, the search indexes hold
    exactly the live orders under their current text, and nothing under old text."""
    import random

    rng = random.Random(5)
    names = ["张伟", "李娜", "王小明", "欧阳娜娜", "赵敏"]
    cities = [("浙江省", "杭州市"), ("浙江省", "宁波市"), ("广东省", "广州市")]
    live: dict[int, dict] = {}
    seq = 0
    snapshot(engine, "orders", [])
    for _ in range(40):
        page = []
        for _ in range(rng.randint(1, 8)):
            seq += 1
            oid = rng.randint(1, 30)
            if oid in live and rng.random() < 0.25:
                page.append(delete(oid, seq))
                live.pop(oid)
                continue
            province, city = rng.choice(cities)
            order = make_order(oid, seq=seq, receiver_name=rng.choice(names), province=province, city=city,
                               status=rng.choice(["paid", "shipped"]))
            page.append(upsert(order))
            live[oid] = order
            if rng.random() < 0.2:  # a stale replay of an older version: must change nothing
                page.append(upsert(make_order(oid, seq=seq - 1, receiver_name="旧名字旧")))
        apply_changes(engine, "orders", page, next_cursor=f"f{seq}")
        assert count_orders(engine) == len(live)  # kept by apply, page by page (0011)

    def newest_first(ids):
        return sorted(ids, reverse=True)

    assert [r[0] for r in _rows(cache, "SELECT id FROM orders ORDER BY id DESC")] == newest_first(live)
    for name in names:
        expected = newest_first(i for i, o in live.items() if name in o["receiver_name"])
        assert [r.id for r in search_orders(engine, name)] == expected, name
    for _province, city in cities:
        expected = newest_first(i for i, o in live.items() if o["city"] == city)
        assert [r.id for r in search_orders(engine, city)] == expected
        assert [r.id for r in search_orders(engine, city[:2])] == expected
    assert search_orders(engine, "旧名字旧") == []
    assert _rows(cache, "SELECT count(*) FROM order_lines") == [(2 * len(live),)]


def test_times_given_as_datetimes_or_offsets_are_stored_as_utc_text(cache, engine):
    from datetime import datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    order = make_order(1, created_at=datetime(2026, 11, 11, 10, 13, tzinfo=beijing),
                       paid_at="2026-11-11T10:14:00+08:00")
    snapshot(engine, "orders", [order])
    # 0009: orders' times as Unix seconds (2026-11-11T02:13:00Z and a minute later)
    assert _rows(cache, "SELECT created_at, paid_at FROM orders") == [(1794363180, 1794363240)]
    detail = get_order_detail(engine, 1)
    assert detail.created_at == datetime(2026, 11, 11, 2, 13, tzinfo=timezone.utc)


def test_page_keeps_sync_state_columns_it_does_not_own(engine):
    snapshot(engine, "orders", [], done=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE sync_state ADD COLUMN note_for_test TEXT")
        conn.exec_driver_sql("UPDATE sync_state SET note_for_test = 'kept'")
    snapshot(engine, "orders", [make_order(1)])
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT note_for_test, phase FROM sync_state").one() == ("kept", "feed")


def test_reload_keeps_old_rows_answering_until_the_new_snapshot_replaces_them(cache, engine):
    """After 410 a stream is loaded afresh BESIDE its rows: lookups keep answering; each page
    removes the rows of its id range the server no longer has; the outbox stays."""
    from workstation.models.apply import begin_reload

    snapshot(engine, "orders", [make_order(i) for i in range(6, 0, -1)])
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO outbox (mutation_id, kind, entity, entity_id, base_version, payload, status, attempts, "
            "created_at, updated_at) VALUES ('0b6f8f2e-1c1e-4a57-9d7e-2f1f9b9c0002', 'remark', 'orders', 4, 4, "
            "'{}', 'pending', 0, '2026-11-11T00:00:00Z', '2026-11-11T00:00:00Z')")
    assert not begin_reload(engine, "orders")  # nothing visible changes yet
    assert get_stream_state(engine, "orders").phase == "reload"
    assert [r.id for r in search_orders(engine, "nick_00004")] == [4]

    # Page 1 covers ids 6..3: order 4 is gone on the server, order 6 changed.
    first = snapshot(engine, "orders", [make_order(6, seq=60, receiver_name="赵敏"), make_order(5),
                                         make_order(3)], done=False, next_cursor="r1")
    change = first.get("orders")
    assert change.upserted == {6} and change.deleted == {4} and change.reindexed == {6}
    assert not change.reloaded
    assert search_orders(engine, "nick_00004") == []
    assert [r.id for r in search_orders(engine, "赵敏")] == [6]
    assert [r.id for r in search_orders(engine, "nick_00001")] == [1]  # below the floor: still there
    state = get_stream_state(engine, "orders")
    assert state.phase == "reload" and state.reload_floor == 3 and state.cursor == "r1"

    # The last page brings 2 only: 1 is gone too; the stream is live again.
    last = snapshot(engine, "orders", [make_order(2)], feed_cursor="f-new")
    change = last.get("orders")
    assert change.deleted == {1} and change.reloaded
    assert _rows(cache, "SELECT id FROM orders ORDER BY id") == [(2,), (3,), (5,), (6,)]
    assert _rows(cache, "SELECT DISTINCT order_id FROM order_lines ORDER BY 1") == [(2,), (3,), (5,), (6,)]
    assert search_orders(engine, "nick_00001") == []
    state = get_stream_state(engine, "orders")
    assert state.phase == "feed" and state.cursor == "f-new" and state.reload_floor is None
    assert _rows(cache, "SELECT count(*) FROM outbox") == [(1,)]


def test_the_order_count_follows_every_insert_and_delete(cache, engine):
    """`count_orders` (the status bar's figure, O(1)) is kept by apply in each page's own
    transaction: new orders count, a changed, stale or repeated one does not, a tombstone
    only for an order that was there; a reload's sweep and a reset take theirs off."""
    from workstation.models.apply import begin_reload

    def real():
        return _rows(cache, "SELECT count(*) FROM orders")[0][0]

    snapshot(engine, "orders", [make_order(i) for i in range(6, 2, -1)] + [make_order(5, seq=50)],
             done=False)
    assert count_orders(engine) == real() == 4
    snapshot(engine, "orders", [make_order(2), make_order(1)])
    assert count_orders(engine) == real() == 6
    apply_changes(engine, "orders", [upsert(make_order(3, seq=30)), upsert(make_order(7, seq=31)),
                                     upsert(make_order(4, seq=2)),  # stale: changes nothing
                                     delete(1, 32), delete(99, 33)], next_cursor="f1")
    assert count_orders(engine) == real() == 6  # +7 -1; 99 was never there
    apply_changes(engine, "orders", [delete(2, 1)], next_cursor="f2")  # older than the row
    assert count_orders(engine) == real() == 6
    with pytest.raises(ApplyError):  # a failing page changes no count either
        apply_changes(engine, "orders", [upsert(make_order(8, seq=40)), {"seq": 41, "op": "bogus", "id": 3}],
                      next_cursor="f3")
    assert count_orders(engine) == real() == 6
    begin_reload(engine, "orders")
    snapshot(engine, "orders", [make_order(7, seq=60), make_order(5, seq=61)], done=False, next_cursor="r1")
    assert count_orders(engine) == real() == 5  # 6 was swept
    snapshot(engine, "orders", [make_order(3, seq=62)], feed_cursor="f-new")
    assert count_orders(engine) == real() == 3  # 4 and 2 were swept
    reset_stream(engine, "orders")
    assert count_orders(engine) == real() == 0
    snapshot(engine, "orders", [make_order(1)])
    assert count_orders(engine) == real() == 1


def test_every_write_says_what_it_changed(cache, engine):
    first = snapshot(engine, "orders", [make_order(2), make_order(1)])
    change = first.get("orders")
    assert change.inserted == change.upserted == change.reindexed == {1, 2} and not change.deleted
    # A status change is an upsert that leaves the search text alone.
    moved = apply_changes(engine, "orders", [upsert(make_order(1, seq=5, status="shipped")),
                                             delete(2, seq=6)], next_cursor="f1")
    change = moved.get("orders")
    assert change.upserted == {1} and change.inserted == set() and change.reindexed == set()
    assert change.deleted == {2}
    # Nothing new: an empty change set (panes re-query nothing).
    assert not apply_changes(engine, "orders", [upsert(make_order(1, seq=5, status="shipped"))],
                             next_cursor="f2")
    assert not apply_changes(engine, "orders", [], next_cursor="f3")
    buyers = snapshot(engine, "buyers", [make_buyer(7)])
    assert set(buyers.streams) == {"buyers"} and buyers.get("buyers").upserted == {7}


def test_a_first_load_leaves_the_file_compact(cache, engine):
    """Snapshot pages come newest first (ids going down). Written as they come, every
    B-tree page of `orders` and `order_lines` would end up about half full and the cache
    nearly twice its size on the agent's disk; written in ascending id order within each
    page they stay full, close to what VACUUM would make of them."""
    n, page = 3000, 1000  # the app's page size: the small rows of order_lines need whole batches
    for hi in range(n, 0, -page):
        snapshot(engine, "orders", [make_order(i) for i in range(hi, hi - page, -1)],
                 done=hi - page <= 0)
    sql = "SELECT name, count(*) FROM dbstat WHERE name IN ('orders', 'order_lines') GROUP BY name"
    before = dict(_rows(cache, sql))
    with sqlite3.connect(cache.path) as con:
        con.execute("VACUUM")
    after = dict(_rows(cache, sql))
    for table in ("orders", "order_lines"):
        assert before[table] <= after[table] * 1.25, (table, before[table], after[table])


def test_order_numbers_and_places_are_stored_once_and_read_back_as_sent(cache, engine):
    """0010: the 18-digit number is an integer (its leading zero comes back), an order's
    province, city and district a shared row of `places`; an order that moves is found at
    its new place only."""
    zero = make_order(2, order_no="061111000000000002", province="新疆维吾尔自治区", city="伊犁哈萨克自治州",
                      district="霍城县")
    snapshot(engine, "orders", [make_order(1), zero, make_order(3)])
    assert _rows(cache, "SELECT DISTINCT typeof(order_no) FROM orders") == [("integer",)]
    assert _rows(cache, "SELECT count(*) FROM places") == [(2,)]
    detail = get_order_detail(engine, 2)
    assert (detail.order_no, detail.province, detail.city, detail.district) == (
        "061111000000000002", "新疆维吾尔自治区", "伊犁哈萨克自治州", "霍城县")
    assert [r.order_no for r in search_orders(engine, "061111000000000002")] == ["061111000000000002"]
    full_width = zero["order_no"].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert [r.id for r in search_orders(engine, full_width)] == [2]
    assert [r.id for r in search_orders(engine, "1111000000000002")] == [2]  # a fragment of the number
    assert [r.id for r in search_orders(engine, "霍城县")] == [2]
    assert [r.id for r in search_orders(engine, "自治区伊犁")] == [2]  # across province and city
    apply_changes(engine, "orders", [upsert(make_order(2, seq=10, order_no=zero["order_no"], district="上城区"))],
                  next_cursor="f1")
    assert search_orders(engine, "霍城县") == []
    assert [r.id for r in search_orders(engine, "上城区")] == [2]
    assert [r.id for r in search_orders(engine, "西湖区")] == [3, 1]
    assert _rows(cache, "SELECT count(*) FROM places") == [(3,)]  # places are never removed
