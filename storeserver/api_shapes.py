"""The request and answer shapes of the HTTP API as /openapi.json documents them
(docs/PROTOCOL.md), and the error answers each operation lists. The handlers in
`storeserver.api` serialize pages with orjson straight into the response; these pydantic
models validate the bodies that come in and document every shape that goes out.
"""
# No `from __future__ import annotations`: FastAPI and pydantic read the Annotated fields.

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from . import chat, limits, mutations

NO_NUL = r"^[^\x00]*$"  # psycopg refuses NUL in text; no login or password has one anyway


class LoginRequest(BaseModel):
    login: Annotated[str, Field(min_length=1, max_length=64, pattern=NO_NUL)]
    password: Annotated[str, Field(min_length=1, max_length=1024, pattern=NO_NUL)]


class AgentOut(BaseModel):
    id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str
    overdue_after_s: Annotated[int, Field(description="the shop's overdue threshold for a waiting buyer")]
    role: Annotated[str, Field(json_schema_extra={"enum": ["agent", "manager"]},
                               description="a manager edits the team's phrases and the shop settings")]


class LoginOut(BaseModel):
    token: str
    expires_at: str
    agent: AgentOut


class HeadOut(BaseModel):
    seq: int
    epoch: int
    # /sync/wait only: the streams changed after `after` (None: not worked out, pull them all)
    streams: list[str] | None = None
    # /sync/wait?changes=n only: the change pages of moved streams with at most n changes
    changes: "dict[str, ChangesOut] | None" = None


class SnapshotOut(BaseModel):
    stream: str
    items: list[dict[str, Any]]
    next_cursor: str | None
    done: bool
    feed_cursor: str
    total: int | None


class ChangesOut(BaseModel):
    stream: str
    changes: list[dict[str, Any]]
    next_cursor: str
    has_more: bool
    seq: int  # the shop sequence next_cursor stands at


class CacheFileOut(BaseModel):
    """A shop's prebuilt cache file (PROTOCOL.md, "Cache files")."""

    format: int
    schema_: str = Field(alias="schema")  # the cache schema revision it is of
    shop_id: int
    epoch: int
    seq: int  # the shop sequence its streams were read at
    feed_cursor: str  # where each of its streams' change feed goes on
    streams: dict[str, int]  # rows per stream
    sha256: str  # of the gzipped bytes at `url`
    bytes: int
    unpacked_bytes: int
    built_at: str
    build_s: float
    url: str


HeadOut.model_rebuild()


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class MutationIn(BaseModel):
    model_config = ConfigDict(strict=True)
    mutation_id: Annotated[StrictStr, Field(pattern=UUID_PATTERN, description="made by the client; the idempotency key")]
    kind: Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=NO_NUL, examples=["order.remark"])]
    entity_id: Annotated[StrictInt, Field(ge=1, le=limits.MAX_INT64)]
    base_version: Annotated[StrictInt, Field(ge=0, le=limits.MAX_INT64,
                                             description="the entity version the write was based on")]
    payload: dict[str, Any]


class MutationsIn(BaseModel):
    model_config = ConfigDict(strict=True)
    mutations: Annotated[list[MutationIn], Field(min_length=1, max_length=mutations.MAX_BATCH)]


class MutationResultOut(BaseModel):
    mutation_id: str
    status: Annotated[str, Field(json_schema_extra={"enum": ["applied", "duplicate", "conflict", "rejected"]})]
    version: int | None = None
    seq: int | None = None
    state: dict[str, Any] | None = None
    original: dict[str, Any] | None = None
    code: str | None = None
    reason: str | None = None


class MutationsOut(BaseModel):
    results: list[MutationResultOut]


class MessageOut(BaseModel):
    id: int
    seq: int
    conversation_id: int
    sender: Annotated[str, Field(json_schema_extra={"enum": ["buyer", "agent", "auto", "system"]})]
    agent_no: str | None
    text: str
    created_at: str
    client_id: str | None


CHAT_TEXT = Annotated[StrictStr, Field(min_length=1, max_length=chat.MAX_TEXT_CHARS, pattern=NO_NUL)]


class RelayMessageIn(BaseModel):
    model_config = ConfigDict(strict=True)
    client_id: Annotated[StrictStr, Field(pattern=UUID_PATTERN, description="made by the relay; the idempotency key")]
    buyer_id: Annotated[StrictInt, Field(ge=1, le=limits.MAX_INT64)]
    text: CHAT_TEXT
    product_id: Annotated[StrictInt | None, Field(ge=1, le=limits.MAX_INT64,
                                                  description="the product page the buyer is on")] = None


class RelayPostOut(BaseModel):
    message: MessageOut
    conversation_id: int
    duplicate: bool


class RelayMessagesOut(BaseModel):
    messages: list[MessageOut]


class PresenceIn(BaseModel):
    model_config = ConfigDict(strict=True)
    state: Literal["viewing", "typing", "idle"]


class PresenceOther(BaseModel):
    agent_no: str
    display_name: str
    state: Annotated[str, Field(json_schema_extra={"enum": ["viewing", "typing"]})]
    since: str


class PresenceOut(BaseModel):
    others: list[PresenceOther]


class ErrorOut(BaseModel):
    detail: str
    code: str
    request_id: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidOut(ErrorOut):
    errors: list[FieldError]


class TooManyOut(ErrorOut):
    retry_after_s: int


def _error(model: type[BaseModel], description: str, headers: dict | None = None) -> dict:
    return {"model": model, "description": description, **({"headers": headers} if headers else {})}


# Answers any operation can give (docs/PROTOCOL.md, "Status codes").
COMMON_RESPONSES = {
    413: _error(ErrorOut, f"too_large: a query over {limits.MAX_QUERY_BYTES} bytes or a body over "
                          f"{limits.MAX_BODY_BYTES} bytes"),
    422: _error(InvalidOut, "invalid_request: a malformed body, query or path parameter"),
    500: _error(ErrorOut, "internal_error: an unexpected failure (the body names the request id)"),
}
AUTH_RESPONSES = {401: _error(ErrorOut, "missing_token / bad_token / token_expired")}
CURSOR_RESPONSES = {400: _error(ErrorOut, "bad_cursor"), 404: _error(ErrorOut, "unknown_stream"),
                    410: _error(ErrorOut, "cursor_gone")}
RELAY_RESPONSES = {401: _error(ErrorOut, "bad_relay_key: send Authorization: Relay <the shop's relay key>"),
                   404: _error(ErrorOut, "not_found: no such buyer (or product) in the shop")}
NO_CACHE_FILE_RESPONSES = {404: _error(ErrorOut, "no_cache_file: none for this shop and schema (page instead)")}
NOT_FOUND_RESPONSES = {404: _error(ErrorOut, "not_found: no such conversation in the caller's shop")}
LOGIN_RESPONSES = {
    401: _error(ErrorOut, "bad_credentials"),
    429: _error(TooManyOut, "too_many_attempts: sign-in refused for now (rate limit, lockout or busy)",
                {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}),
}
