"""The two editors of issue 10 over a real cache with a real cache writer: the phrase
library (团队 read-only for an agent, editable for the manager; the agent's own phrases added,
edited and deleted through the outbox; the server's rules checked as the agent types) and
the shop settings (the auto-reply editor refuses a fifth line, typed or pasted; the counter
in Chinese; manager only)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.chat_data import ME, build_chat_cache
from tests.ui.helpers import type_chinese
from workstation.models import outbox
from workstation.models.apply import apply_snapshot_page
from workstation.settings import AgentIdentity
from workstation.ui.events import CacheEvents
from workstation.ui.phrase_library import PhraseLibraryDialog
from workstation.ui.shop_settings_dialog import ShopSettingsDialog
from workstation.ui.tasks import TaskRunner
from workstation.ui.writes import WriteSubmitter


def phrase(pid, owner, title, shortcut, text, category="logistics"):
    return {"id": pid, "seq": 900 + pid, "version": 1, "owner_agent_no": owner, "category": category, "title": title,
            "shortcut": shortcut, "text": text, "updated_by": "2048", "updated_at": "2026-11-10T01:00:00Z"}


PHRASES = [phrase(1, None, "查快递", "wl", "亲，您的快递单号是{tracking_no}"),
           phrase(2, None, "问候", "hi", "您好，欢迎光临{shop_name}", "greeting"),
           phrase(3, ME, "催发货安抚", "cfh", "亲，已经帮您催仓库了", "ship_faster")]
SETTINGS = {"id": 1, "seq": 990, "version": 3, "shop_name": "棉麻小铺", "auto_reply_enabled": True,
            "auto_reply_text": "亲，欢迎光临{shop_name}\n客服马上为您服务", "cutoff_time": "16:00",
            "updated_by": "1024", "updated_at": "2026-11-20T06:00:00Z"}


def identity(role: str) -> AgentIdentity:
    return AgentIdentity(1, "wang", "王小二", ME, 1, "棉麻小铺", role=role)


@pytest.fixture
def cache(tmp_path):
    c = build_chat_cache(tmp_path / "chat.sqlite", n_orders=6)
    for stream, items in (("phrases", PHRASES), ("shop_settings", [SETTINGS])):
        apply_snapshot_page(c.engine, stream, items, next_cursor=None, done=True, feed_cursor="f", total=len(items))
    yield c
    c.close()


@pytest.fixture
def opened(qtbot, cache):
    events = CacheEvents(min_interval_ms=0)
    events.attach(cache.writer)
    runner = TaskRunner(max_threads=1, name="test-writes")
    dialogs = []

    def _open(cls, role="agent"):
        d = cls(engine=cache.engine, identity=identity(role), submit_write=WriteSubmitter(runner, lambda: cache.writer),
                events=events)
        qtbot.addWidget(d)
        signal = d.library_shown if cls is PhraseLibraryDialog else d.settings_shown
        with qtbot.waitSignal(signal, timeout=5000):
            d.show()
        dialogs.append(d)
        return d

    yield _open
    events.detach()
    for d in dialogs:
        d.shutdown()
    runner.shutdown()
    qtbot.waitUntil(cache.writer.idle, timeout=5000)


def titles(lst) -> list[str]:
    return [r.phrase.title for r in lst.model.rows()]


def state_of(lst, title):
    row = next(r for r in lst.model.rows() if r.phrase.title == title)
    return lst.model.state_text(row)


def confirm(qtbot, dialog):
    box = dialog.confirm_box
    assert box is not None and box.isVisible() and "“" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)


def test_an_agent_reads_the_team_list_and_adds_edits_and_deletes_their_own(qtbot, opened, cache):
    d = opened(PhraseLibraryDialog)
    team, mine = d.team_list, d.my_list
    assert titles(team) == ["问候", "查快递"] and titles(mine) == ["催发货安抚"]
    team.view.selectRow(0)
    for button in (team.add_button, team.edit_button, team.delete_button):
        assert not button.isEnabled() and button.toolTip() == "Only the store manager can change the team's phrases"
    assert d.add_phrase(team=True) is None and d.tabs.tabText(0) == "Team (read only)"
    # the filter: pinyin initials of the title, and the text
    d.filter.setText("cfh ")
    assert mine.proxy.rowCount() == 1 and team.proxy.rowCount() == 0
    d.filter.setText("快递单号")
    assert team.proxy.rowCount() == 1
    d.filter.clear()

    # add: the shortcut follows the title's pinyin initials; a variable from the menu
    editor = d.add_phrase(team=False)
    type_chinese(editor.title, "快递查询")
    qtbot.waitUntil(lambda: editor.shortcut.text() == "kdcx", timeout=5000)
    type_chinese(editor.text, "亲，单号是")
    editor.variable_actions["tracking_no"].trigger()
    assert editor.text.toPlainText() == "亲，单号是{tracking_no}" and editor.save_button.isEnabled()
    with qtbot.waitSignal(d.saved, timeout=5000):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.isVisible()
    qtbot.waitUntil(lambda: "快递查询" in titles(mine), timeout=5000)
    assert state_of(mine, "快递查询") == "waiting to send"
    (create,) = outbox.entries(cache.engine)
    assert (create.kind, create.payload) == ("phrase.create", {"team": False, "category": "bargain",
                                                               "title": "快递查询", "shortcut": "kdcx",
                                                               "text": "亲，单号是{tracking_no}"})

    # edit the synced one: the selection stays on it when the list comes back
    mine.select_key(("id", 3))
    editor = d.edit_phrase(mine)
    assert (editor.title.text(), editor.shortcut.text()) == ("催发货安抚", "cfh")
    editor.shortcut.setText("cuifahuo")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: mine.current().phrase.shortcut == "cuifahuo", timeout=5000)
    assert mine.current().phrase.id == 3
    assert state_of(mine, "催发货安抚") == "waiting to send"

    # delete the new one (not sent yet: its create is dropped) after confirming
    mine.select_key(("new", create.mutation_id))
    d.delete_phrase(mine)
    confirm(qtbot, d)
    qtbot.waitUntil(lambda: titles(mine) == ["催发货安抚"], timeout=5000)
    assert [(e.kind, e.entity_id, e.payload) for e in outbox.entries(cache.engine)] == [
        ("phrase.update", 3, {"category": "ship_faster", "title": "催发货安抚", "shortcut": "cuifahuo",
                              "text": "亲，已经帮您催仓库了"})]
    mine.select_key(("id", 3))
    d.delete_phrase(mine)
    confirm(qtbot, d)
    qtbot.waitUntil(lambda: titles(mine) == [], timeout=5000)
    assert [e.kind for e in outbox.entries(cache.engine)] == ["phrase.update", "phrase.delete"]


def test_the_manager_edits_the_team_list(qtbot, opened, cache):
    d = opened(PhraseLibraryDialog, role="manager")
    team = d.team_list
    team.select_key(("id", 1))
    assert team.edit_button.isEnabled() and d.tabs.tabText(0) == "Team"
    editor = d.edit_phrase(team)
    editor.text.setPlainText("亲，{carrier}单号{tracking_no}")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: team.current().phrase.text == "亲，{carrier}单号{tracking_no}", timeout=5000)
    assert [(e.kind, e.entity_id) for e in outbox.entries(cache.engine)] == [("phrase.update", 1)]


def test_the_form_says_what_the_server_would_refuse(qtbot, opened):
    d = opened(PhraseLibraryDialog)
    editor = d.add_phrase(team=False)
    assert editor.problem_label.text() == "Enter a title" and not editor.save_button.isEnabled()
    editor.title.setText("查快递")
    qtbot.waitUntil(lambda: editor.shortcut.text() == "ckd", timeout=5000)
    editor.shortcut.setText("kd-1")
    assert editor.problem_label.text() == "The shortcut may only hold lower-case letters a-z and digits 0-9"
    editor.shortcut.clear()
    qtbot.keyClicks(editor.shortcut, "KD")  # typed in upper case: kept lower case
    assert editor.shortcut.text() == "kd"
    assert editor.problem_label.text() == "Enter the text of the phrase"
    editor.text.setPlainText("单号{tracking_number}")
    assert editor.problem_label.text() == "{tracking_number} is not a variable; insert one with “Insert variable”"
    editor.text.setPlainText("x" * 501)
    assert editor.problem_label.text() == "The text has 501 characters; at most 500"
    assert not editor.save_button.isEnabled()
    editor.text.setPlainText("单号{tracking_no}")
    assert editor.problem_label.text() == "" and editor.save_button.isEnabled()


# ---- shop settings ------------------------------------------------------------------------

@pytest.fixture
def chinese(qapp):
    from workstation.ui.i18n import install_translators

    translators = install_translators(qapp, "zh_CN")  # the shipped translation
    yield
    for t in translators:
        qapp.removeTranslator(t)


def paste(edit, text: str) -> None:
    mime = QMimeData()
    mime.setText(text)
    edit.insertFromMimeData(mime)


def test_the_auto_reply_editor_refuses_a_fifth_line_and_counts_in_chinese(qtbot, chinese, opened, cache):
    d = opened(ShopSettingsDialog, role="manager")
    assert d.text.toPlainText() == SETTINGS["auto_reply_text"] and d.cutoff.time().toString("HH:mm") == "16:00"
    assert d.counter.text() == "2/4 行 · 26/300 字"
    assert d.preview.text() == "亲，欢迎光临棉麻小铺\n客服马上为您服务"
    edit = d.text
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    for line in ("a", "b"):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        qtbot.keyClicks(edit, line)
    assert d.counter.text() == "4/4 行 · 30/300 字" and d.limit_label.text() == ""
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # a fifth line: refused, and said why
    assert edit.toPlainText().count("\n") == 3 and d.limit_label.text() == "自动回复最多 4 行"
    edit.setPlainText("第一行")
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    paste(edit, "\n二\n三\n四\n五\n六")  # only the lines that fit are pasted
    assert edit.toPlainText() == "第一行\n二\n三\n四" and d.limit_label.text() == "自动回复最多 4 行"
    d.cutoff.setTime(d.cutoff.time().fromString("17:30", "HH:mm"))
    with qtbot.waitSignal(d.saved, timeout=5000):
        qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton)
    (e,) = outbox.entries(cache.engine)
    assert (e.kind, e.base_version, e.payload) == ("shop.settings", 3, {
        "auto_reply_enabled": True, "auto_reply_text": "第一行\n二\n三\n四", "cutoff_time": "17:30"})


def test_an_agent_cannot_change_the_shop_settings(qtbot, opened):
    d = opened(ShopSettingsDialog, role="agent")
    assert not d.save_button.isEnabled() and not d.text.isEnabled()
    assert d.save_button.toolTip() == "Only the store manager can change the shop settings"
    d.enabled.setChecked(False)  # even if it were ticked: nothing is written
    d.save()
    assert QApplication.activeModalWidget() is None


def conflicting_save(qtbot, d, cache):
    """The manager saves; a colleague's save reached the server first."""
    d.text.setPlainText("我的版本")
    with qtbot.waitSignal(d.saved, timeout=5000) as saved:
        qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.settings.status == "saved", timeout=5000)
    assert d.status.text() == "● Saved on this PC — sent when online"
    theirs = {**SETTINGS, "seq": 995, "version": 4, "auto_reply_text": "同事的版本", "updated_by": "2048"}
    outbox.take_batch(cache.engine)
    cache.writer.run(outbox.record_answers, [{"mutation_id": saved.args[0], "status": "conflict",
                                              "version": 4, "state": theirs}])
    qtbot.waitUntil(lambda: d.conflict is not None, timeout=5000)


