"""The Windows installer, run for real: installed, upgraded and uninstalled under Wine.

installer/workstation.nsi is compiled with Debian's makensis (`Target amd64-unicode`) and run
silently with `wine64` in a fresh, headless WINEPREFIX, as a shop's IT person deploys it.

The payload is the Linux onedir build of the app (the `frozen` fixture, shared with
test_frozen_build.py), laid out as the Windows build is: `workstation.exe`,
`workstation-debug.exe` and `_internal/`. The Windows exe can only be built on Windows and
the Linux one cannot run under Wine, so these tests prove the installer's own logic (where
program files, shortcuts, registry entries and user data go, what an upgrade replaces and
an uninstall removes), not that the installed app starts: the Windows workflow runs the
installed app's smoke test on a real Windows runner.

Sandbox: the prefix's user folders are real folders (not Wine's links into $HOME), there is
no Z: drive (Wine's view of the whole Linux file system); the installers are on a D: drive
of their own. So nothing the installer does can land outside the prefix, and "no write
outside the user's profile" is checked on everything it could reach.

Cost: one `wineboot` (~10 s), two compiles without compression (~2 s each; the release uses
lzma, same script), each Wine run ~1-4 s: ~70 s in all (measured at load 3 on 2 cores), on
top of the PyInstaller build the frozen-build tests make anyway.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import pytest

from tests.packaging import nsis_header

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "installer" / "workstation.nsi"
UNINSTALL_KEY = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Workstation"
APP_KEY = r"HKCU\Software\Workstation"
PUBLISHER = "Workstation Project"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),  # the first user of `frozen` also pays for the PyInstaller build
    pytest.mark.skipif(sys.platform == "win32",
                       reason="Wine runs the Windows installer on Linux; on Windows the workflow "
                              "installs, upgrades and uninstalls it for real"),
]


def _tool(name: str, *fallbacks: str) -> str:
    found = shutil.which(name) or next((f for f in fallbacks if os.access(f, os.X_OK)), None)
    assert found, f"{name} is missing: scripts/bootstrap installs it (apt-get install wine64 nsis)"
    return found


@dataclass
class Wine:
    """A headless Wine prefix, and the Windows folders of its user as Windows reports them."""

    prefix: Path
    env: dict[str, str]
    wine: str
    wineserver: str
    local_appdata: str = ""
    appdata: str = ""
    profile: str = ""

    def run(self, *argv: str, timeout: int = 300) -> int:
        """Runs a Windows program, waits for every process it started (an uninstaller goes
        on from a temp copy of itself), returns the program's exit code."""
        result = subprocess.run([self.wine, *argv], env=self.env, cwd=self.prefix, capture_output=True,
                                timeout=timeout)
        self.settle()
        return result.returncode

    def output(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.wine, *argv], env=self.env, cwd=self.prefix, capture_output=True,
                              text=True, errors="replace", timeout=120)

    def settle(self) -> None:
        subprocess.run([self.wineserver, "-w"], env=self.env, timeout=120, check=True)

    def unix(self, windows_path: str | PureWindowsPath) -> Path:
        path = PureWindowsPath(windows_path)
        assert path.drive.upper() == "C:", path
        return self.prefix.joinpath("drive_c", *path.parts[1:])

    def reg_values(self, key: str) -> dict[str, str] | None:
        """The values of a registry key (`reg query`, Windows' own tool), None if there is none."""
        result = self.output("reg", "query", key)
        if result.returncode != 0:
            return None
        values = {}
        for line in result.stdout.splitlines():
            parts = [p for p in line.strip().split("    ") if p]
            if len(parts) >= 2 and parts[1].startswith("REG_"):
                values[parts[0]] = parts[2] if len(parts) > 2 else ""
        return values

    def outside_profile(self) -> dict[str, tuple[int, int]]:
        """Every file and folder of drive C: outside the user's profile, with size and mtime."""
        drive, profile = self.prefix / "drive_c", self.unix(self.profile)
        seen = {}
        for folder, dirs, files in os.walk(drive):
            dirs[:] = [d for d in dirs if Path(folder, d) != profile]
            for name in dirs:
                seen[str(Path(folder, name).relative_to(drive))] = (0, 0)
            for name in files:
                st = Path(folder, name).lstat()
                seen[str(Path(folder, name).relative_to(drive))] = (st.st_size, st.st_mtime_ns)
        return seen

    def machine_registry_mentions(self) -> int:
        """How often HKLM (system.reg) names the app: a per-user install never writes there."""
        self.settle()
        machine = (self.prefix / "system.reg").read_text(encoding="utf-8", errors="replace")
        return machine.lower().count("workstation")


