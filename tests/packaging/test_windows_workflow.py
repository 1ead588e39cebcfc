"""The Windows workflow (.github/workflows/windows.yml) has never run where it was written:
check what can be checked here. Its syntax against GitHub's workflow schema (SchemaStore's,
shipped inside check-jsonschema: no network), its bash steps with `bash -n`, and that it
still does what it is for: the real test suite on Windows, the build, the smoke tests, a
silent install, upgrade and uninstall with the installer's documented switches.

actionlint would check more (expressions, shellcheck) but installs only by downloading a
binary, which these machines cannot do.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"
NSI = ROOT / "installer" / "workstation.nsi"


def _schema_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(path)], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def workflow() -> dict:
    return YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))


def test_workflow_matches_githubs_schema():
    result = _schema_check(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "windows.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "run-on:", 1), encoding="utf-8")
    result = _schema_check(broken)
    assert result.returncode != 0 and "jobs" in result.stdout


def _steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def _shell(workflow: dict, job: str, step: dict) -> str:
    return step.get("shell") or workflow["jobs"][job].get("defaults", {}).get("run", {}).get("shell", "pwsh")


@pytest.mark.skipif(sys.platform == "win32",
                    reason="checked on the Linux machines; on Windows `bash` may be WSL's launcher")
def test_bash_steps_parse(workflow, tmp_path):
    bash = shutil.which("bash")
    assert bash, "bash is missing"
    checked = 0
    for job in workflow["jobs"]:
        for step in _steps(workflow, job):
            if "run" in step and _shell(workflow, job, step) == "bash":
                script = tmp_path / f"step{checked}.sh"
                script.write_text(re.sub(r"\$\{\{.*?\}\}", "x", step["run"]), encoding="utf-8")
                result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True)
                assert result.returncode == 0, f"{job}: {step.get('name', step['run'][:40])}: {result.stderr}"
                checked += 1
    assert checked >= 4


def test_expressions_use_known_contexts(workflow):
    text = WORKFLOW.read_text(encoding="utf-8")
    contexts = {m.split(".")[0].strip() for m in re.findall(r"\$\{\{\s*([^}]*?)\s*\}\}", text)}
    assert contexts <= {"secrets", "runner", "github", "env", "matrix", "steps", "inputs"}, contexts


def test_the_real_test_suite_runs_on_windows_with_postgresql(workflow):
    job = workflow["jobs"]["tests"]
    assert job["runs-on"] == "windows-latest"
    runs = [s.get("run", "") for s in job["steps"]]
    pytest_at = next(i for i, r in enumerate(runs) if "-m pytest" in r)
    assert "--smoke" not in runs[pytest_at] and " -x" not in runs[pytest_at]  # the whole suite
    postgres_at = next(i for i, r in enumerate(runs) if "pg_hba.conf" in r and "createdb" in r)
    assert postgres_at < pytest_at
    assert "127.0.0.1/32 trust" in runs[postgres_at]  # as fixtures_server.PG_ADMIN_URL expects


def test_the_build_job_builds_smoke_tests_installs_upgrades_and_uninstalls(workflow):
    job = workflow["jobs"]["build-installer"]
    assert job["runs-on"] == "windows-latest"
    runs = [s.get("run", "") for s in job["steps"]]
    order = [
        next(i for i, r in enumerate(runs) if "-m workstation --smoke" in r),
        next(i for i, r in enumerate(runs) if "scripts/build-installer" in r),
        next(i for i, r in enumerate(runs) if "workstation-debug.exe --smoke" in r and "dist/" in r),
        next(i for i, r in enumerate(runs) if "-DVERSION=$next" in r),
        next(i for i, r in enumerate(runs) if "uninstall.exe" in r),
    ]
    assert order == sorted(order)
    install = runs[order[-1]]
    for expected in ("'/S'", "'/DESKTOP=0'", "'/DESKTOP=1'", "'/REMOVEDATA=1'", "DisplayVersion",
                     "--smoke", "Get-FileHash", r"Programs\Workstation"):
        assert expected in install, expected
    # the switches the workflow uses are the ones the installer script reads
    script = NSI.read_text(encoding="utf-8")
    assert '"/DESKTOP="' in script and '"/REMOVEDATA="' in script
    assert any(s.get("uses", "").startswith("actions/upload-artifact@") for s in job["steps"])
