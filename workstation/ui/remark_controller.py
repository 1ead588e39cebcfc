"""Remarks and the outbox, between the panes and the cache (Qt glue, no widgets of its own).

- A save in the order detail's remark section becomes `remarks.save_remark` on the cache
  writer (off the GUI thread; the sync loop is woken so it is sent at once), based on the
  remark version the agent started editing from.
- When the open order or the outbox changes (`on_orders_changed`, `on_outbox_changed`, from
  `ui/events.py`), the section's state, history and — on a conflict — the merge view are
  refreshed; the outbox panel and the status bar count are refreshed too.
- Retry / Discard / a merged text go back to the outbox as writer jobs.

Every read and write runs on the session's task runner; results come back as queued calls.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from workstation.ui.errors import describe_error
from workstation.ui.outbox_pane import OutboxEntry as PaneEntry
from workstation.ui.remark_merge import RemarkMergeDialog, RemarkVersion
from workstation.ui.remark_section import RemarkHistoryEntry

log = logging.getLogger(__name__)

# what the section shows for the outbox's remark states
_STATES = {"none": "", "saved": "local", "sent": "sent", "conflict": "conflict", "rejected": "rejected"}


def _outbox():
    from workstation.models import outbox  # noqa: PLC0415 (lazy: SQLAlchemy)

    return outbox


def _remarks():
    from workstation.models import remarks  # noqa: PLC0415 (lazy: SQLAlchemy)

    return remarks


class RemarkController(QObject):
    def __init__(self, session, lookup, outbox_pane, status, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._lookup, self._pane, self._status = session, lookup, outbox_pane, status
        self._section = lookup.detail.remark
        self._merge: RemarkMergeDialog | None = None
        self._section.save_requested.connect(self.save)
        self._section.merge_requested.connect(self.open_merge)
        outbox_pane.retry_requested.connect(lambda m: self._act("retry", m))
        outbox_pane.discard_requested.connect(lambda m: self._act("discard", m))
        outbox_pane.open_requested.connect(self._open_entry)
        lookup.detail_shown.connect(lambda order_id: self._refresh_remark(order_id))
        session.engine_changed.connect(lambda engine: self._refresh_outbox())
        session.events.subscribe(self)
        self._section.set_composer(self._compose)

    # ---- change events (ui/events.py) ---------------------------------------------------

    def on_orders_changed(self, change) -> None:
        order_id = self._section.order_id
        if order_id is not None and change.touches([order_id]):
            self._refresh_remark(order_id)

    def on_remarks_changed(self, change) -> None:
        order_id = self._section.order_id
        if order_id is not None:
            self._refresh_remark(order_id)

    def on_outbox_changed(self, _ids) -> None:
        self._refresh_outbox()
        order_id = self._section.order_id
        if order_id is not None:
            self._refresh_remark(order_id)

    # ---- writes -----------------------------------------------------------------------

    def save(self, order_id: int, text: str, flag: int, reason: str, base_version) -> None:
        writer, agent_no = self._writer(), self._agent_no()
        if writer is None:
            return
        remarks, section = _remarks(), self._section
        self._section.set_state("local")  # shown at once; the job below makes it true
        self._run(lambda: writer.run(remarks.save_remark, order_id, text=text, flag=flag, reason=reason,
                                     agent_no=agent_no, base_version=base_version, initiator=section),
                  done=lambda _changes: self._after_write(order_id),
                  what=self.tr("The remark could not be saved"))

    def open_merge(self) -> None:
        order_id = self._section.order_id
        engine = self._engine()
        if order_id is None or engine is None:
            return
        remarks = _remarks()
        self._run(lambda: remarks.remark_state(engine, order_id), done=self._show_merge,
                  what=self.tr("The conflict could not be read"))

    def _show_merge(self, state) -> None:
        if state.status != "conflict" or state.entry is None:
            return
        theirs, base, mine = state.theirs or {}, state.base or {}, state.mine or {}
        order_no = str(self._lookup.detail.order_no.text())
        dialog = RemarkMergeDialog(
            order_no,
            RemarkVersion(base.get("remark", ""), int(base.get("remark_flag", 0) or 0), base.get("remark_by")),
            RemarkVersion(theirs.get("remark", ""), int(theirs.get("remark_flag", 0) or 0),
                          theirs.get("remark_by"), _time(theirs.get("remark_at"))),
            RemarkVersion(mine.get("text", mine.get("remark", "")), int(mine.get("flag", mine.get("remark_flag", 1)) or 0)),
            self._lookup.window())
        mutation_id, reason = state.entry.mutation_id, str(mine.get("reason", "") or "")
        dialog.merged.connect(lambda text, flag: self._resolve(mutation_id, text, flag, reason))
        self._merge = dialog
        dialog.open()

    def _resolve(self, mutation_id: str, text: str, flag: int, reason: str) -> None:
        writer, agent_no, remarks = self._writer(), self._agent_no(), _remarks()
        if writer is None:
            return
        order_id = self._section.order_id
        self._run(lambda: writer.run(remarks.resolve_remark, mutation_id, text=text, flag=flag,
                                     reason=reason, agent_no=agent_no, initiator=self._section),
                  done=lambda _c: self._after_write(order_id),
                  what=self.tr("The merged remark could not be saved"))

    def _act(self, action: str, mutation_id: str) -> None:
        writer, outbox = self._writer(), _outbox()
        if writer is None:
            return
        fn = outbox.retry if action == "retry" else outbox.discard
        self._run(lambda: writer.run(fn, mutation_id), done=lambda _c: self._after_write(None),
                  what=self.tr("Retry failed") if action == "retry" else self.tr("Discard failed"))

    def _after_write(self, order_id) -> None:
        self._session.sync_now()  # send it now, not at the next long-poll turn
        self._refresh_outbox()
        if order_id is not None and order_id == self._section.order_id:
            self._refresh_remark(order_id)

    # ---- reads ------------------------------------------------------------------------

    def _refresh_remark(self, order_id: int) -> None:
        engine = self._engine()
        if engine is None:
            return
        remarks = _remarks()
        self._run(lambda: (remarks.remark_state(engine, order_id), remarks.remark_history(engine, order_id)),
                  done=lambda result: self._show_remark(order_id, *result),
                  what=self.tr("The remark history could not be read"))

    def _show_remark(self, order_id: int, state, history) -> None:
        if order_id != self._section.order_id:
            return  # another order is open by now
        detail = ""
        if state.status == "rejected" and state.entry is not None:
            detail = state.entry.last_error or ""
        self._section.set_state(_STATES.get(state.status, ""), detail)
        self._section.set_history([RemarkHistoryEntry(e.text, e.flag, e.reason, e.agent_no or None, e.at,
                                                      pending=e.status in ("saved", "conflict", "rejected"))
                                   for e in history])

    def _refresh_outbox(self) -> None:
        engine = self._engine()
        if engine is None:
            self._pane.set_entries([])
            self._status.set_outbox_count(0)
            return
        outbox = _outbox()
        self._run(lambda: outbox.entries(engine), done=self._show_outbox,
                  what=self.tr("The list of waiting changes could not be read"))

    def _show_outbox(self, entries) -> None:
        rows = [PaneEntry(e.mutation_id, e.kind, e.entity_id, _summary(e), e.status, e.attempts,
                          e.last_error, e.created_at) for e in entries]
        self._pane.set_entries(rows)
        attention = sum(1 for e in entries if e.status in ("conflict", "rejected"))
        self._status.set_outbox_count(len(entries), attention)

    def _open_entry(self, mutation_id: str) -> None:
        """Activating an outbox row opens its order (and the merge view for a conflict)."""
        entry = next((e for e in self._pane_entries() if e.mutation_id == mutation_id), None)
        if entry is not None and entry.entity_id is not None:
            self._lookup.open_order(entry.entity_id)

    def _pane_entries(self):
        model = self._pane.model
        return [model.entry(r) for r in range(model.rowCount())]

    # ---- helpers ----------------------------------------------------------------------

    def _compose(self, text: str, reason: str) -> str:
        remarks = _remarks()
        from workstation.models.timefmt import utc_now  # noqa: PLC0415

        return remarks.compose_memo(text, reason, self._agent_no() or "0000", utc_now())

    def _run(self, job, *, done, what: str) -> None:
        def failed(exc: BaseException) -> None:
            log.warning("%s: %s", what, exc)
            self._session.message.emit(f"{what}: {describe_error(exc)}", True)

        self._session.runner.submit(job, on_done=done, on_error=failed)

    def _writer(self):
        cache = self._session.cache
        return cache.writer if cache is not None else None

    def _engine(self):
        cache = self._session.cache
        return cache.engine if cache is not None else None

    def _agent_no(self) -> str:
        session = self._session.session
        return session.identity.agent_no if session is not None else ""


def _time(value):
    from workstation.models.timefmt import from_db  # noqa: PLC0415

    return from_db(value) if isinstance(value, str) else value


def _summary(entry) -> str:
    text = str(entry.payload.get("text", "") or entry.payload.get("reason", "") or entry.kind)
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 60 else first[:57] + "…"
