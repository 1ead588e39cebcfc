"""The chat over HTTP on SQLite and PostgreSQL: the buyer relay, the agents' chat mutations
with every stale case of a reply (and the caller's own replies never stale), transfer,
claim/close/reopen, the read mark, agent status, presence, shop scoping, the change feed,
and bad input refused with nothing changed."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select, update

from storeserver import answering, ops
from storeserver.db import write_txn
from storeserver.demodata import generate
from storeserver.models import Agent, Buyer, Conversation, Message, Presence
from storeserver.seed import DEMO_RELAY_KEY, seed_shop

from .conftest import Api

RELAY = {"Authorization": f"Relay {DEMO_RELAY_KEY}"}
_convs, _msgs = Conversation.__table__, Message.__table__


@pytest.fixture(autouse=True)
def _no_auto_reply(live):
    """These tests are about the agents' writes: the demo's greeting is off (the auto-reply
    has its own tests, test_answering_api.py)."""
    answering.set_settings(live.engine, live.shop_id, auto_reply_enabled=False)


@pytest.fixture
def amy(live) -> Api:
    """A colleague (agent 2002) of the demo agent, signed in."""
    ops.create_agent(live.engine, live.shop_id, "amy", "pw-amy", "李小美", "2002")
    client = Api(live.url)
    client.login("amy", "pw-amy")
    return client


def _quiet_buyer(live) -> int:
    """A buyer of the shop with no open conversation."""
    with live.engine.connect() as conn:
        busy = select(_convs.c.buyer_id).where(_convs.c.status == "open")
        return conn.execute(select(Buyer.id).where(Buyer.shop_id == live.shop_id, Buyer.id.not_in(busy))
                            .order_by(Buyer.id)).scalars().first()


def _say(api: Api, buyer_id: int, text: str = "在吗？", client_id: str | None = None, **extra):
    r = api.post("/relay/messages", {"client_id": client_id or str(uuid.uuid4()), "buyer_id": buyer_id,
                                     "text": text, **extra}, headers=RELAY)
    return r


def _said(api: Api, buyer_id: int, text: str = "在吗？") -> dict:
    r = _say(api, buyer_id, text)
    assert r.status_code == 200, r.text
    return r.json()


def _m(kind: str, entity_id: int, base: int = 0, mid: str | None = None, **payload) -> dict:
    return {"mutation_id": mid or str(uuid.uuid4()), "kind": kind, "entity_id": entity_id,
            "base_version": base, "payload": payload}


def _post(api: Api, *ms: dict) -> list[dict]:
    r = api.post("/mutations", {"mutations": list(ms)})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _one(api: Api, m: dict) -> dict:
    return _post(api, m)[0]


def _conv(live, conv_id: int):
    with live.engine.connect() as conn:
        return conn.execute(select(_convs).where(_convs.c.id == conv_id)).one()


def _n_messages(live, conv_id: int) -> int:
    with live.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(_msgs).where(_msgs.c.conversation_id == conv_id)).scalar_one()


def _mine(live, api: Api) -> tuple[int, int]:
    """A new conversation claimed by the demo agent: (id, the buyer's message id)."""
    said = _said(api, _quiet_buyer(live), "亲，什么时候发货？")
    conv = _conv(live, said["conversation_id"])
    if conv.assigned_agent_no != "1024":
        assert _one(api, _m("conversation.claim", conv.id, conv.version))["status"] == "applied"
    return conv.id, said["message"]["id"]


def _reply(api: Api, conv_id: int, after: int, text: str = "今天发出", base: int | None = None, live=None, **kw):
    if base is None:
        base = _conv(live, conv_id).version
    return _m("message.reply", conv_id, base, text=text, after_message_id=after, **kw)


# ---- the relay -----------------------------------------------------------------------------

def test_the_relay_opens_a_conversation_once_per_client_id(live, api):
    buyer = _quiet_buyer(live)
    cid = str(uuid.uuid4())
    first = _say(api, buyer, "这件有S码吗", cid, product_id=1)
    assert first.status_code == 200 and first.json()["duplicate"] is False
    again = _say(api, buyer, "这件有S码吗", cid.upper(), product_id=1)
    assert again.json() == {**first.json(), "duplicate": True}
    msg = first.json()["message"]
    assert (msg["sender"], msg["text"], msg["client_id"], msg["agent_no"]) == ("buyer", "这件有S码吗", cid, None)
    conv = _conv(live, first.json()["conversation_id"])
    assert (conv.buyer_id, conv.status, conv.product_id, conv.unread, conv.last_message_id) == (
        buyer, "open", 1, 1, msg["id"])
    assert _n_messages(live, conv.id) == 1
    reused = _say(api, buyer, "换了一句", cid)
    assert reused.status_code == 409 and reused.json()["code"] == "client_id_reused"
    assert _n_messages(live, conv.id) == 1


def test_the_relay_needs_the_shops_key_and_a_buyer_of_the_shop(live, api):
    buyer = _quiet_buyer(live)
    body = {"client_id": str(uuid.uuid4()), "buyer_id": buyer, "text": "在吗"}
    for headers in ({}, {"Authorization": "Relay wrong"}, {"Authorization": f"Bearer {api.token}"},
                    {"Authorization": "Relay "}):
        r = Api(live.url).post("/relay/messages", body, headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "bad_relay_key", headers
    other = seed_shop(live.engine, generate(10, seed=7), shop_name="隔壁小店", login="other",
                      password="pw-other", display_name="隔壁客服", agent_no="2001", relay_key="other-key")
    with live.engine.connect() as conn:
        theirs = conn.execute(select(Buyer.id).where(Buyer.shop_id == other)).scalars().first()
    for bad in (theirs, 10 ** 12):
        r = _say(api, bad)
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        assert api.get(f"/relay/buyers/{bad}/messages", headers=RELAY).status_code == 404
    assert _say(api, buyer, product_id=10 ** 12).status_code == 404
    # Their key reaches their buyer, never ours.
    mine = Api(live.url).post("/relay/messages", body, headers={"Authorization": "Relay other-key"})
    assert mine.status_code == 404


@pytest.mark.parametrize("field,value", [("text", "在\x00吗"), ("text", "字" * 2001), ("text", ""),
                                         ("text", 12), ("buyer_id", "7"), ("buyer_id", 0),
                                         ("client_id", "not-a-uuid"), ("product_id", "1")])
def test_bad_relay_input_is_refused_and_changes_nothing(live, api, field, value):
    buyer = _quiet_buyer(live)
    body = {"client_id": str(uuid.uuid4()), "buyer_id": buyer, "text": "在吗", field: value}
    with live.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(_msgs)).scalar_one()
    r = api.post("/relay/messages", body, headers=RELAY)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["errors"][0]["loc"][-1] == field
    with live.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(_msgs)).scalar_one() == before


