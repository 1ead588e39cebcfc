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
def frozen(tmp_path_factory) -> Path:
    """The onedir build: `workstation[.exe]`, `workstation-debug[.exe]` and `_internal/`."""
    out = tmp_path_factory.mktemp("frozen")
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return out / "dist" / "workstation"
