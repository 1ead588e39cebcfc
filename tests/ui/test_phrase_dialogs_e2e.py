"""The store manager (demo, 1024) in the real application against a live store: an edit of a
team phrase in the phrase library and of the auto-reply in the shop settings each reach the
server exactly once (version + 1, one mutation) and come back synced."""
from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from storeserver.models import Mutation, Phrase, ShopSettings
from tests.ui.conftest import sign_in, wait_online

NEW_TEXT = "亲，您的包裹由{carrier}配送，单号{tracking_no}，请留意查收"
NEW_REPLY = "亲，欢迎光临{shop_name}！\n客服马上为您服务\n下午四点前付款当天发货"


def server(store, stmt):
    with store.engine.connect() as conn:
        return conn.execute(stmt).all()


def test_the_managers_phrase_and_auto_reply_reach_the_server_once(qtbot, launch, store):
    (pid, version), = server(store, select(Phrase.id, Phrase.version).where(
        Phrase.shop_id == store.shop_id, Phrase.owner_agent_no.is_(None)).order_by(Phrase.id).limit(1))
    (settings_version,), = server(store, select(ShopSettings.version).where(ShopSettings.id == store.shop_id))
    mutations = server(store, select(func.count()).select_from(Mutation))[0][0]
    running = launch()
    sign_in(qtbot, running, store.url, store.login, store.password)
    wait_online(qtbot, running)
    window = running.window
    assert window.shop_settings_action.isEnabled()  # demo is the shop's manager

    window.phrases_action.trigger()
    library = window.phrase_library
    qtbot.waitUntil(lambda: library.team_list.model.row_of(("id", pid)) is not None, timeout=10_000)
    library.team_list.select_key(("id", pid))
    editor = library.edit_phrase(library.team_list)
    editor.text.setPlainText(NEW_TEXT)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server(store, select(Phrase.version, Phrase.text).where(Phrase.id == pid))
                    == [(version + 1, NEW_TEXT)], timeout=20_000)

    def shown():
        row = library.team_list.model.rows()[library.team_list.model.row_of(("id", pid))]
        return row.phrase.text, row.status, row.phrase.version
    qtbot.waitUntil(lambda: shown() == (NEW_TEXT, "synced", version + 1), timeout=20_000)
    assert library.team_list.current().phrase.id == pid  # the selection stayed

    window.shop_settings_action.trigger()
    dialog = window.shop_settings_dialog
    qtbot.waitUntil(lambda: dialog.settings is not None and dialog.save_button.isEnabled(), timeout=10_000)
    dialog.text.setPlainText(NEW_REPLY)
    dialog.enabled.setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server(store, select(ShopSettings.version, ShopSettings.auto_reply_text, ShopSettings.updated_by)
                                   .where(ShopSettings.id == store.shop_id))
                    == [(settings_version + 1, NEW_REPLY, "1024")], timeout=20_000)
    qtbot.waitUntil(lambda: dialog.settings.status == "synced" and dialog.settings.version == settings_version + 1,
                    timeout=20_000)
    assert dialog.text.toPlainText() == NEW_REPLY and dialog.conflict is None
    assert server(store, select(func.count()).select_from(Mutation))[0][0] == mutations + 2  # once each
