"""The HTTP API of docs/PROTOCOL.md (FastAPI). `create_app(engine_or_url)` builds it.

Endpoints are sync (`def`, run in the threadpool) except the long poll, which sleeps on the
event loop between cheap head reads so waiting clients hold no thread. Pages are built with
Core selects (storeserver.streams) and serialized with orjson straight into the response;
the pydantic models below only document the shapes in /openapi.json.
"""
# No `from __future__ import annotations`: FastAPI must see the Annotated aliases made in create_app.

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, delete, insert, select, update
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import auth, cursors, streams
from .db import make_engine, write_txn
from .models import Agent, AuthSession, Shop
from .streams import STREAM_NAMES as STREAMS
from .ops import utcnow

_sessions, _agents, _shops = AuthSession.__table__, Agent.__table__, Shop.__table__
_JSON_OPTS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
WAIT_POLL_SECONDS = 0.2


def dumps(obj: Any) -> bytes:
    """Wire JSON: naive datetimes are UTC and get a Z suffix, no microseconds."""
    return orjson.dumps(obj, option=_JSON_OPTS)


def json_response(obj: Any, status_code: int = 200) -> Response:
    return Response(dumps(obj), status_code=status_code, media_type="application/json")


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def _auth_error(code: str, detail: str) -> ApiError:
    return ApiError(401, code, detail, {"WWW-Authenticate": "Bearer"})


# ---- documented shapes (OpenAPI only) ------------------------------------------------------

class LoginRequest(BaseModel):
    login: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class AgentOut(BaseModel):
    id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str


class LoginOut(BaseModel):
    token: str
    expires_at: str
    agent: AgentOut


class HeadOut(BaseModel):
    seq: int
    epoch: int


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


class ErrorOut(BaseModel):
    detail: str
    code: str


@dataclass(frozen=True)
class Caller:
    agent_id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str
    token_sha256: str

    def wire(self) -> dict:
        return {"id": self.agent_id, "login": self.login, "display_name": self.display_name,
                "agent_no": self.agent_no, "shop_id": self.shop_id, "shop_name": self.shop_name}


