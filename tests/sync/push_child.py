"""`python -m tests.sync.push_child URL CACHE TOTAL`: the agent's side of the kill -9 test.

Makes remark writes `w0`, `w1`, ... (the next number is how many writes the outbox already
holds, so a restarted process carries on where the last one committed) and pushes after
each one, until TOTAL writes are made and all are answered; then prints "done" and exits 0.
Prints "ready" once signed in, so the test kills it while it writes and pushes."""
from __future__ import annotations

import sys
from pathlib import Path

from workstation.models import outbox, remarks
from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.pusher import Pusher

ORDERS = (31, 32, 33, 34)


def main(url: str, cache_path: str, total: str) -> int:
    cache = open_cache(Path(cache_path))
    client = StoreClient(url)
    client.login("demo", "demo")
    pusher = Pusher(client, cache.writer)
    print("ready", flush=True)
    while True:
        made = sum(outbox.counts(cache.engine).values())
        if made >= int(total):
            break
        cache.writer.run(remarks.save_remark, ORDERS[made % len(ORDERS)], text=f"w{made}", flag=1,
                         reason="kill", agent_no="1024")
        pusher.push()
    pusher.push()
    counts = outbox.counts(cache.engine)
    print(f"done {counts}", flush=True)
    cache.close()
    return 0 if set(counts) == {"done"} else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
