"""Start-up time: process start to an interactive main window (shown, first event-loop turn,
search field focused) over a 1M-order cache, offline (no server), compared with a bare
PySide6 window process measured the same way in the same run. Median of several runs.

    .venv/bin/python bench/startup.py [--orders 1000000] [--runs 7]

Last line: startup_ms=… bare_ms=… ratio=…   (goal: startup_ms <= 1000)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SERVER_URL = "http://127.0.0.1:9"  # discard port: nothing listens, the app works offline
LOGIN = "bench"
SHOP_ID = 1
TOKEN_ENV = "WORKSTATION_BENCH_TOKEN"

BARE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow()
field = QLineEdit()
w.setCentralWidget(field)
w.resize(1280, 780)
w.show()
field.setFocus()
QTimer.singleShot(0, lambda: (sys.stdout.write("WORKSTATION_READY\n"), sys.stdout.flush()))
app.exec()
"""


try:  # a keychain stand-in for the child process (no OS keychain here); cheap to import
    from keyring.backend import KeyringBackend

    class BenchKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service, username):
            return os.environ.get(TOKEN_ENV)

        def set_password(self, service, username, password):
            pass

        def delete_password(self, service, username):
            pass
except ImportError:  # pragma: no cover
    pass


def prepare_home(n_orders: int) -> Path:
    """A data folder whose settings say "remember me, shop 1" and whose cache file (a link to
    the shared bench cache) holds n_orders orders."""
    sys.path.insert(0, str(ROOT))
    from bench._cache import cache_file

    source = cache_file(n_orders)
    home = BENCH / ".data" / f"startup-home-{n_orders}"
    os.environ["WORKSTATION_DATA_DIR"] = str(home)
    from workstation.models.paths import cache_path

    target = cache_path(SERVER_URL, SHOP_ID, LOGIN)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() and target.resolve() != source.resolve():
        target.unlink()  # the shared bench cache was rebuilt (new schema)
    if not target.exists():
        try:
            target.symlink_to(source)
        except OSError:
            from bench._cache import build_cache
            build_cache(target, n_orders)
    from workstation.settings import AgentIdentity, Settings

    settings = Settings()
    settings.server_url, settings.login, settings.remember = SERVER_URL, LOGIN, True
    settings.identity = AgentIdentity(id=1, login=LOGIN, display_name="Bench", agent_no="1024",
                                      shop_id=SHOP_ID, shop_name="Bench shop")
    settings.sync()
    return home


def measure(cmd: list[str], env: dict, *, want_cache: bool = False) -> tuple[float, float | None]:
    """ms from process start to the READY line (and to CACHE_OPEN when asked)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
                            cwd=str(ROOT))
    ready = cache = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            now = (time.perf_counter() - started) * 1000
            if line.startswith("WORKSTATION_READY"):
                ready = now
                if not want_cache:
                    break
            elif line.startswith("WORKSTATION_CACHE_OPEN"):
                cache = now
                break
    finally:
        proc.kill()
        proc.wait()
    if ready is None:
        raise RuntimeError(f"{cmd} never became ready")
    return ready, cache


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    home = prepare_home(args.orders)
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               WORKSTATION_DATA_DIR=str(home), WORKSTATION_REPORT_READY="1",
               PYTHONPATH=os.pathsep.join([str(BENCH), str(ROOT)]),
               PYTHON_KEYRING_BACKEND="startup.BenchKeyring", **{TOKEN_ENV: "bench-token"})
    app_cmd = [sys.executable, "-m", "workstation", "--lang", "zh_CN"]
    bare_cmd = [sys.executable, "-c", BARE]
    measure(app_cmd, env)  # warm the OS file cache once for each
    measure(bare_cmd, env)
    app_ms, bare_ms, cache_ms = [], [], []
    for i in range(args.runs):
        ready, cache = measure(app_cmd, env, want_cache=True)
        bare, _ = measure(bare_cmd, env)
        app_ms.append(ready)
        bare_ms.append(bare)
        cache_ms.append(cache or float("nan"))
        print(f"run {i + 1}: workstation {ready:.0f} ms (cache open at {cache or float('nan'):.0f} ms), "
              f"bare {bare:.0f} ms", flush=True)
    startup, bare = statistics.median(app_ms), statistics.median(bare_ms)
    print(f"orders in cache: {args.orders:,}; median cache open (lookups possible): "
          f"{statistics.median(cache_ms):.0f} ms")
    print(f"startup_ms={startup:.0f} bare_ms={bare:.0f} ratio={startup / bare:.2f}")


if __name__ == "__main__":
    main()
