"""Typed failures of talking to the store backend.

Every error carries a machine `code` (stable; the UI uses it as the translation key) and a
short English `user_message`; `str(err)` is the technical detail for logs.
"""
from __future__ import annotations


class SyncError(Exception):
    """Base of every failure raised by `workstation.sync`."""

    code = "sync_error"
    user_message = "Synchronisation failed."

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.user_message)
        self.detail = detail or self.user_message


class BadCredentials(SyncError):
    code = "bad_credentials"
    user_message = "Wrong login or password."


class AuthExpired(SyncError):
    """The token expired or was rejected: the agent has to sign in again."""

    code = "auth_expired"
    user_message = "Your session has expired. Please sign in again."

    def __init__(self, detail: str = "", *, reason: str = "token_expired") -> None:
        super().__init__(detail)
        self.reason = reason  # the server's code: token_expired / bad_token / missing_token


class TooManyAttempts(SyncError):
    """429 on sign-in: the server refuses attempts for now (rate limit, lockout after failed
    attempts, or busy); `retry_after_s` is when to try again."""

    code = "too_many_attempts"
    user_message = "Too many sign-in attempts. Try again later."

    def __init__(self, detail: str = "", *, retry_after_s: int = 1) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class ServerUnreachable(SyncError):
    """DNS failure, refused or dropped connection, timeout: the network or server is down."""

    code = "server_unreachable"
    user_message = "Cannot reach the store server. Working offline."


class TLSFailure(SyncError):
    code = "tls_failure"
    user_message = "The store server's secure connection could not be verified."


class ServerFailure(SyncError):
    """The server answered with 5xx (or kept answering 429) after the retries."""

    code = "server_failure"
    user_message = "The store server is having trouble. Retrying later."

    def __init__(self, status: int, detail: str = "", *, retry_after_s: float | None = None) -> None:
        super().__init__(detail or f"HTTP {status}")
        self.status = status
        self.retry_after_s = retry_after_s  # the server's (or a proxy's) Retry-After, if any


class RequestRejected(SyncError):
    """An unexpected 4xx (400 bad_cursor, 404, 422...): a client/server mismatch, not transient."""

    code = "request_rejected"
    user_message = "The store server rejected a request from this workstation."

    def __init__(self, status: int, server_code: str | None, detail: str = "") -> None:
        super().__init__(detail or f"HTTP {status} {server_code or ''}".strip())
        self.status = status
        self.server_code = server_code


class PayloadError(SyncError):
    """The server's answer is not valid JSON or does not match docs/PROTOCOL.md."""

    code = "payload_error"
    user_message = "The store server sent data this workstation cannot read."


class CursorGone(SyncError):
    """410: the server can no longer serve this stream's cursor; the stream is re-snapshotted."""

    code = "cursor_gone"
    user_message = "The local copy is out of date and is being reloaded."

    def __init__(self, stream: str, detail: str = "") -> None:
        super().__init__(detail or f"cursor gone for stream {stream!r}")
        self.stream = stream


class SyncBug(SyncError):
    """Sync hit a bug in this program (not the network, not the cache file): the loop logged
    the traceback and starts again after `retry_in_s` seconds."""

    code = "internal_error"
    user_message = "Sync stopped on an internal error and restarts shortly (details in the log)."

    def __init__(self, original: BaseException, retry_in_s: float) -> None:
        super().__init__(f"{type(original).__name__}: {original}")
        self.original = original
        self.retry_in_s = retry_in_s
