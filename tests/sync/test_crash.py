"""kill -9 in the middle of a first sync, then sync again: nothing missing, nothing doubled."""
from __future__ import annotations

import time

import pytest

from tests.sync.helpers import assert_cache_equals_server, sync_state_rows, table_counts
from tests.sync.procs import start_puller
from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.puller import Puller

PAGE = 10
POLL_S = 0.01
MAX_POLLS = 12_000  # bounds the wait (about two minutes), not a timing assertion


@pytest.mark.slow
def test_kill_9_mid_first_sync_then_resume(store_factory, tmp_path):
    store = store_factory(kind="sqlite", orders=2000, seed=3)
    cache_path = tmp_path / "cache.sqlite3"
    child = start_puller(store.url, cache_path, PAGE)
    killed_at: tuple | None = None
    try:
        for _ in range(MAX_POLLS):
            orders = sync_state_rows(cache_path).get("orders") if cache_path.exists() else None
            # Several order pages are in, more to come: kill the process wherever it is
            # (possibly inside an apply transaction).
            if orders and orders[0] == "snapshot" and orders[3] >= 30 * PAGE:
                child.kill()
                killed_at = orders
                break
            if child.poll() is not None:
                break
            time.sleep(POLL_S)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
    out, err = child.communicate(timeout=30)
    assert killed_at is not None, f"the child finished before it could be killed: {out} {err}"
    assert child.returncode == -9

    orders_before = table_counts(cache_path)["orders"]
    assert orders_before >= 30 * PAGE and orders_before % PAGE == 0  # whole pages only

    cache = open_cache(cache_path)
    try:
        client = StoreClient(store.url)
        client.login(store.login, store.password)
        summary = Puller(client, cache.writer, page_size=PAGE).run_once()
        # Resumed where the committed cursor was: only the rest of the orders was fetched.
        assert summary.streams["orders"].items == 2000 - orders_before
        assert summary.streams["buyers"].items == 0
    finally:
        cache.close()
    assert_cache_equals_server(store.engine, store.shop_id, cache_path)
    assert table_counts(cache_path)["orders"] == 2000
