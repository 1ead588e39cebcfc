"""The main window's three areas with the chat panes in them: the splitter remembered, the
hotkey for the next waiting buyer, the buyer's orders in the context area, usable at
1280×720, and the colleague line fed by presence."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt

from tests.ui.chat_data import COLLEAGUE, ME, build_chat_cache
from workstation.settings import AgentIdentity, Settings
from workstation.ui.main_window import MainWindow
from workstation.ui.window_state import window_state_settings


@pytest.fixture
def settings(tmp_path):
    s = Settings(tmp_path / "settings.ini")
    s.identity = AgentIdentity(1, "wang", "王小二", ME, 7, "棉麻小铺", overdue_after_s=100)
    return s


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite")
    yield c
    c.close()


@pytest.fixture
def window(qtbot, settings, cache):
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.set_identity(settings.identity)
    w.queue.set_agent(ME)
    w.conversation.set_agent(ME)
    with qtbot.waitSignal(w.queue.rows_shown, timeout=5000):
        for pane in (w.queue, w.conversation, w.buyer, w.lookup):
            pane.set_engine(cache.engine)
    yield w
    for pane in (w.queue, w.conversation, w.buyer, w.lookup):
        pane.set_engine(None)
    w.close()


def test_three_areas_fit_at_1280x720(window):
    assert [window.workspace.widget(i) for i in range(3)] == [window.queue, window.conversation,
                                                              window.context_tabs]
    assert window.minimumSizeHint().width() <= 1280
    assert all(size > 0 for size in window.workspace.sizes())
    assert window.context_tabs.indexOf(window.lookup) >= 0 and window.context_tabs.indexOf(window.stock) >= 0
    assert window.context_tabs.indexOf(window.outbox) >= 0 and window.context_tabs.indexOf(window.buyer) >= 0


def test_the_splitter_is_restored_at_the_next_start(qtbot, tmp_path, settings):
    from workstation.ui.window_state import use_window_state_file

    use_window_state_file(tmp_path / "window-state.ini")
    try:
        first = MainWindow(settings)
        qtbot.addWidget(first)
        first.resize(1280, 720)
        first.show()
        first.workspace.setSizes([240, 620, 420])
        sizes = first.workspace.sizes()
        first.close()  # saves the layout
        again = MainWindow(settings)
        qtbot.addWidget(again)
        again.restore_layout()
        again.resize(1280, 720)  # the offscreen screen is 800 px wide: restoreGeometry shrinks it
        again.show()
        assert again.workspace.sizes() == sizes
        again.close()
    finally:
        use_window_state_file(None)


def test_a_layout_saved_before_the_three_areas_is_ignored(qtbot, tmp_path, settings):
    from workstation.ui import window_state

    path = tmp_path / "old-window-state.ini"
    q = window_state_settings(path)
    q.setValue("main_window/state_version", 1)
    q.sync()
    window_state.use_window_state_file(path)
    try:
        w = MainWindow(settings)
        qtbot.addWidget(w)
        w.resize(1280, 720)
        w.show()
        w.restore_layout()
        assert all(size > 0 for size in w.workspace.sizes())
        w.close()
    finally:
        window_state.use_window_state_file(None)


def test_the_hotkey_opens_the_longest_waiting_buyer(qtbot, window):
    assert window.next_waiting_action.shortcut().toString() == "Ctrl+Shift+N"
    assert "Ctrl+Shift+N" in window.next_waiting_action.toolTip()
    assert window.next_waiting_action in window.agent_menu.actions()
    window.activateWindow()
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        qtbot.keyClick(window.lookup.search_field, Qt.Key.Key_N,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.conversation.conversation_id == 2  # waiting 5:12, the longest
    assert window.conversation.reply.hasFocus()
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        window.next_waiting_action.trigger()
    assert window.conversation.conversation_id == 1


def test_the_buyers_orders_show_in_the_context_area_and_open_with_their_remark(qtbot, window):
    with qtbot.waitSignal(window.buyer.orders_shown, timeout=5000) as shown:
        window.queue.select_conversation(1)  # li_mei, buyer 101
    assert shown.args[0] == 101
    assert window.context_tabs.currentWidget() is window.buyer
    rows = window.buyer.model.rows()
    assert rows and all(r.buyer_nick == "li_mei" for r in rows)  # buyer 101's orders
    assert [r.created_at for r in rows] == sorted((r.created_at for r in rows), reverse=True)
    order_id = rows[0].id
    with qtbot.waitSignal(window.lookup.detail_shown, timeout=5000):
        window.buyer.table.activated.emit(window.buyer.model.index(0, 0))
    assert window.context_tabs.currentWidget() is window.lookup
    assert window.lookup.detail.order_id == order_id
    assert window.lookup.detail.remark.isVisibleTo(window.lookup.detail)


@dataclass
class Presence:
    agent_no: str
    display_name: str
    state: str
    since: object = None


class PresenceServer:
    """Stands in for the server's presence endpoints (what `StoreClient` would call)."""

    def __init__(self) -> None:
        self.said: list[tuple[int, str]] = []
        self.others: list[Presence] = []

    def set_presence(self, conversation_id: int, state: str) -> None:
        self.said.append((conversation_id, state))

    def presence(self, conversation_id: int):
        return list(self.others)


def test_a_colleague_viewing_or_typing_is_shown_and_offline_is_quiet(qtbot, window):
    from workstation.ui.presence import PresenceWatcher

    server = PresenceServer()
    online = {"client": None}
    watcher = PresenceWatcher(lambda: online["client"], window.conversation, interval_ms=50)
    window.conversation.attach_presence(watcher)
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        window.queue.select_conversation(2)
    assert watcher.polls == 0  # offline: nothing asked, nothing shown
    assert not window.conversation.presence_line.isVisible()

    online["client"] = server
    server.others = [Presence(COLLEAGUE, "李小美", "typing")]
    qtbot.waitUntil(lambda: window.conversation.presence_line.isVisible(), timeout=5000)
    assert window.conversation.presence_line.text() == "李小美 2048 is typing…"
    assert (2, "viewing") in server.said
    window.conversation.reply.set_text("好")
    qtbot.waitUntil(lambda: (2, "typing") in server.said, timeout=5000)
    server.others = []
    qtbot.waitUntil(lambda: not window.conversation.presence_line.isVisible(), timeout=5000)
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        window.queue.select_conversation(1)
    qtbot.waitUntil(lambda: (2, "idle") in server.said, timeout=5000)
    watcher.shutdown()
