"""Helpers for the UI tests: real cache files filled with wire-format orders, and typing
Chinese the way an input method does (keyClicks with non-ASCII aborts Qt)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

NAMES = ["王芳", "李梅", "张伟", "刘洋", "陈静", "欧阳小明"]
NICKS = ["xiaoyu_88", "li_mei", "tb_zw2024", "sunny_liu", "chenjing", "oy_ming"]


def make_order(i: int, **over) -> dict:
    k = i % len(NAMES)
    order = {
        "id": i, "seq": i, "order_no": f"2026111108{i:08d}", "buyer_id": 100 + k, "buyer_nick": NICKS[k],
        "status": ["paid", "shipped", "unpaid", "completed", "refunding", "documents_made"][k],
        "payment_method": "cod" if i % 4 == 1 else "online",
        "total_cents": 9900 + i * 101, "shipping_cents": 1000, "discount_cents": 500,
        "receiver_name": NAMES[k], "receiver_phone": f"1381234{i:04d}",
        "province": "浙江省", "city": "杭州市", "district": "西湖区", "address_detail": f"文三路{i}号5幢601室",
        "carrier": "顺丰速运" if k == 1 else None, "tracking_no": f"SF{i:011d}" if k == 1 else None,
        "created_at": f"2026-11-{1 + i % 28:02d}T02:{i % 60:02d}:00Z", "paid_at": "2026-11-11T02:14:00Z",
        "shipped_at": None, "completed_at": None, "closed_at": None,
        "remark": "换货：M码缺货，改发L码" if i % 3 == 0 else "", "remark_flag": 1 if i % 3 == 0 else 0,
        "remark_by": "1024" if i % 3 == 0 else None, "remark_at": "2026-11-11T03:00:00Z" if i % 3 == 0 else None,
        "remark_version": 1 if i % 3 == 0 else 0,
        "lines": [{"id": i * 10 + 1, "sku_id": 7, "style_no": "A1023", "product_name": "纯棉圆领T恤",
                   "colour": "白色", "size": "L", "outer_id": "A1023-W-L", "qty": 2, "unit_price_cents": 4950}],
    }
    order.update(over)
    return order


def build_cache(path: Path, n: int = 60):
    """A real cache file at `path` with `n` orders; returns the open Cache."""
    from workstation.models.apply import apply_snapshot_page
    from workstation.models.db import open_cache

    path.parent.mkdir(parents=True, exist_ok=True)
    cache = open_cache(path)
    orders = [make_order(i) for i in range(n, 0, -1)]
    apply_snapshot_page(cache.engine, "orders", orders, next_cursor=None, done=True,
                        feed_cursor="feed-0", total=len(orders))
    return cache


def type_chinese(widget, text: str) -> None:
    """Commit `text` as an input method would."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)