def test_the_buyer_sees_the_reply_through_the_relays_wait(live, api):
    conv_id, asked = _mine(live, api)
    got: dict = {}

    def wait():
        got["r"] = api.http.get(f"{api.base}/relay/buyers/{_conv(live, conv_id).buyer_id}/messages",
                                params={"after": asked, "timeout": 20}, headers=RELAY, timeout=30)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert _one(api, _reply(api, conv_id, asked, "亲，今天下午发出", live=live))["status"] == "applied"
    waiter.join(30)
    messages = got["r"].json()["messages"]
    assert [(m["sender"], m["text"], m["agent_no"]) for m in messages] == [("agent", "亲，今天下午发出", "1024")]
    # The whole history from the start; an `after` beyond every message is answered at once.
    buyer = _conv(live, conv_id).buyer_id
    everything = api.ok(f"/relay/buyers/{buyer}/messages", headers=RELAY)["messages"]
    assert [m["id"] for m in everything] == sorted(m["id"] for m in everything) and everything[-1] == messages[0]
    assert api.ok(f"/relay/buyers/{buyer}/messages", headers=RELAY, after=10 ** 15, timeout=30) == {"messages": []}


# ---- replies ---------------------------------------------------------------------------------

def test_a_reply_is_applied_once_and_a_retry_gets_the_original(live, api):
    conv_id, asked = _mine(live, api)
    m = _reply(api, conv_id, asked, "亲，今天发出\n顺丰快递", live=live)
    first = _one(api, m)
    assert first["status"] == "applied" and first["version"] == _conv(live, conv_id).version
    msg = first["state"]
    assert (msg["sender"], msg["agent_no"], msg["text"], msg["client_id"], msg["seq"]) == (
        "agent", "1024", "亲，今天发出\n顺丰快递", m["mutation_id"], first["seq"])
    c = _conv(live, conv_id)
    assert (c.waiting_since, c.unread, c.read_upto_message_id, c.last_message_sender) == (None, 0, msg["id"], "agent")
    _said(api, c.buyer_id, "好的")
    again = _one(api, m)
    assert again["status"] == "duplicate" and again["original"] == {k: v for k, v in first.items() if k != "mutation_id"}
    assert _n_messages(live, conv_id) == 3


