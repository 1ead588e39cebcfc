"""Helpers for the store backend tests: a tiny HTTP client and a live store on both databases."""
from __future__ import annotations

import pytest
import requests

from storeserver.streams import STREAM_NAMES as STREAMS


class Api:
    """requests against one live store; `token` is sent when set."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base = base_url + "/api/v1"
        self.http = requests.Session()
        self.token = token

    def _headers(self, headers: dict | None) -> dict:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**out, **(headers or {})}

    def get(self, path: str, headers: dict | None = None, http_timeout: float = 10, **params) -> requests.Response:
        return self.http.get(self.base + path, params=params, headers=self._headers(headers), timeout=http_timeout)

    def post(self, path: str, json=None, headers: dict | None = None, **kw) -> requests.Response:
        return self.http.post(self.base + path, json=json, headers=self._headers(headers), timeout=10, **kw)

    def login(self, login: str = "demo", password: str = "demo") -> dict:
        r = self.post("/auth/login", {"login": login, "password": password})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return r.json()

    def ok(self, path: str, **params) -> dict:
        r = self.get(path, **params)
        assert r.status_code == 200, r.text
        return r.json()

    def snapshot_all(self, stream: str, limit: int = 1000) -> tuple[list[dict], list[dict], str]:
        """Every snapshot page of a stream: (items in page order, pages, feed_cursor)."""
        pages, cursor = [], None
        for _ in range(10_000):
            params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            page = self.ok(f"/sync/{stream}/snapshot", **params)
            pages.append(page)
            if page["done"]:
                break
            cursor = page["next_cursor"]
        return [it for p in pages for it in p["items"]], pages, pages[0]["feed_cursor"]

    def drain(self, stream: str, cursor: str, limit: int = 1000) -> tuple[list[dict], str]:
        """Follow the change feed until has_more is false: (changes, last cursor)."""
        out = []
        for _ in range(10_000):
            page = self.ok(f"/sync/{stream}/changes", cursor=cursor, limit=limit)
            out += page["changes"]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        return out, cursor


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request, store_factory):
    """A seeded demo shop (120 orders) served on loopback, on each database."""
    return store_factory(kind=request.param, orders=120)


@pytest.fixture
def api(live) -> Api:
    client = Api(live.url)
    client.login()
    return client


ALL_STREAMS = STREAMS
