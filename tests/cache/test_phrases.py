"""Quick phrases over a real cache file: pinyin search and its ranking, the variables filled
from the cache (and what is missing), the auto-reply's 4-line rule, the writes through the
outbox (create shown until pulled, edit overlaid, delete hidden)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.cache.conftest import make_agent, make_buyer, make_conversation, make_order, make_product, snapshot, upsert
from workstation.models import outbox
from workstation.models import phrase_fill as pf
from workstation.models import phrases as ph
from workstation.models.apply import apply_changes
from workstation.models.outbox import OutboxError
from workstation.settings import AgentIdentity

T0 = datetime(2026, 11, 11, 2, 0, tzinfo=timezone.utc)


def make_phrase(id: int, title: str, text: str, *, shortcut: str = "", category: str = "other",
                owner: str | None = None, seq: int | None = None, version: int = 1, minute: int = 0) -> dict:
    return {"id": id, "seq": seq or id, "version": version, "owner_agent_no": owner, "category": category,
            "title": title, "shortcut": shortcut, "text": text, "updated_by": "2048",
            "updated_at": f"2026-11-10T01:{minute:02d}:00Z"}


LIBRARY = [
    make_phrase(1, "快递查询", "亲，您的快递是{carrier}，单号{tracking_no}", shortcut="kd", category="logistics"),
    make_phrase(2, "催发货安抚", "亲，已经帮您催仓库了，今天{cutoff_time}前付款的当天发", category="ship_faster"),
    make_phrase(3, "议价回复", "亲，小店价格已经是最低了哦", shortcut="yj", category="bargain"),
    make_phrase(4, "问候", "您好，欢迎光临{shop_name}，我是客服{agent_name}", shortcut="hi", category="greeting"),
    make_phrase(5, "发货时间", "亲，我们48小时内发货，快递一般三天到", category="arrival", minute=5),
    make_phrase(6, "别人的私人短语", "不该看到", owner="4096"),
    make_phrase(7, "我的短语", "我自己的快递话术", owner="1024", shortcut="wd"),
]


@pytest.fixture
def library(engine):
    snapshot(engine, "phrases", LIBRARY)
    snapshot(engine, "agents", [make_agent(1, "1024", display_name="小美")])
    return ph.PhraseIndex(engine, "1024")


def titles(matches) -> list[str]:
    return [m.phrase.title for m in matches]


def test_pinyin_initials_find_kuaidi_and_rank_shortcut_first(library):
    found = titles(library.search("kd"))
    assert found[0] == "快递查询"                       # shortcut kd, then pinyin of the titles
    assert "我的短语" in found and "发货时间" in found  # kd in the text's initials (快递)
    assert "别人的私人短语" not in titles(library.search("")), "another agent's personal phrase"
    assert titles(library.search("kuaidi"))[0] == "快递查询"  # whole syllables
    assert titles(library.search("ＫＤ")) == found      # full-width input
    assert titles(library.search("快递 单号")) == ["快递查询"]  # every word must match
    assert titles(library.search("fh"))[:2] == ["发货时间", "催发货安抚"]  # both by title pinyin: newest first
    assert library.search("zzzz") == []


@pytest.mark.parametrize("hostile", ["' OR 1=1 --", '"', "{tracking_no}", "\x00", "*" * 5000, "(", "\\", "🙂"])
def test_hostile_queries_are_just_text(library, hostile):
    assert isinstance(library.search(hostile), list)


def test_ties_go_to_the_most_used_and_the_empty_query_lists_them(engine, library):
    assert titles(library.search("亲"))[0] == "发货时间"  # newest among equals
    for _ in range(3):
        engine_use = ph.record_use(engine, 3, now=T0)
        assert engine_use.get("phrase_use").upserted == {3}
    ph.record_use(engine, 2, now=T0 + timedelta(minutes=1))
    assert library.refresh()
    assert titles(library.search("亲"))[:2] == ["议价回复", "催发货安抚"]
    assert titles(library.search(""))[:2] == ["议价回复", "催发货安抚"]
    assert not library.refresh()  # nothing moved: no re-read


@pytest.fixture
def buyer_cache(engine):
    snapshot(engine, "buyers", [make_buyer(501, nick="tb_lily", name="林莉")])
    snapshot(engine, "orders", [
        make_order(10, buyer_id=501, buyer_nick="tb_lily", status="shipped", carrier="顺丰", tracking_no="SF123"),
        make_order(11, buyer_id=501, buyer_nick="tb_lily", status="paid", carrier=None, tracking_no=None,
                   lines=[{"id": 111, "sku_id": 7, "style_no": "ST-1", "product_name": "羊毛衫", "colour": "红",
                           "size": "M", "outer_id": "ST-1-RED-M", "qty": 1, "unit_price_cents": 12900}]),
    ])
    snapshot(engine, "stock", [{"id": 1, "seq": 1, "sku_id": 7, "warehouse_id": 1, "qty": 9, "reserved": 2,
                                "page_qty": 50},
                               {"id": 2, "seq": 2, "sku_id": 7, "warehouse_id": 2, "qty": 3, "reserved": 0,
                                "page_qty": 0}])
    snapshot(engine, "shop_settings", [{"id": 1, "seq": 3, "version": 1, "shop_name": "棉麻小铺",
                                        "auto_reply_enabled": False, "auto_reply_text": "", "cutoff_time": "16:00",
                                        "updated_by": None, "updated_at": None}])
    snapshot(engine, "conversations", [make_conversation(7, buyer_id=501, buyer_nick="tb_lily")])
    return engine


AGENT = AgentIdentity(1, "amy", "小美", "1024", 1, "棉麻小铺")


def test_fill_uses_the_context_order_and_prompts_for_what_is_missing(buyer_cache):
    text = "{buyer_name}您好，订单{order_no}（{order_status}）由{carrier}发出，单号{tracking_no}"
    shipped = pf.fill(buyer_cache, text, pf.FillContext(conversation_id=7, order_id=10, agent=AGENT))
    assert shipped.complete
    assert shipped.text == "林莉您好，订单202611110000000010（已发货）由顺丰发出，单号SF123"
    # Without a context order: the newest open order (paid, nothing shipped yet); both are offered
    newest = pf.fill(buyer_cache, text, pf.FillContext(conversation_id=7, agent=AGENT))
    assert newest.order_id == 11
    assert newest.missing == ["carrier", "tracking_no"]
    assert [(n, label) for n, label in newest.labels()] == [("carrier", "快递公司"), ("tracking_no", "快递单号")]
    assert "{tracking_no}" in newest.text and "订单202611110000000011（已付款）" in newest.text
    assert [c.order_id for c in newest.choices["order"]] == [11, 10]
    with pytest.raises(OutboxError, match="快递单号"):
        pf.apply_answers(newest, {"carrier": "中通", "tracking_no": "  "})
    final = pf.apply_answers(newest, {"carrier": "中通", "tracking_no": "ZT{order_no}9"})
    assert final == "林莉您好，订单202611110000000011（已付款）由中通发出，单号ZT{order_no}9"  # typed text kept as is


def test_fill_stock_shop_agent_and_cutoff(buyer_cache):
    f = pf.fill(buyer_cache, "{shop_name}的{agent_name}：还剩{sku_stock}件，{cutoff_time}前付款当天发",
                pf.FillContext(conversation_id=7, order_id=11, agent=AGENT))
    assert f.text == "棉麻小铺的小美：还剩10件，16:00前付款当天发" and f.complete
    two_lines = pf.fill(buyer_cache, "还剩{sku_stock}件", pf.FillContext(conversation_id=7, order_id=10))
    assert two_lines.missing == ["sku_stock"] and {c.sku_id for c in two_lines.choices["sku"]} == {7, 8}
    picked = pf.fill(buyer_cache, "还剩{sku_stock}件", pf.FillContext(conversation_id=7, order_id=10, sku_id=7))
    assert picked.text == "还剩10件" and {c.sku_id for c in picked.choices["sku"]} == {7, 8}
    nobody = pf.fill(buyer_cache, "{buyer_nick}，单号{tracking_no}", pf.FillContext(buyer_id=999))
    assert nobody.missing == ["buyer_nick", "tracking_no"] and nobody.choices == {}


def test_stock_of_the_product_the_buyer_is_viewing(buyer_cache):
    """A pre-sales buyer on a product page ("还有L码吗?"): the stock offered is of that
    product's SKUs (the agent picks the size), not of an item in an old order."""
    snapshot(buyer_cache, "products", [make_product(3, skus=2)])  # SKUs 300, 301
    snapshot(buyer_cache, "stock", [{"id": 5, "seq": 5, "sku_id": 301, "warehouse_id": 1, "qty": 6,
                                     "reserved": 1, "page_qty": 6}])
    snapshot(buyer_cache, "conversations", [make_conversation(7, seq=50, buyer_id=501, buyer_nick="tb_lily",
                                                              product_id=3)])
    viewing = pf.fill(buyer_cache, "还剩{sku_stock}件", pf.FillContext(conversation_id=7))
    assert viewing.missing == ["sku_stock"] and [c.sku_id for c in viewing.choices["sku"]] == [300, 301]
    picked = pf.fill(buyer_cache, "还剩{sku_stock}件", pf.FillContext(conversation_id=7, sku_id=301))
    assert picked.text == "还剩5件" and [c.sku_id for c in picked.choices["sku"]] == [300, 301]
    # the order open beside the chat still decides when there is one
    beside = pf.fill(buyer_cache, "还剩{sku_stock}件", pf.FillContext(conversation_id=7, order_id=11))
    assert beside.text == "还剩10件"


