"""Attention over a real queue (real cache file, real QueuePane, real windows): a new buyer
message or a buyer becoming overdue flashes the taskbar while the window is behind another
one, never while the agent is looking at it; the alert stays until the conversation is
opened (raised again while it stays overdue); each setting is respected; the hotkey for the
next waiting buyer works from every pane. The taskbar flash and the sound are spied through
the class's hooks (no taskbar or speaker here)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from tests.ui.chat_data import ME, Clock, build_chat_cache, buyer_writes
from workstation.settings import AgentIdentity, Settings
from workstation.ui.attention import REALERT_S, Attention
from workstation.ui.queue_pane import QueuePane


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


class Spy:
    def __init__(self) -> None:
        self.calls = []

    def __call__(self, *args) -> None:
        self.calls.append(args)


@pytest.fixture
def other(qtbot):
    """Another program's window, in front of ours."""
    w = QWidget()
    w.setWindowTitle("another program")
    qtbot.addWidget(w)
    w.resize(200, 100)
    return w


@pytest.fixture
def setup(qtbot, settings, cache):
    """A window holding the queue, with its attention; the queue's clock is the test's."""
    clock = Clock()
    window = QWidget()
    qtbot.addWidget(window)
    queue = QueuePane(window, clock=clock, overdue_after_s=100)
    QVBoxLayout(window).addWidget(queue)
    window.resize(500, 400)
    alert, beep = Spy(), Spy()
    attention = Attention(window, settings, queue, alert=alert, beep=beep, tray=False)
    attention.timer.stop()  # the test ticks
    attention.set_agent(ME)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    queue.set_agent(ME)
    with qtbot.waitSignal(queue.rows_shown, timeout=5000):
        queue.set_engine(cache.engine)
    yield window, queue, attention, clock, alert, beep
    attention.shutdown()
    queue.shutdown()


def go_behind(qtbot, window, other) -> None:
    other.show()
    other.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow(), timeout=5000)


