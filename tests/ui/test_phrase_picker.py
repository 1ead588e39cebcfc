"""The quick-phrase picker on the real conversation pane over a real cache: `/` opens it,
pinyin initials find the phrase, the preview is filled with the buyer's values, a missing
value is asked for with its Chinese label (nothing with `{tracking_no}` or a gap goes into
the reply box), several open orders give a pick list, Enter inserts, the use is counted."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent

from tests.ui.chat_data import ME, build_chat_cache
from workstation.models import phrase_fill as pf
from workstation.models import phrases as ph
from workstation.models.apply import apply_snapshot_page
from workstation.settings import AgentIdentity
from workstation.ui.conversation_pane import ConversationPane
from workstation.ui.events import CacheEvents
from workstation.ui.tasks import TaskRunner
from workstation.ui.writes import WriteSubmitter

PHRASES = [
    {"id": 1, "seq": 901, "version": 1, "owner_agent_no": None, "category": "logistics", "title": "查快递",
     "shortcut": "wl", "text": "亲，您的订单{order_no}已由{carrier}发出，快递单号{tracking_no}",
     "updated_by": "2048", "updated_at": "2026-11-10T01:00:00Z"},
    {"id": 2, "seq": 902, "version": 1, "owner_agent_no": None, "category": "greeting", "title": "问候",
     "shortcut": "hi", "text": "您好{buyer_nick}，欢迎光临{shop_name}，我是{agent_name}",
     "updated_by": "2048", "updated_at": "2026-11-10T01:00:00Z"},
]


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite")
    for stream, items in (("phrases", PHRASES), ("shop_settings", [{
            "id": 1, "seq": 903, "version": 1, "shop_name": "棉麻小铺", "auto_reply_enabled": False,
            "auto_reply_text": "", "cutoff_time": "16:00", "updated_by": None, "updated_at": None}])):
        apply_snapshot_page(c.engine, stream, items, next_cursor=None, done=True, feed_cursor="f", total=len(items))
    yield c
    c.close()


@pytest.fixture
def pane(qtbot, cache):
    events = CacheEvents(min_interval_ms=0)
    events.attach(cache.writer)
    runner = TaskRunner(max_threads=1, name="test-writes")
    p = ConversationPane(submit_write=WriteSubmitter(runner, lambda: cache.writer))
    qtbot.addWidget(p)
    p.resize(600, 600)
    p.show()
    p.set_identity(AgentIdentity(1, "amy", "小美", ME, 1, "棉麻小铺"))
    events.subscribe(p)
    p.set_engine(cache.engine)
    yield p
    events.detach()
    p.shutdown()
    runner.shutdown()
    qtbot.waitUntil(cache.writer.idle, timeout=5000)


def open_picker(qtbot, pane, cid: int, *, how: str = "/"):
    with qtbot.waitSignal(pane.conversation_shown, timeout=5000):
        pane.open_conversation(cid)
    pane.reply.setFocus()
    with qtbot.waitSignal(pane.phrases.results_shown, timeout=5000):
        if how == "/":
            qtbot.keyClicks(pane.reply, "/")
        else:
            qtbot.keyClick(pane.reply, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert pane.phrases.isVisible() and pane.reply.text() == ""  # the / is not kept
    return pane.phrases


def search(qtbot, picker, text: str):
    """Type `text` and wait for its matches and the current one's filled preview."""
    qtbot.keyClicks(picker.search, text)
    qtbot.waitUntil(lambda: picker.shown_query == text and picker.filled is not None, timeout=5000)


