"""The chat over the cache (models.conversations): the queue, histories with the agent's
unsent replies, the agent's writes shown at once, and replies held instead of being sent
over something the agent has not seen."""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.cache.conftest import (make_agent, make_conversation, make_message, make_order, snapshot,
                                  upsert)
from workstation.models import conversations as chat
from workstation.models import outbox
from workstation.models.apply import apply_changes
from workstation.models.outbox import OutboxError

ME, COLLEAGUE = "1024", "2048"


@pytest.fixture
def shop(engine):
    """Three open conversations (buyers waiting since 02:05, 02:03, answered) and a closed
    one; conversation 3 has a short history."""
    snapshot(engine, "agents", [make_agent(1, ME), make_agent(2, COLLEAGUE),
                                make_agent(3, "3000", active=False)])
    snapshot(engine, "conversations", [
        make_conversation(5, assigned_agent_no=ME),
        make_conversation(3, assigned_agent_no=COLLEAGUE, last_message_id=12, unread=2),
        make_conversation(7, waiting_since=None, last_message_sender="agent", unread=0,
                          last_message_at="2026-11-11T04:00:00Z"),
        make_conversation(8, waiting_since=None, last_message_at="2026-11-11T05:00:00Z", unread=0),
        make_conversation(9, status="closed", closed_at="2026-11-11T03:00:00Z"),
    ])
    snapshot(engine, "messages", [
        make_message(10, 3, text="亲，什么时候发货?"),
        make_message(11, 3, sender="agent", agent_no=COLLEAGUE, text="今天下午发"),
        make_message(12, 3, text="能用顺丰吗 SF"),
    ])
    return engine


def _feed(engine, stream, *items):
    apply_changes(engine, stream, [upsert(i) for i in items], next_cursor=f"c-{stream}-{items[-1]['seq']}")


def _ids(rows):
    return [r.conversation_id for r in rows]


def _statuses(engine, cid):
    return [(m.message_id, m.text, m.status, m.held_reason) for m in chat.history(engine, cid)]


def _applied_reply(entry, message_id, seq, version=1):
    msg = make_message(message_id, entry.entity_id, seq, sender="agent", agent_no=ME,
                       text=entry.payload["text"], client_id=entry.mutation_id)
    return {"mutation_id": entry.mutation_id, "status": "applied", "version": version, "seq": seq, "state": msg}


# ---- reads -------------------------------------------------------------------------------

def test_queue_is_longest_waiting_first_then_answered_newest_first(shop):
    assert _ids(chat.queue(shop)) == [3, 5, 8, 7]  # waiting 02:03, 02:05; answered 05:00, 04:00
    row = chat.queue(shop)[0]
    assert row.waiting_since == datetime(2026, 11, 11, 2, 3) and row.waiting_since.tzinfo is None
    assert (row.buyer_nick, row.unread, row.queued, row.held, row.last_message_id) == ("买家3", 2, 0, 0, 12)


def test_queue_views(shop):
    assert _ids(chat.queue(shop, view="mine", agent_no=ME)) == [5]
    assert _ids(chat.queue(shop, view="unassigned")) == [8, 7]
    assert 9 not in _ids(chat.queue(shop, view="open"))
    with pytest.raises(ValueError):
        chat.queue(shop, view="everything")
    assert chat.get_conversation(shop, 9).status == "closed"
    assert chat.get_conversation(shop, 404) is None


def test_history_in_order_and_search_offline_with_chinese(shop):
    assert [(m.message_id, m.sender, m.status) for m in chat.history(shop, 3)] == \
        [(10, "buyer", "synced"), (11, "agent", "synced"), (12, "buyer", "synced")]
    assert chat.search_history(shop, 3, "发货") == [10]
    assert chat.search_history(shop, 3, "发") == [10, 11]
    assert chat.search_history(shop, 3, "ｓｆ") == [12]  # full-width and case folded
    assert chat.search_history(shop, 3, "  ") == []
    assert chat.search_history(shop, 3, "退款") == []


