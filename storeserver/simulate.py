"""Live changes for the demo: a thread that acts like a busy back office (`serve --simulate`).

Every few seconds one realistic change goes through ops.py (so seq discipline holds): a new
order, an order moving along its lifecycle, a stock count, or a remark from a colleague.
"""
from __future__ import annotations

import logging
import random
import threading

from sqlalchemy import Engine, select

from . import ops
from .demo_pools import AGENT_NOS, REMARKS
from .models import Buyer, Order, Sku, Stock

log = logging.getLogger(__name__)
_orders, _buyers, _skus, _stock = Order.__table__, Buyer.__table__, Sku.__table__, Stock.__table__


class Simulator:
    def __init__(self, engine: Engine, shop_id: int, *, interval: float = 3.0, seed: int | None = None):
        self.engine, self.shop_id, self.interval = engine, shop_id, interval
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="storeserver-simulator", daemon=True)

    def start(self) -> "Simulator":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval * (0.5 + self.rng.random())):
            try:
                self.step()
            except Exception:  # noqa: BLE001 - one failed change must not end the simulation
                log.exception("simulated change failed")

    def step(self) -> str:
        """Make one change; returns its kind."""
        kind = self.rng.choices(("order", "advance", "stock", "remark"), (3, 4, 2, 1))[0]
        getattr(self, f"_{kind}")()
        return kind

    def _pick(self, table, *where, newest: int = 200):
        q = select(table.c.id).where(*where).order_by(table.c.id.desc()).limit(newest)
        with self.engine.connect() as conn:
            ids = conn.execute(q).scalars().all()
        return self.rng.choice(ids) if ids else None

    def _order(self) -> None:
        buyer = self._pick(_buyers, _buyers.c.shop_id == self.shop_id, newest=5000)
        with self.engine.connect() as conn:
            skus = conn.execute(select(_stock.c.sku_id).where(
                _stock.c.shop_id == self.shop_id, _stock.c.qty > 0).limit(500)).scalars().all()
        if buyer is None or not skus:
            return
        items = [(sku, 1 if self.rng.random() < 0.9 else 2) for sku in self.rng.sample(skus, self.rng.randint(1, 2))]
        cod = self.rng.random() < 0.07
        ops.create_order(self.engine, self.shop_id, buyer, items, payment_method="cod" if cod else "online",
                         shipping_cents=1500 if cod else 0)

    def _advance(self) -> None:
        oid = self._pick(_orders, _orders.c.shop_id == self.shop_id,
                         _orders.c.status.in_(tuple(ops.NEXT_STATUS)))
        if oid is not None:
            ops.advance_order(self.engine, self.shop_id, oid)

    def _stock(self) -> None:
        sid = self._pick(_stock, _stock.c.shop_id == self.shop_id, newest=100_000)
        if sid is None:
            return
        # A count in the warehouse; now and then the shop page is updated to match, else it
        # drifts (page/real mismatches stay visible in the demo).
        qty = self.rng.choice((0, 0, 1, 2, 3)) if self.rng.random() < 0.3 else self.rng.randint(4, 80)
        page = qty if self.rng.random() < 0.5 else None
        ops.set_stock_qty(self.engine, self.shop_id, sid, qty, page_qty=page)

    def _remark(self) -> None:
        oid = self._pick(_orders, _orders.c.shop_id == self.shop_id)
        if oid is not None:
            ops.set_remark(self.engine, self.shop_id, oid, self.rng.choice(REMARKS), 1,
                           self.rng.choice(AGENT_NOS))
