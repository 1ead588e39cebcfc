"""Process-wide test set-up. Must run before anything creates a QApplication."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Qt aborts the whole run (exit 134) without a platform plugin on a machine with no display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never touch the real home directory, the real keychain or the real user data folders.
_HOME = Path(tempfile.mkdtemp(prefix="ws-test-home-"))
for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                 ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
    os.environ[var] = str(_HOME / sub) if sub else str(_HOME)
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
import pytest  # noqa: E402

from tests.memory_keyring import MemoryKeyring  # noqa: E402

pytest_plugins = ["tests.fixtures_server"]


@pytest.fixture(autouse=True)
def memory_keyring():
    """A fresh in-memory keychain per test (the Windows Credential Manager cannot run here)."""
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private user-data folder (cache files, settings, logs) for one test."""
    d = tmp_path / "userdata"
    d.mkdir()
    monkeypatch.setenv("WORKSTATION_DATA_DIR", str(d))
    return d
