"""Translated, user-facing sentences for the typed errors of `workstation.sync`.
Keyed by the error's stable `code`, so this module needs no import of the sync layer."""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication



def describe_error(exc: BaseException, server_url: str = "") -> str:
    code = getattr(exc, "code", "")
    if code == "bad_credentials":
        return QCoreApplication.translate("Errors", "Wrong login or password.")
    if code == "too_many_attempts":
        return QCoreApplication.translate("Errors", "Too many sign-in attempts. Try again in %1 s."
                   ).replace("%1", str(getattr(exc, "retry_after_s", 1)))
    if code == "auth_expired":
        return QCoreApplication.translate("Errors", "Your session has expired. Please sign in again.")
    if code == "server_unreachable":
        return QCoreApplication.translate("Errors", "Cannot reach the server %1. Check the address and the network connection."
                   ).replace("%1", server_url or "")
    if code == "tls_failure":
        return QCoreApplication.translate("Errors", "The server's secure connection (TLS certificate) could not be verified. "
                             "Check the address or ask your administrator.")
    if code == "server_failure":
        status = getattr(exc, "status", "")
        return QCoreApplication.translate("Errors", "The server had a problem (HTTP %1). Please try again in a moment."
                   ).replace("%1", str(status))
    if code == "request_rejected":
        return QCoreApplication.translate("Errors", "The server rejected the request (%1). Is this the right server address?"
                   ).replace("%1", str(getattr(exc, "status", "")))
    if code == "payload_error":
        return QCoreApplication.translate("Errors", "The server sent data this workstation cannot read. Is this the right server address?")
    if code == "cursor_gone":
        return QCoreApplication.translate("Errors", "The local copy is out of date and is being reloaded.")
    return QCoreApplication.translate("Errors", "Unexpected error: %1").replace("%1", str(exc) or type(exc).__name__)
