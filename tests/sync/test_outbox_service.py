"""The outbox inside the running sync loop, against a real server over real HTTP: a write
made online is sent at once (the loop does not sit in its long poll); a whole session
offline, then the network comes back: everything is delivered, in order per order."""
from __future__ import annotations

import threading

from sqlalchemy import select

from storeserver.models import RemarkHistory
from tests.sync.chaos import Chaos, target_of, wait_until
from workstation.models import outbox, remarks
from workstation.sync.client import StoreClient
from workstation.sync.service import SyncService

LIMIT_S = 60.0


def _start(url, store, cache) -> tuple[SyncService, threading.Thread, StoreClient]:
    client = StoreClient(url, timeout=(1, 5))
    client.login(store.login, store.password)
    service = SyncService(client, cache.writer, long_poll_s=25, backoff_first_s=0.1, backoff_max_s=0.5,
                          probe_interval_s=0.2, offline_after_s=1)
    thread = threading.Thread(target=service.run, daemon=True)
    thread.start()
    return service, thread, client


def _history(store, order_id: int) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(RemarkHistory.text).where(RemarkHistory.order_id == order_id)
                                 .order_by(RemarkHistory.version)).scalars())


def test_a_write_made_online_is_sent_at_once(store, cache):
    service, thread, client = _start(store.url, store, cache)
    try:
        wait_until(lambda: service.state == "online", LIMIT_S, "online")
        # The loop now sits in a 25 s long poll; the write must not wait for it to end.
        service.submit_write(remarks.save_remark, 40, text="马上发出", flag=1, reason="测试",
                             agent_no="1024").result(timeout=LIMIT_S)
        wait_until(lambda: "马上发出" in _history(store, 40), 10, "the write to reach the server")
        wait_until(lambda: remarks.remark_state(cache.engine, 40).status == "sent", 10, "sent")
    finally:
        service.stop()
        thread.join(timeout=LIMIT_S)
        client.close()


def test_a_session_offline_then_reconnect_delivers_everything_in_order(store, cache):
    with Chaos(target_of(store.url)) as link:
        service, thread, client = _start(link.url, store, cache)
        try:
            wait_until(lambda: service.state == "online", LIMIT_S, "online")
            link.set_mode("down")
            wait_until(lambda: service.state == "offline", LIMIT_S, "offline")
            written = {oid: [f"离线{oid}-{k}" for k in range(8)] for oid in (41, 42, 43)}
            for k in range(8):
                for oid, texts in written.items():
                    service.submit_write(remarks.save_remark, oid, text=texts[k], flag=2, reason="离线",
                                         agent_no="1024").result(timeout=LIMIT_S)
            assert outbox.counts(cache.engine).get("pending") == 24
            assert all(remarks.remark_state(cache.engine, oid).status == "saved" for oid in written)
            link.set_mode("pass")
            wait_until(lambda: outbox.counts(cache.engine) == {"done": 24}, LIMIT_S, "all 24 delivered")
            for oid, texts in written.items():
                assert _history(store, oid)[-8:] == texts  # in the order written, each once
                assert _history(store, oid).count(texts[0]) == 1
        finally:
            service.stop()
            thread.join(timeout=LIMIT_S)
            client.close()
