"""Domain writes of the back office. Each function is ONE transaction that stamps seq.

Sequence discipline: a write transaction first reserves its numbers with
`UPDATE shops SET seq = seq + n ... RETURNING seq`. The shop row lock serializes writers of
a shop until commit, so seq order equals commit order, and a reader that sees the shop's
seq N also sees every change numbered below N. Every changed entity gets its own seq; a
child change (order line, SKU) bumps its parent; a delete writes a tombstone with its seq.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import BigInteger, Connection, Engine, bindparam, delete, func, insert, select, update

from . import auth, notify
from .db import write_txn
from .demodata import order_no_for, tracking_no
from .models import (STATUSES, Agent, Buyer, Order, OrderLine, Product, Shop, Sku, Stock,
                     Tombstone)

_shops, _orders, _lines = Shop.__table__, Order.__table__, OrderLine.__table__
_stock, _buyers, _skus, _products = Stock.__table__, Buyer.__table__, Sku.__table__, Product.__table__
_tombs, _agents = Tombstone.__table__, Agent.__table__

# Allowed status moves (the order lifecycle of the back office).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "unpaid": ("paid", "closed"),
    "paid": ("documents_made", "refunding", "closed"),
    "documents_made": ("shipped", "refunding", "paid"),
    "shipped": ("completed", "refunding"),
    "completed": ("refunding",),
    "refunding": ("refunded", "paid", "shipped", "completed"),
    "closed": (),
    "refunded": (),
}
NEXT_STATUS = {"unpaid": "paid", "paid": "documents_made", "documents_made": "shipped",
               "shipped": "completed"}


class NotFound(LookupError):
    """No such entity in this shop."""


class InvalidTransition(ValueError):
    """The order cannot move to that status from where it is."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


# Built once (every write runs it): no statement construction or cache key per call.
_RESERVE = (update(_shops).where(_shops.c.id == bindparam("p_shop"))
            .values(seq=_shops.c.seq + bindparam("p_n", type_=BigInteger)).returning(_shops.c.seq))


def reserve_seq(conn: Connection, shop_id: int, n: int = 1) -> int:
    """Reserve n consecutive numbers; returns the FIRST (the range is first..first+n-1).

    The ONE place a shop's seq moves: it also publishes the live event "shop has changes"
    (storeserver.notify; at most once per shop per transaction, delivered at commit).
    `n = 0` only takes the shop's row lock (no change, no event)."""
    last = conn.execute(_RESERVE, {"p_shop": shop_id, "p_n": n}).scalar_one_or_none()
    if last is None:
        raise NotFound(f"shop {shop_id}")
    if n > 0:
        notify.publish(conn, shop_id)
    return last - n + 1


def create_shop(engine: Engine, name: str) -> int:
    """A new shop with its settings (auto-reply off, cut-off 16:00; a `shop_settings` entity)."""
    from .answering import create_settings

    with write_txn(engine) as conn:
        shop_id = conn.execute(insert(_shops).values(name=name, seq=0, epoch=1, purged_seq=0,
                                                     created_at=utcnow())
                               .returning(_shops.c.id)).scalar_one()
        create_settings(conn, shop_id, name)
        return shop_id


def create_agent(engine: Engine, shop_id: int, login: str, password: str, display_name: str,
                 agent_no: str, *, role: str = "agent", capacity: int = 5) -> int:
    """A new agent (`receiving`): an `agents` entity with its own seq."""
    pw_hash = auth.hash_password(password)  # slow on purpose: outside the transaction
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        return conn.execute(insert(_agents).values(
            shop_id=shop_id, seq=seq, login=login, password_hash=pw_hash, display_name=display_name,
            agent_no=agent_no, active=True, created_at=utcnow(), role=role, capacity=capacity,
            status="receiving").returning(_agents.c.id)).scalar_one()


def shop_id_by_name(engine: Engine, name: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(_shops.c.id).where(_shops.c.name == name)).scalar_one_or_none()


