"""The HTTP API of docs/PROTOCOL.md (FastAPI). `create_app(engine_or_url)` builds it.

Endpoints are sync (`def`, run in the threadpool) except the long polls, which wait on the
event loop for the notifier (storeserver.notify) so waiting clients hold no thread and cost
the database nothing until their shop changes. Pages are built with
Core selects (storeserver.streams) and serialized with orjson straight into the response;
the pydantic models of `storeserver.api_shapes` validate the bodies and document the
shapes in /openapi.json.
"""
# No `from __future__ import annotations`: FastAPI must see the Annotated aliases made in create_app.

import asyncio
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from collections.abc import Callable
from datetime import datetime, timedelta
from os import PathLike
from pathlib import Path as FsPath
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, delete, func, insert, select, update
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import auth, chat, cursors, fastwait, limits, longpoll, mutations, notify, presence, streams
from .api_shapes import (AUTH_RESPONSES, COMMON_RESPONSES, CURSOR_RESPONSES, LOGIN_RESPONSES,
                         NOT_FOUND_RESPONSES, RELAY_RESPONSES, AgentOut, ChangesOut, ErrorOut, HeadOut, LoginOut, LoginRequest,
                         MutationsIn, MutationsOut, PresenceIn, PresenceOut, RelayMessageIn, RelayMessagesOut,
                         RelayPostOut, SnapshotOut, _error)
from .edge import EdgeMiddleware, echo, error_body
from .db import make_engine, write_txn
from .models import Agent, AuthSession, Buyer, Message, Shop
from .streams import STREAM_NAMES as STREAMS
from .ops import NotFound, utcnow

_sessions, _agents, _shops = AuthSession.__table__, Agent.__table__, Shop.__table__
SSE_KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing an idle stream
SSE_MAX_S = 300.0       # then the stream ends (the client reconnects; the token is checked again)
_JSON_OPTS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
SEEN_EVERY_S = 30.0      # an agent's "last seen" is written at most this often (per process)
SEEN_BATCH_S = 5.0       # ... and those due are written together at most this often
CHECKED_FOR_S = 30.0     # a token (relay key) checked this recently is not read again (per process;
                         # longer than a long poll, so an idle agent's poll mostly reads only the head)
RELAY_PAGE = 100


def dumps(obj: Any) -> bytes:
    """Wire JSON: naive datetimes are UTC and get a Z suffix, no microseconds."""
    return orjson.dumps(obj, option=_JSON_OPTS)


def json_response(obj: Any, status_code: int = 200) -> Response:
    return Response(dumps(obj), status_code=status_code, media_type="application/json")


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None,
                 **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers, self.extra = status, code, detail, headers, extra