def test_buyer_orders_newest_first(shop):
    snapshot(shop, "orders", [make_order(1, buyer_id=42), make_order(2, buyer_id=7), make_order(3, buyer_id=42)])
    assert [o.id for o in chat.buyer_orders(shop, 42)] == [3, 1]
    assert [o.id for o in chat.buyer_orders(shop, 42, limit=1)] == [3]
    assert chat.buyer_orders(shop, 99) == []


def test_agents(shop):
    rows = chat.agents(shop)
    assert [(a.agent_no, a.active) for a in rows] == [(ME, True), (COLLEAGUE, True), ("3000", False)]


# ---- replies -------------------------------------------------------------------------------

def test_reply_is_queued_and_merged_into_the_history(shop):
    change = chat.send_reply(shop, 3, "好的，马上安排", agent_no=ME, initiator="pane")
    assert change.get("conversations").upserted == {3} and change.initiator == "pane"
    (mid,) = change.outbox
    rows = chat.history(shop, 3)
    assert rows[-1].status == "queued" and rows[-1].mutation_id == mid and rows[-1].message_id is None
    assert rows[-1].agent_no == ME
    row = chat.get_conversation(shop, 3)
    assert (row.queued, row.held, row.waiting_since) == (1, 0, datetime(2026, 11, 11, 2, 3))  # not answered yet
    entry = outbox.get_entry(shop, mid)
    assert entry.wire() == {"mutation_id": mid, "kind": "message.reply", "entity_id": 3, "base_version": 1,
                            "payload": {"text": "好的，马上安排", "after_message_id": 12}}


def test_history_statuses_and_the_servers_message_replacing_the_queued_copy(shop):
    first = next(iter(chat.send_reply(shop, 3, "第一条", agent_no=ME).outbox))
    second = next(iter(chat.send_reply(shop, 3, "第二条", agent_no=ME).outbox))
    (sending,) = outbox.take_batch(shop)  # one reply of a conversation at a time
    assert sending.mutation_id == first
    assert [m.status for m in chat.history(shop, 3)[3:]] == ["sending", "queued"]
    outbox.record_answers(shop, [_applied_reply(sending, 13, 20)])
    # applied, not pulled yet: already shown as the server's message
    assert _statuses(shop, 3)[3:] == [(13, "第一条", "synced", None), (None, "第二条", "queued", None)]
    assert outbox.get_entry(shop, second).base_version == 1  # based on the first one's result
    _feed(shop, "messages", make_message(13, 3, 20, sender="agent", agent_no=ME, text="第一条", client_id=first))
    assert [m.message_id for m in chat.history(shop, 3)] == [10, 11, 12, 13, None]  # once
    (nxt,) = outbox.take_batch(shop)
    outbox.record_answers(shop, [{"mutation_id": nxt.mutation_id, "status": "rejected", "code": "too_long",
                                  "reason": "the text is too long"}])
    last = chat.history(shop, 3)[-1]
    assert (last.status, last.error) == ("failed", "the text is too long")


@pytest.mark.parametrize("text", ["", "   ", "\n\t　", "a\x00b", "好" * 2001, None, 12])
def test_bad_replies_are_refused_and_change_nothing(shop, text):
    before = (chat.history(shop, 3), outbox.counts(shop), chat.get_conversation(shop, 3))
    with pytest.raises(OutboxError):
        chat.send_reply(shop, 3, text, agent_no=ME)
    assert (chat.history(shop, 3), outbox.counts(shop), chat.get_conversation(shop, 3)) == before


def test_pasted_text_is_kept_exactly(shop):
    pasted = "订单号：\t2026111100000001\r\n  地址：杭州市 西湖区\n\n谢谢😊👍🏻  "
    chat.send_reply(shop, 3, pasted, agent_no=ME)
    chat.send_reply(shop, 3, "好" * 2000, agent_no=ME)  # the limit itself is fine
    texts = [m.text for m in chat.history(shop, 3)[3:]]
    assert texts == [pasted, "好" * 2000]
    assert outbox.take_batch(shop)[0].payload["text"] == pasted


def test_reply_to_a_closed_or_unknown_conversation_is_refused(shop):
    with pytest.raises(OutboxError, match="closed"):
        chat.send_reply(shop, 9, "在的", agent_no=ME)
    with pytest.raises(OutboxError, match="no conversation"):
        chat.send_reply(shop, 404, "在的", agent_no=ME)
    assert outbox.counts(shop) == {}


