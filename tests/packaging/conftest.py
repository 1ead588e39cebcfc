"""Shared by the packaging tests: the real frozen build (PyInstaller, build.spec), made once
per session and used by the frozen-build tests and, as the installer's payload, by the Wine
install tests."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def frozen(tmp_path_factory, worker_id) -> Path:
    """The onedir build: `workstation[.exe]`, `workstation-debug[.exe]` and `_internal/`.
    Made once per test run, also when pytest-xdist runs the two files that use it on two
    workers: the first to come builds under a lock in the run's shared temp directory, the
    other waits for it (two builds at once would double the cost and the risk of a timeout)."""
    from filelock import FileLock

    # Under xdist each worker's basetemp is a folder of the run's own (pytest-N/popen-gwK).
    run_dir = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    out = run_dir / "frozen"
    with FileLock(str(run_dir / "frozen.lock")):
        if not (out / "built").exists():
            result = subprocess.run(
                [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                 "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(ROOT / "build.spec")],
                cwd=ROOT, capture_output=True, text=True, timeout=900,
            )
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
            (out / "built").touch()
    return out / "dist" / "workstation"