def test_my_own_newer_replies_never_make_my_next_reply_stale(live, api):
    conv_id, asked = _mine(live, api)
    # Two replies written offline one after the other, both based on the buyer's question.
    a, b = _post(api, _reply(api, conv_id, asked, "亲，在的", live=live), _reply(api, conv_id, asked, "马上为您查询", live=live))
    assert (a["status"], b["status"]) == ("applied", "applied")


def test_a_reply_over_a_buyer_message_not_seen_is_held(live, api):
    conv_id, asked = _mine(live, api)
    newer = _said(api, _conv(live, conv_id).buyer_id, "算了，不要了")["message"]
    before = _n_messages(live, conv_id)
    answer = _one(api, _reply(api, conv_id, asked, "好的亲", live=live))
    assert answer["status"] == "conflict" and answer["state"]["stale"] == "buyer_wrote"
    assert [m["id"] for m in answer["state"]["messages"]] == [newer["id"]]
    assert answer["state"]["conversation"]["id"] == conv_id and answer["version"] == _conv(live, conv_id).version
    assert _n_messages(live, conv_id) == before


def test_a_reply_over_a_colleagues_reply_not_seen_is_held(live, api, amy):
    conv_id, asked = _mine(live, api)
    theirs = _one(amy, _reply(amy, conv_id, asked, "亲，我来帮您看", live=live))
    assert theirs["status"] == "applied"
    answer = _one(api, _reply(api, conv_id, asked, "今天发", live=live))
    assert answer["state"]["stale"] == "colleague_replied"
    assert [m["text"] for m in answer["state"]["messages"]] == ["亲，我来帮您看"]
    # Seen now: the same reply based on the newest message goes out.
    assert _one(api, _reply(api, conv_id, theirs["state"]["id"], "今天发", live=live))["status"] == "applied"


def test_a_reply_to_a_changed_or_closed_conversation_is_held(live, api, amy):
    conv_id, asked = _mine(live, api)
    seen = _conv(live, conv_id).version
    assert _one(amy, _m("conversation.claim", conv_id, seen))["status"] == "applied"
    changed = _one(api, _reply(api, conv_id, asked, base=seen))
    assert changed["status"] == "conflict" and changed["state"]["stale"] == "changed"
    assert changed["state"]["conversation"]["assigned_agent_no"] == "2002"
    assert _one(amy, _m("conversation.close", conv_id, seen + 1))["status"] == "applied"
    closed = _one(api, _reply(api, conv_id, asked, base=seen + 2))
    assert closed["state"]["stale"] == "closed" and closed["state"]["conversation"]["status"] == "closed"
    assert _n_messages(live, conv_id) == 1


@pytest.mark.parametrize("payload,code", [
    ({"text": "在\x00吗", "after_message_id": 0}, "invalid_payload"),
    ({"text": "字" * 2001, "after_message_id": 0}, "too_long"),
    ({"text": " \n ", "after_message_id": 0}, "invalid_payload"),
    ({"text": 5, "after_message_id": 0}, "invalid_payload"),
    ({"text": "好", "after_message_id": "3"}, "invalid_payload"),
    ({"text": "好", "after_message_id": -1}, "invalid_payload"),
    ({"text": "好"}, "invalid_payload"),
    ({"text": "好", "after_message_id": 0, "extra": 1}, "invalid_payload"),
])
def test_a_bad_reply_is_rejected_and_nothing_is_written(live, api, payload, code):
    conv_id, _ = _mine(live, api)
    version = _conv(live, conv_id).version
    answer = _one(api, {"mutation_id": str(uuid.uuid4()), "kind": "message.reply", "entity_id": conv_id,
                        "base_version": version, "payload": payload})
    assert (answer["status"], answer["code"]) == ("rejected", code)
    assert "payload." in answer["reason"] and "\x00" not in answer["reason"]
    assert _n_messages(live, conv_id) == 1


