"""The API's outer edge (an ASGI middleware): every request gets an id, oversized or
undecodable input is refused before routing, and any unexpected error becomes the
documented JSON error body, logged once with the request id (docs/PROTOCOL.md, "Errors").
"""
from __future__ import annotations

import logging
import secrets
import traceback
from typing import Any

import orjson

from .limits import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_QUERY_BYTES

log = logging.getLogger("storeserver.api")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def echo(text: str, limit: int = 32) -> str:
    """A short, escaped prefix of client input, safe to put in an error body or a log."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def error_body(status: int, code: str, detail: str, request_id: str, **extra: Any) -> dict:
    return {"detail": detail, "code": code, "request_id": request_id, **extra}


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


class EdgeMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            _check_head(scope)
            if scope["method"] in _BODY_METHODS:
                receive = await _checked_body(scope, receive)
        except _Refused as r:
            return await _send_json(send_with_id, r.status, error_body(r.status, r.code, r.detail,
                                                                       request_id, **r.extra))
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # noqa: BLE001 - the one place every unexpected error ends
            _log_unhandled(exc, scope, request_id)
            if not started:
                await _send_json(send_with_id, 500, error_body(
                    500, "internal_error",
                    f"the server failed on this request; quote request id {request_id} when reporting it",
                    request_id))


def _check_head(scope) -> None:
    query = scope.get("query_string", b"")
    if len(query) > MAX_QUERY_BYTES:
        raise _Refused(413, "too_large", f"the query string is over {MAX_QUERY_BYTES} bytes")
    if b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", ""):
        raise _Refused(422, "invalid_request", "the request contains a NUL character",
                       errors=[{"loc": ["query"], "msg": "NUL is not allowed", "type": "nul_character"}])
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY_BYTES):
            raise _Refused(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")


async def _checked_body(scope, receive):
    """Read the (small) body once; refuse it when too large or, if JSON, not decodable;
    hand the same bytes on to the app."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see that
            return _replay(b"", receive, first=message)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _Refused(413, "too_large", f"the body is over {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    if body and _is_json(scope):
        problem = _json_problem(body)
        if problem:
            raise _Refused(422, "invalid_request", f"body: {problem}",
                           errors=[{"loc": ["body"], "msg": problem, "type": "json_invalid"}])
    return _replay(body, receive)


def _replay(body: bytes, receive, first=None):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as before
    return replay


def _is_json(scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI reads a body without a content type as JSON too


def _json_problem(body: bytes) -> str | None:
    try:
        doc = orjson.loads(body)  # refuses invalid UTF-8 and lone surrogates
    except orjson.JSONDecodeError:
        return f"not valid JSON (UTF-8, at most {MAX_JSON_DEPTH} levels deep)"
    if _depth(doc) > MAX_JSON_DEPTH:
        return f"nested deeper than {MAX_JSON_DEPTH} levels"
    return None


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


async def _send_json(send, status: int, body: dict) -> None:
    payload = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _log_unhandled(exc: BaseException, scope, request_id: str) -> None:
    """Once per failure, with where it happened but not the exception messages: those can
    carry the request's raw values (a database error quotes its parameters)."""
    chain, seen, e = [], set(), exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        chain.append(f"{type(e).__module__}.{type(e).__qualname__}")
        e = e.__cause__ or e.__context__
    route = getattr(scope.get("route"), "path", None) or "(no route)"
    where = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    log.error("request %s: unhandled %s in %s %s\n%s", request_id, " <- ".join(chain),
              scope.get("method"), route, where.rstrip())
