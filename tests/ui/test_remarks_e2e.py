"""Writing a remark through the real window against a live store: saved at once, sent,
in the history; a colleague's change made while the agent writes becomes a merge, never an
overwrite; offline, the change waits in the outbox and is sent when the network returns."""
from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from storeserver import ops
from tests.sync.chaos import Chaos, target_of
from tests.ui.conftest import sign_in, wait_online


def _order(store):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id, order_no FROM orders WHERE shop_id = :s ORDER BY id DESC LIMIT 1"),
                            {"s": store.shop_id}).one()


def _server_remark(store, order_id):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT remark, remark_flag FROM orders WHERE id = :i"), {"i": order_id}).one()


def _open(qtbot, window, order):
    lookup = window.lookup
    lookup.search_field.setText(order.order_no)
    with qtbot.waitSignal(lookup.detail_shown, timeout=10_000):
        lookup.open_selected_or_top()
    return lookup.detail.remark


def test_a_remark_is_saved_at_once_sent_and_in_the_history(qtbot, launch, store):
    order = _order(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    section = _open(qtbot, running.window, order)
    running.window.activateWindow()
    qtbot.waitUntil(running.window.isActiveWindow, timeout=5000)
    qtbot.keyClick(running.window.lookup.search_field, Qt.Key.Key_F2)  # F2 anywhere in the lookup
    assert section.editing and section.editor.flags.flag() == 1
    section.editor.text.setPlainText("换货：M码缺货，改发L码")
    section.editor.reason.setText("买家同意")
    qtbot.keyClick(section.editor.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not section.editing
    qtbot.waitUntil(lambda: "Sent" in section.state.text(), timeout=20_000)
    remark, flag = _server_remark(store, order.id)
    assert remark.startswith("换货：M码缺货，改发L码\n【变动事由】买家同意｜工号 1024｜") and flag == 1
    qtbot.waitUntil(lambda: section.history.count() >= 1, timeout=10_000)
    assert "换货：M码缺货，改发L码" in section.history.item(0).text()


def test_a_colleagues_change_while_writing_becomes_a_merge_not_an_overwrite(qtbot, launch, store):
    order = _order(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    section = _open(qtbot, running.window, order)
    section.begin_edit()
    section.editor.text.setPlainText("改发L码")
    ops.set_remark(store.engine, store.shop_id, order.id, "买家要求周五前到", 2, "2048")
    qtbot.waitUntil(lambda: "买家要求周五前到" in section.text.text(), timeout=30_000)  # arrives meanwhile
    assert section.editing and section.editor.text.toPlainText() == "改发L码"
    section.editor.request_save()
    qtbot.waitUntil(lambda: section.merge_button.isVisible(), timeout=20_000)
    assert _server_remark(store, order.id)[0] == "买家要求周五前到"  # nothing overwritten
    section.merge_button.click()
    controller = running.remarks
    qtbot.waitUntil(lambda: controller._merge is not None and controller._merge.isVisible(), timeout=10_000)
    dialog = controller._merge
    assert dialog.merged_text() == "改发L码\n买家要求周五前到"
    dialog.save_button.click()
    qtbot.waitUntil(lambda: "Sent" in section.state.text(), timeout=20_000)
    remark = _server_remark(store, order.id)[0]
    assert remark.startswith("改发L码\n买家要求周五前到\n【变动事由】")


def test_offline_the_remark_waits_in_the_outbox_and_is_sent_when_the_network_returns(qtbot, launch, store):
    order = _order(store)
    with Chaos(target_of(store.url)) as link:
        running = launch()
        sign_in(qtbot, running, link.url, store.login, store.password)
        wait_online(qtbot, running)
        section = _open(qtbot, running.window, order)
        link.set_mode("down")
        qtbot.waitUntil(lambda: running.window.status.state == "offline", timeout=30_000)
        section.begin_edit()
        section.editor.text.setPlainText("网络断开时写的备注")
        section.editor.request_save()
        status = running.window.status
        qtbot.waitUntil(lambda: status.waiting.isVisible() and "1 changes waiting" in status.waiting.text(),
                        timeout=10_000)
        assert "Saved on this PC" in section.state.text()
        # shown at once, also offline (the detail re-reads the order when its change set lands)
        qtbot.waitUntil(lambda: "网络断开时写的备注" in section.text.text(), timeout=5_000)
        link.set_mode("pass")
        qtbot.waitUntil(lambda: not status.waiting.isVisible(), timeout=30_000)
    assert _server_remark(store, order.id)[0].startswith("网络断开时写的备注\n")
