"""The queue pane over a real cache: longest waiting first, re-sorted in place when a buyer
writes, a wait timer driven by an injected clock, the overdue mark in words and colour,
and the filters."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.chat_data import COLLEAGUE, ME, Clock, build_chat_cache, buyer_writes
from workstation.ui.events import CacheEvents
from workstation.ui.queue_model import OVERDUE_ROLE, Column, QueueModel, wait_text
from workstation.ui.queue_pane import QueuePane


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite")
    yield c
    c.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def pane(qtbot, cache, clock):
    p = QueuePane(clock=clock, overdue_after_s=100)
    qtbot.addWidget(p)
    p.resize(420, 500)
    p.show()
    p.set_agent(ME)
    with qtbot.waitSignal(p.rows_shown, timeout=5000):
        p.set_engine(cache.engine)
    yield p
    p.shutdown()


def nicks(pane) -> list[str]:
    return [r.buyer_nick for r in pane.model.rows()]


def cell(pane, cid: int, column: Column, role=Qt.ItemDataRole.DisplayRole):
    return pane.model.data(pane.model.index(pane.model.row_of(cid), column), role)


def test_open_conversations_longest_waiting_first_closed_ones_left_out(pane):
    # waiting 312 s, 60 s, 30 s, then the answered one; the closed conversation is not here
    assert nicks(pane) == ["tb_zw2024", "li_mei", "chenjing", "sunny_liu"]
    assert cell(pane, 2, Column.WAIT) == "Overdue 5:12"  # over the shop's 100 s
    assert cell(pane, 1, Column.WAIT) == "1:00"
    assert cell(pane, 2, Column.UNREAD) == "2"
    assert cell(pane, 2, Column.PREVIEW) == "亲,什么时候发货?"
    assert cell(pane, 3, Column.WAIT) == ""  # answered: no timer
    assert cell(pane, 4, Column.ASSIGNEE) == "Unassigned"


def test_a_buyer_writing_resorts_the_queue_in_place(qtbot, pane, cache):
    """The answered conversation's buyer writes: it moves up among the waiting ones, the
    model is never reset and the agent's selected row stays selected."""
    events = CacheEvents()  # the real merge window: the first change of a burst is not delayed
    events.attach(cache.writer)
    events.subscribe(pane)
    resets = []
    pane.model.modelReset.connect(lambda: resets.append(1))
    pane.select_conversation(1)
    try:
        with qtbot.waitSignal(pane.rows_shown, timeout=5000):
            buyer_writes(cache, 3, 34, "还有一个问题", seq=100, ago_s=45, waiting_s=45).result()
        assert nicks(pane) == ["tb_zw2024", "li_mei", "sunny_liu", "chenjing"]
        assert cell(pane, 3, Column.PREVIEW) == "还有一个问题"
        assert cell(pane, 3, Column.WAIT) == "0:45"
        assert resets == []
        assert pane.current_conversation_id() == 1
        assert events.emitted == 1
    finally:
        events.detach()


def test_the_first_change_after_a_quiet_spell_is_delivered_at_once(qtbot, pane, cache):
    """A new buyer message must reach the queue without waiting out the merge window."""
    events = CacheEvents(min_interval_ms=200)
    events.attach(cache.writer)
    events.subscribe(pane)
    delayed = []
    events._timer.timeout.connect(lambda: delayed.append(1))
    try:
        with qtbot.waitSignal(pane.rows_shown, timeout=5000):
            buyer_writes(cache, 1, 13, "快点", seq=101, ago_s=1, waiting_s=60, unread=2).result()
        assert cell(pane, 1, Column.UNREAD) == "2"
        assert delayed == [] and not events._timer.isActive()
    finally:
        events.detach()


def test_the_timer_column_advances_with_the_clock_alone(qtbot, pane, clock):
    pane.timer.stop()  # the test is the clock: its ticks are the ones below
    changed = []
    pane.model.dataChanged.connect(lambda tl, br, roles=(): changed.append((tl.row(), tl.column(), br.row(),
                                                                           br.column())))
    assert cell(pane, 1, Column.WAIT) == "1:00"
    clock.advance(1)
    pane.timer.timeout.emit()
    assert cell(pane, 1, Column.WAIT) == "1:01"
    assert changed == [(0, Column.WAIT, 3, Column.WAIT)]  # one signal, the wait column only
    clock.advance(3600)
    assert cell(pane, 2, Column.WAIT) == "Overdue 1:05"  # an hour and more: h:mm


def test_the_timer_runs_only_while_the_queue_is_visible(qtbot, pane):
    assert pane.timer.isActive()
    pane.hide()
    assert not pane.timer.isActive()
    pane.show()
    assert pane.timer.isActive()


def test_wait_text():
    assert [wait_text(s) for s in (0, 9, 61, 599, 3599, 3600, 7260)] == ["0:00", "0:09", "1:01", "9:59", "59:59",
                                                                          "1:00", "2:01"]


@pytest.fixture
def chinese(qapp):
    from PySide6.QtCore import QLocale

    from workstation.ui.i18n import install_translators

    translators = install_translators(qapp, "zh_CN")
    yield
    for t in translators:
        qapp.removeTranslator(t)
    QLocale.setDefault(QLocale("en_US"))


