"""Pydantic v2 models of every payload in docs/PROTOCOL.md, and the parsers the client uses.

Design for the ingest hot path: entities are `TypedDict`s, so pydantic-core validates the
JSON bytes in one pass (its own parser, no intermediate objects) and hands back plain dicts
in wire format, which is what `workstation.models.apply` takes. Only the small envelopes
(`SnapshotPage`, `ChangesPage`, ...) are `BaseModel`s. Everything is strict (no "12" for 12,
no 1.5 for an int) so a malformed page is rejected before it reaches the cache. Unknown
extra keys are ignored (forward compatibility: a newer server may add fields).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

import orjson
from pydantic import (BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter,
                      ValidationError, model_validator)
from typing_extensions import TypedDict

from workstation.models.streams import STREAM_NAMES

from .errors import PayloadError

# The streams in pull priority order (declared in models.streams; ENTITY_TYPES below is this
# layer's one declaration per stream, and a test checks the two agree).
STREAM_ORDER: tuple[str, ...] = STREAM_NAMES

_STRICT = ConfigDict(strict=True, extra="ignore")

Id = Annotated[int, Field(gt=0)]
Seq = Annotated[int, Field(gt=0)]
Count = Annotated[int, Field(ge=0)]
Cents = Annotated[int, Field(ge=0)]
# ISO 8601 UTC with a Z suffix; kept as the wire string (the cache layer stores/parses it).
WireTime = Annotated[str, StringConstraints(
    pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z$")]
OrderNo = Annotated[str, StringConstraints(pattern=r"^\d{18}$")]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


# ---- entities (TypedDict: validated into plain dicts) --------------------------------------

class Warehouse(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    name: str
    code: str


class Sku(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    outer_id: str
    colour: str
    size: str
    page_price_cents: Cents


class Product(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    style_no: str
    name: str
    category: str
    page_price_cents: Cents
    skus: list[Sku]


class Stock(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    sku_id: Id
    warehouse_id: Id
    qty: int  # real on-hand; may go negative when a shop oversells, so no lower bound
    reserved: Count
    page_qty: Count  # what the shop page shows


class Remark(TypedDict):
    """One remark write (the `remarks` stream: remark history, immutable entries)."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    order_id: Id
    version: Annotated[int, Field(gt=0)]
    text: str
    flag: Annotated[int, Field(ge=0, le=5)]
    reason: str
    agent_no: str
    created_at: WireTime
    mutation_id: str | None