@pytest.fixture(scope="module")
def installers_dir(tmp_path_factory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("installers")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # two uncompressed installers, 200 MB each


@pytest.fixture(scope="module")
def wine_prefix(tmp_path_factory, installers_dir) -> Iterator[Wine]:
    """A fresh WINEPREFIX (no display, no Mono/Gecko, no menu entries written to $HOME)."""
    base = tmp_path_factory.mktemp("wine")
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(WINEPREFIX=str(base / "prefix"), WINEDEBUG="-all", HOME=str(home),
               WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d")
    w = Wine(base / "prefix", env, _tool("wine64", "/usr/lib/wine/wine64"),
             _tool("wineserver", "/usr/lib/wine/wineserver64"))
    boot = subprocess.run([w.wine, "wineboot", "-i"], env=env, capture_output=True, text=True, timeout=300)
    assert boot.returncode == 0, boot.stdout + boot.stderr
    w.settle()
    w.local_appdata, w.appdata, w.profile = w.output(
        "cmd", "/c", "echo", "%LOCALAPPDATA%;%APPDATA%;%USERPROFILE%").stdout.strip().split(";")
    _sandbox(w, installers_dir)
    yield w
    subprocess.run([w.wineserver, "-k"], env=env, capture_output=True)
    shutil.rmtree(base, ignore_errors=True)  # ~700 MB of prefix


@pytest.fixture
def wine(wine_prefix) -> Wine:
    """The module's prefix with no trace of the app, whatever an earlier test left (removed
    by hand, not by the uninstaller under test)."""
    w = wine_prefix
    for folder in (_program_dir(w), w.unix(PureWindowsPath(w.local_appdata) / "Workstation")):
        shutil.rmtree(folder, ignore_errors=True)
    for link in (_start_menu_link(w), _desktop_link(w)):
        link.unlink(missing_ok=True)
    w.output("cmd", "/c", f"reg delete {UNINSTALL_KEY} /f & reg delete {APP_KEY} /f")
    w.settle()
    return w


def _sandbox(w: Wine, installers: Path) -> None:
    links = [Path(folder, name) for folder, dirs, _ in os.walk(w.unix(w.profile)) for name in dirs
             if Path(folder, name).is_symlink()]
    for link in links:  # Desktop -> $HOME and the like
        link.unlink()
        link.mkdir()
    devices = w.prefix / "dosdevices"
    (devices / "z:").unlink()
    (devices / "d:").symlink_to(installers)


@dataclass(frozen=True)
class Installer:
    version: str
    exe: Path

    @property
    def windows_path(self) -> str:
        return f"D:\\{self.exe.name}"


def _buildinfo():
    """installer/buildinfo.py: the one version source (pyproject.toml) for every build."""
    if str(ROOT / "installer") not in sys.path:
        sys.path.insert(0, str(ROOT / "installer"))
    import buildinfo

    return buildinfo


def _versions() -> tuple[str, str]:
    buildinfo = _buildinfo()
    current = buildinfo.project_version()
    major, minor, patch, _ = buildinfo.version_tuple(current)
    return current, f"{major}.{minor}.{patch + 1}"


def _stage(frozen: Path, folder: Path, version: str, extra: dict[str, str]) -> Path:
    """The Windows layout around the Linux build (links, no copies of its 210 MB)."""
    internal = folder / "_internal"
    internal.mkdir(parents=True)
    for name in ("workstation", "workstation-debug"):
        (folder / f"{name}.exe").symlink_to(frozen / name)
    for entry in (frozen / "_internal").iterdir():
        (internal / entry.name).symlink_to(entry)
    (internal / "build-id.txt").write_text(version, encoding="utf-8")
    for name, text in extra.items():
        (internal / name).write_text(text, encoding="utf-8")
    return folder


def _compile(source: Path, version: str, out: Path) -> Path:
    result = subprocess.run(
        [_tool("makensis"), "-V2", "-INPUTCHARSET", "UTF8", f"-DVERSION={version}",
         f"-DVERSION4={_buildinfo().version4(version)}", f"-DSOURCE_DIR={source}", f"-DOUTFILE={out}",
         "-DCOMPRESSOR=none", str(NSI)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def installers(frozen, installers_dir, tmp_path_factory) -> tuple[Installer, Installer]:
    """This version's installer and a newer one: the same script and payload, a higher
    VERSION define (and a file the newer build no longer ships)."""
    current, newer = _versions()
    stage = tmp_path_factory.mktemp("stage")
    old_src = _stage(frozen, stage / current, current, {f"only-in-{current}.txt": "gone in the next version"})
    new_src = _stage(frozen, stage / newer, newer, {})
    return (Installer(current, _compile(old_src, current, installers_dir / f"Workstation-{current}-setup.exe")),
            Installer(newer, _compile(new_src, newer, installers_dir / f"Workstation-{newer}-setup.exe")))


# --- where the app keeps the agent's data on Windows ------------------------------------------
def _app_data_paths(w: Wine, monkeypatch) -> dict[str, PureWindowsPath]:
    """The files the app writes, at the paths its own code computes on Windows: platformdirs'
    Windows rules (appauthor=False) for this Wine user's folders."""
    import platformdirs
    import platformdirs.windows

    monkeypatch.delenv("WORKSTATION_DATA_DIR", raising=False)
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", w.local_appdata)
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", w.appdata)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    from workstation import logsetup, userdirs
    from workstation.models.paths import cache_path
    from workstation.settings import settings_path
    from workstation.ui.window_state import window_state_path

    paths = {"cache": cache_path("https://shop.example.com", 7, "agent7"), "settings": settings_path(),
             "window state": window_state_path(), "log": logsetup.log_file_path()}
    win = {k: PureWindowsPath(str(v).replace("/", "\\")) for k, v in paths.items()}
    user_data = PureWindowsPath(w.local_appdata) / "Workstation"  # the uninstaller's USER_DATA_DIR
    assert PureWindowsPath(str(userdirs.data_dir())) == user_data
    for what, path in win.items():
        assert path.is_relative_to(user_data), f"the app keeps its {what} at {path}, which /REMOVEDATA=1 misses"
    return win


def _put_user_data(w: Wine, monkeypatch) -> dict[Path, bytes]:
    """A cache (a real SQLite file), settings, window state and a log, at the app's paths."""
    written = {}
    for what, win_path in _app_data_paths(w, monkeypatch).items():
        path = w.unix(win_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if what == "cache":
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, body TEXT)")
                db.execute("INSERT INTO outbox (body) VALUES (?)", ("备注: 买家要求改地址",))
            db.close()
        elif what == "log":
            path.write_text("2026-12-01 09:00:00 INFO workstation: online\n", encoding="utf-8")
        else:
            path.write_text(f"[general]\n{what.replace(' ', '_')}=kept\n", encoding="utf-8")
        written[path] = path.read_bytes()
    return written


# --- what the installer put in place -----------------------------------------------------------
def _program_dir(w: Wine) -> Path:
    return w.unix(PureWindowsPath(w.local_appdata) / "Programs" / "Workstation")


def _start_menu_link(w: Wine) -> Path:
    start_menu = PureWindowsPath(w.appdata) / "Microsoft" / "Windows" / "Start Menu" / "Programs"
    return w.unix(start_menu / "Workstation.lnk")


def _desktop_link(w: Wine) -> Path:
    return w.unix(PureWindowsPath(w.profile) / "Desktop" / "Workstation.lnk")


def _assert_installed(w: Wine, installer: Installer) -> None:
    program = _program_dir(w)
    for name in ("workstation.exe", "workstation-debug.exe", "uninstall.exe"):
        assert (program / name).is_file(), name
    assert (program / "_internal" / "build-id.txt").read_text(encoding="utf-8") == installer.version
    link = _start_menu_link(w).read_bytes()
    assert b"workstation.exe" in link.lower() or "workstation.exe".encode("utf-16-le") in link.lower()
    entry = w.reg_values(UNINSTALL_KEY)
    assert entry is not None, "no Apps & features entry"
    assert entry["DisplayName"] == "Workstation"
    assert entry["DisplayVersion"] == installer.version
    assert entry["Publisher"] == PUBLISHER
    expected_location = PureWindowsPath(w.local_appdata, "Programs", "Workstation")
    assert PureWindowsPath(entry["InstallLocation"]) == expected_location
    assert entry["QuietUninstallString"].endswith(r'\uninstall.exe" /S')
    installed_kb = sum(p.stat().st_size for p in program.rglob("*") if p.is_file()) / 1024
    assert 0.9 * installed_kb <= int(entry["EstimatedSize"], 16) <= 1.1 * installed_kb + 64


def _assert_not_installed(w: Wine) -> None:
    assert not _program_dir(w).exists()
    assert not _start_menu_link(w).exists() and not _desktop_link(w).exists()
    assert w.reg_values(UNINSTALL_KEY) is None


def _uninstaller(w: Wine) -> str:
    return str(PureWindowsPath(w.local_appdata) / "Programs" / "Workstation" / "uninstall.exe")


def _same_bytes(data: dict[Path, bytes]) -> bool:
    return all(p.is_file() and p.read_bytes() == b for p, b in data.items())


# --- the tests ---------------------------------------------------------------------------------
def test_silent_install_upgrade_and_uninstall_keep_the_agents_data(wine, installers, monkeypatch):
    current, newer = installers
    _assert_not_installed(wine)
    before, machine_before = wine.outside_profile(), wine.machine_registry_mentions()

    # a per-user install, no desktop shortcut asked for
    assert wine.run(current.windows_path, "/S", "/DESKTOP=0") == 0
    _assert_installed(wine, current)
    assert not _desktop_link(wine).exists()
    assert wine.outside_profile() == before, "the installer wrote outside the user's profile"
    assert wine.machine_registry_mentions() == machine_before, "the installer wrote to HKLM"
    _assert_language_tables(_program_dir(wine).joinpath("uninstall.exe").read_bytes(), current.version,
                            ["SecUnProgram", "SecUnData", "MsgRunning", "MsgStillRunning"])

    # a shift's worth of user data, then the newer version over it
    data = _put_user_data(wine, monkeypatch)
    assert wine.run(newer.windows_path, "/S") == 0
    _assert_installed(wine, newer)
    assert not (_program_dir(wine) / "_internal" / f"only-in-{current.version}.txt").exists(), \
        "the upgrade left a file the new version no longer ships"
    assert not _desktop_link(wine).exists(), "the upgrade forgot the no-desktop-shortcut choice"
    assert _same_bytes(data), "the upgrade changed the agent's data"
    assert wine.outside_profile() == before

    # silent uninstall: the program goes, the data stays
    wine.run(_uninstaller(wine), "/S")
    _assert_not_installed(wine)
    assert _same_bytes(data), "a plain uninstall removed the agent's data"
    assert wine.reg_values(APP_KEY) is not None  # the remembered shortcut choice is user data too
    assert wine.outside_profile() == before
    assert wine.machine_registry_mentions() == machine_before


def test_bad_switches_change_nothing_and_remove_data_removes_it(wine, installers, monkeypatch):
    current, newer = installers
    _assert_not_installed(wine)
    for bad in ("/DESKTOP=maybe", "/ALLUSERS"):
        assert wine.run(newer.windows_path, "/S", bad) == 2, bad  # refused: exit code 2
        _assert_not_installed(wine)

    assert wine.run(newer.windows_path, "/S", "/DESKTOP=1") == 0
    _assert_installed(wine, newer)
    assert _desktop_link(wine).is_file()
    data = _put_user_data(wine, monkeypatch)

    wine.run(_uninstaller(wine), "/S", "/REMOVEDATA=perhaps")
    _assert_installed(wine, newer)  # refused: nothing removed
    assert _same_bytes(data)

    wine.run(_uninstaller(wine), "/S", "/REMOVEDATA=1")
    _assert_not_installed(wine)
    assert not any(p.exists() for p in data), "the data stayed although /REMOVEDATA=1 asked to remove it"
    assert not wine.unix(PureWindowsPath(wine.local_appdata) / "Workstation").exists()
    assert wine.reg_values(APP_KEY) is None


# --- languages ---------------------------------------------------------------------------------
def _script_strings(version: str) -> dict[str, dict[int, str]]:
    """{name: {LANGID: text}} from the script's LangString lines, with variables ($0, $R1)
    written as "$" and ${VERSION} expanded, as the compiled tables hold them."""
    ids = {"SIMPCHINESE": nsis_header.LANG_SIMPCHINESE, "ENGLISH": nsis_header.LANG_ENGLISH}
    strings: dict[str, dict[int, str]] = {}
    for name, lang, text in re.findall(r'^LangString (\w+) \$\{LANG_(\w+)\} "(.*)"$',
                                       NSI.read_text(encoding="utf-8"), re.M):
        text = text.replace("${VERSION}", version).replace('$\\"', '"')
        strings.setdefault(name, {})[ids[lang]] = re.sub(r"\$R?\d", "$", text)
    return strings


def _normalized(table: list[str]) -> list[str]:
    return [re.sub(r"[\x01-\x04].", "$", s, flags=re.S) for s in table]  # NSIS codes: var/lang + index


def _assert_language_tables(exe: bytes, version: str, names: list[str]) -> None:
    assert nsis_header.pe_machine(exe) == 0x8664, "not a 64-bit executable"
    tables = nsis_header.language_tables(exe)
    assert set(tables) == {nsis_header.LANG_SIMPCHINESE, nsis_header.LANG_ENGLISH}
    zh, en = (_normalized(tables[k]) for k in (nsis_header.LANG_SIMPCHINESE, nsis_header.LANG_ENGLISH))
    script = _script_strings(version)
    for name in names:
        wanted = script[name]
        slots = [i for i, text in enumerate(en) if text == wanted[nsis_header.LANG_ENGLISH]]
        assert slots, f"{name}: the English text is not in the compiled table"
        assert any(zh[i] == wanted[nsis_header.LANG_SIMPCHINESE] for i in slots), \
            f"{name}: the Chinese table does not carry the script's Chinese text"


def test_both_languages_compile_and_the_installer_carries_the_chinese_text(installers):
    """The compiled language tables are what NSIS shows, picked by Windows' UI language
    (Simplified Chinese first, the fallback; English)."""
    for installer in installers:
        exe = installer.exe.read_bytes()
        _assert_language_tables(exe, installer.version,
                                ["SecProgram", "SecDesktop", "MsgRunning", "MsgStillRunning",
                                 "MsgDowngrade", "MsgPerUserOnly", "MsgBadDesktop"])
        tables = nsis_header.language_tables(exe)
        pages = dict(zip(tables[nsis_header.LANG_ENGLISH], tables[nsis_header.LANG_SIMPCHINESE]))
        # the MUI pages themselves are in Chinese too
        assert pages["Cancel"] == "取消(&C)" and pages["&Install"] == "安装(&I)"
        assert pages["Installation Complete"] == "安装完成"
