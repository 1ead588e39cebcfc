"""The conversation pane over a real cache and its real writer: history, Enter vs
Shift+Enter, pasted text kept exactly, a held reply with its reason and its actions,
history search, claim / transfer / close, and the read mark."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt

from tests.ui.chat_data import COLLEAGUE, ME, build_chat_cache
from workstation.models import conversations
from workstation.ui.conversation_pane import ConversationPane
from workstation.ui.events import CacheEvents
from workstation.ui.message_model import STATE_TEXT_ROLE
from workstation.ui.tasks import TaskRunner
from workstation.ui.writes import WriteSubmitter


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite")
    yield c
    c.close()


@pytest.fixture
def pane(qtbot, cache):
    events = CacheEvents(min_interval_ms=0)
    events.attach(cache.writer)
    runner = TaskRunner(max_threads=1, name="test-writes")
    reports: list[str] = []
    p = ConversationPane(submit_write=WriteSubmitter(runner, lambda: cache.writer, report=reports.append))
    p.reports = reports
    qtbot.addWidget(p)
    p.resize(600, 600)
    p.show()
    p.set_agent(ME)
    events.subscribe(p)
    p.set_engine(cache.engine)
    yield p
    events.detach()
    p.shutdown()
    runner.shutdown()
    qtbot.waitUntil(cache.writer.idle, timeout=5000)


def open_conversation(qtbot, pane, cid: int) -> None:
    with qtbot.waitSignal(pane.conversation_shown, timeout=5000):
        pane.open_conversation(cid)


def texts(pane) -> list[str]:
    return [m.text for m in pane.model.rows()]


def own_replies(cache, cid: int):
    return [m for m in conversations.history(cache.engine, cid) if m.sender == "agent" and m.message_id is None]


def wait_reply_saved(qtbot, pane, cache, cid: int, n: int = 1):
    qtbot.waitUntil(lambda: len(own_replies(cache, cid)) == n and pane.reply.text() == "", timeout=5000)


def test_the_history_is_shown_offline_with_sender_and_time(qtbot, pane):
    open_conversation(qtbot, pane, 3)
    assert texts(pane) == ["发货了吗", "今天下午发出，顺丰", "好的,谢谢"]
    first = pane.model.data(pane.model.index(0))
    assert first.startswith("sunny_liu ") and first.endswith("\n发货了吗")
    mine = pane.model.data(pane.model.index(1))
    assert mine.startswith("Me ") and "Sent" in mine
    assert pane.title.text() == "sunny_liu"


def test_enter_sends_and_shift_enter_starts_a_new_line(qtbot, pane, cache):
    open_conversation(qtbot, pane, 1)
    pane.reply.setFocus()
    qtbot.keyClicks(pane.reply, "Hello")
    qtbot.keyClick(pane.reply, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(pane.reply, "size L is in stock")
    assert pane.reply.text() == "Hello\nsize L is in stock"
    assert own_replies(cache, 1) == []  # Shift+Enter sent nothing
    qtbot.keyClick(pane.reply, Qt.Key.Key_Return)
    wait_reply_saved(qtbot, pane, cache, 1)
    reply = own_replies(cache, 1)[0]
    assert reply.text == "Hello\nsize L is in stock"
    assert reply.status in ("queued", "sending")  # no server here: waiting for the network
    qtbot.waitUntil(lambda: texts(pane)[-1] == "Hello\nsize L is in stock", timeout=5000)
    assert pane.model.data(pane.model.index(2), STATE_TEXT_ROLE) == "Queued offline"


def test_pasted_multi_line_text_is_sent_exactly(qtbot, pane, cache):
    open_conversation(qtbot, pane, 2)
    pasted = "亲，您好：\n  1. 今天发货\t顺丰\n\n2. 运费险已含 \n金额：¥99.00\u00a0元 😊"
    mime = QMimeData()
    mime.setText(pasted)
    mime.setHtml("<b>formatting that must not come along</b>")
    pane.reply.setFocus()
    pane.reply.insertFromMimeData(mime)
    assert pane.reply.text() == pasted
    qtbot.keyClick(pane.reply, Qt.Key.Key_Enter)
    wait_reply_saved(qtbot, pane, cache, 2)
    assert own_replies(cache, 2)[0].text == pasted


def test_a_windows_clipboard_line_break_is_one_new_line(qtbot, pane):
    mime = QMimeData()
    mime.setText("第一行\r\n第二行")
    pane.reply.insertFromMimeData(mime)
    assert pane.reply.text() == "第一行\n第二行"


def test_a_refused_reply_keeps_the_agents_text(qtbot, pane, cache):
    open_conversation(qtbot, pane, 1)
    too_long = "长" * 2001
    pane.reply.set_text(too_long)
    pane.send()
    qtbot.waitUntil(lambda: pane.status.text() != "", timeout=5000)
    assert pane.reply.text() == too_long
    assert own_replies(cache, 1) == []


def _held_reply(qtbot, pane, cache, cid: int = 1):
    """A reply written on an older screen: the buyer's newest message (12) was not seen."""
    cache.writer.run(conversations.send_reply, cid, "好的，马上发", agent_no=ME, after_message_id=11)
    qtbot.waitUntil(lambda: pane.held_bar.isVisible(), timeout=5000)