class Address(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    receiver: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


class Buyer(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    nick: str
    name: str
    phone: str
    member_level: Literal["normal", "member", "vip"]
    first_order_at: WireTime | None
    addresses: list[Address]


class OrderLine(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    sku_id: Id
    style_no: str
    product_name: str
    colour: str
    size: str
    outer_id: str
    qty: Annotated[int, Field(gt=0)]
    unit_price_cents: Cents


OrderStatus = Literal["unpaid", "paid", "documents_made", "shipped", "completed", "closed",
                      "refunding", "refunded"]


class Order(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    order_no: OrderNo
    buyer_id: Id
    buyer_nick: str
    status: OrderStatus
    payment_method: Literal["online", "cod"]
    total_cents: Cents
    shipping_cents: Cents
    discount_cents: Cents
    receiver_name: str
    receiver_phone: str
    province: str
    city: str
    district: str
    address_detail: str
    carrier: str | None
    tracking_no: str | None
    created_at: WireTime
    paid_at: WireTime | None
    shipped_at: WireTime | None
    completed_at: WireTime | None
    closed_at: WireTime | None
    remark: str
    remark_flag: Annotated[int, Field(ge=0, le=5)]
    remark_by: str | None
    remark_at: WireTime | None
    remark_version: Count
    lines: list[OrderLine]


Sender = Literal["buyer", "agent", "auto", "system"]
ChatText = Annotated[str, StringConstraints(max_length=2000)]  # a message (PROTOCOL: 1..2000)


class Conversation(TypedDict):
    """A buyer's chat with the shop (docs/PROTOCOL.md, "Conversations (buyer chat)")."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    buyer_id: Id
    buyer_nick: str
    status: Literal["open", "closed"]
    assigned_agent_no: str | None
    version: Annotated[int, Field(ge=1)]
    created_at: WireTime
    waiting_since: WireTime | None
    last_message_id: Id | None
    last_message_at: WireTime | None
    last_message_sender: Sender | None
    last_message_preview: Annotated[str, StringConstraints(max_length=60)]
    unread: Count
    read_upto_message_id: Count
    product_id: Id | None
    transfer_note: Annotated[str, StringConstraints(max_length=200)] | None
    transferred_by: str | None
    closed_at: WireTime | None


class Message(TypedDict):
    """One chat message: immutable; `client_id` = the idempotency key it was sent with."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    conversation_id: Id
    sender: Sender
    agent_no: str | None
    text: ChatText
    created_at: WireTime
    client_id: Annotated[str, StringConstraints(max_length=64)] | None


class ShopAgent(TypedDict):
    """A member of the shop's staff (never the login or the password hash)."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    agent_no: str
    display_name: str
    role: Literal["agent", "manager"]
    status: Literal["receiving", "paused", "offline"]
    capacity: Count
    active: bool


Category = Literal["bargain", "ship_faster", "arrival", "logistics", "greeting", "farewell", "after_sales",
                   "other"]
CutoffTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class ShopSettings(TypedDict):
    """The shop's settings (docs/PROTOCOL.md, "Answering fast"): one entity, id = the shop id."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    version: Annotated[int, Field(ge=1)]
    shop_name: str
    auto_reply_enabled: bool
    auto_reply_text: Annotated[str, StringConstraints(max_length=300)]
    cutoff_time: CutoffTime
    updated_by: str | None
    updated_at: WireTime | None


class Phrase(TypedDict):
    """A quick phrase: the team's (`owner_agent_no` null) or the signed-in agent's own."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    version: Annotated[int, Field(ge=1)]
    owner_agent_no: str | None
    category: Category
    title: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    shortcut: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{0,20}$")]
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    updated_by: str
    updated_at: WireTime


class BuyerNote(TypedDict):
    """A note about a buyer (immutable; `client_id` = the mutation id it was written with)."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Id
    seq: Seq
    buyer_id: Id
    text: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    agent_no: str
    created_at: WireTime
    client_id: Annotated[str, StringConstraints(max_length=64)] | None


ENTITY_TYPES: dict[str, type] = {
    "warehouses": Warehouse, "products": Product, "stock": Stock, "remarks": Remark, "buyers": Buyer,
    "orders": Order, "conversations": Conversation, "messages": Message, "agents": ShopAgent,
    "shop_settings": ShopSettings, "phrases": Phrase, "buyer_notes": BuyerNote,
}

ItemT = TypeVar("ItemT")


class Upsert(TypedDict, Generic[ItemT]):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    seq: Seq
    op: Literal["upsert"]
    item: ItemT


class Delete(TypedDict):
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    seq: Seq
    op: Literal["delete"]
    id: Id


# ---- envelopes ---------------------------------------------------------------------------

class _Envelope(BaseModel):
    model_config = _STRICT


class AgentInfo(_Envelope):
    id: Id
    login: str
    display_name: str
    agent_no: str
    shop_id: Id
    shop_name: str
    # The shop's overdue threshold for a waiting buyer (issue 9); servers before it do not
    # send it, and marketplace workbenches nag after 100 s.
    overdue_after_s: Annotated[int, Field(ge=1)] = 100
    # The agent's role (issue 10): a manager edits the team's phrases and the shop settings;
    # servers before it do not send it.
    role: Literal["agent", "manager"] = "agent"


class LoginResponse(_Envelope):
    token: Annotated[str, StringConstraints(min_length=1)]
    expires_at: WireTime
    agent: AgentInfo


class CacheFileInfo(_Envelope):
    """GET /cache-file: a shop's prebuilt cache file of its big streams (PROTOCOL.md)."""

    format: int
    schema_: str = Field(alias="schema")
    seq: Count
    feed_cursor: Cursor
    streams: dict[str, Count]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    bytes: Annotated[int, Field(gt=0)]
    unpacked_bytes: Annotated[int, Field(gt=0)]
    url: Annotated[str, StringConstraints(pattern=r"^/api/v1/cache-file/[0-9a-f]{64}$")]


class Head(_Envelope):
    seq: Count
    epoch: int
    # From /sync/wait: the streams changed after `after` (None = unknown: pull them all).
    streams: list[str] | None = None
    # From /sync/wait?changes=n: stream -> ChangesPage, the moved streams' inlined change
    # pages (`parse_head` validates each as `parse_changes_page` does; None: not asked).
    changes: dict[str, Any] | None = None


class SnapshotPage(_Envelope, Generic[ItemT]):
    stream: str
    items: list[ItemT]
    next_cursor: Cursor | None
    done: bool
    feed_cursor: Cursor
    total: Count | None = Field(...)  # required key, may be null (given on the first page only)

    @model_validator(mode="after")
    def _consistent(self) -> "SnapshotPage[ItemT]":
        # The protocol ties these together; a page that breaks them would corrupt resumption.
        if self.done and self.next_cursor is not None:
            raise ValueError("done is true but next_cursor is not null")
        if not self.done and self.next_cursor is None:
            raise ValueError("done is false but next_cursor is null")
        _check_unique_ids(self.items, "items")
        return self


class ChangesPage(_Envelope, Generic[ItemT]):
    stream: str
    changes: list[Annotated[Union[Upsert[ItemT], Delete], Field(discriminator="op")]]
    next_cursor: Cursor
    has_more: bool
    seq: Count | None = None  # the shop sequence `next_cursor` stands at (None: an older server)

    @model_validator(mode="after")
    def _ascending(self) -> "ChangesPage[ItemT]":
        last = 0
        for i, change in enumerate(self.changes):
            if change["seq"] <= last:
                raise ValueError(f"changes[{i}].seq {change['seq']} is not ascending")
            last = change["seq"]
        return self


def _check_unique_ids(items: list[Any], where: str) -> None:
    ids = {item["id"] for item in items}
    if len(ids) != len(items):
        raise ValueError(f"{where} has duplicate ids")


class MutationResult(TypedDict, total=False):
    """One answer of POST /mutations (docs/PROTOCOL.md, "Mutations"); `duplicate` carries the
    original answer in `original`."""
    __pydantic_config__ = _STRICT  # type: ignore[misc]
    mutation_id: str
    status: Literal["applied", "duplicate", "conflict", "rejected"]
    version: Count
    seq: Seq
    state: dict[str, Any]
    original: dict[str, Any]
    code: str
    reason: str


class MutationResults(_Envelope):
    results: list[MutationResult]


PresenceState = Literal["viewing", "typing", "idle"]


class Presence(_Envelope):
    """A colleague looking at (or typing in) a conversation (docs/PROTOCOL.md, "Presence")."""
    agent_no: str
    display_name: str
    state: PresenceState
    since: WireTime


class PresenceList(_Envelope):
    others: Annotated[list[Presence], Field(max_length=100)]


class ErrorBody(BaseModel):
    """`{"detail", "code"}`; lenient on purpose, it is only read to pick an exception."""

    detail: Any = None
    code: str | None = None


# ---- parsers -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _snapshot_adapter(stream: str) -> TypeAdapter:
    return TypeAdapter(SnapshotPage[_entity_type(stream)])  # type: ignore[index]


@lru_cache(maxsize=None)
def _changes_adapter(stream: str) -> TypeAdapter:
    return TypeAdapter(ChangesPage[_entity_type(stream)])  # type: ignore[index]


_HEAD = TypeAdapter(Head)
_CACHE_FILE = TypeAdapter(CacheFileInfo)
_MUTATION_RESULTS = TypeAdapter(MutationResults)
_LOGIN = TypeAdapter(LoginResponse)
_AGENT = TypeAdapter(AgentInfo)
_PRESENCE = TypeAdapter(PresenceList)


def _entity_type(stream: str) -> type:
    try:
        return ENTITY_TYPES[stream]
    except KeyError:
        raise ValueError(f"unknown stream {stream!r}") from None


def parse_snapshot_page(stream: str, body: bytes) -> SnapshotPage:
    page = _validate(_snapshot_adapter(stream), body, f"{stream} snapshot page")
    _check_stream(page.stream, stream)
    return page


def parse_changes_page(stream: str, body: bytes) -> ChangesPage:
    page = _validate(_changes_adapter(stream), body, f"{stream} changes page")
    _check_stream(page.stream, stream)
    return page


def parse_mutation_results(body: bytes, sent_ids: list[str]) -> list[MutationResult]:
    """The answers, checked to be one per mutation sent, in the same order."""
    results = _validate(_MUTATION_RESULTS, body, "mutations answer").results
    got = [r.get("mutation_id") for r in results]
    if got != sent_ids:
        raise PayloadError(f"the mutations answer does not match the batch sent "
                           f"({len(got)} answers for {len(sent_ids)} mutations)")
    for r in results:
        if "status" not in r:
            raise PayloadError("a mutation answer has no status")
    return results


def parse_head(body: bytes) -> Head:
    head = _validate(_HEAD, body, "sync head")
    if not head.changes:
        return head
    # Each inlined page is held to what a changes page must be (one bad page: nothing of the
    # answer is used), and only for a stream the answer says moved.
    pages: dict[str, ChangesPage] = {}
    for stream, raw in head.changes.items():
        if stream not in ENTITY_TYPES:
            continue  # a stream a newer server has: not ours to apply (as in `streams`)
        if head.streams is None or stream not in head.streams:
            raise PayloadError(f"invalid sync head: changes for {stream!r}, which did not move")
        pages[stream] = parse_changes_page(stream, orjson.dumps(raw))
    return head.model_copy(update={"changes": pages})


def parse_cache_file(body: bytes) -> CacheFileInfo:
    return _validate(_CACHE_FILE, body, "cache file description")


def parse_login(body: bytes) -> LoginResponse:
    return _validate(_LOGIN, body, "login response")


def parse_agent(body: bytes) -> AgentInfo:
    return _validate(_AGENT, body, "agent")


def parse_presence(body: bytes) -> list[Presence]:
    return _validate(_PRESENCE, body, "presence").others


def parse_error_body(body: bytes) -> ErrorBody:
    """Best effort: an error page from a proxy may be HTML; then both fields are None."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ErrorBody()
    if not isinstance(data, dict):
        return ErrorBody()
    code = data.get("code")
    return ErrorBody(detail=data.get("detail"), code=code if isinstance(code, str) else None)


def _check_stream(got: str, expected: str) -> None:
    if got != expected:
        raise PayloadError(f"expected stream {expected!r}, the server sent {got!r}")


def _validate(adapter: TypeAdapter, body: bytes, what: str) -> Any:
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        raise PayloadError(f"invalid {what}: {_describe(exc, body)}") from None


def _describe(exc: ValidationError, body: bytes) -> str:
    """One readable line: where (path, and the offending item's id when there is one) and why."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    loc = first.get("loc", ())
    if first.get("type") == "json_invalid":
        return f"not JSON ({first.get('msg')})"
    path = _format_loc(loc)
    reason = f"{path}: {first.get('msg')}" if path else str(first.get("msg"))
    item_id = _offending_id(loc, body)
    if item_id is not None:
        reason += f" (item id {item_id})"
    if len(errors) > 1:
        reason += f" (+{len(errors) - 1} more)"
    return reason


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("upsert", "delete"):
            continue  # discriminator tag, noise in a path
        else:
            out += f".{part}" if out else str(part)
    return out


def _offending_id(loc: tuple, body: bytes) -> Any:
    """The id of the item the error is in (a slow path, only taken on failure)."""
    if len(loc) < 2 or loc[0] not in ("items", "changes") or not isinstance(loc[1], int):
        return None
    try:
        entry = orjson.loads(body)[loc[0]][loc[1]]
        if loc[0] == "changes":
            entry = entry.get("item", entry)
        return entry.get("id")
    except Exception:  # noqa: BLE001 - a description helper must never mask the real error
        return None
