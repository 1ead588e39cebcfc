"""Inputs that used to give a 500, a dropped connection or an off-contract status, on SQLite
and PostgreSQL: each now gets the documented JSON error body (and a request id)."""
from __future__ import annotations

import base64
import json
import logging
import socket

import pytest
import requests
from sqlalchemy import text

from storeserver import auth

from .conftest import ALL_STREAMS, Api

JSON = {"Content-Type": "application/json"}


def _error(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == code and isinstance(body["detail"], str)
    assert body["request_id"] == r.headers["X-Request-ID"]
    return body


def test_a_login_with_a_nul_character_is_refused_as_invalid(live):
    api = Api(live.url)
    for body in ({"login": "de\x00mo", "password": "demo"}, {"login": "demo", "password": "de\x00mo"}):
        _error(api.post("/auth/login", body), 422, "invalid_request")
    api.login()  # the server is fine afterwards


def test_a_nul_character_in_the_query_is_refused(api):
    _error(api.get("/sync/orders/snapshot", cursor="a\x00b"), 422, "invalid_request")
    _error(api.get("/sync/ord\x00ers/snapshot"), 422, "invalid_request")


def test_snapshot_cursor_ids_beyond_64_bits_are_bad_cursors(api, live):
    head = api.ok("/sync/head")

    def cursor(**doc):  # shaped like the server's, built by hand (orjson stops at 64 bits)
        doc = {"v": 1, "sh": live.shop_id, "e": head["epoch"], **doc}
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    for last_id in (2**63, 2**64 - 1, 10**30):
        r = api.get("/sync/orders/snapshot", cursor=cursor(k="s", st="orders", s=head["seq"], i=last_id))
        _error(r, 400, "bad_cursor")
    page = api.ok("/sync/orders/snapshot", cursor=cursor(k="s", st="orders", s=head["seq"], i=2**63 - 1),
                  limit=5)
    assert len(page["items"]) == 5  # the largest id there is: everything lies below it
    for seq in (2**63, 2**64 - 1):
        _error(api.get("/sync/orders/changes", cursor=cursor(k="f", s=seq)), 400, "bad_cursor")


def test_wait_refuses_values_out_of_range(api):
    head = api.ok("/sync/head")
    for params in ({"after": head["seq"], "timeout": "nan"}, {"after": head["seq"], "timeout": "inf"},
                   {"after": 2**63, "timeout": 0}, {"after": -1, "timeout": 0}):
        _error(api.get("/sync/wait", **params), 422, "invalid_request")


def test_bodies_that_are_not_json_in_utf8_or_nest_too_deep_are_422(live):
    url = live.url + "/api/v1/auth/login"
    for raw in (b'{"login": "\xff\xfe", "password": "x"}',          # not UTF-8
                b'{"login": "\\ud800", "password": "x"}',            # a lone surrogate
                b"[" * 5000 + b"]" * 5000,                           # thousands deep
                b'{"login": ' + b"[" * 40 + b"]" * 40 + b', "password": "x"}'):
        body = _error(requests.post(url, data=raw, headers=JSON, timeout=10), 422, "invalid_request")
        assert body["errors"][0]["loc"] == ["body"]


def test_oversized_query_and_body_are_413(api, live):
    body = _error(api.get("/sync/orders/changes", cursor="A" * 130_000), 413, "too_large")
    assert len(body["detail"]) < 100
    _error(api.get("/sync/orders/changes", cursor="A" * 5000), 413, "too_large")
    _error(api.get("/sync/orders/changes", cursor="A" * 600), 422, "invalid_request")  # over 512
    big = b'{"login": "demo", "password": "' + b"x" * 20_000 + b'"}'
    _error(requests.post(live.url + "/api/v1/auth/login", data=big, headers=JSON, timeout=10),
           413, "too_large")


def test_wrong_method_is_405_with_the_error_body(api):
    r = api.http.delete(api.base + "/sync/head", headers=api._headers(None), timeout=10)
    _error(r, 405, "method_not_allowed")
    assert r.headers["Allow"] == "GET"
    _error(api.http.get(api.base + "/auth/login", timeout=10), 405, "method_not_allowed")


def test_error_bodies_echo_only_a_short_escaped_prefix(api):
    name = "x" * 3000 + "<script>"
    body = _error(api.get(f"/sync/{name}/snapshot"), 404, "unknown_stream")
    listed = ", ".join(ALL_STREAMS)  # the detail names the streams there are, after the short echo
    assert "<script>" not in body["detail"] and len(body["detail"].replace(listed, "")) < 60
    body = _error(api.get("/sync/\u202eevil\x07/snapshot"), 404, "unknown_stream")
    assert "\u202e" not in body["detail"] and "\x07" not in body["detail"]
    assert "\\u202e" in body["detail"]


def test_every_answer_names_its_request(api):
    ids = {api.get("/sync/head").headers["X-Request-ID"] for _ in range(3)}
    ids.add(api.get("/nowhere").headers["X-Request-ID"])
    assert len(ids) == 4 and all(len(i) == 16 for i in ids)


def test_an_unexpected_failure_is_a_json_500_logged_once_without_the_input(live, caplog):
    """A broken database (a table gone) stands in for any bug: the answer is the error body
    with a request id, and the log names the request but not what the client sent."""
    api = Api(live.url)
    with live.engine.begin() as conn:
        conn.execute(text("DROP TABLE auth_sessions"))
    secret_login, secret_password = "demo", "correct-horse-battery"
    caplog.set_level(logging.ERROR)
    r = api.post("/auth/login", {"login": secret_login, "password": secret_password})
    assert r.status_code == 401  # a wrong password needs no session table
    api.token = "x" * 40
    r = api.get("/sync/head")
    body = _error(r, 500, "internal_error")
    assert body["request_id"] in body["detail"]
    records = [rec for rec in caplog.records if body["request_id"] in rec.getMessage()]
    assert len(records) == 1
    assert not [rec for rec in caplog.records if "Exception in ASGI application" in rec.getMessage()]
    logged = records[0].getMessage()
    assert "OperationalError" in logged or "ProgrammingError" in logged  # what failed, and where
    assert "x" * 40 not in logged and auth.token_digest("x" * 40) not in logged
    assert api.get("/nowhere").status_code == 404  # the server still answers


def _send_head(url: str, head: bytes) -> bytes:
    """Send `head` in 16 KB pieces on a fresh connection; what came back when it closed."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        try:
            for i in range(0, len(head), 16384):
                sock.sendall(head[i:i + 16384])
        except ConnectionError:  # reset, aborted (Windows) or broken pipe
            pass  # refused before the end: what it answered is still there to read
        got = b""
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except ConnectionError:
            pass  # closed with our bytes still unread: what it sent first is in `got`
        return got


def test_an_oversized_request_head_is_refused_and_the_server_goes_on(live):
    """A head that grows without end (one huge header, or a never-ending stream of them) is
    cut off near MAX_REQUEST_HEAD_BYTES by the HTTP parser (h11), not buffered (h11 checks
    between reads, so a head may pass the bound by one read of up to 256 KB)."""
    from storeserver.limits import MAX_REQUEST_HEAD_BYTES

    start = b"GET /api/v1/sync/head HTTP/1.1\r\nHost: x\r\n"
    huge_value = start + b"X-Big: " + b"a" * (4 * MAX_REQUEST_HEAD_BYTES) + b"\r\n\r\n"
    many = start + b"".join(b"X-%d: %s\r\n" % (i, b"b" * 1000)
                            for i in range(4 * MAX_REQUEST_HEAD_BYTES // 1000)) + b"\r\n"
    for head in (huge_value, many):
        answer = _send_head(live.url, head)
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]  # then closed
        assert b"request_id" not in answer  # the app never saw it
    # Well under the bound the app sees the request (and answers it as usual).
    fits = start + b"X-Big: " + b"c" * (MAX_REQUEST_HEAD_BYTES // 2) + b"\r\nConnection: close\r\n\r\n"
    assert _send_head(live.url, fits).startswith(b"HTTP/1.1 401")
    assert requests.get(live.url + "/api/v1/sync/head", timeout=10).status_code == 401
