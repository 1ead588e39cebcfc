"""`python -m tests.sync.sync_child URL CACHE PAGE_SIZE`: one first sync, then exit 0.

Run as a separate process so a test can kill -9 it in the middle of a sync."""
from __future__ import annotations

import sys
from pathlib import Path

from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.puller import Puller


def main(url: str, cache_path: str, page_size: str) -> int:
    cache = open_cache(Path(cache_path))
    client = StoreClient(url)
    client.login("demo", "demo")
    summary = Puller(client, cache.writer, page_size=int(page_size)).run_once()
    print(f"pages={summary.pages} items={summary.items}", flush=True)
    cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
