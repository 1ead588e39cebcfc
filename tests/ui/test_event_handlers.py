"""Panes learn of cache changes through methods named `on_<stream>_changed` (ui/events.py):
a misspelled name would silently never be called, so every such method must name a stream."""
from __future__ import annotations

import re
from pathlib import Path

from workstation.models.streams import LOCAL_STREAMS, STREAM_NAMES

UI = Path(__file__).resolve().parents[2] / "workstation" / "ui"


def test_every_change_handler_names_a_real_stream():
    handlers = {m for p in UI.glob("*.py")
                for m in re.findall(r"def on_(\w+)_changed\(", p.read_text(encoding="utf-8"))}
    assert "orders" in handlers  # the lookup pane's: the check sees real handlers
    assert handlers - set(STREAM_NAMES) - set(LOCAL_STREAMS) - {"outbox"} == set()
