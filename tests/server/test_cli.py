"""The `storeserver` command line."""
from __future__ import annotations

import re
import subprocess
import sys
import threading

import requests

from storeserver.cli import main


def test_serve_prints_listening_line_and_answers_login(tmp_path):
    db = tmp_path / "cli.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "storeserver", "serve", "--database-url", f"sqlite:///{db}",
         "--port", "0", "--seed-demo", "200"],
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
        head = requests.get(m.group(1) + "/api/v1/sync/orders/snapshot", params={"limit": 1},
                            headers={"Authorization": "Bearer " + r.json()["token"]}, timeout=10).json()
        assert head["total"] == 200
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
