"""Chat replies over a REAL server (the store served on loopback): a reply arrives exactly
once through a bad network and across kill -9 of the workstation; a reply queued offline
that went stale (the buyer wrote again through the relay, a colleague replied, the chat was
closed or transferred) is held, never sent, and goes out once when the agent confirms it."""
from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from storeserver import ops
from storeserver.models import Buyer, Message
from tests.sync.chaos import Chaos, target_of, wait_until
from tests.sync.procs import ROOT, _env
from tests.sync.puller_once import first_sync
from workstation.models import conversations as chat
from workstation.models import outbox
from workstation.models.db import open_cache
from workstation.models.state import last_synced_at
from workstation.sync.client import StoreClient
from workstation.sync.puller import Puller
from workstation.sync.pusher import Pusher
from workstation.sync.service import SyncService

RELAY_KEY = "demo-relay-key"
LIMIT_S = 60.0
ME, COLLEAGUE = "1024", "1031"


def relay_send(url: str, buyer_id: int, text: str) -> dict:
    """A buyer writes to the shop (the marketplace relay's endpoint)."""
    resp = requests.post(f"{url}/api/v1/relay/messages", timeout=10,
                         headers={"Authorization": f"Relay {RELAY_KEY}"},
                         json={"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": text,
                               "product_id": None})
    assert resp.status_code == 200, resp.text
    return resp.json()


def buyer_ids(store, n: int) -> list[int]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(Buyer.id).where(Buyer.shop_id == store.shop_id)
                                 .order_by(Buyer.id).limit(n)).scalars())


def server_messages(store, conversation_id: int) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(Message.__table__).where(Message.conversation_id == conversation_id)
                            .order_by(Message.id)).all()


class Workstation:
    """One agent's cache + client, synced by hand (pull, push) so a test decides when the
    agent is 'offline'."""

    def __init__(self, store, tmp_path, name: str, login: str = "demo", password: str = "demo",
                 url: str | None = None) -> None:
        self.cache = open_cache(tmp_path / f"{name}.sqlite3")
        self.client = StoreClient(url or store.url, timeout=(1, 5))
        self.client.login(login, password)
        self.puller = Puller(self.client, self.cache.writer)
        self.pusher = Pusher(self.client, self.cache.writer)
        self.engine = self.cache.engine

    def sync(self) -> None:
        """What one cycle of the sync loop does: push, then pull."""
        self.pusher.push()
        self.puller.run_once()

    def close(self) -> None:
        self.client.close()
        self.cache.close()


@pytest.fixture
def colleague(store):
    ops.create_agent(store.engine, store.shop_id, "colleague", "pw-colleague", "同事", COLLEAGUE)
    return ("colleague", "pw-colleague")


@pytest.fixture
def me(store, tmp_path):
    ws = Workstation(store, tmp_path, "me")
    yield ws
    ws.close()


def _one_reply(ws: Workstation, cid: int, text: str) -> str:
    (mid,) = ws.cache.writer.run(chat.send_reply, cid, text, agent_no=ME).outbox
    return mid


# ---- stale replies ------------------------------------------------------------------------

def _colleague_replies(store, colleague, tmp_path, cid: int) -> None:
    other = Workstation(store, tmp_path, "colleague", *colleague)
    try:
        other.sync()
        other.cache.writer.run(chat.send_reply, cid, "我来回复", agent_no=COLLEAGUE)
        other.sync()
        assert other.pusher.push().sent == 0 and outbox.counts(other.engine) == {"done": 1}
    finally:
        other.close()


def _colleague_acts(store, colleague, tmp_path, cid: int, action: str) -> None:
    other = Workstation(store, tmp_path, "colleague", *colleague)
    try:
        other.sync()
        if action == "close":
            other.cache.writer.run(chat.close, cid)
        else:
            other.cache.writer.run(chat.transfer, cid, ME, "交接", agent_no=COLLEAGUE)
        other.sync()
        assert outbox.counts(other.engine) == {"done": 1}, outbox.entries(other.engine, ("rejected", "conflict"))
    finally:
        other.close()