def create_order(engine: Engine, shop_id: int, buyer_id: int, items: list[tuple[int, int]], *,
                 payment_method: str = "online", shipping_cents: int = 0, discount_cents: int = 0,
                 now: datetime | None = None) -> int:
    """A new unpaid order for `items` = [(sku_id, qty)], shipped to the buyer's first address."""
    now = now or utcnow()
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        buyer = conn.execute(select(_buyers).where(_buyers.c.id == buyer_id,
                                                   _buyers.c.shop_id == shop_id)).one_or_none()
        if buyer is None:
            raise NotFound(f"buyer {buyer_id}")
        lines = _line_values(conn, shop_id, items)
        addr = (buyer.addresses or [{}])[0]
        subtotal = sum(ln["qty"] * ln["unit_price_cents"] for ln in lines)
        order_id = conn.execute(insert(_orders).values(
            shop_id=shop_id, seq=seq, order_no=f"pending-{seq}", buyer_id=buyer_id,
            buyer_nick=buyer.nick, status="unpaid", payment_method=payment_method,
            total_cents=max(0, subtotal + shipping_cents - discount_cents),
            shipping_cents=shipping_cents, discount_cents=discount_cents,
            receiver_name=addr.get("receiver", buyer.name), receiver_phone=addr.get("phone", buyer.phone),
            province=addr.get("province", ""), city=addr.get("city", ""),
            district=addr.get("district", ""), address_detail=addr.get("detail", ""),
            created_at=now, remark="", remark_flag=0).returning(_orders.c.id)).scalar_one()
        # The order number derives from the id (unique by construction), known only now.
        conn.execute(update(_orders).where(_orders.c.id == order_id)
                     .values(order_no=order_no_for(order_id, now)))
        conn.execute(insert(_lines), [{**ln, "order_id": order_id} for ln in lines])
        if buyer.first_order_at is None:
            conn.execute(update(_buyers).where(_buyers.c.id == buyer_id)
                         .values(first_order_at=now, seq=reserve_seq(conn, shop_id)))
        return order_id


def _line_values(conn: Connection, shop_id: int, items: list[tuple[int, int]]) -> list[dict]:
    if not items or any(qty <= 0 for _, qty in items):
        raise ValueError("an order needs at least one line with a positive quantity")
    q = (select(_skus.c.id, _skus.c.outer_id, _skus.c.colour, _skus.c.size, _skus.c.page_price_cents,
                _products.c.style_no, _products.c.name)
         .join(_products, _products.c.id == _skus.c.product_id)
         .where(_products.c.shop_id == shop_id, _skus.c.id.in_([s for s, _ in items])))
    skus = {r.id: r for r in conn.execute(q)}
    out = []
    for sku_id, qty in items:
        s = skus.get(sku_id)
        if s is None:
            raise NotFound(f"sku {sku_id}")
        out.append({"sku_id": sku_id, "style_no": s.style_no, "product_name": s.name,
                    "colour": s.colour, "size": s.size, "outer_id": s.outer_id, "qty": qty,
                    "unit_price_cents": s.page_price_cents})
    return out


def _order(conn: Connection, shop_id: int, order_id: int):
    row = conn.execute(select(_orders).where(_orders.c.id == order_id, _orders.c.shop_id == shop_id)
                       .with_for_update()).one_or_none()
    if row is None:
        raise NotFound(f"order {order_id}")
    return row


def set_order_status(engine: Engine, shop_id: int, order_id: int, status: str, *,
                     carrier: str | None = None, tracking: str | None = None,
                     now: datetime | None = None) -> int:
    """Move an order along its lifecycle, stamping the matching time; returns the new seq."""
    if status not in STATUSES:
        raise InvalidTransition(f"unknown status {status!r}")
    now = now or utcnow()
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        row = _order(conn, shop_id, order_id)
        if status not in TRANSITIONS[row.status]:
            raise InvalidTransition(f"order {order_id}: {row.status} -> {status}")
        values: dict = {"status": status, "seq": seq}
        if status == "paid" and row.payment_method == "online" and row.paid_at is None:
            values["paid_at"] = now
        elif status == "shipped" and row.shipped_at is None:
            values["carrier"] = carrier or row.carrier or "中通"
            values["tracking_no"] = tracking or row.tracking_no or tracking_no(
                values["carrier"], random.Random(order_id))
            values["shipped_at"] = now
        elif status == "completed":
            values["completed_at"] = now
            if row.payment_method == "cod" and row.paid_at is None:
                values["paid_at"] = now  # cash collected on delivery
        elif status in ("closed", "refunded"):
            values["closed_at"] = now
        conn.execute(update(_orders).where(_orders.c.id == order_id).values(**values))
        _move_stock(conn, shop_id, order_id, row, status)
        return seq


