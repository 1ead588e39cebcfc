"""A short path for the long poll (`GET /api/v1/sync/wait`), in front of FastAPI's router.

Every buyer message wakes each waiting agent: its long poll is answered and it asks again at
once, so 50 agents make 50 requests per message per shop. Through FastAPI's dependency and
validation machinery a wait costs ~0.2 ms of CPU before it even waits, on the one event loop
that a buyer's post also needs. This middleware answers the usual wait (a well-formed query,
a bearer token checked a moment ago) without that machinery; anything else (a first or
expiring token, a missing or odd parameter, a duplicate one) goes on to the FastAPI route,
which answers with the documented errors. Both paths build the answer with the same function
(`wait_body` in `storeserver.api`) and check the token with the same one (`known_caller`), so
they cannot drift apart.

It sits inside `EdgeMiddleware`: request ids, size and NUL checks and the 500 body are the
same for both paths.
"""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from .limits import MAX_INT64

PATH = "/api/v1/sync/wait"
MAX_TIMEOUT_S = 30.0
MAX_CHANGES = 100
DEFAULT_TIMEOUT_S = 25.0
_INT = re.compile(rb"[0-9]{1,19}\Z")
_TIMEOUT = re.compile(rb"[0-9]{1,2}(?:\.[0-9]{1,17})?\Z")  # repr() of a float: up to 17 digits
_JSON = (b"content-type", b"application/json")
_ROUTE = SimpleNamespace(path=PATH)


def parse_query(query: bytes) -> tuple[int, float, int] | None:
    """(after, timeout, changes) of a plain query, or None for the FastAPI route to judge:
    only these three names, each at most once, as plain decimal numbers in range."""
    after: int | None = None
    timeout: float | None = None
    changes: int | None = None
    for part in query.split(b"&"):
        name, eq, value = part.partition(b"=")
        if not eq:
            return None
        if name == b"after" and after is None and _INT.match(value):
            after = int(value)
        elif name == b"timeout" and timeout is None and _TIMEOUT.match(value):
            timeout = float(value)
        elif name == b"changes" and changes is None and _INT.match(value):
            changes = int(value)
        else:
            return None
    if after is None or after > MAX_INT64:
        return None
    timeout = DEFAULT_TIMEOUT_S if timeout is None else timeout
    changes = 0 if changes is None else changes
    if timeout > MAX_TIMEOUT_S or changes > MAX_CHANGES:
        return None
    return after, timeout, changes


def bearer_token(headers) -> str | None:
    """The token of the first Authorization header when it says `Bearer <token>`."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            return token.decode("latin-1") if scheme.lower() == b"bearer" and token else None
    return None


class FastWait:
    """ASGI middleware: `known(token)` gives the caller of a token checked a moment ago, or
    None; `answer(caller, after, timeout, changes)` the wait's JSON body."""

    def __init__(self, app, known: Callable[[str], Awaitable[object | None]],
                 answer: Callable[..., Awaitable[bytes]]) -> None:
        self.app, self.known, self.answer = app, known, answer

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            query = parse_query(scope.get("query_string", b""))
            token = bearer_token(scope.get("headers", ())) if query is not None else None
            who = await self.known(token) if token is not None else None
            if who is not None:
                scope["route"] = _ROUTE  # what the edge names when it logs a failure
                body = await self.answer(who, *query)
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-length", b"%d" % len(body)), _JSON]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
