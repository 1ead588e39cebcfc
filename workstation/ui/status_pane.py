"""Status line: connection (colour + text), last successful sync, first-sync progress,
number of cached orders."""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from workstation.ui import formatting as fmt


class StatusPane(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = "signed_out"
        self._last_synced: datetime | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(12)

        self.connection = QLabel(self)
        self.connection.setObjectName("connectionState")
        self.last_sync = QLabel(self)
        self.last_sync.setObjectName("lastSync")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("firstSyncProgress")
        self.progress.setRange(0, 100)
        self.progress.setMinimumWidth(170)
        self.progress.setMaximumWidth(240)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.order_count = QLabel(self)
        self.order_count.setObjectName("orderCount")
        self.message = QLabel(self)
        self.message.setObjectName("statusMessage")

        layout.addWidget(self.connection)
        layout.addWidget(self.last_sync)
        layout.addWidget(self.progress)
        layout.addWidget(self.order_count)
        layout.addWidget(self.message, 1)
        self.set_connection("signed_out")
        self.set_last_synced(None)

    @property
    def state(self) -> str:
        return self._state

    def set_connection(self, state: str) -> None:
        self._state = state
        colour = fmt.CONNECTION_COLOURS.get(state, "#6d6d6d")
        self.connection.setText(f"● {fmt.connection_label(state)}")
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.connection.setToolTip(self._connection_tooltip(state))

    def set_last_synced(self, when: datetime | None) -> None:
        self._last_synced = when
        if when is None:
            self.last_sync.setText(self.tr("Not synced yet"))
        else:
            self.last_sync.setText(self.tr("Synced %1").replace("%1", fmt.clock(when)))
            self.last_sync.setToolTip(self.tr("Last successful sync: %1").replace(
                "%1", fmt.local_time(when, seconds=True)))

    def set_first_sync_progress(self, fraction: float | None) -> None:
        """`fraction` 0..1 during the first load; None hides the bar."""
        if fraction is None:
            self.progress.hide()
            return
        percent = max(0, min(100, int(fraction * 100)))
        self.progress.setValue(percent)
        self.progress.setFormat(self.tr("First sync %1%").replace("%1", str(percent)))
        self.progress.show()

    def set_order_count(self, count: int | None) -> None:
        if count is None:
            self.order_count.setText("")
            return
        self.order_count.setText(self.tr("%1 orders cached").replace("%1", QLocale().toString(int(count))))

    def set_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {fmt.COD_COLOUR};" if error and text else "")

    def _connection_tooltip(self, state: str) -> str:
        if state == "offline":
            return self.tr("The store server cannot be reached. Lookups work from the local cache.")
        if state == "expired":
            return self.tr("Your session has expired. Sign in again to resume syncing.")
        if state == "signed_out":
            return self.tr("Not signed in.")
        return ""
