"""What the upgrade tests share: the checked-in old cache files and a raw look inside them."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def copy_of(name: str, folder: Path) -> Path:
    """A working copy of the checked-in cache file `name` (tests/data), so the original stays."""
    path = folder / "cache.sqlite"
    shutil.copyfile(DATA / name, path)
    return path


def file_rows(path: Path, sql: str) -> list[tuple]:
    """`sql` on the file itself (plain sqlite3: no migration runs)."""
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
