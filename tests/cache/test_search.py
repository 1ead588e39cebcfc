"""Order lookup: every kind of input an agent types, hostile input, ranking, detail."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from tests.cache.conftest import make_buyer, make_order, snapshot
from workstation.models.search import (count_orders, get_order_detail, normalize_query, recent_orders,
                                       search_orders)


def ids(rows):
    return [r.id for r in rows]


@pytest.fixture
def shop(engine):
    """Ten orders with distinct people and places; ids follow recency."""
    orders = [
        make_order(1, receiver_name="张伟", buyer_nick="sunny_girl", receiver_phone="13912345678",
                   province="浙江省", city="杭州市", district="西湖区", address_detail="文三路100号"),
        make_order(2, receiver_name="张伟明", buyer_nick="秋天的风", receiver_phone="13700005678",
                   province="浙江省", city="宁波市", district="鄞州区", address_detail="天童南路8号"),
        make_order(3, receiver_name="李娜", buyer_nick="lina_88", receiver_phone="18600001111",
                   province="广东省", city="广州市", district="天河区", address_detail="体育西路1号",
                   tracking_no="YT1234567890123", carrier="圆通"),
        make_order(4, receiver_name="欧阳娜娜", buyer_nick="oy_nana", receiver_phone="15000002222",
                   province="北京市", city="北京市", district="朝阳区", address_detail="建国路88号"),
        make_order(5, receiver_name="张伟", buyer_nick="zw_2024", receiver_phone="13800005678",
                   province="浙江省", city="杭州市", district="滨江区", address_detail="江南大道3号",
                   remark="换货：红色缺货", remark_flag=1, remark_by="1024", remark_at="2026-11-11T03:00:00Z"),
        make_order(6, receiver_name="王", buyer_nick="wang", receiver_phone="13600006666",
                   province="上海市", city="上海市", district="浦东新区", address_detail="世纪大道1号"),
    ]
    snapshot(engine, "orders", orders)
    snapshot(engine, "buyers", [make_buyer(1005, nick="zw_2024")])
    return engine


def test_empty_and_blank_queries_return_nothing(shop):
    assert search_orders(shop, "") == []
    assert search_orders(shop, "   \t ") == []


def test_exact_order_number(shop):
    no = make_order(3)["order_no"]
    rows = search_orders(shop, no)
    assert ids(rows)[0] == 3
    assert rows[0].order_no == no and rows[0].created_at.tzinfo == timezone.utc


def test_order_number_fragment_newest_first(shop):
    # "2026111100000000" prefix is shared by every order in the fixture.
    assert ids(search_orders(shop, "2026111100")) == [6, 5, 4, 3, 2, 1]
    assert ids(search_orders(shop, make_order(4)["order_no"][-6:])) == [4]


def test_exact_number_ranks_before_newer_fragment_matches(engine):
    older = make_order(1, order_no="261111000000012345")
    newer = make_order(2, order_no="261111000000123456")  # contains the older one's tail
    snapshot(engine, "orders", [older, newer])
    assert ids(search_orders(engine, "000000012345")) == [1]
    assert ids(search_orders(engine, "261111000000012345")) == [1]
    assert ids(search_orders(engine, "0000001234")) == [2, 1]


def test_tracking_number_exact_and_case_insensitive(shop):
    assert ids(search_orders(shop, "YT1234567890123")) == [3]
    assert ids(search_orders(shop, "yt1234567890123")) == [3]
    assert ids(search_orders(shop, "yt1234567")) == [3]  # pasted prefix


def test_buyer_nickname_fragment(shop):
    assert ids(search_orders(shop, "nana")) == [4]
    assert ids(search_orders(shop, "天的风")) == [2]
    assert ids(search_orders(shop, "SUNNY")) == [1]


def test_three_char_name(shop):
    assert ids(search_orders(shop, "张伟明")) == [2]
    assert ids(search_orders(shop, "欧阳娜娜")) == [4]


def test_two_char_name_uses_short_index(shop):
    # 张伟 and 张伟明 both contain 张伟; newest first.
    assert ids(search_orders(shop, "张伟")) == [5, 2, 1]
    assert ids(search_orders(shop, "李娜")) == [3]


def test_one_char_name(shop):
    assert ids(search_orders(shop, "王")) == [6]
    assert ids(search_orders(shop, "张")) == [5, 2, 1]


def test_phone_full_and_last_four(shop):
    assert ids(search_orders(shop, "13912345678")) == [1]
    assert ids(search_orders(shop, "139-1234-5678")) == [1]
    assert ids(search_orders(shop, "+86 139 1234 5678")) == [1]
    assert ids(search_orders(shop, "5678")) == [5, 2, 1]
    assert ids(search_orders(shop, "45678")) == [3, 1]  # phone's last digits; 3: in its tracking no.
    assert ids(search_orders(shop, "005678")) == [5, 2]
    assert ids(search_orders(shop, "1111")) == [3]


def test_full_width_digits_and_letters(shop):
    assert ids(search_orders(shop, "５６７８")) == [5, 2, 1]
    assert ids(search_orders(shop, "ＹＴ１２３４５６７８９０１２３")) == [3]
    assert normalize_query("  ｎａｎａ　 ２０２４  ") == "nana 2024"


def test_address_fragments(shop):
    assert ids(search_orders(shop, "杭州市")) == [5, 1]
    assert ids(search_orders(shop, "杭州")) == [5, 1]  # 2 characters: short index
    assert ids(search_orders(shop, "西湖区文三路")) == [1]  # across district + street
    assert ids(search_orders(shop, "浙江省杭州市滨江区")) == [5]
    assert ids(search_orders(shop, "体育西路")) == [3]


def test_several_words_must_all_match(shop):
    assert ids(search_orders(shop, "张伟 杭州")) == [5, 1]
    assert ids(search_orders(shop, "张伟 滨江区")) == [5]
    assert ids(search_orders(shop, "张伟明 宁波市")) == [2]
    assert ids(search_orders(shop, "李娜 杭州")) == []


@pytest.mark.parametrize("text", [
    "SO-2024", '"', '""', "*", "OR", "AND", "NOT", "NEAR(", "NEAR(a b)", 'a"b', "a*", "^abc",
    "col:abc", "{order_no}: 1", "(", ")", "-", "--", "'", "\\", "%", "_", "\x00", "🙂", "张\"伟",
    "x" * 10_000, "张伟 " * 500, "1234" * 300, "\n\t",
])
def test_hostile_input_never_raises(shop, text):
    rows = search_orders(shop, text)
    assert isinstance(rows, list)


def test_quote_inside_query_is_text(engine):
    snapshot(engine, "orders", [make_order(1, buyer_nick='a"bc"d')])
    assert ids(search_orders(engine, 'a"bc')) == [1]


def test_limit(shop):
    assert ids(search_orders(shop, "2026111100", limit=2)) == [6, 5]
    assert search_orders(shop, "2026111100", limit=0) == []


def test_no_match(shop):
    assert search_orders(shop, "不存在的名字") == []
    assert search_orders(shop, "9999") == []


def test_search_sees_changes(shop):
    from tests.cache.conftest import upsert
    from workstation.models.apply import apply_changes

    apply_changes(shop, "orders", [upsert(make_order(3, seq=50, receiver_name="赵敏"))], next_cursor="f1")
    assert ids(search_orders(shop, "李娜")) == []
    assert ids(search_orders(shop, "赵敏")) == [3]


def test_status_change_keeps_search_entries(shop):
    from tests.cache.conftest import upsert
    from workstation.models.apply import apply_changes

    changed = make_order(1, seq=60, status="shipped", receiver_name="张伟", buyer_nick="sunny_girl",
                         receiver_phone="13912345678", province="浙江省", city="杭州市", district="西湖区",
                         address_detail="文三路100号")
    apply_changes(shop, "orders", [upsert(changed)], next_cursor="f1")
    assert search_orders(shop, "sunny")[0].status == "shipped"
    assert ids(search_orders(shop, "张伟 西湖")) == [1]


def test_count_orders(shop, engine):
    assert count_orders(shop) == 6


def test_recent_orders_newest_first(shop):
    rows = recent_orders(shop)
    assert ids(rows) == [6, 5, 4, 3, 2, 1]
    assert rows[2] == search_orders(shop, make_order(4)["order_no"])[0]  # the same complete rows


def test_recent_orders_limit(shop):
    assert ids(recent_orders(shop, limit=2)) == [6, 5]
    assert recent_orders(shop, limit=0) == []


def test_recent_orders_follow_changes(shop):
    from tests.cache.conftest import delete, upsert
    from workstation.models.apply import apply_changes

    apply_changes(shop, "orders", [upsert(make_order(7, seq=20)), delete(6, seq=21)], next_cursor="feed-1")
    assert ids(recent_orders(shop, limit=3)) == [7, 5, 4]


def test_recent_orders_of_an_empty_cache(engine):
    assert recent_orders(engine) == []


def test_recent_orders_stream_the_rowid_backwards(shop):
    """No sort over the whole table (that would be a full pass at 1M orders)."""
    from workstation.models.search import _NEWEST_IDS_SQL

    with shop.connect() as conn:
        raw = conn.connection.driver_connection
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + _NEWEST_IDS_SQL, (50,))]
    assert plan and not [p for p in plan if "TEMP B-TREE" in p], plan


def test_order_detail_with_lines_remark_and_buyer(shop):
    d = get_order_detail(shop, 5)
    assert d is not None
    assert (d.receiver_name, d.address) == ("张伟", "浙江省杭州市滨江区江南大道3号")
    assert (d.remark, d.remark_flag, d.remark_by) == ("换货：红色缺货", 1, "1024")
    assert d.remark_at == datetime(2026, 11, 11, 3, 0, tzinfo=timezone.utc)
    assert [(li.id, li.product_name, li.qty) for li in d.lines] == [(51, "羊毛衫", 1), (52, "围巾", 2)]
    assert d.buyer_member_level == "vip"
    assert d.buyer_first_order_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_order_detail_without_cached_buyer_and_missing_order(shop):
    d = get_order_detail(shop, 1)
    assert d is not None and d.buyer_member_level is None and d.shipped_at is None
    assert get_order_detail(shop, 999) is None


@pytest.mark.parametrize("text", ["张伟", "张", "杭州", "5678", "45678", "13912345678", "nana", "张伟 杭州",
                                  "西湖区文三路", "YT1234567890123", "yt1234567", "2026111100"])
def test_no_lookup_scans_the_orders_table(shop, text):
    """Every path is an index seek or an FTS lookup: a full scan is ~170 ms at 1M orders."""
    statements: list[str] = []
    with shop.connect() as conn:
        raw = conn.connection.driver_connection
        raw.set_trace_callback(statements.append)
        try:
            from workstation.models.search import _exact_ids, _match_ids, normalize_query

            q = normalize_query(text)
            _exact_ids(raw.cursor(), q)
            _match_ids(raw.cursor(), q, 50)
        finally:
            raw.set_trace_callback(None)
        plans = [row[3] for sql in statements if sql.lstrip().upper().startswith("SELECT")
                 for row in raw.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans
    assert not [p for p in plans if re.match(r"SCAN (orders|o)( |$)", p)], plans
