"""Typed SQLAlchemy models of the store backend.

Stream tables (warehouses, products, stock, buyers, orders, remark_history, agents,
conversations, messages, shop_settings, phrases, buyer_notes) carry `shop_id` and `seq`: the shop-wide change number of the
row's last change (see ops.reserve_seq). `(shop_id, seq)` is unique per table and indexed,
which is what the change feed scans. Times are naive UTC.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey,
                        Index, Integer, MetaData, String, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only aliases rowid (auto-increment) for exactly "INTEGER PRIMARY KEY".
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDoc = JSON().with_variant(JSONB(), "postgresql")

STATUSES = ("unpaid", "paid", "documents_made", "shipped", "completed", "closed", "refunding", "refunded")
PAYMENT_METHODS = ("online", "cod")
MEMBER_LEVELS = ("normal", "member", "vip")
AGENT_ROLES = ("agent", "manager")
AGENT_STATUSES = ("receiving", "paused", "offline")
CONVERSATION_STATUSES = ("open", "closed")
SENDERS = ("buyer", "agent", "auto", "system")
PRESENCE_STATES = ("viewing", "typing")
PHRASE_CATEGORIES = ("bargain", "ship_faster", "arrival", "logistics", "greeting", "farewell",
                     "after_sales", "other")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (Index("uq_shops_relay_key_sha256", "relay_key_sha256", unique=True),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # A new epoch invalidates every cursor (history reset); purged_seq = highest tombstone
    # seq ever purged, so older feed cursors can no longer be served exactly.
    epoch: Mapped[int] = mapped_column(Integer, default=1)
    purged_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The buyer relay's key (docs/PROTOCOL.md "Buyer relay"), only its SHA-256; None: no relay.
    relay_key_sha256: Mapped[str | None] = mapped_column(String(64))
    overdue_after_s: Mapped[int] = mapped_column(Integer, default=100, server_default="100")


def _stream_table_args(table: str, *extra: Any) -> tuple:
    return (
        Index(f"uq_{table}_shop_seq", "shop_id", "seq", unique=True),
        Index(f"ix_{table}_shop_id_desc", "shop_id", "id"),
        *extra,
    )


class Agent(Base):
    """The shop's staff; also a stream (`agents`) whose wire fields leave out the login, the
    password hash and the bookkeeping columns (see streams.py)."""
    __tablename__ = "agents"
    __table_args__ = _stream_table_args(
        "agents", UniqueConstraint("shop_id", "agent_no"),
        CheckConstraint(_in("role", AGENT_ROLES), name="role"),
        CheckConstraint(_in("status", AGENT_STATUSES), name="status"),
        CheckConstraint("capacity >= 0", name="capacity"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    agent_no: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seq: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(8), default="agent", server_default="agent")
    status: Mapped[str] = mapped_column(String(10), default="receiving", server_default="receiving")
    capacity: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Bookkeeping, never on the wire: the last authenticated request (written at most every
    # 30 s) and the shop seq of the last conversation assigned to the agent (round robin).
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_assigned_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = _stream_table_args("warehouses")
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))


class Product(Base):
    __tablename__ = "products"
    __table_args__ = _stream_table_args("products", UniqueConstraint("shop_id", "style_no"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    style_no: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(32))
    page_price_cents: Mapped[int] = mapped_column(Integer)


class Sku(Base):
    """Travels inside its product: a SKU change bumps the product's seq."""
    __tablename__ = "skus"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    outer_id: Mapped[str] = mapped_column(String(64))
    colour: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16))
    page_price_cents: Mapped[int] = mapped_column(Integer)


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = _stream_table_args("stock", UniqueConstraint("sku_id", "warehouse_id"),
                                        CheckConstraint("reserved >= 0", name="reserved"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"), index=True)
    qty: Mapped[int] = mapped_column(Integer)  # real on-hand; negative when oversold
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    # What the shop page shows (set by the shop owner, often out of step with the real qty).
    page_qty: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Buyer(Base):
    __tablename__ = "buyers"
    __table_args__ = _stream_table_args(
        "buyers", CheckConstraint(_in("member_level", MEMBER_LEVELS), name="member_level"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    nick: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(20))
    member_level: Mapped[str] = mapped_column(String(8), default="normal")
    first_order_at: Mapped[datetime | None] = mapped_column(DateTime)
    addresses: Mapped[list[dict[str, str]]] = mapped_column(JsonDoc)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = _stream_table_args(
        "orders",
        UniqueConstraint("shop_id", "order_no"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("payment_method", PAYMENT_METHODS), name="payment_method"),
        CheckConstraint("remark_flag BETWEEN 0 AND 5", name="remark_flag"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    order_no: Mapped[str] = mapped_column(String(32))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="RESTRICT"), index=True)
    buyer_nick: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    payment_method: Mapped[str] = mapped_column(String(8), default="online")
    total_cents: Mapped[int] = mapped_column(Integer)
    shipping_cents: Mapped[int] = mapped_column(Integer, default=0)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    receiver_name: Mapped[str] = mapped_column(String(64))
    receiver_phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(32))
    address_detail: Mapped[str] = mapped_column(String(200))
    carrier: Mapped[str | None] = mapped_column(String(16))
    tracking_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    remark: Mapped[str] = mapped_column(Text, default="")
    remark_flag: Mapped[int] = mapped_column(Integer, default=0)
    remark_by: Mapped[str | None] = mapped_column(String(16))
    remark_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The remark's own version (bumped by remark writes only): a remark write names the
    # version it was based on, so a status change is never a false conflict.
    remark_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OrderLine(Base):
    """Travels inside its order; item fields are copied at purchase time like marketplace orders."""
    __tablename__ = "order_lines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(BigInteger)
    style_no: Mapped[str] = mapped_column(String(32))
    product_name: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(32))
    size: Mapped[str] = mapped_column(String(16))
    outer_id: Mapped[str] = mapped_column(String(64))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)


