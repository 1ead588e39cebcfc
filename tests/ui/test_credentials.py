"""The token store on the keychain (in-memory backend in tests)."""
from __future__ import annotations

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
