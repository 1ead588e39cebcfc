"""The real frozen build (PyInstaller, build.spec) and the real installer compile (makensis).

Slow (a build is ~30-90 s): built once per session
(the `frozen` fixture, tests/packaging/conftest.py). The Linux build cannot be installed on
Windows, but it proves the spec collects everything the app loads at run time, and it is a
real payload for compiling the installer script (and for test_installer_wine.py).

On Windows these build tests are skipped: the Windows workflow builds the real .exe,
smoke-tests it and installs it in its own steps (.github/workflows/windows.yml).
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = ".exe" if sys.platform == "win32" else ""

pytestmark = pytest.mark.slow
linux_build = pytest.mark.skipif(
    sys.platform == "win32",
    reason="a second PyInstaller build plus Debian's makensis and osslsigncode: on Windows the "
           "workflow's own steps build, smoke-test, install and uninstall the real .exe",
)


def _pyproject_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def _smoke_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKSTATION_DATA_DIR=str(data_dir))
    env.pop("PYTHONPATH", None)
    return env


@linux_build
def test_frozen_debug_exe_passes_the_smoke_test(frozen, tmp_path):
    data = tmp_path / "userdata"
    result = subprocess.run([str(frozen / f"workstation-debug{EXE}"), "--smoke"], cwd=tmp_path,
                            env=_smoke_env(data), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SMOKE OK version={_pyproject_version()} " in result.stdout
    from workstation.models.db import HEAD_REVISION

    assert f"cache={HEAD_REVISION} " in result.stdout  # the shipped migrations ran
    log = (data / "logs" / "workstation.log").read_text(encoding="utf-8")
    assert "frozen=True" in log and "smoke window" in log
    # the throwaway cache is gone; nothing else of the user's was written
    assert not (data / "smoke").exists()


@linux_build
def test_frozen_smoke_fails_loudly_when_the_cache_cannot_be_opened(frozen, tmp_path):
    data = tmp_path / "userdata"
    data.mkdir()
    (data / "smoke").write_text("a file where the smoke cache folder should be")
    result = subprocess.run([str(frozen / f"workstation-debug{EXE}"), "--smoke"], cwd=tmp_path,
                            env=_smoke_env(data), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "SMOKE FAILED" in result.stdout


@linux_build
def test_bundle_has_what_runs_at_run_time_and_not_what_does_not(frozen):
    internal = frozen / "_internal"
    assert (frozen / f"workstation{EXE}").is_file() and (frozen / f"workstation-debug{EXE}").is_file()
    versions = internal / "workstation" / "models" / "migrations" / "versions"
    shipped = sorted(p.name for p in versions.glob("0*.py"))
    source = sorted(p.name for p in (ROOT / "workstation/models/migrations/versions").glob("0*.py"))
    assert shipped == source and (versions.parent / "env.py").is_file()
    assert (internal / "resources" / "i18n" / "workstation_zh_CN.qm").is_file()
    qt = internal / "PySide6" / "Qt"
    libs = " ".join(p.name for p in qt.rglob("*") if p.is_file())
    for unwanted in ("Qt6WebEngine", "Qt6Qml", "Qt6Quick", "Qt6Pdf", "Qt6Multimedia", "Qt63D", "Qt6Charts"):
        assert unwanted not in libs, unwanted
    assert not (internal / "storeserver").exists() and not (internal / "fastapi").exists()
    langs = sorted(p.name for p in (qt / "translations").glob("qtbase_*.qm"))
    assert langs == ["qtbase_en.qm", "qtbase_zh_CN.qm"]


def _makensis() -> str:
    path = shutil.which("makensis")
    assert path, "makensis is missing: scripts/bootstrap installs it (apt-get install nsis)"
    return path


def _self_signed_cert(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=Workstation test signing"],
                   check=True, capture_output=True)
    return cert, key


@linux_build
def test_installer_compiles_with_the_frozen_app_as_payload_and_is_signed(frozen, tmp_path):
    sys.path.insert(0, str(ROOT / "installer"))
    import buildinfo

    version = _pyproject_version()
    out = tmp_path / f"Workstation-{version}-setup.exe"
    cert, key = _self_signed_cert(tmp_path)
    env = dict(os.environ, WS_SIGN_CERT=str(cert), WS_SIGN_KEY=str(key), WS_SIGN_TIMESTAMP_URL="")
    result = subprocess.run(
        [_makensis(), "-V2", "-INPUTCHARSET", "UTF8", f"-DVERSION={version}",
         f"-DVERSION4={buildinfo.version4(version)}", f"-DSOURCE_DIR={frozen}", f"-DOUTFILE={out}",
         # the release uses /SOLID lzma and the Windows workflow compiles it; here the same
         # script without compression: ~2 s instead of ~45 s with zlib
         "-DCOMPRESSOR=none",
         f"-DSIGN_CMD=bash {ROOT / 'installer' / 'sign'}",
         str(ROOT / "installer" / "workstation.nsi")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    data = out.read_bytes()
    assert data[:2] == b"MZ"
    assert len(data) > 30_000_000  # the whole app is inside
    # the version resource carries pyproject's version (UTF-16 in the PE resources)
    assert version.encode("utf-16-le") in data
    assert "Workstation Project".encode("utf-16-le") in data
    if shutil.which("osslsigncode"):
        verify = subprocess.run(["osslsigncode", "verify", "-CAfile", str(cert), "-in", str(out)],
                                capture_output=True, text=True)
        assert "Signature verification: ok" in verify.stdout, verify.stdout + verify.stderr
    out.unlink()  # 200 MB uncompressed; pytest keeps the last runs' temp folders


def test_windows_version_resource_is_generated_from_pyproject(tmp_path):
    sys.path.insert(0, str(ROOT / "installer"))
    import buildinfo

    path = buildinfo.write_version_resource(tmp_path, "1.4.2rc1", "workstation")
    text = path.read_text(encoding="utf-8")
    # PyInstaller eval()s this text with its versioninfo classes; check it parses and says 1.4.2
    ast.parse(text)
    assert "filevers=(1, 4, 2, 0)" in text and "StringStruct('ProductVersion', '1.4.2rc1')" in text
    assert "StringStruct('FileVersion', '1.4.2.0')" in text
    assert "StringStruct('OriginalFilename', 'workstation.exe')" in text
    assert buildinfo.project_version() == _pyproject_version()
