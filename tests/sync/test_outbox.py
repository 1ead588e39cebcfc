"""The outbox against a real storeserver over HTTP and a real cache file: a write shows at
once and reaches the server once; a pull never hides it; conflicts and rejections are
parked with the server's words and block nothing else; discard and resolve."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from storeserver import ops
from storeserver.models import Order, RemarkHistory
from workstation.models.schema import order_status
from workstation.models import outbox, remarks
from workstation.sync.puller import Puller
from workstation.sync.pusher import Pusher

from .conftest import signed_in


@pytest.fixture
def agent(store, cache):
    client = signed_in(store.url)
    puller, pusher = Puller(client, cache.writer), Pusher(client, cache.writer)
    puller.run_once()
    yield cache, puller, pusher
    client.close()


def _row(cache, order_id: int) -> dict:
    db = sqlite3.connect(f"file:{cache.path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return dict(db.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone())
    finally:
        db.close()


def _server(store, order_id: int):
    with store.engine.connect() as conn:
        order = conn.execute(select(Order.__table__).where(Order.id == order_id)).one()
        history = conn.execute(select(RemarkHistory.__table__).where(RemarkHistory.order_id == order_id)
                               .order_by(RemarkHistory.version)).all()
    return order, history


def _save(cache, order_id, text, flag=1, reason="客户来电", initiator=None):
    return cache.writer.run(remarks.save_remark, order_id, text=text, flag=flag, reason=reason,
                            agent_no="1024", initiator=initiator)


def test_a_write_shows_at_once_and_reaches_the_server_once(store, agent):
    cache, puller, pusher = agent
    me = object()
    changes = _save(cache, 5, "换货：M码缺货，改发L码", flag=2, initiator=me)
    (mid,) = changes.outbox
    assert changes.initiator is me and changes.get("orders").upserted == {5}
    row = _row(cache, 5)
    assert row["remark"].startswith("换货：M码缺货，改发L码\n【变动事由】客户来电｜工号 1024｜")
    assert row["remark_flag"] == 2
    assert remarks.remark_state(cache.engine, 5).status == "saved"
    assert [e.mutation_id for e in outbox.entries(cache.engine)] == [mid]

    summary = pusher.push()
    assert (summary.sent, summary.applied) == (1, 1)
    order, history = _server(store, 5)
    assert [h.mutation_id for h in history].count(mid) == 1 and order.remark_flag == 2
    assert _row(cache, 5)["remark"] == order.remark  # the server's memo (its time)
    assert _row(cache, 5)["remark_version"] == order.remark_version
    assert remarks.remark_state(cache.engine, 5).status == "sent"
    puller.run_once()
    assert [h.status for h in remarks.remark_history(cache.engine, 5)][0] == "synced"
    assert pusher.push().sent == 0  # nothing is sent twice


def test_a_feed_page_for_an_order_with_a_waiting_edit_changes_nothing_the_agent_sees(store, agent):
    cache, puller, pusher = agent
    with store.engine.connect() as conn:
        oid = conn.execute(select(Order.id).where(Order.status.in_(tuple(ops.NEXT_STATUS)))
                           .order_by(Order.id.desc())).scalars().first()
    _save(cache, oid, "我的备注")
    mine = _row(cache, oid)["remark"]
    ops.advance_order(store.engine, store.shop_id, oid)               # a status change...
    ops.set_remark(store.engine, store.shop_id, oid, "同事的备注", 4, "1031")  # ...and a colleague's remark
    puller.run_once()
    row = _row(cache, oid)
    assert row["remark"] == mine and row["remark_flag"] == 1          # still the agent's own
    assert order_status(row["status"]) == _server(store, oid)[0].status  # the rest is the server's

    assert pusher.push().conflicts == 1
    state = remarks.remark_state(cache.engine, oid)
    assert state.status == "conflict"
    assert state.theirs["remark"] == "同事的备注" and state.mine["text"] == "我的备注"
    assert _row(cache, oid)["remark"] == mine                          # nothing overwritten silently
    (parked,) = outbox.entries(cache.engine, ("conflict",))
    assert parked.last_error and parked.error_code == "conflict"

    merged = "同事的备注\n我的备注"
    cache.writer.run(remarks.resolve_remark, parked.mutation_id, text=merged, flag=4, reason="合并",
                     agent_no="1024")
    assert pusher.push().applied == 1
    order, history = _server(store, oid)
    assert order.remark.startswith(merged + "\n【变动事由】合并｜工号 1024｜")
    assert [h.text for h in history][-2:] == ["同事的备注", merged]
    assert "我的备注" not in [h.text for h in history]                 # the conflict was not forced in
    assert _row(cache, oid)["remark"] == order.remark


def test_two_offline_edits_of_one_remark_never_conflict_and_keep_their_order(store, agent):
    cache, puller, pusher = agent
    v0 = _server(store, 6)[0].remark_version
    for text in ("第一次", "第二次", "第三次"):
        _save(cache, 6, text)
    assert _row(cache, 6)["remark"].startswith("第三次\n")
    summary = pusher.push()
    assert (summary.applied, summary.conflicts) == (3, 0)
    order, history = _server(store, 6)
    assert [(h.text, h.version) for h in history if h.version > v0] == \
        [("第一次", v0 + 1), ("第二次", v0 + 2), ("第三次", v0 + 3)]
    assert _row(cache, 6)["remark"] == order.remark


def test_a_rejected_write_is_parked_and_blocks_nothing(store, agent):
    cache, puller, pusher = agent
    # A write the server refuses (a payload this client would never make itself).
    bad = cache.writer.run(outbox.record, "order.remark", 7, {"text": "x", "flag": 9, "reason": ""},
                           {"remark": "x", "remark_flag": 1})
    _save(cache, 7, "之后的修改")
    _save(cache, 8, "别的订单")
    summary = pusher.push()
    assert (summary.applied, summary.rejected) == (2, 1)
    (parked,) = outbox.entries(cache.engine, ("rejected",))
    assert parked.mutation_id in bad.outbox and parked.error_code == "invalid_payload"
    assert "flag" in parked.last_error
    assert _server(store, 7)[1][-1].text == "之后的修改" and _server(store, 8)[1][-1].text == "别的订单"
    assert remarks.remark_state(cache.engine, 8).status == "sent"


def test_discard_reverts_the_local_change(store, agent):
    cache, puller, pusher = agent
    before = _row(cache, 9)
    changes = _save(cache, 9, "不要了")
    (mid,) = changes.outbox
    cache.writer.run(outbox.discard, mid)
    after = _row(cache, 9)
    assert {k: after[k] for k in ("remark", "remark_flag", "remark_by", "remark_at", "remark_version")} == \
        {k: before[k] for k in ("remark", "remark_flag", "remark_by", "remark_at", "remark_version")}
    assert outbox.entries(cache.engine) == [] and pusher.push().sent == 0


def test_bad_input_is_refused_with_a_clear_message_and_saves_nothing(agent):
    cache, _, _ = agent
    with pytest.raises(outbox.OutboxError, match="1000"):
        _save(cache, 10, "字" * 330)
    with pytest.raises(outbox.OutboxError, match="flag"):
        _save(cache, 10, "x", flag=6)
    with pytest.raises(outbox.OutboxError, match="reason"):
        _save(cache, 10, "x", reason="a｜b")
    assert outbox.entries(cache.engine) == []


def test_inflight_writes_go_back_to_pending_on_start(store, agent):
    cache, puller, _ = agent
    (mid,) = _save(cache, 11, "发送中断").outbox
    (taken,) = cache.writer.run(outbox.take_batch)
    assert outbox.get_entry(cache.engine, mid).status == "inflight"
    client = signed_in(store.url)
    try:
        assert Pusher(client, cache.writer).push().applied == 1  # a new process: recovers, resends
    finally:
        client.close()
    assert [h.mutation_id for h in _server(store, 11)[1]].count(mid) == 1


def test_memo_format_is_the_servers():
    from datetime import datetime, timezone

    from storeserver import mutations

    at = datetime(2026, 11, 11, 6, 2, tzinfo=timezone.utc)
    mine = remarks.compose_memo("尺码改L", "客户来电", "1024", at)
    assert mine == mutations.compose_memo("尺码改L", "客户来电", "1024", at.replace(tzinfo=None))
    assert mine == "尺码改L\n【变动事由】客户来电｜工号 1024｜2026-11-11 14:02"
    assert remarks.parse_memo(mine) == mutations.parse_memo(mine) == {
        "text": "尺码改L", "reason": "客户来电", "agent_no": "1024", "at": "2026-11-11 14:02"}
    assert remarks.memo_bytes("尺码改L", "客户来电", "1024") == len(mine.encode("utf-8"))


def test_take_theirs_drops_the_agents_version_and_shows_the_colleagues(store, agent):
    cache, puller, pusher = agent
    _save(cache, 12, "我的")
    _save(cache, 12, "我的第二版")
    ops.set_remark(store.engine, store.shop_id, 12, "同事的", 3, "1031")
    assert pusher.push().conflicts == 1
    (parked,) = outbox.entries(cache.engine, ("conflict",))
    cache.writer.run(outbox.take_theirs, parked.mutation_id)
    assert outbox.entries(cache.engine) == [] and pusher.push().sent == 0
    puller.run_once()
    assert _row(cache, 12)["remark"] == "同事的" and _row(cache, 12)["remark_flag"] == 3


def test_a_merge_is_sent_on_the_version_merged_against_even_behind_a_retried_rejected_edit(store, agent):
    cache, puller, pusher = agent
    # An edit the server refuses, then the agent's real edit of the same order; a colleague
    # changes the remark meanwhile, so the real edit comes back in conflict.
    bad = cache.writer.run(outbox.record, "order.remark", 14, {"text": "x", "flag": 9, "reason": ""},
                           {"remark": "x", "remark_flag": 1})
    _save(cache, 14, "我的")
    ops.set_remark(store.engine, store.shop_id, 14, "同事的", 3, "1031")
    for _ in range(3):
        pusher.push()
    (conflict,) = outbox.entries(cache.engine, ("conflict",))
    (bad_id,) = bad.outbox
    cache.writer.run(outbox.retry, bad_id)  # the refused edit tried again: it waits, older than the merge
    merged = cache.writer.run(remarks.resolve_remark, conflict.mutation_id, text="我的，加上同事的", flag=3,
                              reason="合并", agent_no="1024")
    (new_id,) = merged.outbox - {conflict.mutation_id}
    theirs = _server(store, 14)[0].remark_version
    assert outbox.get_entry(cache.engine, new_id).base_version == theirs
    for _ in range(3):
        pusher.push()
    assert outbox.get_entry(cache.engine, bad_id).status == "rejected"
    assert outbox.get_entry(cache.engine, new_id).status == "done"
    assert _server(store, 14)[1][-1].text == "我的，加上同事的"
