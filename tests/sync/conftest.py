"""Fixtures of the sync tests: a fresh cache file and a signed-in client per test."""
from __future__ import annotations

import pytest

from workstation.models.db import open_cache
from workstation.sync.client import StoreClient


@pytest.fixture
def cache(tmp_path):
    c = open_cache(tmp_path / "cache.sqlite3")
    yield c
    c.close()


def signed_in(url: str, login: str = "demo", password: str = "demo") -> StoreClient:
    client = StoreClient(url, timeout=(3.05, 30))
    client.login(login, password)
    return client


@pytest.fixture
def client(store):
    c = signed_in(store.url, store.login, store.password)
    yield c
    c.close()
