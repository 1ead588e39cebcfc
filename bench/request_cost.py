"""What one request of each kind costs the database: transactions and statements, counted,
not timed (so the figures do not depend on how busy the machine is).

    .venv/bin/python bench/request_cost.py [--n 40] [--admin-url postgresql://postgres@127.0.0.1:5432/test]

A fresh PostgreSQL database with the demo shop, the API served in this process on loopback
(`storeserver.testing.serve_in_thread`), one agent's `requests.Session`. Each kind is sent
`--n` times; then the server's pool is closed, so every backend reports its counters to
`pg_stat_database` as it exits, and the `xact_commit + xact_rollback` delta is read.
Statements are SQLAlchemy's `before_cursor_execute` events (the pool's pre-ping is not one
of them: it is one more round trip per pooled connection used, `checkouts`).

Kinds: what an agent's workstation and the buyer relay send under bench/load.py. The last
rows add up one woken agent (the long poll's answer with `changes=100`, which carries the
two pages it used to pull, and the next long poll, which knows the head) and one buyer
question (the post, the relay wait's first read).
Last line: `agent_wake_tx=… agent_wake_statements=… buyer_question_tx=…`.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.load import create_database, drop_database, transactions  # noqa: E402


class Counts:
    def __init__(self, engine) -> None:
        self.statements = self.checkouts = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, *_a) -> None:
        with self._lock:
            self.statements += 1

    def _checkout(self, *_a) -> None:
        with self._lock:
            self.checkouts += 1

    def take(self) -> tuple[int, int]:
        with self._lock:
            out = (self.statements, self.checkouts)
            self.statements = self.checkouts = 0
        return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=40)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args()

    from storeserver.api import create_app
    from storeserver.buyer_sim import load_buyers
    from storeserver.db import make_engine
    from storeserver.testing import serve_in_thread

    db, url, shop_id = create_database(args.admin_url, 300, 2)
    try:
        engine = make_engine(url)
        buyers = [b.buyer_id for b in load_buyers(engine, shop_id, 4 * args.n + 10, seed=3)]
        counts = Counts(engine)
        app = create_app(engine)
        with serve_in_thread(app) as base:
            api = base + "/api/v1"
            agent, relay = requests.Session(), requests.Session()
            relay.headers["Authorization"] = "Relay demo-relay-key"
            token = agent.post(api + "/auth/login", json={"login": "bench001", "password": "bench001"}).json()["token"]
            agent.headers["Authorization"] = f"Bearer {token}"

            def head() -> int:
                return agent.get(api + "/sync/head").json()["seq"]

            def feed_cursor(stream: str) -> str:
                return agent.get(f"{api}/sync/{stream}/snapshot", params={"limit": 1}).json()["feed_cursor"]

            def post(buyer: int) -> int:
                r = relay.post(api + "/relay/messages", json={"client_id": str(uuid.uuid4()), "buyer_id": buyer,
                                                               "text": "在吗？什么时候发货", "product_id": None})
                r.raise_for_status()
                return r.json()["message"]["id"]

            agent.get(api + "/sync/wait", params={"after": head(), "timeout": 0})  # the listener is up
            rows: dict[str, tuple[float, float, float]] = {}

            def measure(kind: str, prepare, send) -> None:
                """`prepare()` (not counted) makes one request's input, `send(x)` sends it."""
                inputs = [prepare(i) for i in range(args.n)]
                engine.pool.dispose()
                time.sleep(0.3)
                tx0 = transactions(args.admin_url, db)
                counts.take()
                for x in inputs:
                    r = send(x)
                    if isinstance(r, requests.Response) and r.status_code >= 400:
                        raise RuntimeError(f"{kind}: {r.status_code} {r.text[:200]}")
                statements, checkouts = counts.take()
                engine.pool.dispose()  # the backends exit and report their counters
                time.sleep(0.3)
                tx = transactions(args.admin_url, db) - tx0
                rows[kind] = (tx / args.n, statements / args.n, checkouts / args.n)
                print(f"{kind:<34} {tx / args.n:6.2f} tx  {statements / args.n:6.2f} statements  "
                      f"{checkouts / args.n:5.2f} checkouts", flush=True)

            b_iter = iter(buyers)
            measure("GET /me", lambda i: None, lambda _: agent.get(api + "/me"))
            measure("GET /sync/head", lambda i: None, lambda _: agent.get(api + "/sync/head"))
            measure("GET /sync/wait (enter, timeout 0)", lambda i: head(),
                    lambda s: agent.get(api + "/sync/wait", params={"after": s, "timeout": 0}))

            def one_change(i):
                seq = head()
                cur = {s: feed_cursor(s) for s in ("conversations", "messages")}
                post(next(b_iter))
                return seq, cur
            measure("GET /sync/wait (woken)", one_change,
                    lambda x: agent.get(api + "/sync/wait", params={"after": x[0], "timeout": 5, "changes": 100}))
            measure("GET /sync/{stream}/changes (1 chg)", lambda i: one_change(i)[1]["messages"],
                    lambda c: agent.get(api + "/sync/messages/changes", params={"cursor": c}))
            measure("GET /sync/{stream}/changes (none)", lambda i: feed_cursor("orders"),
                    lambda c: agent.get(api + "/sync/orders/changes", params={"cursor": c}))
            measure("POST /relay/messages", lambda i: next(b_iter), post)
            measure("GET /relay/.../messages (timeout 0)", lambda i: buyers[-1 - i],
                    lambda b: relay.get(f"{api}/relay/buyers/{b}/messages", params={"after": 0, "timeout": 0}))
        engine.dispose()
    finally:
        drop_database(args.admin_url, db)

    wake = [rows["GET /sync/wait (woken)"], rows["GET /sync/wait (enter, timeout 0)"]]
    question = [rows["POST /relay/messages"], rows["GET /relay/.../messages (timeout 0)"]]
    wake_tx, wake_st = sum(r[0] for r in wake), sum(r[1] for r in wake)
    q_tx, q_st = sum(r[0] for r in question), sum(r[1] for r in question)
    print(f"one woken agent (wait answer with its pages + next wait): {wake_tx:.2f} tx, {wake_st:.2f} statements, "
          f"{sum(r[2] for r in wake):.2f} checkouts")
    print(f"one buyer question (post + first relay read): {q_tx:.2f} tx, {q_st:.2f} statements")
    print(f"agent_wake_tx={wake_tx:.2f} agent_wake_statements={wake_st:.2f} buyer_question_tx={q_tx:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
