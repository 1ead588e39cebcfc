"""`python -m tests.sync.chat_child URL CACHE CONVERSATION TOTAL`: the agent's side of the chat
kill -9 test.

Writes replies `r0`, `r1`, ... into one conversation (the next number is how many replies
the outbox already holds, so a restarted process carries on where the last one committed)
and pushes after each, until TOTAL replies are written and all are answered; then pulls,
prints "done" and exits 0. TOTAL `save-and-hang`: saves one reply, prints "saved", waits to
be killed. Prints "ready" once signed in, so the test kills it while it
writes and pushes."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from workstation.models import conversations as chat
from workstation.models import outbox
from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.puller import Puller
from workstation.sync.pusher import Pusher


def main(url: str, cache_path: str, conversation: str, total: str) -> int:
    cid = int(conversation)
    cache = open_cache(Path(cache_path))
    client = StoreClient(url)
    client.login("demo", "demo")
    pusher = Pusher(client, cache.writer)
    if total == "save-and-hang":  # the reply is saved; then the process is killed before any push
        cache.writer.run(chat.send_reply, cid, "保存后被杀\n😊", agent_no="1024")
        print("saved", flush=True)
        time.sleep(60)
        return 2
    print("ready", flush=True)
    while True:
        made = sum(outbox.counts(cache.engine).values())
        if made >= int(total):
            break
        cache.writer.run(chat.send_reply, cid, f"r{made}\n第{made}条", agent_no="1024")
        pusher.push()
    pusher.push()
    Puller(client, cache.writer).run_once()
    counts = outbox.counts(cache.engine)
    print(f"done {counts}", flush=True)
    cache.close()
    return 0 if set(counts) == {"done"} else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
