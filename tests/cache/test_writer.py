"""The cache's one writer: jobs in order, listeners after commit, a close that finishes every
queued write before releasing the file and refuses later ones."""
from __future__ import annotations

import threading

import pytest

from tests.cache.conftest import make_order
from workstation.models.apply import apply_snapshot_page
from workstation.models.writer import CacheClosed


def test_queued_writes_finish_before_the_file_is_released_and_later_ones_are_refused(cache):
    done: list[int] = []
    gate = threading.Event()

    def slow(engine, k):
        gate.wait(5)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1").scalar()
        done.append(k)

    futures = [cache.writer.submit(slow, k) for k in range(3)]
    released: list[str] = []
    cache.writer.close(then=lambda engine: released.append("disposed after " + str(len(done))))
    with pytest.raises(CacheClosed):
        cache.writer.submit(slow, 99)
    gate.set()
    for f in futures:
        f.result(timeout=10)
    cache.writer._pool.shutdown(wait=True)
    assert done == [0, 1, 2] and released == ["disposed after 3"] and cache.writer.idle()


def test_listeners_hear_every_non_empty_change_set_after_its_commit(cache):
    heard = []
    cache.writer.add_listener(heard.append)
    changes = cache.writer.run(apply_snapshot_page, "orders", [make_order(2), make_order(1)],
                               next_cursor=None, done=True, feed_cursor="f0", total=2)
    assert heard == [changes] and changes.get("orders").inserted == {1, 2}
    cache.writer.run(apply_snapshot_page, "orders", [make_order(2), make_order(1)],
                     next_cursor=None, done=True, feed_cursor="f0", total=2)
    assert len(heard) == 1  # nothing changed: nobody is told