# ---- held replies -------------------------------------------------------------------------------

def test_reply_over_a_message_not_on_screen_is_held_at_once(shop):
    mid = next(iter(chat.send_reply(shop, 3, "今天发", agent_no=ME, after_message_id=11).outbox))
    assert _statuses(shop, 3)[-1] == (None, "今天发", "held", "buyer_wrote")
    assert chat.get_conversation(shop, 3).held == 1
    outbox.hold_stale(shop)
    assert outbox.take_batch(shop) == []  # never sent
    assert outbox.get_entry(shop, mid).status == "conflict"


@pytest.mark.parametrize("newer, reason", [
    (make_conversation(3, 30, status="closed", closed_at="2026-11-11T06:00:00Z", last_message_id=12), "closed"),
    (make_conversation(3, 30, version=2, assigned_agent_no=ME, last_message_id=12), "changed"),
])
def test_queued_reply_goes_stale_when_the_conversation_changes(shop, newer, reason):
    mid = next(iter(chat.send_reply(shop, 3, "好的", agent_no=ME).outbox))
    _feed(shop, "conversations", newer)
    change = outbox.hold_stale(shop)
    assert change.outbox == {mid} and change.get("conversations").upserted == {3}
    assert _statuses(shop, 3)[-1] == (None, "好的", "held", reason)
    assert outbox.take_batch(shop) == []


@pytest.mark.parametrize("message, reason", [
    (make_message(13, 3, 30, text="算了，我要退款"), "buyer_wrote"),
    (make_message(13, 3, 30, sender="agent", agent_no=COLLEAGUE, text="已安排"), "colleague_replied"),
])
def test_queued_reply_goes_stale_when_someone_writes(shop, message, reason):
    chat.send_reply(shop, 3, "好的", agent_no=ME)
    _feed(shop, "messages", message)
    outbox.hold_stale(shop)
    assert chat.history(shop, 3)[-1].held_reason == reason


def test_own_replies_and_auto_messages_do_not_make_a_reply_stale(shop):
    chat.send_reply(shop, 3, "第二条", agent_no=ME)
    _feed(shop, "messages", make_message(13, 3, 30, sender="agent", agent_no=ME, text="第一条"),
          make_message(14, 3, 31, sender="auto", text="您好，欢迎光临"))
    outbox.hold_stale(shop)
    assert [e.payload["text"] for e in outbox.take_batch(shop)] == ["第二条"]


def test_held_reply_holds_back_the_later_replies_of_its_conversation_only(shop):
    held = next(iter(chat.send_reply(shop, 3, "一", agent_no=ME, after_message_id=11).outbox))
    later = next(iter(chat.send_reply(shop, 3, "二", agent_no=ME).outbox))  # written after seeing 12
    other = next(iter(chat.send_reply(shop, 5, "别的会话", agent_no=ME).outbox))
    outbox.hold_stale(shop)
    assert [e.mutation_id for e in outbox.take_batch(shop)] == [other]
    assert [m.status for m in chat.history(shop, 3)[3:]] == ["held", "queued"]
    # confirmed: goes first as a NEW mutation answering what is cached now, the later one after it
    change = chat.confirm_reply(shop, held, text="一（改过）")
    (new,) = change.outbox - {held, later}
    assert outbox.get_entry(shop, held) is None
    outbox.hold_stale(shop)
    (sending,) = outbox.take_batch(shop)
    assert sending.mutation_id == new
    assert sending.wire()["payload"] == {"text": "一（改过）", "after_message_id": 12}
    assert sending.base_version == 1
    outbox.record_answers(shop, [_applied_reply(sending, 13, 20)])
    outbox.hold_stale(shop)
    assert [e.mutation_id for e in outbox.take_batch(shop)] == [later]


