"""The API documents itself and answers unknown routes with the error shape."""
from __future__ import annotations

import requests


def test_openapi_is_served(store):
    doc = requests.get(store.url + "/openapi.json", timeout=10).json()
    paths = set(doc["paths"])
    assert {"/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me", "/api/v1/sync/head",
            "/api/v1/sync/wait", "/api/v1/sync/{stream}/snapshot", "/api/v1/sync/{stream}/changes",
            "/api/v1/relay/messages", "/api/v1/relay/buyers/{buyer_id}/messages",
            "/api/v1/conversations/{conversation_id}/presence"} <= paths
    assert doc["components"]["securitySchemes"]["RelayKey"]["name"] == "Authorization"
    params = {p["name"] for p in doc["paths"]["/api/v1/sync/{stream}/changes"]["get"]["parameters"]}
    assert {"stream", "cursor", "limit"} <= params


def test_unknown_route_gets_the_error_shape(store):
    r = requests.get(store.url + "/api/v1/nothing-here", timeout=10)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_payloads_validate_against_the_client_models(store):
    """The workstation's strict wire models accept what the server sends."""
    from storeserver import ops
    from workstation.sync import wire

    from .conftest import Api

    api = Api(store.url)
    r = api.post("/auth/login", {"login": "demo", "password": "demo"})
    wire.parse_login(r.content)
    api.token = r.json()["token"]
    wire.parse_agent(api.get("/me").content)
    wire.parse_head(api.get("/sync/head").content)
    feeds = {}
    for stream in wire.STREAM_ORDER:
        cursor, count, total = None, 0, None
        for _ in range(100):
            params = {"limit": 5000} | ({"cursor": cursor} if cursor else {})
            page = wire.parse_snapshot_page(stream, api.get(f"/sync/{stream}/snapshot", **params).content)
            total = page.total if cursor is None else total
            count += len(page.items)
            cursor = page.next_cursor
            if page.done:
                break
        assert count == total
        feeds[stream] = page.feed_cursor
    ops.delete_order(store.engine, store.shop_id, 2)
    ops.set_remark(store.engine, store.shop_id, 3, "发货前电话联系买家", 4, "2002")
    ops.set_stock_qty(store.engine, store.shop_id, 5, -2)  # oversold
    for stream in wire.STREAM_ORDER:
        wire.parse_changes_page(stream, api.get(f"/sync/{stream}/changes", cursor=feeds[stream]).content)
