"""Sign-in, tokens and sign-out, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from storeserver.models import AuthSession

from .conftest import Api


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def test_sign_in_returns_token_and_agent(live):
    api = Api(live.url)
    body = api.login()
    assert body["agent"] == {"id": body["agent"]["id"], "login": "demo", "display_name": "演示客服",
                             "agent_no": "1024", "shop_id": live.shop_id,
                             "shop_name": body["agent"]["shop_name"], "overdue_after_s": 100,
                             "role": "manager"}
    assert body["agent"]["shop_name"]
    assert body["expires_at"].endswith("Z")
    expires = datetime.fromisoformat(body["expires_at"][:-1])
    assert timedelta(hours=11) < expires - _utcnow() <= timedelta(hours=12, minutes=1)
    assert api.ok("/me") == body["agent"]


def test_wrong_password_and_unknown_login_get_the_same_answer(live):
    api = Api(live.url)
    wrong = api.post("/auth/login", {"login": "demo", "password": "nope"})
    unknown = api.post("/auth/login", {"login": "nobody", "password": "demo"})
    assert wrong.status_code == unknown.status_code == 401
    same = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert same(wrong) == same(unknown)
    assert wrong.json()["code"] == "bad_credentials" and wrong.json()["detail"]


def test_requests_without_a_valid_token_are_refused(live):
    api = Api(live.url)
    r = api.get("/me")
    assert r.status_code == 401 and r.json()["code"] == "missing_token"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    r = api.get("/sync/head", headers={"Authorization": "Basic ZGVtbzpkZW1v"})
    assert r.status_code == 401 and r.json()["code"] == "missing_token"
    api.token = "not-a-real-token"
    for path in ("/me", "/sync/head", "/sync/orders/snapshot"):
        r = api.get(path)
        assert r.status_code == 401 and r.json()["code"] == "bad_token", path
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_refused_with_token_expired(live):
    api = Api(live.url)
    api.login()
    with live.engine.begin() as conn:
        conn.execute(update(AuthSession).values(expires_at=datetime(2020, 1, 1)))
    r = api.get("/sync/head")
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_token_ttl_is_configurable(store_factory):
    live = store_factory(orders=5, token_ttl=timedelta(minutes=5))
    body = Api(live.url).login()
    left = datetime.fromisoformat(body["expires_at"][:-1]) - _utcnow()
    assert timedelta(minutes=3) < left <= timedelta(minutes=6)


def test_logout_ends_the_session_only(live):
    first, second = Api(live.url), Api(live.url)
    first.login()
    second.login()
    r = first.post("/auth/logout")
    assert r.status_code == 204 and r.content == b""
    assert first.get("/me").json()["code"] == "bad_token"
    assert second.get("/me").status_code == 200  # another session of the same agent lives on


def test_a_sign_out_on_the_same_process_ends_a_remembered_token_at_once(live):
    """The token was just checked (and is remembered for a few seconds): the sign-out must
    still end it on the very next request, while the agent's other session goes on."""
    first, second = Api(live.url), Api(live.url)
    first.login()
    second.login()
    assert first.get("/me").status_code == second.get("/me").status_code == 200
    assert first.post("/auth/logout").status_code == 204
    assert first.get("/sync/head").json()["code"] == "bad_token"
    assert second.get("/sync/head").status_code == 200


def test_a_check_that_began_before_a_sign_out_is_not_remembered():
    """A request that read the session just before a sign-out committed must not store what
    it read after the sign-out was forgotten (it would bring the token back for seconds)."""
    from storeserver.auth import RecentChecks

    checks = RecentChecks(ttl_s=60)
    began = checks.generation()  # the read starts ...
    checks.forget("abc")         # ... the sign-out commits and is forgotten ...
    checks.put("abc", "agent 1", began)  # ... then the read would store what it found
    assert checks.get("abc") is None
    checks.put("abc", "agent 1", checks.generation())
    assert checks.get("abc") == "agent 1"
    checks.forget(None)
    assert checks.get("abc") is None


def test_malformed_login_body_is_422(live):
    api = Api(live.url)
    for body in ({"login": "demo"}, {"password": "demo"}, {"login": 1, "password": "demo"},
                 {"login": "", "password": "x"}, ["demo", "demo"]):
        r = api.post("/auth/login", body)
        assert r.status_code == 422, body
        assert r.json()["code"] == "invalid_request" and isinstance(r.json()["detail"], str)
    r = api.post("/auth/login", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_production_password_hashing_is_argon2id_with_the_default_profile():
    from storeserver import auth

    h = auth.DEFAULT_HASHER
    assert h.type.name == "ID" and h.memory_cost >= 65536 and h.time_cost >= 3
    stored = h.hash("demo")
    assert stored.startswith("$argon2id$") and auth.verify_password(stored, "demo")
    assert not auth.verify_password(stored, "Demo") and not auth.verify_password(None, "demo")


def test_a_token_in_use_is_renewed_past_its_original_expiry(store_factory):
    """Sliding expiry: an agent working all shift is never thrown back to sign-in; a token
    left idle still expires."""
    import time

    live = store_factory(orders=5, token_ttl=timedelta(seconds=4))
    busy, idle = Api(live.url), Api(live.url)
    first = busy.login()
    idle.login()
    original = datetime.fromisoformat(first["expires_at"][:-1])
    deadline = time.monotonic() + 7
    while time.monotonic() < deadline:  # in use across its original expiry (and then some)
        assert busy.get("/sync/head").status_code == 200
        time.sleep(0.5)
    assert _utcnow() > original + timedelta(seconds=2)
    assert busy.get("/me").status_code == 200
    r = idle.get("/me")
    assert r.status_code == 401 and r.json()["code"] == "token_expired"
