"""The domain layers stay Qt-free (DESIGN.md): models and sync import without PySide6."""
from __future__ import annotations

import pkgutil
import subprocess
import sys

import workstation.models
import workstation.sync


def _modules(pkg) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
            if ".migrations" not in m.name]


def test_models_and_sync_never_import_qt():
    mods = ["workstation.models", "workstation.sync", *_modules(workstation.models), *_modules(workstation.sync)]
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt imported below the UI layer: {out.stdout.strip()}"