def test_saving_again_over_a_colleagues_version(qtbot, opened, cache):
    d = opened(ShopSettingsDialog, role="manager")
    conflicting_save(qtbot, d, cache)
    with qtbot.waitSignal(d.saved, timeout=5000) as saved:
        qtbot.mouseClick(d.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.conflict is None and d.settings.status == "saved", timeout=5000)
    assert [(e.mutation_id, e.status, e.base_version, e.payload["auto_reply_text"])
            for e in outbox.entries(cache.engine)] == [(saved.args[0], "pending", 4, "我的版本")]


def test_a_colleagues_earlier_save_is_shown_and_can_be_loaded(qtbot, opened, cache):
    d = opened(ShopSettingsDialog, role="manager")
    conflicting_save(qtbot, d, cache)
    assert d.conflict_box.isVisibleTo(d)
    assert "agent 2048" in d.conflict_label.text() and "同事的版本" in d.conflict_label.text()
    assert d.text.toPlainText() == "我的版本"  # the manager's text stays until they choose
    qtbot.mouseClick(d.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.conflict is None and d.settings.status == "synced", timeout=5000)
    assert not d.conflict_box.isVisibleTo(d)
    assert (d.text.toPlainText(), d.settings.version) == ("同事的版本", 4)
    assert outbox.entries(cache.engine) == []


