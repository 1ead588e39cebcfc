"""Exactly-once through a bad network: two agents of one shop write remarks on the same few
orders while their links drop requests, drop answers after the server applied them, reset,
delay, answer 503 or 429 with Retry-After, cut bodies short, and go down for a while. At the
end the server's history holds every intended write exactly once (0 lost, 0 doubled) and
every write that was not applied was surfaced to its agent as a conflict, which the agent
merged. Bounded: a fixed number of writes, a fixed seed, every wait capped."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select

from storeserver import ops
from storeserver.models import Order, RemarkHistory
from tests.sync.chaos import Chaos, target_of, wait_until
from workstation.models import outbox, remarks
from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.service import SyncService

WRITES_PER_AGENT = 150
ORDERS = (21, 22, 23, 24, 25, 26)
FAULT_RATE = 0.04  # each of the 8 faults: about a third of all requests misbehave
LIMIT_S = 90.0


class Agent:
    def __init__(self, name: str, store, tmp_path, login: str, password: str, agent_no: str, seed: int):
        self.name, self.agent_no = name, agent_no
        self.rng = random.Random(seed)
        self.chaos = Chaos.every(target_of(store.url), FAULT_RATE, max_delay_s=0.3, seed=seed)
        self.cache = open_cache(tmp_path / f"{name}.sqlite3")
        self.client = StoreClient(self.chaos.url, timeout=(1, 5))
        for _ in range(20):  # sign-in itself goes through the bad link
            try:
                self.client.login(login, password)
                break
            except Exception:  # noqa: BLE001 - the fault injector at work; try again
                time.sleep(0.05)
        self.service = SyncService(self.client, self.cache.writer, long_poll_s=5, backoff_first_s=0.1,
                                   backoff_max_s=0.5, probe_interval_s=0.2, offline_after_s=2)
        self.thread = threading.Thread(target=self.service.run, daemon=True)
        self.intended: set[str] = set()   # every write the agent made
        self.surfaced: set[str] = set()   # writes shown as a conflict and merged by the agent
        self.resolutions = 0

    def write(self, order_id: int, text: str) -> None:
        changes = self.service.submit_write(remarks.save_remark, order_id, text=text, flag=1 + len(text) % 5,
                                            reason="测试", agent_no=self.agent_no).result(timeout=LIMIT_S)
        self.intended |= set(changes.outbox)

    def resolve_conflicts(self) -> None:
        for e in outbox.entries(self.cache.engine, ("conflict",)):
            state = remarks.remark_state(self.cache.engine, e.entity_id)
            if state.status != "conflict":
                continue
            later = [r.mutation_id for r in outbox.entries(self.cache.engine, ("pending", "conflict"))
                     if r.entity_id == e.entity_id and r.ordinal > e.ordinal]
            theirs = remarks.parse_memo(state.theirs["remark"]) or {"text": state.theirs["remark"]}
            merged = f"{theirs['text'][:60]} + {state.mine['text']}"[:200]
            changes = self.service.submit_write(remarks.resolve_remark, e.mutation_id, text=merged, flag=1,
                                                reason="合并", agent_no=self.agent_no).result(timeout=LIMIT_S)
            self.surfaced |= {e.mutation_id, *later}
            self.intended |= set(changes.outbox) - self.surfaced
            self.resolutions += 1

    def run_writes(self) -> None:
        for i in range(WRITES_PER_AGENT):
            self.write(self.rng.choice(ORDERS), f"{self.name}-{i}-{'备注' * self.rng.randint(0, 5)}")
            if self.rng.random() < 0.04:  # the link goes down for a while; the agent keeps writing
                self.chaos.set_mode("down")
                threading.Timer(self.rng.uniform(0.2, 1.0), self.chaos.set_mode, ("pass",)).start()
            if i % 10 == 0:
                self.resolve_conflicts()
            time.sleep(self.rng.uniform(0, 0.02))

    def settled(self) -> bool:
        self.resolve_conflicts()
        c = outbox.counts(self.cache.engine)
        return not (c.get("pending") or c.get("inflight") or c.get("conflict"))

    def close(self) -> None:
        self.service.stop()
        self.thread.join(timeout=LIMIT_S)
        self.client.close()
        self.cache.close()
        self.chaos.close()


@pytest.fixture
def agents(store, tmp_path, monkeypatch):
    monkeypatch.setattr(outbox, "BACKOFF_MAX_S", 1.0)  # keep the retries quick in a test
    monkeypatch.setattr(outbox, "MAX_RETRY_AFTER_S", 1.0)
    ops.create_agent(store.engine, store.shop_id, "colleague", "pw-colleague", "同事", "1031")
    pair = [Agent("a", store, tmp_path, "demo", "demo", "1024", 11),
            Agent("b", store, tmp_path, "colleague", "pw-colleague", "1031", 12)]
    for a in pair:
        a.thread.start()
    for a in pair:  # the first load (through the bad link too) before the agent starts work
        wait_until(lambda: all(_has(a, oid) for oid in ORDERS), LIMIT_S, f"agent {a.name}'s first load")
    yield pair
    for a in pair:
        a.close()


def test_every_write_reaches_the_server_exactly_once_through_faults(store, agents):
    writers = [threading.Thread(target=a.run_writes) for a in agents]
    for t in writers:
        t.start()
    for t in writers:
        t.join(timeout=LIMIT_S * 2)
        assert not t.is_alive()
    for a in agents:  # the network heals; whatever waits goes through
        a.chaos.rates.clear()
        a.chaos.set_mode("pass")
    for a in agents:
        wait_until(a.settled, LIMIT_S, f"agent {a.name}'s outbox to drain")

    with store.engine.connect() as conn:
        history = conn.execute(select(RemarkHistory.mutation_id, RemarkHistory.order_id, RemarkHistory.version)
                               .where(RemarkHistory.order_id.in_(ORDERS))).all()
        orders = {o.id: o for o in conn.execute(select(Order.__table__).where(Order.id.in_(ORDERS)))}
    ids = Counter(h.mutation_id for h in history if h.mutation_id)
    intended = set().union(*(a.intended for a in agents))
    surfaced = set().union(*(a.surfaced for a in agents))
    assert max(ids.values()) == 1, "a write was applied twice"
    assert set(ids) <= intended, "the server holds a write nobody made"
    assert intended - surfaced <= set(ids), f"{len(intended - surfaced - set(ids))} writes lost"
    assert not surfaced & set(ids), "a write both conflicted and applied"
    assert len(ids) + len(surfaced) == len(intended) == WRITES_PER_AGENT * 2 + sum(a.resolutions for a in agents)
    assert sum(a.resolutions for a in agents) > 0, "no conflict happened: the test proved little"
    assert sum(sum(a.chaos.counts.values()) for a in agents) > 20, "the faults did not happen"
    resent = sum(1 for a in agents for e in outbox.entries(a.cache.engine, ("done",)) if e.attempts > 1)
    assert resent >= 5, f"only {resent} writes were sent more than once: the faults missed the pushes"
    # Versions have no gaps and no repeats: each applied write built on the one before.
    for oid in ORDERS:
        versions = sorted(h.version for h in history if h.order_id == oid)
        assert versions == list(range(versions[0], versions[0] + len(versions))), oid
    # Both caches end up showing the server's remark of every order.
    for a in agents:
        a.service.wake()
        wait_until(lambda: all(_cached(a, oid) == orders[oid].remark for oid in ORDERS), LIMIT_S,
                   f"agent {a.name}'s cache to show the server's remarks")


def _cached(agent: Agent, order_id: int) -> str:
    with agent.cache.engine.connect() as conn:
        raw = conn.connection.driver_connection
        return raw.execute("SELECT remark FROM orders WHERE id = ?", (order_id,)).fetchone()[0]


def _has(agent: Agent, order_id: int) -> bool:
    with agent.cache.engine.connect() as conn:
        raw = conn.connection.driver_connection
        return raw.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() is not None
