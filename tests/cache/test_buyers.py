"""models.buyers on a real cache file: the buyer's profile figures (returning / first order,
member level, orders, refunds, first order date), and the notes: queued through the outbox,
shown once (never twice when the server's note arrives), refused input saved nowhere."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.cache.conftest import make_order
from workstation.models import buyers, outbox
from workstation.models.apply import apply_changes, apply_snapshot_page
from workstation.models.outbox import OutboxError


def buyer(bid: int, nick: str, *, level: str = "normal", first: str | None = None, seq: int | None = None) -> dict:
    return {"id": bid, "seq": seq or bid, "nick": nick, "name": "王小明", "phone": "13800001111",
            "member_level": level, "first_order_at": first, "addresses": []}


def note(nid: int, bid: int, text: str, *, agent_no: str = "2048", seq: int | None = None,
         client_id: str | None = None, at: str = "2026-11-30T06:00:00Z") -> dict:
    return {"id": nid, "seq": seq or 5000 + nid, "buyer_id": bid, "text": text, "agent_no": agent_no,
            "created_at": at, "client_id": client_id}


def load(engine, stream: str, items: list[dict]) -> None:
    apply_snapshot_page(engine, stream, sorted(items, key=lambda i: -i["id"]), next_cursor=None, done=True,
                        feed_cursor=f"{stream}-0", total=len(items))


@pytest.fixture
def shop(engine):
    """Buyer 7 (VIP, a returning customer: 4 orders, 2 of them refunds), buyer 8 (one order),
    buyer 9 (known, no order cached yet); buyer 10 has an order but no cached buyer row."""
    load(engine, "buyers", [buyer(7, "tb_lily", level="vip", first="2024-03-01T02:00:00Z"),
                            buyer(8, "xiaoyu_88", level="member"), buyer(9, "new_buyer")])
    orders = [make_order(1, buyer_id=7, buyer_nick="tb_lily", created_at="2026-10-01T02:00:00Z"),
              make_order(2, buyer_id=7, buyer_nick="tb_lily", status="refunded", created_at="2026-10-05T02:00:00Z"),
              make_order(3, buyer_id=8, buyer_nick="xiaoyu_88", created_at="2026-10-06T02:00:00Z"),
              make_order(4, buyer_id=7, buyer_nick="tb_lily", status="refunding", created_at="2026-11-02T02:00:00Z"),
              make_order(5, buyer_id=7, buyer_nick="tb_lily", status="shipped", created_at="2026-11-11T02:00:00Z"),
              make_order(6, buyer_id=10, buyer_nick="walk_in", created_at="2026-11-12T02:00:00Z")]
    load(engine, "orders", orders)
    return engine


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_a_returning_vip_with_refunds(shop):
    p = buyers.profile(shop, 7)
    assert (p.nick, p.member_level, p.orders, p.refunds) == ("tb_lily", "vip", 4, 2)
    assert p.returning and not p.first_order
    assert p.first_order_at == utc("2024-03-01T02:00:00Z")  # the server's figure: older than the cache
    assert p.last_order_at == utc("2026-11-11T02:00:00Z")


def test_a_first_order_buyer_and_one_without_orders(shop):
    p = buyers.profile(shop, 8)
    assert (p.member_level, p.orders, p.refunds, p.returning, p.first_order) == ("member", 1, 0, False, True)
    assert p.first_order_at == utc("2026-10-06T02:00:00Z")  # no server figure: the oldest cached order
    p = buyers.profile(shop, 9)
    assert (p.orders, p.first_order, p.first_order_at, p.last_order_at) == (0, True, None, None)


def test_a_buyer_only_known_from_an_order_and_an_unknown_one(shop):
    p = buyers.profile(shop, 10)
    assert (p.nick, p.orders, p.known, p.member_level) == ("walk_in", 1, False, "normal")
    assert buyers.profile(shop, 99) is None


def test_the_profile_counts_are_index_lookups(shop):
    """Every figure is an index search, never a scan of the orders (1M-order caches)."""
    with shop.connect() as conn:
        cur = conn.connection.driver_connection.cursor()
        for sql in ("SELECT count(*) FROM orders WHERE buyer_id = ?",
                    "SELECT count(*) FROM orders WHERE buyer_id = ? AND status IN (?, ?)",
                    "SELECT created_at FROM orders WHERE buyer_id = ? ORDER BY id LIMIT 1"):
            args = (7, *buyers.REFUND_STATUSES) if "IN" in sql else (7,)
            plan = " ".join(r[-1] for r in cur.execute(f"EXPLAIN QUERY PLAN {sql}", args))
            assert "USING" in plan and "INDEX" in plan and not plan.startswith("SCAN orders"), (sql, plan)
        plan = " ".join(r[-1] for r in cur.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM orders WHERE buyer_id = ? AND status IN (?, ?)",
            (7, *buyers.REFUND_STATUSES)))
        assert "COVERING INDEX ix_orders_buyer_status" in plan  # no row read per order of a big buyer


# ---- notes ---------------------------------------------------------------------------------

NOW = datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc)


def test_a_note_is_queued_at_once_with_author_and_time(cache, shop):
    load(shop, "buyer_notes", [note(1, 7, "老客户，喜欢顺丰")])
    changes = cache.writer.run(buyers.add_note, 7, "要发票，抬头：杭州某某公司", agent_no="1024", now=NOW,
                               initiator="pane")
    (mid,) = changes.outbox
    assert changes.initiator == "pane"
    shown = buyers.notes(shop, 7)
    assert [(n.text, n.status, n.agent_no) for n in shown] == [
        ("要发票，抬头：杭州某某公司", "queued", "1024"), ("老客户，喜欢顺丰", "synced", "2048")]
    assert shown[0].at == NOW and shown[0].mutation_id == mid and shown[0].note_id is None
    (entry,) = outbox.entries(shop)
    assert (entry.kind, entry.entity_id, entry.base_version, entry.payload) == (
        "buyer.note", 7, 0, {"text": "要发票，抬头：杭州某某公司"})
    assert buyers.notes(shop, 8) == []


def test_the_servers_note_replaces_the_queued_one_never_twice(cache, shop):
    mid, = cache.writer.run(buyers.add_note, 7, "尺码偏小，建议拍大一码", agent_no="1024", now=NOW).outbox
    (sent,) = cache.writer.run(outbox.take_batch)
    assert buyers.notes(shop, 7)[0].status == "sending"
    answer = {"mutation_id": mid, "status": "applied", "version": 1, "seq": 900,
              "state": note(31, 7, "尺码偏小，建议拍大一码", agent_no="1024", seq=900, client_id=mid)}
    cache.writer.run(outbox.record_answers, [answer])
    shown = buyers.notes(shop, 7)
    assert [(n.note_id, n.status) for n in shown] == [(31, "synced")]  # applied, not pulled yet
    cache.writer.run(apply_changes, "buyer_notes", [{"seq": 900, "op": "upsert", "item": answer["state"]}],
                     next_cursor="bn-1")
    assert [(n.note_id, n.text, n.status) for n in buyers.notes(shop, 7)] == [(31, "尺码偏小，建议拍大一码", "synced")]
    # the buyer's row was not touched by the note's answer (its seq guards later buyer pages)
    with shop.connect() as conn:
        assert conn.exec_driver_sql("SELECT seq FROM buyers WHERE id = 7").scalar() == 7


def test_a_refused_note_shows_as_failed_with_the_reason(cache, shop):
    mid, = cache.writer.run(buyers.add_note, 9, "x" * 10, agent_no="1024", now=NOW).outbox
    cache.writer.run(outbox.take_batch)
    cache.writer.run(outbox.record_answers, [{"mutation_id": mid, "status": "rejected", "code": "not_found",
                                              "reason": "no such buyer"}])
    (shown,) = buyers.notes(shop, 9)
    assert (shown.status, shown.error) == ("failed", "no such buyer")


def test_notes_of_a_buyer_not_cached_yet_can_be_written(cache, shop):
    cache.writer.run(buyers.add_note, 4242, "电话回访：周末在家", agent_no="1024", now=NOW)
    assert [n.status for n in buyers.notes(shop, 4242)] == ["queued"]


@pytest.mark.parametrize("text, message", [
    ("", "empty"), ("   \n ", "empty"), ("备注\x00", "NUL"), ("长" * 501, "at most 500"), (None, "text")])
def test_bad_notes_are_refused_and_nothing_is_saved(cache, shop, text, message):
    with pytest.raises(OutboxError, match=message):
        cache.writer.run(buyers.add_note, 7, text, agent_no="1024")
    assert outbox.entries(shop) == []


def test_a_bad_buyer_id_is_refused(cache, shop):
    with pytest.raises(OutboxError, match="buyer id"):
        cache.writer.run(buyers.add_note, "7", "好", agent_no="1024")


def test_500_characters_and_the_text_kept_exactly(cache, shop):
    text = "  第一行\n第二行\t" + "好" * 490
    cache.writer.run(buyers.add_note, 7, text, agent_no="1024")
    assert buyers.notes(shop, 7)[0].text == text