def test_a_reply_of_2000_characters_with_newlines_is_kept_as_is(live, api):
    conv_id, asked = _mine(live, api)
    text = ("亲，" + "好" * 996 + "\r\n") * 2
    assert len(text) == 2000
    answer = _one(api, _reply(api, conv_id, asked, text, live=live))
    assert answer["status"] == "applied" and answer["state"]["text"] == text


# ---- claim, transfer, close, reopen, read ---------------------------------------------------------

def test_transfer_assigns_the_colleague_with_a_note_in_the_history(live, api, amy):
    conv_id, _ = _mine(live, api)
    v = _conv(live, conv_id).version
    unknown = _one(api, _m("conversation.transfer", conv_id, v, to_agent_no="9999", note=""))
    assert (unknown["status"], unknown["code"]) == ("rejected", "unknown_agent")
    with write_txn(live.engine) as conn:
        conn.execute(update(Agent.__table__).where(Agent.agent_no == "2002").values(active=False))
    inactive = _one(api, _m("conversation.transfer", conv_id, v, to_agent_no="2002", note="售后问题"))
    assert inactive["code"] == "unknown_agent"
    with write_txn(live.engine) as conn:
        conn.execute(update(Agent.__table__).where(Agent.agent_no == "2002").values(active=True))
    stale = _one(api, _m("conversation.transfer", conv_id, v - 1, to_agent_no="2002", note=""))
    assert stale["status"] == "conflict" and stale["state"]["version"] == v
    done = _one(api, _m("conversation.transfer", conv_id, v, to_agent_no="2002", note="售后问题"))
    assert done["status"] == "applied" and done["version"] == v + 1
    state = done["state"]
    assert (state["assigned_agent_no"], state["transfer_note"], state["transferred_by"]) == ("2002", "售后问题", "1024")
    assert (state["last_message_sender"], state["last_message_preview"]) == ("system", "转接给 2002：售后问题")
    with live.engine.connect() as conn:
        last = conn.execute(select(_msgs).where(_msgs.c.conversation_id == conv_id).order_by(_msgs.c.id.desc())).first()
    assert (last.sender, last.agent_no, last.text) == ("system", "1024", "转接给 2002：售后问题")
    assert state["waiting_since"] is not None  # a system message does not answer the buyer


def test_claim_close_reopen_move_the_version_and_refuse_a_stale_base(live, api, amy):
    conv_id, _ = _mine(live, api)
    v = _conv(live, conv_id).version
    claimed = _one(amy, _m("conversation.claim", conv_id, v))
    assert claimed["status"] == "applied" and claimed["state"]["assigned_agent_no"] == "2002" and claimed["version"] == v + 1
    assert _one(api, _m("conversation.claim", conv_id, v))["status"] == "conflict"
    assert _one(api, _m("conversation.close", conv_id, v))["status"] == "conflict"
    closed = _one(api, _m("conversation.close", conv_id, v + 1))
    assert closed["state"]["status"] == "closed" and closed["state"]["closed_at"] and closed["version"] == v + 2
    refused = _one(api, _m("conversation.claim", conv_id, v + 2))
    assert (refused["status"], refused["code"]) == ("rejected", "closed")
    assert _one(api, _m("conversation.reopen", conv_id, v + 1))["status"] == "conflict"
    reopened = _one(api, _m("conversation.reopen", conv_id, v + 2))
    assert reopened["state"]["status"] == "open" and reopened["state"]["closed_at"] is None
    assert reopened["version"] == v + 3


