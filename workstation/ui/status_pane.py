"""Status line: connection (colour + text), last successful sync, first-sync progress,
number of cached orders, and "Sync now" while offline.

Offline is shown as one steady "offline since 14:02": the pane notes the time of the
transition itself, keeps it through the retries of a reconnect (a short "syncing" between
two "offline"s), and forgets it only once the connection is back ("online") or the agent is
signed out.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from workstation.ui import formatting as fmt


class StatusPane(QWidget):
    sync_now_requested = Signal()
    outbox_requested = Signal()  # the agent clicked "N changes waiting"

    def __init__(self, parent: QWidget | None = None, *,
                 now: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._state = "signed_out"
        self._offline_since: datetime | None = None
        self._last_synced: datetime | None = None
        self._last_failure = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(12)

        self.connection = QLabel(self)
        self.connection.setObjectName("connectionState")
        self.sync_now = QToolButton(self)
        self.sync_now.setObjectName("syncNow")
        self.sync_now.setText(self.tr("Sync now"))
        self.sync_now.setToolTip(self.tr("Try to reach the server now instead of waiting for the next retry (F5)"))
        self.sync_now.clicked.connect(self.sync_now_requested)
        self.sync_now.hide()
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
        self.waiting = QToolButton(self)
        self.waiting.setObjectName("outboxWaiting")
        self.waiting.setAutoRaise(True)
        self.waiting.setToolTip(self.tr("Changes written on this PC that the server has not confirmed yet"))
        self.waiting.clicked.connect(self.outbox_requested)
        self.waiting.hide()
        self._waiting = 0
        self.message = QLabel(self)
        self.message.setObjectName("statusMessage")

        layout.addWidget(self.connection)
        layout.addWidget(self.sync_now)
        layout.addWidget(self.waiting)
        layout.addWidget(self.last_sync)
        layout.addWidget(self.progress)
        layout.addWidget(self.order_count)
        layout.addWidget(self.message, 1)
        self.set_connection("signed_out")
        self.set_last_synced(None)

    @property
    def state(self) -> str:
        return self._state

    @property
    def offline_since(self) -> datetime | None:
        return self._offline_since

    def set_connection(self, state: str) -> None:
        """Slot: connecting/syncing/online/offline/expired/signed_out."""
        if state == "offline" and self._offline_since is None:
            self._offline_since = self._now()
        elif state in ("online", "signed_out", "expired"):
            self._offline_since = None
        self._state = state
        colour = fmt.CONNECTION_COLOURS.get(state, "#6d6d6d")
        if state == "offline":
            text = self.tr("Offline since %1 — lookups work from the local cache").replace(
                "%1", fmt.freshness(self._offline_since, self._now()))
        else:
            text = fmt.connection_label(state)
        self.connection.setText(f"● {text}")
        self.connection.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.connection.setToolTip(self._connection_tooltip(state))
        self.sync_now.setVisible(state == "offline")

    def set_last_synced(self, when: datetime | None) -> None:
        self._last_synced = when
        if when is None:
            self.last_sync.setText(self.tr("Not synced yet"))
        else:
            self.last_sync.setText(self.tr("Synced %1").replace("%1", fmt.freshness(when, self._now())))
            self.last_sync.setToolTip(self.tr("Last successful sync: %1").replace(
                "%1", fmt.local_time(when, seconds=True)))

    def set_last_failure(self, failure) -> None:
        """Slot: the last sync attempt's failure as the cache remembers it
        (`models.state.SyncFailure`, also from before a restart), or None once a sync worked."""
        self._last_failure = failure
        if failure is None:
            self.set_last_synced(self._last_synced)
            return
        self.last_sync.setToolTip(self.tr("Last sync failed at %1: %2").replace(
            "%1", fmt.local_time(failure.at, seconds=True)).replace("%2", failure.reason))
        if self._state != "online":
            base = (self.tr("Synced %1").replace("%1", fmt.freshness(self._last_synced, self._now()))
                    if self._last_synced is not None else self.tr("Not synced yet"))
            self.last_sync.setText(self.tr("%1 · last attempt failed %2").replace("%1", base).replace(
                "%2", fmt.freshness(failure.at, self._now())))

    def set_outbox_count(self, waiting: int, attention: int = 0) -> None:
        """Slot: writes not confirmed by the server yet, and how many of them need the agent
        (a conflict to merge, a refusal)."""
        self._waiting = waiting
        if waiting <= 0:
            self.waiting.hide()
            return
        text = self.tr("%1 changes waiting").replace("%1", str(waiting))
        if attention:
            text += " · " + self.tr("%1 need you").replace("%1", str(attention))
        self.waiting.setText(("⚠ " if attention else "↑ ") + text)
        self.waiting.setStyleSheet(f"color: {fmt.COD_COLOUR}; font-weight: bold;" if attention else "")
        self.waiting.show()

    def set_first_sync_progress(self, fraction: float | None) -> None:
        """`fraction` 0..1 during the first load; None hides the bar."""
        if fraction is None:
            self.progress.hide()
            return
        percent = max(0, min(100, int(fraction * 100)))
        self.progress.setValue(percent)
        self.progress.setFormat(self.tr("First sync %1%").replace("%1", str(percent)))
        self.progress.show()

    def set_cache_upgrade_progress(self, value: tuple[str, float] | None) -> None:
        """(stage, fraction) while an older cache file is upgraded at start; None hides the
        bar. Lookups wait for the upgrade, so the agent sees why and how far it is."""
        if value is None:
            self.progress.hide()
            return
        stage, fraction = value
        percent = max(0, min(100, int(fraction * 100)))
        self.progress.setValue(percent)
        if stage == "backup":
            text = self.tr("Backing up the local cache before upgrading it %1%")
        else:
            text = self.tr("Upgrading the local cache %1%")
        self.progress.setFormat(text.replace("%1", str(percent)))
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
