"""Phrase writes through a bad link to a real storeserver, exactly once: the agent's new
phrases, a team phrase, an edit and a delete go through the outbox while the link drops
answers after the server applied them, resets and answers 503; at the end the server holds
each new phrase once, the edit once (version 2), the delete; the cache shows the library
as the server has it, each phrase once. Bounded: a fixed seed and a capped number of pushes."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from sqlalchemy import select

from storeserver.models import Phrase as ServerPhrase
from tests.sync.chaos import Chaos, target_of
from workstation.models import outbox
from workstation.models import phrases as ph
from workstation.sync.client import StoreClient
from workstation.sync.errors import SyncError
from workstation.sync.puller import Puller
from workstation.sync.pusher import Pusher

from .conftest import signed_in

NEW = [f"测试短语{i}" for i in range(6)]


def _server_phrases(store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(ServerPhrase.__table__)).all()


def test_phrase_writes_reach_the_server_exactly_once_through_faults(store, cache):
    direct = signed_in(store.url)
    me = direct.me()
    assert me.role == "manager"  # the demo agent edits the team's library
    Puller(direct, cache.writer).run_once()
    team = ph.PhraseIndex(cache.engine, me.agent_no)
    team.refresh()
    edited, deleted = [m.phrase for m in team.search("")[:2]]
    for i, title in enumerate(NEW):
        cache.writer.run(ph.create_phrase, team=i == 0, category="logistics", title=title, shortcut=f"cs{i}",
                         text=f"亲，单号{{tracking_no}}（{i}）", agent_id=me.id)
    cache.writer.run(ph.update_phrase, edited.id, category=edited.category, title="改过的标题",
                     shortcut=edited.shortcut, text=edited.text)
    cache.writer.run(ph.delete_phrase, deleted.id)

    with Chaos(target_of(store.url), {"drop_response": 0.35, "reset": 0.1, "status_503": 0.1}, seed=1) as chaos:
        bad = StoreClient(chaos.url, timeout=(1, 5))
        bad.token = direct.token
        pusher = Pusher(bad, cache.writer)
        for _ in range(60):
            if not outbox.entries(cache.engine, ("pending", "inflight")):
                break
            cache.writer.run(outbox.make_due)  # network backoff skipped; a Retry-After (1 s) is honoured
            held = [e.next_attempt_at for e in outbox.entries(cache.engine, ("pending",)) if e.next_attempt_at]
            if held:
                time.sleep(min(1.5, max(0.0, (min(held) - datetime.now(timezone.utc)).total_seconds())))
            try:
                pusher.push()
            except SyncError:
                cache.writer.run(outbox.recover_inflight)
        bad.close()
        assert chaos.counts.get("drop_response"), "the link really dropped answers after the server applied them"
    left = outbox.entries(cache.engine, ("pending", "inflight", "conflict", "rejected"))
    assert not left, [(e.kind, e.status, e.error_code, e.last_error, e.base_version) for e in left]

    rows = _server_phrases(store)
    titles = [r.title for r in rows]
    assert all(titles.count(t) == 1 for t in NEW)
    assert [r.owner_agent_no for r in rows if r.title == NEW[0]] == [None]  # the team's
    assert {r.owner_agent_no for r in rows if r.title in NEW[1:]} == {me.agent_no}
    assert [(r.title, r.version) for r in rows if r.id == edited.id] == [("改过的标题", 2)]
    assert deleted.id not in {r.id for r in rows}

    Puller(direct, cache.writer).run_once()
    team.refresh()
    mine = [m.phrase for m in team.search("", limit=10_000)]
    assert sorted((p.title for p in mine), key=str) == sorted((r.title for r in rows
                                                                if r.owner_agent_no in (None, me.agent_no)), key=str)
    assert all(p.id is not None and p.status == "synced" for p in mine)
    direct.close()