def test_a_buyer_writing_after_close_opens_a_new_conversation_and_the_old_cannot_reopen(live, api):
    conv_id, _ = _mine(live, api)
    v = _conv(live, conv_id).version
    assert _one(api, _m("conversation.close", conv_id, v))["status"] == "applied"
    newer = _said(api, _conv(live, conv_id).buyer_id, "还有个问题")
    assert newer["conversation_id"] != conv_id
    refused = _one(api, _m("conversation.reopen", conv_id, v + 1))
    assert (refused["status"], refused["code"]) == ("rejected", "another_open")


def test_the_read_mark_only_moves_forward(live, api):
    conv_id, first = _mine(live, api)
    buyer = _conv(live, conv_id).buyer_id
    second = _said(api, buyer, "第二句")["message"]["id"]
    third = _said(api, buyer, "第三句")["message"]["id"]
    moved = _one(api, _m("conversation.read", conv_id, 0, upto_message_id=second))
    assert moved["status"] == "applied" and (moved["state"]["read_upto_message_id"], moved["state"]["unread"]) == (second, 1)
    back = _one(api, _m("conversation.read", conv_id, 0, upto_message_id=first))
    assert back["status"] == "applied" and back["state"]["read_upto_message_id"] == second
    assert back["seq"] == moved["seq"]  # nothing moved: no new change
    beyond = _one(api, _m("conversation.read", conv_id, 0, upto_message_id=10 ** 15))
    assert (beyond["state"]["read_upto_message_id"], beyond["state"]["unread"]) == (third, 0)
    assert _one(api, _m("conversation.read", conv_id, 0, upto_message_id=-1))["code"] == "invalid_payload"


def test_agent_status_is_ones_own_and_receiving_picks_up_waiting_buyers(live, api, amy):
    me = api.ok("/me")
    theirs = amy.ok("/me")
    other = _one(api, _m("agent.status", theirs["id"], 0, status="paused"))
    assert (other["status"], other["code"]) == ("rejected", "not_found")
    paused = _one(amy, _m("agent.status", theirs["id"], 0, status="paused"))
    assert paused["state"] == {"id": theirs["id"], "seq": paused["seq"], "agent_no": "2002", "display_name": "李小美",
                               "role": "agent", "status": "paused", "capacity": 5, "active": True}
    assert _one(amy, _m("agent.status", theirs["id"], 0, status="away"))["code"] == "invalid_payload"
    with live.engine.connect() as conn:
        waiting = conn.execute(select(_convs.c.id).where(
            _convs.c.shop_id == live.shop_id, _convs.c.status == "open", _convs.c.assigned_agent_no.is_(None))
            .order_by(_convs.c.waiting_since)).scalars().all()
    assert waiting  # the demo's unassigned buyers
    receiving = _one(amy, _m("agent.status", theirs["id"], 0, status="receiving"))
    assert receiving["state"]["status"] == "receiving"
    assert {_conv(live, c).assigned_agent_no for c in waiting} == {"2002"}
    assert me["overdue_after_s"] == 100


def test_the_caller_is_seen_at_most_once_per_30_seconds(live, api):
    me = api.ok("/me")
    with live.engine.connect() as conn:
        assert conn.execute(select(Agent.last_seen_at).where(Agent.id == me["id"])).scalar_one() is not None
    with write_txn(live.engine) as conn:
        conn.execute(update(Agent.__table__).where(Agent.id == me["id"]).values(last_seen_at=None))
    api.ok("/sync/head")
    with live.engine.connect() as conn:  # written at sign-in, not again within 30 s
        assert conn.execute(select(Agent.last_seen_at).where(Agent.id == me["id"])).scalar_one() is None


# ---- scoping, feed ------------------------------------------------------------------------------