def _auth_error(code: str, detail: str) -> ApiError:
    return ApiError(401, code, detail, {"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Caller:
    agent_id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str
    overdue_after_s: int
    role: str
    token_sha256: str

    @property
    def manager(self) -> bool:
        return self.role == "manager"

    def wire(self) -> dict:
        return {"id": self.agent_id, "login": self.login, "display_name": self.display_name,
                "agent_no": self.agent_no, "shop_id": self.shop_id, "shop_name": self.shop_name,
                "overdue_after_s": self.overdue_after_s, "role": self.role}


@dataclass(frozen=True)
class _Checked:
    """A token's check as remembered for a moment (`auth.RecentChecks`)."""
    caller: Caller
    expires_at: Any  # naive UTC datetime


def create_app(engine_or_url: Engine | str, *, token_ttl: timedelta = timedelta(hours=12),
               login_guard: limits.LoginGuard | None = None, hash_slots: int | None = None,
               hash_queue: int = 8, notifier: "notify.Notifier | None" = None,
               refusal_delay_s: float = 1.0, clock: Callable[[], datetime] = utcnow,
               checked_for_s: float = CHECKED_FOR_S, cache_files: "PathLike | None" = None) -> FastAPI:
    """`login_guard` holds the sign-in budgets (default: the documented policy, in this
    process); `hash_slots` (default: half the cores, 1 to 4) and `hash_queue` bound
    concurrent password hashing; a refused sign-in
    is answered after `refusal_delay_s` (at most its Retry-After) so a client that ignores
    Retry-After cannot spin on 429s. `notifier` carries live events (default: the database's,
    `notify.for_engine`). `clock` (naive UTC now) stamps the writes of /mutations and the
    relay (tests move it to another China-time day). A token or relay key checked in the
    last `checked_for_s` seconds is trusted without a read while the notifier hears
    sign-outs (docs/PROTOCOL.md, "Auth"). `cache_files`: the directory of the shops' cache
    files (`storeserver.cachefiles`; None: none are offered, clients page)."""
    cache_dir = None if cache_files is None else FsPath(cache_files)
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    # A database error's message must not carry the request's values into a log.
    engine.hide_parameters = True
    read_opts = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    # One statement needs no transaction around it: on PostgreSQL that saves the BEGIN and
    # ROLLBACK round trips (the long poll's head read is most of what idle agents cost).
    single_opts = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}
    @asynccontextmanager
    async def lifespan(_app):
        # A served process listens from the start (without a lifespan, e.g. the tests'
        # in-thread servers, the first long poll starts it).
        await _app.state.notifier.ensure_listening()
        yield
        await _app.state.notifier.aclose()  # the listener connection goes with the process

    app = FastAPI(title="Store backend", version="1", summary="Reference store back office (sync protocol v1)",
                  responses=COMMON_RESPONSES, lifespan=lifespan)
    app.state.engine = engine
    app.state.token_ttl = token_ttl
    app.state.login_guard = login_guard or limits.InProcessLoginGuard()
    app.state.refusal_delay_s = refusal_delay_s
    app.state.hash_pool = hash_pool = limits.HashPool(hash_slots, hash_queue)
    if notifier is not None:
        notify.install(engine, notifier)
    app.state.notifier = notifier = notify.for_engine(engine)
    app.state.polls = polls = longpoll.LongPoll(engine, notifier, dumps)
    app.state.token_checks = token_checks = auth.RecentChecks(checked_for_s)
    relay_checks = auth.RecentChecks(checked_for_s)
    notifier.remember_tokens(token_checks)
    _install_error_handlers(app)
    bearer = HTTPBearer(auto_error=False, description="the token from /api/v1/auth/login")
    relay_header = APIKeyHeader(name="Authorization", auto_error=False, scheme_name="RelayKey",
                                description="`Relay <key>`: the shop's relay key (the buyer relay only)")
    seen_at: dict[int, float] = {}  # agent id -> monotonic time it was last due to be written here
    seen_due: set[int] = set()      # agents due, written together with the next batch
    seen_batch = {"at": time.monotonic()}
    seen_lock = threading.Lock()

    def _seen_batch(agent_id: int) -> list[int]:
        """An agent's request: at most one "seen" per agent per SEEN_EVERY_S in this process,
        written in batches at most every SEEN_BATCH_S (50 idle agents: one small write
        transaction per batch, not one each). Returns the batch to write now (mostly [])."""
        t = time.monotonic()
        with seen_lock:
            if t - seen_at.get(agent_id, -SEEN_EVERY_S) >= SEEN_EVERY_S:
                seen_at[agent_id] = t
                seen_due.add(agent_id)
            if not seen_due or t - seen_batch["at"] < SEEN_BATCH_S:
                return []
            batch = sorted(seen_due)
            seen_due.clear()
            seen_batch["at"] = t
        return batch

    def _write_seen(batch: list[int], conn=None) -> None:
        now = utcnow()
        if conn is not None:
            for due in batch:
                chat.mark_seen(conn, due, now)
            return
        with write_txn(engine) as c:
            _write_seen(batch, c)

    def _record_seen(agent_id: int, conn=None) -> None:
        """At sign-in (`conn`, its transaction): at once; else as `_seen_batch` says."""
        if conn is not None:
            seen_at[agent_id] = time.monotonic()
            _write_seen([agent_id], conn)
        else:
            batch = _seen_batch(agent_id)
            if batch:
                _write_seen(batch)

    def reader():
        """A read transaction: one consistent view of the database for the whole request."""
        return engine.connect().execution_options(**read_opts)

    def single_reader():
        """For ONE statement (or statements that need no common view): no transaction."""
        return engine.connect().execution_options(**single_opts)

    async def known_caller(token: str) -> Caller | None:
        """The agent of a token checked a moment ago, on the event loop (no hand-over to a
        worker thread, no read; its "last seen" batch may be due), or None: read it."""
        known: _Checked | None = token_checks.get(auth.token_digest(token)) if notifier.hears_sign_outs() else None
        if known is None or known.expires_at - utcnow() < app.state.token_ttl / 2:
            return None  # never checked, or expired, or a renewal is due
        batch = _seen_batch(known.caller.agent_id)
        if batch:
            await run_in_threadpool(_write_seen, batch)
        return known.caller

    async def caller(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        """The signed-in agent. Async: a token checked a moment ago is answered on the event
        loop (`known_caller`); a read or write goes to the threadpool."""
        token = creds.credentials.strip() if creds and creds.scheme.lower() == "bearer" else ""
        if not token:
            raise _auth_error("missing_token", "sign in first: send Authorization: Bearer <token>")
        return await known_caller(token) or await run_in_threadpool(
            _check_token, auth.token_digest(token), notifier.hears_sign_outs())

    def _check_token(digest: str, trusted: bool) -> Caller:
        generation = token_checks.generation()
        q = (select(_sessions.c.expires_at, _agents.c.id, _agents.c.login, _agents.c.display_name,
                    _agents.c.agent_no, _agents.c.active, _agents.c.role, _shops.c.id.label("shop_id"),
                    _shops.c.name.label("shop_name"), _shops.c.overdue_after_s)
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
        expires_at = row.expires_at
        if expires_at - now < ttl / 2:
            # Sliding expiry: a token in use is renewed (at most once per half lifetime, so
            # this write is rare); an idle one expires between ttl/2 and ttl after its last use.
            expires_at = now + ttl
            with write_txn(engine) as conn:
                conn.execute(update(_sessions).where(_sessions.c.token_sha256 == digest)
                             .values(expires_at=expires_at))
        _record_seen(row.id)
        who = Caller(row.id, row.login, row.display_name, row.agent_no, row.shop_id, row.shop_name,
                     row.overdue_after_s, row.role, digest)
        if trusted:
            token_checks.put(digest, _Checked(who, expires_at), generation)
        return who

    Auth = Annotated[Caller, Depends(caller)]

    def _relay_key_shop(digest: str) -> int | None:
        generation = relay_checks.generation()
        with single_reader() as conn:
            shop_id = conn.execute(select(_shops.c.id).where(
                _shops.c.relay_key_sha256 == digest)).scalar_one_or_none()
        if shop_id is not None:
            relay_checks.put(digest, shop_id, generation)
        return shop_id

    async def relay_shop(value: Annotated[str | None, Depends(relay_header)]) -> int:
        """The shop whose relay key the request carries (`Authorization: Relay <key>`)."""
        scheme, _, key = (value or "").strip().partition(" ")
        key = key.strip()
        shop_id = None
        if scheme.lower() == "relay" and key:
            digest = auth.relay_key_digest(key)
            shop_id = relay_checks.get(digest)
            if shop_id is None:
                shop_id = await run_in_threadpool(_relay_key_shop, digest)
        if shop_id is None:
            raise ApiError(401, "bad_relay_key", "send Authorization: Relay <the shop's relay key>",
                           {"WWW-Authenticate": "Relay"})
        return shop_id

    RelayShop = Annotated[int, Depends(relay_shop)]

    def _credentials_ok(login: str, password: str):
        """The agent row when login and password match, else None (runs in the hash pool)."""
        with engine.connect() as conn:
            row = conn.execute(
                select(_agents, _shops.c.name.label("shop_name"), _shops.c.overdue_after_s)
                .join(_shops, _shops.c.id == _agents.c.shop_id)
                .where(_agents.c.login == login, _agents.c.active.is_(True))).one_or_none()
        # Same work and same answer for an unknown login and a wrong password.
        ok = auth.verify_password(row.password_hash if row else None, password)
        return row if ok and row is not None else None

    def _open_session(row) -> dict:
        token, now = auth.new_token(), utcnow()
        expires = now + app.state.token_ttl
        with write_txn(engine) as conn:
            conn.execute(delete(_sessions).where(_sessions.c.agent_id == row.id,
                                                 _sessions.c.expires_at < now))
            conn.execute(insert(_sessions).values(token_sha256=auth.token_digest(token),
                                                  agent_id=row.id, created_at=now, expires_at=expires))
            _record_seen(row.id, conn)
        agent = Caller(row.id, row.login, row.display_name, row.agent_no, row.shop_id, row.shop_name,
                       row.overdue_after_s, row.role, "")
        return {"token": token, "expires_at": expires, "agent": agent.wire()}

    async def _refuse(exc: limits.TooManyAttempts) -> ApiError:
        await asyncio.sleep(min(app.state.refusal_delay_s, exc.retry_after_s))
        n = exc.retry_after_s
        return ApiError(429, "too_many_attempts", f"{exc}; try again in {n} s",
                        {"Retry-After": str(n)}, retry_after_s=n)

    @app.post("/api/v1/auth/login", response_model=LoginOut, tags=["auth"], responses=LOGIN_RESPONSES)
    async def login(body: LoginRequest, request: Request):
        address = request.client.host if request.client else "unknown"
        guard: limits.LoginGuard = app.state.login_guard
        try:
            guard.begin(body.login, address)
        except limits.TooManyAttempts as exc:
            raise await _refuse(exc) from None
        outcome = None  # not tried: the budgets get their charge back
        try:
            row = await hash_pool.run(_credentials_ok, body.login, body.password)
            outcome = row is not None
        except limits.TooManyAttempts as exc:
            raise await _refuse(exc) from None
        finally:
            guard.finish(body.login, address, outcome)
        if row is None:
            raise ApiError(401, "bad_credentials", "wrong login or password")
        return json_response(await run_in_threadpool(_open_session, row))

    @app.post("/api/v1/auth/logout", status_code=204, tags=["auth"], responses=AUTH_RESPONSES)
    def logout(who: Auth):
        with write_txn(engine) as conn:
            conn.execute(delete(_sessions).where(_sessions.c.token_sha256 == who.token_sha256))
            notify.sign_out(conn, who.token_sha256)  # every process forgets the token
        token_checks.forget(who.token_sha256)
        return Response(status_code=204)

    @app.get("/api/v1/me", response_model=AgentOut, tags=["auth"], responses=AUTH_RESPONSES)
    def me(who: Auth):
        return json_response(who.wire())

    def _visible_streams(who: Caller, after: int, h: dict) -> list[str]:
        named = h["streams"]
        scoped = [name for name in named if streams.STREAMS[name].visible is not None]
        with single_reader() as conn:
            seen = set(streams.streams_changed_after(conn, who.shop_id, after, h["seq"], who.agent_no,
                                                     only=scoped))
        return [name for name in named if name not in scoped or name in seen]

    @app.get("/api/v1/sync/head", response_model=HeadOut, tags=["sync"], responses=AUTH_RESPONSES)
    def head(who: Auth):
        return json_response(polls.head(who.shop_id))

    @app.get("/api/v1/sync/wait", response_model=HeadOut, tags=["sync"], responses=AUTH_RESPONSES)
    async def wait(who: Auth, after: Annotated[int, Query(ge=0, le=limits.MAX_INT64)],
                   timeout: Annotated[float, Query(ge=0, le=30, allow_inf_nan=False)] = 25.0,
                   changes: Annotated[int, Query(ge=0, le=100, description="inline the change pages of "
                                                 "moved streams with at most this many changes")] = 0):
        return Response(await wait_body(who, after, timeout, changes), media_type="application/json")

    async def wait_body(who: Caller, after: int, timeout: float, changes: int) -> bytes:
        """The long poll's answer, for the route above and the short path (storeserver.fastwait)."""
        # after > seq means the client is from another history: answer now, it will resync.
        answer = await polls.wait(who.shop_id, after, timeout, changes)
        h = answer.head
        if h["seq"] != after and any(streams.STREAMS[name].visible is not None for name in h.get("streams", ())):
            # The shared read names what moved for anyone; a stream only some agents see
            # (a colleague's personal phrase) is named to this caller only if it moved for them.
            return dumps({**h, "streams": await run_in_threadpool(_visible_streams, who, after, h)})
        return answer.body  # encoded once for all its waiters

    async def short_wait(who: Caller, after: int, timeout: float, changes: int) -> bytes:
        app.state.short_waits += 1
        return await wait_body(who, after, timeout, changes)

    # Inside the edge (added first: the last added middleware is the outermost).
    app.state.short_waits = 0  # long polls answered by the short path (tests)
    app.add_middleware(fastwait.FastWait, known=known_caller, answer=short_wait)
    app.add_middleware(EdgeMiddleware)

    @app.get("/api/v1/sync/events", tags=["sync"], responses=AUTH_RESPONSES | {
        200: {"description": "text/event-stream: `event: head` with `id: <seq>` and the Head as "
                             "`data`, each time the shop's head moves; `: keep-alive` comments",
              "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
    async def events(who: Auth, request: Request,
                     after: Annotated[int | None, Query(ge=0, le=limits.MAX_INT64)] = None,
                     last_event_id: Annotated[str | None, Header(max_length=20)] = None):
        """Server-sent events beside the long poll: the head now (unless it is `after`, or
        the `Last-Event-ID` a reconnecting EventSource sends), then each time it moves. The
        stream ends after SSE_MAX_S so the token is checked again; clients reconnect."""
        if after is None and last_event_id is not None and last_event_id.isdigit():
            after = min(int(last_event_id), limits.MAX_INT64)
        loop = asyncio.get_running_loop()

        async def stream():
            sent = after
            ends = loop.time() + SSE_MAX_S
            async with notifier.subscribe(who.shop_id) as waiter:
                head_now = await run_in_threadpool(polls.head, who.shop_id)
                while True:
                    if head_now["seq"] != sent:
                        sent = head_now["seq"]
                        yield b"id: %d\nevent: head\ndata: %s\n\n" % (sent, dumps(head_now))
                    left = ends - loop.time()
                    if left <= 0:
                        return
                    if await waiter.wait(min(SSE_KEEPALIVE_S, left)):
                        head_now = await run_in_threadpool(polls.head, who.shop_id)
                    elif not await request.is_disconnected():
                        yield b": keep-alive\n\n"
                    else:
                        return

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/v1/mutations", response_model=MutationsOut, tags=["writes"],
              responses=AUTH_RESPONSES)
    def post_mutations(who: Auth, body: MutationsIn):
        batch = [{**m.model_dump(), "mutation_id": m.mutation_id.lower()} for m in body.mutations]
        ctx = mutations.Context(who.shop_id, who.agent_no, clock(), who.agent_id, who.manager)
        with write_txn(engine) as conn:
            results = mutations.apply_batch(conn, ctx, batch)
        return json_response({"results": results})

    # ---- the buyer relay (docs/PROTOCOL.md, "Buyer relay") ---------------------------------
    _buyers, _msgs = Buyer.__table__, Message.__table__
    Id = Annotated[int, Path(ge=1, le=limits.MAX_INT64)]

    @app.post("/api/v1/relay/messages", response_model=RelayPostOut, tags=["relay"],
              responses=RELAY_RESPONSES | {409: _error(ErrorOut, "client_id_reused: the client id "
                                                                 "names another message")})
    def relay_post(shop_id: RelayShop, body: RelayMessageIn):
        with write_txn(engine) as conn:
            try:
                got = chat.buyer_message(conn, shop_id, body.buyer_id, body.text,
                                         client_id=body.client_id.lower(), product_id=body.product_id,
                                         now=clock())
            except NotFound as exc:
                raise ApiError(404, "not_found", f"no {exc} in this shop") from None
            except chat.ClientIdReused as exc:
                raise ApiError(409, "client_id_reused", str(exc)) from None
        return json_response({"message": got.message, "conversation_id": got.conversation_id,
                              "duplicate": got.duplicate})

    def _buyer_messages(shop_id: int, buyer_id: int, after: int) -> tuple[list[dict], int, bool]:
        """(messages after `after`, the shop seq they are as of, whether `after` is beyond
        every message of the shop: a cursor from another history, answered at once)."""
        with reader() as conn:
            seq = streams.shop_state(conn, shop_id).seq
            if conn.execute(select(_buyers.c.id).where(_buyers.c.id == buyer_id,
                                                       _buyers.c.shop_id == shop_id)).first() is None:
                raise ApiError(404, "not_found", f"no buyer {buyer_id} in this shop")
            items = chat.buyer_messages(conn, shop_id, buyer_id, after, RELAY_PAGE)
            newest = conn.execute(select(func.max(_msgs.c.id)).where(_msgs.c.shop_id == shop_id)).scalar()
        return items, seq, after > (newest or 0)

    @app.get("/api/v1/relay/buyers/{buyer_id}/messages", response_model=RelayMessagesOut,
             tags=["relay"], responses=RELAY_RESPONSES)
    async def relay_messages(shop_id: RelayShop, buyer_id: Id,
                             after: Annotated[int, Query(ge=0, le=limits.MAX_INT64)] = 0,
                             timeout: Annotated[float, Query(ge=0, le=30, allow_inf_nan=False)] = 0.0):
        # Woken only by messages of this buyer's conversations (the notifier names the buyer).
        items, _, _ = await polls.await_change(shop_id, timeout, lambda got: bool(got[0]) or got[2],
                                               lambda: _buyer_messages(shop_id, buyer_id, after),
                                               buyer_id=buyer_id)
        return json_response({"messages": items})

    # ---- presence (docs/PROTOCOL.md, "Presence") -----------------------------------------------

    def _not_found(fn, *args):
        try:
            return fn(*args)
        except NotFound as exc:
            raise ApiError(404, "not_found", f"no {exc} in this shop") from None

    @app.put("/api/v1/conversations/{conversation_id}/presence", status_code=204, tags=["chat"],
             responses=AUTH_RESPONSES | NOT_FOUND_RESPONSES)
    def put_presence(who: Auth, conversation_id: Id, body: PresenceIn):
        with write_txn(engine) as conn:
            _not_found(presence.put, conn, who.shop_id, conversation_id, who.agent_id, body.state, utcnow())
        return Response(status_code=204)

    @app.get("/api/v1/conversations/{conversation_id}/presence", response_model=PresenceOut,
             tags=["chat"], responses=AUTH_RESPONSES | NOT_FOUND_RESPONSES)
    def get_presence(who: Auth, conversation_id: Id):
        with reader() as conn:
            others = _not_found(presence.others, conn, who.shop_id, conversation_id, who.agent_id, utcnow())
        return json_response({"others": others})

    # Documented as an enum; any other name is answered 404 unknown_stream (not 422).
    StreamName = Annotated[str, Path(description=f"one of {', '.join(STREAMS)}",
                                     json_schema_extra={"enum": list(STREAMS)})]
    Limit = Annotated[int, Query(ge=1, le=5000)]
    CursorText = Annotated[str, Query(min_length=1, max_length=limits.MAX_CURSOR_CHARS,
                                      description="a cursor from an earlier page, verbatim")]

    def _check_stream(stream: str) -> None:
        if stream not in STREAMS:
            raise ApiError(404, "unknown_stream", f"no stream {echo(stream)}; streams: {', '.join(STREAMS)}")

    def _decode(text: str, kind: str, shop_id: int, stream: str | None = None) -> cursors.Cursor:
        try:
            return cursors.decode(text, kind=kind, shop_id=shop_id, stream=stream)
        except cursors.BadCursor as exc:
            raise ApiError(400, "bad_cursor", str(exc)) from None

    def _gone(detail: str) -> ApiError:
        return ApiError(410, "cursor_gone", detail + "; discard this stream and load it again")

    from . import cachefile_api  # noqa: PLC0415 (it imports this module's ApiError)

    cachefile_api.add_routes(app, Auth, reader, cache_dir)

    @app.get("/api/v1/sync/{stream}/snapshot", response_model=SnapshotOut, tags=["sync"],
             responses=AUTH_RESPONSES | CURSOR_RESPONSES)
    def snapshot(who: Auth, stream: StreamName, cursor: CursorText | None = None, limit: Limit = 1000):
        _check_stream(stream)
        shop = who.shop_id
        with reader() as conn:
            st = streams.shop_state(conn, shop)
            if cursor is None:
                snap_seq, before, total = st.seq, None, streams.snapshot_total(conn, stream, shop, st.seq,
                                                                               who.agent_no)
            else:
                c = _decode(cursor, "s", shop, stream)
                if c.epoch != st.epoch:
                    raise _gone("the shop's history was reset")
                if c.seq > st.seq:
                    raise ApiError(400, "bad_cursor", "the cursor is ahead of the shop")
                snap_seq, before, total = c.seq, c.last_id, None
            # Each entity's JSON made by the database (streams.snapshot_json): a first sync's cost.
            body = streams.snapshot_body(conn, stream, shop, st.epoch, snap_seq, before, limit, total,
                                         who.agent_no)
        return Response(body, media_type="application/json")

    @app.get("/api/v1/sync/{stream}/changes", response_model=ChangesOut, tags=["sync"],
             responses=AUTH_RESPONSES | CURSOR_RESPONSES)
    def changes(who: Auth, stream: StreamName, cursor: CursorText, limit: Limit = 1000):
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
            page, has_more = streams.changes(conn, stream, shop, c.seq, st.seq, limit, who.agent_no)
        # Without more to come the page covers everything up to the head read above: the
        # cursor moves there even when the page is empty, so a quiet stream keeps up with the
        # shop and an old tombstone purge never sends it back to a full reload.
        next_seq = page[-1]["seq"] if has_more else st.seq
        next_cursor = cursor if next_seq == c.seq else cursors.feed_cursor(shop, st.epoch, next_seq)
        return json_response({"stream": stream, "changes": page, "next_cursor": next_cursor,
                              "has_more": has_more, "seq": next_seq})

    return app


def _loc_part(part: Any) -> str | int:
    """A field name as sent back in `errors[].loc`; anything odd (a client-chosen key) escaped."""
    if isinstance(part, int):
        return part
    text = str(part)
    return text if len(text) <= 40 and text.isprintable() else echo(text, 40)


def _install_error_handlers(app: FastAPI) -> None:
    def reply(req: Request, status: int, code: str, detail: str, headers=None, **extra) -> JSONResponse:
        return JSONResponse(error_body(status, code, detail, req.state.request_id, **extra), status,
                            headers=headers)

    @app.exception_handler(ApiError)
    async def _api_error(req: Request, exc: ApiError):
        return reply(req, exc.status, exc.code, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(req: Request, exc: RequestValidationError):
        # Only where and why: pydantic's `input` (the raw value) is never sent back.
        errors = [{"loc": [_loc_part(p) for p in e.get("loc", ())],
                   "msg": str(e.get("msg", ""))[:200], "type": str(e.get("type", ""))}
                  for e in exc.errors()[:20]]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return reply(req, 422, "invalid_request", f"{where}: {first['msg']}" if where else first["msg"],
                     errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            # FastAPI could not decode a JSON body the edge let through: still 422 by contract.
            return reply(req, 422, "invalid_request", "body: not valid JSON",
                         errors=[{"loc": ["body"], "msg": "not valid JSON", "type": "json_invalid"}])
        return reply(req, exc.status_code, code, str(exc.detail), exc.headers)
