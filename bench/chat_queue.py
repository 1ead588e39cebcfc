"""Queue pane cost: the read, the once-a-second timer tick and a buyer's message re-sorting
the list, with --rows open conversations in a real cache (offscreen widgets).

    .venv/bin/python bench/chat_queue.py [--rows 50] [--repeat 200]

- read: `models.conversations.queue` (what every change set naming conversations costs);
- tick: `QueueModel.tick()` (dataChanged of the wait column) + the paint it causes,
  against the baseline of a model reset + repaint (what a naive "reload the list" costs);
- re-sort: `sync_rows` of the list with the last row moved to the top (a buyer wrote)
  + repaint, against `set_rows` (reset) + repaint.
Medians in ms; ratios vs the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from tests.ui.chat_data import NOW, Clock, conversation
    from workstation.models import conversations
    from workstation.models.apply import apply_snapshot_page
    from workstation.models.db import open_cache
    from workstation.ui.queue_pane import QueuePane

    cache = open_cache(Path(tempfile.mkdtemp()) / "queue.sqlite")
    convs = []
    for i in range(1, args.rows + 1):
        c = conversation(i, buyer_id=i, nick=f"buyer_{i}", waiting_s=10 * i, unread=i % 3, last_id=i,
                         preview="亲,什么时候发货?" * 3)
        convs.append(c)
    apply_snapshot_page(cache.engine, "conversations", convs, next_cursor=None, done=True, feed_cursor="f",
                        total=len(convs))
    rows = conversations.queue(cache.engine, view="open", agent_no="1024")
    assert len(rows) == args.rows
    clock = Clock(NOW + timedelta(seconds=1))
    pane = QueuePane(clock=clock)
    pane.resize(340, 700)
    pane.show()
    pane.timer.stop()
    pane.model.set_rows(rows)
    app.processEvents()

    read = median_ms(lambda: conversations.queue(cache.engine, view="open", agent_no="1024"), args.repeat)

    def tick():
        clock.advance(1)
        pane.model.tick()
        app.processEvents()  # the view paints what the signals made dirty

    def reset():
        pane.model.set_rows(rows)
        app.processEvents()  # the view paints what the signals made dirty

    tick_ms, reset_ms = median_ms(tick, args.repeat), median_ms(reset, args.repeat)
    moved = [rows[-1]] + rows[:-1]
    order = [rows, moved]

    def resort():
        order.reverse()
        pane.model.sync_rows(order[0])
        app.processEvents()  # the view paints what the signals made dirty

    def resort_reset():
        order.reverse()
        pane.model.set_rows(order[0])
        app.processEvents()  # the view paints what the signals made dirty

    resort_ms, resort_reset_ms = median_ms(resort, args.repeat), median_ms(resort_reset, args.repeat)
    print(f"rows={args.rows} read={read:.3f} ms")
    print(f"tick+paint={tick_ms:.3f} ms  reset+paint={reset_ms:.3f} ms  ratio={tick_ms / reset_ms:.2f}")
    print(f"resort in place+paint={resort_ms:.3f} ms  reset+paint={resort_reset_ms:.3f} ms  "
          f"ratio={resort_ms / resort_reset_ms:.2f}")
    print(f"QUEUE rows={args.rows} read_ms={read:.3f} tick_ms={tick_ms:.3f} reset_ms={reset_ms:.3f} "
          f"resort_ms={resort_ms:.3f} resort_reset_ms={resort_reset_ms:.3f}")
    pane.shutdown()
    cache.close()


if __name__ == "__main__":
    main()
