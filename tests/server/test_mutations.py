"""POST /api/v1/mutations on SQLite and PostgreSQL: applied, duplicate (the original answer),
conflict (the current state), rejected; a reused id with another payload; another shop's
order; the dedupe record committed with the effect, or not at all."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from storeserver import mutations, ops
from storeserver.demodata import generate
from storeserver.models import Mutation, Order, RemarkHistory
from storeserver.seed import seed_shop

from .conftest import Api


def _m(order_id: int, base: int, text: str = "改发L码", flag: int = 1, reason: str = "客户来电",
       mid: str | None = None, **over) -> dict:
    return {"mutation_id": mid or str(uuid.uuid4()), "kind": "order.remark", "entity_id": order_id,
            "base_version": base, "payload": {"text": text, "flag": flag, "reason": reason}, **over}


def _post(api: Api, *ms: dict) -> list[dict]:
    r = api.post("/mutations", {"mutations": list(ms)})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _order(live, order_id: int):
    with live.engine.connect() as conn:
        return conn.execute(select(Order.__table__).where(Order.id == order_id)).one()


def _history(live, order_id: int) -> list:
    with live.engine.connect() as conn:
        return conn.execute(select(RemarkHistory.__table__).where(RemarkHistory.order_id == order_id)
                            .order_by(RemarkHistory.version)).all()


def test_applied_then_duplicate_gives_the_original_answer(live, api):
    order = _order(live, 7)
    m = _m(7, order.remark_version, text="尺码改为L", flag=2, reason="买家要求")
    (first,) = _post(api, m)
    assert first["status"] == "applied" and first["version"] == order.remark_version + 1
    memo = first["state"]["remark"]
    assert memo.startswith("尺码改为L\n【变动事由】买家要求｜工号 1024｜")
    assert mutations.parse_memo(memo)["text"] == "尺码改为L"
    row = _order(live, 7)
    assert (row.remark, row.remark_flag, row.remark_by, row.remark_version) == (memo, 2, "1024", first["version"])
    assert row.status == order.status  # only the remark changed
    # The entity changes again (a colleague); the retry still gets the ORIGINAL answer.
    (other,) = _post(api, _m(7, first["version"], text="再改"))
    assert other["status"] == "applied"
    (again,) = _post(api, m)
    assert again == {"mutation_id": m["mutation_id"], "status": "duplicate", "original": {
        k: v for k, v in first.items() if k != "mutation_id"}}
    texts = [h.text for h in _history(live, 7)]
    assert texts.count("尺码改为L") == 1 and texts.count("再改") == 1


def test_a_stale_base_is_a_conflict_with_the_current_state(live, api):
    v = _order(live, 8).remark_version
    (a,) = _post(api, _m(8, v, text="同事的版本"))
    (b,) = _post(api, _m(8, v, text="我的版本"))
    assert b["status"] == "conflict" and b["version"] == a["version"]
    assert b["state"]["remark"] == a["state"]["remark"]
    assert _order(live, 8).remark == a["state"]["remark"]
    assert [h.text for h in _history(live, 8)][-1] == "同事的版本"


def test_a_status_change_is_no_remark_conflict(live, api):
    order = _order(live, 9)
    if order.status in ops.NEXT_STATUS:
        ops.advance_order(live.engine, live.shop_id, 9)
    ops.set_stock_qty(live.engine, live.shop_id, 1, 5)
    (a,) = _post(api, _m(9, order.remark_version))
    assert a["status"] == "applied"


def test_rejections_name_the_reason_and_block_nothing(live, api):
    v = _order(live, 10).remark_version
    mid = str(uuid.uuid4())
    results = _post(api,
                    _m(10, v, text="字" * 330),                        # over 1000 bytes with the trailer
                    _m(10, v, flag=6),
                    _m(10, v, kind="order.teleport"),
                    _m(10 ** 12, 0),                                 # no such order
                    _m(10, v, text="可以", mid=mid),
                    _m(10, v, text="换了内容", mid=mid))              # same id, other payload
    assert [(r["status"], r.get("code")) for r in results] == [
        ("rejected", "too_long"), ("rejected", "invalid_payload"), ("rejected", "unknown_kind"),
        ("rejected", "not_found"), ("applied", None), ("rejected", "mutation_id_reused")]
    assert "1000" in results[0]["reason"]
    assert [h.text for h in _history(live, 10)][-1] == "可以"


def test_another_shops_order_is_not_found_like_a_missing_one(live, api):
    seed_shop(live.engine, generate(10, seed=7), shop_name="隔壁小店", login="other", password="pw-other",
              display_name="隔壁客服", agent_no="2001")
    other = Api(live.url)
    other.login("other", "pw-other")
    theirs = other.ok("/sync/orders/snapshot", limit=1)["items"][0]
    (cross,) = _post(api, _m(theirs["id"], theirs["remark_version"]))
    (missing,) = _post(api, _m(10 ** 12, 0))
    # The same answer but for the id named in it.
    assert cross == {"mutation_id": cross["mutation_id"], "status": "rejected", "code": "not_found",
                     "reason": f"no order {theirs['id']}"}
    assert missing["reason"] == f"no order {10 ** 12}" and missing["code"] == "not_found"
    with live.engine.connect() as conn:
        row = conn.execute(select(Order.__table__).where(Order.id == theirs["id"])).one()
    assert row.remark_version == theirs["remark_version"]


def test_history_travels_in_the_remarks_feed_and_orders_carry_the_version(live, api):
    feed = api.ok("/sync/remarks/snapshot", limit=1)["feed_cursor"]
    orders_feed = api.ok("/sync/orders/snapshot", limit=1)["feed_cursor"]
    v = _order(live, 11).remark_version
    m = _m(11, v, text="发顺丰", flag=3, reason="加急")
    (a,) = _post(api, m)
    changes, _ = api.drain("remarks", feed)
    assert [(c["item"]["order_id"], c["item"]["text"], c["item"]["flag"], c["item"]["reason"],
             c["item"]["agent_no"], c["item"]["version"], c["item"]["mutation_id"]) for c in changes] == [
        (11, "发顺丰", 3, "加急", "1024", a["version"], m["mutation_id"])]
    orders, _ = api.drain("orders", orders_feed)
    assert [(c["item"]["id"], c["item"]["remark_version"]) for c in orders] == [(11, a["version"])]


def test_the_dedupe_record_commits_with_the_effect_or_not_at_all(live, api, monkeypatch):
    v = _order(live, 12).remark_version
    m = _m(12, v, text="不会落库")

    def boom(*_a, **_k):
        raise RuntimeError("crash after the effect, before the commit")

    with live.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Mutation.__table__)).scalar_one()
    real_insert = mutations.insert

    def insert_then_fail(table):
        if table is mutations._mutations:
            boom()
        return real_insert(table)

    monkeypatch.setattr(mutations, "insert", insert_then_fail)
    r = api.post("/mutations", {"mutations": [m]})
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    monkeypatch.undo()
    assert _order(live, 12).remark_version == v and not [h for h in _history(live, 12) if h.text == "不会落库"]
    with live.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Mutation.__table__)).scalar_one() == before
    (ok,) = _post(api, m)  # the retry applies it, once
    assert ok["status"] == "applied"
    assert [h.text for h in _history(live, 12)].count("不会落库") == 1


@pytest.mark.parametrize("body", [
    {"mutations": []},
    {"mutations": [{"mutation_id": "not-a-uuid", "kind": "order.remark", "entity_id": 1, "base_version": 0,
                    "payload": {}}]},
    {"mutations": [{"mutation_id": str(uuid.UUID(int=1)), "kind": "order.remark", "entity_id": True,
                    "base_version": 0, "payload": {}}]},
    {"mutations": [{"mutation_id": str(uuid.UUID(int=1)), "kind": "order\x00remark", "entity_id": 1,
                    "base_version": 0, "payload": {}}]},
    {"mutations": [_m(1, 0) for _ in range(mutations.MAX_BATCH + 1)]},
])
def test_malformed_batches_are_refused_whole(api, body):
    r = api.post("/mutations", body)
    assert r.status_code in (413, 422) and r.json()["code"] in ("invalid_request", "too_large")


def test_nul_and_huge_numbers_in_a_payload_are_rejected_not_500(live, api):
    v = _order(live, 13).remark_version
    results = _post(api, _m(13, v, text="a\x00b"), {**_m(13, v), "payload": {"text": "x", "flag": 2 ** 70,
                                                                           "reason": ""}})
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "invalid_payload")] * 2
