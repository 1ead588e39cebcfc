"""Settings: each declared once (key, type, default, translatable title), a version in the
file, and an upgrade step per version, each tested on a real old file (Picard's pattern:
`test_every_upgrade_step_has_a_test` fails when a step has no test)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from workstation import settings as settings_module
from workstation.settings import SETTINGS_VERSION, UPGRADES, VERSION_KEY, AgentIdentity, Settings

DATA = Path(__file__).resolve().parents[1] / "data"
THIS_FILE = Path(__file__)


def _old_file(tmp_path, version: int) -> Path:
    """A copy of the checked-in settings file as Workstation wrote it at `version`."""
    path = tmp_path / "settings.ini"
    shutil.copyfile(DATA / f"settings-v{version}.ini", path)
    return path


def _raw(path: Path) -> QSettings:
    return QSettings(str(path), QSettings.Format.IniFormat)


# the meta-tests ----------------------------------------------------------------------
def test_every_version_has_an_upgrade_step():
    assert sorted(UPGRADES) == list(range(2, SETTINGS_VERSION + 1))


def test_every_upgrade_step_has_a_test():
    source = THIS_FILE.read_text(encoding="utf-8")
    missing = [v for v in UPGRADES if f"def test_upgrade_settings_to_v{v}(" not in source]
    assert not missing, f"write test_upgrade_settings_to_v<N> (on a real old file) for: {missing}"


def test_every_old_version_has_a_real_file():
    missing = [v - 1 for v in UPGRADES if not (DATA / f"settings-v{v - 1}.ini").is_file()]
    assert not missing, f"check in tests/data/settings-v<N>.ini for: {missing}"


# the steps -----------------------------------------------------------------------------
def test_upgrade_settings_to_v2(tmp_path):
    """Version 1 (no version key; written by the Settings of commit 0360f4d) kept window
    geometry and state under window/*: they go, every real setting stays."""
    path = _old_file(tmp_path, 1)
    assert _raw(path).value("window/geometry") is not None
    s = Settings(path)
    assert s.version == 2
    assert (s.server_url, s.login, s.remember, s.language) == ("https://store.example.cn:8443", "amy", True, "zh_CN")
    assert s.identity == AgentIdentity(12, "amy", "李小美", "2048", 3, "棉麻小铺旗舰店")
    raw = _raw(path)
    assert [k for k in raw.allKeys() if k.startswith("window/")] == []
    assert int(raw.value(VERSION_KEY)) == 2
    before = path.read_bytes()
    Settings(path)  # already upgraded: opening again changes nothing
    assert path.read_bytes() == before


# versions ------------------------------------------------------------------------------
def test_a_new_file_starts_at_the_current_version(tmp_path):
    path = tmp_path / "new.ini"
    s = Settings(path)
    assert s.version == SETTINGS_VERSION
    assert int(_raw(path).value(VERSION_KEY)) == SETTINGS_VERSION
    assert (s.server_url, s.login, s.remember, s.identity, s.language) == ("", "", False, None, "")


def test_a_file_from_a_newer_workstation_is_left_alone(tmp_path):
    path = tmp_path / "newer.ini"
    raw = _raw(path)
    raw.setValue(VERSION_KEY, SETTINGS_VERSION + 5)
    raw.setValue("auth/login", "amy")
    raw.setValue("future/thing", "kept")
    raw.sync()
    s = Settings(path)
    assert s.version == SETTINGS_VERSION + 5 and s.login == "amy"
    assert _raw(path).value("future/thing") == "kept"


def test_an_unreadable_version_is_treated_as_the_oldest(tmp_path):
    path = _old_file(tmp_path, 1)
    raw = _raw(path)
    raw.setValue(VERSION_KEY, "two")
    raw.sync()
    assert Settings(path).version == SETTINGS_VERSION
    assert _raw(path).value("window/geometry") is None


# declarations --------------------------------------------------------------------------
def test_each_setting_is_declared_once_with_a_title():
    options = Settings.options()
    assert [o.name for o in options] == ["server_url", "login", "remember", "identity", "language",
                                         "overdue_after_s", "queue_view", "attention_tray", "attention_flash",
                                         "attention_sound"]
    keys = [o.key for o in options]
    assert len(set(keys)) == len(keys)
    assert all(o.title and o.label() == o.title for o in options)  # English: the source text


def test_titles_are_in_the_translations(qapp):
    from workstation.ui.i18n import install_translators

    translators = install_translators(qapp, "zh_CN")
    try:
        assert Settings.language.label() == "界面语言"
        assert all(re.search(r"[\u4e00-\u9fff]", o.label()) for o in Settings.options())
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        from PySide6.QtCore import QLocale
        QLocale.setDefault(QLocale("en_US"))


def test_values_round_trip_through_the_file(tmp_path):
    path = tmp_path / "s.ini"
    s = Settings(path)
    s.server_url, s.login, s.remember, s.language = "http://127.0.0.1:8000", "amy", True, "en"
    s.identity = AgentIdentity(1, "amy", "李小美", "2048", 7, "棉麻小铺")
    s.sync()
    again = Settings(path)
    assert (again.server_url, again.login, again.remember, again.language) == ("http://127.0.0.1:8000", "amy", True, "en")
    assert again.identity == AgentIdentity(1, "amy", "李小美", "2048", 7, "棉麻小铺")
    again.identity = None
    again.sync()
    assert Settings(path).identity is None and _raw(path).value("auth/identity") is None


def test_hand_edited_bad_values_read_as_defaults(tmp_path):
    path = tmp_path / "bad.ini"
    raw = _raw(path)
    raw.setValue(VERSION_KEY, SETTINGS_VERSION)
    raw.setValue("auth/remember", "maybe")
    raw.setValue("auth/identity", "{not json")
    raw.setValue("ui/language", "fr")
    raw.sync()
    raw.setValue("chat/overdue_after_s", "-5")
    raw.setValue("chat/queue_view", "everything")
    raw.sync()
    s = Settings(path)
    assert (s.remember, s.identity, s.language) == (False, None, "")
    assert (s.overdue_after_s, s.queue_view) == (0, "open")
    s.language = "klingon"
    assert s.language == ""
    with pytest.raises(ValueError):
        s.overdue_after_s = -1  # refused, nothing written
    assert _raw(path).value("chat/overdue_after_s") == "-5"


def test_the_overdue_threshold_is_the_agents_own_else_the_shops(tmp_path):
    s = Settings(tmp_path / "s.ini")
    assert s.overdue_threshold_s() == 100  # nobody signed in yet: the protocol's default
    s.identity = AgentIdentity(1, "amy", "李小美", "2048", 7, "棉麻小铺", overdue_after_s=180)
    assert s.overdue_threshold_s() == 180
    s.overdue_after_s = 45
    assert Settings(tmp_path / "s.ini").overdue_threshold_s() == 45
    s.overdue_after_s = 0  # back to the shop's
    assert s.overdue_threshold_s() == 180


def test_an_identity_stored_before_issue_9_reads_with_the_shop_default(tmp_path):
    path = tmp_path / "old.ini"
    raw = _raw(path)
    raw.setValue(VERSION_KEY, SETTINGS_VERSION)
    raw.setValue("auth/identity", '{"id": 1, "login": "amy", "display_name": "李小美", "agent_no": "2048", '
                                  '"shop_id": 7, "shop_name": "棉麻小铺"}')
    raw.sync()
    assert Settings(path).identity.overdue_after_s == 100
    assert Settings(path).identity.role == "agent"  # issue 10: stored without a role = an agent


def test_window_state_is_not_kept_in_the_settings_file():
    assert not hasattr(Settings, "window_bytes") and not hasattr(Settings, "set_window_bytes")
    assert all(not o.key.startswith("window/") for o in settings_module.Settings.options())
