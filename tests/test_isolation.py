"""The scanned repository's code never runs: not in workers, tools, hooks or the gate itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import hooks
from tests import secrets_corpus as fake

EDGE_DB = Path(__file__).resolve().parent / "fixtures" / "osv" / "edge"

# Module names a hostile pull request adds at its root: our own package, the interpreter's
# start-up hooks, and packages named like the tools and their dependencies.
SHADOWS = ("secure_gate/__init__.py", "secure_gate/workers/__init__.py",
           "secure_gate/workers/main.py", "secure_gate/__main__.py", "sitecustomize.py",
           "usercustomize.py", "yaml/__init__.py", "bandit/__init__.py",
           "detect_secrets/__init__.py", "pip_audit/__init__.py", "stevedore/__init__.py",
           "packaging/__init__.py")

CODE = f"""import subprocess

AWS = "{fake.AWS_KEY_ID}"


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""


def hostile_tree(markers: Path) -> dict[str, str]:
    """Every shadow writes a marker file named after itself when it is imported."""
    tree = {}
    for name in SHADOWS:
        marker = markers / name.replace("/", "_")
        tree[name] = (f"with open({str(marker)!r}, 'w') as marker:\n"
                      f"    marker.write('imported')\n")
    tree["app.py"] = CODE
    tree["requirements.txt"] = "aliased.pkg==1.0\n"
    tree[".github/workflows/ci.yml"] = ("on: issues\npermissions: {}\njobs:\n  a:\n"
                                        "    runs-on: x\n    steps:\n"
                                        "      - run: echo ${{ github.event.issue.title }}\n")
    return tree


def assert_nothing_imported(markers: Path) -> None:
    assert sorted(p.name for p in markers.iterdir()) == []


def rules(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["scanner"], f["rule"]) for f in report["findings"]}


EXPECTED = {("bandit", "B602"), ("detect-secrets", "AWS Access Key"),
            ("pip-audit", "PYSEC-TEST-1"), ("workflows", "template-injection")}


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    folder = tmp_path / "markers"
    folder.mkdir()
    return folder


def test_scan_imports_nothing_from_the_repository(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], markers: Path) -> None:
    repo = make_repo(hostile_tree(markers))
    result = run_cli(repo.root, "scan", "--advisory-db", str(EDGE_DB), "--no-cache")
    assert_nothing_imported(markers)
    assert result.code == 1, result.out + result.err
    assert rules(result.json_report) >= EXPECTED
    assert all(s["status"] == "ok" for s in result.json_report["scanners"]), result.json_report


def test_diff_mode_scan_imports_nothing(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], markers: Path) -> None:
    repo = make_repo({"README.md": "base\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write(hostile_tree(markers))
    repo.commit("the pull request")
    result = run_cli(repo.root, "scan", "--advisory-db", str(EDGE_DB), "--no-cache",
                     "--diff-base", base)
    assert_nothing_imported(markers)
    assert result.code == 1, result.out + result.err
    assert rules(result.json_report) >= EXPECTED


def test_worker_and_tool_commands_are_isolated() -> None:
    from secure_gate import _subprocess
    from secure_gate.workers import pool

    assert pool.worker_command()[:2] == [sys.executable, "-I"]
    assert _subprocess.python_module("pip_audit")[:2] == [sys.executable, "-I"]


def test_native_hook_imports_nothing_from_the_repository(
        make_repo: Callable[..., Any], markers: Path) -> None:
    repo = make_repo({"README.md": "base\n"})
    hooks.install(repo.root)
    repo.write(hostile_tree(markers))
    repo.git("add", "-A")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(repo.root)  # ignored under -I, as a user's stray setting would be
    done = subprocess.run(["git", "commit", "-q", "-m", "hostile"], cwd=repo.root, env=env,
                          capture_output=True, text=True, check=False)
    assert_nothing_imported(markers)
    assert done.returncode == 1, done.stdout + done.stderr  # the hook ran, and blocked
    assert "B602" in done.stdout + done.stderr or "shell" in done.stdout + done.stderr
