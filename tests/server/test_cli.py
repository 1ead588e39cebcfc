"""The `storeserver` command line."""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import threading
import time

import requests

from storeserver.cli import main


def test_serve_prints_listening_line_and_answers_login_and_builds_the_cache_file(tmp_path):
    db = tmp_path / "cli.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "storeserver", "serve", "--database-url", f"sqlite:///{db}",
         "--port", "0", "--seed-demo", "200", "--cache-files", str(tmp_path / "files"), "--build-cache-files",
         "--cache-file-min-orders", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=60)
        assert line and line[0], f"no listening line; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
        m = re.fullmatch(r"storeserver listening on (http://127\.0\.0\.1:(\d+))\n", line[0])
        assert m and int(m.group(2)) > 0, line
        r = requests.post(m.group(1) + "/api/v1/auth/login", json={"login": "demo", "password": "demo"}, timeout=10)
        assert r.status_code == 200
        auth = {"Authorization": "Bearer " + r.json()["token"]}
        head = requests.get(m.group(1) + "/api/v1/sync/orders/snapshot", params={"limit": 1},
                            headers=auth, timeout=10).json()
        assert head["total"] == 200
        # The shop's cache file, built by a process of its own, is offered once it is there.
        deadline = time.monotonic() + 60
        while True:
            f = requests.get(m.group(1) + "/api/v1/cache-file", headers=auth, timeout=10)
            if f.status_code == 200 or time.monotonic() > deadline:
                break
            assert f.status_code == 404 and f.json()["code"] == "no_cache_file"
            time.sleep(0.2)
        assert f.status_code == 200 and f.json()["streams"]["orders"] == 200, f.text
        got = requests.get(m.group(1) + f.json()["url"], headers=auth, timeout=10)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == f.json()["sha256"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_migrate_create_agent_and_seed(tmp_path, capsys):
    from sqlalchemy import select

    from storeserver.api import create_app
    from storeserver.db import make_engine
    from storeserver.models import Agent, Shop
    from storeserver.testing import serve_in_thread

    url = f"sqlite:///{tmp_path / 'admin.sqlite3'}"
    assert main(["migrate", "--database-url", url]) == 0
    assert main(["seed", "--database-url", url, "--orders", "50", "--seed", "2"]) == 0
    assert main(["create-agent", "--database-url", url, "--shop", "测试小店", "--login", "xiaomei",
                 "--name", "小美", "--agent-no", "1050", "--password", "s3cret"]) == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        assert set(conn.execute(select(Shop.name)).scalars()) >= {"测试小店"}
        assert conn.execute(select(Agent.login)).scalars().all() == ["demo", "demo2", "xiaomei"]
    with serve_in_thread(create_app(engine)) as base:
        r = requests.post(base + "/api/v1/auth/login", json={"login": "xiaomei", "password": "s3cret"}, timeout=10)
        assert r.status_code == 200 and r.json()["agent"]["agent_no"] == "1050"
    engine.dispose()
