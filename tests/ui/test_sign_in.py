"""Sign-in against a live store over real HTTP: success, wrong password, unreachable server,
remember-me on the next start; where the token and the password end up."""
from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import sign_in, wait_background_done, wait_for_dialog, wait_online
from workstation.models.paths import cache_path


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_sign_in_saves_the_token_in_the_keychain_and_never_the_password(
        qtbot, launch, store, agent, memory_keyring, data_dir):
    login, password = agent
    running = launch()
    sign_in(qtbot, running, store.url, login, password, remember=True)
    wait_online(qtbot, running)
    assert not running.session.dialog.isVisible()

    token = memory_keyring.store[("Workstation", f"{store.url}|{login}")]
    assert token and token != password
    assert running.session.cache.path == cache_path(store.url, store.shop_id, login)
    assert "李小美" in running.window.agent_button.text() and "2048" in running.window.agent_button.text()
    qtbot.waitUntil(lambda: "300" in running.window.status.order_count.text(), timeout=10_000)

    cache = running.session.cache
    running.window.close()  # settings flushed, cache closing
    wait_background_done(qtbot, running)
    qtbot.waitUntil(lambda: cache.writer.idle())
    files = _files_under(data_dir)
    assert any(p.suffix == ".ini" for p in files) and any(p.suffix == ".sqlite" for p in files)
    for path in files:
        blob = path.read_bytes()
        assert password.encode() not in blob, f"password found in {path}"
        assert token.encode() not in blob, f"token found in {path}"


def test_without_remember_me_the_token_stays_in_memory(qtbot, launch, store, agent, memory_keyring):
    login, password = agent
    running = launch()
    sign_in(qtbot, running, store.url, login, password, remember=False)
    wait_online(qtbot, running)
    assert memory_keyring.store == {}
    assert running.session.session.token


def test_wrong_password_keeps_the_dialog_open_with_a_message(qtbot, launch, store, agent):
    login, _ = agent
    running = launch()
    d = sign_in(qtbot, running, store.url, login, "not-the-password")
    qtbot.waitUntil(lambda: not d.busy and "Wrong login or password" in d.message.text(), timeout=10_000)
    assert d.isVisible() and d.message.isVisible()
    assert (d.server_url.text(), d.login.text(), d.password.text()) == (store.url, login, "not-the-password")
    assert running.session.cache is None


def test_unreachable_server_message(qtbot, launch):
    running = launch()
    d = sign_in(qtbot, running, "http://127.0.0.1:9", "amy", "whatever")
    qtbot.waitUntil(lambda: not d.busy and "Cannot reach the server" in d.message.text(), timeout=20_000)
    assert d.isVisible()
    assert d.server_url.text() == "http://127.0.0.1:9"


def test_remember_me_signs_in_without_asking_on_the_next_start(qtbot, launch, store, agent):
    login, password = agent
    first = launch()
    sign_in(qtbot, first, store.url, login, password, remember=True)
    wait_online(qtbot, first)
    first.window.close()

    second = launch()
    wait_online(qtbot, second)
    assert second.session.dialog is None  # never asked
    assert second.session.session.login == login
    assert "李小美" in second.window.agent_button.text()


def test_cancelling_the_first_sign_in_closes_the_app(qtbot, launch):
    running = launch()
    d = wait_for_dialog(qtbot, running)
    d.reject()
    qtbot.waitUntil(lambda: not running.window.isVisible(), timeout=5000)
