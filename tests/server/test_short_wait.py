"""The long poll's short path (storeserver.fastwait): a usual wait skips FastAPI's machinery,
and answers exactly what the FastAPI route answers; anything unusual still gets the route's
documented answer."""
from __future__ import annotations

import time

import pytest

from storeserver import ops
from storeserver.fastwait import bearer_token, parse_query


def test_parse_query_takes_only_plain_numbers_in_range():
    assert parse_query(b"after=12&timeout=25.0&changes=100") == (12, 25.0, 100)
    assert parse_query(b"after=0") == (0, 25.0, 0)
    # The workstation's timeout when an outbox retry is due: repr() of a float.
    assert parse_query(b"after=5&timeout=13.333333333333334") == (5, 13.333333333333334, 0)
    assert parse_query(b"timeout=0&after=9223372036854775807") == (2**63 - 1, 0.0, 0)
    for odd in (b"", b"after", b"after=", b"after=-1", b"after=1e3", b"after=%31", b"after=+1",
                b"after=9223372036854775808", b"after=1&after=1", b"after=1&timeout=30.5",
                b"after=1&timeout=nan", b"after=1&changes=101", b"after=1&x=1", b"after=1&",
                "after=１".encode()):
        assert parse_query(odd) is None, odd


def test_bearer_token_is_the_first_authorization_header_only():
    assert bearer_token([(b"authorization", b"Bearer  abc ")]) == "abc"
    assert bearer_token([(b"authorization", b"bearer abc")]) == "abc"
    assert bearer_token([(b"authorization", b"Relay abc")]) is None
    assert bearer_token([(b"authorization", b"Bearer ")]) is None
    assert bearer_token([(b"authorization", b"Basic x"), (b"authorization", b"Bearer abc")]) is None
    assert bearer_token([(b"accept", b"*/*")]) is None


def _wait(api, query: str):
    return api.http.get(f"{api.base}/sync/wait?{query}", headers={"Authorization": f"Bearer {api.token}"},
                        timeout=10)


def _trusted_head(live, api) -> int:
    """The head, read once the process hears other processes' sign-outs (on PostgreSQL the
    first long poll starts its listener): from then on the token is remembered."""
    head = api.ok("/sync/wait", after=0, timeout=0)["seq"]
    deadline = time.monotonic() + 10
    while not live.app.state.notifier.hears_sign_outs() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.ok("/sync/head")["seq"] == head  # the token is checked and remembered here
    return head


def test_a_usual_wait_takes_the_short_path_and_answers_as_the_route_does(live, api):
    head = _trusted_head(live, api)
    ops.set_stock_qty(live.engine, live.shop_id, 1, 7)
    ops.set_remark(live.engine, live.shop_id, 1, "老客户，送优惠券", 1, "1024")
    before = live.app.state.short_waits
    short = _wait(api, f"after={head}&timeout=5&changes=100")
    assert live.app.state.short_waits == before + 1
    # A repeated parameter is left to FastAPI (it takes the last): the same answer.
    routed = _wait(api, f"after={head}&after={head}&timeout=5&changes=100")
    assert live.app.state.short_waits == before + 1
    assert short.status_code == routed.status_code == 200
    assert short.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert short.headers["x-request-id"] != routed.headers["x-request-id"]  # the edge saw both
    assert short.json() == routed.json()
    assert short.json()["streams"] == ["stock", "remarks", "orders"]
    assert set(short.json()["changes"]) == {"stock", "remarks", "orders"}


@pytest.mark.parametrize("query, where", [
    ("after=-1&timeout=0", "after"), ("after=abc&timeout=0", "after"), ("timeout=0", "after"),
    ("after=1&timeout=31", "timeout"), ("after=1&timeout=nan", "timeout"),
    ("after=1&timeout=0&changes=101", "changes"),
])
def test_an_odd_wait_gets_the_documented_422(live, api, query, where):
    _trusted_head(live, api)
    before = live.app.state.short_waits
    r = _wait(api, query)
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"
    assert r.json()["errors"][0]["loc"] == ["query", where]
    assert live.app.state.short_waits == before


def test_a_signed_out_or_unknown_token_is_refused_on_the_next_wait(live, api):
    head = _trusted_head(live, api)
    before = live.app.state.short_waits
    assert _wait(api, f"after={head}&timeout=0").status_code == 200
    assert live.app.state.short_waits == before + 1
    token = api.token
    assert api.post("/auth/logout").status_code == 204
    api.token = token
    r = _wait(api, f"after={head}&timeout=0")
    assert r.status_code == 401 and r.json()["code"] == "bad_token"
    api.token = "not-a-token"
    r = _wait(api, f"after={head}&timeout=0")
    assert r.status_code == 401 and r.json()["code"] == "bad_token"
