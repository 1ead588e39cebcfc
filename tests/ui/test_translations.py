"""Translations: zh_CN complete and compiled, English shipped, the language choice."""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from workstation.ui.i18n import install_translators, resolve_language, resources_dir

I18N = resources_dir() / "i18n"
ROOT = Path(__file__).resolve().parents[2]


def _messages(ts: Path):
    for ctx in ET.parse(ts).getroot().iter("context"):
        for m in ctx.iter("message"):
            yield ctx.findtext("name"), m


def test_both_languages_are_shipped_and_compiled():
    for lang in ("zh_CN", "en"):
        assert (I18N / f"workstation_{lang}.ts").is_file()
        qm = I18N / f"workstation_{lang}.qm"
        assert qm.is_file() and qm.stat().st_size > 0


def test_chinese_translation_is_complete():
    missing = [(c, m.findtext("source")) for c, m in _messages(I18N / "workstation_zh_CN.ts")
               if m.find("translation").get("type") in ("unfinished", "vanished", "obsolete")
               or not (m.findtext("translation") or "").strip()]
    assert missing == []


def test_every_source_string_is_in_the_ts_files(tmp_path):
    """lupdate over the current sources finds nothing that the shipped .ts lacks."""
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "workstation" / "ui").rglob("*.py")) + [
        str(ROOT / "workstation" / name) for name in ("app.py", "settings.py")]
    lupdate = Path(sys.executable).with_name("pyside6-lupdate")
    subprocess.run([str(lupdate), "-silent", "-locations", "none", *sources, "-ts", str(fresh)], check=True)
    wanted = {(c, m.findtext("source")) for c, m in _messages(fresh)}
    shipped = {(c, m.findtext("source")) for c, m in _messages(I18N / "workstation_zh_CN.ts")}
    assert wanted - shipped == set(), "run scripts/update-translations and translate the new strings"


def test_language_follows_the_system_unless_overridden():
    assert resolve_language("", "zh_CN") == "zh_CN"
    assert resolve_language("", "zh_TW") == "zh_CN"
    assert resolve_language("", "de_DE") == "en"
    assert resolve_language("", "en_US") == "en"
    assert resolve_language("", "C") == "zh_CN"  # no language configured: the primary one
    assert resolve_language("en", "zh_CN") == "en"
    assert resolve_language("zh_CN", "en_US") == "zh_CN"


def test_chinese_translator_translates_the_search_placeholder(qapp):
    translators = install_translators(qapp, "zh_CN")
    try:
        text = QCoreApplication.translate(
            "OrderLookupPane", "Search order no., nickname, name, phone last digits, address, tracking no. (Ctrl+F)")
        assert text == "搜索订单号、昵称、姓名、手机尾号、地址、运单号 (Ctrl+F)"
        assert QCoreApplication.translate("Payment", "Cash on delivery") == "货到付款"
    finally:
        for t in translators:
            qapp.removeTranslator(t)
        from PySide6.QtCore import QLocale
        QLocale.setDefault(QLocale("en_US"))