def test_overdue_at_the_threshold_in_chinese_with_colour_and_text(qtbot, pane, clock, chinese):
    # li_mei has waited 60 s: overdue at 100 s, not a second before
    clock.advance(39)
    assert cell(pane, 1, Column.WAIT) == "1:39"
    assert not cell(pane, 1, Column.WAIT, OVERDUE_ROLE)
    assert cell(pane, 1, Column.WAIT, Qt.ItemDataRole.BackgroundRole) is None
    clock.advance(1)
    assert cell(pane, 1, Column.WAIT) == "超时 1:40"
    assert cell(pane, 1, Column.WAIT, OVERDUE_ROLE)
    assert cell(pane, 1, Column.WAIT, Qt.ItemDataRole.BackgroundRole) is not None  # colour AND text
    assert cell(pane, 2, Column.WAIT) == "超时 5:52"


def test_an_agent_override_of_the_threshold(qtbot, pane, tmp_path):
    from workstation.settings import AgentIdentity, Settings

    settings = Settings(tmp_path / "s.ini")
    settings.identity = AgentIdentity(1, "wang", "王小二", ME, 7, "棉麻小铺", overdue_after_s=600)
    pane.set_overdue_after(settings.overdue_threshold_s())
    assert cell(pane, 2, Column.WAIT) == "5:12"  # under the shop's 10 minutes
    settings.overdue_after_s = 45
    pane.set_overdue_after(settings.overdue_threshold_s())
    assert cell(pane, 1, Column.WAIT) == "Overdue 1:00"
    assert cell(pane, 4, Column.WAIT) == "0:30"
    assert "2 overdue" in pane.info.text()


def test_filters_mine_unassigned_all_open(qtbot, pane, cache):
    with qtbot.waitSignal(pane.rows_shown, timeout=5000):
        qtbot.mouseClick(pane._view_buttons["unassigned"], Qt.MouseButton.LeftButton)
    assert nicks(pane) == ["chenjing"]
    with qtbot.waitSignal(pane.rows_shown, timeout=5000):
        pane.set_view("mine")
    assert nicks(pane) == ["tb_zw2024", "li_mei", "sunny_liu"]
    with qtbot.waitSignal(pane.rows_shown, timeout=5000):
        pane.set_agent(COLLEAGUE)
    assert nicks(pane) == []
    assert pane.info.text() == "No open conversations"
    with qtbot.waitSignal(pane.rows_shown, timeout=5000):
        pane.set_view("open")
    assert len(nicks(pane)) == 4


def test_next_waiting_opens_the_longest_waiting_then_the_next(qtbot, pane):
    opened = []
    pane.conversation_selected.connect(opened.append)
    assert pane.open_next_waiting() == 2
    assert pane.open_next_waiting() == 1  # 2 is open already: the next one
    assert opened == [2, 1]


def test_sync_rows_moves_inserts_and_removes_without_a_reset(qapp):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:
        conversation_id: int
        waiting_since: object = None
        buyer_nick: str = ""

    model = QueueModel()
    model.set_rows([Row(1), Row(2), Row(3), Row(4)])
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.sync_rows([Row(3), Row(1), Row(5), Row(2, buyer_nick="x")])
    assert [r.conversation_id for r in model.rows()] == [3, 1, 5, 2]
    assert model.row_at(3).buyer_nick == "x"
    assert resets == []


def test_a_row_leaving_the_list_never_opens_another_conversation(qtbot, pane, cache):
    """The open conversation is closed (here: by a colleague, through sync): its row goes,
    and the queue does not open its neighbour under the agent."""
    from tests.ui.chat_data import CONVERSATIONS

    events = CacheEvents(min_interval_ms=0)
    events.attach(cache.writer)
    events.subscribe(pane)
    opened = []
    pane.conversation_selected.connect(opened.append)
    pane.select_conversation(1)
    try:
        closed = dict(next(c for c in CONVERSATIONS if c["id"] == 1), seq=200, status="closed", version=2)
        from workstation.models.apply import apply_changes

        with qtbot.waitSignal(pane.rows_shown, timeout=5000):
            cache.writer.submit(apply_changes, "conversations", [{"seq": 200, "op": "upsert", "item": closed}],
                                next_cursor="c-200").result()
        assert 1 not in [r.conversation_id for r in pane.model.rows()]
        assert opened == [1]
        assert not pane.table.selectionModel().hasSelection()
        assert pane.current_conversation_id() == 1  # still the one open in the conversation pane
    finally:
        events.detach()


def test_sync_rows_moves_only_the_rows_out_of_order(qapp):
    """One buyer writing moves one row, whichever way: the rows between never move."""
    import random
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Row:
        conversation_id: int
        waiting_since: object = None
        buyer_nick: str = ""

    model = QueueModel()
    rows = [Row(i) for i in range(20)]
    model.set_rows(rows)
    moves = []
    model.rowsMoved.connect(lambda *args: moves.append(args))
    model.sync_rows(rows[1:] + rows[:1])  # the top one to the bottom
    model.sync_rows(rows)  # and back to the top
    assert len(moves) == 2
    rnd = random.Random(9)
    for _ in range(50):  # any new order, with rows coming and going, ends exactly right
        new = [r for r in rows + [Row(100 + k) for k in range(5)] if rnd.random() < 0.8]
        rnd.shuffle(new)
        model.sync_rows(new)
        assert [r.conversation_id for r in model.rows()] == [r.conversation_id for r in new]
