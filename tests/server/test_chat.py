"""The chat's domain writes (storeserver.chat) on SQLite and PostgreSQL: a buyer message opens
or continues the buyer's conversation, round robin within capacity among agents free to take
it, unassigned otherwise, pick-up on switching to receiving; derived fields in step; every
change numbered through the shop's seq."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from storeserver import chat, ops
from storeserver.db import write_txn
from storeserver.models import Agent, Buyer, Conversation, Message, Shop

_convs, _agents, _msgs = Conversation.__table__, Agent.__table__, Message.__table__


@pytest.fixture(params=["sqlite", "postgresql"])
def shop(request, store_factory):
    """A small demo shop whose seeded queue is emptied (every conversation closed), with three
    agents seen just now, capacity 2 each: 1024 (demo), 2001, 2002."""
    handle = store_factory(kind=request.param, orders=60, seed=3)
    eng, shop_id = handle.engine, handle.shop_id
    for login, no in (("a2001", "2001"), ("a2002", "2002")):
        ops.create_agent(eng, shop_id, login, "pw", f"客服{no}", no)
    now = ops.utcnow()
    with write_txn(eng) as conn:
        conn.execute(update(_convs).where(_convs.c.shop_id == shop_id).values(status="closed", closed_at=now))
        conn.execute(update(_agents).where(_agents.c.shop_id == shop_id).values(last_seen_at=now, capacity=2,
                                                                                   last_assigned_seq=0))
    return eng, shop_id


def _buyers(eng, shop_id, n: int) -> list[int]:
    with eng.connect() as conn:
        return conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id).order_by(Buyer.id).limit(n)).scalars().all()


def _say(eng, shop_id, buyer_id, text="在吗？", *, now=None, client_id=None, product_id=None):
    with write_txn(eng) as conn:
        return chat.buyer_message(conn, shop_id, buyer_id, text, client_id=client_id or str(uuid.uuid4()),
                                  product_id=product_id, now=now or ops.utcnow())


def _conv(eng, conv_id):
    with eng.connect() as conn:
        return conn.execute(select(_convs).where(_convs.c.id == conv_id)).one()


def _agent(eng, shop_id, agent_no):
    with eng.connect() as conn:
        return conn.execute(select(_agents).where(_agents.c.shop_id == shop_id, _agents.c.agent_no == agent_no)).one()


def test_new_conversations_go_round_robin_within_capacity_then_wait_unassigned(shop):
    eng, shop_id = shop
    buyers = _buyers(eng, shop_id, 8)
    got = [_conv(eng, _say(eng, shop_id, b).conversation_id).assigned_agent_no for b in buyers[:7]]
    # Fewest open first, then assigned longest ago, then the lowest id: fair and repeatable.
    assert got == ["1024", "2001", "2002", "1024", "2001", "2002", None]
    # A second message of a buyer goes into the same open conversation, not a new one.
    again = _say(eng, shop_id, buyers[0], "还在吗")
    assert again.conversation_id == _say(eng, shop_id, buyers[0], "?").conversation_id
    c = _conv(eng, again.conversation_id)
    assert (c.assigned_agent_no, c.unread, c.last_message_preview, c.last_message_sender) == ("1024", 3, "?", "buyer")


def test_only_receiving_active_recently_seen_agents_get_conversations(shop):
    eng, shop_id = shop
    now = ops.utcnow()
    with write_txn(eng) as conn:
        conn.execute(update(_agents).where(_agents.c.agent_no == "1024").values(status="paused"))
        conn.execute(update(_agents).where(_agents.c.agent_no == "2001").values(
            last_seen_at=now - chat.SEEN_WITHIN - timedelta(seconds=1)))
        conn.execute(update(_agents).where(_agents.c.agent_no == "2002").values(active=False))
    c = _conv(eng, _say(eng, shop_id, _buyers(eng, shop_id, 1)[0], now=now).conversation_id)
    assert c.assigned_agent_no is None and c.waiting_since == now


def test_switching_to_receiving_picks_up_the_longest_waiting_up_to_capacity(shop):
    eng, shop_id = shop
    now = ops.utcnow()
    with write_txn(eng) as conn:
        conn.execute(update(_agents).where(_agents.c.shop_id == shop_id).values(status="paused"))
    buyers = _buyers(eng, shop_id, 4)
    waiting = [_say(eng, shop_id, b, now=now - timedelta(seconds=60 - i * 10)).conversation_id
               for i, b in enumerate([buyers[2], buyers[0], buyers[3], buyers[1]])]
    assert {_conv(eng, c).assigned_agent_no for c in waiting} == {None}
    me = _agent(eng, shop_id, "2001")
    with write_txn(eng) as conn:
        answer = chat.set_status(conn, shop_id, me.id, "receiving")
    assert answer["status"] == "applied" and answer["state"]["status"] == "receiving"
    assert set(answer["state"]) == {"id", "seq", "agent_no", "display_name", "role", "status", "capacity", "active"}
    # Capacity 2: the two that waited longest, each a change (version + 1, a new seq).
    picked = [c for c in waiting if _conv(eng, c).assigned_agent_no == "2001"]
    assert picked == waiting[:2]
    assert [_conv(eng, c).version for c in waiting] == [2, 2, 1, 1]
    with eng.connect() as conn:
        shop_seq = conn.execute(select(Shop.seq).where(Shop.id == shop_id)).scalar_one()
    assert _conv(eng, waiting[1]).seq == shop_seq
    # Already full: switching again takes nothing more.
    with write_txn(eng) as conn:
        chat.set_status(conn, shop_id, me.id, "receiving")
    assert [_conv(eng, c).assigned_agent_no for c in waiting[2:]] == [None, None]


def test_a_message_and_its_conversation_take_the_next_numbers(shop):
    eng, shop_id = shop
    with eng.connect() as conn:
        before = conn.execute(select(Shop.seq).where(Shop.id == shop_id)).scalar_one()
    b = _buyers(eng, shop_id, 1)[0]
    first = _say(eng, shop_id, b, "亲，发什么快递？")
    second = _say(eng, shop_id, b, "能发顺丰吗")
    c = _conv(eng, first.conversation_id)
    assert before < first.message["seq"] < second.message["seq"] < c.seq
    with eng.connect() as conn:
        assert conn.execute(select(Shop.seq).where(Shop.id == shop_id)).scalar_one() == c.seq
    assert (c.last_message_id, c.waiting_since, c.unread) == (second.message["id"], first.message["created_at"], 2)


def test_a_reply_answers_and_reads_and_the_buyer_waits_again_after_it(shop):
    eng, shop_id = shop
    b = _buyers(eng, shop_id, 1)[0]
    m = _say(eng, shop_id, b, "什么时候发货")
    c = _conv(eng, m.conversation_id)
    with write_txn(eng) as conn:
        answer = chat.reply(conn, shop_id, c.id, agent_no="1024", text="今天发", after_message_id=m.message["id"],
                            base_version=c.version, mutation_id=str(uuid.uuid4()), now=ops.utcnow())
    assert answer["status"] == "applied" and answer["state"]["sender"] == "agent"
    c = _conv(eng, c.id)
    assert (c.waiting_since, c.unread, c.read_upto_message_id) == (None, 0, answer["state"]["id"])
    later = ops.utcnow() + timedelta(seconds=5)
    _say(eng, shop_id, b, "好的", now=later)
    assert _conv(eng, c.id).waiting_since == later
    # An auto or system message never stops the wait.
    with write_txn(eng) as conn:
        chat.add_message(conn, shop_id, c.id, sender="auto", text="您好", agent_no=None, now=later)
    assert _conv(eng, c.id).waiting_since == later


def test_relay_messages_are_idempotent_by_client_id(shop):
    eng, shop_id = shop
    b1, b2 = _buyers(eng, shop_id, 2)
    cid = str(uuid.uuid4())
    first = _say(eng, shop_id, b1, "在吗", client_id=cid)
    again = _say(eng, shop_id, b1, "在吗", client_id=cid)
    assert again.duplicate and not first.duplicate and again.message == first.message
    with pytest.raises(chat.ClientIdReused):
        _say(eng, shop_id, b1, "另一句", client_id=cid)
    with pytest.raises(chat.ClientIdReused):
        _say(eng, shop_id, b2, "在吗", client_id=cid)
    with eng.connect() as conn:
        assert len(conn.execute(select(_msgs.c.id).where(_msgs.c.client_id == cid)).all()) == 1
    with pytest.raises(ops.NotFound):
        _say(eng, shop_id, 10 ** 12)
    with pytest.raises(ops.NotFound):
        _say(eng, shop_id, b1, product_id=10 ** 12)
