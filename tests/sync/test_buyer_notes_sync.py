"""Buyer notes through the real sync loop to a real server: written offline, shown at once as
waiting; then delivered through a link that drops requests, drops answers after the server
applied them, resets, cuts bodies short, answers 503/429 and delays. Every note is on the
server exactly once (by its client id), and the cache shows each once, synced, with its
author. Bounded: a fixed number of notes, a fixed seed, every wait capped."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import select

from storeserver.models import BuyerNote
from tests.sync.chaos import Chaos, target_of, wait_until
from workstation.models import buyers, outbox
from workstation.sync.client import StoreClient
from workstation.sync.service import SyncService

LIMIT_S = 60.0
BUYERS = (1, 2, 3)
NOTES_PER_BUYER = 6
FAULT_RATE = 0.05


def _server_notes(store) -> list[tuple[int, str, str, str | None]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(BuyerNote.buyer_id, BuyerNote.text, BuyerNote.agent_no, BuyerNote.client_id)
            .where(BuyerNote.shop_id == store.shop_id))]


def test_notes_written_offline_reach_the_server_exactly_once_through_faults(store, cache, monkeypatch):
    monkeypatch.setattr(outbox, "BACKOFF_MAX_S", 0.5)  # quick retries in a test
    monkeypatch.setattr(outbox, "MAX_RETRY_AFTER_S", 1.0)
    before = len(_server_notes(store))
    with Chaos.every(target_of(store.url), FAULT_RATE, max_delay_s=0.2, seed=7) as link:
        link.set_mode("down")  # the agent starts offline
        client = StoreClient(link.url, timeout=(1, 5))
        link.set_mode("pass")
        for _ in range(20):  # sign-in itself goes through the bad link
            try:
                client.login(store.login, store.password)
                break
            except Exception:  # noqa: BLE001 - the fault injector at work; try again
                pass
        link.set_mode("down")
        service = SyncService(client, cache.writer, long_poll_s=5, backoff_first_s=0.1, backoff_max_s=0.5,
                              probe_interval_s=0.2, offline_after_s=1)
        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        try:
            written: dict[str, tuple[int, str]] = {}
            for k in range(NOTES_PER_BUYER):
                for bid in BUYERS:
                    text = f"买家{bid}备注{k}：喜欢顺丰，下午三点后再打电话"
                    changes = service.submit_write(buyers.add_note, bid, text, agent_no="1024").result(timeout=LIMIT_S)
                    written.update({mid: (bid, text) for mid in changes.outbox})
            assert len(written) == len(BUYERS) * NOTES_PER_BUYER
            assert all(n.status == "queued" for bid in BUYERS for n in buyers.notes(cache.engine, bid))
            link.set_mode("pass")  # the network is back, but bad
            wait_until(lambda: outbox.counts(cache.engine) == {"done": len(written)}, LIMIT_S, "every note sent")
            link.rates.clear()  # then it heals: the pull brings the notes back

            def pulled() -> bool:
                return all(n.status == "synced" and n.note_id is not None
                           for bid in BUYERS for n in buyers.notes(cache.engine, bid) if n.mutation_id in written)
            service.wake(["buyer_notes"])
            wait_until(pulled, LIMIT_S, "the notes pulled back")
        finally:
            service.stop()
            thread.join(timeout=LIMIT_S)
            client.close()
    on_server = _server_notes(store)
    ours = Counter(cid for _b, _t, _a, cid in on_server if cid in written)
    assert ours == Counter(written.keys())  # each note exactly once: 0 lost, 0 doubled
    assert len(on_server) - before == len(written)
    assert {(b, t) for b, t, a, cid in on_server if cid in written and a == "1024"} == set(written.values())
    for bid in BUYERS:
        mine = [n for n in buyers.notes(cache.engine, bid) if n.mutation_id in written]
        assert [n.text for n in mine] == [t for _m, (b, t) in reversed(written.items()) if b == bid]  # newest first
        assert len({n.note_id for n in mine}) == NOTES_PER_BUYER and all(n.agent_no == "1024" for n in mine)
    assert sum(link.counts.values()) > 0  # the faults really happened
