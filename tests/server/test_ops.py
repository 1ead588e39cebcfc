"""Domain writes: one transaction each, each stamping its own seq (on both databases)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storeserver import ops
from storeserver.demodata import generate
from storeserver.models import Order, Shop, Tombstone
from storeserver.streams import STREAM_TABLES
from storeserver.seed import seed_shop
from storeserver.simulate import Simulator


@pytest.fixture(params=["sqlite", "postgresql"])
def seeded(request, store_factory):
    handle = store_factory(kind=request.param, orders=30, seed=5)
    return handle.engine, handle.shop_id


@pytest.fixture
def server_engine(seeded):
    return seeded[0]


@pytest.fixture
def shop(seeded):
    return seeded[1]


def _max_seq(engine, shop_id) -> int:
    with engine.connect() as conn:
        tables = [*STREAM_TABLES.values(), Tombstone.__table__]
        return max(conn.execute(select(func.coalesce(func.max(t.c.seq), 0)).where(t.c.shop_id == shop_id)).scalar_one()
                   for t in tables)


def _shop_seq(engine, shop_id) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Shop.seq).where(Shop.id == shop_id)).scalar_one()


def test_seed_sets_shop_sequence_past_every_row(server_engine, shop):
    # the seeded remarks' history entries come after the demo's own numbers
    assert _shop_seq(server_engine, shop) == _max_seq(server_engine, shop) > generate(30, seed=5).last_seq
    assert generate(30, seed=5).last_seq > 200 + 30  # warehouses, catalogue, stock, buyers, orders


def test_each_write_takes_the_next_number(server_engine, shop):
    eng = server_engine
    before = _shop_seq(eng, shop)
    seqs = [ops.set_remark(eng, shop, 1, "赠品：袜子一双", 1, "1024"),
            ops.set_stock_qty(eng, shop, 1, 12, reserved=2),
            ops.set_member_level(eng, shop, 1, "vip"),
            ops.delete_order(eng, shop, 3)]
    # A remark takes two numbers: its history entry, then the order.
    assert seqs == list(range(before + 2, before + 6))
    assert _shop_seq(eng, shop) == _max_seq(eng, shop) == seqs[-1]
    oid = ops.create_order(eng, shop, 2, [(1, 1)])
    with eng.connect() as conn:
        order = conn.execute(select(Order.__table__).where(Order.id == oid)).one()
    assert order.seq == seqs[-1] + 1 and order.status == "unpaid" and len(order.order_no) == 18


def test_lifecycle_rules(server_engine, shop):
    eng = server_engine
    oid = ops.create_order(eng, shop, 1, [(1, 1)], payment_method="cod", shipping_cents=1500)
    with pytest.raises(ops.InvalidTransition):
        ops.set_order_status(eng, shop, oid, "shipped")  # unpaid cannot ship
    for status in ("paid", "documents_made", "shipped", "completed"):
        ops.advance_order(eng, shop, oid)
    with eng.connect() as conn:
        o = conn.execute(select(Order.__table__).where(Order.id == oid)).one()
    assert o.status == "completed" and o.paid_at == o.completed_at  # COD: paid at the door
    with pytest.raises(ops.InvalidTransition):
        ops.advance_order(eng, shop, oid)
    with pytest.raises(ops.NotFound):
        ops.set_remark(eng, shop, 10**9, "x", 1, "1024")
    with pytest.raises(ValueError):
        ops.set_remark(eng, shop, oid, "x", 6, "1024")
    with pytest.raises(ValueError):
        ops.set_remark(eng, shop, oid, "字" * 400, 1, "1024")  # over 1000 bytes


def test_a_failed_write_changes_nothing(server_engine, shop):
    before = _shop_seq(server_engine, shop)
    with pytest.raises(ops.NotFound):
        ops.create_order(server_engine, shop, 1, [(10**9, 1)])
    assert _shop_seq(server_engine, shop) == before


def test_writes_never_touch_another_shop(server_engine, shop):
    other = seed_shop(server_engine, generate(5, seed=9), shop_name="别家", login="other")
    with pytest.raises(ops.NotFound):
        ops.set_remark(server_engine, other, 1, "x", 1, "1024")  # order 1 belongs to `shop`
    with pytest.raises(ops.NotFound):
        ops.delete_order(server_engine, other, 2)


def test_simulator_makes_live_changes(server_engine, shop):
    sim = Simulator(server_engine, shop, seed=3)
    before = _shop_seq(server_engine, shop)
    kinds = [sim.step() for _ in range(12)]
    assert set(kinds) <= {"order", "advance", "stock", "remark"} and len(set(kinds)) > 1
    assert _shop_seq(server_engine, shop) > before
    assert _shop_seq(server_engine, shop) == _max_seq(server_engine, shop)


def _stock_of(engine, shop_id, sku_id) -> tuple[int, int]:
    from storeserver.models import Stock

    with engine.connect() as conn:
        rows = conn.execute(select(Stock.qty, Stock.reserved).where(
            Stock.shop_id == shop_id, Stock.sku_id == sku_id)).all()
    return sum(r.qty for r in rows), sum(r.reserved for r in rows)


def test_the_order_lifecycle_keeps_reserved_stock_in_step(server_engine, shop):
    """paid -> reserved; shipped -> taken from the real count and released; closed before
    shipping -> released; each stock change in the feed (its own seq, same transaction)."""
    eng = server_engine
    sku = 5
    qty0, res0 = _stock_of(eng, shop, sku)
    shipped = ops.create_order(eng, shop, 1, [(sku, 2)])
    assert _stock_of(eng, shop, sku) == (qty0, res0)                # unpaid: nothing held
    ops.advance_order(eng, shop, shipped)                            # paid
    assert _stock_of(eng, shop, sku) == (qty0, res0 + 2)
    ops.advance_order(eng, shop, shipped)                            # documents made
    assert _stock_of(eng, shop, sku) == (qty0, res0 + 2)
    ops.advance_order(eng, shop, shipped)                            # shipped
    assert _stock_of(eng, shop, sku) == (qty0 - 2, res0)
    ops.advance_order(eng, shop, shipped)                            # completed: no change
    assert _stock_of(eng, shop, sku) == (qty0 - 2, res0)

    closed = ops.create_order(eng, shop, 1, [(sku, 1)])
    ops.advance_order(eng, shop, closed)
    assert _stock_of(eng, shop, sku) == (qty0 - 2, res0 + 1)
    ops.set_order_status(eng, shop, closed, "closed")
    assert _stock_of(eng, shop, sku) == (qty0 - 2, res0)
    never_paid = ops.create_order(eng, shop, 1, [(sku, 1)])
    ops.set_order_status(eng, shop, never_paid, "closed")
    assert _stock_of(eng, shop, sku) == (qty0 - 2, res0)
    assert _shop_seq(eng, shop) == _max_seq(eng, shop)               # stock changes numbered too


def test_the_simulator_keeps_changing_stock(server_engine, shop):
    from storeserver.models import Stock

    sim = Simulator(server_engine, shop, seed=4)
    with server_engine.connect() as conn:
        before = dict(conn.execute(select(Stock.id, Stock.seq).where(Stock.shop_id == shop)).all())
    kinds = [sim.step() for _ in range(40)]
    with server_engine.connect() as conn:
        after = dict(conn.execute(select(Stock.id, Stock.seq).where(Stock.shop_id == shop)).all())
    assert "stock" in kinds and sum(after[i] != before[i] for i in before) >= kinds.count("stock")
