"""The stock grid's model without widgets: figures per warehouse, colour AND text for
out-of-stock and page/real mismatches, changed cells in place (no reset)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.stock_data import add_page_column, set_stock, small_shop, stock_id
from workstation.models import stock as S
from workstation.ui.stock_models import (CELL_ROLE, SKU_ROLE, STATE_ROLE, Figure, GridColumn, StockCheckModel,
                                         StockGridModel)

_D, _BG, _TIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole


@pytest.fixture
def shop(tmp_path):
    cache = small_shop(tmp_path / "cache.sqlite")
    yield cache
    cache.close()


def _cell(model, sku, warehouse, figure):
    return model.index_of(sku, warehouse, figure)


def test_rows_are_figures_per_colour_per_warehouse(qapp, shop):
    model = StockGridModel()
    model.set_style(S.style_stock(shop.engine, 1))
    assert model.rowCount() == 2 * 2 * 4  # warehouses × colours × (available, real, reserved, page)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == \
        ["Warehouse", "Colour", "Figure", "S", "M", "L"]
    first = [model.data(model.index(r, c)) for r in range(3) for c in range(3)]
    assert first == ["杭州主仓", "白色", "Available", "", "", "Real", "", "", "Reserved"]
    assert model.data(model.index(4, GridColumn.COLOUR)) == "黑色"
    white_s = _cell(model, 1, 1, Figure.AVAILABLE)
    assert model.data(white_s) == "9" and model.data(white_s, STATE_ROLE) == "ok"
    assert model.data(_cell(model, 1, 1, Figure.REAL)) == "12"
    assert model.data(_cell(model, 1, 1, Figure.RESERVED)) == "3"
    assert model.data(white_s, SKU_ROLE) == 1
    assert "real 12, reserved 3, available 9" in model.data(white_s, _TIP)


def test_zero_and_negative_are_marked_with_colour_and_text(qapp, shop):
    model = StockGridModel()
    model.set_style(S.style_stock(shop.engine, 1))
    oversold = _cell(model, 5, 1, Figure.AVAILABLE)  # 黑色 M: 3 real, 4 reserved
    assert model.data(oversold) == "✕ -1"
    assert model.data(oversold, STATE_ROLE) == "out"
    assert model.data(oversold, _BG) is not None
    assert "out of stock" in model.data(oversold, _TIP)
    empty = _cell(model, 3, 2, Figure.AVAILABLE)
    assert model.data(empty) == "✕ 0"
    assert model.data(_cell(model, 1, 1, Figure.AVAILABLE), _BG) is None  # in stock: no highlight


def test_the_page_row_and_its_mismatch_appear_when_known(qapp, tmp_path):
    cache = small_shop(tmp_path / "paged.sqlite")
    try:
        add_page_column(cache.engine, {stock_id(1, 1): 9, stock_id(3, 1): 15})
        model = StockGridModel()
        model.set_style(S.style_stock(cache.engine, 1))
        assert model.rowCount() == 2 * 2 * 4  # + the page figure
        agreed, oversells = _cell(model, 1, 1, Figure.PAGE), _cell(model, 3, 1, Figure.PAGE)
        assert model.data(agreed) == "9" and model.data(agreed, STATE_ROLE) == "ok"
        assert model.data(oversells) == "⚠ 15" and model.data(oversells, STATE_ROLE) == "mismatch"
        assert model.data(oversells, _BG) is not None
        assert "the page shows more than can ship" in model.data(oversells, _TIP)
        assert model.data(_cell(model, 2, 1, Figure.PAGE), STATE_ROLE) == "ok"  # the page agrees there
    finally:
        cache.close()


def test_a_changed_stock_row_updates_only_its_cells(qapp, shop):
    model = StockGridModel()
    model.set_style(S.style_stock(shop.engine, 1))
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), a.column(), b.row(), b.column())))
    set_stock(shop.engine, 1, 1, qty=12, reserved=12)  # 白色 S in the main warehouse all reserved
    model.set_style(S.style_stock(shop.engine, 1))
    assert resets == []
    # one dataChanged per figure cell of that SKU in that warehouse (the page cell too: it now
    # shows more than can ship), nothing else
    expected = {(i.row(), i.column(), i.row(), i.column())
                for i in (_cell(model, 1, 1, f) for f in (Figure.AVAILABLE, Figure.REAL, Figure.RESERVED,
                                                          Figure.PAGE))}
    assert set(changed) == expected and len(changed) == 4
    assert model.data(_cell(model, 1, 1, Figure.AVAILABLE)) == "✕ 0"
    assert model.data(_cell(model, 1, 1, Figure.AVAILABLE), CELL_ROLE).reserved == 12


def test_another_style_resets(qapp, shop):
    model = StockGridModel()
    model.set_style(S.style_stock(shop.engine, 1))
    model.set_style(S.style_stock(shop.engine, 2))
    assert model.resets == 2 and model.sizes() == ("M", "L")


def test_the_check_model_says_what_can_ship(qapp, shop):
    model = StockCheckModel()
    model.set_check(S.check_skus(shop.engine, [(1, 2), (3, 1), (999, 1)]))
    assert model.rowCount() == 3
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Style no.", "Name", "Colour", "Size", "Qty", "Stock", "杭州主仓", "广州仓"]
    assert model.data(model.index(0, 5)) == "✓ in stock"
    assert model.data(model.index(0, 6)) == "9"
    assert model.data(model.index(1, 5)) == "✕ short by 1"
    assert model.data(model.index(1, 5), STATE_ROLE) == "out"
    assert model.data(model.index(1, 6)) == "✕ 0"
    assert model.data(model.index(2, 5)) == "? not in the local cache"
