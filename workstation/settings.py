"""Persistent, non-secret settings (QSettings, ini format).

Where: `$WORKSTATION_DATA_DIR/settings.ini` when that variable is set (tests, demo),
otherwise `Workstation.ini` in the user config folder. Never holds a password or a token.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from workstation.userdirs import config_dir, override_dir

LANGUAGES = ("", "zh_CN", "en")  # "" follows the system


@dataclass(frozen=True)
class AgentIdentity:
    """Who signed in last; kept so the cache file can be found while offline."""

    id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str

    @classmethod
    def from_agent(cls, agent) -> "AgentIdentity":
        """From a `sync.wire.AgentInfo`-like object or a dict."""
        get = agent.get if isinstance(agent, dict) else (lambda k, d=None: getattr(agent, k, d))
        return cls(id=int(get("id")), login=str(get("login")), display_name=str(get("display_name") or ""),
                   agent_no=str(get("agent_no") or ""), shop_id=int(get("shop_id")),
                   shop_name=str(get("shop_name") or ""))


def settings_path() -> Path:
    # Named apart from the folder's other files when the override gathers them in one place.
    return config_dir() / ("settings.ini" if override_dir() is not None else "Workstation.ini")


class Settings:
    """Typed access to the handful of keys the app keeps."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._q = QSettings(str(self.path), QSettings.Format.IniFormat)

    # sign-in -------------------------------------------------------------
    @property
    def server_url(self) -> str:
        return str(self._q.value("auth/server_url", "") or "")

    @server_url.setter
    def server_url(self, value: str) -> None:
        self._q.setValue("auth/server_url", value)

    @property
    def login(self) -> str:
        return str(self._q.value("auth/login", "") or "")

    @login.setter
    def login(self, value: str) -> None:
        self._q.setValue("auth/login", value)

    @property
    def remember(self) -> bool:
        return _as_bool(self._q.value("auth/remember", False))

    @remember.setter
    def remember(self, value: bool) -> None:
        self._q.setValue("auth/remember", bool(value))

    @property
    def identity(self) -> AgentIdentity | None:
        raw = self._q.value("auth/identity", "")
        if not raw:
            return None
        try:
            return AgentIdentity(**json.loads(str(raw)))
        except (TypeError, ValueError):
            return None

    @identity.setter
    def identity(self, value: AgentIdentity | None) -> None:
        if value is None:
            self._q.remove("auth/identity")
        else:
            self._q.setValue("auth/identity", json.dumps(asdict(value), ensure_ascii=False))

    # interface -----------------------------------------------------------
    @property
    def language(self) -> str:
        value = str(self._q.value("ui/language", "") or "")
        return value if value in LANGUAGES else ""

    @language.setter
    def language(self, value: str) -> None:
        self._q.setValue("ui/language", value if value in LANGUAGES else "")

    def window_bytes(self, key: str) -> QByteArray | None:
        value = self._q.value(f"window/{key}")
        return value if isinstance(value, QByteArray) else None

    def set_window_bytes(self, key: str, value: QByteArray) -> None:
        self._q.setValue(f"window/{key}", value)

    def sync(self) -> None:
        self._q.sync()


def _as_bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)
