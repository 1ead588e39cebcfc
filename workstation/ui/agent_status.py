"""The agent's own chat status in the agent menu: receiving (new buyers are assigned round
robin) / paused / offline. The tick follows the cache (`agents` stream, the agent's waiting
write applied on top); choosing one is a writer job (`models.conversations.set_status`)."""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

STATUSES = ("receiving", "paused", "offline")


def _chat():
    from workstation.models import conversations  # noqa: PLC0415 (lazy: SQLAlchemy)

    return conversations


class AgentStatusMenu(QObject):
    def __init__(self, menu: QMenu, *, submit_write: Callable | None = None, before: QAction | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent or menu)
        self._submit_write = submit_write
        self._engine = None
        self._agent_id: int | None = None
        self._reader = LatestOnly(self, name="agent-status")
        self._reader.finished.connect(self._on_agents)
        labels = {"receiving": self.tr("Receiving buyers"), "paused": self.tr("Paused (no new buyers)"),
                  "offline": self.tr("Away")}
        group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        self.title = QAction(self.tr("Chat status"), self)
        self.title.setEnabled(False)
        menu.insertAction(before, self.title)
        for status in STATUSES:
            action = QAction(labels[status], self)
            action.setCheckable(True)
            action.setEnabled(False)
            action.triggered.connect(lambda _checked=False, s=status: self.choose(s))
            group.addAction(action)
            menu.insertAction(before, action)
            self.actions[status] = action
        menu.insertSeparator(before)

    @property
    def status(self) -> str | None:
        return next((s for s, a in self.actions.items() if a.isChecked()), None)

    def set_engine(self, engine) -> None:
        self._engine = engine
        self._refresh()

    def set_agent(self, identity) -> None:
        self._agent_id = identity.id if identity is not None else None
        self._refresh()

    def on_agents_changed(self, change) -> None:
        if change:
            self._refresh()

    def choose(self, status: str) -> None:
        agent_id = self._agent_id
        if agent_id is None or self._submit_write is None:
            return
        chat = _chat()
        self._submit_write(lambda engine: chat.set_status(engine, agent_id, status),
                           what=self.tr("The chat status could not be changed"), on_done=lambda _c: self._refresh(),
                           on_error=lambda _e: self._refresh())

    def shutdown(self) -> None:
        self._reader.shutdown()

    def _refresh(self) -> None:
        engine, agent_id = self._engine, self._agent_id
        if engine is None or agent_id is None:
            for action in self.actions.values():
                action.setEnabled(False)
            return
        self._reader.submit(agent_id, lambda: _chat().agents(engine))

    def _on_agents(self, agent_id, agents) -> None:
        if agent_id != self._agent_id:
            return
        me = next((a for a in agents if a.id == agent_id), None)
        for status, action in self.actions.items():
            action.setEnabled(me is not None)
            action.setChecked(me is not None and me.status == status)
