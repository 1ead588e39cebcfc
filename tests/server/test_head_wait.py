"""Head and the long poll."""
from __future__ import annotations

import threading

import requests

from storeserver import ops


def test_head_reports_sequence_and_epoch(live, api):
    head = api.ok("/sync/head")
    assert head["epoch"] == 1 and head["seq"] > 0
    seq = ops.set_remark(live.engine, live.shop_id, 1, "老客户，送优惠券", 1, "1024")
    assert api.ok("/sync/head") == {"seq": seq, "epoch": 1}


def test_wait_returns_at_the_timeout_when_nothing_changes(live, api):
    head = api.ok("/sync/head")
    assert api.ok("/sync/wait", after=head["seq"], timeout=0.3) == head


def test_wait_returns_early_after_a_change(live, api):
    head = api.ok("/sync/head")["seq"]
    started = threading.Event()

    def change() -> None:
        started.wait(5)
        ops.set_stock_qty(live.engine, live.shop_id, 1, 7)

    t = threading.Thread(target=change)
    t.start()
    started.set()
    # Server timeout 30 s, client read timeout 15 s: only an early answer passes.
    r = api.http.get(api.base + "/sync/wait", params={"after": head, "timeout": 30},
                     headers={"Authorization": f"Bearer {api.token}"}, timeout=(3, 15))
    t.join()
    assert r.status_code == 200 and r.json()["seq"] == head + 1


def test_wait_answers_at_once_when_already_past(live, api):
    head = api.ok("/sync/head")["seq"]
    assert api.ok("/sync/wait", after=head - 1, timeout=30)["seq"] == head
    assert api.ok("/sync/wait", after=head + 100, timeout=30)["seq"] == head  # another history


def test_wait_parameters_are_checked(live, api):
    for params in ({"after": 0, "timeout": 31}, {"after": -1}, {"timeout": 1}, {"after": "x"}):
        r = api.get("/sync/wait", **params)
        assert r.status_code == 422, params
    r = requests.get(live.url + "/api/v1/sync/wait", params={"after": 0, "timeout": 1}, timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "missing_token"