def test_the_context_order_fills_and_enter_inserts_and_counts_the_use(qtbot, pane, cache):
    pane.set_context_order(lambda: (13, 101))  # order 13 of buyer 101 is open in the Orders tab
    picker = open_picker(qtbot, pane, 1)  # li_mei (buyer 101): five shipped orders with tracking numbers
    search(qtbot, picker, "ckd")  # 查快递 by its pinyin initials
    assert picker.current_phrase().title == "查快递"
    assert picker.preview.text() == "亲，您的订单202611110800000013已由顺丰速运发出，快递单号SF00000000013"
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=5000)
    assert pane.reply.text() == "亲，您的订单202611110800000013已由顺丰速运发出，快递单号SF00000000013"
    qtbot.waitUntil(lambda: ph.PhraseIndex(cache.engine, ME).search("")[0].phrase.uses == 1, timeout=5000)
    # Another buyer's order in the Orders tab is not "this order": the newest is offered, and
    # with several open orders the agent picks (Enter again takes the one shown)
    pane.set_context_order(lambda: (14, 102))
    pane.reply.clear()
    with qtbot.waitSignal(picker.results_shown, timeout=5000):
        qtbot.keyClick(pane.reply, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    search(qtbot, picker, "ckd")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.prompting, timeout=5000)
    assert picker.order_choice.count() == 5 and picker.order_choice.currentData() == 25
    qtbot.keyClick(picker.order_choice, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=5000)
    assert pane.reply.text() == "亲，您的订单202611110800000025已由顺丰速运发出，快递单号SF00000000025"


def test_a_missing_value_is_asked_for_with_its_chinese_label(qtbot, pane):
    picker = open_picker(qtbot, pane, 2)  # tb_zw2024 (buyer 102): five unpaid orders, nothing shipped
    search(qtbot, picker, "wl")
    assert "［快递单号？］" in picker.preview.text()
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.prompting and picker.answer_field("tracking_no") is not None, timeout=5000)
    labels = [picker.form.itemAt(i, picker.form.ItemRole.LabelRole).widget().text()
              for i in range(picker.form.rowCount())]
    assert labels == ["Order", "快递公司", "快递单号"]
    orders = picker.order_choice
    assert orders.count() == 5 and "待付款" in orders.itemText(0)
    # Enter with a gap left: nothing is inserted, the agent is told what is missing
    carrier = picker.answer_field("carrier")
    carrier.setText("中通快递")
    qtbot.keyClick(carrier, Qt.Key.Key_Return)
    assert picker.isVisible() and "快递单号" in picker.message.text() and pane.reply.text() == ""
    # another order from the pick list: the order number follows, the typed answer stays
    second = orders.itemData(1)
    with qtbot.waitSignal(picker.preview_shown, timeout=5000):
        orders.setCurrentIndex(1)
    assert picker.filled.order_id == second and picker.answer_field("carrier").text() == "中通快递"
    order_no = picker.filled.values["order_no"]
    tracking = picker.answer_field("tracking_no")
    tracking.setFocus()
    tracking.inputMethodEvent(_commit("ZT7788"))
    qtbot.keyClick(tracking, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=5000)
    text = pane.reply.text()
    assert text.endswith("已由中通快递发出，快递单号ZT7788") and "{" not in text
    assert order_no in text


def test_ctrl_k_opens_it_esc_closes_it_and_chinese_search_works(qtbot, pane):
    picker = open_picker(qtbot, pane, 1, how="ctrl+k")
    picker.search.inputMethodEvent(_commit("问候"))
    qtbot.waitUntil(lambda: picker.shown_query == "问候" and picker.filled is not None, timeout=5000)
    assert picker.preview.text() == "您好li_mei，欢迎光临棉麻小铺，我是小美"
    qtbot.keyClick(picker.search, Qt.Key.Key_Escape)
    assert not picker.isVisible() and pane.reply.text() == ""
    # a / inside a word is just a character
    qtbot.keyClicks(pane.reply, "a/b")
    assert pane.reply.text() == "a/b" and not picker.isVisible()


def _commit(text: str) -> QInputMethodEvent:
    event = QInputMethodEvent()
    event.setCommitString(text)
    return event


