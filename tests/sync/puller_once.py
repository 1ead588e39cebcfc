"""A first sync into a cache file from the test process (for tests that then hand the file
to a child process)."""
from __future__ import annotations

from pathlib import Path

from workstation.models.db import open_cache
from workstation.sync.client import StoreClient
from workstation.sync.puller import Puller


def first_sync(url: str, cache_path: Path, login: str = "demo", password: str = "demo") -> None:
    cache = open_cache(cache_path)
    client = StoreClient(url)
    try:
        client.login(login, password)
        Puller(client, cache.writer).run_once()
    finally:
        client.close()
        cache.close()
        cache.writer.close(wait=True)
