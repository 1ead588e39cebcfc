"""The token store on the keychain (in-memory backend in tests)."""
from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from workstation import credentials


def test_save_load_delete(memory_keyring):
    assert credentials.load_token("http://s", "amy") is None
    credentials.save_token("http://s", "amy", "tok-1")
    assert memory_keyring.store == {("Workstation", "http://s|amy"): "tok-1"}
    assert credentials.load_token("http://s", "amy") == "tok-1"
    assert credentials.load_token("http://s", "bob") is None
    credentials.delete_token("http://s", "amy")
    credentials.delete_token("http://s", "amy")  # deleting twice is fine
    assert credentials.load_token("http://s", "amy") is None



def test_keychain_access_installs_no_global_import_hook():
    """Regression guard: importlib_metadata 10.2 (a keyring dependency) routes imports through
    lazy-importer, which swaps builtins.__import__ process-wide; the demo's first sign-in
    died in it with RecursionError while other threads were importing. Keyring's backend
    discovery must run without any such hook (pinned in pyproject.toml)."""
    import subprocess
    import sys

    code = (
        "import builtins, sys\n"
        "before = builtins.__import__\n"
        "import keyring.backend, keyring.core\n"
        "keyring.backend.get_all_keyring()\n"
        "assert builtins.__import__ is before\n"
        "print('hook' if 'lazy_importer' in sys.modules else 'ok')\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "ok", res.stdout + res.stderr[-2000:]


def test_an_unreadable_keychain_is_an_error_not_a_missing_sign_in():
    """Seen on locked Windows profiles: the keychain refuses every call. Treating that as "no
    saved sign-in" sent agents to the sign-in dialog without saying why."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # keyring's own backend for "no usable keychain"
    try:
        with pytest.raises(credentials.CredentialStoreError, match="keyring"):
            credentials.load_token("http://s", "amy")
        with pytest.raises(credentials.CredentialStoreError):
            credentials.save_token("http://s", "amy", "tok-1")
        credentials.delete_token("http://s", "amy")  # forgetting still never fails
    finally:
        keyring.set_keyring(previous)
