"""kill -9 of the process that writes and pushes, at 20+ random points (inside a local
write, between the outbox row and the send, while the answer is on its way, while it is
recorded), restarting it each time: the server ends with every write the agent made exactly
once, in the order it made them per order."""
from __future__ import annotations

import random
import subprocess
import sys
import time

from sqlalchemy import select

from storeserver.models import RemarkHistory
from tests.sync.procs import ROOT, _env
from tests.sync.push_child import ORDERS
from tests.sync.puller_once import first_sync
from workstation.models import outbox
from workstation.models.db import open_cache

TOTAL = 900
KILLS = 22
LIMIT_S = 60.0


def _start(url: str, cache_path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.sync.push_child", url, str(cache_path), str(TOTAL)],
                            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _await_ready(child: subprocess.Popen) -> None:
    line = child.stdout.readline()  # bounded: the child prints "ready" or exits
    assert line.strip() == "ready", f"child did not start: {line!r} {child.stderr.read()}"


def test_kill_9_while_pushing_then_restart_delivers_exactly_once(store, tmp_path):
    cache_path = tmp_path / "cache.sqlite3"
    first_sync(store.url, cache_path)
    rng = random.Random(5)
    kills = 0
    for _ in range(KILLS):
        child = _start(store.url, cache_path)
        try:
            _await_ready(child)
            time.sleep(rng.uniform(0.0, 0.12))  # somewhere in a write or a push
        finally:
            child.kill()
            child.wait(timeout=LIMIT_S)
        kills += child.returncode == -9
    child = _start(store.url, cache_path)
    out, err = child.communicate(timeout=LIMIT_S * 2)
    assert child.returncode == 0, f"{out}\n{err}"
    assert kills >= 20

    cache = open_cache(cache_path)
    try:
        rows = outbox.entries(cache.engine, ("done",))
        assert outbox.counts(cache.engine) == {"done": TOTAL}
    finally:
        cache.close()
    with store.engine.connect() as conn:
        history = conn.execute(select(RemarkHistory.__table__).where(RemarkHistory.order_id.in_(ORDERS))
                               .order_by(RemarkHistory.seq)).all()
    mine = [h for h in history if h.mutation_id]
    assert sorted(h.mutation_id for h in mine) == sorted(r.mutation_id for r in rows)  # each once
    assert sorted(h.text for h in mine) == sorted(f"w{k}" for k in range(TOTAL))
    for oid in ORDERS:  # per order, in the order the agent wrote them
        ks = [int(h.text[1:]) for h in mine if h.order_id == oid]
        assert ks == sorted(ks), oid
