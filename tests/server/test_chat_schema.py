"""Migration 0003 (conversations) on SQLite and PostgreSQL: existing agents get their seq (so
a first load of `agents` brings every one), the schema is the models', and it goes back
down; the `agents` stream never sends what stays on the server."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from storeserver import ops, streams
from storeserver.db import alembic_config, upgrade
from storeserver.models import Agent, Base, Shop

SECRET_COLUMNS = {"login", "password_hash", "created_at", "last_seen_at", "shop_id", "last_assigned_seq"}


def test_existing_agents_get_a_seq_of_their_shop(server_engine):
    cfg = alembic_config(server_engine)
    command.downgrade(cfg, "0002")
    with server_engine.begin() as conn:
        shop = {}
        for name, seq in (("店一", 40), ("店二", 7)):
            shop[name] = conn.execute(text(
                "INSERT INTO shops (name, seq, epoch, purged_seq, created_at) "
                "VALUES (:n, :s, 1, 0, '2026-11-11 00:00:00') RETURNING id"), {"n": name, "s": seq}).scalar_one()
        for login, name in (("a1", "店一"), ("a2", "店二"), ("a3", "店一")):
            conn.execute(text("INSERT INTO agents (shop_id, login, password_hash, display_name, agent_no, "
                              "active, created_at) VALUES (:s, :l, 'x', '客服', :l, true, "
                              "'2026-11-11 00:00:00')"), {"s": shop[name], "l": login})
    command.upgrade(cfg, "0003")
    one, two = shop["店一"], shop["店二"]
    with server_engine.connect() as conn:
        agents = {r.login: r for r in conn.execute(select(Agent.__table__))}
        seqs = dict(conn.execute(select(Shop.id, Shop.seq)).all())
        assert (agents["a1"].seq, agents["a3"].seq, agents["a2"].seq) == (41, 42, 8)
        assert seqs == {one: 42, two: 8}
        assert {(a.role, a.status, a.capacity) for a in agents.values()} == {("agent", "receiving", 5)}
        assert conn.execute(select(Shop.overdue_after_s)).scalars().all() == [100, 100]
        # A first load of the stream counts and brings all of them.
        assert streams.snapshot_total(conn, "agents", one, seqs[one]) == 2
        assert [i["agent_no"] for i in streams.snapshot_items(conn, "agents", one, seqs[one], None, 10)] \
            == ["a3", "a1"]
    upgrade(server_engine)  # 0004 numbers each shop's settings next (43)
    # New agents take their number like any change.
    ops.create_agent(server_engine, one, "a4", "pw", "新客服", "1004")
    with server_engine.connect() as conn:
        assert conn.execute(select(Agent.seq).where(Agent.login == "a4")).scalar_one() == 44


def test_the_migrated_schema_is_the_models(server_engine):
    with server_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_it_goes_down_and_up_again(server_engine):
    cfg = alembic_config(server_engine)
    command.downgrade(cfg, "0002")
    with server_engine.connect() as conn:
        assert not server_engine.dialect.has_table(conn, "conversations")
    upgrade(server_engine)
    with server_engine.connect() as conn:
        assert server_engine.dialect.has_table(conn, "messages")


def test_the_agents_stream_sends_only_its_wire_fields(live, api):
    wire = {"id", "seq", "agent_no", "display_name", "role", "status", "capacity", "active"}
    assert set(streams.FIELDS["agents"]) == wire and not wire & SECRET_COLUMNS
    items, _, feed = api.snapshot_all("agents")
    assert items and all(set(i) == wire for i in items)
    ops.create_agent(live.engine, live.shop_id, "newbie", "pw-newbie", "新人", "1077")
    changes, _ = api.drain("agents", feed)
    assert [c["item"]["agent_no"] for c in changes] == ["1077"]
    assert set(changes[0]["item"]) == wire
    assert "pw-newbie" not in api.get("/sync/agents/changes", cursor=feed).text
