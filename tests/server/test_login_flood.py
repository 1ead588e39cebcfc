"""A sign-in flood against a real server process with the PRODUCTION argon2 profile (64 MiB
per hash; the cheap test hasher lives only in the test process): the server's resident
memory stays bounded, other requests keep being answered, attackers get 429s, and the
agent still signs in from its own address afterwards. Bounded: 40 attackers for 4 s."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from storeserver.loadtest import ROOT, child_env, server_memory, start_server

from .conftest import Api

ATTACKERS, SECONDS = 40, 4
HASH_MIB, SLOTS = 64, 2
# Two hashes at a time add ~2 x 64 MiB (plus allocator slack); unbounded, 40 would add ~2.5 GiB.
MAX_GROWTH_MIB = (SLOTS + 2) * HASH_MIB


@pytest.mark.slow
def test_a_login_flood_keeps_memory_flat_and_the_server_answering(tmp_path):
    server, url = start_server(f"sqlite:///{tmp_path / 'flood.sqlite3'}", seed_demo=20,
                               login_concurrency=SLOTS)
    try:
        agent = Api(url)
        agent.login()  # one production hash: the allocator has seen one
        before = server_memory(server.pid)
        attack = subprocess.Popen(
            [sys.executable, "-m", "storeserver.loadtest", "flood", url,
             "--attackers", str(ATTACKERS), "--seconds", str(SECONDS)],
            cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, text=True)
        answers = []
        while attack.poll() is None:
            answers.append(agent.get("/sync/head", http_timeout=30).status_code)
        tally = json.loads(attack.communicate(timeout=60)[0].strip().splitlines()[-1])
        after = server_memory(server.pid)

        assert answers and set(answers) == {200}, answers
        assert after.peak_mib - before.rss_mib <= MAX_GROWTH_MIB, (before, after)
        assert tally.get("429", 0) > 0 and tally.get("401", 0) > 0, tally
        assert set(tally) <= {"401", "429"}, tally  # no 5xx, no dropped connection
        assert Api(url).login()["agent"]["login"] == "demo"  # not locked out
    finally:
        server.kill()
        server.wait(30)
