"""What keeps the GUI thread responsive while the sync threads hold the GIL (no timings here:
bench/stall.py measures them)."""
from __future__ import annotations

import gc
import sys
from datetime import datetime, timezone

from PySide6.QtWidgets import QTableView

from workstation import app as ws
from workstation.models.search import OrderRow
from workstation.ui.order_table import OrderTableModel


def _row(i: int) -> OrderRow:
    return OrderRow(id=i, order_no=f"20261111{i:010d}", buyer_nick=f"买家{i}", receiver_name="王芳",
                    receiver_phone="13812345678", status="paid", payment_method="cod" if i % 2 else "online",
                    total_cents=12345, created_at=datetime(2026, 11, 11, 2, 13, tzinfo=timezone.utc),
                    carrier="顺丰速运", tracking_no=f"SF{i}", province="浙江省", city="杭州市", district="西湖区")


def test_the_results_model_is_read_without_entering_python():
    # A Python data()/multiData()/flags()/headerData() would be entered for every cell of
    # every repaint, each time waiting for the GIL while a sync runs.
    for name in ("data", "multiData", "flags", "headerData", "rowCount", "columnCount", "index"):
        assert name not in OrderTableModel.__dict__, name


def test_repainting_the_results_keeps_references_to_none(qtbot):
    # PySide6 6.12 on Python 3.11 drops a reference to None in QModelRoleData.setData() /
    # clearData() (and other void calls): a Python multiData() lost ~1,700 per repaint
    # until the interpreter aborted with "deallocating None".
    model = OrderTableModel()
    model.set_rows([_row(i) for i in range(50)])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1000, 800)
    view.show()
    qtbot.waitExposed(view)
    view.grab()
    before = sys.getrefcount(None)
    for _ in range(3):
        view.grab()
    assert sys.getrefcount(None) - before > -200


def test_full_collections_wait_until_the_background_imports_are_frozen(qapp):
    ws.release_full_collections()
    normal = gc.get_threshold()
    try:
        ws.hold_full_collections()
        held = gc.get_threshold()
        assert held[:2] == normal[:2] and held[2] > 1_000_000  # young collections still run
        ws._freeze_after_background_imports(None)  # the cache closed: nothing was imported yet
        assert gc.get_threshold() == held
        ws._freeze_after_background_imports(object())  # a cache is open: modules are loaded
        assert gc.get_threshold() == normal
        assert gc.get_freeze_count() > 0
    finally:
        ws.release_full_collections()
        gc.unfreeze()


def test_void_qt_calls_keep_references_to_none(qapp):
    # PySide6-Essentials 6.12.0 on Python 3.11 dropped one reference to None per void call
    # made from Python (setObjectName, setInterval, setText...): an agent's all-day session
    # would end in "Fatal Python error: none_dealloc". pyproject.toml pins a version without
    # the bug; this fails on 6.12.0.
    from PySide6.QtCore import QObject, QTimer

    obj, timer = QObject(), QTimer()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("n")
        timer.setInterval(5)
    assert sys.getrefcount(None) - before > -100  # a bug would show as -2000
