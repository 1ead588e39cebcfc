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
    assert api.ok("/sync/wait", after=head["seq"], timeout=0.3) == {**head, "streams": []}


def test_wait_names_the_streams_that_moved(live, api):
    """A woken workstation pulls only these (docs/PROTOCOL.md "Head")."""
    head = api.ok("/sync/head")["seq"]
    ops.set_stock_qty(live.engine, live.shop_id, 1, 7)
    assert api.ok("/sync/wait", after=head, timeout=5)["streams"] == ["stock"]
    after_stock = api.ok("/sync/head")["seq"]
    ops.set_remark(live.engine, live.shop_id, 1, "老客户，送优惠券", 1, "1024")
    answer = api.ok("/sync/wait", after=after_stock, timeout=5)
    assert answer["streams"] == ["remarks", "orders"]
    # From further back: everything since, in stream order; the head alone says nothing.
    assert api.ok("/sync/wait", after=head, timeout=5)["streams"] == ["stock", "remarks", "orders"]
    assert "streams" not in api.ok("/sync/head")
    # A client from another history (after beyond the head) is told to pull everything.
    assert api.ok("/sync/wait", after=answer["seq"] + 100, timeout=5).get("streams") is None


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


class EventReader:
    """`head` events from a server-sent event stream as they arrive (keep-alives skipped)."""

    def __init__(self, r: requests.Response):
        self._chunks = r.iter_content(chunk_size=None)  # each chunk as soon as it arrives
        self._buffer = ""

    def next(self, n: int = 1) -> list[dict]:
        import json

        out = []
        while len(out) < n:
            while "\n\n" not in self._buffer:
                chunk = next(self._chunks, None)
                assert chunk is not None, f"the stream ended after {len(out)} events"
                self._buffer += chunk.decode("utf-8")
            block, self._buffer = self._buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.split("\n") if not line.startswith(":"))
            if fields.get("event") == "head":
                out.append({**fields, "data": json.loads(fields["data"])})
        return out


def test_server_sent_events_tell_each_new_head(live, api):
    head = api.ok("/sync/head")
    auth = {"Authorization": f"Bearer {api.token}"}
    with requests.get(api.base + "/sync/events", headers=auth, stream=True, timeout=(3, 10)) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = EventReader(r)
        [now] = events.next()  # the head at once
        assert now["data"] == head and now["id"] == str(head["seq"])
        seq = ops.set_stock_qty(live.engine, live.shop_id, 1, 5)
        [moved] = events.next()
        assert moved["data"] == {"seq": seq, "epoch": 1} and moved["id"] == str(seq)
    # A reconnecting EventSource names the last event it saw: nothing is repeated, the next
    # change comes.
    with requests.get(api.base + "/sync/events", headers={**auth, "Last-Event-ID": str(seq)},
                      stream=True, timeout=(3, 10)) as r:
        seq2 = ops.set_stock_qty(live.engine, live.shop_id, 1, 6)
        [nxt] = EventReader(r).next()
        assert nxt["data"]["seq"] == seq2
    r = requests.get(live.url + "/api/v1/sync/events", timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "missing_token"