@pytest.mark.parametrize("order", ["push_first", "pull_first"])
@pytest.mark.parametrize("what, reason", [
    ("buyer_wrote", "buyer_wrote"), ("colleague_replied", "colleague_replied"), ("closed", "closed"),
    ("transferred", "changed"),
])
def test_stale_offline_reply_is_held_never_sent_and_confirm_sends_it_once(store, me, colleague, tmp_path,
                                                                            what, reason, order):
    (buyer,) = buyer_ids(store, 1)
    cid = relay_send(store.url, buyer, "亲，在吗？")["conversation_id"]
    me.sync()
    assert chat.get_conversation(me.engine, cid) is not None
    # offline: the agent answers; meanwhile the world moves on
    mid = _one_reply(me, cid, "在的，亲")
    if what == "buyer_wrote":
        relay_send(store.url, buyer, "算了，我要退款")
    elif what == "colleague_replied":
        _colleague_replies(store, colleague, tmp_path, cid)
    elif what == "closed":
        _colleague_acts(store, colleague, tmp_path, cid, "close")
    else:
        _colleague_acts(store, colleague, tmp_path, cid, "transfer")
    # back online: the sync loop pushes then pulls (the server holds it), or a pull came first
    # (the cache holds it before sending)
    if order == "pull_first":
        me.puller.run_once()
    me.sync()
    row = chat.history(me.engine, cid)[-1]
    assert (row.mutation_id, row.status, row.held_reason) == (mid, "held", reason)
    assert all(m.client_id != mid for m in server_messages(store, cid)), "a stale reply was sent"
    me.sync()  # held means held: nothing goes out on the next cycles either
    assert all(m.client_id != mid for m in server_messages(store, cid))
    if what == "closed":
        me.cache.writer.run(chat.reopen, cid)
    (new,) = me.cache.writer.run(chat.confirm_reply, mid).outbox - {mid}
    me.sync()
    me.sync()
    sent = [m for m in server_messages(store, cid) if m.text == "在的，亲"]
    assert [m.client_id for m in sent] == [new], [(e.kind, e.status, e.result) for e in outbox.entries(
        me.engine, ("pending", "inflight", "done", "conflict", "rejected"))]
    assert [(m.text, m.status) for m in chat.history(me.engine, cid) if m.text == "在的，亲"] == \
        [("在的，亲", "synced")]


# ---- exactly once ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_replies_arrive_exactly_once_and_in_order_through_faults(store_factory, kind, tmp_path, monkeypatch):
    store = store_factory(kind)
    monkeypatch.setattr(outbox, "BACKOFF_MAX_S", 0.5)
    monkeypatch.setattr(outbox, "MAX_RETRY_AFTER_S", 0.5)
    buyers = buyer_ids(store, 3)
    cids = [relay_send(store.url, b, f"你好，我是买家{b}")["conversation_id"] for b in buyers]
    chaos = Chaos.every(target_of(store.url), 0.05, max_delay_s=0.2, seed=7)
    cache = open_cache(tmp_path / "agent.sqlite3")
    client = StoreClient(chaos.url, timeout=(1, 5))
    for _ in range(30):  # sign-in itself goes through the bad link
        try:
            client.login("demo", "demo")
            break
        except Exception:  # noqa: BLE001 - the fault injector at work; try again
            time.sleep(0.05)
    service = SyncService(client, cache.writer, long_poll_s=2, backoff_first_s=0.1, backoff_max_s=0.5,
                          probe_interval_s=0.2, offline_after_s=2)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    rng = random.Random(3)
    written: dict[int, list[str]] = {c: [] for c in cids}
    try:
        # the first load (the agent sees the buyers' messages before answering them)
        wait_until(lambda: last_synced_at(cache.engine) is not None, LIMIT_S, "the first load")
        assert all(chat.get_conversation(cache.engine, c) for c in cids)
        for i in range(45):
            cid = rng.choice(cids)
            text = f"回复{i}：亲，今天发货\n谢谢😊"
            changes = service.submit_write(chat.send_reply, cid, text, agent_no=ME).result(timeout=LIMIT_S)
            written[cid].append(next(iter(changes.outbox)))
            if rng.random() < 0.05:
                chaos.set_mode("down")
                threading.Timer(rng.uniform(0.2, 0.8), chaos.set_mode, ("pass",)).start()
            time.sleep(rng.uniform(0, 0.02))
        time.sleep(1.0)
        chaos.rates.clear()
        chaos.set_mode("pass")
        service.wake()

        def settled() -> bool:
            c = outbox.counts(cache.engine)
            return set(c) == {"done"} and all(
                m.status == "synced" and m.message_id for c_ in cids for m in chat.history(cache.engine, c_))
        try:
            wait_until(settled, LIMIT_S, "every reply answered and pulled")
        except AssertionError:
            left = [(e.kind, e.status, e.last_error, e.result) for e in outbox.entries(cache.engine)]
            unsynced = [m for c_ in cids for m in chat.history(cache.engine, c_) if m.status != "synced"]
            raise AssertionError(f"{outbox.counts(cache.engine)} {left[:3]} {unsynced[:3]}") from None
        held = outbox.entries(cache.engine, ("conflict", "rejected"))
        assert not held, held
        ours = {m for ids in written.values() for m in ids}
        for cid in cids:
            mine = [m.client_id for m in server_messages(store, cid) if m.client_id in ours]
            assert Counter(mine) == Counter(written[cid]), "a reply was lost or doubled"
            assert mine == written[cid], "replies reached the buyer out of order"
            hist = chat.history(cache.engine, cid)
            assert [m.mutation_id for m in hist if m.mutation_id in ours] == written[cid]  # shown once each
        assert sum(chaos.counts.values()) > 5, "the faults did not happen"
        resent = sum(1 for e in outbox.entries(cache.engine, ("done",)) if e.attempts > 1)
        assert resent >= 1, "no reply was sent twice: the faults missed the pushes"
    finally:
        service.stop()
        thread.join(timeout=LIMIT_S)
        client.close()
        cache.close()
        chaos.close()


