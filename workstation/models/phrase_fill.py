"""Filling a quick phrase's variables with this buyer's values, from the cache (so offline
too; docs/CLIENT-API.md `models.phrases`, "fill"). What the cache does not know is listed in
`Filled.missing` for the agent to type, never sent as `{tracking_no}` or as a gap; with
several candidate orders or items, `Filled.choices` lists them for the agent to pick.

No Qt here. One or two indexed queries per fill; safe off the GUI thread.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from workstation.models import timefmt
from workstation.models.db import read_with as _read
from workstation.models.outbox import OutboxError
from workstation.models.phrases import (_BRACES, OPEN_STATUSES, ORDER_STATUS_LABELS, ORDER_VARIABLES, VARIABLES,
                                        variables_in)
from workstation.models.schema import order_number, order_status


@dataclass(frozen=True)
class FillContext:
    conversation_id: int | None = None
    buyer_id: int | None = None
    order_id: int | None = None     # the order open in the context pane (else the buyer's newest)
    sku_id: int | None = None
    agent: Any = None               # AgentIdentity-like: display_name, shop_name


@dataclass(frozen=True)
class Choice:
    label: str
    value: str
    order_id: int | None = None
    sku_id: int | None = None


@dataclass(frozen=True)
class Filled:
    text: str                                   # every known value put in; missing ones as {name}
    values: dict[str, str]
    missing: list[str]                          # variables the agent must type (in order)
    choices: dict[str, list[Choice]] = field(default_factory=dict)  # "order" / "sku": pick lists
    template: str = ""
    order_id: int | None = None                 # the order the values came from
    sku_id: int | None = None

    @property
    def complete(self) -> bool:
        return not self.missing

    def labels(self) -> list[tuple[str, str]]:
        """(name, Chinese label) of each missing value, for the prompt."""
        return [(n, VARIABLES[n]) for n in self.missing]


def _render(template: str, values: dict[str, str]) -> str:
    """One pass: a value that itself contains `{x}` is never filled again."""
    return _BRACES.sub(lambda m: values.get(m.group(1), m.group(0)) if m.group(1) in VARIABLES else m.group(0),
                       template)


def _order_choice_label(order_no: str, status: str, created_at: str | None, product: str | None) -> str:
    when = timefmt.from_db(created_at)
    day = when.strftime("%m-%d") if when else ""
    what = f" {product}" if product else ""
    return f"{order_no} {ORDER_STATUS_LABELS.get(status, status)} {day}{what}".strip()


def _address(province: str, city: str, district: str, detail: str) -> str:
    parts = [province, city if city != province else "", district, detail]
    return " ".join(p for p in parts if p)


def fill(engine: Engine, text: str, ctx: FillContext) -> Filled:
    """Put the values the cache knows into `text` (see the module's doc)."""
    return _read(engine, lambda cur: _fill(cur, text, ctx))


def _fill(cur: sqlite3.Cursor, text: str, ctx: FillContext) -> Filled:
    names = variables_in(text)
    values: dict[str, str] = {}
    choices: dict[str, list[Choice]] = {}
    buyer_id = ctx.buyer_id
    nick = None
    viewed = None  # the product page the buyer is on (a pre-sales "still got an L?")
    if ctx.conversation_id is not None:
        row = cur.execute("SELECT buyer_id, buyer_nick, product_id FROM conversations WHERE id = ?",
                          (ctx.conversation_id,)).fetchone()
        if row is not None:
            buyer_id = buyer_id if buyer_id is not None else row[0]
            nick, viewed = row[1], row[2]
    if buyer_id is not None and ({"buyer_name", "buyer_nick"} & set(names)):
        row = cur.execute("SELECT name, nick FROM buyers WHERE id = ?", (buyer_id,)).fetchone()
        if row is not None:
            values["buyer_name"] = row[0] or ""
            nick = row[1] or nick
    if nick:
        values["buyer_nick"] = nick
    order_id, sku_id = ctx.order_id, ctx.sku_id
    if ORDER_VARIABLES & set(names):
        order_id = _pick_order(cur, buyer_id, order_id, choices)
        if order_id is not None:
            _order_values(cur, order_id, values)
    if "sku_stock" in names:
        # Which item's stock: the order open beside the chat, else the product the buyer is
        # looking at (its SKUs to pick from), else the buyer's newest order.
        if ctx.order_id is None and viewed is not None and _has_skus(cur, viewed):
            sku_id = _pick_viewed_sku(cur, viewed, sku_id, choices)
        elif order_id is not None:
            sku_id = _pick_sku(cur, order_id, sku_id, choices)
        if sku_id is not None:
            row = cur.execute("SELECT count(*), sum(qty - reserved) FROM stock WHERE sku_id = ?", (sku_id,)).fetchone()
            if row[0]:
                values["sku_stock"] = str(max(0, row[1] or 0))
    if {"shop_name", "cutoff_time"} & set(names):
        row = cur.execute("SELECT shop_name, cutoff_time FROM shop_settings ORDER BY id LIMIT 1").fetchone()
        if row is not None:
            values["shop_name"], values["cutoff_time"] = row[0] or "", row[1] or ""
    agent = ctx.agent
    if agent is not None:
        if not values.get("shop_name") and getattr(agent, "shop_name", ""):
            values["shop_name"] = agent.shop_name
        if getattr(agent, "display_name", ""):
            values["agent_name"] = agent.display_name
    known = {n: v for n, v in values.items() if n in names and isinstance(v, str) and v.strip()}
    missing = [n for n in names if n not in known]
    return Filled(_render(text, known), known, missing, choices, text, order_id, sku_id)


def _pick_order(cur: sqlite3.Cursor, buyer_id: int | None, order_id: int | None,
                choices: dict[str, list[Choice]]) -> int | None:
    if order_id is not None:
        return order_id if cur.execute("SELECT 1 FROM orders WHERE id = ?", (order_id,)).fetchone() else None
    if buyer_id is None:
        return None
    # The buyer's newest orders (ix_orders_buyer_status: the buyer's entries, sorted by id).
    rows = cur.execute(
        "SELECT o.id, o.order_no, o.status, o.created_at, "
        "(SELECT i.product_name FROM order_lines l JOIN sold_items i ON i.id = l.item_id "
        "WHERE l.order_id = o.id ORDER BY l.id LIMIT 1) "
        "FROM orders o WHERE o.buyer_id = ? ORDER BY o.id DESC LIMIT 20", (buyer_id,)).fetchall()
    if not rows:
        return None
    rows = [(oid, order_number(no), order_status(st), at, prod) for oid, no, st, at, prod in rows]
    open_rows = [r for r in rows if r[2] in OPEN_STATUSES]
    if len(open_rows) > 1:
        choices["order"] = [Choice(_order_choice_label(no, st, at, prod), no, order_id=oid)
                            for oid, no, st, at, prod in open_rows]
    return (open_rows or rows)[0][0]


def _order_values(cur: sqlite3.Cursor, order_id: int, values: dict[str, str]) -> None:
    row = cur.execute("SELECT o.order_no, o.status, o.carrier, o.tracking_no, p.province, p.city, p.district, "
                      "o.address_detail FROM orders AS o JOIN places AS p ON p.id = o.place_id WHERE o.id = ?",
                      (order_id,)).fetchone()
    if row is None:
        return
    order_no, status, carrier, tracking, province, city, district, detail = row
    order_no = order_number(order_no)
    status = order_status(status) if status is not None else None
    values.update(order_no=order_no or "", order_status=ORDER_STATUS_LABELS.get(status, status or ""),
                  carrier=carrier or "", tracking_no=tracking or "",
                  receiver_address=_address(province or "", city or "", district or "", detail or ""))


def _pick_sku(cur: sqlite3.Cursor, order_id: int, sku_id: int | None,
              choices: dict[str, list[Choice]]) -> int | None:
    """The order's one SKU; with several, `choices["sku"]` lists them (and `sku_id`, when
    the agent picked one of them, stays)."""
    lines = cur.execute("SELECT i.sku_id, i.product_name, i.colour, i.size FROM order_lines l "
                        "JOIN sold_items i ON i.id = l.item_id WHERE l.order_id = ? ORDER BY l.id",
                        (order_id,)).fetchall()
    skus = list(dict.fromkeys(line[0] for line in lines))
    if len(skus) == 1:
        return skus[0] if sku_id is None else sku_id
    if skus:
        seen: set[int] = set()
        choices["sku"] = [Choice(f"{name} {colour} {size}".strip(), str(sku), sku_id=sku)
                          for sku, name, colour, size in lines if not (sku in seen or seen.add(sku))]
    return sku_id


def _has_skus(cur: sqlite3.Cursor, product_id: int) -> bool:
    return cur.execute("SELECT 1 FROM skus WHERE product_id = ? LIMIT 1", (product_id,)).fetchone() is not None


def _pick_viewed_sku(cur: sqlite3.Cursor, product_id: int, sku_id: int | None,
                     choices: dict[str, list[Choice]]) -> int | None:
    """The viewed product's one SKU; with several, `choices["sku"]` lists them all (the
    agent says which colour and size the buyer means)."""
    rows = cur.execute("SELECT s.id, p.name, s.colour, s.size FROM skus AS s JOIN products AS p "
                       "ON p.id = s.product_id WHERE s.product_id = ? ORDER BY s.id", (product_id,)).fetchall()
    if len(rows) == 1:
        return rows[0][0] if sku_id is None else sku_id
    choices["sku"] = [Choice(f"{name} {colour} {size}".strip(), str(sku), sku_id=sku)
                      for sku, name, colour, size in rows]
    return sku_id


def apply_answers(filled: Filled, answers: dict[str, str]) -> str:
    """The text with the agent's answers for the missing values put in. Refuses (OutboxError)
    an answer missing or blank for any missing value: nothing goes out with a gap."""
    values = dict(filled.values)
    for name in filled.missing:
        answer = answers.get(name)
        if not isinstance(answer, str) or not answer.strip():
            raise OutboxError(f"{VARIABLES.get(name, name)} is missing")
        if "\x00" in answer:
            raise OutboxError(f"{VARIABLES.get(name, name)} contains a NUL character")
        values[name] = answer.strip()
    return _render(filled.template or filled.text, values)
