"""Logging for the installed app: a rotating file in the user's log folder, secrets masked.

Qt-free on purpose: it is set up before the QApplication exists, so that a failure while
starting Qt is logged too. Log files never live in the install folder (it is replaced on
upgrade and may be read-only); they live in the per-user log folder:
`platformdirs.user_log_dir("Workstation", False)` (Windows: %LOCALAPPDATA%\\Workstation\\Logs),
or `$WORKSTATION_DATA_DIR/logs` when that override is set (tests, the demo).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import platform
import re
import sys
from pathlib import Path

from workstation.userdirs import log_dir

LOG_FILENAME = "workstation.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
MASK = "***"

_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s: %(message)s"

# Key names whose values are secrets, in `key=value`, `key: value` and JSON/dict forms.
_SECRET_KEYS = (
    r"[A-Za-z0-9_\-]*token|password|passwd|pwd|secret|client_secret|api[_\-]?key"
    r"|private[_\-]?key|session(?:id)?|cookie|set-cookie"
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc / 'Authorization': 'Basic abc=' -> the whole credential
    (re.compile(r"""(?i)(\bauthorization\b["']?\s*[:=]\s*["']?)[^"'\r\n,}]+"""), r"\1" + MASK),
    # a bare "Bearer <token>" anywhere else (e.g. inside a repr of headers)
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), r"\1 " + MASK),
    # "password": "x", token=x, 'refresh_token': 'x', api-key: x
    (re.compile(r"""(?i)(["']?\b(?:""" + _SECRET_KEYS + r""")\b["']?\s*[:=]\s*)(["']?)(?!\*\*\*)[^"'\s,&;}\]]+"""),
     r"\1\2" + MASK),
]


def redact(text: str) -> str:
    """`text` with every token, password, cookie and Authorization value replaced by ***."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretsFilter(logging.Filter):
    """Masks secrets in a record's message (args merged in) before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the whole formatted output, tracebacks included (exception
    messages often repeat a request's headers or body)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_file_path() -> Path:
    return log_dir() / LOG_FILENAME


_installed: list[logging.Handler] = []


def setup_logging(
    *,
    level: int = logging.INFO,
    console: bool = False,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
    directory: Path | None = None,
) -> Path:
    """Send the root logger to a rotating, secret-masking log file; return the file's path.

    Calling it again replaces the handlers it installed before (tests, a second main()).
    `console=True` also logs to stderr (the -debug executable and `--smoke`).
    """
    directory = directory or log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILENAME

    root = logging.getLogger()
    teardown_logging()

    formatter = RedactingFormatter(_FORMAT)
    secrets = SecretsFilter()
    # delay=True: no file handle until the first record, so a second instance that exits at
    # once never holds the file (Windows cannot rotate a file another process has open).
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
    )
    handlers: list[logging.Handler] = [file_handler]
    if console and sys.stderr is not None:  # a windowed exe has no stderr
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(secrets)
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # chatty at INFO
    logging.captureWarnings(True)

    from workstation.version import __version__

    logging.getLogger("workstation").info(
        "Workstation %s starting (Python %s, %s, frozen=%s, pid %d)",
        __version__, platform.python_version(), platform.platform(),
        bool(getattr(sys, "frozen", False)), os.getpid(),
    )
    return path


def teardown_logging() -> None:
    """Remove and close the handlers `setup_logging` installed."""
    root = logging.getLogger()
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()
