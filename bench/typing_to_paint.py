"""Key press to painted results in the real lookup pane over a big cache.

    .venv/bin/python bench/typing_to_paint.py [--orders 1000000] [--per-kind 30] [--debounce-ms N]
    xvfb-run -a .venv/bin/python bench/typing_to_paint.py ...   # an X server, not offscreen

(Not `bench/typing.py`: a script's folder comes first on sys.path, so a typing.py in bench/
would replace the standard `typing` module for every bench script.)

The order lookup pane the main window shows (its default debounce unless --debounce-ms),
sized like a window, on the standard bench cache (`bench/_cache.py`). For each query the
field first holds all of it but its last character, with those results on screen; then
the last key is pressed (a real key event; Chinese arrives as an input-method commit, as
from a Chinese IME) and the clock runs until the results table has painted the new rows:
debounce, the search on its worker thread, the model update and the paint. The bare
`search_orders` call for the same queries is timed in the same run. Queries: phone tails,
tracking fragments, nickname fragments, names, combined words, drawn from the data.
Last line: `typing_p95_ms=... query_p95_ms=...` (goal: typing p95 <= 100 ms, aim for 50).
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt  # noqa: E402
from PySide6.QtGui import QInputMethodEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from bench._cache import cache_file  # noqa: E402
from bench.lookup import draw_queries, p  # noqa: E402
from workstation.models.db import open_cache  # noqa: E402
from workstation.models.search import search_orders  # noqa: E402
from workstation.ui.order_lookup import OrderLookupPane  # noqa: E402

KINDS = ("phone4", "fragment", "nick", "name", "combined", "order_no")


class PaintClock(QObject):
    """Notes when the table's viewport paints after `arm()`."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.painted_at: float | None = None

    def arm(self) -> None:
        self.armed, self.painted_at = True, None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.armed and event.type() == QEvent.Type.Paint:
            self.painted_at = time.perf_counter()
        return False


def _wait(app: QApplication, until, timeout_s: float = 10.0) -> None:
    end = time.perf_counter() + timeout_s
    while not until():
        if time.perf_counter() > end:
            raise SystemExit("timed out waiting for the pane")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 2)


def _press_last(field, char: str) -> None:
    if char.isascii():
        QTest.keyClick(field, char)
    else:  # QTest.keyClicks asserts on non-ASCII: type it as an input method commits it
        event = QInputMethodEvent()
        event.setCommitString(char)
        QApplication.sendEvent(field, event)


# query -> when the pane emitted results_shown for it (perf_counter)
shown_at: dict[str, float] = {}


def type_and_paint(app: QApplication, pane: OrderLookupPane, clock: PaintClock, query: str) -> float:
    """Milliseconds from pressing the last key of `query` to the table painting its rows."""
    pane.search_field.setText(query[:-1])
    _wait(app, lambda: pane._shown_query == pane.query() and not pane._debounce.isActive())
    app.processEvents()
    pane.search_field.setFocus()
    pane.search_field.end(False)
    before = pane.model.rows()
    shown_at.clear()
    clock.arm()
    t0 = time.perf_counter()
    _press_last(pane.search_field, query[-1])
    target = query.strip()
    done: list[float] = []

    def painted() -> bool:
        at = shown_at.get(target)
        if at is None:
            return False
        if pane.model.rows() == before:  # the same rows: on screen already, nothing to paint
            done.append(at)
        elif clock.painted_at is not None and clock.painted_at >= at:
            done.append(clock.painted_at)
        return bool(done)

    _wait(app, painted)
    clock.armed = False
    return (done[0] - t0) * 1000


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1_000_000)
    ap.add_argument("--per-kind", type=int, default=30)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--debounce-ms", type=int, default=None)
    args = ap.parse_args(argv)

    path = cache_file(args.orders)
    con = sqlite3.connect(path)
    queries = draw_queries(con, args.per_kind, args.seed)
    con.close()
    todo = [q for kind in KINDS for q in queries[kind] if len(q) >= 2]

    app = QApplication.instance() or QApplication([])
    cache = open_cache(path)
    kw = {} if args.debounce_ms is None else {"debounce_ms": args.debounce_ms}
    pane = OrderLookupPane(**kw)
    pane.resize(1280, 800)
    pane.show()
    clock = PaintClock()
    pane.table.viewport().installEventFilter(clock)
    pane.results_shown.connect(lambda q, _n: shown_at.__setitem__(q, time.perf_counter()))
    pane.set_engine(cache.engine)
    _wait(app, lambda: pane._shown_query == "")

    typing, bare = [], []
    for q in todo:
        typing.append(type_and_paint(app, pane, clock, q))
    for q in todo:
        search_orders(cache.engine, q)
        t0 = time.perf_counter()
        search_orders(cache.engine, q)
        bare.append((time.perf_counter() - t0) * 1000)
    pane.shutdown()
    cache.close()
    debounce = pane._debounce.interval()
    print(f"platform={QApplication.platformName()} debounce_ms={debounce} queries={len(todo)} "
          f"orders={args.orders} load={' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"key press -> painted: p50 {p(typing, 50):.1f} ms  p95 {p(typing, 95):.1f} ms  max {max(typing):.1f} ms")
    print(f"bare search_orders:   p50 {p(bare, 50):.2f} ms  p95 {p(bare, 95):.2f} ms")
    print(f"typing_p95_ms={p(typing, 95):.1f} query_p95_ms={p(bare, 95):.2f}")


if __name__ == "__main__":
    main()
