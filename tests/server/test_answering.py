"""Answering fast beside the API: migration 0004 gives every existing shop its settings, a new
shop gets them too, the demo's phrases and greeting pass the server's own rules, and the
auto-reply stays at one per buyer per day with two server processes over PostgreSQL."""
from __future__ import annotations

import threading
import uuid
from collections import Counter
from contextlib import ExitStack

import pytest
import requests
from alembic import command
from sqlalchemy import func, select, text

from storeserver import answering, demophrases, mutations, ops, streams
from storeserver.db import alembic_config, upgrade
from storeserver.loadtest import start_server, stop_server
from storeserver.models import Buyer, Conversation, Message, Phrase, Shop

from tests.fixtures_server import _fresh_engine

from .test_live_events import db_url, listeners, until


@pytest.fixture
def pg_shop(_store_templates, tmp_path):
    """A fresh PostgreSQL database holding the seeded demo shop (40 orders): (engine, shop id)."""
    template, shop_id = _store_templates.seeded_template("postgresql", 40, 1)
    with ExitStack() as stack:
        yield _fresh_engine("postgresql", _store_templates, tmp_path, stack, template), shop_id


def test_existing_shops_get_their_settings_with_a_seq(server_engine):
    cfg = alembic_config(server_engine)
    command.downgrade(cfg, "0003")
    with server_engine.begin() as conn:
        for name, seq in (("店一", 40), ("店二", 7)):
            conn.execute(text("INSERT INTO shops (name, seq, epoch, purged_seq, created_at, overdue_after_s) "
                              "VALUES (:n, :s, 1, 0, '2026-11-11 00:00:00', 100)"), {"n": name, "s": seq})
    upgrade(server_engine)
    with server_engine.connect() as conn:
        shops = {r.name: r for r in conn.execute(select(Shop.__table__))}
        one = shops["店一"]
        assert (one.seq, shops["店二"].seq) == (41, 8)
        (entity,) = streams.snapshot_items(conn, "shop_settings", one.id, one.seq, None, 10)
        assert entity == {"id": one.id, "seq": 41, "version": 1, "shop_name": "店一", "auto_reply_enabled": False,
                          "auto_reply_text": "", "cutoff_time": "16:00", "updated_by": None, "updated_at": None}
        assert streams.snapshot_total(conn, "shop_settings", one.id, one.seq) == 1


def test_a_new_shop_comes_with_its_settings(server_engine):
    shop = ops.create_shop(server_engine, "新店")
    with server_engine.connect() as conn:
        (entity,) = streams.fetch_entities(conn, "shop_settings", shop, [shop])
        assert (entity["shop_name"], entity["auto_reply_enabled"], entity["seq"]) == ("新店", False, 1)


def test_the_demo_phrases_and_greeting_pass_the_servers_rules():
    team = demophrases.TEAM_PHRASES
    assert len(team) >= 40 and {c for c, *_ in team} == set(answering.CATEGORIES)
    assert len({s for _, _, s, _ in team}) == len(team)  # one shortcut each
    used = {v for *_, t in team for v in answering.variables_in(t)}
    assert used == set(answering.VARIABLES)  # every variable shows up in the demo
    for category, title, shortcut, body in team + demophrases.PERSONAL_PHRASES + tuple(
            demophrases.varied_phrases(2000)):
        payload = {"category": category, "title": title, "shortcut": shortcut, "text": body}
        assert answering.phrase_problem(title, shortcut, body) is None, title
        mutations.parse_payload(mutations.PhrasePayload, payload)  # the mutation's own check
    assert len({(t, x) for _, t, _, x in demophrases.varied_phrases(2000)}) == 2000  # all different
    assert answering.auto_reply_problem(True, demophrases.AUTO_REPLY) is None
    assert "{shop_name}" in demophrases.AUTO_REPLY and answering.line_count(demophrases.AUTO_REPLY) <= 4


def test_the_demo_shop_has_a_manager_phrases_and_notes(live):
    from storeserver.models import Agent, BuyerNote

    with live.engine.connect() as conn:
        assert conn.execute(select(Agent.role).where(Agent.agent_no == "1024")).scalar_one() == "manager"
        owners = Counter(conn.execute(select(Phrase.owner_agent_no).where(Phrase.shop_id == live.shop_id)).scalars())
        assert owners == {None: len(demophrases.TEAM_PHRASES), "1024": 3}
        notes = conn.execute(select(BuyerNote.buyer_id, BuyerNote.agent_no, BuyerNote.text)).all()
        open_buyers = set(conn.execute(select(Conversation.buyer_id).where(Conversation.status == "open")).scalars())
        assert len(notes) >= 3 and {b for b, _, _ in notes} <= open_buyers
        assert ("2048", "老客户，上次少发一件，已补发") in {(a, t) for _, a, t in notes}
        # Every demo conversation opened with the shop's greeting, right after the buyer's first message.
        for conv_id in conn.execute(select(Conversation.id)).scalars():
            senders = conn.execute(select(Message.sender).where(Message.conversation_id == conv_id)
                                   .order_by(Message.id).limit(2)).scalars().all()
            assert senders == ["buyer", "auto"]
    assert demophrases.seed_phrases(live.engine, live.shop_id, 120) == 120
    with live.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Phrase)).scalar_one() == len(demophrases.TEAM_PHRASES) + 123


def test_one_greeting_per_buyer_and_day_with_two_server_processes(pg_shop):
    """Two `storeserver serve` processes over one PostgreSQL database; the same buyer's
    messages posted at once to both: exactly one auto-reply."""
    engine, shop_id = pg_shop
    with engine.connect() as conn:
        talked = select(Conversation.buyer_id)
        buyer = conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id, Buyer.id.not_in(talked))
                             .order_by(Buyer.id)).scalars().first()
    posts, errors = 8, []
    with ExitStack() as stack:
        bases = []
        for _ in range(2):
            proc, base = start_server(db_url(engine), seed_demo=0)
            stack.callback(stop_server, proc)
            bases.append(base)
        until(lambda: listeners(engine) == 2, "both processes up")
        go = threading.Barrier(posts)

        def post(i: int) -> None:
            go.wait(10)
            r = requests.post(bases[i % 2] + "/api/v1/relay/messages", timeout=20,
                              headers={"Authorization": "Relay demo-relay-key"},
                              json={"client_id": str(uuid.uuid4()), "buyer_id": buyer, "text": f"在吗？{i}"})
            if r.status_code != 200:
                errors.append(r.text)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(posts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    with engine.connect() as conn:
        senders = conn.execute(select(Message.sender).join(Conversation).where(Conversation.buyer_id == buyer)
                               .order_by(Message.id)).scalars().all()
    assert Counter(senders) == {"buyer": posts, "auto": 1}
    assert senders[:2] == ["buyer", "auto"]  # right after the message that was first
