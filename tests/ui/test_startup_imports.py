"""Start-up stays light: nothing slow to import is loaded before the window is interactive
(SQLAlchemy, requests, keyring, pydantic are imported by background jobs afterwards)."""
from __future__ import annotations

import os
import subprocess
import sys

HEAVY = ("sqlalchemy", "requests", "keyring", "pydantic", "alembic")

CHILD = r"""
import sys
import workstation.app as app

def report(marker):
    if marker == "WORKSTATION_READY":
        heavy = sorted({m.split(".")[0] for m in sys.modules} & set(%r))
        print("HEAVY=" + ",".join(heavy), flush=True)
        from PySide6.QtWidgets import QApplication
        w = [x for x in QApplication.topLevelWidgets() if x.objectName() == "mainWindow"][0]
        print("SHOWN=" + str(w.isVisible()), flush=True)
        print("FOCUS=" + (w.focusWidget().objectName() if w.focusWidget() else ""), flush=True)
        QApplication.instance().exit(0)

app._report = report
sys.exit(app.main(["workstation", "--lang", "en"]))
""" % (HEAVY,)


def test_nothing_heavy_is_imported_before_the_window_is_interactive(tmp_path):
    env = dict(os.environ, WORKSTATION_DATA_DIR=str(tmp_path), WORKSTATION_REPORT_READY="1",
               QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    lines = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    assert "HEAVY" in lines, out.stdout + out.stderr
    assert lines["HEAVY"] == "", f"imported before the first frame: {lines['HEAVY']}"
    assert lines["SHOWN"] == "True"
    assert lines["FOCUS"] == "orderSearch"  # the window's focus widget: typing goes there
