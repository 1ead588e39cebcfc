"""Real-socket fault injection on loopback: a small HTTP-aware TCP proxy that can cut or
rewrite one response, and a scripted HTTP server for status-code behaviour.

Both bind 127.0.0.1 only and are closed by their owners (the fixtures)."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

IO_TIMEOUT_S = 30.0


# ---- HTTP/1.1 framing helpers ----------------------------------------------------------

def _read_head(sock: socket.socket, buf: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head = bytes(buf[:end])
    del buf[:end]
    return head


def _headers(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    pairs = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    return lines[0], pairs  # type: ignore[return-value]


def _get(pairs: list[tuple[str, str]], name: str) -> str | None:
    for k, v in pairs:
        if k.lower() == name:
            return v
    return None


def _read_exact(sock: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    out = bytes(buf[:n])
    del buf[:n]
    return out


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        eol = data.index(b"\r\n", pos)
        size = int(data[pos:eol].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[eol + 2: eol + 2 + size]
        pos = eol + 2 + size + 2


def _build(start: str, pairs: list[tuple[str, str]], body: bytes) -> bytes:
    skip = {"content-length", "transfer-encoding", "connection"}
    lines = [start] + [f"{k}: {v}" for k, v in pairs if k.lower() not in skip]
    lines += [f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---- the proxy -------------------------------------------------------------------------

@dataclass
class Fault:
    """What to do with the response to the next request whose path contains `path_part`."""

    path_part: str
    action: str                     # "cut" (send half the body, then close) or "rewrite"
    rewrite: Callable[[bytes], bytes] | None = None
    times: int = 1
    hits: int = 0


@dataclass
class FaultProxy:
    """Forwards 127.0.0.1:<port> to an upstream HTTP server, one request per connection."""

    upstream: tuple[str, int]
    faults: list[Fault] = field(default_factory=list)
    requests_seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def close(self) -> None:
        self._closed.set()
        try:
            self._listener.close()
        except OSError:
            pass

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.path_part in target and fault.hits < fault.times:
                    fault.hits += 1
                    return fault
        return None

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(IO_TIMEOUT_S)
        with client:
            buf = bytearray()
            head = _read_head(client, buf)
            if head is None:
                return
            start, pairs = _headers(head)
            body = _read_exact(client, buf, int(_get(pairs, "content-length") or 0))
            target = start.split(" ")[1]
            self.requests_seen.append(target)
            status_line, rpairs, rbody = self._forward(start, pairs, body)
            fault = self._take_fault(target)
            if fault is not None and fault.action == "cut":
                # Announce the full length, send half, drop the connection.
                full = _build(status_line, rpairs, rbody)
                client.sendall(full[: len(full) - len(rbody) // 2])
                client.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None and fault.action == "rewrite" and fault.rewrite:
                rbody = fault.rewrite(rbody)
            client.sendall(_build(status_line, rpairs, rbody))

    def _forward(self, start: str, pairs: list[tuple[str, str]],
                 body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
        up = socket.create_connection(self.upstream, timeout=IO_TIMEOUT_S)
        with up:
            up.sendall(_build(start, pairs, body))
            buf = bytearray()
            head = _read_head(up, buf)
            assert head is not None, "upstream closed without answering"
            status_line, rpairs = _headers(head)
            length = _get(rpairs, "content-length")
            if length is not None:
                rbody = _read_exact(up, buf, int(length))
            else:
                while chunk := up.recv(65536):
                    buf += chunk
                rbody = bytes(buf)
                if (_get(rpairs, "transfer-encoding") or "").lower() == "chunked":
                    rbody = _dechunk(rbody)
            return status_line, rpairs, rbody


# ---- a scripted HTTP server ------------------------------------------------------------

@dataclass
class Reply:
    status: int
    body: bytes | dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None   # answer only once this is set (a long poll)


class ScriptedServer:
    """Answers each path with the next scripted reply (the last one repeats); logs requests."""

    def __init__(self) -> None:
        self.script: dict[str, list[Reply]] = {}
        self.log: list[tuple[str, str]] = []
        self._cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = self.path.split("?")[0]
                replies = owner.script.get(path) or [Reply(404, {"detail": "no", "code": "nf"})]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                with owner._cond:
                    owner.log.append((self.command, self.path))
                    owner._cond.notify_all()
                if reply.hold is not None:
                    reply.hold.wait(IO_TIMEOUT_S)
                body = reply.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                body = body or b""
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, path: str, *replies: Reply) -> None:
        self.script["/api/v1" + path] = list(replies)

    def calls(self, path: str) -> int:
        return sum(1 for _, p in self.log if p.split("?")[0] == "/api/v1" + path)

    def wait_for_call(self, path: str, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.calls(path) > 0, timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
