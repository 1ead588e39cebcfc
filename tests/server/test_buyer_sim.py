"""The buyer simulator's buyers: real buyers of the shop asking, in Chinese, about their own
orders; the same seed gives the same buyers and the same questions."""
from __future__ import annotations

import random
import re
from collections import Counter

from sqlalchemy import delete, func, select

from storeserver.buyer_sim import TOPICS, Phrasebook, load_buyers
from storeserver.models import Order

NUMBER = re.compile(r"[A-Z]{0,4}\d{10,}")  # order numbers (18 digits) and tracking numbers


def questions(buyers, seed: int, per_buyer: int = 12) -> list[tuple[int, str, str]]:
    out = []
    for b in buyers:
        for i in range(per_buyer):
            topic, text = Phrasebook(random.Random(f"{seed}:{b.buyer_id}:{i}")).question(b)
            out.append((b.buyer_id, topic, text))
    return out


def test_buyers_ask_in_chinese_about_their_own_orders(store):
    buyers = load_buyers(store.engine, store.shop_id, 25, seed=3)
    assert len(buyers) == 25 and all(b.orders for b in buyers)
    with store.engine.connect() as conn:
        for b in buyers:  # every order of a profile is that buyer's own
            owners = conn.execute(select(Order.buyer_id).where(
                Order.order_no.in_([o.order_no for o in b.orders]))).scalars().all()
            assert set(owners) == {b.buyer_id}
    own = {b.buyer_id: {o.order_no for o in b.orders} | {o.tracking_no for o in b.orders if o.tracking_no}
           for b in buyers}
    asked = questions(buyers, seed=3)
    topics = Counter(topic for _, topic, _ in asked)
    assert set(topics) == set(TOPICS), topics  # bargaining, ship faster, arrival, logistics, ...
    named = 0
    for buyer_id, topic, text in asked:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
        numbers = NUMBER.findall(text)
        assert set(numbers) <= own[buyer_id], (text, own[buyer_id])  # never another buyer's order
        named += bool(numbers)
    assert named >= len(asked) // 5  # many questions name the order or the tracking number
    logistics = [text for _, topic, text in asked if topic == "logistics"]
    assert logistics and any(any(t in text for t in own[b]) for b, topic, text in asked if topic == "logistics")
    texts = [text for _, _, text in asked]
    assert any(t.startswith(("亲", "你好", "您好")) for t in texts)  # some open with 亲/你好...
    assert any(not t.startswith(("亲", "你好", "您好", "在吗", "老板", "客服")) for t in texts)  # ...not all
    assert len(set(texts)) > len(texts) * 0.8  # varied phrasing


def test_the_same_seed_gives_the_same_buyers_and_questions(store):
    first = load_buyers(store.engine, store.shop_id, 10, seed=5)
    again = load_buyers(store.engine, store.shop_id, 10, seed=5)
    assert first == again
    assert questions(first, seed=5) == questions(again, seed=5)
    other = load_buyers(store.engine, store.shop_id, 10, seed=6)
    assert [b.buyer_id for b in other] != [b.buyer_id for b in first]


def test_buyers_answer_with_thanks_or_a_follow_up(store):
    buyer = load_buyers(store.engine, store.shop_id, 1, seed=1)[0]
    answers = [Phrasebook(random.Random(i)).answer(topic, buyer, turn=1)
               for i in range(60) for topic in TOPICS]
    assert {more for _, more in answers} == {True, False}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text, _ in answers)
    # After the last turn a buyer only thanks (a chat ends).
    assert all(not Phrasebook(random.Random(i)).answer("bargain", buyer, turn=3)[1] for i in range(30))


def test_simulated_buyers_chat_through_the_relay_and_answer_replies(store):
    """A few seconds of `storeserver simulate`'s buyers against a live server, with an agent
    answering every waiting buyer: questions arrive as buyer messages, the buyers see the
    replies (through the relay's wait) and answer them."""
    import threading
    import time
    import uuid

    import requests

    from storeserver.buyer_sim import BuyerSimulator
    from storeserver.models import AutoReply, Conversation, Message

    buyers = load_buyers(store.engine, store.shop_id, 3, seed=4)
    sim = BuyerSimulator(store.url, "demo-relay-key", buyers, rate=3.0, duration=7.0, seed=4, patience_s=7.0)
    token = requests.post(store.url + "/api/v1/auth/login", json={"login": "demo", "password": "demo"},
                          timeout=10).json()["token"]
    ids = [b.buyer_id for b in buyers]
    answered: set[int] = set()

    def agent() -> None:  # answers each buyer message once, through POST /mutations
        while not sim._stop.is_set():
            with store.engine.connect() as conn:
                waiting = conn.execute(select(Conversation.id, Conversation.version, Conversation.last_message_id)
                                       .where(Conversation.buyer_id.in_(ids), Conversation.status == "open",
                                              Conversation.waiting_since.is_not(None))).all()
            for conv_id, version, last in waiting:
                if last in answered:
                    continue
                answered.add(last)
                requests.post(store.url + "/api/v1/mutations", timeout=10,
                              headers={"Authorization": f"Bearer {token}"},
                              json={"mutations": [{"mutation_id": str(uuid.uuid4()), "kind": "message.reply",
                                                   "entity_id": conv_id, "base_version": version,
                                                   "payload": {"text": "亲，马上为您处理", "after_message_id": last}}]})
            time.sleep(0.1)

    with store.engine.begin() as conn:
        started = conn.execute(select(func.max(Message.id))).scalar() or 0
        conn.execute(delete(AutoReply.__table__))  # each buyer's next message gets the greeting
    helper = threading.Thread(target=agent, daemon=True)
    helper.start()
    summary = sim.run()
    helper.join(5)
    assert summary.errors == Counter() and summary.questions >= 1
    assert summary.replies_seen >= 1 and summary.answered_chats >= 1
    with store.engine.connect() as conn:
        said = conn.execute(select(Message.sender, Message.text).join(Conversation)
                            .where(Message.id > started, Conversation.buyer_id.in_(ids))
                            .order_by(Message.id)).all()
    from_buyers = [t for s, t in said if s == "buyer"]
    assert len(from_buyers) == summary.messages_sent
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in from_buyers)
    assert summary.messages_sent > summary.questions  # buyers answered the replies they saw
    # ... from people only: the shop's auto-reply (each buyer's first of the day) is no answer.
    assert any(s == "auto" for s, _ in said)
    senders = [s for s, _ in said]
    assert senders.count("buyer") <= summary.questions + senders.count("agent")