def test_later_replies_written_together_are_held_together(shop):
    """Offline, the agent wrote two replies; the buyer wrote again: both wait for the agent."""
    a = next(iter(chat.send_reply(shop, 3, "一", agent_no=ME).outbox))
    b = next(iter(chat.send_reply(shop, 3, "二", agent_no=ME).outbox))
    _feed(shop, "messages", make_message(13, 3, 30, text="还在吗"))
    assert outbox.hold_stale(shop).outbox == {a, b}
    assert [m.status for m in chat.history(shop, 3)[4:]] == ["held", "held"]
    chat.confirm_reply(shop, a)
    assert [(m.text, m.status) for m in chat.history(shop, 3)[4:]] == [("一", "queued"), ("二", "held")]
    # discarding the second leaves the first to go
    outbox.discard(shop, b)
    outbox.hold_stale(shop)
    assert [e.payload["text"] for e in outbox.take_batch(shop)] == ["一"]


def test_server_conflict_holds_the_reply_with_the_servers_reason(shop):
    mid = next(iter(chat.send_reply(shop, 3, "好的", agent_no=ME).outbox))
    (e,) = outbox.take_batch(shop)
    theirs = make_conversation(3, 40, assigned_agent_no=COLLEAGUE, last_message_id=13, unread=3)
    outbox.record_answers(shop, [{"mutation_id": mid, "status": "conflict", "version": 1, "state": {
        "stale": "buyer_wrote", "conversation": theirs, "messages": [make_message(13, 3, 40, text="人呢")]}}])
    row = chat.history(shop, 3)[-1]
    assert (row.status, row.held_reason) == ("held", "buyer_wrote")
    assert outbox.take_batch(shop) == []
    with pytest.raises(OutboxError, match="no reply"):
        chat.confirm_reply(shop, "00000000-0000-4000-8000-000000000000")
    chat.confirm_reply(shop, mid)
    with pytest.raises(OutboxError, match="only a held reply"):
        chat.confirm_reply(shop, outbox.entries(shop)[0].mutation_id)


def test_confirm_refuses_while_the_conversation_is_closed_and_after_reopen_goes_first(shop):
    mid = next(iter(chat.send_reply(shop, 3, "好的", agent_no=ME).outbox))
    _feed(shop, "conversations", make_conversation(3, 30, status="closed", version=2, last_message_id=12,
                                                   closed_at="2026-11-11T06:00:00Z"))
    outbox.hold_stale(shop)
    with pytest.raises(OutboxError, match="reopen"):
        chat.confirm_reply(shop, mid)
    reopen = next(iter(chat.reopen(shop, 3).outbox))
    chat.confirm_reply(shop, mid)
    (first,) = outbox.take_batch(shop)
    assert first.mutation_id == reopen  # the reopen goes before the confirmed reply


# ---- conversation writes ----------------------------------------------------------------------

def test_claim_shows_at_once_and_survives_a_pull(shop):
    change = chat.claim(shop, 8, agent_no=ME)
    assert change.get("conversations").upserted == {8}
    assert chat.get_conversation(shop, 8).assigned_agent_no == ME
    assert _ids(chat.queue(shop, view="mine", agent_no=ME)) == [5, 8]
    # a buyer message arrives (the conversation's seq moves, not its version): still mine
    _feed(shop, "conversations", make_conversation(8, 30, waiting_since="2026-11-11T06:00:00Z", unread=1))
    row = chat.get_conversation(shop, 8)
    assert (row.assigned_agent_no, row.unread, row.waiting_since) == (ME, 1, datetime(2026, 11, 11, 6, 0))
    (e,) = outbox.take_batch(shop)
    assert e.wire() == {"mutation_id": e.mutation_id, "kind": "conversation.claim", "entity_id": 8,
                        "base_version": 1, "payload": {}}
    # discarded: the server's state again
    outbox.record_failure(shop, [e.mutation_id], "offline")
    outbox.discard(shop, e.mutation_id)
    assert chat.get_conversation(shop, 8).assigned_agent_no is None


