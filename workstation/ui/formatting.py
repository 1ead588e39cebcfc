"""How values look on screen: money, phones, local times, status names and colours.

Labels are looked up at call time so they follow the installed translator.
"""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor


# Colour goes with text everywhere (never colour alone). Muted tones: a calm, dense UI.
STATUS_COLOURS = {
    "unpaid": "#b35c00",
    "paid": "#1558b0",
    "documents_made": "#00796b",
    "shipped": "#3f51b5",
    "completed": "#2e7d32",
    "closed": "#6d6d6d",
    "refunding": "#c62828",
    "refunded": "#8d6e63",
}
COD_COLOUR = "#c62828"
COD_BACKGROUND = "#fdecea"
FLAG_COLOURS = {0: "#9e9e9e", 1: "#d32f2f", 2: "#f9a825", 3: "#388e3c", 4: "#1976d2", 5: "#7b1fa2"}
CONNECTION_COLOURS = {
    "online": "#2e7d32",
    "syncing": "#1558b0",
    "connecting": "#1558b0",
    "offline": "#b35c00",
    "expired": "#c62828",
    "signed_out": "#6d6d6d",
}


def status_label(status: str) -> str:
    labels = {
        "unpaid": QCoreApplication.translate("Status", "Unpaid"),
        "paid": QCoreApplication.translate("Status", "Paid"),
        "documents_made": QCoreApplication.translate("Status", "Documents made"),
        "shipped": QCoreApplication.translate("Status", "Shipped"),
        "completed": QCoreApplication.translate("Status", "Completed"),
        "closed": QCoreApplication.translate("Status", "Closed"),
        "refunding": QCoreApplication.translate("Status", "Refunding"),
        "refunded": QCoreApplication.translate("Status", "Refunded"),
    }
    return labels.get(status, status)


def status_colour(status: str) -> QColor:
    return QColor(STATUS_COLOURS.get(status, "#6d6d6d"))


def payment_label(method: str, *, paid: bool = True) -> str:
    """How the order is paid; an online order not paid yet never says "Paid online"."""
    if method == "cod":
        return QCoreApplication.translate("Payment", "Cash on delivery")
    if method == "online":
        if not paid:
            return QCoreApplication.translate("Payment", "Online, not paid yet")
        return QCoreApplication.translate("Payment", "Paid online")
    return method


def is_paid(status: str, paid_at: datetime | None, method: str = "online") -> bool:
    """Whether the buyer has paid. Cash on delivery is paid only once collected (it gets a
    payment time on delivery); an online order is paid unless it waits for payment or was
    closed without a payment time."""
    if status == "unpaid":
        return False
    if paid_at is not None:
        return True
    return method != "cod" and status != "closed"


def amount_label(method: str, paid: bool) -> str:
    """The label of an order's total: paid, still to collect on delivery, or still due."""
    if paid:
        return QCoreApplication.translate("Payment", "Amount paid")
    if method == "cod":
        return QCoreApplication.translate("Payment", "To collect on delivery")
    return QCoreApplication.translate("Payment", "Amount due")


# Cash on delivery costs more than the web price, so the agent confirms it with the buyer
# while the order can still change; after that the banner is noise.
COD_OPEN_STATUSES = frozenset({"unpaid", "paid", "documents_made", "shipped"})

# Remark wording that says the COD price was already confirmed with the buyer (the one list;
# tests/ui/test_cod_banner.py checks it). Matched as substrings, case-insensitively, after
# removing spaces, so "COD  confirmed" and "货到付款 已确认" count too.
COD_CONFIRMED_PHRASES = (
    "已确认货到付款", "货到付款已确认", "货到付款已电话确认", "已电话确认", "电话已确认",
    "已确认到付", "到付已确认", "已确认价格", "价格已确认", "codconfirmed", "confirmedcod",
)


def cod_confirmed_in(remark: str | None) -> bool:
    text = "".join((remark or "").split()).lower()
    return any(phrase in text for phrase in COD_CONFIRMED_PHRASES)


def cod_needs_confirming(method: str, status: str, remark: str | None) -> bool:
    """Show the cash-on-delivery warning: a COD order still open whose remark does not say
    the price was confirmed."""
    return method == "cod" and status in COD_OPEN_STATUSES and not cod_confirmed_in(remark)


def flag_label(flag: int) -> str:
    labels = {
        0: QCoreApplication.translate("Flag", "Grey flag"),
        1: QCoreApplication.translate("Flag", "Red flag"),
        2: QCoreApplication.translate("Flag", "Yellow flag"),
        3: QCoreApplication.translate("Flag", "Green flag"),
        4: QCoreApplication.translate("Flag", "Blue flag"),
        5: QCoreApplication.translate("Flag", "Purple flag"),
    }
    return labels.get(flag, str(flag))


def flag_colour(flag: int) -> QColor:
    return QColor(FLAG_COLOURS.get(flag, FLAG_COLOURS[0]))


def member_label(level: str | None) -> str:
    labels = {
        "normal": QCoreApplication.translate("Member", "Regular buyer"),
        "member": QCoreApplication.translate("Member", "Member"),
        "vip": QCoreApplication.translate("Member", "VIP"),
    }
    if not level:
        return QCoreApplication.translate("Member", "Unknown")
    return labels.get(level, level)


def connection_label(state: str) -> str:
    labels = {
        "online": QCoreApplication.translate("Connection", "Online"),
        "syncing": QCoreApplication.translate("Connection", "Syncing"),
        "connecting": QCoreApplication.translate("Connection", "Connecting"),
        "offline": QCoreApplication.translate("Connection", "Offline"),
        "expired": QCoreApplication.translate("Connection", "Session expired"),
        "signed_out": QCoreApplication.translate("Connection", "Signed out"),
    }
    return labels.get(state, state)


def money(cents: int | None) -> str:
    """¥1,234.56; negative amounts keep their sign in front of the currency sign."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}¥{cents // 100:,}.{cents % 100:02d}"


def mask_phone(phone: str | None) -> str:
    """138****5678: enough to confirm with the buyer, not enough to copy the number."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits


def _local(value: datetime) -> datetime:
    """A UTC (or naive UTC) time in the machine's local time zone."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)).astimezone()


def local_time(value: datetime | None, *, seconds: bool = False) -> str:
    """A UTC (or naive UTC) time shown in the machine's local time zone."""
    if value is None:
        return ""
    return _local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def chat_time(value: datetime | None, now: datetime | None = None) -> str:
    """A message's time in the history (local time): 14:02:31 today, 11-30 14:02 on another
    day of this year, 2025-11-30 14:02 before that."""
    return freshness(value, now, today="%H:%M:%S")


def freshness(value: datetime | None, now: datetime | None = None, *, today: str = "%H:%M") -> str:
    """For "as of …" / "Synced …": 14:02 today (`today` is that format), 11-30 14:02 on
    another day of this year, 2025-11-30 14:02 before that (local time)."""
    if value is None:
        return ""
    local = _local(value)
    this_day = _local(now or datetime.now(timezone.utc))
    if local.date() == this_day.date():
        return local.strftime(today)
    if local.year == this_day.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def address(province: str | None, city: str | None, district: str | None, detail: str | None = None) -> str:
    return " ".join(p for p in (province, city, district, detail) if p)