# Statuses in which an order's goods are held for it (paid, not yet shipped).
_HOLDING = ("paid", "documents_made", "refunding")


def _move_stock(conn: Connection, shop_id: int, order_id: int, before, status: str) -> None:
    """Keep `reserved` in step with the order: paid -> reserved; shipped -> taken from qty and
    released; closed/refunded before shipping -> released."""
    held = before.status in _HOLDING and before.shipped_at is None
    if before.status == "unpaid" and status == "paid":
        _for_each_line(conn, shop_id, order_id, reserve=1, take=0)
    elif held and status == "shipped":
        _for_each_line(conn, shop_id, order_id, reserve=-1, take=1)
    elif held and status in ("closed", "refunded"):
        _for_each_line(conn, shop_id, order_id, reserve=-1, take=0)


def _for_each_line(conn: Connection, shop_id: int, order_id: int, *, reserve: int, take: int) -> None:
    lines = conn.execute(select(_lines.c.sku_id, func.sum(_lines.c.qty)).where(
        _lines.c.order_id == order_id).group_by(_lines.c.sku_id)).all()
    for sku_id, n in lines:
        rows = conn.execute(select(_stock.c.id, _stock.c.qty, _stock.c.reserved).where(
            _stock.c.shop_id == shop_id, _stock.c.sku_id == sku_id).with_for_update()).all()
        if not rows:
            continue
        # Reserve where most is free; release and ship from where most is held for orders.
        pick = max(rows, key=(lambda r: r.qty - r.reserved) if reserve > 0 else (lambda r: r.reserved))
        conn.execute(update(_stock).where(_stock.c.id == pick.id).values(
            reserved=max(0, pick.reserved + reserve * n), qty=pick.qty - take * n,
            seq=reserve_seq(conn, shop_id)))


def advance_order(engine: Engine, shop_id: int, order_id: int, now: datetime | None = None) -> int:
    """The next normal step (unpaid → paid → documents_made → shipped → completed)."""
    with engine.connect() as conn:
        status = conn.execute(select(_orders.c.status).where(
            _orders.c.id == order_id, _orders.c.shop_id == shop_id)).scalar_one_or_none()
    if status is None:
        raise NotFound(f"order {order_id}")
    if status not in NEXT_STATUS:
        raise InvalidTransition(f"order {order_id} is {status}: no next step")
    return set_order_status(engine, shop_id, order_id, NEXT_STATUS[status], now=now)


def set_remark(engine: Engine, shop_id: int, order_id: int, text: str, flag: int, agent_no: str,
               now: datetime | None = None, reason: str = "") -> int:
    """A remark written by the back office: stored as given (no trailer), no base version (it
    never conflicts), with a history entry. Returns the order's new seq (the history entry
    takes the number before it)."""
    from .mutations import Rejected, write_remark

    if not 0 <= flag <= 5:
        raise ValueError("remark flag must be 0..5")
    with write_txn(engine) as conn:
        reserve_seq(conn, shop_id, 0)  # the shop lock, like every writer
        try:
            result = write_remark(conn, shop_id, order_id, text=text, flag=flag, reason=reason,
                                  agent_no=agent_no, now=now or utcnow(), base_version=None,
                                  compose=False)
        except Rejected as exc:
            if exc.code == "not_found":
                raise NotFound(f"order {order_id}") from None
            raise ValueError(exc.reason) from None
        return result["seq"]


