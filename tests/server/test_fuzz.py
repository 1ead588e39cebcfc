"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis on
hypothesis), against a real server on SQLite and on PostgreSQL.

Valid and invalid requests are generated for every operation; valid ones often carry a real
cursor of the caller's shop (snapshot and feed cursors collected first), so the fuzzer gets
past the cursor check into the real handlers. Every answer must be no 5xx, a documented
status, of the documented content type and schema; invalid input must be refused with a
4xx; and nothing of the second shop ever appears (shop isolation). Bounded: a fixed number
of examples per operation and mode, derandomized, so the run costs the same every time.
"""
from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from storeserver.demodata import generate
from storeserver.limits import NoLoginLimits
from storeserver.seed import DEMO_RELAY_KEY, seed_shop

from .conftest import ALL_STREAMS, Api

EXAMPLES = 75  # per operation and mode: ~1,000 requests per database
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
OTHER_LOGIN, OTHER_PASSWORD = "other", "pw-other"
# The documented refusals of invalid input (docs/PROTOCOL.md), 413 too_large among them.
CONFIG = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": ["400", "401", "404", "405", "410", "413", "422", "429"]}}})


class Target:
    """The live server, the fuzzer's token and what the other shop owns."""

    def __init__(self, live):
        self.url = live.url
        self.http = requests.Session()
        live.app.state.login_guard = NoLoginLimits()  # the fuzzer signs in hundreds of times
        seed_shop(live.engine, generate(15, seed=7), shop_name="隔壁小店", login=OTHER_LOGIN,
                  password=OTHER_PASSWORD, display_name="隔壁客服", agent_no="2001", relay_key="other-relay-key")
        me, other = Api(live.url), Api(live.url)
        me.login()
        other_agent = other.login(OTHER_LOGIN, OTHER_PASSWORD)["agent"]
        self.token, self.shop_id, self.other_shop = me.token, live.shop_id, other_agent["shop_id"]
        self.other_ids = {s: {i["id"] for i in other.snapshot_all(s)[0]} for s in ALL_STREAMS}
        self.cursors: dict[str, dict[str, list[str]]] = {}
        for stream in ALL_STREAMS:
            page = me.ok(f"/sync/{stream}/snapshot", limit=2)
            snap = [page["next_cursor"]] if page["next_cursor"] else []
            self.cursors[stream] = {"snapshot": snap, "changes": [page["feed_cursor"]]}
        doc = self.http.get(live.url + "/openapi.json", timeout=10).json()
        _add_cursor_examples(doc, self.cursors["orders"])
        self.schema = schemathesis.openapi.from_dict(doc, config=CONFIG)

    def strategy(self, method: str, path: str, mode: GenerationMode):
        op = self.schema[path][method]
        return op.as_strategy(generation_mode=mode)


def _add_cursor_examples(doc: dict, cursors: dict[str, list[str]]) -> None:
    """Real cursors as the documented examples (the served document has none: they are
    per shop)."""
    for kind in ("snapshot", "changes"):
        for param in doc["paths"][f"/api/v1/sync/{{stream}}/{kind}"]["get"]["parameters"]:
            if param["name"] == "cursor" and cursors[kind]:
                param["example"] = cursors[kind][0]


@pytest.fixture
def target(store_factory, request) -> Target:
    return Target(store_factory(kind=request.param, orders=40))


OPERATIONS = [("POST", "/api/v1/auth/login"), ("GET", "/api/v1/me"), ("GET", "/api/v1/sync/head"),
              ("GET", "/api/v1/sync/wait"), ("GET", "/api/v1/sync/{stream}/snapshot"),
              ("GET", "/api/v1/sync/{stream}/changes"), ("POST", "/api/v1/mutations"),
              ("POST", "/api/v1/relay/messages"), ("GET", "/api/v1/relay/buyers/{buyer_id}/messages"),
              ("PUT", "/api/v1/conversations/{conversation_id}/presence"),
              ("GET", "/api/v1/conversations/{conversation_id}/presence"),
              ("GET", "/api/v1/cache-file"), ("GET", "/api/v1/cache-file/{sha256}"),
              ("POST", "/api/v1/auth/logout")]
RELAY_WAIT_CAP_S = 0.5  # the relay's long poll, bounded so the run stays short


@pytest.mark.slow
@pytest.mark.parametrize("target", ["sqlite", "postgresql"], indirect=True)
def test_the_api_holds_its_contract_under_fuzzing(target):
    for method, path in OPERATIONS:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(target, method, path, mode)