def test_the_phrase_and_auto_reply_rules():
    ph.check_phrase("快递", "kd", "单号{tracking_no}")
    for title, shortcut, text, why in [("", "kd", "x", "title"), ("快递", "KD", "x", "shortcut"),
                                       ("快递", "kd", "单号{tracking}", "tracking"), ("快递", "kd", "a\x00", "NUL"),
                                       ("快递", "kd", "x" * 501, "500"), ("长" * 41, "", "x", "40")]:
        with pytest.raises(OutboxError, match=why):
            ph.check_phrase(title, shortcut, text)
    ph.check_auto_reply("欢迎光临{shop_name}\n亲{buyer_nick}\n有什么可以帮您\n客服稍后回复")
    with pytest.raises(OutboxError, match="5 lines; at most 4"):
        ph.check_auto_reply("一\n二\n三\n四\n五")
    with pytest.raises(OutboxError, match="300"):
        ph.check_auto_reply("好" * 301)
    with pytest.raises(OutboxError, match="tracking_no"):
        ph.check_auto_reply("{tracking_no}")
    with pytest.raises(OutboxError, match="empty"):
        ph.check_auto_reply("  ")
    ph.check_auto_reply("", enabled=False)
    assert ph.variables_in("{a}{order_no}{shop_name}{order_no}") == ["order_no", "shop_name"]


