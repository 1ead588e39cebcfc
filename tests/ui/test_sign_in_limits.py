"""The sign-in dialog after the real server refuses attempts (429 too_many_attempts)."""
from __future__ import annotations

import requests

from storeserver.limits import InProcessLoginGuard, LoginPolicy
from tests.ui.conftest import sign_in


def _spend_the_free_failures(store, login: str) -> None:
    """Five wrong passwords from this address, on a clock that stands still: the next try
    is refused for 1 s (docs/PROTOCOL.md, "Sign-in limits")."""
    frozen = 1000.0
    store.app.state.login_guard = InProcessLoginGuard(LoginPolicy(), clock=lambda: frozen)
    store.app.state.refusal_delay_s = 0
    for _ in range(5):
        r = requests.post(store.url + "/api/v1/auth/login", json={"login": login, "password": "nope"},
                          timeout=10)
        assert r.status_code == 401


def test_too_many_attempts_tells_the_agent_how_long_to_wait(qtbot, launch, store, agent):
    login, password = agent
    _spend_the_free_failures(store, login)
    running = launch()
    d = sign_in(qtbot, running, store.url, login, password)
    qtbot.waitUntil(lambda: not d.busy and "Too many sign-in attempts" in d.message.text(), timeout=10_000)
    assert "Try again in 1 s." in d.message.text()
    assert d.isVisible() and running.session.cache is None
    assert d.password.text() == password  # nothing to type again


def test_the_client_raises_a_typed_error_with_retry_after(store):
    from workstation.sync.client import StoreClient
    from workstation.sync.errors import TooManyAttempts

    _spend_the_free_failures(store, "demo")
    with StoreClient(store.url) as client:
        try:
            client.login("demo", "demo")
        except TooManyAttempts as exc:
            assert exc.retry_after_s == 1 and exc.code == "too_many_attempts"
        else:
            raise AssertionError("the sign-in was not refused")


def test_the_message_in_chinese(qapp):
    from PySide6.QtCore import QTranslator

    from workstation.sync.errors import TooManyAttempts
    from workstation.ui.errors import describe_error

    app = qapp
    translator = QTranslator()
    assert translator.load("workstation_zh_CN", _i18n_dir())
    app.installTranslator(translator)
    try:
        assert describe_error(TooManyAttempts(retry_after_s=42)) == "登录尝试次数过多，请 42 秒后再试。"
    finally:
        app.removeTranslator(translator)


def _i18n_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2] / "resources" / "i18n")