def test_another_shops_conversation_is_not_found(live, api):
    other = seed_shop(live.engine, generate(10, seed=7), shop_name="隔壁小店", login="other",
                      password="pw-other", display_name="隔壁客服", agent_no="2001")
    with live.engine.connect() as conn:
        theirs = conn.execute(select(_convs).where(_convs.c.shop_id == other, _convs.c.status == "open")).first()
    before = _conv(live, theirs.id)
    kinds = [("message.reply", {"text": "好", "after_message_id": theirs.last_message_id}),
             ("conversation.claim", {}), ("conversation.close", {}), ("conversation.reopen", {}),
             ("conversation.transfer", {"to_agent_no": "1024", "note": ""}),
             ("conversation.read", {"upto_message_id": theirs.last_message_id})]
    for kind, payload in kinds:
        answer = _one(api, _m(kind, theirs.id, theirs.version, **payload))
        assert (answer["status"], answer["code"]) == ("rejected", "not_found"), kind
        assert answer["reason"] == f"no conversation {theirs.id} in this shop"
    assert _conv(live, theirs.id) == before
    for method in ("get", "put"):
        r = getattr(api.http, method)(f"{api.base}/conversations/{theirs.id}/presence", json={"state": "viewing"},
                                      headers={"Authorization": f"Bearer {api.token}"}, timeout=10)
        assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_messages_and_conversations_travel_in_the_feed_in_seq_order(live, api):
    feeds = {s: api.ok(f"/sync/{s}/snapshot", limit=1)["feed_cursor"] for s in ("conversations", "messages")}
    buyer = _quiet_buyer(live)
    said = _said(api, buyer, "有优惠吗")
    conv_id = said["conversation_id"]
    v = _conv(live, conv_id).version
    reply = _one(api, _reply(api, conv_id, said["message"]["id"], "亲，满199减20", base=v))
    messages, _ = api.drain("messages", feeds["messages"])
    convs, _ = api.drain("conversations", feeds["conversations"])
    assert [(c["item"]["id"], c["item"]["sender"]) for c in messages] == [
        (said["message"]["id"], "buyer"), (reply["state"]["id"], "agent")]
    assert [c["item"]["id"] for c in convs] == [conv_id]  # its last change only
    item = convs[0]["item"]
    assert item["last_message_id"] == reply["state"]["id"] and item["waiting_since"] is None
    seqs = [messages[0]["seq"], messages[1]["seq"], convs[0]["seq"]]
    assert seqs == sorted(seqs) and convs[0]["seq"] == api.ok("/sync/head")["seq"]


# ---- presence ---------------------------------------------------------------------------------

def _presence(api: Api, conv_id: int, state: str | None = None):
    url = f"{api.base}/conversations/{conv_id}/presence"
    headers = {"Authorization": f"Bearer {api.token}"}
    if state is None:
        r = api.http.get(url, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["others"]
    return api.http.put(url, json={"state": state}, headers=headers, timeout=10)


def test_presence_shows_colleagues_across_requests_and_expires(live, api, amy):
    conv_id, _ = _mine(live, api)
    assert _presence(api, conv_id, "viewing").status_code == 204
    assert _presence(api, conv_id) == []  # the caller is left out
    (seen,) = _presence(amy, conv_id)
    assert (seen["agent_no"], seen["display_name"], seen["state"]) == ("1024", "演示客服", "viewing")
    assert _presence(api, conv_id, "typing").status_code == 204
    assert _presence(amy, conv_id)[0]["state"] == "typing"
    assert _presence(amy, conv_id, "viewing").status_code == 204
    assert [o["agent_no"] for o in _presence(api, conv_id)] == ["2002"]
    assert _presence(api, conv_id, "idle").status_code == 204
    assert _presence(amy, conv_id) == []
    # Not renewed within 15 s: gone.
    assert _presence(api, conv_id, "viewing").status_code == 204
    with write_txn(live.engine) as conn:
        conn.execute(update(Presence.__table__).values(until=ops.utcnow()))
    assert _presence(amy, conv_id) == []
    bad = _presence(api, conv_id, "sleeping")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_request"


def test_concurrent_copies_of_one_relay_message_store_it_once(live, api):
    from concurrent.futures import ThreadPoolExecutor

    buyer, cid = _quiet_buyer(live), str(uuid.uuid4())
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: Api(live.url).post(
            "/relay/messages", {"client_id": cid, "buyer_id": buyer, "text": "在吗"}, headers=RELAY), range(8)))
    assert {r.status_code for r in answers} == {200}
    assert sorted(r.json()["duplicate"] for r in answers) == [False] + [True] * 7
    assert len({r.json()["message"]["id"] for r in answers}) == 1
    with live.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(_msgs).where(_msgs.c.client_id == cid)).scalar_one() == 1
