"""The per-user folders: data (caches), config (settings, window state) and logs.

Never the install folder, so an upgrade or uninstall leaves the agent's data alone. One
override, `WORKSTATION_DATA_DIR`, puts all of them under one folder (tests, the demo).
Qt-free; platformdirs is imported only when no override is set.
"""
from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Workstation"
DATA_DIR_ENV = "WORKSTATION_DATA_DIR"


def override_dir() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value else None


def data_dir() -> Path:
    """Cache files (Windows: %LOCALAPPDATA%\\Workstation)."""
    base = override_dir()
    if base is not None:
        return base
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir(APP_NAME, False))


def config_dir() -> Path:
    """Settings and window state."""
    base = override_dir()
    if base is not None:
        return base
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_config_dir(APP_NAME, False))


def log_dir() -> Path:
    """Rotating log files (Windows: %LOCALAPPDATA%\\Workstation\\Logs)."""
    base = override_dir()
    if base is not None:
        return base / "logs"
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_log_dir(APP_NAME, False))
