"""A loopback TCP proxy that misbehaves like a bad office network, for fault tests and
`bench/faults.py`. Per proxied request (HTTP/1.1 keep-alive is turned into one request per
connection so each fault hits exactly one request) it draws one fault with the configured
probabilities:

- `drop_request`: the connection is closed before the request reaches the server;
- `drop_response`: the server handles the request, the client gets nothing (closed);
- `reset`: the connection is reset (RST) before anything is answered;
- `truncate`: half the response, then closed;
- `cut_headers`: the status line and part of the headers, then closed (arrives as an
  empty 200 body in `requests`);
- `status_503` / `status_429`: answered by the proxy itself (with `Retry-After: 1` for 429);
- `delay`: the response is held back for up to `max_delay_s`.

`mode` switches the whole link: "pass" (faults as configured), "down" (every connection
refused... reset at once, like a cable pulled), "hang" (accepted, never answered, like a
dead router). Loopback only; bounded; closed by its owner.
"""
from __future__ import annotations

import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

FAULTS = ("drop_request", "drop_response", "reset", "truncate", "cut_headers", "status_503",
          "status_429", "delay")


@dataclass
class Chaos:
    target: tuple[str, int]
    rates: dict[str, float] = field(default_factory=dict)
    max_delay_s: float = 1.0
    seed: int = 1
    mode: str = "pass"
    counts: dict[str, int] = field(default_factory=dict)
    delayed_s: float = 0.0  # total delay injected

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._held: list[socket.socket] = []
        self._active: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name="chaos-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def every(cls, target: tuple[str, int], rate: float, **kw) -> "Chaos":
        """Each fault at `rate` (e.g. 0.05 each)."""
        return cls(target, {f: rate for f in FAULTS}, **kw)

    def set_mode(self, mode: str) -> None:
        """"down" also resets the connections open now (a router reboot, a pulled cable
        with the switch noticing), "hang" leaves them as they are."""
        if mode not in ("pass", "down", "hang"):
            raise ValueError(mode)
        self.mode = mode
        if mode != "hang":
            self._release_held()
        if mode == "down":
            with self._lock:
                active = list(self._active)
            for sock in active:
                _reset(sock)

    def close(self) -> None:
        self._closed.set()
        self._release_held()
        self._listener.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "Chaos":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals -----------------------------------------------------------------------

    def _release_held(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            _close(sock)

    def _draw(self) -> str | None:
        with self._lock:
            x = self._rng.random()
            for name, rate in self.rates.items():
                if x < rate:
                    self.counts[name] = self.counts.get(name, 0) + 1
                    return name
                x -= rate
            return None

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._active.add(client)
        try:
            self._serve_one(client)
        finally:
            with self._lock:
                self._active.discard(client)

    def _serve_one(self, client: socket.socket) -> None:
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.mode == "down":
                _reset(client)
                return
            if self.mode == "hang":
                with self._lock:
                    self._held.append(client)
                return
            request = _read_request(client)
            if request is None:
                _close(client)
                return
            fault = self._draw()
            if fault in ("drop_request", "reset"):
                (_reset if fault == "reset" else _close)(client)
                return
            if fault in ("status_503", "status_429"):
                status = b"503 Service Unavailable" if fault == "status_503" else b"429 Too Many Requests"
                body = b'{"detail":"chaos","code":"chaos"}'
                client.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                               b"Retry-After: 1\r\nConnection: close\r\nContent-Length: "
                               + str(len(body)).encode() + b"\r\n\r\n" + body)
                _close(client)
                return
            response = _exchange(self.target, request)
            if response is None or fault == "drop_response":
                _close(client)
                return
            if fault == "delay":
                with self._lock:
                    pause = self._rng.uniform(0.1, self.max_delay_s)
                    self.delayed_s += pause
                self._closed.wait(pause)
            if fault == "truncate":
                client.sendall(response[: max(1, len(response) // 2)])
            elif fault == "cut_headers":
                head_end = response.find(b"\r\n\r\n")
                client.sendall(response[: max(12, head_end // 2)])
            else:
                client.sendall(response)
            _close(client)
        except OSError:
            _close(client)


def _read_request(sock: socket.socket) -> bytes | None:
    """One whole HTTP request (head + Content-Length body), rewritten to Connection: close."""
    sock.settimeout(30)
    buf = bytearray()
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    end = buf.index(b"\r\n\r\n") + 4
    head, body = bytes(buf[:end]), bytes(buf[end:])
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name == "content-length":
            length = int(line.split(":", 1)[1])
        if name in ("connection", "keep-alive") or not line:
            continue
        kept.append(line)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    kept.append("Connection: close")
    return ("\r\n".join(kept) + "\r\n\r\n").encode("latin-1") + body


def _exchange(target: tuple[str, int], request: bytes) -> bytes | None:
    try:
        with socket.create_connection(target, timeout=60) as up:
            up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            up.sendall(request)
            out = bytearray()
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    return bytes(out)
                out += chunk
    except OSError:
        return None


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def target_of(url: str) -> tuple[str, int]:
    host, port = url.rsplit("//", 1)[1].split(":")
    return host, int(port.split("/")[0])


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never happened within {timeout:.0f} s: {what}")
