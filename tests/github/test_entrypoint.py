"""The container entrypoint: becomes the workspace owner, drops runner credentials, then execs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "entrypoint" / "entrypoint.py"
REPORT = ("import json, os; print(json.dumps({'uid': os.getuid(), 'gid': os.getgid(), "
          "'euid': os.geteuid(), 'groups': os.getgroups(), 'home': os.environ.get('HOME'), "
          "'env': sorted(k for k in os.environ if k.startswith('ACTIONS_'))}))")

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
# The exec target must be runnable by the unprivileged user (the venv's may live under /root).
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin") or sys.executable


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder the unprivileged user can reach (pytest's own tmp is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="sg-entrypoint-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def run_entrypoint(workspace: Path, env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    """Run the real entrypoint in a child, with the exec target swapped for a reporter."""
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('ep', {str(ENTRYPOINT)!r})\n"
        "ep = importlib.util.module_from_spec(spec); spec.loader.exec_module(ep)\n"
        f"ep.PYTHON = {SYSTEM_PYTHON!r}\n"
        f"ep.COMMAND = (ep.PYTHON, '-c', {REPORT!r})\n"
        "raise SystemExit(ep.main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={"PATH": os.defpath, "GITHUB_WORKSPACE": str(workspace), **env},
                          timeout=60, check=False)
    data = json.loads(done.stdout) if done.returncode == 0 else {}
    return done.returncode, data, done.stderr


@needs_root
def test_root_becomes_the_workspace_owner(open_tmp: Path) -> None:
    tmp_path = open_tmp
    workspace = tmp_path / "ws"
    home = tmp_path / "home"
    workspace.mkdir()
    home.mkdir()
    os.chown(workspace, 1001, 1002)
    os.chown(home, 1001, 1002)
    code, seen, err = run_entrypoint(workspace, {
        "HOME": str(home), "ACTIONS_RUNTIME_TOKEN": "rt", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x",
        "ACTIONS_STEP_DEBUG": "true"})
    assert code == 0, err
    assert (seen["uid"], seen["euid"], seen["gid"], seen["groups"]) == (1001, 1001, 1002, [])
    assert seen["home"] == str(home)
    assert seen["env"] == ["ACTIONS_STEP_DEBUG"]  # the credentials are gone


@needs_root
def test_an_unwritable_home_is_replaced(open_tmp: Path) -> None:
    tmp_path = open_tmp
    workspace = tmp_path / "ws"
    workspace.mkdir()
    os.chown(workspace, 1001, 1001)
    code, seen, err = run_entrypoint(workspace, {"HOME": "/root"})
    assert code == 0, err
    assert seen["uid"] == 1001 and seen["home"] != "/root"
    assert Path(seen["home"]).stat().st_uid == 1001


@needs_root
def test_a_root_owned_workspace_keeps_root(tmp_path: Path) -> None:
    code, seen, err = run_entrypoint(tmp_path, {"HOME": "/root"})
    assert code == 0, err
    assert (seen["uid"], seen["home"]) == (0, "/root")


def test_a_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run_entrypoint(tmp_path / "absent", {})
    assert code == 2
    assert "cannot prepare the workspace" in err