def set_line_qty(engine: Engine, shop_id: int, line_id: int, qty: int) -> int:
    """Change a line's quantity; the order (which carries its lines) gets the new seq."""
    if qty <= 0:
        raise ValueError("quantity must be positive")
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        line = conn.execute(select(_lines.c.order_id, _lines.c.qty, _lines.c.unit_price_cents,
                                   _orders.c.total_cents)
                            .join(_orders, _orders.c.id == _lines.c.order_id)
                            .where(_lines.c.id == line_id, _orders.c.shop_id == shop_id)).one_or_none()
        if line is None:
            raise NotFound(f"order line {line_id}")
        conn.execute(update(_lines).where(_lines.c.id == line_id).values(qty=qty))
        delta = (qty - line.qty) * line.unit_price_cents
        conn.execute(update(_orders).where(_orders.c.id == line.order_id).values(
            seq=seq, total_cents=max(0, line.total_cents + delta)))
        return seq


def set_stock_qty(engine: Engine, shop_id: int, stock_id: int, qty: int,
                  reserved: int | None = None, page_qty: int | None = None) -> int:
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        values: dict = {"qty": qty, "seq": seq}
        if reserved is not None:
            values["reserved"] = reserved
        if page_qty is not None:
            values["page_qty"] = page_qty
        done = conn.execute(update(_stock).where(_stock.c.id == stock_id, _stock.c.shop_id == shop_id)
                            .values(**values)).rowcount
        if not done:
            raise NotFound(f"stock {stock_id}")
        return seq


def set_member_level(engine: Engine, shop_id: int, buyer_id: int, level: str) -> int:
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        done = conn.execute(update(_buyers).where(_buyers.c.id == buyer_id, _buyers.c.shop_id == shop_id)
                            .values(member_level=level, seq=seq)).rowcount
        if not done:
            raise NotFound(f"buyer {buyer_id}")
        return seq


def delete_order(engine: Engine, shop_id: int, order_id: int, now: datetime | None = None) -> int:
    """Remove an order (and its lines); the feed carries a tombstone. Returns its seq."""
    with write_txn(engine) as conn:
        seq = reserve_seq(conn, shop_id)
        done = conn.execute(delete(_orders).where(_orders.c.id == order_id,
                                                  _orders.c.shop_id == shop_id)).rowcount
        if not done:
            raise NotFound(f"order {order_id}")
        conn.execute(delete(_lines).where(_lines.c.order_id == order_id))  # SQLite FKs may be off
        conn.execute(insert(_tombs).values(shop_id=shop_id, stream="orders", entity_id=order_id,
                                           seq=seq, deleted_at=now or utcnow()))
        return seq


def bump_epoch(engine: Engine, shop_id: int) -> int:
    """History reset: every cursor handed out so far answers 410 cursor_gone. Published like
    any change of the shop's row (seq or epoch): waiting clients re-read and learn of it, and
    no remembered head (storeserver.longpoll) outlives it."""
    with write_txn(engine) as conn:
        epoch = conn.execute(update(_shops).where(_shops.c.id == shop_id)
                             .values(epoch=_shops.c.epoch + 1).returning(_shops.c.epoch)).scalar_one()
        notify.publish(conn, shop_id)
        return epoch


def purge_tombstones(engine: Engine, shop_id: int, older_than: timedelta = timedelta(days=30),
                     now: datetime | None = None) -> int:
    """Drop old tombstones; feed cursors below the highest purged seq then get 410."""
    cutoff = (now or utcnow()) - older_than
    with write_txn(engine) as conn:
        reserve_seq(conn, shop_id, 0)  # take the shop lock like every writer
        where = (_tombs.c.shop_id == shop_id, _tombs.c.deleted_at < cutoff)
        top = conn.execute(select(func.max(_tombs.c.seq)).where(*where)).scalar_one_or_none()
        if top is None:
            return 0
        n = conn.execute(delete(_tombs).where(*where)).rowcount
        conn.execute(update(_shops).where(_shops.c.id == shop_id, _shops.c.purged_seq < top)
                     .values(purged_seq=top))
        return n
