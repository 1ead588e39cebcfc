"""How uvicorn serves the app (`storeserver serve`, the tests' in-thread servers).

Each buyer message answers every waiting agent's long poll, which then asks again: the HTTP
layer's own cost per request is most of what a burst of woken agents costs the event loop.
With `httptools` (a C parser) and `uvloop` installed (both are dependencies; uvloop does not
run on Windows) a request costs about half the CPU of h11's pure-Python parser and asyncio's
loop. h11 bounds a request's head (`h11_max_incomplete_event_size`); uvicorn's httptools
protocol has no bound, so `BoundedHttpTools` adds the same one. Without httptools (or
with `STORESERVER_HTTP=h11`) it is h11 as before.
"""
from __future__ import annotations

import importlib.util
import os
import secrets
from typing import Any

import orjson

from .limits import MAX_QUERY_BYTES, MAX_REQUEST_HEAD_BYTES

MAX_REQUEST_LINE_BYTES = 60 * 1024  # httptools parses URLs shorter than 64 KB

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is not installed: h11 it is
    HttpToolsProtocol = None

ENV_HTTP = "STORESERVER_HTTP"  # "h11" forces the pure-Python parser and loop


class BoundedHttpTools(HttpToolsProtocol or object):
    """uvicorn's httptools protocol with two bounds checked before the parser sees the bytes:
    - a request's head (the bytes received after it began, or the previous request ended,
      until it is complete): past MAX_REQUEST_HEAD_BYTES, 400 and the connection is closed,
      as with h11;
    - its request line: httptools cannot parse a URL of 64 KB or more (it would answer a
      plain 400); past MAX_REQUEST_LINE_BYTES the documented JSON 413 `too_large` is sent,
      as the edge answers any query over MAX_QUERY_BYTES, and the connection is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head, self._head_bytes, self._line_bytes = True, 0, 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._line_bytes is not None:  # still in the request line
                end = data.find(b"\n")
                self._line_bytes += len(data) if end < 0 else end
                if self._line_bytes > MAX_REQUEST_LINE_BYTES:
                    return self._refuse_long_query()
                if end >= 0:
                    self._line_bytes = None
            if self._head_bytes > MAX_REQUEST_HEAD_BYTES:
                self._in_head = False
                return self.send_400_response("Request head too large.")
        super().data_received(data)

    def _refuse_long_query(self) -> None:
        from .edge import error_body

        self._in_head = False
        request_id = secrets.token_hex(8)
        body = orjson.dumps(error_body(413, "too_large", f"the query string is over {MAX_QUERY_BYTES} bytes",
                                       request_id))
        self.transport.write(b"HTTP/1.1 413 Request Entity Too Large\r\ncontent-type: application/json\r\n"
                             b"content-length: %d\r\nx-request-id: %s\r\nconnection: close\r\n\r\n%s"
                             % (len(body), request_id.encode(), body))
        self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._head_bytes, self._line_bytes = True, 0, 0
        super().on_message_complete()


def uvicorn_options() -> dict[str, Any]:
    """The parser, loop and head bound to pass to `uvicorn.Config`."""
    h11_bound = {"h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES}
    if os.environ.get(ENV_HTTP) == "h11" or HttpToolsProtocol is None:
        return {"http": "h11", "loop": "asyncio", **h11_bound}
    loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return {"http": BoundedHttpTools, "loop": loop, **h11_bound}


def describe(options: dict[str, Any]) -> str:
    http = options["http"]
    return f"http {'httptools' if http is BoundedHttpTools else http}, loop {options['loop']}"
