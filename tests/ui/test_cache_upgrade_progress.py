"""Starting on a cache file of an older version: the upgrade (a backup copy, then the
migrations, one of which rebuilds the search index) shows its progress in the status bar,
and the agent's orders are there afterwards — also while the server is out of reach."""
from __future__ import annotations

import shutil

from tests.cache_upgrade.helpers import DATA, file_rows
from workstation.models.paths import cache_path
from workstation.settings import AgentIdentity, Settings

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: the start is offline


def test_an_old_cache_is_upgraded_with_its_progress_shown(qtbot, launch, data_dir):
    settings = Settings()
    settings.server_url, settings.login, settings.remember = UNREACHABLE, "wang", True
    settings.identity = AgentIdentity(1, "wang", "王小二", "1024", 7, "棉麻小铺")
    settings.sync()
    path = cache_path(UNREACHABLE, 7, "wang")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "cache-v0003.sqlite", path)  # schema 0003: 0005 rebuilds the index
    orders = file_rows(path, "SELECT count(*) FROM orders")[0][0]
    assert orders > 0

    running = launch()
    status = running.window.status
    seen: list = []  # what the status bar showed at each report (its slot runs first)
    running.session.cache_upgrade_progress.connect(
        lambda value: seen.append((value, status.progress.isVisible(), status.progress.format())))
    qtbot.waitUntil(lambda: bool(seen) and seen[-1][0] is None, timeout=15_000)

    stages = [value[0] for value, _, _ in seen[:-1]]
    assert stages[0] == "backup" and stages[-1] == "upgrade"
    assert all(visible for _, visible, _ in seen[:-1])
    assert any(text == "Upgrading the local cache 100%" for _, _, text in seen)
    assert any(text.startswith("Backing up the local cache") for _, _, text in seen)
    assert not status.progress.isVisible()  # hidden once the cache is open
    qtbot.waitUntil(lambda: status.order_count.text() == f"{orders} orders cached", timeout=10_000)
    assert list(path.parent.glob(f"{path.name}.*.bak")), "the copy made before the upgrade"