def come_back(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def buyer_message(qtbot, cache, queue, cid, mid, text, seq, **kw) -> None:
    buyer_writes(cache, cid, mid, text, seq=seq, **kw).result(timeout=5)
    with qtbot.waitSignal(queue.rows_shown, timeout=5000):
        queue.refresh()


def test_a_new_buyer_message_while_the_window_is_behind_flashes_it_once(qtbot, setup, cache, other):
    window, queue, attention, _clock, alert, beep = setup
    go_behind(qtbot, window, other)
    with qtbot.waitSignal(attention.raised, timeout=5000) as raised:
        buyer_message(qtbot, cache, queue, 1, 13, "快递到哪了？", seq=100, unread=2)
    assert raised.args == [1, "message"]
    assert alert.calls == [(window,)]
    assert beep.calls == []  # sound is off by default
    assert attention.pending() == {1}
    unread, overdue = attention.counts()
    assert unread == 2 + 2 + 1  # li_mei now 2, tb_zw2024 2, chenjing 1
    assert overdue == 1  # tb_zw2024, waiting 5:12 (over 100 s) already at the start
    assert "5 unread" in attention.tooltip() and "1 overdue" in attention.tooltip()
    queue.refresh()  # the same rows read again: no new message, no new alert
    qtbot.waitSignal(queue.rows_shown, timeout=5000).wait()
    assert len(alert.calls) == 1


def test_no_alert_while_the_agent_is_looking_at_the_window(qtbot, setup, cache):
    window, queue, attention, clock, alert, _beep = setup
    buyer_message(qtbot, cache, queue, 1, 13, "在吗", seq=100)
    clock.advance(200)  # li_mei becomes overdue too
    attention.tick()
    assert alert.calls == [] and attention.pending() == set()
    assert attention.counts()[1] == 3  # the counts are kept all the same


def test_no_alert_while_the_agent_is_in_one_of_the_windows_dialogs(qtbot, setup, cache):
    from PySide6.QtWidgets import QDialog

    window, queue, attention, _clock, alert, _beep = setup
    dialog = QDialog(window)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(lambda: not window.isActiveWindow(), timeout=5000)
    buyer_message(qtbot, cache, queue, 1, 13, "在吗", seq=100)
    assert alert.calls == [] and attention.pending() == set()
    dialog.close()


def test_the_alert_stays_until_the_conversation_is_opened(qtbot, setup, cache, other):
    window, queue, attention, _clock, alert, _beep = setup
    go_behind(qtbot, window, other)
    buyer_message(qtbot, cache, queue, 4, 42, "有现货吗", seq=100)
    assert attention.pending() == {4}
    come_back(qtbot, window)
    assert attention.pending() == {4}  # looking at the window is not opening the buyer
    queue.select_conversation(1)
    assert attention.pending() == {4}
    queue.select_conversation(4)
    assert attention.pending() == set()
    assert "need you" not in attention.tooltip()


def test_a_buyer_becoming_overdue_raises_it_and_again_while_still_overdue(qtbot, setup, other):
    window, queue, attention, clock, alert, _beep = setup
    raised = []
    attention.raised.connect(lambda cid, why: raised.append((cid, why)))
    go_behind(qtbot, window, other)
    attention.tick()
    assert alert.calls == []  # nothing new yet (tb_zw2024 was overdue when we came)
    clock.advance(45)  # li_mei has waited 1:45 > 100 s
    attention.tick()
    assert raised == [(1, "overdue")]
    assert attention.pending() == {1} and len(alert.calls) == 1
    for _ in range(REALERT_S - 1):
        clock.advance(1)
        attention.tick()
    assert raised.count((1, "overdue")) == 1
    assert (4, "overdue") in raised  # chenjing (30 s at the start) meanwhile
    clock.advance(1)
    attention.tick()  # a minute later, li_mei still not opened: again
    assert raised.count((1, "overdue")) == 2
    queue.select_conversation(1)
    for _ in range(REALERT_S + 1):
        clock.advance(1)
        attention.tick()
    assert raised.count((1, "overdue")) == 2  # opened: over
    assert len(alert.calls) == len(raised)


def test_clicking_the_tray_opens_the_buyer_that_raised_the_alert(qtbot, setup, cache, other):
    window, queue, attention, _clock, _alert, _beep = setup
    go_behind(qtbot, window, other)
    buyer_message(qtbot, cache, queue, 4, 42, "有现货吗", seq=100)
    opened = []
    queue.conversation_selected.connect(opened.append)
    assert attention.show_waiting() == 4
    assert opened == [4] and attention.pending() == set()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)


def test_an_answered_buyer_needs_nobody_any_more(qtbot, setup, cache, other):
    window, queue, attention, _clock, _alert, _beep = setup
    go_behind(qtbot, window, other)
    buyer_message(qtbot, cache, queue, 4, 42, "有现货吗", seq=100)
    assert attention.pending() == {4}
    from tests.ui.chat_data import CONVERSATIONS
    from workstation.models.apply import apply_changes

    answered = dict(next(c for c in CONVERSATIONS if c["id"] == 4), seq=101, waiting_since=None,
                    last_message_sender="agent", last_message_id=43)  # a colleague answered
    cache.writer.submit(lambda e: apply_changes(e, "conversations", [{"seq": 101, "op": "upsert", "item": answered}],
                                                next_cursor="c-101")).result(timeout=5)
    with qtbot.waitSignal(queue.rows_shown, timeout=5000):
        queue.refresh()
    assert attention.pending() == set()


def test_a_colleagues_buyer_is_the_colleagues_to_answer(qtbot, setup, cache, other):
    from tests.ui.chat_data import COLLEAGUE, CONVERSATIONS

    window, queue, attention, clock, alert, _beep = setup
    raised = []
    attention.raised.connect(lambda cid, _why: raised.append(cid))
    go_behind(qtbot, window, other)
    theirs = dict(next(c for c in CONVERSATIONS if c["id"] == 1), assigned_agent_no=COLLEAGUE)
    buyer_message(qtbot, cache, queue, 1, 13, "在吗", seq=100, base=theirs)
    clock.advance(200)  # and overdue
    attention.tick()
    assert 1 not in attention.pending()
    assert 1 not in raised
    assert attention.counts()[0] >= 1  # still counted in the tray's figures


