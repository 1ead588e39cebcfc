"""Answering fast over HTTP, on SQLite and PostgreSQL (docs/PROTOCOL.md "Answering fast"): the
role in the Agent, the kinds shop.settings / phrase.* / buyer.note (applied, duplicate,
conflict, forbidden, invalid, too long), personal phrases only their owner receives, and the
shop's auto-reply on a buyer's first message of the China-time day."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select

from storeserver import answering, chat, ops
from storeserver.db import write_txn
from storeserver.models import Buyer, Conversation, Message
from storeserver.seed import DEMO_RELAY_KEY

from .conftest import Api

RELAY = {"Authorization": f"Relay {DEMO_RELAY_KEY}"}
_convs, _msgs = Conversation.__table__, Message.__table__
PHRASE = {"category": "logistics", "title": "快递单号", "shortcut": "kd2",
          "text": "亲，您的{carrier}单号是{tracking_no}，请注意查收～"}


@pytest.fixture
def amy(live) -> Api:
    """A colleague of the demo manager: agent 2002, role agent."""
    ops.create_agent(live.engine, live.shop_id, "amy", "pw-amy", "李小美", "2002")
    client = Api(live.url)
    client.login("amy", "pw-amy")
    return client


def _m(kind: str, entity_id: int, base: int = 0, payload: dict | None = None, mid: str | None = None) -> dict:
    return {"mutation_id": mid or str(uuid.uuid4()), "kind": kind, "entity_id": entity_id,
            "base_version": base, "payload": payload if payload is not None else {}}


def _one(api: Api, m: dict) -> dict:
    r = api.post("/mutations", {"mutations": [m]})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def _code(api: Api, m: dict) -> str | None:
    result = _one(api, m)
    return result.get("code") if result["status"] == "rejected" else result["status"]


def _settings(**over) -> dict:
    return {"auto_reply_enabled": True, "auto_reply_text": "您好，欢迎光临{shop_name}～", "cutoff_time": "16:30"} | over


def test_the_agent_carries_its_role(live, api, amy):
    assert api.ok("/me")["role"] == "manager"  # the demo agent manages the demo shop
    assert amy.ok("/me")["role"] == "agent"
    assert api.login()["agent"]["role"] == "manager"


def test_shop_settings_are_the_managers(live, api, amy):
    shop = live.shop_id
    (before,), _, feed = api.snapshot_all("shop_settings")
    assert before["id"] == shop and before["auto_reply_enabled"] and before["cutoff_time"] == "16:00"
    m = _m("shop.settings", shop, before["version"], _settings())
    first = _one(api, m)
    assert first["status"] == "applied" and first["version"] == before["version"] + 1
    assert first["state"] | {"seq": 0, "updated_at": None} == before | _settings() | {
        "version": first["version"], "seq": 0, "updated_by": "1024", "updated_at": None}
    assert _one(api, m) == {"mutation_id": m["mutation_id"], "status": "duplicate",
                            "original": {k: v for k, v in first.items() if k != "mutation_id"}}
    stale = _one(api, _m("shop.settings", shop, before["version"], _settings(cutoff_time="17:00")))
    assert (stale["status"], stale["version"], stale["state"]["cutoff_time"]) == ("conflict", first["version"], "16:30")
    assert _code(amy, _m("shop.settings", shop, first["version"], _settings())) == "forbidden"
    assert _code(api, _m("shop.settings", shop + 1, first["version"], _settings())) == "not_found"
    bad = [_settings(auto_reply_text="{order_no}到了"), _settings(auto_reply_text=" \n"),
           _settings(cutoff_time="24:00"), _settings(cutoff_time="9:00"), _settings(auto_reply_enabled="yes"),
           _settings(extra=1), {"auto_reply_enabled": False}]
    for payload in bad:
        assert _code(api, _m("shop.settings", shop, first["version"], payload)) == "invalid_payload", payload
    for text in ("一\n二\n三\n四\n五", "好" * 301, "一\r\n二\r\n三\r\n四\r\n"):
        assert _code(api, _m("shop.settings", shop, first["version"], _settings(auto_reply_text=text))) == "too_long"
    four = "一\n二\n三\n{buyer_nick}您好"
    assert _code(api, _m("shop.settings", shop, first["version"], _settings(auto_reply_text=four))) == "applied"
    off = _one(api, _m("shop.settings", shop, first["version"] + 1, _settings(auto_reply_enabled=False,
                                                                               auto_reply_text="")))
    assert off["status"] == "applied"
    changes, _ = api.drain("shop_settings", feed)
    assert [c["item"]["version"] for c in changes] == [off["version"]]  # the latest state travels


def test_phrases_team_by_the_manager_personal_by_anyone(live, api, amy):
    me, her = api.ok("/me")["id"], amy.ok("/me")["id"]
    m = _m("phrase.create", me, 0, {"team": True, **PHRASE})
    team = _one(api, m)
    assert team["status"] == "applied" and team["version"] == 1
    assert team["state"] | {"updated_at": None} == {"id": team["state"]["id"], "seq": team["seq"], "version": 1,
                                                    "owner_agent_no": None, **PHRASE, "updated_by": "1024",
                                                    "updated_at": None}
    assert _one(api, m)["status"] == "duplicate"
    assert _code(amy, _m("phrase.create", her, 0, {"team": True, **PHRASE})) == "forbidden"
    assert _code(amy, _m("phrase.create", me, 0, {"team": False, **PHRASE})) == "not_found"  # not her id
    mine = _one(amy, _m("phrase.create", her, 0, {"team": False, **PHRASE, "title": "我的单号"}))
    assert mine["status"] == "applied" and mine["state"]["owner_agent_no"] == "2002"
    tid, pid = team["state"]["id"], mine["state"]["id"]
    edit = PHRASE | {"text": "亲，{buyer_nick}，单号{tracking_no}"}
    assert _code(amy, _m("phrase.update", tid, 1, edit)) == "forbidden"
    assert _code(api, _m("phrase.update", pid, 1, edit)) == "not_found"  # another's personal phrase
    assert _code(api, _m("phrase.delete", pid, 1)) == "not_found"
    updated = _one(api, _m("phrase.update", tid, 1, edit))
    assert (updated["status"], updated["version"], updated["state"]["text"]) == ("applied", 2, edit["text"])
    stale = _one(api, _m("phrase.update", tid, 1, PHRASE))
    assert (stale["status"], stale["version"], stale["state"]["text"]) == ("conflict", 2, edit["text"])
    assert _one(amy, _m("phrase.update", pid, 1, edit))["status"] == "applied"  # her own


@pytest.mark.parametrize("change, code", [
    ({"text": "亲，{order_number}已发"}, "invalid_payload"),
    ({"text": "亲，{ tracking_no }"}, "invalid_payload"),
    ({"shortcut": "KD"}, "invalid_payload"),
    ({"shortcut": "k d"}, "invalid_payload"),
    ({"title": "  "}, "invalid_payload"),
    ({"text": "\n"}, "invalid_payload"),
    ({"category": "shipping"}, "invalid_payload"),
    ({"title": 5}, "invalid_payload"),
    ({"title": "标" * 41}, "too_long"),
    ({"shortcut": "a" * 21}, "too_long"),
    ({"text": "字" * 501}, "too_long"),
])
def test_a_bad_phrase_is_refused_and_nothing_is_written(live, api, change, code):
    me = api.ok("/me")["id"]
    _, _, feed = api.snapshot_all("phrases")
    assert _code(api, _m("phrase.create", me, 0, {"team": True, **PHRASE, **change})) == code
    assert _code(api, _m("phrase.create", me, 0, {"team": True, **PHRASE, "extra": 1})) == "invalid_payload"
    assert api.drain("phrases", feed)[0] == []


def test_a_phrase_of_500_characters_with_every_variable_is_kept(live, api):
    text = "".join(f"{{{n}}}" for n in answering.VARIABLES)
    text += "好" * (500 - len(text))
    one = _one(api, _m("phrase.create", api.ok("/me")["id"], 0,
                       {"team": True, **PHRASE, "title": "标" * 40, "shortcut": "a" * 20, "text": text}))
    assert one["status"] == "applied" and one["state"]["text"] == text


def test_personal_phrases_reach_only_their_owner(live, api, amy):
    her = amy.ok("/me")["id"]
    mine_before, pages, feed = api.snapshot_all("phrases")
    hers_before, her_pages, her_feed = amy.snapshot_all("phrases")
    assert {p["owner_agent_no"] for p in mine_before} == {None, "1024"}  # the demo's team and own
    assert {p["owner_agent_no"] for p in hers_before} == {None}
    assert pages[0]["total"] == len(mine_before) and her_pages[0]["total"] == len(hers_before) < len(mine_before)
    head = api.ok("/sync/head")["seq"]
    made = _one(amy, _m("phrase.create", her, 0, {"team": False, **PHRASE}))
    assert api.ok("/sync/wait", after=head, timeout=0)["streams"] == []  # nothing the manager sees
    assert amy.ok("/sync/wait", after=head, timeout=0)["streams"] == ["phrases"]
    assert api.drain("phrases", feed)[0] == []
    assert [c["item"]["id"] for c in amy.drain("phrases", her_feed)[0]] == [made["state"]["id"]]
    assert made["state"]["id"] not in {p["id"] for p in api.snapshot_all("phrases")[0]}
    assert made["state"]["id"] in {p["id"] for p in amy.snapshot_all("phrases")[0]}


def test_a_deleted_phrase_travels_as_a_tombstone(live, api, amy):
    items, _, feed = api.snapshot_all("phrases")
    phrase = next(p for p in items if p["owner_agent_no"] is None)
    _, _, her_feed = amy.snapshot_all("phrases")
    assert _code(amy, _m("phrase.delete", phrase["id"], phrase["version"])) == "forbidden"
    assert _one(api, _m("phrase.delete", phrase["id"], phrase["version"] + 1))["status"] == "conflict"
    assert _code(api, _m("phrase.delete", phrase["id"], phrase["version"], {"why": "old"})) == "invalid_payload"
    gone = _one(api, _m("phrase.delete", phrase["id"], phrase["version"]))
    assert (gone["status"], gone["version"], gone["state"]) == ("applied", phrase["version"], {})
    assert api.drain("phrases", feed)[0] == [{"seq": gone["seq"], "op": "delete", "id": phrase["id"]}]
    assert [c["op"] for c in amy.drain("phrases", her_feed)[0]] == ["delete"]
    assert _code(api, _m("phrase.delete", phrase["id"], phrase["version"])) == "not_found"


def test_buyer_notes_are_appended_for_every_colleague(live, api, amy):
    _, _, feed = amy.snapshot_all("buyer_notes")
    with live.engine.connect() as conn:
        buyer = conn.execute(select(Buyer.id).where(Buyer.shop_id == live.shop_id).order_by(Buyer.id)).scalar()
    m = _m("buyer.note", buyer, 0, {"text": "老客户，上次少发一件，已补发\n下次发货前核对件数"})
    note = _one(api, m)
    assert note["status"] == "applied" and note["version"] == 1
    assert note["state"] | {"created_at": None} == {
        "id": note["state"]["id"], "seq": note["seq"], "buyer_id": buyer, "text": m["payload"]["text"],
        "agent_no": "1024", "created_at": None, "client_id": m["mutation_id"]}
    assert _one(api, m)["status"] == "duplicate"
    assert _one(amy, _m("buyer.note", buyer, 0, {"text": "已电话回访"}))["status"] == "applied"
    assert _code(api, _m("buyer.note", 10 ** 9, 0, {"text": "x"})) == "not_found"
    for payload, code in (({"text": " \n"}, "invalid_payload"), ({"text": ""}, "invalid_payload"),
                          ({"text": 1}, "invalid_payload"), ({}, "invalid_payload"),
                          ({"text": "字" * 501}, "too_long")):
        assert _code(api, _m("buyer.note", buyer, 0, payload)) == code
    changes, _ = amy.drain("buyer_notes", feed)
    assert [(c["item"]["agent_no"], c["item"]["text"]) for c in changes] == [
        ("1024", m["payload"]["text"]), ("2002", "已电话回访")]


# ---- the auto-reply ----------------------------------------------------------------------------

def _quiet_buyer(live) -> int:
    """A buyer with no conversation at all (so no auto-reply yet today)."""
    with live.engine.connect() as conn:
        talked = select(_convs.c.buyer_id)
        return conn.execute(select(Buyer.id).where(Buyer.shop_id == live.shop_id, Buyer.id.not_in(talked))
                            .order_by(Buyer.id)).scalars().first()


def _say(live, buyer_id: int, text: str = "在吗？", client_id: str | None = None) -> dict:
    api = Api(live.url)
    r = api.post("/relay/messages", {"client_id": client_id or str(uuid.uuid4()), "buyer_id": buyer_id,
                                     "text": text}, headers=RELAY)
    assert r.status_code == 200, r.text
    return r.json()


def _messages(live, conv_id: int) -> list:
    with live.engine.connect() as conn:
        return conn.execute(select(_msgs).where(_msgs.c.conversation_id == conv_id).order_by(_msgs.c.id)).all()


def test_a_buyers_first_message_of_the_day_gets_the_greeting_at_once(live):
    buyer = _quiet_buyer(live)
    with live.engine.connect() as conn:
        nick = conn.execute(select(Buyer.nick).where(Buyer.id == buyer)).scalar_one()
    answering.set_settings(live.engine, live.shop_id, auto_reply_text="{buyer_nick}您好！\n欢迎光临{shop_name}")
    cid = str(uuid.uuid4())
    said = _say(live, buyer, "这件有S码吗", cid)
    _say(live, buyer, "这件有S码吗", cid)  # the relay's retry: a duplicate adds nothing
    with live.engine.connect() as conn:
        conv = chat.conversation(conn, live.shop_id, said["conversation_id"], lock=False)
    # The greeting does not hide the buyer's question in the queue.
    assert (conv.last_message_id, conv.last_message_sender, conv.last_message_preview) == (
        said["message"]["id"], "buyer", "这件有S码吗")
    _say(live, buyer, "还在吗")             # the same day: no second greeting
    first, auto, again = _messages(live, said["conversation_id"])
    assert (first.id, first.sender) == (said["message"]["id"], "buyer")
    with live.engine.connect() as conn:
        shop_name = conn.execute(select(answering._settings.c.shop_name)).scalar()
    assert (auto.id, auto.sender, auto.agent_no, auto.text) == (first.id + 1, "auto", None,
                                                                 f"{nick}您好！\n欢迎光临{shop_name}")
    assert again.sender == "buyer"
    with live.engine.connect() as conn:
        conv = chat.conversation(conn, live.shop_id, said["conversation_id"], lock=False)
    assert (conv.waiting_since, conv.unread, conv.last_message_sender) == (first.created_at, 2, "buyer")
    # The buyer's relay wait delivers it.
    r = Api(live.url).get(f"/relay/buyers/{buyer}/messages", headers=RELAY, after=first.id)
    assert [(m["sender"], m["id"]) for m in r.json()["messages"]] == [("auto", auto.id), ("buyer", again.id)]


def test_no_greeting_when_it_is_off(live):
    answering.set_settings(live.engine, live.shop_id, auto_reply_enabled=False)
    said = _say(live, _quiet_buyer(live))
    assert [m.sender for m in _messages(live, said["conversation_id"])] == ["buyer"]


def test_once_per_buyer_per_china_day(live):
    """The day is China time (UTC+8): 15:59 UTC is 23:59 there, 16:00 UTC the next day."""
    buyer = _quiet_buyer(live)

    def say(at: datetime) -> list[str]:
        with write_txn(live.engine) as conn:
            got = chat.buyer_message(conn, live.shop_id, buyer, "在吗", client_id=str(uuid.uuid4()),
                                     product_id=None, now=at)
            return conn.execute(select(_msgs.c.sender).where(_msgs.c.conversation_id == got.conversation_id,
                                                             _msgs.c.id >= got.message["id"])).scalars().all()

    assert say(datetime(2026, 11, 11, 15, 58)) == ["buyer", "auto"]
    assert say(datetime(2026, 11, 11, 15, 59, 59)) == ["buyer"]
    assert say(datetime(2026, 11, 11, 16, 0)) == ["buyer", "auto"]
    assert say(datetime(2026, 11, 12, 2, 0)) == ["buyer"]
    with live.engine.connect() as conn:
        days = conn.execute(select(answering._auto.c.day).where(answering._auto.c.buyer_id == buyer)
                            .order_by(answering._auto.c.day)).scalars().all()
        n_auto = conn.execute(select(func.count()).select_from(_msgs).join(_convs).where(
            _convs.c.buyer_id == buyer, _msgs.c.sender == "auto")).scalar_one()
    # Only the current day's claim is kept (the table stays one row per buyer); the
    # greetings themselves stay in the history.
    assert [str(d) for d in days] == ["2026-11-12"] and n_auto == 2


def test_a_posts_message_greeting_and_conversation_take_the_next_numbers_and_all_travel(live, api):
    """A relay post numbers what it writes consecutively from the head (the buyer's message,
    the greeting, the conversation; no number left unused), the feeds bring every one, and
    the post's answer is the message exactly as the feed has it."""
    feeds = {s: api.ok(f"/sync/{s}/snapshot", limit=1)["feed_cursor"] for s in ("conversations", "messages")}
    head = api.ok("/sync/head")["seq"]
    buyer = _quiet_buyer(live)
    said = _say(live, buyer, "这件有S码吗")
    conv_id = said["conversation_id"]
    assert api.ok("/sync/head")["seq"] == head + 3
    assert api.ok("/sync/wait", after=head, timeout=0)["streams"] == ["conversations", "messages"]
    messages, feeds["messages"] = api.drain("messages", feeds["messages"])
    convs, feeds["conversations"] = api.drain("conversations", feeds["conversations"])
    assert [(c["seq"], c["item"]["sender"]) for c in messages] == [(head + 1, "buyer"), (head + 2, "auto")]
    assert messages[0]["item"] == said["message"] and messages[1]["item"]["id"] > said["message"]["id"]
    assert [(c["seq"], c["item"]["id"]) for c in convs] == [(head + 3, conv_id)]
    conv = convs[0]["item"]
    assert (conv["version"], conv["last_message_id"], conv["unread"], conv["assigned_agent_no"]) == (
        1, said["message"]["id"], 1, "1024")
    # Again in the open conversation (no second greeting today): two numbers.
    again = _say(live, buyer, "还在吗")
    assert again["conversation_id"] == conv_id and api.ok("/sync/head")["seq"] == head + 5
    messages, _ = api.drain("messages", feeds["messages"])
    convs, _ = api.drain("conversations", feeds["conversations"])
    assert [(c["seq"], c["item"]) for c in messages] == [(head + 4, again["message"])]
    assert [(c["seq"], c["item"]["unread"], c["item"]["last_message_id"]) for c in convs] == [
        (head + 5, 2, again["message"]["id"])]