def _start_child(url: str, cache_path, cid: int, total: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.sync.chat_child", url, str(cache_path), str(cid),
                             str(total)], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_a_reply_saved_then_kill_9_is_queued_after_restart_and_sent_once(store, tmp_path):
    (buyer,) = buyer_ids(store, 1)
    cid = relay_send(store.url, buyer, "在吗")["conversation_id"]
    cache_path = tmp_path / "cache.sqlite3"
    first_sync(store.url, cache_path)
    child = _start_child(store.url, cache_path, cid, "save-and-hang")
    try:
        line = child.stdout.readline()
        assert line.strip() == "saved", f"child did not save: {line!r} {child.stderr.read()}"
    finally:
        child.kill()
        child.wait(timeout=LIMIT_S)
    assert child.returncode == -9
    cache = open_cache(cache_path)
    try:
        last = chat.history(cache.engine, cid)[-1]
        assert (last.text, last.status) == ("保存后被杀\n😊", "queued")
    finally:
        cache.close()
    child = _start_child(store.url, cache_path, cid, 1)  # restarted: sends what waits, then pulls
    out, err = child.communicate(timeout=LIMIT_S)
    assert child.returncode == 0, f"{out}\n{err}"
    assert [m.client_id for m in server_messages(store, cid) if m.text == "保存后被杀\n😊"] == [last.mutation_id]
    cache = open_cache(cache_path)
    try:
        assert [(m.text, m.status) for m in chat.history(cache.engine, cid) if m.mutation_id == last.mutation_id] \
            == [("保存后被杀\n😊", "synced")]
    finally:
        cache.close()


def test_history_is_intact_after_kill_9_and_every_reply_is_sent_once(store, tmp_path):
    (buyer,) = buyer_ids(store, 1)
    cid = relay_send(store.url, buyer, "在吗")["conversation_id"]
    cache_path = tmp_path / "cache.sqlite3"
    first_sync(store.url, cache_path)
    total, rng, kills = 120, random.Random(9), 0
    for _ in range(12):
        child = _start_child(store.url, cache_path, cid, total)
        try:
            line = child.stdout.readline()
            assert line.strip() == "ready", f"child did not start: {line!r} {child.stderr.read()}"
            time.sleep(rng.uniform(0.0, 0.15))  # somewhere in a write or a push
        finally:
            child.kill()
            child.wait(timeout=LIMIT_S)
        kills += child.returncode == -9
    # whatever a kill left unsent shows as queued or sending, never lost or failed
    cache = open_cache(cache_path)
    try:
        assert {m.status for m in chat.history(cache.engine, cid)} <= {"synced", "queued", "sending"}
    finally:
        cache.close()
    child = _start_child(store.url, cache_path, cid, total)
    out, err = child.communicate(timeout=LIMIT_S * 2)
    assert child.returncode == 0, f"{out}\n{err}"
    assert kills >= 10

    cache = open_cache(cache_path)
    try:
        done = {e.mutation_id for e in outbox.entries(cache.engine, ("done",))}
        assert len(done) == total and outbox.counts(cache.engine) == {"done": total}
        sent = [m for m in server_messages(store, cid) if m.client_id in done]
        assert [m.text for m in sent] == [f"r{k}\n第{k}条" for k in range(total)]  # each once, in order
        hist = chat.history(cache.engine, cid)
        assert [m.text for m in hist if m.mutation_id in done] == [f"r{k}\n第{k}条" for k in range(total)]
        assert {m.status for m in hist} == {"synced"}
        assert [m.message_id for m in hist] == [m.id for m in server_messages(store, cid)]
    finally:
        cache.close()
