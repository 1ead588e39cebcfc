"""The main window: composes the panes, nothing more. Three resizable areas in one splitter
(queue | conversation | context, DESIGN.md), remembered between runs (`window_state.py`).
The context area is a tab widget (Orders | Stock | Buyer | Waiting to send): `add_context_tab`
adds a pane to it; the agent menu sits in its corner so it stays reachable on every tab."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (QApplication, QInputDialog, QMainWindow, QMenu, QSplitter, QTabWidget, QToolButton, QVBoxLayout,
                               QWidget)

from workstation.settings import AgentIdentity, Settings
from workstation.ui.buyer_pane import BuyerPane
from workstation.ui.conversation_pane import ConversationPane
from workstation.ui.order_lookup import OrderLookupPane
from workstation.ui.outbox_pane import OutboxPane
from workstation.ui.queue_pane import QueuePane
from workstation.ui.status_pane import StatusPane
from workstation.ui.stock_pane import StockPane


class MainWindow(QMainWindow):
    closing = Signal()
    sign_in_requested = Signal()
    sign_out_requested = Signal()
    language_chosen = Signal(str)  # "", "zh_CN", "en"
    sync_now_requested = Signal()  # the agent asked to sync now (status pane or agent menu)

    AREAS = ("queue", "conversation", "context")
    AREA_SIZES = (340, 460, 480)  # first run at 1280 px; then the agent's own, remembered
    NEXT_WAITING_SHORTCUT = "Ctrl+Shift+N"

    def __init__(self, settings: Settings, *, lookup: OrderLookupPane | None = None,
                 stock: StockPane | None = None, language: str | None = None,
                 parent: QWidget | None = None) -> None:
        """`language`: the interface language in force ("zh_CN"/"en", e.g. from `--lang`);
        None means the setting's. The language menu ticks what is really in force."""
        super().__init__(parent)
        self.settings = settings
        self._language = language
        self.setObjectName("mainWindow")
        self.resize(1280, 720)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        self.workspace = QSplitter(Qt.Orientation.Horizontal, central)
        self.workspace.setObjectName("workspace")
        self.workspace.setChildrenCollapsible(False)
        layout.addWidget(self.workspace)
        self.setCentralWidget(central)
        self._areas: dict[str, QWidget] = {}

        self.queue = QueuePane(self, overdue_after_s=settings.overdue_threshold_s(), view=settings.queue_view)
        self.queue.view_changed.connect(self._remember_queue_view)
        self.add_area("queue", self.queue)
        self.conversation = ConversationPane(self)
        self.add_area("conversation", self.conversation)
        self.queue.conversation_selected.connect(self.conversation.open_conversation)

        self.context_tabs = QTabWidget(self)
        self.context_tabs.setObjectName("contextTabs")
        self.context_tabs.setDocumentMode(True)
        self.add_area("context", self.context_tabs)
        self.lookup = lookup or OrderLookupPane(self)
        self.add_context_tab(self.lookup, self.tr("Orders"), self.tr("Orders (Ctrl+F)"))
        self.stock = stock or StockPane(self)
        self.add_context_tab(self.stock, self.tr("Stock"), self.tr("Stock (Ctrl+Shift+S)"))
        self.stock.activation_requested.connect(lambda: self.show_context_tab(self.stock))
        self.buyer = BuyerPane(self)
        self.add_context_tab(self.buyer, self.tr("Buyer"))
        self.conversation.buyer_changed.connect(self._show_buyer)
        self.conversation.conversation_shown.connect(self._show_viewed_product)
        self.conversation.set_context_order(self._context_order)
        self.buyer.order_requested.connect(self._open_order)
        self.buyer.stock_requested.connect(self._show_style)
        self.outbox = OutboxPane(self)
        self.outbox.setObjectName("outboxPane")
        self.add_context_tab(self.outbox, self.tr("Waiting to send"))
        # "Check stock" in an order's detail: every line of that order in the stock tab.
        self.lookup.detail.check_stock_requested.connect(self.stock.check_order)

        self.agent_button = QToolButton(self)
        self.agent_button.setObjectName("agentMenu")
        self.agent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.agent_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.agent_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.context_tabs.setCornerWidget(self.agent_button, Qt.Corner.TopRightCorner)

        self.status = StatusPane(self)
        self.status.sync_now_requested.connect(self.sync_now_requested)
        self.status.outbox_requested.connect(lambda: self.show_context_tab(self.outbox))
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(True)

        from workstation.ui.attention import Attention  # noqa: PLC0415

        self.attention = Attention(self, settings, self.queue)
        self._build_actions()
        self.set_identity(None)
        self.workspace.setStretchFactor(0, 0)
        self.workspace.setStretchFactor(1, 1)
        self.workspace.setStretchFactor(2, 1)
        self.workspace.setSizes(list(self.AREA_SIZES))
        # The chat areas fold away (drag them shut) for an agent who works the order list
        # alone at 1280 px; the context area never does.
        self.workspace.setChildrenCollapsible(True)
        self.workspace.setCollapsible(self.AREAS.index("context"), False)

    # composition ------------------------------------------------------------------
    def add_area(self, name: str, widget: QWidget) -> None:
        """Place a pane in one of the three areas, kept in queue|conversation|context order."""
        if name not in self.AREAS:
            raise ValueError(f"unknown area {name!r}")
        self._areas[name] = widget
        ordered = [self._areas[a] for a in self.AREAS if a in self._areas]
        self.workspace.insertWidget(ordered.index(widget), widget)

    def area(self, name: str) -> QWidget | None:
        return self._areas.get(name)

    def add_context_tab(self, pane: QWidget, title: str, tooltip: str | None = None) -> None:
        """A pane as a tab of the context area (beside the order lookup). Titles stay short
        (four tabs fit at 1280 px beside the chat); the shortcut is in the tooltip."""
        index = self.context_tabs.addTab(pane, title)
        if tooltip:
            self.context_tabs.setTabToolTip(index, tooltip)

    def show_context_tab(self, pane: QWidget) -> None:
        self.context_tabs.setCurrentWidget(pane)

    def _show_buyer(self, buyer_id) -> None:
        self.buyer.show_buyer(buyer_id)
        if buyer_id is not None and self.context_tabs.currentWidget() is not self.stock:
            self.show_context_tab(self.buyer)

    def _show_viewed_product(self, _conversation_id: int) -> None:
        conversation = self.conversation.conversation
        self.buyer.show_product(conversation.product_id if conversation is not None else None)

    def _show_style(self, product_id: int) -> None:
        """The viewed product's full grid (every warehouse, every figure) in the stock tab."""
        self.stock.show_style(product_id)
        self.show_context_tab(self.stock)

    def _context_order(self) -> tuple[int, int] | None:
        """(order id, buyer id) of the order open in the Orders tab (the quick phrases' order)."""
        detail = self.lookup.detail
        order_id, buyer_id = detail.order_id, detail.buyer_id
        return None if order_id is None or buyer_id is None else (order_id, buyer_id)

    def _open_order(self, order_id: int) -> None:
        """An order of the buyer: its detail (with the remark editor) in the order tab."""
        self.lookup.open_order(order_id)
        self.show_context_tab(self.lookup)

    def _remember_queue_view(self, view: str) -> None:
        self.settings.queue_view = view
        self.settings.sync()

    def apply_overdue_threshold(self) -> None:
        """The threshold in force (the agent's override, else the shop's) to the queue."""
        self.queue.set_overdue_after(self.settings.overdue_threshold_s())

    def ask_overdue_threshold(self) -> None:
        seconds, ok = QInputDialog.getInt(
            self, self.tr("Overdue after"),
            self.tr("Show a waiting buyer as overdue after how many seconds? (0 = the shop's setting, %1 s)")
            .replace("%1", str(self.settings.identity.overdue_after_s if self.settings.identity else 100)),
            self.settings.overdue_after_s, 0, 24 * 3600, 10)
        if ok:
            self.settings.overdue_after_s = seconds
            self.settings.sync()
            self.apply_overdue_threshold()

    def set_identity(self, identity: AgentIdentity | None) -> None:
        # Qt adds the application display name to the title itself ("shop — Workstation").
        self.attention.set_agent(identity.agent_no if identity is not None else "")
        if identity is None:
            self.agent_button.setText(self.tr("Not signed in") + " ▾")
            self.setWindowTitle("")
            return
        self.agent_button.setText(self.tr("%1 · agent %2").replace("%1", identity.display_name or identity.login)
                                  .replace("%2", identity.agent_no or "?") + " ▾")
        self.agent_button.setToolTip(identity.shop_name)
        self.setWindowTitle(identity.shop_name)
        self.apply_overdue_threshold()

    def _ticked_language(self) -> str:
        """The menu entry to tick: the setting when it is what is in force ("follow the
        system" included), else the language forced for this run (e.g. `--lang en`)."""
        from workstation.ui.i18n import resolve_language

        setting = self.settings.language
        if self._language is None or resolve_language(setting) == self._language:
            return setting
        return self._language

    # state ------------------------------------------------------------------------
    def restore_layout(self) -> None:
        from workstation.ui.window_state import restore_window_state, window_state_settings

        restore_window_state(window_state_settings(), self, splitters=self._layout_splitters())

    def save_layout(self) -> None:
        from workstation.ui.window_state import save_window_state, window_state_settings

        save_window_state(window_state_settings(), self, splitters=self._layout_splitters())

    def _layout_splitters(self) -> dict[str, QSplitter]:
        return {"workspace": self.workspace, "lookup": self.lookup.splitter}

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.closing.emit()
        self.lookup.shutdown()
        self.stock.shutdown()
        self.queue.shutdown()
        self.conversation.shutdown()
        self.buyer.shutdown()
        self.attention.shutdown()
        super().closeEvent(event)

    def _next_waiting(self) -> None:
        # The shortcut also works while a popup is open (the phrase picker): close it first,
        # so nothing filled for this buyer lands in the next buyer's reply box.
        popup = QApplication.activePopupWidget()
        if popup is not None:
            popup.close()
        if self.queue.open_next_waiting() is not None:
            self.conversation.focus_reply()

    def _find_order(self) -> None:
        self.show_context_tab(self.lookup)
        self.lookup.focus_search()

    def show_about(self):
        from workstation.ui.about import show_about

        return show_about(self)

    # actions ----------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.find_action = QAction(self.tr("Find order"), self)
        self.find_action.setShortcut(QKeySequence("Ctrl+F"))
        self.find_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.find_action.triggered.connect(self._find_order)
        self.addAction(self.find_action)
        self.stock_action = self.stock.install_shortcut(self)  # Ctrl+Shift+S
        self.next_waiting_action = QAction(self.tr("Next waiting buyer"), self)
        self.next_waiting_action.setShortcut(QKeySequence(self.NEXT_WAITING_SHORTCUT))
        # Application-wide: also from a popup (the phrase picker) or a dialog that is not modal.
        self.next_waiting_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.next_waiting_action.setToolTip(self.tr("Open the buyer waiting longest (%1)").replace(
            "%1", QKeySequence(self.NEXT_WAITING_SHORTCUT).toString(QKeySequence.SequenceFormat.NativeText)))
        self.next_waiting_action.triggered.connect(self._next_waiting)
        self.addAction(self.next_waiting_action)
        self.queue.set_hint(self.next_waiting_action.toolTip())

        menu = QMenu(self)
        menu.addAction(self.next_waiting_action)
        self.overdue_action = menu.addAction(self.tr("Overdue after…"))
        self.overdue_action.triggered.connect(self.ask_overdue_threshold)
        menu.addSeparator()
        self.attention.install_menu(menu)
        self.sync_now_action = menu.addAction(self.tr("Sync now"))
        self.sync_now_action.setShortcut(QKeySequence("F5"))
        self.sync_now_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.sync_now_action.triggered.connect(self.sync_now_requested)
        self.addAction(self.sync_now_action)
        menu.addSeparator()
        self.sign_in_action = menu.addAction(self.tr("Sign in again…"))
        self.sign_in_action.triggered.connect(self.sign_in_requested)
        self.sign_out_action = menu.addAction(self.tr("Sign out"))
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        menu.addSeparator()
        language_menu = menu.addMenu(self.tr("Language (after restart)"))
        group = QActionGroup(self)
        current = self._ticked_language()
        self.language_actions: dict[str, QAction] = {}
        for code, label in (("", self.tr("Follow the system")), ("zh_CN", "简体中文"), ("en", "English")):
            action = language_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(code == current)
            action.triggered.connect(lambda _checked=False, c=code: self.language_chosen.emit(c))
            group.addAction(action)
            self.language_actions[code] = action
        menu.addSeparator()
        self.about_action = menu.addAction(self.tr("About Workstation"))
        self.about_action.triggered.connect(self.show_about)
        self.quit_action = menu.addAction(self.tr("Quit"))
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        self.addAction(self.quit_action)
        self.agent_menu = menu
        self.agent_button.setMenu(menu)
