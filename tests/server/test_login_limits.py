"""The sign-in policy of docs/PROTOCOL.md ("Sign-in limits"): budgets per address and per
login, a capped delay after repeated failures that an attacker elsewhere cannot impose on
the agent, and password hashing that never runs more than a few at a time."""
from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from storeserver import limits
from storeserver.limits import InProcessLoginGuard, LoginPolicy, TooManyAttempts


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(guard, login, address):
    guard.begin(login, address)
    guard.finish(login, address, False)


def _refused(guard, login, address) -> int:
    with pytest.raises(TooManyAttempts) as info:
        guard.begin(login, address)
    return info.value.retry_after_s


def test_repeated_failures_earn_a_doubling_delay_capped_at_a_minute():
    clock = Clock()
    guard = InProcessLoginGuard(LoginPolicy(), clock)
    for _ in range(5):
        _fail(guard, "demo", "10.0.0.1")
    delays = []
    for _ in range(9):
        delays.append(_refused(guard, "demo", "10.0.0.1"))
        clock.now += delays[-1]
        _fail(guard, "demo", "10.0.0.1")
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_success_clears_the_delay():
    clock = Clock()
    guard = InProcessLoginGuard(LoginPolicy(), clock)
    for _ in range(7):
        clock.now += 60
        _fail(guard, "demo", "10.0.0.1")
    clock.now += 60
    guard.begin("demo", "10.0.0.1")
    guard.finish("demo", "10.0.0.1", True)
    for _ in range(5):
        _fail(guard, "demo", "10.0.0.1")  # five free failures again


def test_an_attacker_elsewhere_cannot_lock_the_agent_out():
    clock = Clock()
    guard = InProcessLoginGuard(LoginPolicy(), clock)
    guard.begin("demo", "192.168.1.20")  # the agent's desk, signed in earlier
    guard.finish("demo", "192.168.1.20", True)
    for i in range(200):  # a spray from many addresses
        try:
            _fail(guard, "demo", f"203.0.113.{i}")
        except TooManyAttempts:
            pass
    assert _refused(guard, "demo", "198.51.100.7") == 15  # the login's budget is spent...
    guard.begin("demo", "192.168.1.20")  # ...but not for the agent's own address
    guard.finish("demo", "192.168.1.20", True)
    clock.now += 15
    guard.begin("demo", "198.51.100.7")  # and it refills


def test_one_address_gets_a_budget_of_failures_across_logins():
    clock = Clock()
    guard = InProcessLoginGuard(LoginPolicy(), clock)
    for i in range(30):
        _fail(guard, f"user{i}", "10.9.9.9")
    assert _refused(guard, "another", "10.9.9.9") == 2
    guard.begin("another", "10.9.9.10")  # other addresses are not affected
    clock.now += 2
    guard.begin("another", "10.9.9.9")


def test_successes_and_untried_attempts_do_not_spend_the_budget():
    clock = Clock()
    guard = InProcessLoginGuard(LoginPolicy(), clock)
    for _ in range(100):  # an office of agents behind one address signing in
        guard.begin("demo", "10.0.0.1")
        guard.finish("demo", "10.0.0.1", True)
        guard.begin("amy", "10.0.0.1")
        guard.finish("amy", "10.0.0.1", None)  # e.g. refused by a busy hash pool
    guard.begin("demo", "10.0.0.1")


def test_the_counters_stay_bounded():
    guard = InProcessLoginGuard(LoginPolicy(max_entries=100), Clock())
    for i in range(5000):
        guard.begin(f"u{i}", f"a{i}")
        guard.finish(f"u{i}", f"a{i}", False)
    assert len(guard._by_address._tokens) <= 100 and len(guard._by_login._tokens) <= 100
    assert len(guard._streaks) <= 100


def test_the_hash_pool_runs_a_few_at_a_time_and_refuses_beyond_its_queue():
    async def scenario():
        pool, release, running, peak = limits.HashPool(slots=2, queue=3), threading.Event(), [], []
        lock = threading.Lock()

        def job():
            with lock:
                running.append(1)
                peak.append(len(running))
            release.wait(10)
            with lock:
                running.pop()
            return "done"

        tasks = [asyncio.ensure_future(pool.run(job)) for _ in range(5)]
        await asyncio.sleep(0.05)
        with pytest.raises(TooManyAttempts):
            await pool.run(job)  # the sixth finds two running and three waiting
        release.set()
        assert await asyncio.gather(*tasks) == ["done"] * 5
        assert max(peak) == 2
        assert await pool.run(job) == "done"  # room again
        pool.close()

    asyncio.run(scenario())


def _frozen_policy(live, **policy) -> None:
    """The documented policy on a clock that stands still, answered without the tarpit delay."""
    live.app.state.login_guard = InProcessLoginGuard(LoginPolicy(**policy), Clock())
    live.app.state.refusal_delay_s = 0


def _client(live, address: str) -> httpx.Client:
    return httpx.Client(base_url=live.url + "/api/v1", timeout=10,
                        transport=httpx.HTTPTransport(local_address=address))


def test_over_http_the_agents_own_address_still_signs_in_during_a_spray(live):
    """Real sockets from distinct loopback addresses (127.0.0.x) stand in for attackers."""
    _frozen_policy(live, login_burst=5)
    with _client(live, "127.0.0.1") as agent:
        assert agent.post("/auth/login", json={"login": "demo", "password": "demo"}).status_code == 200
    statuses = []
    for i in range(2, 10):
        with _client(live, f"127.0.0.{i}") as attacker:
            statuses.append(attacker.post("/auth/login", json={"login": "demo", "password": "guess"}))
    assert [r.status_code for r in statuses] == [401] * 5 + [429] * 3
    refused = statuses[-1]
    body = refused.json()
    assert body["code"] == "too_many_attempts" and body["retry_after_s"] >= 1
    assert refused.headers["Retry-After"] == str(body["retry_after_s"])
    with _client(live, "127.0.0.1") as agent:
        assert agent.post("/auth/login", json={"login": "demo", "password": "demo"}).status_code == 200
    with _client(live, "127.0.0.77") as stranger:  # a new place waits for the budget to refill
        assert stranger.post("/auth/login", json={"login": "demo", "password": "demo"}).status_code == 429


def test_over_http_repeated_failures_from_one_address_get_429_with_retry_after(live):
    _frozen_policy(live)
    with _client(live, "127.0.0.1") as client:
        codes = [client.post("/auth/login", json={"login": "demo", "password": "bad"}).status_code
                 for _ in range(6)]
        assert codes == [401] * 5 + [429]
        r = client.post("/auth/login", json={"login": "demo", "password": "bad"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_the_number_of_concurrent_password_checks_is_a_serve_option():
    from storeserver.cli import build_parser

    assert build_parser().parse_args(["serve"]).login_concurrency is None  # half the cores, 1-4
    assert 1 <= limits.default_hash_slots() <= 4
    assert build_parser().parse_args(["serve", "--login-concurrency", "4"]).login_concurrency == 4
