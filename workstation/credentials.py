"""The agent's token in the OS keychain (Windows Credential Manager via `keyring`).

Qt-free on purpose. `keyring` is imported lazily: choosing its backend costs ~110 ms,
which start-up does not pay on the GUI thread. The password is never stored anywhere;
only the server-issued token is, and only when the agent ticked "remember me".
"""
from __future__ import annotations

SERVICE = "Workstation"


class CredentialStoreError(Exception):
    """The keychain refused the operation (no backend, locked, access denied)."""


def _username(server_url: str, login: str) -> str:
    return f"{server_url}|{login}"


def _keyring():
    import keyring  # noqa: PLC0415  (lazy: slow to import)

    return keyring


def save_token(server_url: str, login: str, token: str) -> None:
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        _keyring().set_password(SERVICE, _username(server_url, login), token)
    except (KeyringError, OSError) as exc:
        raise CredentialStoreError(str(exc) or type(exc).__name__) from exc


def load_token(server_url: str, login: str) -> str | None:
    """The remembered token, or None when the keychain holds none for this server and login.

    A keychain that cannot be read (no backend, locked, access denied) raises
    `CredentialStoreError`: that is not "no saved sign-in", and the agent is told so.
    """
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        return _keyring().get_password(SERVICE, _username(server_url, login))
    except (KeyringError, OSError) as exc:  # OSError: a backend's own OS call failed
        raise CredentialStoreError(str(exc) or type(exc).__name__) from exc


def delete_token(server_url: str, login: str) -> None:
    """Forget the token; a missing entry or a missing keychain is not an error."""
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        _keyring().delete_password(SERVICE, _username(server_url, login))
    except KeyringError:
        pass
