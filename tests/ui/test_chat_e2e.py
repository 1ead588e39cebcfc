"""The chat through the real window against a live store: a buyer's message from the relay
reaches the queue, the agent answers with Enter and the reply reaches the buyer; a reply
over a buyer message the agent has not seen is held with its reason, never sent."""
from __future__ import annotations

import uuid

import pytest
import requests
from PySide6.QtCore import Qt
from sqlalchemy import text

from tests.ui.conftest import sign_in, wait_online

RELAY = {"Authorization": "Relay demo-relay-key"}


@pytest.fixture(autouse=True)
def _no_auto_reply(store):
    """These tests are about the agent's chat: the demo's greeting is off (the auto-reply has
    its own tests)."""
    from storeserver import answering

    answering.set_settings(store.engine, store.shop_id, auto_reply_enabled=False)


def _buyer(store):
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT id, nick FROM buyers WHERE shop_id = :s ORDER BY id LIMIT 1"),
                            {"s": store.shop_id}).one()


def _buyer_says(store, buyer_id: int, words: str) -> dict:
    resp = requests.post(f"{store.url}/api/v1/relay/messages", headers=RELAY, timeout=10,
                         json={"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": words,
                               "product_id": None})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _buyer_sees(store, buyer_id: int) -> list[dict]:
    resp = requests.get(f"{store.url}/api/v1/relay/buyers/{buyer_id}/messages", headers=RELAY, timeout=10,
                        params={"after": 0, "timeout": 0})
    assert resp.status_code == 200, resp.text
    return resp.json()["messages"]


def _greeting(store, buyer_id: int, conversation_id: int) -> list[str]:
    """The demo shop's auto-reply in the conversation (none when greeted earlier today)."""
    greeting = [m["text"] for m in _buyer_sees(store, buyer_id)
                if m["sender"] == "auto" and m["conversation_id"] == conversation_id]
    assert len(greeting) <= 1
    return greeting


def _row(window, conversation_id: int):
    return next((r for r in window.queue.model.rows() if r.conversation_id == conversation_id), None)


def test_a_buyer_message_reaches_the_queue_and_the_reply_reaches_the_buyer(qtbot, launch, store):
    buyer = _buyer(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    said = _buyer_says(store, buyer.id, "亲,什么时候发货?")
    cid = said["conversation_id"]
    qtbot.waitUntil(lambda: _row(window, cid) is not None, timeout=20_000)  # woken, not polled
    row = _row(window, cid)
    assert row.buyer_nick == buyer.nick and row.waiting_since is not None and row.unread == 1

    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=10_000):
        window.queue.select_conversation(cid)
    # the messages stream may land a moment after the conversation's: the history fills in,
    # with the shop's greeting the server sent at once
    history = ["亲,什么时候发货?", *_greeting(store, buyer.id, cid)]
    qtbot.waitUntil(lambda: [m.text for m in window.conversation.model.rows()] == history, timeout=10_000)
    reply = window.conversation.reply
    reply.setFocus()
    qtbot.keyClicks(reply, "Today, by SF Express")
    qtbot.keyClick(reply, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(m["text"] == "Today, by SF Express" and m["sender"] == "agent"
                                for m in _buyer_sees(store, buyer.id)), timeout=20_000)
    # The server's message replaces the queued one in the history, and the wait ends.
    qtbot.waitUntil(lambda: [(m.text, m.status) for m in window.conversation.model.rows()][-1:]
                    == [("Today, by SF Express", "synced")], timeout=20_000)
    qtbot.waitUntil(lambda: _row(window, cid) is not None and _row(window, cid).waiting_since is None,
                    timeout=20_000)
    assert _row(window, cid).unread == 0  # opened: read


