"""Picard-style meta-test: every cache migration has an upgrade test, and each step keeps
every row of an older real file."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from workstation.models import db

TESTS = Path(__file__).resolve().parent
DATA = TESTS.parent / "data"


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(db._alembic_config(None))


def _steps() -> list[tuple[str, str]]:
    """(down_revision, revision) for every migration after the first, oldest first."""
    revs = list(reversed(list(_script().walk_revisions())))
    return [(r.down_revision, r.revision) for r in revs if r.down_revision]


def _fixture_files() -> dict[str, Path]:
    """Checked-in old cache files by revision number prefix: cache-v0001.sqlite -> '0001'."""
    return {p.stem.split("-v", 1)[1]: p for p in DATA.glob("cache-v*.sqlite")}


def test_every_migration_has_a_named_upgrade_test():
    source = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    missing = [rev for _, rev in _steps() if f"def test_upgrade_to_{rev}(" not in source]
    assert not missing, f"write tests/cache_upgrade tests named test_upgrade_to_<revision> for: {missing}"


def test_the_first_released_schema_has_a_real_old_file():
    first = next(r for r in _script().walk_revisions() if r.down_revision is None)
    assert first.revision.split("_")[0] in _fixture_files(), "check in tests/data/cache-v<first>.sqlite"


@pytest.mark.parametrize("down, rev", _steps())
def test_each_step_keeps_every_row(tmp_path, down, rev):
    files = _fixture_files()
    older = [n for n in files if n <= down.split("_")[0]]
    assert older, f"no checked-in cache file at or before {down}"
    path = tmp_path / "cache.sqlite"
    shutil.copyfile(files[max(older)], path)
    engine = db.make_engine(path)
    try:
        cfg = db._alembic_config(None)

        def upgrade_to(target: str) -> None:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)

        upgrade_to(down)
        counts_before = _counts(path)
        upgrade_to(rev)
        counts_after = _counts(path)
    finally:
        engine.dispose()
    assert {t: n for t, n in counts_after.items() if t in counts_before} == counts_before


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
            "AND name NOT LIKE 'orders_fts%' AND name NOT LIKE 'orders_short%' "
            "AND name != 'alembic_version'")]
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        con.close()
