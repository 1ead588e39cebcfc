"""Order lookup, issue 11: every word of a query means what it means alone and all must
hold; tracking numbers and Chinese words from anywhere; pages and counts. Real cache files,
filled through the real apply path."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cache.conftest import delete, make_order, snapshot, upsert
from workstation.models.apply import apply_changes, begin_reload, reset_stream
from workstation.models.search import count_matches, count_orders, search_orders, search_page


def ids(rows):
    return [r.id for r in rows]


ZW_5678 = dict(receiver_name="张伟", receiver_phone="13912345678", province="浙江省", city="杭州市",
               district="西湖区", address_detail="文三路100号")


def _shop_orders() -> list[dict]:
    return [
        make_order(1, **ZW_5678, buyer_nick="可爱的柠檬297", tracking_no="YT3300099887766"),
        # 张伟 too, but 5678 only in the order number and the address: not the phone's tail
        make_order(2, receiver_name="张伟", receiver_phone="13700001234", order_no="261111000000005678",
                   province="湖北省", city="武汉市", district="江岸区", address_detail="长江路5678号",
                   buyer_nick="sunny_girl", tracking_no="78812345670012"),
        make_order(3, receiver_name="李娜", receiver_phone="18600005678", province="浙江省", city="杭州市",
                   district="西湖区", address_detail="天目山路8号", buyer_nick="tb_lily"),
        make_order(4, receiver_name="刘丽", receiver_phone="15900001111", province="浙江省", city="宁波市",
                   district="鄞州区", address_detail="天童南路8号", buyer_nick="tb_lily"),
        make_order(5, **{**ZW_5678, "district": "滨江区", "address_detail": "江南大道3号"},
                   buyer_nick="zw_2024", tracking_no="SF1400098765"),
        make_order(6, receiver_name="王芳", receiver_phone="13600006666", province="上海市", city="上海市",
                   district="浦东新区", address_detail="世纪大道1号", buyer_nick="向日葵62", tracking_no=None),
    ]


@pytest.fixture(scope="module")
def shared_shop(tmp_path_factory):
    """The shop for read-only tests: one cache file for the module (opening one costs ~0.1 s)."""
    from workstation.models.db import open_cache

    cache = open_cache(tmp_path_factory.mktemp("shop") / "cache.sqlite")
    snapshot(cache.engine, "orders", _shop_orders())
    yield cache.engine
    cache.close()


@pytest.fixture
def shop(shared_shop):
    return shared_shop


@pytest.fixture
def own_shop(engine):
    """The shop in a cache of the test's own, for tests that write."""
    snapshot(engine, "orders", _shop_orders())
    return engine


@pytest.mark.parametrize("query, expected", [
    ("张伟 5678", [5, 1]),
    ("5678 张伟", [5, 1]),
    ("西湖区 5678", [3, 1]),
    ("tb_lily 杭州", [3]),
    ("杭州 tb_lily", [3]),
    ("张伟 13912345678", [5, 1]),
    ("13912345678 滨江", [5]),
    ("张伟 261111000000005678", [2]),
    ("李娜 261111000000005678", []),
    ("张伟 5678 滨江区", [5]),
    ("张伟 1234", [2]),
    ("张伟 9999", []),
])
def test_every_word_means_what_it_means_alone(shop, query, expected):
    assert ids(search_orders(shop, query)) == expected


def test_four_digits_is_the_phone_tail_never_a_number_fragment(shop):
    # order 2 holds 5678 in its order number and its street, not in the phone
    assert ids(search_orders(shop, "5678")) == [5, 3, 1]


def test_full_width_digits_and_spaces(shop):
    assert ids(search_orders(shop, "张伟　５６７８")) == [5, 1]
    assert ids(search_orders(shop, "ｔｂ＿ｌｉｌｙ　杭州")) == [3]
    assert ids(search_orders(shop, "１３９１２３４５６７８")) == [5, 1]