def create_app(engine_or_url: Engine | str, *, token_ttl: timedelta = timedelta(hours=12)) -> FastAPI:
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    read_opts = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    app = FastAPI(title="Store backend", version="1", summary="Reference store back office (sync protocol v1)",
                  responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}})
    app.state.engine = engine
    app.state.token_ttl = token_ttl
    _install_error_handlers(app)

    def reader():
        """A read transaction: one consistent view of the database for the whole request."""
        return engine.connect().execution_options(**read_opts)

    def caller(authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _auth_error("missing_token", "sign in first: send Authorization: Bearer <token>")
        digest = auth.token_digest(token.strip())
        q = (select(_sessions.c.expires_at, _agents.c.id, _agents.c.login, _agents.c.display_name,
                    _agents.c.agent_no, _agents.c.active, _shops.c.id.label("shop_id"),
                    _shops.c.name.label("shop_name"))
             .join(_agents, _agents.c.id == _sessions.c.agent_id)
             .join(_shops, _shops.c.id == _agents.c.shop_id)
             .where(_sessions.c.token_sha256 == digest))
        with engine.connect() as conn:
            row = conn.execute(q).one_or_none()
        if row is None or not row.active:
            raise _auth_error("bad_token", "the token is not valid; sign in again")
        now = utcnow()
        if row.expires_at <= now:
            raise _auth_error("token_expired", "the session has expired; sign in again")
        ttl = app.state.token_ttl
        if row.expires_at - now < ttl / 2:
            # Sliding expiry: a token in use is renewed (at most once per half lifetime, so
            # this write is rare); an idle one still expires `token_ttl` after its last use.
            with write_txn(engine) as conn:
                conn.execute(update(_sessions).where(_sessions.c.token_sha256 == digest)
                             .values(expires_at=now + ttl))
        return Caller(row.id, row.login, row.display_name, row.agent_no, row.shop_id, row.shop_name, digest)

    Auth = Annotated[Caller, Depends(caller)]

    @app.post("/api/v1/auth/login", response_model=LoginOut, tags=["auth"],
              responses={401: {"model": ErrorOut, "description": "bad_credentials"}})
    def login(body: LoginRequest):
        with engine.connect() as conn:
            row = conn.execute(
                select(_agents, _shops.c.name.label("shop_name"))
                .join(_shops, _shops.c.id == _agents.c.shop_id)
                .where(_agents.c.login == body.login, _agents.c.active.is_(True))).one_or_none()
        # Same work and same answer for an unknown login and a wrong password.
        if not auth.verify_password(row.password_hash if row else None, body.password) or row is None:
            raise ApiError(401, "bad_credentials", "wrong login or password")
        token, now = auth.new_token(), utcnow()
        expires = now + app.state.token_ttl
        with write_txn(engine) as conn:
            conn.execute(delete(_sessions).where(_sessions.c.agent_id == row.id,
                                                 _sessions.c.expires_at < now))
            conn.execute(insert(_sessions).values(token_sha256=auth.token_digest(token),
                                                  agent_id=row.id, created_at=now, expires_at=expires))
        agent = Caller(row.id, row.login, row.display_name, row.agent_no, row.shop_id, row.shop_name, "")
        return json_response({"token": token, "expires_at": expires, "agent": agent.wire()})

    @app.post("/api/v1/auth/logout", status_code=204, tags=["auth"])
    def logout(who: Auth):
        with write_txn(engine) as conn:
            conn.execute(delete(_sessions).where(_sessions.c.token_sha256 == who.token_sha256))
        return Response(status_code=204)

    @app.get("/api/v1/me", response_model=AgentOut, tags=["auth"])
    def me(who: Auth):
        return json_response(who.wire())

    def _head(shop_id: int) -> dict:
        with reader() as conn:
            st = streams.shop_state(conn, shop_id)
        return {"seq": st.seq, "epoch": st.epoch}

    @app.get("/api/v1/sync/head", response_model=HeadOut, tags=["sync"])
    def head(who: Auth):
        return json_response(_head(who.shop_id))

    @app.get("/api/v1/sync/wait", response_model=HeadOut, tags=["sync"])
    async def wait(who: Auth, after: Annotated[int, Query(ge=0)],
                   timeout: Annotated[float, Query(ge=0, le=30)] = 25.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            h = await run_in_threadpool(_head, who.shop_id)
            # after > seq means the client is from another history: answer now, it will resync.
            if h["seq"] != after or loop.time() >= deadline:
                return json_response(h)
            await asyncio.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - loop.time())))

    StreamName = Annotated[str, Path(description=f"one of {', '.join(STREAMS)}")]
    Limit = Annotated[int, Query(ge=1, le=5000)]

    def _check_stream(stream: str) -> None:
        if stream not in STREAMS:
            raise ApiError(404, "unknown_stream", f"no stream {stream!r}; streams: {', '.join(STREAMS)}")

    def _decode(text: str, kind: str, shop_id: int, stream: str | None = None) -> cursors.Cursor:
        try:
            return cursors.decode(text, kind=kind, shop_id=shop_id, stream=stream)
        except cursors.BadCursor as exc:
            raise ApiError(400, "bad_cursor", str(exc)) from None

    def _gone(detail: str) -> ApiError:
        return ApiError(410, "cursor_gone", detail + "; discard this stream and load it again")

    @app.get("/api/v1/sync/{stream}/snapshot", response_model=SnapshotOut, tags=["sync"],
             responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}, 410: {"model": ErrorOut}})
    def snapshot(who: Auth, stream: StreamName, cursor: str | None = None, limit: Limit = 1000):
        _check_stream(stream)
        shop = who.shop_id
        with reader() as conn:
            st = streams.shop_state(conn, shop)
            if cursor is None:
                snap_seq, before, total = st.seq, None, streams.snapshot_total(conn, stream, shop, st.seq)
            else:
                c = _decode(cursor, "s", shop, stream)
                if c.epoch != st.epoch:
                    raise _gone("the shop's history was reset")
                if c.seq > st.seq:
                    raise ApiError(400, "bad_cursor", "the cursor is ahead of the shop")
                snap_seq, before, total = c.seq, c.last_id, None
            items = streams.snapshot_items(conn, stream, shop, snap_seq, before, limit + 1)
        done = len(items) <= limit
        items = items[:limit]
        next_cursor = None if done else cursors.encode(
            cursors.Cursor("s", shop, st.epoch, snap_seq, stream, items[-1]["id"]))
        return json_response({"stream": stream, "items": items, "next_cursor": next_cursor,
                              "done": done, "feed_cursor": cursors.feed_cursor(shop, st.epoch, snap_seq),
                              "total": total})

    @app.get("/api/v1/sync/{stream}/changes", response_model=ChangesOut, tags=["sync"],
             responses={400: {"model": ErrorOut}, 404: {"model": ErrorOut}, 410: {"model": ErrorOut}})
    def changes(who: Auth, stream: StreamName, cursor: Annotated[str, Query(min_length=1)],
                limit: Limit = 1000):
        _check_stream(stream)
        shop = who.shop_id
        with reader() as conn:
            st = streams.shop_state(conn, shop)
            c = _decode(cursor, "f", shop)
            if c.epoch != st.epoch:
                raise _gone("the shop's history was reset")
            if c.seq < st.purged_seq:
                raise _gone("deletions this old are no longer kept")
            if c.seq > st.seq:
                raise ApiError(400, "bad_cursor", "the cursor is ahead of the shop")
            page, has_more = streams.changes(conn, stream, shop, c.seq, st.seq, limit)
        # Without more to come the page covers everything up to the head read above: the
        # cursor moves there even when the page is empty, so a quiet stream keeps up with the
        # shop and an old tombstone purge never sends it back to a full reload.
        next_seq = page[-1]["seq"] if has_more else st.seq
        next_cursor = cursor if next_seq == c.seq else cursors.feed_cursor(shop, st.epoch, next_seq)
        return json_response({"stream": stream, "changes": page, "next_cursor": next_cursor,
                              "has_more": has_more})

    return app


def _install_error_handlers(app: FastAPI) -> None:
    def body(detail: str, code: str, **extra) -> dict:
        return {"detail": detail, "code": code, **extra}

    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError):
        return JSONResponse(body(exc.detail, exc.code), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                  for e in exc.errors()]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse(body(f"{where}: {first['msg']}" if where else first["msg"],
                                 "invalid_request", errors=errors), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(body(str(exc.detail), code), exc.status_code, headers=exc.headers)