def test_a_held_reply_says_why_and_is_sent_only_when_confirmed(qtbot, pane, cache):
    open_conversation(qtbot, pane, 1)
    _held_reply(qtbot, pane, cache)
    assert "The buyer wrote again" in pane.held_text.text()
    held = own_replies(cache, 1)[0]
    assert held.status == "held" and held.held_reason == "buyer_wrote"
    assert "Held: The buyer wrote again" in pane.model.data(pane.model.index(2))
    assert pane.send_anyway_button.isVisible()
    qtbot.mouseClick(pane.send_anyway_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [m.status for m in own_replies(cache, 1)] in (["queued"], ["sending"]), timeout=5000)
    qtbot.waitUntil(lambda: not pane.held_bar.isVisible(), timeout=5000)
    assert own_replies(cache, 1)[0].text == "好的，马上发"


def test_a_held_reply_can_be_discarded(qtbot, pane, cache):
    open_conversation(qtbot, pane, 1)
    _held_reply(qtbot, pane, cache)
    qtbot.mouseClick(pane.discard_held_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: own_replies(cache, 1) == [], timeout=5000)
    qtbot.waitUntil(lambda: not pane.held_bar.isVisible(), timeout=5000)
    assert texts(pane) == ["你好", "还有L码吗？"]


def test_a_held_reply_can_be_edited_then_sent(qtbot, pane, cache):
    open_conversation(qtbot, pane, 1)
    _held_reply(qtbot, pane, cache)
    qtbot.mouseClick(pane.edit_held_button, Qt.MouseButton.LeftButton)
    assert pane.reply.text() == "好的，马上发"
    pane.reply.set_text("L码有货，马上发")
    qtbot.keyClick(pane.reply, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: [m.text for m in own_replies(cache, 1)] == ["L码有货，马上发"]
                    and own_replies(cache, 1)[0].status != "held", timeout=5000)


def test_held_reasons_in_chinese(qapp):
    from PySide6.QtCore import QLocale

    from workstation.ui.i18n import install_translators
    from workstation.ui.message_model import held_reason_text

    translators = install_translators(qapp, "zh_CN")
    try:
        assert [held_reason_text(c) for c in ("buyer_wrote", "colleague_replied", "closed", "changed")] == [
            "买家又发了消息", "同事已回复", "会话已关闭", "会话已转接"]
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        QLocale.setDefault(QLocale("en_US"))


def test_search_in_the_history_marks_the_matches(qtbot, pane):
    open_conversation(qtbot, pane, 3)
    with qtbot.waitSignal(pane._searcher.finished, timeout=5000):
        pane.search.setText("顺丰")
    assert pane.search_info.text() == "1 found"
    assert pane.messages.currentIndex().row() == 1
    with qtbot.waitSignal(pane._searcher.finished, timeout=5000):
        pane.search.setText("没有这句")
    assert pane.search_info.text() == "Not found"


def test_claim_transfer_close_and_reopen(qtbot, pane, cache):
    open_conversation(qtbot, pane, 4)  # unassigned
    assert pane.claim_button.isEnabled()
    qtbot.mouseClick(pane.claim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conversations.get_conversation(cache.engine, 4).assigned_agent_no == ME, timeout=5000)
    qtbot.waitUntil(lambda: not pane.claim_button.isEnabled(), timeout=5000)

    qtbot.mouseClick(pane.transfer_button, Qt.MouseButton.LeftButton)
    assert pane.transfer_bar.isVisible()
    choices = [pane.transfer_to.itemData(i) for i in range(pane.transfer_to.count())]
    assert ME not in choices and COLLEAGUE in choices
    pane.transfer_to.setCurrentIndex(choices.index(COLLEAGUE))
    pane.transfer_note.setText("买家要开发票，请跟进")
    qtbot.mouseClick(pane.transfer_ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conversations.get_conversation(cache.engine, 4).assigned_agent_no == COLLEAGUE,
                    timeout=5000)
    qtbot.waitUntil(lambda: not pane.transfer_bar.isVisible(), timeout=5000)

    qtbot.mouseClick(pane.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conversations.get_conversation(cache.engine, 4).status == "closed", timeout=5000)
    qtbot.waitUntil(lambda: pane.reopen_button.isEnabled() and not pane.reply.isEnabled(), timeout=5000)
    qtbot.mouseClick(pane.reopen_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: conversations.get_conversation(cache.engine, 4).status == "open", timeout=5000)


def test_opening_a_conversation_marks_it_read(qtbot, pane, cache):
    assert conversations.get_conversation(cache.engine, 2).unread == 2
    open_conversation(qtbot, pane, 2)
    qtbot.waitUntil(lambda: conversations.get_conversation(cache.engine, 2).unread == 0, timeout=5000)


def test_a_draft_waits_while_the_agent_looks_at_another_conversation(qtbot, pane):
    open_conversation(qtbot, pane, 1)
    pane.reply.set_text("L码有货，")
    open_conversation(qtbot, pane, 2)
    assert pane.reply.text() == ""
    open_conversation(qtbot, pane, 1)
    assert pane.reply.text() == "L码有货，"
