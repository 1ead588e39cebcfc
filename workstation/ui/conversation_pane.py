"""The open conversation: its history (offline, from the cache), a search over it, the
reply box, the held-reply bar and the conversation's actions (claim, transfer, close,
reopen), with a line naming a colleague who is looking or typing.

- Reads (`models.conversations.get_conversation` + `history`, one indexed query each) run
  off the GUI thread, newest request only; a change set naming this conversation, any new
  message or an outbox change re-reads it.
- Writes are writer jobs through `submit_write` (`ui/writes.py`); what they change comes
  back as a change set, which re-reads the pane. The reply box is cleared only once the
  reply is saved (a refused reply keeps the agent's text).
- A held reply (the conversation moved on since the agent read it) is never sent by
  itself: the bar says why and offers Send anyway / Edit / Discard.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QLineEdit, QListView, QPushButton,
                               QVBoxLayout, QWidget)

from workstation.ui.conversation_bars import HeldBar, TransferBar
from workstation.ui.message_model import MessageModel
from workstation.ui.phrase_picker import PhrasePicker
from workstation.ui.reply_box import ReplyEdit
from workstation.ui.tasks import LatestOnly

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 150


def _chat():
    from workstation.models import conversations  # noqa: PLC0415 (lazy: SQLAlchemy)

    return conversations


def _outbox():
    from workstation.models import outbox  # noqa: PLC0415

    return outbox


class ConversationPane(QWidget):
    conversation_shown = Signal(int)  # the history of this conversation is on screen
    buyer_changed = Signal(object)  # buyer id of the open conversation, or None
    write_done = Signal(str)  # what was written ("reply", "claim", …), once saved

    def __init__(self, parent: QWidget | None = None, *, submit_write: Callable | None = None,
                 presence=None) -> None:
        super().__init__(parent)
        self.setObjectName("conversationPane")
        self._engine = None
        self._agent_no = ""
        self._submit_write = submit_write
        # () -> (order id, buyer id) of the order open in the context area, or None (the
        # main window supplies it): the quick phrases' "this order".
        self._context_order: Callable[[], tuple[int, int] | None] = lambda: None
        self._conversation_id: int | None = None
        self._conversation = None
        self._agents: list = []
        self._focus_when_loaded = False
        self._editing: str | None = None  # mutation id of the held reply being edited
        self._marked: dict[int, int] = {}  # conversation id -> read mark sent
        self._drafts: dict[int, str] = {}  # what the agent was typing in another conversation
        self._matches: list[int] = []
        self._match_at = -1
        self.presence = None
        self._reader = LatestOnly(self, name="conversation")
        self._reader.finished.connect(self._on_loaded)
        self._reader.failed.connect(self._on_load_failed)
        self._searcher = LatestOnly(self, name="conversation-search")
        self._searcher.finished.connect(self._on_search_results)
        self._searcher.failed.connect(lambda _r, exc: self.search_info.setText(str(exc)))
        self._agents_reader = LatestOnly(self, name="conversation-agents")
        self._agents_reader.finished.connect(self._on_agents)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.model = MessageModel(self)
        self._build()
        if presence is not None:
            self.attach_presence(presence)
        self._show_conversation(None)

    # ---- inputs -------------------------------------------------------------------------

    def set_engine(self, engine) -> None:
        self._reader.cancel()
        self._engine = engine
        self.phrases.set_engine(engine)
        self._marked.clear()
        if engine is None:
            self.open_conversation(None)
            return
        self._agents_reader.submit(None, lambda: _chat().agents(engine))
        if self._conversation_id is not None:
            self._load()

    def set_agent(self, agent_no: str | None) -> None:
        self._agent_no = agent_no or ""

    def set_identity(self, identity) -> None:
        """The signed-in agent (`AgentIdentity`): agent no., and the names the phrases use."""
        self.set_agent(identity.agent_no if identity is not None else "")
        self.phrases.set_agent(identity)

    def set_context_order(self, provider: Callable[[], tuple[int, int] | None]) -> None:
        self._context_order = provider

    # ---- quick phrases -------------------------------------------------------------------

    def open_phrases(self) -> bool:
        """`/` or Ctrl+K in the reply box: the picker, filled for this buyer."""
        if self._engine is None or not self.reply.isEnabled():
            return False
        cursor = self.reply.cursorRect()
        return self.phrases.open_for(self.phrase_context(), self.reply.mapToGlobal(cursor.bottomLeft()),
                                     above=self.reply.mapToGlobal(cursor.topLeft()))

    def phrase_context(self):
        """Which buyer and order the phrase is about: the open conversation's buyer; the
        order open in the context area when it is this buyer's (else the buyer's newest)."""
        from workstation.models.phrase_fill import FillContext  # noqa: PLC0415

        conv = self._conversation
        buyer_id = conv.buyer_id if conv is not None else None
        order_id = None
        shown = self._context_order()
        if shown is not None and buyer_id is not None and shown[1] == buyer_id:
            order_id = shown[0]
        return FillContext(conversation_id=self._conversation_id, buyer_id=buyer_id, order_id=order_id)

    def _phrase_inserted(self, phrase_id, text: str) -> None:
        self.reply.insert_phrase(text)

    def _record_phrase_use(self, phrase_id: int) -> None:
        from workstation.models import phrases  # noqa: PLC0415

        if self._submit_write is not None:
            self._submit_write(lambda engine: phrases.record_use(engine, phrase_id),
                               what=self.tr("The phrase's use could not be counted"))

    def attach_presence(self, presence) -> None:
        """A `ui.presence.PresenceWatcher`: told which conversation is open and when the agent
        types; its answers fill the "colleague viewing / typing" line."""
        self.presence = presence
        presence.others_changed.connect(self._on_presence)
        self.reply.typing.connect(presence.typed)
        if self._conversation_id is not None:
            presence.watch(self._conversation_id)

    def set_submit_write(self, submit_write: Callable | None) -> None:
        self._submit_write = submit_write

    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    @property
    def conversation(self):
        return self._conversation

    def open_conversation(self, conversation_id: int | None) -> None:
        if conversation_id == self._conversation_id:
            return
        if self._conversation_id is not None and self._editing is None and self.reply.text().strip():
            self._drafts[self._conversation_id] = self.reply.text()
        self._conversation_id = conversation_id
        self._conversation = None
        self._editing = None
        self._focus_when_loaded = False
        self.model.clear()
        self.search.clear()
        self.reply.clear()
        if conversation_id is not None and conversation_id in self._drafts:
            self.reply.set_text(self._drafts.pop(conversation_id))
        self._show_conversation(None)
        if self.presence is not None:
            self.presence.watch(conversation_id)
        if conversation_id is None:
            self.buyer_changed.emit(None)
            return
        self._load()

    def focus_reply(self) -> None:
        """Into the reply box (at once, or as soon as the conversation is loaded)."""
        if self.reply.isEnabled():
            self.reply.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self._focus_when_loaded = True

    def shutdown(self) -> None:
        self.phrases.shutdown()
        self._reader.shutdown()
        self._searcher.shutdown()
        self._agents_reader.shutdown()
        if self.presence is not None:
            self.presence.shutdown()

    # ---- change events (ui/events.py) ---------------------------------------------------

    def on_conversations_changed(self, change) -> None:
        if self._conversation_id is not None and change.touches([self._conversation_id]):
            self._load()

    def on_messages_changed(self, change) -> None:
        if self._conversation_id is not None and change:
            self._load()  # message ids do not say their conversation: one indexed read

    def on_phrases_changed(self, change) -> None:
        self.phrases.on_phrases_changed(change)

    def on_phrase_use_changed(self, change) -> None:
        self.phrases.on_phrase_use_changed(change)

    def on_outbox_changed(self, _ids) -> None:
        self.phrases.on_outbox_changed(_ids)
        if self._conversation_id is not None:
            self._load()

    def on_agents_changed(self, change) -> None:
        if change and self._engine is not None:
            engine = self._engine
            self._agents_reader.submit(None, lambda: _chat().agents(engine))

    # ---- the agent's actions --------------------------------------------------------------

    def send(self) -> None:
        """Enter in the reply box (or the Send button)."""
        text = self.reply.text()
        cid = self._conversation_id
        if cid is None or not text.strip():
            return
        chat, agent_no, editing = _chat(), self._agent_no, self._editing
        # Based on what the agent has seen: a buyer message that arrived since is not
        # answered blindly (the reply is held instead).
        seen = self.model.newest_message_id()
        if editing is not None:
            job = lambda engine: chat.confirm_reply(engine, editing, text=text)  # noqa: E731
        else:
            job = lambda engine: chat.send_reply(engine, cid, text, agent_no=agent_no,  # noqa: E731
                                                 after_message_id=seen)

        def saved(_changes) -> None:
            if self.reply.text() == text:
                self.reply.clear()
            if self._editing == editing:
                self._editing = None
                self._update_held_bar()
            self._load()
            self.write_done.emit("reply")

        self._write(job, what=self.tr("The reply could not be saved"), done=saved)

    def send_held_anyway(self) -> None:
        held = self._first_held()
        if held is None:
            return
        chat, mutation_id = _chat(), held.mutation_id
        self._write(lambda engine: chat.confirm_reply(engine, mutation_id),
                    what=self.tr("The reply could not be sent"), done=lambda _c: self._after("confirm"))

    def edit_held(self) -> None:
        held = self._first_held()
        if held is None:
            return
        self._editing = held.mutation_id
        self.reply.set_text(held.text)
        self._update_held_bar()
        self.focus_reply()

    def discard_held(self) -> None:
        held = self._first_held()
        if held is None:
            return
        outbox, mutation_id = _outbox(), held.mutation_id
        if self._editing == mutation_id:
            self._editing = None
        self._write(lambda engine: outbox.discard(engine, mutation_id),
                    what=self.tr("The reply could not be discarded"), done=lambda _c: self._after("discard"))

    def claim(self) -> None:
        self._conversation_write("claim", lambda chat, engine, cid: chat.claim(engine, cid, agent_no=self._agent_no),
                                 self.tr("The conversation could not be taken"))

    def close_conversation(self) -> None:
        self._conversation_write("close", lambda chat, engine, cid: chat.close(engine, cid),
                                 self.tr("The conversation could not be closed"))

    def reopen(self) -> None:
        self._conversation_write("reopen", lambda chat, engine, cid: chat.reopen(engine, cid),
                                 self.tr("The conversation could not be reopened"))

    def show_transfer(self) -> None:
        self.transfer_bar.open()

    def transfer(self, to_agent_no: str, note: str) -> None:
        agent_no = self._agent_no

        def job(chat, engine, cid):
            return chat.transfer(engine, cid, to_agent_no, note, agent_no=agent_no)

        self._conversation_write("transfer", job, self.tr("The conversation could not be transferred"),
                                 then=self.transfer_bar.done)

    # ---- writes ---------------------------------------------------------------------------

    def _conversation_write(self, name: str, call, what: str, then: Callable | None = None) -> None:
        cid = self._conversation_id
        if cid is None:
            return
        chat = _chat()

        def done(_changes) -> None:
            if then is not None:
                then()
            self._after(name)

        self._write(lambda engine: call(chat, engine, cid), what=what, done=done)

    def _write(self, job, *, what: str, done) -> None:
        if self._submit_write is None:
            self.status.setText(self.tr("Not connected to a cache"))
            return
        self._submit_write(job, what=what, on_done=done,
                           on_error=lambda exc: self.status.setText(f"{what}: {_reason(exc)}"))

    def _after(self, name: str) -> None:
        self.status.setText("")
        self._load()
        self.write_done.emit(name)

    def _mark_read(self, conversation) -> None:
        upto = self.model.newest_message_id()
        cid = conversation.conversation_id
        if not conversation.unread or upto <= self._marked.get(cid, 0) or not self.isVisible():
            return
        if self._submit_write is None:
            return
        self._marked[cid] = upto
        chat = _chat()
        self._submit_write(lambda engine: chat.mark_read(engine, cid, upto),
                           what=self.tr("The conversation could not be marked read"), on_done=None,
                           on_error=lambda _exc: self._marked.pop(cid, None))

    # ---- reads ----------------------------------------------------------------------------

    def _load(self) -> None:
        engine, cid = self._engine, self._conversation_id
        if engine is None or cid is None:
            return
        chat = _chat()
        self._reader.submit((engine, cid), lambda: (chat.get_conversation(engine, cid), chat.history(engine, cid)))

    def _on_loaded(self, request, result) -> None:
        engine, cid = request
        if engine is not self._engine or cid != self._conversation_id:
            return
        conversation, history = result
        first = self._conversation is None
        self._conversation = conversation
        if conversation is not None:
            self.model.set_context(agent_no=self._agent_no, buyer_nick=conversation.buyer_nick,
                                   names={a.agent_no: a.display_name for a in self._agents})
        at_end = self._at_end()
        self.model.set_messages(history)
        self._show_conversation(conversation)
        if first and conversation is not None:
            self.buyer_changed.emit(conversation.buyer_id)
        if at_end or first:
            self.messages.scrollToBottom()
        if conversation is not None:
            self._mark_read(conversation)
        if self._focus_when_loaded and self.reply.isEnabled():
            self._focus_when_loaded = False
            self.reply.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.conversation_shown.emit(cid)

    def _on_load_failed(self, _request, exc: BaseException) -> None:
        log.warning("the conversation could not be read: %s", exc)
        self.status.setText(self.tr("The conversation could not be read: %1").replace("%1", _reason(exc)))

    def _on_agents(self, _request, agents) -> None:
        self._agents = list(agents)
        self.transfer_bar.set_agents(self._agents, self._agent_no)

    def _run_search(self) -> None:
        text, engine, cid = self.search.text(), self._engine, self._conversation_id
        if not text.strip() or engine is None or cid is None:
            self._matches, self._match_at = [], -1
            self.model.set_matches([])
            self.search_info.setText("")
            return
        chat = _chat()
        self._searcher.submit((cid, text), lambda: chat.search_history(engine, cid, text))

    def _on_search_results(self, request, ids) -> None:
        cid, text = request
        if cid != self._conversation_id or text != self.search.text():
            return
        self._matches = sorted(ids)
        self.model.set_matches(self._matches)
        self._match_at = len(self._matches)
        if self._matches:
            self.search_info.setText(self.tr("%1 found").replace("%1", str(len(self._matches))))
            self.next_match()
        else:
            self.search_info.setText(self.tr("Not found"))

    def next_match(self) -> None:
        """Enter in the search box: the next older hit (newest first, then round)."""
        if not self._matches:
            return
        self._match_at = (self._match_at - 1) % len(self._matches)
        row = self.model.row_of_message(self._matches[self._match_at])
        if row is not None:
            index = self.model.index(row)
            self.messages.setCurrentIndex(index)
            self.messages.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # ---- view -----------------------------------------------------------------------------

    def _show_conversation(self, c) -> None:
        has = c is not None
        is_open = has and c.status == "open"
        mine = has and (c.assigned_agent_no or "") == self._agent_no and bool(self._agent_no)
        if not has:
            self.title.setText(self.tr("No conversation open") if self._conversation_id is None
                               else self.tr("Loading…"))
            self.assignee.setText("")
        else:
            self.title.setText(c.buyer_nick or self.tr("Buyer %1").replace("%1", str(c.buyer_id)))
            state = self.tr("Open") if is_open else self.tr("Closed")
            if c.assigned_agent_no:
                who = self.tr("me") if mine else self._agent_label(c.assigned_agent_no)
                self.assignee.setText(self.tr("%1 · with %2").replace("%1", state).replace("%2", who))
            else:
                self.assignee.setText(self.tr("%1 · unassigned").replace("%1", state))
        self.claim_button.setEnabled(is_open and not mine)
        self.transfer_button.setEnabled(is_open)
        self.close_button.setEnabled(is_open)
        self.reopen_button.setEnabled(has and not is_open)
        self.reply.setEnabled(is_open)
        self.send_button.setEnabled(is_open)
        self.search.setEnabled(has)
        if has and not is_open:
            self.reply.setPlaceholderText(self.tr("The conversation is closed: reopen it to reply"))
        else:
            self.reply.setPlaceholderText(self.tr("Reply… (Enter sends, Shift+Enter new line)"))
        if not is_open:
            self.transfer_bar.hide()
        self._update_held_bar()

    def _agent_label(self, agent_no: str) -> str:
        name = next((a.display_name for a in self._agents if a.agent_no == agent_no), "")
        return f"{name} {agent_no}" if name else agent_no

    def _first_held(self):
        held = self.model.held()
        return held[0] if held else None

    def _update_held_bar(self) -> None:
        held = self._first_held()
        if held is None:
            self._editing = None  # nothing held any more: Enter sends a new reply
        self.held_bar.show_reply(held, len(self.model.held()),
                                 held is not None and self._editing == held.mutation_id)

    def _on_presence(self, conversation_id: int, others) -> None:
        if conversation_id != self._conversation_id or not others:
            self.presence_line.setText("")
            self.presence_line.hide()
            return
        parts = []
        for p in others:
            who = f"{p.display_name} {p.agent_no}".strip()
            parts.append(self.tr("%1 is typing…").replace("%1", who) if p.state == "typing"
                         else self.tr("%1 is viewing").replace("%1", who))
        self.presence_line.setText(" · ".join(parts))
        self.presence_line.show()

    def _at_end(self) -> bool:
        bar = self.messages.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)

        header = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("conversationTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        header.addWidget(self.title)
        self.assignee = QLabel(self)
        header.addWidget(self.assignee, 1)
        self.claim_button = self._button(self.tr("Take"), self.claim, header, self.tr("Take this conversation"))
        self.transfer_button = self._button(self.tr("Transfer…"), self.show_transfer, header,
                                            self.tr("Hand it to a colleague, with a note"))
        self.close_button = self._button(self.tr("Close"), self.close_conversation, header,
                                         self.tr("End the conversation"))
        self.reopen_button = self._button(self.tr("Reopen"), self.reopen, header)
        layout.addLayout(header)

        self.transfer_bar = TransferBar(self)
        self.transfer_bar.transfer_requested.connect(self.transfer)
        self.transfer_to, self.transfer_note = self.transfer_bar.to, self.transfer_bar.note
        self.transfer_ok = self.transfer_bar.ok_button
        layout.addWidget(self.transfer_bar)

        self.presence_line = QLabel(self)
        self.presence_line.setObjectName("presenceLine")
        self.presence_line.setStyleSheet("color: #1558b0;")
        self.presence_line.hide()
        layout.addWidget(self.presence_line)

        search_row = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setObjectName("historySearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("Search this conversation"))
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.next_match)
        search_row.addWidget(self.search, 1)
        self.search_info = QLabel(self)
        search_row.addWidget(self.search_info)
        layout.addLayout(search_row)

        self.messages = QListView(self)
        self.messages.setObjectName("messageList")
        self.messages.setModel(self.model)
        self.messages.setWordWrap(True)
        self.messages.setUniformItemSizes(False)
        self.messages.setSpacing(3)
        self.messages.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.messages.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.messages.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.messages, 1)

        self.held_bar = HeldBar(self)
        self.held_bar.send_anyway.connect(self.send_held_anyway)
        self.held_bar.edit.connect(self.edit_held)
        self.held_bar.discard.connect(self.discard_held)
        self.held_text = self.held_bar.text
        self.send_anyway_button = self.held_bar.send_anyway_button
        self.edit_held_button = self.held_bar.edit_button
        self.discard_held_button = self.held_bar.discard_button
        layout.addWidget(self.held_bar)

        reply_row = QHBoxLayout()
        self.reply = ReplyEdit(self)
        self.reply.setMaximumHeight(110)
        self.reply.send_requested.connect(self.send)
        self.reply.phrases_requested.connect(self.open_phrases)
        self.reply.setToolTip(self.tr("Enter sends, Shift+Enter new line; / or Ctrl+K: quick phrases"))
        self.phrases = PhrasePicker(self, record_use=self._record_phrase_use)
        self.phrases.inserted.connect(self._phrase_inserted)
        self.phrases.closed.connect(lambda: self.reply.setFocus(Qt.FocusReason.PopupFocusReason))
        reply_row.addWidget(self.reply, 1)
        self.send_button = self._button(self.tr("Send"), self.send, reply_row, self.tr("Send (Enter)"))
        layout.addLayout(reply_row)
        self.status = QLabel(self)
        self.status.setObjectName("conversationStatus")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #c62828;")
        layout.addWidget(self.status)

    def _button(self, text: str, slot, layout, tooltip: str | None = None) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        if tooltip:
            button.setToolTip(tooltip)
        layout.addWidget(button)
        return button


def _reason(exc: BaseException) -> str:
    from workstation.ui.errors import describe_error  # noqa: PLC0415

    return describe_error(exc)
