"""HTTP client of the store backend (docs/PROTOCOL.md): one `requests.Session`, timeouts on
every request, retries for idempotent GETs, and every failure mapped to a typed `SyncError`.
"""
from __future__ import annotations

import copy
import random
import socket
import threading
import time
import weakref
from typing import Any, Callable
from urllib.parse import quote

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.util.retry import Retry

from . import wire
from .errors import (AuthExpired, BadCredentials, CursorGone, RequestRejected, ServerFailure,
                     ServerUnreachable, SyncError, TLSFailure, TooManyAttempts)

RETRY_STATUSES = (429, 502, 503, 504)
MAX_RETRY_AFTER_S = 30.0  # never let one Retry-After header park the sync thread for long
BODY_RETRIES = 2  # a body cut mid-way is not retried by urllib3 (it already returned headers)
AUTH_CODES = {"token_expired", "bad_token", "missing_token"}


class _CappedRetry(Retry):
    """urllib3 Retry with Retry-After capped, so a misbehaving proxy cannot stall us."""

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), MAX_RETRY_AFTER_S)


def default_retry() -> Retry:
    # GET only: urllib3 still retries connect errors of a POST (nothing was sent), never a POST
    # whose request may have reached the server. raise_on_status=False gives us the last
    # response so it is mapped like any other failure.
    return _CappedRetry(total=5, connect=3, read=2, status=3, other=0,
                        backoff_factor=0.1, backoff_max=8.0, backoff_jitter=0.1,
                        status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                        respect_retry_after_header=True, raise_on_status=False,
                        raise_on_redirect=True)


def poll_retry() -> Retry:
    return _CappedRetry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.1,
                        allowed_methods=frozenset({"GET"}), raise_on_status=False,
                        raise_on_redirect=True)


POLL_GRACE_S = 5.0  # the long poll's read timeout is the server's hold time plus this


