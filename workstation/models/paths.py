"""Where the local cache files live: one SQLite file per server + shop + agent."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from workstation.userdirs import data_dir

__all__ = ["cache_path", "data_dir"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def cache_path(server_url: str, shop_id: int, login: str) -> Path:
    """The cache file for one agent of one shop on one server.

    The readable part helps support staff find the file; the hash keeps two logins or
    servers that sanitize to the same text apart (and keeps Windows-illegal characters out).
    """
    parts = urlsplit(server_url.strip().rstrip("/"))
    host = (parts.hostname or "local") + (f"_{parts.port}" if parts.port else "")
    identity = f"{parts.scheme}://{host}{parts.path}|{shop_id}|{login}"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:10]
    readable = _UNSAFE.sub("_", f"{host}-shop{shop_id}-{login}")[:60]
    return data_dir() / "cache" / f"{readable}-{digest}.sqlite"