@pytest.mark.parametrize("fragment, expected", [
    ("0099887", [1]),  # from the middle
    ("9887766", [1]),  # the last 7 digits, as read out on the phone
    ("8812345670", [2]),
    ("sf1400", [5]),  # prefix, any case
    ("400098765", [5]),
    ("330009", [1]),
])
def test_tracking_number_by_fragment(shop, fragment, expected):
    assert ids(search_orders(shop, fragment)) == expected


def test_two_character_chinese_words_inside_nicknames_and_streets(shop):
    assert ids(search_orders(shop, "柠檬")) == [1]
    assert ids(search_orders(shop, "的柠檬")) == [1]
    assert ids(search_orders(shop, "长江")) == [2]
    assert ids(search_orders(shop, "长江路")) == [2]
    assert ids(search_orders(shop, "日葵")) == [6]
    assert ids(search_orders(shop, "日葵62")) == [6]
    assert ids(search_orders(shop, "葵6")) == [6]
    assert ids(search_orders(shop, "浦东 王")) == [6]  # one character: the surname


def test_words_match_inside_one_field_not_across_fields(shop):
    # the nick ends in 297 and the name starts with 张: no order holds "297张"
    assert search_orders(shop, "297张伟") == []
    assert ids(search_orders(shop, "西湖区文三路")) == [5 - 4]  # district + street is one address


def test_a_word_too_short_to_look_up_still_narrows(shop):
    assert ids(search_orders(shop, "张伟 zw")) == [5]
    assert ids(search_orders(shop, "sunny 12")) == [2]  # in its tracking number
    assert ids(search_orders(shop, "张伟 滨")) == []  # one Chinese character is a surname
    assert search_orders(shop, "ab") == []  # alone it is not looked up (no full scan)


@pytest.mark.parametrize("text", [
    '张伟 "', '5678 *', "OR 5678", "张伟 NEAR(", "AND 张伟", '"张伟" 5678', "张伟 -", "5678 ^",
    "x" * 99 + " 5678", "张伟 " * 300, "1 2 3 4 5 6 7 8 9", "张伟\x00 5678", "🙂 张伟", "張偉 5678",
    "5678 5678", "13912345678 13912345678", "tb_lily tb_lily",
])
def test_hostile_combinations_never_raise(shop, text):
    rows = search_orders(shop, text)
    assert isinstance(rows, list)


def test_repeated_and_quoted_words(shop):
    assert ids(search_orders(shop, "5678 5678")) == [5, 3, 1]
    assert ids(search_orders(shop, '"张伟" 5678')) == []  # the quotes are text, and no order holds them


@pytest.fixture
def many(engine):
    """120 orders of 张伟 in 西湖区, phone tails alternating."""
    snapshot(engine, "orders", [make_order(i, **{**ZW_5678, "receiver_phone": f"139000{i:05d}"})
                                for i in range(1, 121)])
    return engine


def test_more_than_a_page_scrolls_on_to_older_matches(many):
    first = search_page(many, "张伟 西湖", limit=50)
    assert ids(first.rows) == list(range(120, 70, -1)) and first.more
    second = search_page(many, "张伟 西湖", limit=50, before=first.next_before)
    assert ids(second.rows) == list(range(70, 20, -1)) and second.more
    third = search_page(many, "张伟 西湖", limit=50, before=second.next_before)
    assert ids(third.rows) == list(range(20, 0, -1)) and not third.more and third.next_before is None


def test_scrolling_keeps_exact_numbers_on_the_first_page_only(many):
    no = make_order(3)["order_no"]
    first = search_page(many, no, limit=2)
    assert ids(first.rows) == [3]
    assert not first.more  # a whole number that matched exactly is the answer