def test_stock_of_an_order_with_several_items_follows_the_item_picked(qtbot, pane, cache):
    from tests.ui.helpers import make_order

    two_items = make_order(99, buyer_id=103, buyer_nick="sunny_liu", status="paid", lines=[
        {"id": 991, "sku_id": 7, "style_no": "A1023", "product_name": "纯棉圆领T恤", "colour": "白色", "size": "L",
         "outer_id": "A1023-W-L", "qty": 1, "unit_price_cents": 4950},
        {"id": 992, "sku_id": 8, "style_no": "A1023", "product_name": "纯棉圆领T恤", "colour": "黑色", "size": "M",
         "outer_id": "A1023-B-M", "qty": 1, "unit_price_cents": 4950}])
    stock = [{"id": 9001, "seq": 9001, "sku_id": 7, "warehouse_id": 1, "qty": 5, "reserved": 1, "page_qty": 0},
             {"id": 9002, "seq": 9002, "sku_id": 8, "warehouse_id": 1, "qty": 30, "reserved": 0, "page_qty": 0},
             {"id": 9003, "seq": 9003, "sku_id": 8, "warehouse_id": 2, "qty": 2, "reserved": 2, "page_qty": 0}]
    for stream, items in (("orders", [two_items]), ("stock", stock), ("phrases", [{
            "id": 3, "seq": 9100, "version": 1, "owner_agent_no": ME, "category": "arrival", "title": "库存",
            "shortcut": "kc", "text": "亲，这款还有{sku_stock}件", "updated_by": ME,
            "updated_at": "2026-11-10T01:00:00Z"}])):
        cache.writer.run(_upsert, stream, items)
    picker = open_picker(qtbot, pane, 3)  # sunny_liu (buyer 103): order 99 is the only open one
    search(qtbot, picker, "kc")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: picker.prompting and picker.sku_choice is not None
                    and picker.preview.text() == "亲，这款还有4件", timeout=5000)  # the first item, by default
    assert [picker.sku_choice.itemText(i) for i in range(2)] == ["纯棉圆领T恤 白色 L", "纯棉圆领T恤 黑色 M"]
    with qtbot.waitSignal(picker.preview_shown, timeout=5000):
        picker.sku_choice.setCurrentIndex(1)
    qtbot.waitUntil(lambda: picker.preview.text() == "亲，这款还有30件", timeout=5000)
    qtbot.keyClick(picker.sku_choice, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=5000)
    assert pane.reply.text() == "亲，这款还有30件"


def _upsert(engine, stream, items):
    from workstation.models.apply import apply_changes

    return apply_changes(engine, stream, [{"seq": i["seq"], "op": "upsert", "item": i} for i in items],
                         next_cursor=f"{stream}-test")


def test_enter_at_once_for_the_next_buyer_never_inserts_the_previous_buyers_values(qtbot, pane, cache):
    """The picker reopened for another buyer must not offer what it filled for the last one:
    an agent pressing `/` and Enter faster than the search gets this buyer's phrase, filled
    with this buyer's order, or nothing yet — never the previous buyer's order number."""
    pane.set_context_order(lambda: (13, 101))
    picker = open_picker(qtbot, pane, 1)
    search(qtbot, picker, "ckd")
    first = picker.filled.text
    assert "202611110800000013" in first
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=5000)
    assert pane.reply.text() == first

    with qtbot.waitSignal(pane.conversation_shown, timeout=5000):
        pane.open_conversation(3)  # another buyer
    pane.reply.clear()
    pane.reply.setFocus()
    qtbot.keyClicks(pane.reply, "/")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)  # before any result is in
    qtbot.waitUntil(lambda: not picker.isVisible() or picker.prompting, timeout=5000)
    assert "202611110800000013" not in pane.reply.text()
    if not picker.isVisible():  # inserted: the phrase filled for THIS buyer
        assert pane.reply.text() == picker_fill_for(cache, pane, 3, pane.reply.text())


def picker_fill_for(cache, pane, conversation_id: int, inserted: str) -> str:
    """What the phrase inserted fills to for this conversation, straight from the model."""
    from workstation.models.conversations import get_conversation

    conv = get_conversation(cache.engine, conversation_id)
    for phrase in PHRASES:
        ctx = pf.FillContext(conversation_id=conversation_id, buyer_id=conv.buyer_id,
                             agent=pane.phrases._agent)
        filled = pf.fill(cache.engine, phrase["text"], ctx)
        if filled.text == inserted:
            return filled.text
    return "<no phrase of this buyer fills to it>"


def test_enter_right_after_typing_takes_the_match_of_what_was_typed(qtbot, pane, cache):
    picker = open_picker(qtbot, pane, 1)
    search(qtbot, picker, "w")
    qtbot.keyClicks(picker.search, "l")  # "wl" = 查快递's shortcut; Enter before its matches
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not picker.isVisible() or picker.prompting, timeout=5000)
    assert picker.current_phrase() is None or picker.current_phrase().title == "查快递"
