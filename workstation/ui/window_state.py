"""Window geometry and pane layout, remembered between runs (kept apart from settings).

Stored with QSettings in an INI file of its own (`window-state.ini`) in the user config
folder (Windows: %LOCALAPPDATA%\\Workstation), or `$WORKSTATION_DATA_DIR` when set: never
in the install folder, and never mixed with real settings, so "reset layout" is deleting
one file and an upgrade that changes the layout cannot corrupt a setting.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter, QWidget

from workstation.userdirs import config_dir

# Bump when the main window's docks/toolbars change shape: an old saved state is then
# ignored instead of restoring a layout that no longer fits.
STATE_VERSION = 2  # 2: three areas (queue | conversation | context), issue 9


_path_override: Path | None = None


def use_window_state_file(path: Path | None) -> None:
    """Keep window state in `path` instead (None: back to the default). `--smoke` uses a
    throwaway file so that a support check never resets the agent's layout."""
    global _path_override
    _path_override = path


def window_state_path() -> Path:
    if _path_override is not None:
        return _path_override
    return config_dir() / "window-state.ini"


def window_state_settings(path: Path | None = None) -> QSettings:
    return QSettings(str(path or window_state_path()), QSettings.Format.IniFormat)


def _splitters(window: QWidget, splitters: dict[str, QSplitter] | None) -> dict[str, QSplitter]:
    """The splitters to remember: as given, else every splitter under `window` that has an
    objectName (the name is the key)."""
    if splitters is not None:
        return splitters
    return {s.objectName(): s for s in window.findChildren(QSplitter) if s.objectName()}


def save_window_state(settings: QSettings, window: QWidget, key: str = "main_window",
                      splitters: dict[str, QSplitter] | None = None) -> None:
    settings.beginGroup(key)
    settings.setValue("geometry", window.saveGeometry())
    if isinstance(window, QMainWindow):
        settings.setValue("state", window.saveState(STATE_VERSION))
    settings.setValue("state_version", STATE_VERSION)
    for name, splitter in _splitters(window, splitters).items():
        settings.setValue(f"splitter/{name}", splitter.saveState())
    settings.endGroup()
    settings.sync()


def _bytes(value) -> QByteArray | None:
    if isinstance(value, QByteArray) and not value.isEmpty():
        return value
    if isinstance(value, (bytes, bytearray)) and value:
        return QByteArray(bytes(value))
    return None


def restore_window_state(settings: QSettings, window: QWidget, key: str = "main_window",
                         splitters: dict[str, QSplitter] | None = None) -> bool:
    """Restore what `save_window_state` stored; False (and nothing changed) when there is none.

    Qt's restoreGeometry moves a window whose saved screen is gone back onto a visible one.
    """
    settings.beginGroup(key)
    try:
        geometry = _bytes(settings.value("geometry"))
        if geometry is None:
            return False
        window.restoreGeometry(geometry)
        try:
            version = int(settings.value("state_version", 0))
        except (TypeError, ValueError):
            version = 0
        if version != STATE_VERSION:
            return True  # geometry still applies; an old pane layout does not
        state = _bytes(settings.value("state"))
        if isinstance(window, QMainWindow) and state is not None:
            window.restoreState(state, STATE_VERSION)
        for name, splitter in _splitters(window, splitters).items():
            saved = _bytes(settings.value(f"splitter/{name}"))
            if saved is not None:
                splitter.restoreState(saved)
        return True
    finally:
        settings.endGroup()