class StoreClient:
    """Talks to one store backend. Thread-compatible, not thread-safe: one worker uses it;
    `abort()` is the exception and may be called from any thread."""

    def __init__(self, base_url: str, *, token: str | None = None,
                 timeout: tuple[float, float] = (3.05, 15), verify: bool | str = True,
                 retry: Retry | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._sleep = sleep
        self._aborted = threading.Event()
        self._live_conns: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._session = self._new_session(verify, retry or default_retry(), self._live_conns,
                                          self._aborted.is_set)
        # The long poll has a session of its own, so `interrupt_wait` can break it without
        # touching the pages being fetched, and without ending the client.
        self._poll_conns: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._poll_interrupt: threading.Event | None = None
        # No read retries for the poll: a dead link must surface within one hold time, not
        # three (the sync loop decides what a failure means).
        self._poll_session = self._new_session(verify, retry or poll_retry(), self._poll_conns,
                                               self._poll_stopped)
        # The offline probe: one quick try, no retries (its caller retries every second or so).
        self._probe_session = self._new_session(verify, Retry(0, read=False, redirect=False),
                                                self._live_conns, self._aborted.is_set)
        self.last_success: float | None = None  # time.monotonic() of the last answer < 500

    @staticmethod
    def _new_session(verify: bool | str, retry: Retry, registry: "weakref.WeakSet[Any]",
                     stopped: Callable[[], bool]) -> requests.Session:
        session = requests.Session()
        session.verify = verify
        session.headers.update({"Accept": "application/json", "User-Agent": "Workstation/0.1"})
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=2)
        _make_abortable(adapter, registry, stopped)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _poll_stopped(self) -> bool:
        interrupt = self._poll_interrupt
        return self._aborted.is_set() or (interrupt is not None and interrupt.is_set())

    # ---- auth --------------------------------------------------------------------------

    def login(self, login: str, password: str) -> wire.LoginResponse:
        resp = self._request("POST", "/auth/login", json={"login": login, "password": password},
                             auth=False)
        result = wire.parse_login(resp.content)
        self.token = result.token
        return result

    def me(self) -> wire.AgentInfo:
        return wire.parse_agent(self._get("/me").content)

    def logout(self) -> None:
        """Ends the server session. An already-invalid token counts as logged out."""
        try:
            self._request("POST", "/auth/logout")
        except AuthExpired:
            pass
        self.token = None

    # ---- sync --------------------------------------------------------------------------

    def snapshot(self, stream: str, cursor: str | None, limit: int) -> wire.SnapshotPage:
        params: dict[str, Any] = {} if cursor is None else {"cursor": cursor}
        params["limit"] = limit
        resp = self._get(f"/sync/{quote(stream)}/snapshot", params=params, stream_name=stream)
        return wire.parse_snapshot_page(stream, resp.content)

    def changes(self, stream: str, cursor: str, limit: int) -> wire.ChangesPage:
        resp = self._get(f"/sync/{quote(stream)}/changes",
                         params={"cursor": cursor, "limit": limit}, stream_name=stream)
        return wire.parse_changes_page(stream, resp.content)

    def cache_file(self, schema: str) -> wire.CacheFileInfo | None:
        """The shop's prebuilt cache file for a first sync, or None when the server offers
        none for this cache schema (PROTOCOL.md, "Cache files")."""
        try:
            resp = self._get("/cache-file", params={"schema": schema})
        except RequestRejected as exc:
            if exc.status == 404:
                return None
            raise
        return wire.parse_cache_file(resp.content)

    def download(self, url: str, write: Callable[[bytes], None], *,
                 stopped: Callable[[], bool] = lambda: False, chunk: int = 1 << 20) -> int:
        """GET `url` (a path under /api/v1 the server named) and hand its body to `write` in
        chunks as it arrives; returns the bytes read. Not retried: a cut download raises
        ServerUnreachable (what was written is the caller's to discard). `stopped()` is
        asked between chunks; True ends it with ServerUnreachable too."""
        if not url.startswith("/api/v1/") or self._aborted.is_set():
            raise ServerUnreachable(f"cannot download {url!r}")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        path = url[len("/api/v1"):]
        try:
            with self._session.get(self.base_url + url, headers=headers, timeout=self.timeout, stream=True,
                                   allow_redirects=False) as resp:
                if resp.status_code >= 300:
                    resp.content  # noqa: B018 - the error body
                    _raise_for_status(resp, "GET", path, None)
                self.last_success = time.monotonic()
                done = 0
                # Raw bytes as sent (a gzip file is data here, not a transfer encoding).
                for block in resp.raw.stream(chunk, decode_content=False):
                    if stopped() or self._aborted.is_set():
                        raise ServerUnreachable(f"GET {path}: stopped")
                    write(block)
                    done += len(block)
                return done
        except SyncError:
            raise
        except requests.exceptions.SSLError as exc:
            raise TLSFailure(f"GET {path}: {exc}") from None
        except (requests.exceptions.RequestException, Urllib3Error, OSError, ValueError) as exc:
            raise ServerUnreachable(f"GET {path}: {_short(exc)}") from None

    def push_mutations(self, mutations: list[dict], *, timeout: tuple[float, float] = (3.05, 15)
                       ) -> list[wire.MutationResult]:
        """POST one batch of outbox writes; one result per mutation, in order. Not retried
        here (urllib3 never retries a POST that may have arrived): the outbox retries the
        same ids, which the server answers `duplicate`."""
        body = orjson.dumps({"mutations": mutations})  # UTF-8 as is: the size limit is bytes
        resp = self._request("POST", "/mutations", data=body, timeout=timeout,
                             headers={"Content-Type": "application/json"})
        return wire.parse_mutation_results(resp.content, [m["mutation_id"] for m in mutations])

    # ---- presence (best effort: quick, never retried, lost when offline) ----------------

    def set_presence(self, conversation_id: int, state: str, *, timeout: float = 2.0) -> None:
        """Tell colleagues this agent is viewing / typing in a conversation (`idle` ends it).
        One quick try: a failure raises the usual SyncError and is not worth retrying (the
        next renewal, a few seconds later, says it again)."""
        if state not in PRESENCE_STATES:
            raise ValueError(f"unknown presence state {state!r}; expected one of {', '.join(PRESENCE_STATES)}")
        self._request("PUT", f"/conversations/{_conversation_id(conversation_id)}/presence",
                      data=orjson.dumps({"state": state}), headers={"Content-Type": "application/json"},
                      timeout=(timeout, timeout), session=self._probe_session)

    def presence(self, conversation_id: int, *, timeout: float = 2.0) -> list[wire.Presence]:
        """The colleagues viewing or typing in a conversation now (the caller left out)."""
        resp = self._request("GET", f"/conversations/{_conversation_id(conversation_id)}/presence",
                             timeout=(timeout, timeout), session=self._probe_session)
        return wire.parse_presence(resp.content)

    def head(self) -> wire.Head:
        return wire.parse_head(self._get("/sync/head").content)

    def wait(self, after_seq: int, timeout: float, *, interrupt: threading.Event | None = None,
             changes: int = 0) -> wire.Head | None:
        """Long poll: returns when the shop's sequence passes `after_seq` or at `timeout`.

        With `interrupt`: returns None at once when that event is (or becomes) set and
        `interrupt_wait()` is called; the client stays usable (unlike `abort`). With
        `changes=n` (1..100) the answer inlines the change pages (`Head.changes`) of the
        moved streams that have at most n changes."""
        timeout = max(0.0, min(float(timeout), 30.0))
        self._poll_interrupt = interrupt
        if interrupt is not None and interrupt.is_set():
            return None
        try:
            # The read timeout must outlast the server's own hold time.
            params: dict[str, Any] = {"after": after_seq, "timeout": timeout}
            if changes:
                params["changes"] = max(0, min(int(changes), 100))
            resp = self._get("/sync/wait", params=params,
                             timeout=(self.timeout[0], timeout + POLL_GRACE_S),
                             session=self._poll_session)
        except ServerUnreachable:
            if interrupt is not None and interrupt.is_set() and not self._aborted.is_set():
                return None
            raise
        return wire.parse_head(resp.content)

    def interrupt_wait(self) -> None:
        """From any thread: end a long poll in flight whose `interrupt` event is set (see
        `wait`). Only the poll's own connection is cut."""
        for conn in list(self._poll_conns):
            _shutdown(conn)

    def probe(self, timeout: float = 1.5) -> bool:
        """One quick request: does the server answer at all? For noticing, while offline,
        that the network is back (no retries, short timeouts)."""
        if self._aborted.is_set():
            return False
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            resp = self._probe_session.get(self.base_url + "/api/v1/sync/head", headers=headers,
                                           timeout=(timeout, timeout), allow_redirects=False)
        except requests.exceptions.RequestException:
            return False
        if resp.status_code < 500 and resp.status_code != 429:
            self.last_success = time.monotonic()
            return True
        return False

    # ---- lifetime ----------------------------------------------------------------------

    def abort(self) -> None:
        """From any thread: make the request in flight (e.g. a long poll) fail at once with
        ServerUnreachable, and every later one too. Used by `SyncService.stop()`."""
        self._aborted.set()
        for conn in list(self._live_conns) + list(self._poll_conns):
            _shutdown(conn)
        self.close()

    def close(self) -> None:
        for session in (self._session, self._poll_session, self._probe_session):
            session.close()

    def __enter__(self) -> "StoreClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------

    def _get(self, path: str, *, params: dict[str, Any] | None = None,
             timeout: tuple[float, float] | None = None,
             stream_name: str | None = None,
             session: requests.Session | None = None) -> requests.Response:
        # urllib3 retries connect errors and retryable statuses; this loop adds the one case it
        # cannot see: the connection dropping while the body is being read.
        attempt = 0
        while True:
            try:
                return self._request("GET", path, params=params, timeout=timeout,
                                     stream_name=stream_name, session=session)
            except _BodyCut as cut:
                attempt += 1
                if attempt > BODY_RETRIES or self._aborted.is_set() or (
                        session is self._poll_session and self._poll_stopped()):
                    raise ServerUnreachable(f"connection dropped while reading {path}: "
                                            f"{cut.__cause__}") from None
                if attempt > 1:  # a cut connection is not the server asking for a pause: the
                    # first retry goes at once, later ones back off a little
                    self._sleep(min(4.0, 0.2 * 2 ** attempt) * random.uniform(0.5, 1.5))

    def _request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                 json: Any = None, data: bytes | None = None,
                 headers: dict[str, str] | None = None,
                 timeout: tuple[float, float] | None = None,
                 auth: bool = True, stream_name: str | None = None,
                 session: requests.Session | None = None) -> requests.Response:
        if self._aborted.is_set():
            raise ServerUnreachable("the client was stopped")
        headers = dict(headers or {})
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = (session or self._session).request(
                method, self.base_url + "/api/v1" + path, params=params, json=json, data=data,
                headers=headers, timeout=timeout or self.timeout, allow_redirects=False)
            resp.content  # noqa: B018 - read the body here so a cut body is caught below
        except requests.exceptions.SSLError as exc:
            raise TLSFailure(f"{method} {path}: {exc}") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            if method == "GET":
                raise _BodyCut() from exc
            raise ServerUnreachable(f"{method} {path}: {_short(exc)}") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise ServerUnreachable(f"{method} {path}: {_short(exc)}") from None
        except requests.exceptions.RequestException as exc:
            # e.g. InvalidURL, TooManyRedirects: a broken configuration, nothing to retry.
            raise ServerUnreachable(f"{method} {path}: {_short(exc)}") from None
        except (ValueError, OSError) as exc:
            # A TLS socket shut down under a blocked read by abort()/interrupt_wait() can
            # surface as these instead of a requests error.
            stopped = self._aborted.is_set() or (session is self._poll_session and self._poll_stopped())
            if not stopped:
                raise
            raise ServerUnreachable(f"{method} {path}: interrupted ({_short(exc)})") from None
        if resp.status_code < 500 and resp.status_code != 429:
            self.last_success = time.monotonic()
        if resp.status_code >= 300:
            _raise_for_status(resp, method, path, stream_name)
        if _cut_short(resp):
            # The connection dropped inside the response headers: http.client then reads "to
            # the end" of a body that never comes. A dropped connection, not bad data.
            if method == "GET":
                raise _BodyCut() from ServerUnreachable(f"{method} {path}: empty answer")
            raise ServerUnreachable(f"{method} {path}: the connection dropped before the answer")
        return resp


