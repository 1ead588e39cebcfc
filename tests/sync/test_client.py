"""StoreClient: retries and error mapping over real loopback sockets (scripted HTTP server,
fault proxy, closed port, TLS mismatch)."""
from __future__ import annotations

import threading

import pytest

from tests.sync.netfaults import Fault, FaultProxy, Reply, ScriptedServer, closed_port
from workstation.sync.client import StoreClient
from workstation.sync.errors import (AuthExpired, BadCredentials, CursorGone, PayloadError,
                                     RequestRejected, ServerFailure, ServerUnreachable,
                                     TLSFailure)

AGENT = {"id": 1, "login": "demo", "display_name": "演示", "agent_no": "1024", "shop_id": 1,
         "shop_name": "演示店"}
LOGIN_OK = {"token": "t0k3n", "expires_at": "2026-11-11T02:13:00Z", "agent": AGENT}
HEAD = {"seq": 42, "epoch": 1}


@pytest.fixture
def scripted():
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def client(scripted):
    c = StoreClient(scripted.url, token="t0k3n", timeout=(2, 10))
    yield c
    c.close()


def test_login_keeps_token_and_parses_agent(scripted):
    scripted.on("/auth/login", Reply(200, LOGIN_OK))
    c = StoreClient(scripted.url)
    result = c.login("demo", "demo")
    assert c.token == "t0k3n" and result.agent.agent_no == "1024"


def test_wrong_password_is_bad_credentials(scripted, client):
    scripted.on("/auth/login", Reply(401, {"detail": "wrong", "code": "bad_credentials"}))
    with pytest.raises(BadCredentials) as err:
        client.login("demo", "nope")
    assert err.value.code == "bad_credentials" and err.value.user_message


def test_login_is_not_retried_on_503(scripted, client):
    scripted.on("/auth/login", Reply(503, b"busy"), Reply(200, LOGIN_OK))
    with pytest.raises(ServerFailure) as err:
        client.login("demo", "demo")
    assert err.value.status == 503
    assert scripted.calls("/auth/login") == 1


def test_get_retries_on_503_then_succeeds(scripted, client):
    scripted.on("/sync/head", Reply(503, b""), Reply(502, b""), Reply(200, HEAD))
    assert client.head().seq == 42
    assert scripted.calls("/sync/head") == 3


def test_429_honours_retry_after_then_succeeds(scripted, client):
    scripted.on("/sync/head", Reply(429, {"detail": "slow down", "code": "rate_limited"},
                                    {"Retry-After": "0"}), Reply(200, HEAD))
    assert client.head().epoch == 1
    assert scripted.calls("/sync/head") == 2


def test_persistent_5xx_is_server_failure(scripted, client):
    scripted.on("/sync/head", Reply(500, b"boom"))
    with pytest.raises(ServerFailure) as err:
        client.head()
    assert err.value.status == 500
    assert scripted.calls("/sync/head") == 1  # 500 is not in the retry list: a bug, not a blip


def test_persistent_504_gives_up_after_bounded_retries(scripted, client):
    scripted.on("/sync/head", Reply(504, b""))
    with pytest.raises(ServerFailure):
        client.head()
    assert 2 <= scripted.calls("/sync/head") <= 6


@pytest.mark.parametrize("code", ["token_expired", "bad_token", "missing_token"])
def test_401_is_auth_expired(scripted, client, code):
    scripted.on("/me", Reply(401, {"detail": "x", "code": code}, {"WWW-Authenticate": "Bearer"}))
    with pytest.raises(AuthExpired) as err:
        client.me()
    assert err.value.reason == code


def test_410_is_cursor_gone(scripted, client):
    scripted.on("/sync/orders/changes", Reply(410, {"detail": "gone", "code": "cursor_gone"}))
    with pytest.raises(CursorGone) as err:
        client.changes("orders", "abc", 100)
    assert err.value.stream == "orders"


def test_400_bad_cursor_is_rejected(scripted, client):
    scripted.on("/sync/orders/changes", Reply(400, {"detail": "bad", "code": "bad_cursor"}))
    with pytest.raises(RequestRejected) as err:
        client.changes("orders", "abc", 100)
    assert err.value.server_code == "bad_cursor"


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"seq": 1}', b'{"seq": "1", "epoch": 1}',
                                  b'{"seq": -1, "epoch": 1}'])
def test_malformed_200_is_payload_error(scripted, client, body):
    scripted.on("/sync/head", Reply(200, body))
    with pytest.raises(PayloadError) as err:
        client.head()
    assert "sync head" in str(err.value)


def test_snapshot_of_another_stream_is_payload_error(scripted, client):
    scripted.on("/sync/orders/snapshot", Reply(200, {
        "stream": "buyers", "items": [], "next_cursor": None, "done": True,
        "feed_cursor": "f", "total": 0}))
    with pytest.raises(PayloadError, match="expected stream 'orders'"):
        client.snapshot("orders", None, 10)


def test_closed_port_is_unreachable():
    c = StoreClient(f"http://127.0.0.1:{closed_port()}", token="x", timeout=(2, 5))
    with pytest.raises(ServerUnreachable) as err:
        c.head()
    assert err.value.code == "server_unreachable"


def test_unresolvable_host_is_unreachable():
    c = StoreClient("http://no-such-host.invalid", token="x", timeout=(2, 5))
    with pytest.raises(ServerUnreachable):
        c.head()


def test_https_to_plain_http_is_tls_failure(scripted):
    c = StoreClient(f"https://127.0.0.1:{scripted.port}", token="x", timeout=(2, 5))
    with pytest.raises(TLSFailure) as err:
        c.head()
    assert err.value.code == "tls_failure"


def test_body_cut_once_is_retried(scripted):
    scripted.on("/sync/head", Reply(200, {**HEAD, "pad": "x" * 5000}))
    proxy = FaultProxy(("127.0.0.1", scripted.port))
    try:
        proxy.add(Fault("/sync/head", "cut"))
        c = StoreClient(proxy.url, token="x", timeout=(2, 10))
        assert c.head().seq == 42
        assert scripted.calls("/sync/head") == 2
    finally:
        proxy.close()


def test_body_cut_every_time_is_unreachable(scripted):
    scripted.on("/sync/head", Reply(200, {**HEAD, "pad": "x" * 5000}))
    proxy = FaultProxy(("127.0.0.1", scripted.port))
    try:
        proxy.add(Fault("/sync/head", "cut", times=100))
        c = StoreClient(proxy.url, token="x", timeout=(2, 10))
        with pytest.raises(ServerUnreachable, match="dropped"):
            c.head()
    finally:
        proxy.close()


def test_abort_interrupts_a_long_poll(scripted):
    release = threading.Event()
    scripted.on("/sync/wait", Reply(200, HEAD, hold=release))
    c = StoreClient(scripted.url, token="x", timeout=(2, 10))
    outcome: list[BaseException | object] = []

    def poll() -> None:
        try:
            outcome.append(c.wait(1, 30))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    t = threading.Thread(target=poll)
    t.start()
    try:
        assert scripted.wait_for_call("/sync/wait", timeout=10)
        c.abort()
        t.join(timeout=10)
        assert not t.is_alive(), "abort() did not interrupt the long poll"
        assert isinstance(outcome[0], ServerUnreachable)
        with pytest.raises(ServerUnreachable):
            c.head()  # an aborted client stays stopped
    finally:
        release.set()
        t.join(timeout=10)