class Tombstone(Base):
    __tablename__ = "tombstones"
    __table_args__ = (Index("ix_tombstones_shop_stream_seq", "shop_id", "stream", "seq"),
                      Index("uq_tombstones_shop_seq", "shop_id", "seq", unique=True))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class RemarkHistory(Base):
    """Every remark write (a stream: each row is immutable, seq = the write's change number)."""
    __tablename__ = "remark_history"
    __table_args__ = _stream_table_args("remark_history")
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    order_id: Mapped[int] = mapped_column(BigInteger, index=True)
    version: Mapped[int] = mapped_column(Integer)  # the order's remark_version after this write
    text: Mapped[str] = mapped_column(Text)
    flag: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    agent_no: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    mutation_id: Mapped[str | None] = mapped_column(String(36))  # None: not made through /mutations


class Mutation(Base):
    """The dedupe record of POST /mutations, written in the same transaction as the effect:
    a retried mutation id gets its ORIGINAL answer back."""
    __tablename__ = "mutations"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    mutation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(DateTime)


_OPEN = text("status = 'open'")


class Conversation(Base):
    """A buyer's chat with the shop (a stream). At most one open per buyer (a partial unique
    index). `waiting_since`, `unread` and `last_message_*` are kept in step with the messages
    by the writes in chat.py, in the same transaction."""
    __tablename__ = "conversations"
    __table_args__ = _stream_table_args(
        "conversations",
        Index("uq_conversations_open_buyer", "shop_id", "buyer_id", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_conversations_shop_buyer", "shop_id", "buyer_id"),
        # Assignment: open conversations per agent, and the unassigned ones by longest wait.
        Index("ix_conversations_assignment", "shop_id", "status", "assigned_agent_no", "waiting_since"),
        CheckConstraint(_in("status", CONVERSATION_STATUSES), name="status"),
        CheckConstraint(_in("last_message_sender", SENDERS), name="last_message_sender"),
        CheckConstraint("version >= 1", name="version"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="RESTRICT"))
    buyer_nick: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="open")
    assigned_agent_no: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_message_sender: Mapped[str | None] = mapped_column(String(8))
    last_message_preview: Mapped[str] = mapped_column(String(60), default="")
    unread: Mapped[int] = mapped_column(Integer, default=0)
    read_upto_message_id: Mapped[int] = mapped_column(BigInteger, default=0)
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    transfer_note: Mapped[str | None] = mapped_column(String(200))
    transferred_by: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Message(Base):
    """One chat message (a stream; immutable, append-only). `client_id` is the idempotency
    key it came with (the relay's client id, an agent reply's mutation id): unique per shop."""
    __tablename__ = "messages"
    __table_args__ = _stream_table_args(
        "messages",
        Index("ix_messages_conversation_id", "conversation_id", "id"),
        Index("uq_messages_shop_client_id", "shop_id", "client_id", unique=True),
        CheckConstraint(_in("sender", SENDERS), name="sender"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(8))
    agent_no: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    client_id: Mapped[str | None] = mapped_column(String(36))


class Presence(Base):
    """Who is viewing or typing in a conversation (not a stream; rows live until `until`)."""
    __tablename__ = "presence"
    __table_args__ = (CheckConstraint(_in("state", PRESENCE_STATES), name="state"),)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    since: Mapped[datetime] = mapped_column(DateTime)
    until: Mapped[datetime] = mapped_column(DateTime, index=True)


# ---- answering fast (docs/PROTOCOL.md, "Answering fast") -------------------------------------

class ShopSettings(Base):
    """One row per shop (a stream, `id` = the shop id), made with the shop: the auto-reply and
    the daily cut-off. `version` is its own (+1 per `shop.settings` write)."""
    __tablename__ = "shop_settings"
    __table_args__ = _stream_table_args(
        "shop_settings", CheckConstraint("id = shop_id", name="id"),
        CheckConstraint("version >= 1", name="version"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)  # = shop_id
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    shop_name: Mapped[str] = mapped_column(String(100))
    auto_reply_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_reply_text: Mapped[str] = mapped_column(Text, default="")
    cutoff_time: Mapped[str] = mapped_column(String(5), default="16:00")  # HH:MM, China time
    updated_by: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class Phrase(Base):
    """A quick phrase (快捷短语; a stream): the team's (`owner_agent_no` None) or one agent's
    personal one, which only its owner receives (streams.py filters by the caller)."""
    __tablename__ = "phrases"
    __table_args__ = _stream_table_args(
        "phrases", Index("ix_phrases_shop_owner", "shop_id", "owner_agent_no"),
        CheckConstraint(_in("category", PHRASE_CATEGORIES), name="category"),
        CheckConstraint("version >= 1", name="version"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_agent_no: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(40))
    shortcut: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class BuyerNote(Base):
    """A note about a buyer every colleague sees (a stream; immutable, append-only)."""
    __tablename__ = "buyer_notes"
    __table_args__ = _stream_table_args(
        "buyer_notes", Index("ix_buyer_notes_shop_buyer", "shop_id", "buyer_id", "id"),
        Index("uq_buyer_notes_shop_client_id", "shop_id", "client_id", unique=True))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    agent_no: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    client_id: Mapped[str | None] = mapped_column(String(36))


class AutoReply(Base):
    """The auto-replies sent (not a stream): the primary key (shop, buyer, China-time day) is
    what keeps it at one per buyer per day, also across server processes."""
    __tablename__ = "auto_replies"
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the China-time (UTC+8) date
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime)