PRESENCE_STATES = ("viewing", "typing", "idle")


def _conversation_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"not a conversation id: {value!r}")
    return value


class _BodyCut(Exception):
    """Internal: the response body ended early (connection dropped mid-response)."""


def _cut_short(resp: requests.Response) -> bool:
    """A 2xx with an empty body where JSON is due: the connection dropped inside the response
    headers. (A body cut later is caught by its framing; an HTTP/1.0 proxy's unframed but
    whole body is fine.)"""
    return resp.status_code != 204 and not resp.content


def _raise_for_status(resp: requests.Response, method: str, path: str,
                      stream_name: str | None) -> None:
    status = resp.status_code
    body = wire.parse_error_body(resp.content)
    what = f"{method} {path} -> {status} {body.code or ''} {body.detail or ''}".strip()
    if status == 401:
        if body.code == "bad_credentials":
            raise BadCredentials(what)
        raise AuthExpired(what, reason=body.code or "bad_token")
    if status == 410:
        raise CursorGone(stream_name or "?", what)
    if status == 429 and body.code == "too_many_attempts":
        raise TooManyAttempts(what, retry_after_s=_retry_after_s(resp))
    if status >= 500 or status == 429:
        after = _retry_after_s(resp) if "Retry-After" in resp.headers else None
        raise ServerFailure(status, what, retry_after_s=after)
    raise RequestRejected(status, body.code, what)