def test_count_matches_says_how_many_or_more_than(many):
    assert count_matches(many, "张伟 西湖") == (120, True)
    assert count_matches(many, "张伟 西湖", up_to=100) == (100, False)
    assert count_matches(many, "张伟 00107") == (1, True)
    assert count_matches(many, "李娜") == (0, True)
    assert count_matches(many, "") == (0, True)


def test_count_orders_follows_every_write(engine):
    assert count_orders(engine) == 0
    snapshot(engine, "orders", [make_order(i) for i in range(1, 6)])
    assert count_orders(engine) == 5
    apply_changes(engine, "orders", [upsert(make_order(2, seq=20, status="shipped")), upsert(make_order(9, seq=21)),
                                     delete(1, seq=22), delete(77, seq=23)], next_cursor="f1")
    assert count_orders(engine) == 5  # +9 -1; the update and the unknown delete change nothing
    begin_reload(engine, "orders")
    snapshot(engine, "orders", [make_order(9, seq=30), make_order(3, seq=31)], feed_cursor="f2")
    assert count_orders(engine) == 2  # the reload swept the orders the server no longer has
    reset_stream(engine, "orders")
    assert count_orders(engine) == 0


def test_index_follows_searchable_changes_and_says_so(own_shop):
    shop = own_shop
    shipped = make_order(6, seq=40, receiver_name="王芳", receiver_phone="13600006666", province="上海市",
                         city="上海市", district="浦东新区", address_detail="世纪大道1号", buyer_nick="向日葵62",
                         tracking_no="JT0001234567", status="shipped")
    change = apply_changes(shop, "orders", [upsert(shipped)], next_cursor="f1")
    assert change.streams["orders"].reindexed == {6}  # a new tracking number is searchable text
    assert ids(search_orders(shop, "jt000123")) == [6]
    remark = make_order(6, seq=41, **{k: shipped[k] for k in (
        "receiver_name", "receiver_phone", "province", "city", "district", "address_detail", "buyer_nick",
        "tracking_no", "status")}, remark="已催发货")
    assert apply_changes(shop, "orders", [upsert(remark)], next_cursor="f2").streams["orders"].reindexed == set()
    moved = {**remark, "seq": 42, "address_detail": "长江路9号"}
    apply_changes(shop, "orders", [upsert(moved)], next_cursor="f3")
    assert ids(search_orders(shop, "长江")) == [6, 2] and ids(search_orders(shop, "世纪")) == []


@pytest.mark.parametrize("text", ["张伟 5678", "5678 张伟", "西湖区 5678", "tb_lily 杭州", "张伟 13912345678",
                                  "张伟 261111000000005678", "0099887", "柠檬", "长江", "45678", "张伟 zw",
                                  "张伟 西湖"])
