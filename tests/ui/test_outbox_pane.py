"""The outbox panel: what is still waiting, with the real error; Retry and Discard."""
from __future__ import annotations

from datetime import datetime, timezone

from workstation.ui.outbox_pane import OutboxEntry, OutboxPane


def _entry(mid: str, status: str = "pending", error: str | None = None, attempts: int = 0) -> OutboxEntry:
    return OutboxEntry(mid, "order.remark", 7, "换货：M码缺货，改发L码", status, attempts, error,
                       datetime(2026, 11, 11, 6, 2, tzinfo=timezone.utc))


def test_lists_waiting_and_refused_writes_with_their_real_error(qtbot):
    pane = OutboxPane()
    qtbot.addWidget(pane)
    assert "reached the server" in pane.summary.text()
    pane.set_entries([_entry("a"), _entry("b", "rejected", "not_found: no such order", 3)])
    assert "2 changes not confirmed" in pane.summary.text() and "1 need your attention" in pane.summary.text()
    model = pane.model
    assert model.data(model.index(1, 0)) == "● Refused by the server"
    assert model.data(model.index(1, 4)) == "not_found: no such order"


def test_retry_resends_the_same_id_and_discard_asks_first(qtbot):
    asked = []
    answer = {"yes": False}
    pane = OutboxPane(confirm=lambda entry: asked.append(entry.mutation_id) or answer["yes"])
    qtbot.addWidget(pane)
    pane.set_entries([_entry("m-1", "rejected", "server_failure: HTTP 503", 2)])
    pane.table.selectRow(0)
    with qtbot.waitSignal(pane.retry_requested) as retried:
        pane.retry_button.click()
    assert retried.args == ["m-1"]
    with qtbot.assertNotEmitted(pane.discard_requested):
        pane.discard_button.click()  # the agent said no
    answer["yes"] = True
    with qtbot.waitSignal(pane.discard_requested) as discarded:
        pane.discard_button.click()
    assert discarded.args == ["m-1"] and asked == ["m-1", "m-1"]


def test_a_status_change_updates_the_row_in_place(qtbot):
    pane = OutboxPane()
    qtbot.addWidget(pane)
    pane.set_entries([_entry("a"), _entry("b")])
    pane.table.selectRow(1)
    resets = []
    pane.model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(pane.model.dataChanged):
        pane.set_entries([_entry("a"), _entry("b", "inflight", attempts=1)])
    assert resets == [] and pane.table.currentIndex().row() == 1
    assert not pane.discard_button.isEnabled()  # being sent right now


def test_the_status_bar_counts_what_is_waiting_and_what_needs_the_agent(qtbot):
    from workstation.ui.status_pane import StatusPane

    status = StatusPane()
    qtbot.addWidget(status)
    status.show()
    status.set_connection("offline")
    status.set_outbox_count(3)
    assert status.waiting.isVisible() and status.waiting.text() == "↑ 3 changes waiting"
    assert "Offline since" in status.connection.text()
    status.set_outbox_count(3, attention=1)
    assert "1 need you" in status.waiting.text()
    with qtbot.waitSignal(status.outbox_requested):
        status.waiting.click()
    status.set_outbox_count(0)
    assert not status.waiting.isVisible()
