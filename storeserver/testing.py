"""Run the API in a background thread for tests and tools: `with serve_in_thread(app) as url:`."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # signals belong to the main thread
        pass

    def capture_signals(self):  # uvicorn >= 0.29 name of the same hook
        from contextlib import nullcontext

        return nullcontext()


@contextmanager
def serve_in_thread(app, *, startup_timeout: float = 20.0) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port; yields the base URL; stops and joins on exit."""
    from .limits import UVICORN_OPTIONS

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            timeout_graceful_shutdown=2, lifespan="off", **UVICORN_OPTIONS)
    server = _ThreadServer(config)
    thread = threading.Thread(target=server.run, name="storeserver-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