def test_no_combined_lookup_scans_the_orders_table(shop, text):
    from workstation.models.search import _match_ids, normalize_query

    statements: list[str] = []
    with shop.connect() as conn:
        raw = conn.connection.driver_connection
        raw.set_trace_callback(statements.append)
        try:
            _match_ids(raw.cursor(), normalize_query(text), 50)
        finally:
            raw.set_trace_callback(None)
        plans = [row[3] for sql in statements if sql.lstrip().upper().startswith("SELECT")
                 for row in raw.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans
    assert not [p for p in plans if re.match(r"SCAN (orders|o)( |$)", p) or "TEMP B-TREE" in p], plans


# ---- the index's tokens are part of the file format ---------------------------------------

def _tokens_0005(order_no, nick, name, address, tracking):
    """order_tokens as migration 0005 defined it (field by field): what every cache's index
    holds. A contentless index forgets its text, so a delete must present exactly these."""
    # The 0005 patterns written out here, not imported: an edit of models.fts must not move
    # the reference with it.
    cjk = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    pairs_re = re.compile(f"(?=([{cjk}][^\\s]|[^\\s][{cjk}]))")
    trigrams_re = re.compile(f"(?=([^{cjk}\\s]{{3}}))")
    plain_text = re.compile(f"[0-9a-z{cjk}\\s]*")
    plain = re.compile(f"[0-9a-z{cjk}]+", re.ASCII)

    def _token(text):
        return text if plain.fullmatch(text) else "x" + text.encode().hex()

    def field(text):
        text = text.lower()
        grams = pairs_re.findall(text) + trigrams_re.findall(text)
        return grams if plain_text.fullmatch(text) else [_token(g) for g in grams]

    tokens = [_token(name[0].lower())] if name else []
    for text in (order_no, tracking, nick, name, address):
        if text:
            tokens += field(text)
    return tokens


def _tokens_0012(order_no, nick, name, address, tracking):
    """0012: the 0005 tokens and every 4 adjacent ASCII digits of each field."""
    quads = [q for text in (order_no, tracking, nick, name, address) if text
             for q in re.findall("(?=([0-9]{4}))", text.lower())]
    return _tokens_0005(order_no, nick, name, address, tracking) + quads


@pytest.mark.parametrize("fields", [
    ("261111000000005678", "可爱的柠檬297", "张伟", "浙江省杭州市西湖区文三路100号", "YT3300099887766"),
    ("261111000000005678", "Tb_Lily", "", "", None),
    ("261111000000005678", "ΣΟΦΙΑΣ ΑΣ", " 王 五", "路\t12\n号 A-3  室", ""),
    ("261111000000005678", "ｔｂ＿ＬＩＬＹ１２３", "Ĳssel", "🍋柠檬 x ٣٤٥ Straße", "SF 1234 5678"),
    ("261111000000005678", "a", "é", "b", "ab"),
    ("261111000000005678", "tb_2024_0618", "李1234", "广东省深圳市南山区1234567号", "JD0012345678901"),
])
def test_order_tokens_are_those_every_cached_index_holds(fields):
    """order_tokens scans the fields in one pass (first sync speed) yet yields exactly the
    tokens of the 0012 definition, so indexes built before can still be updated; and those
    of 0005..0011 for a downgrade."""
    from collections import Counter

    from workstation.models.fts import order_tokens, order_tokens_0011

    assert Counter(order_tokens(*fields).split()) == Counter(_tokens_0012(*fields))
    assert Counter(order_tokens_0011(*fields).split()) == Counter(_tokens_0005(*fields))
    order_no, nick, name, address, tracking = fields
    for place in range(len(address) + 1):  # the address's province+city+district told apart
        assert Counter(order_tokens(*fields, place=place).split()) == Counter(_tokens_0012(*fields)), place
        assert Counter(order_tokens(*fields, place=place, quads=False).split()) == Counter(
            _tokens_0005(*fields)), place


# What agents' data holds, and what trips a tokenizer up: Chinese, ASCII of every kind,
# whitespace that is not a space (\x1c counts as one), a Greek sigma (its lower case depends
# on the next letter), İ (lower-cases to two characters), full-width forms, an emoji.
_TEXT = st.text(st.sampled_from(list("张伟柠檬西湖区路号栋aZ09_-. \t\x1cΣΑßİＡ１🍋")), max_size=14)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(order_no=_TEXT, nick=_TEXT, name=_TEXT, place=_TEXT, detail=_TEXT, tracking=st.none() | _TEXT)
def test_a_wire_orders_tokens_are_those_every_cached_index_holds(order_no, nick, name, place, detail,
                                                                 tracking):
    """What a first sync indexes (`item_tokens`: each field its quickest way, the place's
    grams looked up) is, token for token, the 0005 definition of the same order."""
    from collections import Counter

    from workstation.models.fts import item_tokens

    order = {"order_no": order_no, "buyer_nick": nick, "receiver_name": name, "province": place[:3],
             "city": place[3:5], "district": place[5:], "address_detail": detail, "tracking_no": tracking}
    assert Counter(item_tokens(order).split()) == Counter(_tokens_0005(order_no, nick, name, place + detail,
                                                                       tracking))
