"""Language choice and translators. Chinese first: a system locale zh* gets Simplified
Chinese, and so does a system with no language set (the "C"/POSIX locale of a bare
machine); any other language gets English. The setting and `--lang` override the system."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

SUPPORTED = ("zh_CN", "en")


def resources_dir() -> Path:
    override = os.environ.get("WORKSTATION_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resolve_language(choice: str | None, system_locale: str | None = None) -> str:
    if choice in SUPPORTED:
        return choice
    name = (system_locale if system_locale is not None else QLocale.system().name()).lower()
    return "zh_CN" if name.startswith("zh") or name in ("", "c", "posix") else "en"


def install_translators(app: QCoreApplication, language: str) -> list[QTranslator]:
    """Install the app's and Qt's own translations; keeps them alive on the app object."""
    translators: list[QTranslator] = []
    ours = QTranslator(app)
    if ours.load(f"workstation_{language}", str(resources_dir() / "i18n")):
        app.installTranslator(ours)
        translators.append(ours)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        translators.append(qt)
    QLocale.setDefault(QLocale(language))
    app.setProperty("workstation_language", language)
    return translators