def _retry_after_s(resp: requests.Response) -> int:
    """Retry-After in whole seconds (delta form; a date or garbage counts as 1 s), capped."""
    try:
        seconds = int(resp.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1
    return max(1, min(seconds, 3600))


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:297] + "..."


def _make_abortable(adapter: HTTPAdapter, registry: "weakref.WeakSet[Any]",
                    stopped: Callable[[], bool]) -> None:
    """Let `abort()` (another thread) break a request blocked in recv(), e.g. a long poll.

    Every connection registers itself once connected and shuts itself down if the client
    was already aborted; abort() sets the flag first, then shuts down what is registered, so
    no connection slips between the two. Retries stop once aborted (else urllib3 would
    reconnect and block again)."""

    def connected(conn: Any) -> None:
        registry.add(conn)
        if stopped():
            _shutdown(conn)

    class HTTPConn(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            connected(self)

    class HTTPSConn(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            connected(self)

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls = HTTPConn

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls = HTTPSConn

    adapter.poolmanager.pool_classes_by_scheme = {"http": HTTPPool, "https": HTTPSPool}

    retry = adapter.max_retries

    class AbortableRetry(type(retry)):  # type: ignore[misc]
        def increment(self, method: Any = None, url: Any = None, response: Any = None,
                      error: Any = None, _pool: Any = None, _stacktrace: Any = None) -> Retry:
            if stopped():
                raise MaxRetryError(_pool, url or "", error or ProtocolError("aborted"))
            return super().increment(method, url, response, error, _pool, _stacktrace)

    abortable = copy.copy(retry)
    abortable.__class__ = AbortableRetry
    adapter.max_retries = abortable


def _shutdown(conn: Any) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv(); close() would not
        except OSError:
            pass


__all__ = ["StoreClient", "SyncError", "default_retry", "RETRY_STATUSES"]