def test_a_reply_over_an_unseen_buyer_message_is_held_not_sent(qtbot, launch, store):
    buyer = _buyer(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    cid = _buyer_says(store, buyer.id, "在吗")["conversation_id"]
    qtbot.waitUntil(lambda: _row(window, cid) is not None, timeout=20_000)
    pane = window.conversation
    with qtbot.waitSignal(pane.conversation_shown, timeout=10_000):
        window.queue.select_conversation(cid)
    history = ["在吗", *_greeting(store, buyer.id, cid)]
    qtbot.waitUntil(lambda: [m.text for m in pane.model.rows()] == history, timeout=10_000)
    # The agent stops syncing for a moment (offline), the buyer writes meanwhile
    running.session._stop_sync()
    _buyer_says(store, buyer.id, "不要了,取消订单")
    pane.reply.set_text("在的,马上发货")
    qtbot.keyClick(pane.reply, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.model.rows()[-1].status in ("queued", "sending"), timeout=10_000)
    running.session.sync_now()  # back: the pull brings the buyer's message first
    qtbot.waitUntil(lambda: pane.held_bar.isVisible(), timeout=20_000)
    assert "The buyer wrote again" in pane.held_text.text()
    qtbot.waitUntil(lambda: "不要了,取消订单" in [m.text for m in pane.model.rows()], timeout=20_000)
    assert not any(m["text"] == "在的,马上发货" for m in _buyer_sees(store, buyer.id))
    qtbot.mouseClick(pane.discard_held_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not pane.held_bar.isVisible(), timeout=10_000)
    assert not any(m["text"] == "在的,马上发货" for m in _buyer_sees(store, buyer.id))


def test_a_colleague_looking_at_the_conversation_is_named(qtbot, launch, store, agent):
    from workstation.sync.client import StoreClient

    buyer = _buyer(store)
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    cid = _buyer_says(store, buyer.id, "在吗")["conversation_id"]
    qtbot.waitUntil(lambda: _row(window, cid) is not None, timeout=20_000)
    with qtbot.waitSignal(window.conversation.conversation_shown, timeout=10_000):
        window.queue.select_conversation(cid)
    colleague = StoreClient(store.url)
    try:
        colleague.token = colleague.login(*agent).token
        colleague.set_presence(cid, "typing")
        line = window.conversation.presence_line
        qtbot.waitUntil(lambda: line.isVisible() and "李小美 2048 is typing…" in line.text(), timeout=10_000)
        # and the colleague sees this agent viewing it
        qtbot.waitUntil(lambda: any(p.agent_no == "1024" and p.state == "viewing"
                                    for p in colleague.presence(cid)), timeout=10_000)
        colleague.set_presence(cid, "idle")
        qtbot.waitUntil(lambda: not line.isVisible(), timeout=10_000)
    finally:
        colleague.close()


def test_the_agent_switches_to_receiving_and_sees_the_conversations_assigned_to_them(qtbot, launch, store):
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    menu = window.agent_status
    qtbot.waitUntil(lambda: menu.actions["receiving"].isEnabled(), timeout=20_000)
    menu.actions["paused"].trigger()
    qtbot.waitUntil(lambda: _server_status(store) == "paused", timeout=20_000)
    menu.actions["receiving"].trigger()
    qtbot.waitUntil(lambda: _server_status(store) == "receiving", timeout=20_000)
    qtbot.waitUntil(lambda: menu.status == "receiving", timeout=20_000)
    # Receiving: the server hands the agent the longest-waiting unassigned conversations (up
    # to capacity); "Mine" shows exactly those the server assigned.
    with qtbot.waitSignal(window.queue.rows_shown, timeout=10_000):
        window.queue.set_view("mine")
    qtbot.waitUntil(lambda: {r.conversation_id for r in window.queue.model.rows()} == _assigned(store),
                    timeout=20_000)
    assert _assigned(store)


def _assigned(store) -> set[int]:
    with store.engine.connect() as conn:
        return set(conn.execute(text("SELECT id FROM conversations WHERE shop_id = :s AND status = 'open' "
                                     "AND assigned_agent_no = '1024'"), {"s": store.shop_id}).scalars())


def _server_status(store) -> str:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT status FROM agents WHERE shop_id = :s AND agent_no = '1024'"),
                            {"s": store.shop_id}).scalar_one()
