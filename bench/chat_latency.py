"""Chat latency: a buyer's message, from the buyer relay accepting it to that message being
in the agent's queue model, in the real workstation window.

    .venv/bin/python bench/chat_latency.py [--messages 60] [--workers 2] [--orders 2000]

1. A fresh PostgreSQL database with the demo shop (bench/load.py's `create_database`), served
   by `storeserver serve --workers 2` in its own processes.
2. The real workstation (`app.build` + `app.show`, offscreen, a fresh data folder) signs in as
   `demo` and finishes its first sync; the queue shows "all open".
3. One buyer message at a time, from a thread (as the marketplace would), to a buyer picked
   at random: the clock starts just before `POST /relay/messages` and stops when the queue
   model (`window.queue.model`) holds that conversation with that message as its last; the
   next message waits 0.3-0.8 s (separate events, like real buyers).
4. Baseline of the same run: the POST alone (`post_*`: the relay accepting the message), and a
   bare long poll (`wake_*`: a `StoreClient.wait` woken by a relay message, no cache, no Qt).

Last line: `msg_p50_ms=… msg_p95_ms=…` (goal p95 <= 300 ms on loopback; aim for 100).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
os.environ["WORKSTATION_DATA_DIR"] = tempfile.mkdtemp(prefix="ws-chat-latency-")

import requests  # noqa: E402

from storeserver.loadtest import start_server, stop_server  # noqa: E402

RELAY_KEY = "demo-relay-key"


def pct(xs: list[float], q: int) -> float:
    if len(xs) < 2:
        return xs[0] if xs else float("nan")
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


def post_message(url: str, buyer_id: int, text: str, http: requests.Session) -> tuple[int, int]:
    r = http.post(url + "/api/v1/relay/messages", timeout=10,
                  headers={"Authorization": f"Relay {RELAY_KEY}"},
                  json={"client_id": str(uuid.uuid4()), "buyer_id": buyer_id, "text": text, "product_id": None})
    r.raise_for_status()
    body = r.json()
    return body["conversation_id"], body["message"]["id"]


def bare_wake(url: str, buyers: list[int], n: int, rng: random.Random) -> list[float]:
    """A plain long poll woken by a relay message (no cache, no Qt): the server's share."""
    from workstation.sync.client import StoreClient

    client = StoreClient(url)
    client.login("demo", "demo")
    http = requests.Session()
    out = []
    try:
        for i in range(n):
            head = client.head().seq
            got: list[float] = []
            waiter = threading.Thread(target=lambda: (client.wait(head, 10), got.append(time.perf_counter())))
            waiter.start()
            time.sleep(0.15)  # the poll is waiting
            t0 = time.perf_counter()
            post_message(url, rng.choice(buyers), f"基准消息 {i}", http)
            waiter.join(15)
            if got:
                out.append((got[0] - t0) * 1000)
    finally:
        client.close()
    return out


def in_window(url: str, buyers: list[int], n: int, rng: random.Random, timeout_s: float) -> tuple[list[float], list[float]]:
    from PySide6.QtCore import QObject, QTimer, Signal

    from workstation import app as ws

    class Relay(QObject):
        posted = Signal(float, object)  # t0, (conversation id, message id): thread -> GUI

    application = ws.create_application([sys.argv[0]])
    running = ws.build(application, lang="zh_CN")
    queue = running.window.queue
    model = queue.model
    state = {"target": None, "t0": 0.0, "sent": 0, "online": False}
    latencies: list[float] = []
    posts: list[float] = []
    http = requests.Session()
    relay = Relay()

    def check(*_args) -> None:
        target = state["target"]
        if target is None:
            return
        conversation_id, message_id = target
        row = model.row_of(conversation_id)
        # >=: the shop's greeting may follow the buyer's first message of the day at once
        if row is not None and (model.row_at(row).last_message_id or 0) >= message_id:
            latencies.append((time.perf_counter() - state["t0"]) * 1000)
            state["target"] = None
            QTimer.singleShot(int(rng.uniform(300, 800)), send_next)

    for sig in (model.dataChanged, model.rowsInserted, model.rowsMoved, model.modelReset, model.layoutChanged):
        sig.connect(check)

    def send_next() -> None:
        if state["sent"] >= n:
            application.quit()
            return
        state["sent"] += 1
        i = state["sent"]

        def post() -> None:  # off the GUI thread, as the marketplace is another machine
            t0 = time.perf_counter()
            target = post_message(url, rng.choice(buyers), f"亲，我的快递到哪了？{i}", http)
            posts.append((time.perf_counter() - t0) * 1000)
            relay.posted.emit(t0, target)
        threading.Thread(target=post, daemon=True).start()

    def arm(t0: float, target) -> None:
        state["t0"], state["target"] = t0, target
        check()  # it may be there already

    relay.posted.connect(arm)

    def on_connection(connection: str) -> None:
        if connection == "online" and not state["online"]:
            state["online"] = True
            queue.set_view("open")
            QTimer.singleShot(1000, send_next)  # let the first sync's refreshes settle

    running.session.connection_changed.connect(on_connection)
    QTimer.singleShot(int(timeout_s * 1000), application.quit)
    ws.show(running, direct=(url, "demo", "demo"))
    application.exec()
    running.window.close()
    return latencies, posts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=60)
    p.add_argument("--orders", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args()

    from load import create_database, drop_database  # bench/load.py
    from sqlalchemy import select

    from storeserver.db import make_engine
    from storeserver.models import Buyer

    db, db_url, shop_id = create_database(args.admin_url, args.orders, 0)
    proc = None
    try:
        engine = make_engine(db_url)
        with engine.connect() as conn:
            buyers = list(conn.execute(select(Buyer.id).where(Buyer.shop_id == shop_id).limit(300)).scalars())
        engine.dispose()
        proc, url = start_server(db_url, seed_demo=0, workers=args.workers)
        rng = random.Random(5)
        print(f"PostgreSQL {db}, {args.orders} orders, serve --workers {args.workers} at {url}; "
              f"machine load {os.getloadavg()[0]:.1f}", flush=True)
        wake = bare_wake(url, buyers, min(30, args.messages), rng)
        print(f"baseline bare long poll woken by a relay message: p50 {pct(wake, 50):.1f} ms, "
              f"p95 {pct(wake, 95):.1f} ms ({len(wake)} messages)", flush=True)
        lat, posts = in_window(url, buyers, args.messages, rng, args.timeout)
        if len(lat) < args.messages:
            print(f"only {len(lat)} of {args.messages} messages reached the queue in time", flush=True)
        print(f"relay POST alone: p50 {pct(posts, 50):.1f} ms, p95 {pct(posts, 95):.1f} ms", flush=True)
        print(f"relay -> queue model: p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, "
              f"max {max(lat, default=float('nan')):.1f} ms ({len(lat)} messages); "
              f"vs bare wake p95 {pct(lat, 95) / max(pct(wake, 95), 0.001):.2f}x; "
              f"machine load {os.getloadavg()[0]:.1f}", flush=True)
        print(f"msg_p50_ms={pct(lat, 50):.1f} msg_p95_ms={pct(lat, 95):.1f} "
              f"wake_p95_ms={pct(wake, 95):.1f} post_p95_ms={pct(posts, 95):.1f}", flush=True)
    finally:
        if proc is not None:
            stop_server(proc)
        drop_database(args.admin_url, db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
