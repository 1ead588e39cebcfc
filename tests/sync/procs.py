"""Real processes for the tests that kill things: a storeserver and a one-shot puller."""
from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"storeserver listening on (http://\S+)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


class ServerProcess:
    """`python -m storeserver serve` on loopback; `url` once it listens."""

    def __init__(self, database_url: str, *, port: int = 0, seed_demo: int | None = None,
                 start_timeout: float = 120.0) -> None:
        args = [sys.executable, "-m", "storeserver", "serve", "--database-url", database_url,
                "--host", "127.0.0.1", "--port", str(port)]
        if seed_demo is not None:
            args += ["--seed-demo", str(seed_demo)]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(lines,), daemon=True).start()
        self.url = self._await_url(lines, start_timeout)

    def _pump(self, lines: "queue.Queue[str | None]") -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            lines.put(line)
        lines.put(None)

    def _await_url(self, lines: "queue.Queue[str | None]", timeout: float) -> str:
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self.kill()
                raise RuntimeError("storeserver did not start:\n" + "".join(self.output)) from None
            if line is None:
                raise RuntimeError("storeserver exited:\n" + "".join(self.output))
            m = _LISTENING.search(line)
            if m:
                return m.group(1).rstrip("/")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def start_puller(url: str, cache_path: Path, page_size: int) -> subprocess.Popen:
    """A child process that signs in and runs one Puller.run_once() into `cache_path`."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.sync_child", url, str(cache_path), str(page_size)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