def test_settings_flash_off_sound_on(qtbot, setup, settings, cache, other):
    window, queue, attention, _clock, alert, beep = setup
    settings.attention_flash = False
    settings.attention_sound = True
    go_behind(qtbot, window, other)
    buyer_message(qtbot, cache, queue, 1, 13, "还在吗", seq=100)
    assert alert.calls == [] and len(beep.calls) == 1
    assert attention.pending() == {1}  # still remembered for the tray and the re-alert


def test_the_agent_menu_holds_the_three_settings(qtbot, setup, settings):
    from PySide6.QtWidgets import QMenu

    _window, _queue, attention, *_ = setup
    menu = QMenu()
    attention.install_menu(menu)
    assert attention.flash_action.isChecked() and not attention.sound_action.isChecked()
    assert not attention.tray_action.isEnabled()  # no system tray on this desktop
    attention.sound_action.trigger()
    attention.flash_action.trigger()
    again = Settings(settings.path)
    assert again.attention_sound is True and again.attention_flash is False


def test_the_tray_shows_the_counts_when_there_is_one(qtbot, settings, cache):
    window = QWidget()
    qtbot.addWidget(window)
    queue = QueuePane(window, clock=Clock(), overdue_after_s=100)
    attention = Attention(window, settings, queue, alert=Spy(), beep=Spy(), tray=True)
    try:
        queue.set_agent(ME)
        with qtbot.waitSignal(queue.rows_shown, timeout=5000):
            queue.set_engine(cache.engine)
        assert attention.tray is not None
        assert attention.tray.toolTip() == attention.tooltip()
        assert "4 unread" in attention.tray.toolTip()  # 1 + 2 + 1
        settings.attention_tray = False
        attention.apply_settings()
        assert attention.tray is None
    finally:
        attention.shutdown()
        queue.shutdown()


# ---- in the main window ----------------------------------------------------------------------

@pytest.fixture
def window(qtbot, settings, cache):
    from workstation.ui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    w.set_identity(settings.identity)
    w.queue.set_agent(ME)
    w.conversation.set_agent(ME)
    with qtbot.waitSignal(w.queue.rows_shown, timeout=5000):
        for pane in (w.queue, w.conversation, w.buyer, w.lookup, w.stock):
            pane.set_engine(cache.engine)
    yield w
    for pane in (w.queue, w.conversation, w.buyer, w.lookup, w.stock):
        pane.set_engine(None)
    w.close()


def test_the_window_has_attention_and_its_settings_in_the_agent_menu(window):
    actions = window.agent_menu.actions()
    assert window.attention.flash_action in actions and window.attention.sound_action in actions
    assert window.attention.tray_action in actions


@pytest.mark.parametrize("where", ["reply", "stock_search", "queue_table", "buyer"])
def test_next_waiting_works_from_every_pane(qtbot, window, where):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        window.queue.select_conversation(3)  # an answered one: the reply box is enabled
    targets = {"reply": window.conversation.reply, "stock_search": window.stock.search_field,
               "queue_table": window.queue.table, "buyer": window.buyer}
    target = targets[where]
    if where == "stock_search":
        window.show_context_tab(window.stock)
    if where == "buyer":
        window.show_context_tab(window.buyer)
        target = window.buyer.focusWidget() or window.buyer
    target.setFocus()
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        qtbot.keyClick(target, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.conversation.conversation_id == 2  # the longest waiting


def test_next_waiting_from_an_open_popup_closes_it_first(qtbot, window):
    """A popup of the reply box (the phrase picker is one) does not keep the shortcut from
    working, and does not stay open over the next buyer's conversation."""
    from PySide6.QtWidgets import QFrame, QLineEdit, QVBoxLayout

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    popup = QFrame(window.conversation.reply, Qt.WindowType.Popup)
    field = QLineEdit(popup)
    QVBoxLayout(popup).addWidget(field)
    popup.show()
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is popup, timeout=5000)
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=5000):
        qtbot.keyClick(field, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not popup.isVisible()
    assert window.conversation.conversation_id == 2
