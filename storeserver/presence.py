"""Who else is looking at a conversation (docs/PROTOCOL.md, "Presence").

Not a write of record: no seq, no feed, nothing kept offline. A row lives `TTL` after its
last renewal; it is in the database (not process memory) so every server process sees it.
Expired rows of a conversation are dropped whenever someone renews theirs there.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .models import Agent, Conversation, Presence
from .ops import NotFound

TTL = timedelta(seconds=15)
_presence, _convs, _agents = Presence.__table__, Conversation.__table__, Agent.__table__


def _check(conn: Connection, shop_id: int, conversation_id: int) -> None:
    if conn.execute(select(_convs.c.id).where(_convs.c.id == conversation_id,
                                              _convs.c.shop_id == shop_id)).first() is None:
        raise NotFound(f"conversation {conversation_id}")


def put(conn: Connection, shop_id: int, conversation_id: int, agent_id: int, state: str,
        now: datetime) -> None:
    """`viewing`/`typing` (re)starts or renews the caller's row; `idle` ends it. `since`
    stays while the state stays."""
    _check(conn, shop_id, conversation_id)
    conn.execute(delete(_presence).where(_presence.c.conversation_id == conversation_id,
                                         _presence.c.until <= now))
    if state == "idle":
        conn.execute(delete(_presence).where(_presence.c.conversation_id == conversation_id,
                                             _presence.c.agent_id == agent_id))
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    ins = insert(_presence).values(conversation_id=conversation_id, agent_id=agent_id, state=state,
                                   since=now, until=now + TTL)
    conn.execute(ins.on_conflict_do_update(
        index_elements=[_presence.c.conversation_id, _presence.c.agent_id],
        set_={"state": ins.excluded.state, "until": ins.excluded.until,
              "since": case((_presence.c.state == ins.excluded.state, _presence.c.since),
                            else_=ins.excluded.since)}))


def others(conn: Connection, shop_id: int, conversation_id: int, agent_id: int,
           now: datetime) -> list[dict]:
    """Everyone but the caller whose row has not expired, longest there first."""
    _check(conn, shop_id, conversation_id)
    rows = conn.execute(
        select(_agents.c.agent_no, _agents.c.display_name, _presence.c.state, _presence.c.since)
        .join(_agents, _agents.c.id == _presence.c.agent_id)
        .where(_presence.c.conversation_id == conversation_id, _presence.c.agent_id != agent_id,
               _presence.c.until > now)
        .order_by(_presence.c.since, _agents.c.agent_no)).all()
    return [r._asdict() for r in rows]
