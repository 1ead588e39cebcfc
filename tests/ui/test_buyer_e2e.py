"""The buyer panel in the real application against a live store: a buyer writes (on a
product page), the agent opens the conversation and sees who the buyer is, what they are
looking at, and the colleagues' notes; a note typed in Chinese reaches the server once and
comes back synced with the agent's number."""
from __future__ import annotations

import uuid

import requests
from PySide6.QtCore import Qt
from sqlalchemy import select, text

from storeserver.models import BuyerNote
from tests.ui.conftest import sign_in, wait_online
from tests.ui.helpers import type_chinese

RELAY = {"Authorization": "Relay demo-relay-key"}
NOTE = "老客户，只要顺丰，下午三点后联系"


def test_the_buyer_beside_the_chat_and_a_note_to_the_server(qtbot, launch, store):
    with store.engine.connect() as conn:
        buyer_id, nick = conn.execute(text(
            "SELECT b.id, b.nick FROM buyers b WHERE b.shop_id = :s AND (SELECT count(*) FROM orders o "
            "WHERE o.buyer_id = b.id) > 1 ORDER BY b.id LIMIT 1"), {"s": store.shop_id}).one()
        product_id = conn.execute(text("SELECT id FROM products WHERE shop_id = :s ORDER BY id LIMIT 1"),
                                  {"s": store.shop_id}).scalar_one()
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    resp = requests.post(f"{store.url}/api/v1/relay/messages", headers=RELAY, timeout=10,
                         json={"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": "这件还有M码吗？",
                               "product_id": product_id})
    assert resp.status_code == 200, resp.text
    cid = resp.json()["conversation_id"]
    qtbot.waitUntil(lambda: window.queue.model.row_of(cid) is not None, timeout=20_000)
    pane = window.buyer
    with qtbot.waitSignal(pane.stock_shown, timeout=10_000):
        window.queue.select_conversation(cid)
    qtbot.waitUntil(lambda: pane.profile is not None and pane.profile.buyer_id == buyer_id, timeout=10_000)
    assert window.context_tabs.currentWidget() is pane
    qtbot.waitUntil(lambda: "Returning buyer" in pane.profile_label.text(), timeout=10_000)
    assert pane.profile.nick == nick
    assert pane.product_id == product_id and pane.product_label.text().startswith("Viewing: ")
    assert pane.stock_model.rowCount() > 0

    type_chinese(pane.note_box, NOTE)
    qtbot.keyClick(pane.note_box, Qt.Key.Key_Return)

    def on_server() -> list:
        with store.engine.connect() as conn:
            return list(conn.execute(select(BuyerNote.agent_no, BuyerNote.client_id)
                                     .where(BuyerNote.buyer_id == buyer_id, BuyerNote.text == NOTE)))
    qtbot.waitUntil(lambda: len(on_server()) == 1, timeout=20_000)
    qtbot.waitUntil(lambda: [(n.text, n.status) for n in pane.notes_model.notes() if n.text == NOTE]
                    == [(NOTE, "synced")], timeout=20_000)
    (agent_no, client_id), = on_server()
    mine = next(n for n in pane.notes_model.notes() if n.text == NOTE)
    assert agent_no == "1024" and mine.agent_no == "1024" and mine.mutation_id == client_id
