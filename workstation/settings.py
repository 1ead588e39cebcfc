"""Persistent, non-secret settings (QSettings, ini format), each declared once.

Where: `$WORKSTATION_DATA_DIR/settings.ini` when that variable is set (tests, demo),
otherwise `Workstation.ini` in the user config folder. Never holds a password or a token.
Window geometry and pane layout live apart, in `window-state.ini` (`ui/window_state.py`).

Every setting is one declaration on `Settings` (Picard's `options.py` pattern): its key in
the file, its type (the option class), its default and a translatable title; the attribute
access (`settings.login = "amy"`) comes from the declaration. The file records
`meta/settings_version`; opening an older file runs the upgrade steps in `UPGRADES` from its
version to `SETTINGS_VERSION`, each tested on a real old file (tests/ui/test_settings.py).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSettings

from workstation.userdirs import config_dir, override_dir

log = logging.getLogger(__name__)

LANGUAGES = ("", "zh_CN", "en")  # "" follows the system

SETTINGS_VERSION = 2
VERSION_KEY = "meta/settings_version"

T = TypeVar("T")


@dataclass(frozen=True)
class AgentIdentity:
    """Who signed in last; kept so the cache file can be found while offline."""

    id: int
    login: str
    display_name: str
    agent_no: str
    shop_id: int
    shop_name: str
    # The shop's threshold after which a waiting buyer is shown as overdue (`AgentInfo`);
    # a stored identity from before issue 9 reads as the protocol's shop default.
    overdue_after_s: int = 100
    # "agent" | "manager" (issue 10: a manager edits the team's phrases and the shop
    # settings); a stored identity from before it reads as an agent.
    role: str = "agent"

    @classmethod
    def from_agent(cls, agent) -> "AgentIdentity":
        """From a `sync.wire.AgentInfo`-like object or a dict."""
        get = agent.get if isinstance(agent, dict) else (lambda k, d=None: getattr(agent, k, d))
        return cls(id=int(get("id")), login=str(get("login")), display_name=str(get("display_name") or ""),
                   agent_no=str(get("agent_no") or ""), shop_id=int(get("shop_id")),
                   shop_name=str(get("shop_name") or ""),
                   overdue_after_s=_positive_int(get("overdue_after_s"), 100),
                   role="manager" if get("role") == "manager" else "agent")


def _positive_int(value, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


# options ---------------------------------------------------------------------------
class Option(Generic[T]):
    """One setting, declared as a class attribute of `Settings`. Reading a missing or
    unreadable value gives the default (a hand-edited file never stops the app); writing
    None (or, for optional values, the default) removes the key."""

    def __init__(self, key: str, default: T, title: str) -> None:
        self.key, self.default, self.title = key, default, title
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, settings: Settings | None, owner: type) -> Any:
        if settings is None:
            return self  # Settings.login is the declaration itself
        raw = settings._q.value(self.key)
        if raw is None:
            return self.default
        try:
            return self.decode(raw)
        except (TypeError, ValueError) as exc:
            log.warning("setting %s has an unreadable value, using the default: %s", self.key, exc)
            return self.default

    def __set__(self, settings: Settings, value: T) -> None:
        if value is None:
            settings._q.remove(self.key)
        else:
            settings._q.setValue(self.key, self.encode(value))

    def label(self) -> str:
        """The title in the interface language."""
        return QCoreApplication.translate("Settings", self.title)

    def decode(self, raw: Any) -> T:
        raise NotImplementedError

    def encode(self, value: T) -> Any:
        return value


class TextOption(Option[str]):
    def decode(self, raw: Any) -> str:
        return str(raw)

    def encode(self, value: str) -> str:
        return str(value)


class BoolOption(Option[bool]):
    def decode(self, raw: Any) -> bool:
        if isinstance(raw, str):  # ini files hold text: "true", "false", "1"...
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return bool(raw)

    def encode(self, value: bool) -> bool:
        return bool(value)


class IntOption(Option[int]):
    """A whole number in `minimum..maximum`; anything else reads as the default."""

    def __init__(self, key: str, default: int, title: str, *, minimum: int = 0, maximum: int = 2**31 - 1) -> None:
        super().__init__(key, default, title)
        self.minimum, self.maximum = minimum, maximum

    def decode(self, raw: Any) -> int:
        value = int(str(raw).strip())
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{value} is outside {self.minimum}..{self.maximum}")
        return value

    def encode(self, value: int) -> int:
        value = int(value)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(f"{self.key}: {value} is outside {self.minimum}..{self.maximum}")
        return value


class ChoiceOption(TextOption):
    """Text limited to `choices`; anything else reads and writes as the default."""

    def __init__(self, key: str, default: str, title: str, choices: tuple[str, ...]) -> None:
        super().__init__(key, default, title)
        self.choices = choices

    def decode(self, raw: Any) -> str:
        value = str(raw)
        return value if value in self.choices else self.default

    def encode(self, value: str) -> str:
        return value if value in self.choices else self.default


class JsonOption(Option[T]):
    """A small record stored as JSON text."""

    def __init__(self, key: str, default: T, title: str, *, load: Callable[[dict], T],
                 dump: Callable[[T], dict]) -> None:
        super().__init__(key, default, title)
        self._load, self._dump = load, dump

    def decode(self, raw: Any) -> T:
        if not raw:
            return self.default
        return self._load(json.loads(str(raw)))

    def encode(self, value: T) -> str:
        return json.dumps(self._dump(value), ensure_ascii=False)


# upgrades --------------------------------------------------------------------------
def _upgrade_to_2(q: QSettings) -> None:
    """Version 1 kept window geometry and state under `window/*` here; window state now has
    its own file (`window-state.ini`, whose own format version would ignore these bytes
    anyway), so they go."""
    q.remove("window")


# Target version -> the step that brings a file from the version before it. A step never
# fails on a file it has already upgraded (a crash between step and version write re-runs it).
UPGRADES: dict[int, Callable[[QSettings], None]] = {
    2: _upgrade_to_2,
}


def settings_path() -> Path:
    # Named apart from the folder's other files when the override gathers them in one place.
    return config_dir() / ("settings.ini" if override_dir() is not None else "Workstation.ini")


class Settings:
    """The app's settings; one declaration per setting below."""

    server_url = TextOption("auth/server_url", "", QT_TRANSLATE_NOOP("Settings", "Server address"))
    login = TextOption("auth/login", "", QT_TRANSLATE_NOOP("Settings", "Login"))
    remember = BoolOption("auth/remember", False, QT_TRANSLATE_NOOP("Settings", "Remember me on this computer"))
    identity = JsonOption("auth/identity", None, QT_TRANSLATE_NOOP("Settings", "Agent last signed in"),
                          load=lambda d: AgentIdentity(**d), dump=asdict)
    language = ChoiceOption("ui/language", "", QT_TRANSLATE_NOOP("Settings", "Interface language"),
                            choices=LANGUAGES)
    # 0 = the shop's threshold (`AgentIdentity.overdue_after_s`); new key, no upgrade needed.
    overdue_after_s = IntOption("chat/overdue_after_s", 0, QT_TRANSLATE_NOOP(
        "Settings", "Show a waiting buyer as overdue after (seconds; 0 = the shop's setting)"),
        minimum=0, maximum=24 * 3600)
    # The queue's filter last chosen: mine / unassigned / all open.
    queue_view = ChoiceOption("chat/queue_view", "open", QT_TRANSLATE_NOOP("Settings", "Queue filter"),
                              choices=("open", "mine", "unassigned"))
    # Attention (ui/attention.py): new keys with their defaults, no upgrade needed.
    attention_tray = BoolOption("attention/tray", True, QT_TRANSLATE_NOOP(
        "Settings", "Show a tray icon with the unread and overdue buyers"))
    attention_flash = BoolOption("attention/flash", True, QT_TRANSLATE_NOOP(
        "Settings", "Flash the taskbar entry for a new or overdue buyer"))
    attention_sound = BoolOption("attention/sound", False, QT_TRANSLATE_NOOP(
        "Settings", "Play a sound for a new or overdue buyer"))

    def overdue_threshold_s(self) -> int:
        """The threshold in force: the agent's own when set, else the shop's."""
        own = self.overdue_after_s
        if own > 0:
            return own
        identity = self.identity
        return identity.overdue_after_s if identity is not None else 100

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._q = QSettings(str(self.path), QSettings.Format.IniFormat)
        self.version = upgrade(self._q)

    @classmethod
    def options(cls) -> list[Option]:
        """Every declared setting, in declaration order."""
        return [v for v in vars(cls).values() if isinstance(v, Option)]

    def sync(self) -> None:
        self._q.sync()


def file_version(q: QSettings) -> int:
    """The version a settings file was written with: a file without one is version 1 (or a
    new, empty file, which needs no upgrade)."""
    raw = q.value(VERSION_KEY)
    if raw is None:
        return 1 if q.allKeys() else SETTINGS_VERSION
    try:
        return int(raw)
    except (TypeError, ValueError):
        log.warning("settings file %s has an unreadable version %r; treating it as version 1", q.fileName(), raw)
        return 1


def upgrade(q: QSettings) -> int:
    """Bring the file to `SETTINGS_VERSION`; returns the version it is at now. A file from a
    newer Workstation is left as it is (its known keys still read)."""
    version = file_version(q)
    if version > SETTINGS_VERSION:
        log.warning("settings file %s is version %d, newer than this Workstation (%d); not upgraded",
                    q.fileName(), version, SETTINGS_VERSION)
        return version
    for target in range(version + 1, SETTINGS_VERSION + 1):
        UPGRADES[target](q)
        q.setValue(VERSION_KEY, target)
        log.info("settings file %s upgraded to version %d", q.fileName(), target)
    if q.value(VERSION_KEY) is None:
        q.setValue(VERSION_KEY, SETTINGS_VERSION)
    q.sync()
    return SETTINGS_VERSION