def test_transfer_close_reopen(shop):
    chat.transfer(shop, 5, COLLEAGUE, "他负责售后", agent_no=ME)
    row = chat.get_conversation(shop, 5)
    assert (row.assigned_agent_no, row.transfer_note, row.transferred_by) == (COLLEAGUE, "他负责售后", ME)
    chat.close(shop, 5, now=datetime(2026, 11, 11, 7, 0))
    row = chat.get_conversation(shop, 5)
    assert (row.status, row.closed_at) == ("closed", datetime(2026, 11, 11, 7, 0))
    assert 5 not in _ids(chat.queue(shop))
    chat.reopen(shop, 5)
    assert chat.get_conversation(shop, 5).status == "open"
    kinds = [(e.kind, e.payload, e.base_version) for e in outbox.entries(shop)]
    assert kinds == [("conversation.transfer", {"to_agent_no": COLLEAGUE, "note": "他负责售后"}, 1),
                     ("conversation.close", {}, None), ("conversation.reopen", {}, None)]
    # the transfer applied: the close is based on its new version
    (t,) = outbox.take_batch(shop)
    theirs = make_conversation(5, 50, version=2, assigned_agent_no=COLLEAGUE, transfer_note="他负责售后",
                               transferred_by=ME)
    outbox.record_answers(shop, [{"mutation_id": t.mutation_id, "status": "applied", "version": 2, "seq": 50,
                                  "state": theirs}])
    (c,) = outbox.take_batch(shop)
    assert (c.kind, c.base_version) == ("conversation.close", 2)
    assert chat.get_conversation(shop, 5).status == "open"  # close and reopen still wait, on top


def test_read_mark_moves_forward_and_unread_follows_at_once(shop):
    change = chat.mark_read(shop, 3, 12)
    assert chat.get_conversation(shop, 3).unread == 0
    assert chat.mark_read(shop, 3, 10).outbox == frozenset()  # never backwards: nothing queued
    # a new buyer message while the mark waits counts as unread
    _feed(shop, "messages", make_message(13, 3, 30))
    _feed(shop, "conversations", make_conversation(3, 31, assigned_agent_no=COLLEAGUE, unread=3, last_message_id=13))
    assert chat.get_conversation(shop, 3).unread == 1
    chat.mark_read(shop, 3, 13)  # offline marks update the waiting one
    (entry,) = outbox.entries(shop)
    assert entry.mutation_id in change.outbox and entry.payload == {"upto_message_id": 13}
    assert chat.get_conversation(shop, 3).unread == 0


def test_agent_status(shop):
    change = chat.set_status(shop, 1, "paused")
    assert change.get("agents").upserted == {1}
    assert [a.status for a in chat.agents(shop) if a.agent_no == ME] == ["paused"]
    _feed(shop, "agents", make_agent(1, ME, 30, status="receiving", capacity=8))
    assert [(a.status, a.capacity) for a in chat.agents(shop) if a.agent_no == ME] == [("paused", 8)]


@pytest.mark.parametrize("write", [
    lambda e: chat.claim(e, 5, agent_no=ME),                       # already mine
    lambda e: chat.claim(e, 9, agent_no=ME),                       # closed
    lambda e: chat.transfer(e, 5, "3000", "", agent_no=ME),        # inactive colleague
    lambda e: chat.transfer(e, 5, "9999", "", agent_no=ME),        # unknown colleague
    lambda e: chat.transfer(e, 5, ME, "", agent_no=ME),            # to oneself
    lambda e: chat.transfer(e, 5, COLLEAGUE, "长" * 201, agent_no=ME),
    lambda e: chat.transfer(e, 5, COLLEAGUE, "a\x00", agent_no=ME),
    lambda e: chat.close(e, 9),                                    # already closed
    lambda e: chat.reopen(e, 5),                                   # already open
    lambda e: chat.mark_read(e, 3, -1),
    lambda e: chat.mark_read(e, 404, 1),
    lambda e: chat.set_status(e, 1, "busy"),
    lambda e: chat.set_status(e, 404, "paused"),
    lambda e: chat.confirm_reply(e, "no-such-id"),
])
def test_bad_writes_are_refused_and_change_nothing(shop, write):
    before = (chat.queue(shop), chat.get_conversation(shop, 9), chat.agents(shop), outbox.counts(shop))
    with pytest.raises(OutboxError):
        write(shop)
    assert (chat.queue(shop), chat.get_conversation(shop, 9), chat.agents(shop), outbox.counts(shop)) == before
