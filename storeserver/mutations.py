"""POST /api/v1/mutations: the workstation's writes, exactly once (docs/PROTOCOL.md, "Mutations").

A batch is ONE transaction. It first takes the shop's row lock (like every writer, see
`ops.reserve_seq`), so mutations of a shop are handled one at a time; then, per mutation:
the dedupe record `(shop, mutation_id)` is looked up: a known id with the same payload hash
gets its ORIGINAL answer back (`duplicate`), with another payload `rejected
mutation_id_reused`; otherwise the kind's handler runs and its answer is recorded in the
same transaction as its effect. A crash before the commit leaves neither; after it, both.

Kinds are registered in `KINDS`: `order.remark`, the chat's (`message.reply`,
`conversation.claim/transfer/close/reopen/read`, `agent.status`; the domain is chat.py), and
answering fast's (`shop.settings`, `phrase.create/update/delete`, `buyer.note`; the domain
is answering.py).
Every payload is a strict pydantic model (no extra keys, no coercion).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError
from sqlalchemy import Connection, insert, select, update

from . import answering, chat
from .limits import MAX_INT64
from .models import Mutation, Order, RemarkHistory
from .ops import NotFound, reserve_seq

_orders, _history, _mutations = Order.__table__, RemarkHistory.__table__, Mutation.__table__

MAX_BATCH = 50              # mutations per request (the body stays under 16 KiB too)
MAX_MEMO_BYTES = 1000       # the FINAL memo (text + trailer), UTF-8
MAX_REASON_CHARS = 100
MEMO_TZ = timedelta(hours=8)  # the trailer's time is China Standard Time, as the marketplace shows
TRAILER_MARK = "【变动事由】"
_MEMO = re.compile(r"(?s)^(?:(?P<text>.*)\n)?【变动事由】(?P<reason>[^｜\n]*)｜工号 (?P<agent_no>[^｜\n]+)"
                   r"｜(?P<at>\d{4}-\d{2}-\d{2} \d{2}:\d{2})$")


# ---- the memo format ------------------------------------------------------------------

def compose_memo(text: str, reason: str, agent_no: str, at: datetime) -> str:
    """`text` + newline + `【变动事由】reason｜工号 1024｜2026-11-11 14:02` (time UTC+8).
    `at` is naive UTC. Without text the memo is the trailer alone."""
    stamp = (at + MEMO_TZ).strftime("%Y-%m-%d %H:%M")
    trailer = f"{TRAILER_MARK}{reason}｜工号 {agent_no}｜{stamp}"
    return f"{text}\n{trailer}" if text else trailer


def parse_memo(memo: str) -> dict[str, str] | None:
    """The parts of a composed memo (text, reason, agent_no, at as written), or None for a
    memo not in the format (older remarks, back-office edits)."""
    m = _MEMO.match(memo)
    if m is None:
        return None
    return {"text": m["text"] or "", "reason": m["reason"], "agent_no": m["agent_no"], "at": m["at"]}


def memo_bytes(text: str, reason: str, agent_no: str) -> int:
    """The UTF-8 size of the final memo (the time part has a fixed length)."""
    return len(compose_memo(text, reason, agent_no, datetime(2000, 1, 1)).encode("utf-8"))


# ---- answers --------------------------------------------------------------------------

class Rejected(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


def _rejected(code: str, reason: str) -> dict:
    return {"status": "rejected", "code": code, "reason": reason}


def _wire_time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- order.remark -----------------------------------------------------------------------

class RemarkPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: Annotated[StrictStr, Field(max_length=MAX_MEMO_BYTES, pattern=r"^[^\x00]*$")]
    flag: Annotated[StrictInt, Field(ge=0, le=5)]
    reason: Annotated[StrictStr, Field(max_length=MAX_REASON_CHARS, pattern=r"^[^\x00\n\r｜]*$")]


def remark_state(row: Any) -> dict:
    return {"remark": row.remark, "remark_flag": row.remark_flag, "remark_by": row.remark_by,
            "remark_at": _wire_time(row.remark_at), "remark_version": row.remark_version}


def write_remark(conn: Connection, shop_id: int, order_id: int, *, text: str, flag: int,
                 reason: str, agent_no: str, now: datetime, base_version: int | None,
                 mutation_id: str | None = None, compose: bool = True) -> dict:
    """The remark write inside the caller's transaction (the shop lock is held). Returns the
    answer: applied with the new state (and the order's new `seq`), or conflict with the
    current one; raises Rejected. `compose=False` (the back office) stores `text` as the memo."""
    row = conn.execute(select(_orders).where(_orders.c.id == order_id, _orders.c.shop_id == shop_id)
                       .with_for_update()).one_or_none()
    if row is None:
        raise Rejected("not_found", f"no order {order_id}")
    if base_version is not None and base_version != row.remark_version:
        return {"status": "conflict", "version": row.remark_version, "state": remark_state(row)}
    memo = compose_memo(text, reason, agent_no, now) if compose else text
    if len(memo.encode("utf-8")) > MAX_MEMO_BYTES:
        raise Rejected("too_long", f"the memo would be {len(memo.encode('utf-8'))} bytes "
                                   f"(at most {MAX_MEMO_BYTES}, trailer included)")
    last = reserve_seq(conn, shop_id, 2) + 1
    version = row.remark_version + 1
    conn.execute(update(_orders).where(_orders.c.id == order_id).values(
        remark=memo, remark_flag=flag, remark_by=agent_no, remark_at=now, remark_version=version,
        seq=last))
    conn.execute(insert(_history).values(
        shop_id=shop_id, seq=last - 1, order_id=order_id, version=version, text=text, flag=flag,
        reason=reason, agent_no=agent_no, created_at=now, mutation_id=mutation_id))
    state = {"remark": memo, "remark_flag": flag, "remark_by": agent_no,
             "remark_at": _wire_time(now), "remark_version": version}
    return {"status": "applied", "version": version, "state": state, "seq": last}


def parse_payload(model: type[BaseModel], payload: Any, *, too_long_code: str = "invalid_payload"):
    """The payload as `model`, or Rejected naming the first bad field (never its value)."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        code = too_long_code if first.get("type") == "string_too_long" else "invalid_payload"
        where = f"payload.{where}" if where else "payload"  # a rule over several fields: no loc
        raise Rejected(code, f"{where}: {first.get('msg')}"[:200]) from None


def _order_remark(conn: Connection, ctx: "Context", m: dict) -> dict:
    p = parse_payload(RemarkPayload, m["payload"])
    return write_remark(conn, ctx.shop_id, m["entity_id"], text=p.text, flag=p.flag,
                        reason=p.reason, agent_no=ctx.agent_no, now=ctx.now,
                        base_version=m["base_version"], mutation_id=m["mutation_id"])


@dataclass(frozen=True)
class Context:
    shop_id: int
    agent_no: str
    now: datetime
    agent_id: int = 0
    manager: bool = False  # the caller's role is "manager"


# ---- the chat's kinds (docs/PROTOCOL.md, "Agent writes") ------------------------------------

_NO_NUL = r"^[^\x00]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ReplyPayload(_Strict):
    text: Annotated[StrictStr, Field(min_length=1, max_length=chat.MAX_TEXT_CHARS, pattern=_NO_NUL)]
    after_message_id: Annotated[StrictInt, Field(ge=0, le=MAX_INT64)]

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a reply needs some text (not only spaces or new lines)")
        return v


class NoPayload(_Strict):
    pass


class TransferPayload(_Strict):
    to_agent_no: Annotated[StrictStr, Field(min_length=1, max_length=16, pattern=r"^[^\x00\s]+$")]
    note: Annotated[StrictStr, Field(max_length=chat.MAX_NOTE_CHARS, pattern=_NO_NUL)] = ""


class ReadPayload(_Strict):
    upto_message_id: Annotated[StrictInt, Field(ge=0, le=MAX_INT64)]


class StatusPayload(_Strict):
    status: Literal["receiving", "paused", "offline"]


def _chat(fn: Callable[..., dict]) -> Callable[[Connection, Context, dict], dict]:
    """A chat kind: the domain's refusals become the mutation's `rejected` answer."""
    def handler(conn: Connection, ctx: Context, m: dict) -> dict:
        try:
            return fn(conn, ctx, m)
        except NotFound as exc:
            raise Rejected("not_found", f"no {exc} in this shop") from None
        except chat.Refused as exc:
            raise Rejected(exc.code, exc.reason) from None
    return handler


@_chat
def _reply(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(ReplyPayload, m["payload"], too_long_code="too_long")
    return chat.reply(conn, ctx.shop_id, m["entity_id"], agent_no=ctx.agent_no, text=p.text,
                      after_message_id=p.after_message_id, base_version=m["base_version"],
                      mutation_id=m["mutation_id"], now=ctx.now)


@_chat
def _claim(conn: Connection, ctx: Context, m: dict) -> dict:
    parse_payload(NoPayload, m["payload"])
    return chat.claim(conn, ctx.shop_id, m["entity_id"], agent_no=ctx.agent_no,
                      base_version=m["base_version"])


@_chat
def _transfer(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(TransferPayload, m["payload"], too_long_code="too_long")
    return chat.transfer(conn, ctx.shop_id, m["entity_id"], agent_no=ctx.agent_no,
                         base_version=m["base_version"], to_agent_no=p.to_agent_no, note=p.note,
                         now=ctx.now)


@_chat
def _close(conn: Connection, ctx: Context, m: dict) -> dict:
    parse_payload(NoPayload, m["payload"])
    return chat.close(conn, ctx.shop_id, m["entity_id"], base_version=m["base_version"], now=ctx.now)


@_chat
def _reopen(conn: Connection, ctx: Context, m: dict) -> dict:
    parse_payload(NoPayload, m["payload"])
    return chat.reopen(conn, ctx.shop_id, m["entity_id"], base_version=m["base_version"])


@_chat
def _read(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(ReadPayload, m["payload"])
    return chat.mark_read(conn, ctx.shop_id, m["entity_id"], upto_message_id=p.upto_message_id)


@_chat
def _agent_status(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(StatusPayload, m["payload"])
    if m["entity_id"] != ctx.agent_id:  # only one's own status; any other id is "not found"
        raise NotFound(f"agent {m['entity_id']}")
    return chat.set_status(conn, ctx.shop_id, ctx.agent_id, p.status)


# ---- answering fast's kinds (docs/PROTOCOL.md, "Answering fast") -----------------------------

def _checked(problem: tuple[str, str] | None) -> None:
    """A rule of answering.py broken: `too_long` travels as pydantic's string_too_long (see
    parse_payload), anything else as a value error (invalid_payload)."""
    if problem is not None:
        code, reason = problem
        if code == "too_long":
            raise PydanticCustomError("string_too_long", reason)
        raise ValueError(reason)


Category = Literal["bargain", "ship_faster", "arrival", "logistics", "greeting", "farewell",
                   "after_sales", "other"]


class SettingsPayload(_Strict):
    auto_reply_enabled: StrictBool
    auto_reply_text: StrictStr
    cutoff_time: Annotated[StrictStr, Field(pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")]

    @model_validator(mode="after")
    def _rules(self):
        _checked(answering.auto_reply_problem(self.auto_reply_enabled, self.auto_reply_text))
        return self


class PhrasePayload(_Strict):
    category: Category
    title: StrictStr
    shortcut: StrictStr
    text: StrictStr

    @model_validator(mode="after")
    def _rules(self):
        _checked(answering.phrase_problem(self.title, self.shortcut, self.text))
        return self


class NewPhrasePayload(PhrasePayload):
    team: StrictBool


class NotePayload(_Strict):
    text: Annotated[StrictStr, Field(min_length=1, max_length=answering.MAX_NOTE_CHARS, pattern=_NO_NUL)]

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a note needs some text (not only spaces or new lines)")
        return v


def _answering(fn: Callable[..., dict]) -> Callable[[Connection, Context, dict], dict]:
    def handler(conn: Connection, ctx: Context, m: dict) -> dict:
        try:
            return fn(conn, ctx, m)
        except NotFound as exc:
            raise Rejected("not_found", f"no {exc} in this shop") from None
        except answering.Forbidden as exc:
            raise Rejected("forbidden", str(exc)) from None
    return handler


@_answering
def _shop_settings(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(SettingsPayload, m["payload"], too_long_code="too_long")
    return answering.write_settings(conn, ctx.shop_id, m["entity_id"], base_version=m["base_version"],
                                    manager=ctx.manager, agent_no=ctx.agent_no, now=ctx.now,
                                    **p.model_dump())


@_answering
def _phrase_create(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(NewPhrasePayload, m["payload"], too_long_code="too_long")
    if m["entity_id"] != ctx.agent_id:  # the caller's own agent id, as agent.status
        raise NotFound(f"agent {m['entity_id']}")
    return answering.create_phrase(conn, ctx.shop_id, manager=ctx.manager, agent_no=ctx.agent_no,
                                   now=ctx.now, **p.model_dump())


@_answering
def _phrase_update(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(PhrasePayload, m["payload"], too_long_code="too_long")
    return answering.update_phrase(conn, ctx.shop_id, m["entity_id"], base_version=m["base_version"],
                                   manager=ctx.manager, agent_no=ctx.agent_no, now=ctx.now, **p.model_dump())


@_answering
def _phrase_delete(conn: Connection, ctx: Context, m: dict) -> dict:
    parse_payload(NoPayload, m["payload"])
    return answering.delete_phrase(conn, ctx.shop_id, m["entity_id"], base_version=m["base_version"],
                                   manager=ctx.manager, agent_no=ctx.agent_no, now=ctx.now)


@_answering
def _buyer_note(conn: Connection, ctx: Context, m: dict) -> dict:
    p = parse_payload(NotePayload, m["payload"], too_long_code="too_long")
    return answering.add_note(conn, ctx.shop_id, m["entity_id"], text=p.text, agent_no=ctx.agent_no,
                              now=ctx.now, client_id=m["mutation_id"])


KINDS: dict[str, Callable[[Connection, Context, dict], dict]] = {
    "order.remark": _order_remark,
    "message.reply": _reply,
    "conversation.claim": _claim,
    "conversation.transfer": _transfer,
    "conversation.close": _close,
    "conversation.reopen": _reopen,
    "conversation.read": _read,
    "agent.status": _agent_status,
    "shop.settings": _shop_settings,
    "phrase.create": _phrase_create,
    "phrase.update": _phrase_update,
    "phrase.delete": _phrase_delete,
    "buyer.note": _buyer_note,
}


# ---- the batch ---------------------------------------------------------------------------

def payload_hash(m: dict) -> str:
    # json (not orjson): a payload may hold integers beyond 64 bits, and must still hash.
    doc = json.dumps([m["kind"], m["entity_id"], m["base_version"], m["payload"]],
                     sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(doc.encode("utf-8", "surrogatepass")).hexdigest()


def apply_batch(conn: Connection, ctx: Context, mutations: list[dict]) -> list[dict]:
    """Every mutation of the batch in order, inside the caller's write transaction."""
    reserve_seq(conn, ctx.shop_id, 0)  # the shop lock, like every writer
    return [{"mutation_id": m["mutation_id"], **_one(conn, ctx, m)} for m in mutations]


def _one(conn: Connection, ctx: Context, m: dict) -> dict:
    digest = payload_hash(m)
    known = conn.execute(select(_mutations.c.payload_sha256, _mutations.c.result).where(
        _mutations.c.shop_id == ctx.shop_id, _mutations.c.mutation_id == m["mutation_id"])).one_or_none()
    if known is not None:
        if known.payload_sha256 != digest:
            return _rejected("mutation_id_reused", "this mutation id was used before with another payload")
        return {"status": "duplicate", "original": known.result}
    handler = KINDS.get(m["kind"])
    try:
        if handler is None:
            raise Rejected("unknown_kind", f"unknown kind; kinds: {', '.join(KINDS)}")
        result = handler(conn, ctx, m)
    except Rejected as exc:
        result = _rejected(exc.code, exc.reason)
    conn.execute(insert(_mutations).values(shop_id=ctx.shop_id, mutation_id=m["mutation_id"],
                                           payload_sha256=digest, result=result, created_at=ctx.now))
    return result
