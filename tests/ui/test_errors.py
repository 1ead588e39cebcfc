"""What the agent reads when something fails: typed errors mapped by their type, an
unknown exception named as an internal error (never passed off as a network problem)."""
from __future__ import annotations

import sqlite3

import pytest

from workstation import credentials
from workstation.models.db import CacheError, open_cache
from workstation.sync import errors as se
from workstation.ui.errors import describe_error, is_cache_failure


@pytest.mark.parametrize("exc, expected", [
    (se.BadCredentials(), "Wrong login or password."),
    (se.AuthExpired(), "Your session has expired. Please sign in again."),
    (se.ServerUnreachable("refused"), "Cannot reach the server http://shop:8000."),
    (se.TLSFailure(), "TLS certificate"),
    (se.ServerFailure(503), "HTTP 503"),
    (se.RequestRejected(404, "not_found"), "rejected the request (404)"),
    (se.PayloadError("bad json"), "cannot read"),
    (se.CursorGone("orders"), "being reloaded"),
])
def test_each_sync_error_has_its_sentence(qapp, exc, expected):
    assert expected in describe_error(exc, "http://shop:8000")


def test_a_sync_error_subclass_is_described_by_its_base(qapp):
    class SlowDown(se.ServerFailure):  # e.g. a new error added below ServerFailure
        pass

    assert "HTTP 429" in describe_error(SlowDown(429))


def test_an_object_with_a_code_attribute_is_not_mistaken_for_a_network_error(qapp):
    class LooksLikeNetwork(Exception):
        code = "server_unreachable"

    text = describe_error(LooksLikeNetwork("boom"))
    assert "Cannot reach" not in text
    assert text.startswith("Internal error (LooksLikeNetwork): boom.")


def test_a_bug_is_called_an_internal_error_and_named(qapp):
    text = describe_error(KeyError("remark_flag"))
    assert text.startswith("Internal error (KeyError): 'remark_flag'.")
    assert "bug" in text


def test_keychain_failure_says_so_and_asks_to_sign_in_again(qapp):
    text = describe_error(credentials.CredentialStoreError("access denied"))
    assert text == ("The system keychain (Windows Credential Manager) could not be read: access denied. "
                    "Sign in again.")


def test_cache_failures_are_recognised_by_type(qapp, tmp_path):
    bad = tmp_path / "not-a-cache.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError) as info:
        open_cache(bad)
    assert is_cache_failure(info.value)
    assert describe_error(info.value).startswith("The local cache could not be read (")
    assert is_cache_failure(sqlite3.OperationalError("database disk image is malformed"))
    assert not is_cache_failure(ValueError("x"))
