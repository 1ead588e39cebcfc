"""The remark editor and the merge view, as an agent uses them (offscreen widgets)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from workstation.ui.remark_editor import MEMO_LIMIT_BYTES, RemarkEditor
from workstation.ui.remark_merge import RemarkMergeDialog, RemarkVersion, keep_both


def _trailer(text: str, reason: str) -> str:
    # what the server appends (reason, agent no., time): the count must include it
    return f"{text}【变动事由】{reason}｜工号 1024｜2026-11-11 14:02"


def test_recording_a_change_preselects_red_and_shows_every_flag_by_name(qtbot):
    editor = RemarkEditor()
    qtbot.addWidget(editor)
    editor.start("", 0)
    assert editor.flags.flag() == 1
    names = [b.text() for b in editor.flags.buttons.values()]
    assert names == ["■ Grey flag", "■ Red flag", "■ Yellow flag", "■ Green flag", "■ Blue flag",
                     "■ Purple flag"]
    editor.start("已改发L码", 4)  # an existing blue flag stays blue
    assert editor.flags.flag() == 4
    editor.flags.setFocus()
    qtbot.keyClick(editor.flags, Qt.Key.Key_3)
    assert editor.flags.flag() == 3


def test_the_byte_counter_counts_the_final_memo_and_refuses_too_long(qtbot):
    editor = RemarkEditor(compose=_trailer)
    qtbot.addWidget(editor)
    editor.start()
    editor.reason.setText("缺货")
    trailer_bytes = len(_trailer("", "缺货").encode("utf-8"))
    fits = "换" * ((MEMO_LIMIT_BYTES - trailer_bytes) // 3)  # 3 bytes per Chinese character
    editor.text.setPlainText(fits)
    assert editor.bytes_used() <= MEMO_LIMIT_BYTES and editor.save_button.isEnabled()
    assert f"/ {MEMO_LIMIT_BYTES} bytes" in editor.counter.text()
    editor.text.setPlainText(fits + "换")
    assert editor.bytes_used() > MEMO_LIMIT_BYTES
    assert not editor.save_button.isEnabled() and "too long by" in editor.counter.text()
    with qtbot.assertNotEmitted(editor.save_requested):
        editor.request_save()


def test_ctrl_enter_saves_text_flag_and_reason(qtbot):
    editor = RemarkEditor(compose=_trailer)
    qtbot.addWidget(editor)
    editor.show()
    editor.start()
    editor.text.setPlainText("换货：M码缺货，改发L码")
    editor.reason.setText("买家同意")
    editor.flags.set_flag(2)
    with qtbot.waitSignal(editor.save_requested) as saved:
        qtbot.keyClick(editor.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert saved.args == ["换货：M码缺货，改发L码", 2, "买家同意"]
    editor.set_state("local")
    assert "Saved on this PC" in editor.state.text()
    editor.set_state("conflict")
    assert "merge needed" in editor.state.text()


def test_keep_both_puts_mine_on_top_and_never_doubles_a_line():
    assert keep_both("改发L码", "买家要求周五前到") == "改发L码\n买家要求周五前到"
    assert keep_both("改发L码 买家要求周五前到", "买家要求周五前到") == "改发L码 买家要求周五前到"
    assert keep_both("", "买家要求周五前到") == "买家要求周五前到"


def test_merge_view_actions(qtbot):
    base = RemarkVersion("待确认尺码", 0)
    theirs = RemarkVersion("买家要求周五前到", 2, by="2048")
    mine = RemarkVersion("改发L码", 1)
    dialog = RemarkMergeDialog("202611110800000001", base, theirs, mine)
    qtbot.addWidget(dialog)
    assert dialog.merged_text() == "改发L码\n买家要求周五前到"  # keep both is the default
    dialog.take_theirs()
    assert dialog.merged_text() == "买家要求周五前到" and dialog.merged_flag() == 2
    dialog.keep_both()
    dialog.edit_merge()
    dialog.result.setPlainText("改发L码，周五前到")
    with qtbot.waitSignal(dialog.merged) as merged:
        dialog.save_button.click()
    assert merged.args == ["改发L码，周五前到", 1]


def test_the_remark_section_edits_the_open_order_and_a_refresh_never_closes_the_editor(qtbot):
    from datetime import datetime, timezone

    from workstation.ui.remark_section import RemarkHistoryEntry, RemarkSection

    section = RemarkSection()
    qtbot.addWidget(section)
    section.show_remark(42, "待确认尺码", 0, "1024", datetime(2026, 11, 11, 6, 0, tzinfo=timezone.utc), 3)
    section.begin_edit()
    assert section.editing and section.editor.flags.flag() == 1  # a change: red
    section.editor.text.setPlainText("待确认尺码，改发L码")
    # A colleague's change of the same order arrives meanwhile: the text being written stays.
    section.show_remark(42, "买家要求周五前到", 2, "2048", None, 4)
    assert section.editing and section.editor.text.toPlainText() == "待确认尺码，改发L码"
    with qtbot.waitSignal(section.save_requested) as saved:
        section.editor.request_save()
    # ... and the save names the version the agent started from: the server will see the
    # conflict instead of the colleague's words being overwritten.
    assert saved.args == [42, "待确认尺码，改发L码", 1, "", 3] and not section.editing
    section.set_history([RemarkHistoryEntry("改发L码", 1, "缺货", "1024", None, pending=True),
                         RemarkHistoryEntry("待确认尺码", 0, "", "2048", None)])
    assert section.history.count() == 2 and "not sent yet" in section.history.item(0).text()
    section.show_remark(43, "", 0, None, None, 0)  # another order: editor and history go
    assert not section.editing and section.history.isHidden()