def test_a_refused_phrase_says_why_and_saving_it_again_replaces_the_refused_write(qtbot, opened, cache):
    d = opened(PhraseLibraryDialog)
    editor = d.add_phrase(team=False)
    editor.title.setText("退换货")
    editor.text.setPlainText("亲，七天无理由退换")
    with qtbot.waitSignal(d.saved, timeout=5000) as saved:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    outbox.take_batch(cache.engine)
    cache.writer.run(outbox.record_answers, [{"mutation_id": saved.args[0], "status": "rejected",
                                              "code": "too_long", "reason": "the text is too long"}])
    qtbot.waitUntil(lambda: "退换货" in titles(d.my_list) and state_of(d.my_list, "退换货") != "waiting to send",
                    timeout=5000)
    assert state_of(d.my_list, "退换货") == "Not saved: the text is too long"
    d.my_list.select_key(("new", saved.args[0]))
    qtbot.keyClick(d.my_list.view, Qt.Key.Key_Return)  # Enter edits
    editor = d.editor
    assert editor.isVisible() and editor.title.text() == "退换货"
    with qtbot.waitSignal(d.saved, timeout=5000) as again:
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert [(e.mutation_id, e.kind, e.status) for e in outbox.entries(cache.engine)] == [
        (again.args[0], "phrase.create", "pending")]
    qtbot.waitUntil(lambda: state_of(d.my_list, "退换货") == "waiting to send", timeout=5000)


