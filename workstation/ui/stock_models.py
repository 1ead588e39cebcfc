"""Item models of the stock pane, testable without widgets (Vorta-style named columns).

- `StyleResultsModel`: the styles a search found.
- `StockGridModel`: one style's colour × size grid per warehouse. Rows are (warehouse,
  colour, figure) with figure = available, real, reserved and — when the cache has it — the
  shop page's figure; columns are the named `GridColumn`s, then one per size. A refreshed
  grid of the same shape is taken in place: only changed cells emit `dataChanged`.
- `StockCheckModel`: the lines of an order with what can ship, per warehouse.
Zero/negative and page/real mismatches carry colour AND text (✕ / ⚠ and the tooltip).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from workstation.ui import formatting as fmt

_R = Qt.ItemDataRole
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

SKU_ROLE = Qt.ItemDataRole.UserRole + 1  # sku id (int) of a cell
CELL_ROLE = Qt.ItemDataRole.UserRole + 2  # models.stock.StockCell
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # "out" | "mismatch" | "ok" | "" (no figure)
ITEM_ROLE = Qt.ItemDataRole.UserRole + 4  # the row's object (StyleMatch, LineCheck)

OUT_COLOUR, OUT_BACKGROUND = "#c62828", "#fdecea"
MISMATCH_COLOUR, MISMATCH_BACKGROUND = "#8a5300", "#fff3cd"
OK_COLOUR = "#2e7d32"


class _Table(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)


# ---- search results ---------------------------------------------------------------------

class ResultColumn(IntEnum):
    STYLE_NO = 0
    NAME = 1
    CATEGORY = 2
    MATCHED = 3


def matched_label(kind: str) -> str:
    return {"style_no": QCoreApplication.translate("Stock", "style no."),
            "outer_id": QCoreApplication.translate("Stock", "outer id"),
            "name": QCoreApplication.translate("Stock", "name"),
            "pinyin": QCoreApplication.translate("Stock", "pinyin"),
            "colour": QCoreApplication.translate("Stock", "colour"),
            "size": QCoreApplication.translate("Stock", "size"),
            "category": QCoreApplication.translate("Stock", "category")}.get(kind, kind)


class StyleResultsModel(_Table):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list = []

    def set_matches(self, matches) -> None:
        self.beginResetModel()
        self._rows = list(matches)
        self.endResetModel()

    def matches(self) -> list:
        return list(self._rows)

    def match_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ResultColumn)

    def headerData(self, section, orientation, role=_R.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != _R.DisplayRole:
            return None
        return {ResultColumn.STYLE_NO: QCoreApplication.translate("Stock", "Style no."),
                ResultColumn.NAME: QCoreApplication.translate("Stock", "Name"),
                ResultColumn.CATEGORY: QCoreApplication.translate("Stock", "Category"),
                ResultColumn.MATCHED: QCoreApplication.translate("Stock", "Matched")}[ResultColumn(section)]

    def data(self, index, role=_R.DisplayRole):
        if not index.isValid():
            return None
        m = self._rows[index.row()]
        if role == ITEM_ROLE:
            return m
        if role not in (_R.DisplayRole, _R.AccessibleTextRole):
            return None
        column = ResultColumn(index.column())
        if column == ResultColumn.STYLE_NO:
            return m.style_no
        if column == ResultColumn.NAME:
            return m.name
        if column == ResultColumn.CATEGORY:
            return m.category
        label = matched_label(m.matched)
        return f"{label} ({len(m.sku_ids)} SKU)" if m.sku_ids else label


# ---- the grid -------------------------------------------------------------------------------

class GridColumn(IntEnum):
    WAREHOUSE = 0
    COLOUR = 1
    FIGURE = 2  # sizes follow, one column each


class Figure(IntEnum):
    AVAILABLE = 0
    REAL = 1
    RESERVED = 2
    PAGE = 3


def figure_label(figure: Figure) -> str:
    return {Figure.AVAILABLE: QCoreApplication.translate("Stock", "Available"),
            Figure.REAL: QCoreApplication.translate("Stock", "Real"),
            Figure.RESERVED: QCoreApplication.translate("Stock", "Reserved"),
            Figure.PAGE: QCoreApplication.translate("Stock", "Page")}[figure]


@dataclass(frozen=True)
class GridRow:
    warehouse_id: int
    warehouse: str
    colour: str
    figure: Figure
    first_of_warehouse: bool
    first_of_colour: bool


def cell_state(cell, figure: Figure) -> str:
    if figure == Figure.AVAILABLE:
        return "out" if cell.out_of_stock else "ok"
    if figure == Figure.REAL:
        return "out" if cell.real <= 0 else "ok"
    if figure == Figure.PAGE:
        return "" if cell.page is None else ("mismatch" if cell.page_mismatch else "ok")
    return "ok"


def cell_text(cell, figure: Figure) -> str:
    value = {Figure.AVAILABLE: cell.available, Figure.REAL: cell.real, Figure.RESERVED: cell.reserved,
             Figure.PAGE: cell.page}[figure]
    if value is None:  # no page figure for this row (yet)
        return "—"
    state = cell_state(cell, figure)
    if state == "out" and figure == Figure.AVAILABLE:
        return f"✕ {value}"
    if state == "mismatch":
        return f"⚠ {value}"
    return str(value)


def cell_summary(colour: str, size: str, warehouse: str, cell) -> str:
    """Every figure of one SKU in one warehouse, in words (tooltip, accessible text, detail line)."""
    text = (QCoreApplication.translate("Stock", "%1 %2 in %3: real %4, reserved %5, available %6")
            .replace("%1", colour).replace("%2", size).replace("%3", warehouse)
            .replace("%4", str(cell.real)).replace("%5", str(cell.reserved)).replace("%6", str(cell.available)))
    if cell.page is not None:
        text += QCoreApplication.translate("Stock", ", page %1").replace("%1", str(cell.page))
        if cell.page_oversells:
            text += " — " + QCoreApplication.translate("Stock", "the page shows more than can ship")
        elif cell.page_mismatch:
            text += " — " + QCoreApplication.translate("Stock", "the page differs from the real stock")
    if cell.out_of_stock:
        text += " — " + QCoreApplication.translate("Stock", "out of stock")
    return text


class StockGridModel(_Table):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._style = None
        self._rows: list[GridRow] = []
        self._sizes: tuple[str, ...] = ()
        self.resets = 0  # full refills (tests: a changed stock row must not cause one)

    # population ----------------------------------------------------------------------------
    @property
    def style(self):
        return self._style

    def set_style(self, style) -> None:
        """Show `style` (a `models.stock.StyleStock`, or None). The same shape (warehouses,
        colours, sizes, page figure known) is updated in place: `dataChanged` per changed cell."""
        if style is not None and self._style is not None and _shape(style) == _shape(self._style):
            old, self._style = self._style, style
            for r, row in enumerate(self._rows):
                for c, size in enumerate(self._sizes):
                    sku = style.sku_at(row.colour, size)
                    if sku is None:
                        continue
                    if old.cell(sku.id, row.warehouse_id) != style.cell(sku.id, row.warehouse_id):
                        index = self.index(r, len(GridColumn) + c)
                        self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._style = style
        self._rows, self._sizes = ([], ()) if style is None else (_rows(style), style.sizes)
        self.resets += 1
        self.endResetModel()

    def clear(self) -> None:
        self.set_style(None)

    def grid_rows(self) -> list[GridRow]:
        return list(self._rows)

    def sizes(self) -> tuple[str, ...]:
        return self._sizes

    def index_of(self, sku_id: int, warehouse_id: int | None = None, figure: Figure = Figure.AVAILABLE) -> QModelIndex:
        """The cell of `sku_id` (first warehouse unless given) for `figure`."""
        style = self._style
        sku = style.sku(sku_id) if style is not None else None
        if sku is None:
            return QModelIndex()
        for r, row in enumerate(self._rows):
            if row.colour == sku.colour and row.figure == figure and \
                    (warehouse_id is None or row.warehouse_id == warehouse_id):
                return self.index(r, len(GridColumn) + self._sizes.index(sku.size))
        return QModelIndex()

    # Qt ------------------------------------------------------------------------------------
    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(GridColumn) + len(self._sizes)

    def headerData(self, section, orientation, role=_R.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == _R.TextAlignmentRole:
            return _RIGHT if section >= len(GridColumn) else _LEFT
        if role != _R.DisplayRole:
            return None
        if section >= len(GridColumn):
            return self._sizes[section - len(GridColumn)]
        return {GridColumn.WAREHOUSE: QCoreApplication.translate("Stock", "Warehouse"),
                GridColumn.COLOUR: QCoreApplication.translate("Stock", "Colour"),
                GridColumn.FIGURE: QCoreApplication.translate("Stock", "Figure")}[GridColumn(section)]

    def data(self, index, role=_R.DisplayRole):
        if not index.isValid() or self._style is None:
            return None
        row = self._rows[index.row()]
        column = index.column()
        if column < len(GridColumn):
            return self._label_data(row, GridColumn(column), role)
        sku = self._style.sku_at(row.colour, self._sizes[column - len(GridColumn)])
        if sku is None:
            if role == _R.ToolTipRole:
                return QCoreApplication.translate("Stock", "No such SKU")
            return "" if role == _R.DisplayRole else None
        cell = self._style.cell(sku.id, row.warehouse_id)
        return self._cell_data(row, sku, cell, role)

    def _label_data(self, row: GridRow, column: GridColumn, role):
        if role not in (_R.DisplayRole, _R.AccessibleTextRole):
            return _LEFT if role == _R.TextAlignmentRole else None
        if column == GridColumn.WAREHOUSE:
            return row.warehouse if row.first_of_warehouse or role == _R.AccessibleTextRole else ""
        if column == GridColumn.COLOUR:
            return row.colour if row.first_of_colour or role == _R.AccessibleTextRole else ""
        return figure_label(row.figure)

    def _cell_data(self, row: GridRow, sku, cell, role):
        if role == _R.DisplayRole:
            return cell_text(cell, row.figure)
        if role == _R.TextAlignmentRole:
            return _RIGHT
        if role == SKU_ROLE:
            return sku.id
        if role == CELL_ROLE:
            return cell
        if role == STATE_ROLE:
            return cell_state(cell, row.figure)
        if role in (_R.ToolTipRole, _R.AccessibleTextRole):
            return cell_summary(sku.colour, sku.size, row.warehouse, cell)
        state = cell_state(cell, row.figure)
        if role == _R.ForegroundRole:
            if state == "out":
                return QBrush(QColor(OUT_COLOUR))
            if state == "mismatch":
                return QBrush(QColor(MISMATCH_COLOUR))
            return None
        if role == _R.BackgroundRole:
            if state == "out" and row.figure == Figure.AVAILABLE:
                return QBrush(QColor(OUT_BACKGROUND))
            if state == "mismatch":
                return QBrush(QColor(MISMATCH_BACKGROUND))
        return None


def _shape(style) -> tuple:
    return (style.product_id, tuple((w.id, w.name) for w in style.warehouses), style.colours, style.sizes,
            tuple((s.id, s.colour, s.size) for s in style.skus), style.page_known)


def _rows(style) -> list[GridRow]:
    figures = [Figure.AVAILABLE, Figure.REAL, Figure.RESERVED] + ([Figure.PAGE] if style.page_known else [])
    rows = []
    for w in style.warehouses:
        for ci, colour in enumerate(style.colours):
            for fi, figure in enumerate(figures):
                rows.append(GridRow(w.id, w.name, colour, figure, ci == 0 and fi == 0, fi == 0))
    return rows


# ---- an order's lines ------------------------------------------------------------------

class CheckColumn(IntEnum):
    STYLE_NO = 0
    NAME = 1
    COLOUR = 2
    SIZE = 3
    QTY = 4
    VERDICT = 5  # one column per warehouse follows: what is available there


def verdict(line) -> tuple[str, str]:
    """(text, state) for a line: in stock, short by N, or not in the cache."""
    if not line.known:
        return QCoreApplication.translate("Stock", "? not in the local cache"), "out"
    if line.enough:
        best = line.best
        return QCoreApplication.translate("Stock", "✓ in stock"), "ok" if best is not None else "out"
    return QCoreApplication.translate("Stock", "✕ short by %1").replace("%1", str(line.short_by)), "out"


class StockCheckModel(_Table):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._check = None
        self._rows: list = []
        self._warehouses: tuple = ()

    @property
    def check(self):
        return self._check

    def set_check(self, check) -> None:
        self.beginResetModel()
        self._check = check
        self._rows = list(check.lines) if check is not None else []
        self._warehouses = check.warehouses if check is not None else ()
        self.endResetModel()

    def line_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CheckColumn) + len(self._warehouses)

    def headerData(self, section, orientation, role=_R.DisplayRole):
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == _R.TextAlignmentRole:
            return _RIGHT if section >= CheckColumn.QTY and section != CheckColumn.VERDICT else _LEFT
        if role != _R.DisplayRole:
            return None
        if section >= len(CheckColumn):
            return self._warehouses[section - len(CheckColumn)].name
        return {CheckColumn.STYLE_NO: QCoreApplication.translate("Stock", "Style no."),
                CheckColumn.NAME: QCoreApplication.translate("Stock", "Name"),
                CheckColumn.COLOUR: QCoreApplication.translate("Stock", "Colour"),
                CheckColumn.SIZE: QCoreApplication.translate("Stock", "Size"),
                CheckColumn.QTY: QCoreApplication.translate("Stock", "Qty"),
                CheckColumn.VERDICT: QCoreApplication.translate("Stock", "Stock")}[CheckColumn(section)]

    def data(self, index, role=_R.DisplayRole):
        if not index.isValid():
            return None
        line = self._rows[index.row()]
        column = index.column()
        if role == ITEM_ROLE:
            return line
        if role == SKU_ROLE:
            return line.sku_id
        if column >= len(CheckColumn):
            return self._warehouse_data(line, column - len(CheckColumn), role)
        text, state = verdict(line)
        if role == STATE_ROLE:
            return state if column == CheckColumn.VERDICT else ""
        if role == _R.TextAlignmentRole:
            return _RIGHT if column == CheckColumn.QTY else _LEFT
        if column == CheckColumn.VERDICT and role == _R.ForegroundRole:
            return QBrush(QColor(OUT_COLOUR if state == "out" else OK_COLOUR))
        if column == CheckColumn.VERDICT and role == _R.BackgroundRole and state == "out":
            return QBrush(QColor(OUT_BACKGROUND))
        if role not in (_R.DisplayRole, _R.AccessibleTextRole, _R.ToolTipRole):
            return None
        return {CheckColumn.STYLE_NO: line.style_no, CheckColumn.NAME: line.name, CheckColumn.COLOUR: line.colour,
                CheckColumn.SIZE: line.size, CheckColumn.QTY: str(line.wanted), CheckColumn.VERDICT: text}[
            CheckColumn(column)]

    def _warehouse_data(self, line, w: int, role):
        if w >= len(line.cells):
            return "—" if role == _R.DisplayRole else None
        cell = line.cells[w]
        if role == CELL_ROLE:
            return cell
        if role == STATE_ROLE:
            return "out" if cell.out_of_stock else ("mismatch" if cell.page_mismatch else "ok")
        if role == _R.DisplayRole:
            return cell_text(cell, Figure.AVAILABLE)
        if role == _R.TextAlignmentRole:
            return _RIGHT
        if role in (_R.ToolTipRole, _R.AccessibleTextRole):
            return cell_summary(line.colour, line.size, self._warehouses[w].name, cell)
        if role == _R.ForegroundRole and cell.out_of_stock:
            return QBrush(QColor(OUT_COLOUR))
        if role == _R.BackgroundRole and cell.out_of_stock:
            return QBrush(QColor(OUT_BACKGROUND))
        return None


def as_of_text(when) -> str:
    if when is None:
        return QCoreApplication.translate("Stock", "stock not synced yet")
    return QCoreApplication.translate("Stock", "as of %1").replace("%1", fmt.freshness(when))