def _fuzz(target: Target, method: str, path: str, mode: GenerationMode) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=target.strategy(method, path, mode), data=st.data())
    def run(case, data):
        if mode.is_positive and "cursor" in (case.query or {}):
            stream = (case.path_parameters or {}).get("stream")
            real = target.cursors.get(stream, {}).get(path.rsplit("/", 1)[-1], [])
            if real and data.draw(st.booleans(), label="real cursor"):
                case.query["cursor"] = data.draw(st.sampled_from(real), label="cursor")
        if mode.is_positive and data.draw(st.integers(0, 3), label="nasty?") == 0:
            _inject_nasty(case, data)
        response = _call(target, case, path)
        case.validate_response(response, checks=_checks_for(case))
        _assert_isolated(target, path, response)

    run()


# Strings that broke (or break) real servers: NUL (PostgreSQL refuses it), a lone surrogate
# (not encodable as UTF-8), SQL and URL tricks, invisible and wide characters, over-long.
NASTY = ["\x00", "de\x00mo", "\ud800", "' OR '1'='1' --", "%00", "\u202e\u200b", "💥" * 16, "\\",
         "A" * 600, "\r\nX-Injected: 1"]


def _inject_nasty(case, data) -> None:
    """Put one nasty string into a string field of the body or the query (the case stops
    being valid: only the no-5xx and documented-answer checks apply then)."""
    slots = [(d, k) for d in (case.body, case.query) if isinstance(d, dict)
             for k, v in d.items() if isinstance(v, str)]
    if slots:
        where, key = data.draw(st.sampled_from(slots), label="nasty slot")
        # A URL cannot carry a lone surrogate at all (the client cannot encode it).
        choices = NASTY if where is case.body else [n for n in NASTY if n != "\ud800"]
        where[key] = data.draw(st.sampled_from(choices), label="nasty value")


def _checks_for(case) -> list:
    """Unknown query parameters are ignored by design (docs/PROTOCOL.md): a case whose only
    fault may be one is not expected to be refused."""
    declared = {p.name for p in case.operation.query}
    if set(case.query or {}) - declared:
        return [c for c in CHECKS if c is not negative_data_rejection]
    return CHECKS


def _call(target: Target, case, path: str):
    headers = {"Authorization": f"Bearer {target.token}"}
    if path.startswith("/api/v1/relay/"):
        headers = {"Authorization": f"Relay {DEMO_RELAY_KEY}"}
        timeout = (case.query or {}).get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > RELAY_WAIT_CAP_S:
            case.query["timeout"] = RELAY_WAIT_CAP_S
    if path == "/api/v1/auth/logout":
        # Signing the fuzzer's own token out would leave every later case unauthenticated.
        headers = {"Authorization": "Bearer not-a-token"}
    return case.call(base_url=target.url, session=target.http, headers=headers, timeout=40)


def _assert_isolated(target: Target, path: str, response) -> None:
    if response.status_code == 200 and path == "/api/v1/me":
        assert response.json()["shop_id"] == target.shop_id
    if response.status_code == 200 and path.startswith("/api/v1/relay/"):
        body = response.json()
        ids = {m["id"] for m in body.get("messages", [])} | ({body["message"]["id"]} if "message" in body else set())
        assert not ids & target.other_ids["messages"], "another shop's message leaked"
    if response.status_code != 200 or not path.startswith("/api/v1/sync/{stream}"):
        return
    body: dict[str, Any] = response.json()
    ids = {i["id"] for i in body.get("items", [])} | {
        c.get("id") or c["item"]["id"] for c in body.get("changes", [])}
    assert not ids & target.other_ids[body["stream"]], "another shop's entity leaked"


def test_the_document_says_what_the_server_answers(store):
    """What the fuzzer relies on: streams as an enum, the bearer scheme, and every status an
    operation can give listed with the error body."""
    doc = requests.get(store.url + "/openapi.json", timeout=10).json()
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    changes = doc["paths"]["/api/v1/sync/{stream}/changes"]["get"]
    stream = next(p for p in changes["parameters"] if p["name"] == "stream")
    assert stream["schema"]["enum"] == list(ALL_STREAMS)
    assert {"200", "400", "401", "404", "410", "413", "422", "500"} <= set(changes["responses"])
    login = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]
    assert "retry_after_s" in doc["components"]["schemas"]["TooManyOut"]["required"]
    assert "request_id" in doc["components"]["schemas"]["ErrorOut"]["required"]