def test_writes_go_through_the_outbox_and_show_at_once(engine, library):
    created = ph.create_phrase(engine, team=False, category="logistics", title="新短语", shortcut="xd",
                               text="亲，单号{tracking_no}", agent_id=1)
    library.refresh()
    mine = [m.phrase for m in library.search("新短语")]
    assert [(p.title, p.id, p.status) for p in mine] == [("新短语", None, "queued")]
    edited = ph.update_phrase(engine, 1, category="logistics", title="查快递", shortcut="kd", text="单号{tracking_no}")
    assert edited.get("phrases").upserted == {1}
    ph.delete_phrase(engine, 3)
    library.refresh()
    assert titles(library.search("kd"))[0] == "查快递"
    assert "议价回复" not in titles(library.search(""))
    outbox.recover_inflight(engine)
    batch = outbox.take_batch(engine)
    wire = {e.kind: e.wire() for e in batch}
    assert wire["phrase.create"]["entity_id"] == 1 and wire["phrase.create"]["base_version"] == 0
    assert wire["phrase.create"]["payload"] == {"team": False, "category": "logistics", "title": "新短语",
                                                 "shortcut": "xd", "text": "亲，单号{tracking_no}"}
    assert wire["phrase.update"]["base_version"] == 1 and wire["phrase.delete"]["payload"] == {}
    # The server applies them; the create shows from its answer until the pull brings it
    state = {**make_phrase(50, "新短语", "亲，单号{tracking_no}", shortcut="xd", owner="1024", seq=60)}
    outbox.record_answers(engine, [
        {"mutation_id": created.outbox and next(iter(created.outbox)), "status": "applied", "version": 1, "seq": 60,
         "state": state},
        {"mutation_id": wire["phrase.update"]["mutation_id"], "status": "applied", "version": 2, "seq": 61,
         "state": {**LIBRARY[0], "title": "查快递", "text": "单号{tracking_no}", "version": 2, "seq": 61}},
        {"mutation_id": wire["phrase.delete"]["mutation_id"], "status": "applied", "version": 1, "seq": 62,
         "state": {}}])
    library.refresh()
    assert [(m.phrase.id, m.phrase.status) for m in library.search("新短语")] == [(50, "synced")]
    assert "议价回复" not in titles(library.search(""))
    apply_changes(engine, "phrases", [upsert(state), {"seq": 62, "op": "delete", "id": 3}], next_cursor="c2")
    library.refresh()
    assert [m.phrase.id for m in library.search("新短语")] == [50]
    assert titles(library.search("kd"))[0] == "查快递"


def test_bad_writes_change_nothing(engine, library):
    before = outbox.counts(engine)
    with pytest.raises(OutboxError):
        ph.create_phrase(engine, team=True, category="nope", title="x", shortcut="", text="x", agent_id=1)
    with pytest.raises(OutboxError, match="staff"):
        ph.create_phrase(engine, team=True, category="other", title="x", shortcut="", text="x", agent_id=99)
    with pytest.raises(OutboxError):
        ph.update_phrase(engine, 404, category="other", title="x", shortcut="", text="x")
    with pytest.raises(OutboxError, match="not loaded"):
        ph.save_settings(engine, auto_reply_enabled=True, auto_reply_text="欢迎", cutoff_time="16:00")
    assert outbox.counts(engine) == before


def test_shop_settings_save_is_overlaid(buyer_cache):
    ph.save_settings(buyer_cache, auto_reply_enabled=True, auto_reply_text="欢迎光临{shop_name}", cutoff_time="17:30")
    s = ph.shop_settings(buyer_cache)
    assert (s.auto_reply_enabled, s.auto_reply_text, s.cutoff_time, s.status) == (True, "欢迎光临{shop_name}",
                                                                                 "17:30", "saved")
    with pytest.raises(OutboxError, match="HH:MM"):
        ph.save_settings(buyer_cache, auto_reply_enabled=False, auto_reply_text="", cutoff_time="24:00")
