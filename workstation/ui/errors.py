"""Translated, user-facing sentences for the typed errors the UI meets.

Matched by exception TYPE (`isinstance`), never by guessing from attributes. The sync
errors are cheap to import; the cache's errors live beside SQLAlchemy, which start-up does
not import on the GUI thread, so they are looked up only once their module is loaded (an
exception of a class whose module was never imported cannot exist).
"""
from __future__ import annotations

import sqlite3
import sys

from PySide6.QtCore import QCoreApplication

from workstation import credentials
from workstation.sync import errors as sync_errors


def _loaded_class(module: str, name: str) -> type | None:
    mod = sys.modules.get(module)
    return getattr(mod, name, None) if mod is not None else None


def is_cache_failure(exc: BaseException) -> bool:
    """The local cache failed: our CacheError, or SQLite/SQLAlchemy underneath a read."""
    kinds = [sqlite3.Error]
    for module, name in (("workstation.models.db", "CacheError"), ("sqlalchemy.exc", "SQLAlchemyError")):
        cls = _loaded_class(module, name)
        if cls is not None:
            kinds.append(cls)
    return isinstance(exc, tuple(kinds))


def error_detail(exc: BaseException) -> str:
    """The technical detail shown in brackets: the message, else the type's name. For a
    database error wrapped by SQLAlchemy, the driver's own message (SQLAlchemy's adds the
    statement and a link, which mean nothing to an agent)."""
    dbapi_error = _loaded_class("sqlalchemy.exc", "DBAPIError")
    if dbapi_error is not None and isinstance(exc, dbapi_error) and exc.orig is not None:
        exc = exc.orig
    return str(exc) or type(exc).__name__


def describe_error(exc: BaseException, server_url: str = "") -> str:
    """One sentence for the agent: what failed and what to do."""
    if isinstance(exc, sync_errors.SyncError):
        return _describe_sync_error(exc, server_url)
    if isinstance(exc, credentials.CredentialStoreError):
        return QCoreApplication.translate(
            "Errors", "The system keychain (Windows Credential Manager) could not be read: %1. Sign in again."
        ).replace("%1", error_detail(exc))
    if is_cache_failure(exc):
        return QCoreApplication.translate("Errors", "The local cache could not be read (%1).").replace(
            "%1", error_detail(exc))
    return QCoreApplication.translate(
        "Errors", "Internal error (%1): %2. This is a bug: please tell support (the log has the details)."
    ).replace("%1", type(exc).__name__).replace("%2", str(exc) or "-")


def _describe_sync_error(exc: sync_errors.SyncError, server_url: str) -> str:
    if isinstance(exc, sync_errors.BadCredentials):
        return QCoreApplication.translate("Errors", "Wrong login or password.")
    if isinstance(exc, sync_errors.TooManyAttempts):
        return QCoreApplication.translate("Errors", "Too many sign-in attempts. Try again in %1 s."
                                          ).replace("%1", str(exc.retry_after_s))
    if isinstance(exc, sync_errors.AuthExpired):
        return QCoreApplication.translate("Errors", "Your session has expired. Please sign in again.")
    if isinstance(exc, sync_errors.ServerUnreachable):
        return QCoreApplication.translate("Errors", "Cannot reach the server %1. Check the address and the network connection.").replace(
            "%1", server_url or "")
    if isinstance(exc, sync_errors.TLSFailure):
        return QCoreApplication.translate("Errors", "The server's secure connection (TLS certificate) could not be verified. "
                   "Check the address or ask your administrator.")
    if isinstance(exc, sync_errors.ServerFailure):
        return QCoreApplication.translate("Errors", "The server had a problem (HTTP %1). Please try again in a moment.").replace(
            "%1", str(exc.status))
    if isinstance(exc, sync_errors.RequestRejected):
        return QCoreApplication.translate("Errors", "The server rejected the request (%1). Is this the right server address?").replace(
            "%1", str(exc.status))
    if isinstance(exc, sync_errors.PayloadError):
        return QCoreApplication.translate("Errors", "The server sent data this workstation cannot read. Is this the right server address?")
    if isinstance(exc, sync_errors.SyncBug):
        return QCoreApplication.translate(
            "Errors", "Sync stopped on an internal error (%1) and starts again in %2 s. This is a bug: "
            "please tell support (the log has the details).").replace(
            "%1", type(exc.original).__name__).replace("%2", str(round(exc.retry_in_s)))
    if isinstance(exc, sync_errors.CursorGone):
        return QCoreApplication.translate("Errors", "The local copy is out of date and is being reloaded.")
    return QCoreApplication.translate("Errors", "Synchronisation failed: %1").replace("%1", str(exc))