def test_a_refusal_that_comes_while_the_list_is_being_read_is_shown(qtbot, opened, cache, monkeypatch):
    """The server refuses a new phrase at once, while the list's read after the save is still
    on its way (it read the phrase as waiting to send): the refusal is shown all the same,
    not "waiting to send" until something else happens to refresh the list."""
    import threading

    from workstation.ui import phrase_library

    d = opened(PhraseLibraryDialog)
    gate, read = threading.Event(), phrase_library.read_library
    gate.set()

    def slow_read(engine, agent_no):
        rows = read(engine, agent_no)
        gate.wait(10)  # the rows are read; they reach the list only when the gate opens
        return rows

    monkeypatch.setattr(phrase_library, "read_library", slow_read)
    gate.clear()
    try:
        editor = d.add_phrase(team=False)
        editor.title.setText("退换货")
        editor.text.setPlainText("亲，七天无理由退换")
        with qtbot.waitSignal(d.saved, timeout=5000) as saved:
            qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(d._reader.busy, timeout=5000)  # the read after the save is under way
        outbox.take_batch(cache.engine)
        seen = d._events.emitted
        cache.writer.run(outbox.record_answers, [{"mutation_id": saved.args[0], "status": "rejected",
                                                  "code": "too_long", "reason": "the text is too long"}])
        qtbot.waitUntil(lambda: d._events.emitted > seen, timeout=5000)  # the refusal reached the dialog
    finally:
        gate.set()
    qtbot.waitUntil(lambda: "退换货" in titles(d.my_list)
                    and state_of(d.my_list, "退换货") == "Not saved: the text is too long", timeout=5000)


def test_the_agent_menu_offers_the_shop_settings_to_the_manager_only(qtbot, tmp_path):
    from workstation.settings import Settings
    from workstation.ui.main_window import MainWindow

    w = MainWindow(Settings(tmp_path / "settings.ini"))
    qtbot.addWidget(w)
    actions = w.agent_menu.actions()
    assert w.phrases_action in actions and w.shop_settings_action in actions
    w.set_identity(identity("agent"))
    assert w.phrases_action.isEnabled() and not w.shop_settings_action.isEnabled()
    assert w.shop_settings_action.toolTip() == "Only the store manager can change the shop settings"
    w.set_identity(identity("manager"))
    assert w.shop_settings_action.isEnabled()
    with qtbot.waitSignal(w.shop_settings_requested, timeout=1000):
        w.shop_settings_action.trigger()
    w.close()
