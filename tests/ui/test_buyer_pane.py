"""The buyer panel over a real cache file (orders, buyers, chat, catalogue and stock through
the real apply path) with a real cache writer: the profile in words, the product being
viewed with its real stock, the orders opening their detail, and notes typed in Chinese
saved through the outbox (shown at once, with author and time, once)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.stock_data import WAREHOUSES, fill, small_products, small_stock
from tests.ui.chat_data import CONVERSATIONS, ME, build_chat_cache
from tests.ui.helpers import type_chinese
from workstation.models import outbox
from workstation.models.apply import apply_changes, apply_snapshot_page
from workstation.settings import AgentIdentity, Settings
from workstation.ui.buyer_pane import NOTE_ROLE, BuyerPane
from workstation.ui.tasks import TaskRunner
from workstation.ui.writes import WriteSubmitter

BUYERS = [
    {"id": 101, "seq": 3001, "nick": "li_mei", "name": "李梅", "phone": "13812340001", "member_level": "vip",
     "first_order_at": "2023-05-20T02:00:00Z", "addresses": []},
    {"id": 104, "seq": 3004, "nick": "chenjing", "name": "陈静", "phone": "13812340004", "member_level": "member",
     "first_order_at": None, "addresses": []},
]
NOTES = [{"id": 1, "seq": 4001, "buyer_id": 101, "text": "老客户，只发顺丰；收货地址常改，下单后请核对",
          "agent_no": "2048", "created_at": "2026-11-20T06:00:00Z", "client_id": None}]


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite", n_orders=30)
    fill(c.engine, WAREHOUSES, small_products(), small_stock())
    for stream, items in (("buyers", BUYERS), ("buyer_notes", NOTES)):
        apply_snapshot_page(c.engine, stream, items, next_cursor=None, done=True, feed_cursor="f-0", total=len(items))
    yield c
    c.close()


@pytest.fixture
def pane(qtbot, cache):
    runner = TaskRunner(name="test-writes")
    p = BuyerPane(submit_write=WriteSubmitter(runner, lambda: cache.writer))
    qtbot.addWidget(p)
    p.resize(480, 700)
    p.show()
    p.set_agent(ME)
    p.set_engine(cache.engine)
    yield p
    p.shutdown()
    runner.shutdown()


def show(qtbot, pane, buyer_id):
    with qtbot.waitSignal(pane.profile_shown, timeout=5000):
        pane.show_buyer(buyer_id)


def test_a_returning_vip_with_the_colleagues_note(qtbot, pane):
    with qtbot.waitSignal(pane.orders_shown, timeout=5000):
        show(qtbot, pane, 101)
    assert pane.name_label.text() == "li_mei · 李梅"
    assert pane.level_badge.text() == "VIP" and pane.level_badge.isVisible()
    # buyer 101 has every 6th order of 30 (5 orders, all shipped), first order from the server
    assert pane.profile_label.text() == "VIP · Returning buyer · 5 orders · 0 refunds · first order 2023-05-20"
    notes = [pane.notes_model.data(pane.notes_model.index(r), NOTE_ROLE) for r in range(pane.notes_model.rowCount())]
    assert [n.text for n in notes] == ["老客户，只发顺丰；收货地址常改，下单后请核对"]
    shown = pane.notes_model.data(pane.notes_model.index(0))
    assert shown.startswith("老客户，只发顺丰") and "— 李小美 (2048) · " in shown  # the author by name
    assert pane.notes_title.text() == "Notes about this buyer (1)"
    assert len(pane.model.rows()) == 5


def test_refunds_and_a_buyer_not_cached_yet(qtbot, pane):
    show(qtbot, pane, 104)
    assert pane.profile_label.text().startswith("Member · Returning buyer · 5 orders · 5 refunds")  # all refunding
    show(qtbot, pane, 999)
    assert pane.profile_label.text() == "Not in the local cache yet"
    assert pane.notes_model.rowCount() == 0


def test_a_note_typed_in_chinese_is_saved_through_the_outbox_once(qtbot, pane, cache):
    show(qtbot, pane, 101)
    type_chinese(pane.note_box, "买家要求开发票，抬头：杭州棉麻服饰有限公司")
    with qtbot.waitSignal(pane.note_saved, timeout=5000) as saved, \
            qtbot.waitSignal(pane.profile_shown, timeout=5000):
        qtbot.keyClick(pane.note_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.notes_model.rowCount() == 2, timeout=5000)
    assert pane.note_box.text() == ""
    first = pane.notes_model.notes()[0]
    assert (first.text, first.status, first.agent_no, first.mutation_id) == (
        "买家要求开发票，抬头：杭州棉麻服饰有限公司", "queued", ME, saved.args[0])
    assert "waiting to send" in pane.notes_model.data(pane.notes_model.index(0))
    entries = [e for e in outbox.entries(cache.engine) if e.kind == "buyer.note"]
    assert [(e.entity_id, e.payload["text"]) for e in entries] == [(101, "买家要求开发票，抬头：杭州棉麻服饰有限公司")]
    # the note arrives from the server (client_id = the mutation id): still one note
    item = {"id": 2, "seq": 4002, "buyer_id": 101, "text": first.text, "agent_no": ME,
            "created_at": "2026-12-01T06:00:00Z", "client_id": first.mutation_id}
    changes = cache.writer.run(apply_changes, "buyer_notes", [{"seq": 4002, "op": "upsert", "item": item}],
                               next_cursor="f-1")
    with qtbot.waitSignal(pane.profile_shown, timeout=5000):
        pane.on_buyer_notes_changed(changes.get("buyer_notes"))
    assert [(n.text, n.status) for n in pane.notes_model.notes()] == [
        ("买家要求开发票，抬头：杭州棉麻服饰有限公司", "synced"), ("老客户，只发顺丰；收货地址常改，下单后请核对", "synced")]


def test_enter_pressed_twice_while_the_note_is_saved_saves_it_once(qtbot, pane, cache):
    """At peak time the cache writer may be busy with sync pages: a second Enter before the
    first save is done must not give colleagues the same note twice."""
    show(qtbot, pane, 101)
    pane.note_box.setText("已电话确认，改发顺丰")
    with qtbot.waitSignal(pane.note_saved, timeout=5000):
        qtbot.keyClick(pane.note_box, Qt.Key.Key_Return)
        qtbot.keyClick(pane.note_box, Qt.Key.Key_Return)  # before the first save is back
    qtbot.wait(100)
    entries = [e for e in outbox.entries(cache.engine) if e.kind == "buyer.note"]
    assert [e.payload["text"] for e in entries] == ["已电话确认，改发顺丰"]
    assert pane.note_box.text() == "" and not pane.note_box.isReadOnly()


def test_an_empty_note_is_not_saved(qtbot, pane, cache):
    show(qtbot, pane, 101)
    pane.note_box.setText("   ")
    qtbot.keyClick(pane.note_box, Qt.Key.Key_Return)
    assert outbox.entries(cache.engine) == []


def test_the_viewed_product_shows_what_can_ship(qtbot, pane):
    show(qtbot, pane, 101)
    with qtbot.waitSignal(pane.stock_shown, timeout=5000):
        pane.show_product(1)  # A1023 纯棉圆领T恤
    assert pane.product_label.text() == "Viewing: 纯棉圆领T恤 A1023 — can ship now (real stock):"
    m = pane.stock_model
    assert [m.headerData(r, Qt.Orientation.Vertical) for r in range(m.rowCount())] == ["白色", "黑色"]
    assert [m.headerData(c, Qt.Orientation.Horizontal) for c in range(m.columnCount())] == ["S", "M", "L"]
    assert m.data(m.index(0, 0)) == "9"  # 白色 S: 12 - 3 reserved in 杭州主仓, none in 广州仓
    assert m.data(m.index(0, 1)) == "2"  # 白色 M: 5 - 5 here, 2 there
    assert m.data(m.index(0, 2)) == "✕ 0"  # 白色 L: out everywhere (in words, not colour alone)
    assert m.data(m.index(1, 1)) == "✕ 0"  # 黑色 M: oversold (-1)
    assert "杭州主仓: 9" in m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    with qtbot.waitSignal(pane.stock_requested, timeout=1000) as asked:
        pane.all_stock_button.click()
    assert asked.args == [1]
    with qtbot.waitSignal(pane.stock_shown, timeout=5000):
        pane.show_product(4242)
    assert "not in the local cache" in pane.product_label.text()


# ---- in the main window ----------------------------------------------------------------------

@pytest.fixture
def window(qtbot, tmp_path, cache):
    from workstation.ui.main_window import MainWindow

    settings = Settings(tmp_path / "settings.ini")
    settings.identity = AgentIdentity(1, "wang", "王小二", ME, 7, "棉麻小铺", overdue_after_s=100)
    viewing = dict(next(c for c in CONVERSATIONS if c["id"] == 1), seq=9000, product_id=2)
    cache.writer.run(apply_changes, "conversations", [{"seq": 9000, "op": "upsert", "item": viewing}],
                     next_cursor="c-9000")
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    w.set_identity(settings.identity)
    w.queue.set_agent(ME)
    w.conversation.set_agent(ME)
    with qtbot.waitSignal(w.queue.rows_shown, timeout=5000):
        for p in (w.queue, w.conversation, w.buyer, w.lookup, w.stock):
            p.set_engine(cache.engine)
    yield w
    for p in (w.queue, w.conversation, w.buyer, w.lookup, w.stock):
        p.set_engine(None)
    w.close()


def test_opening_a_conversation_shows_its_buyer_and_the_product_viewed(qtbot, window):
    assert isinstance(window.buyer, BuyerPane)
    with qtbot.waitSignal(window.buyer.stock_shown, timeout=5000), \
            qtbot.waitSignal(window.buyer.profile_shown, timeout=5000):
        window.queue.select_conversation(1)  # li_mei, on the page of A2088
    assert window.context_tabs.currentWidget() is window.buyer
    assert window.buyer.profile_label.text().startswith("VIP · Returning buyer")
    assert window.buyer.product_label.text().startswith("Viewing: 宽松短袖T恤 A2088")
    with qtbot.waitSignal(window.stock.style_shown, timeout=5000) as shown:
        window.buyer.all_stock_button.click()
    assert shown.args == [2] and window.context_tabs.currentWidget() is window.stock
