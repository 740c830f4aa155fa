"""The Action's token is in no environment block a worker, a tool or their parent exposes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from secure_gate.github import handoff
from tests.conftest import Repo
from tests.github.fake_github import State
from tests.github.runner import Runner, pr_event

# A `git` first on PATH: every git call the gate (or a tool) makes runs it. It records, for
# itself, its parent and every process its parent started (the workers, pip-audit), whether
# the token is in that process's environment block as the kernel shows it, then runs git.
SPY = """#!{python} -I
import json, os, sys
TOKEN = {token!r}.encode()
LOG = {log!r}

def seen(pid):
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as block:
            environ = block.read()
        with open(f"/proc/{{pid}}/cmdline", "rb") as cmd:
            cmdline = cmd.read().replace(b"\\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return {{"pid": pid, "cmdline": cmdline, "token": TOKEN in environ}}

parent = os.getppid()
siblings = []
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            with open(f"/proc/{{entry}}/stat", "rb") as stat:
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and int(entry) != os.getpid():
            siblings.append(seen(int(entry)))
record = {{"self": seen("self"), "parent": seen(parent), "siblings": siblings}}
with open(LOG, "a") as log:
    log.write(json.dumps(record) + "\\n")
os.execv({git!r}, [{git!r}, *sys.argv[1:]])
"""


@pytest.fixture
def spy(tmp_path: Path, api: State) -> tuple[Path, Path]:
    folder = tmp_path / "spy-bin"
    folder.mkdir()
    log = tmp_path / "spy.jsonl"
    real_git = shutil.which("git")
    assert real_git
    script = folder / "git"
    script.write_text(SPY.format(python=sys.executable, token=api.token, log=str(log),
                                 git=real_git))
    script.chmod(0o755)
    return folder, log


def test_workers_tools_and_the_gate_never_hold_the_token(
        make_repo: Callable[..., Repo], tmp_path: Path, api: State, spy: tuple[Path, Path]
) -> None:
    repo = make_repo({"app/run.py": "import subprocess\n\n\ndef go(c):\n"
                                    "    subprocess.Popen(c, shell=True)\n",
                      "notes.txt": "nothing here\n"})
    folder, log = spy
    runner = Runner(tmp_path / "runner", repo.root, pr_event(7), "pull_request")
    env = runner.env({"scanners": "bandit,detect-secrets,practices",
                      "github-token": api.token, "no-cache": "true"}, api=api.base)
    env.update({k: v for k, v in os.environ.items()
                if k in ("HOME", "XDG_CACHE_HOME", "NO_PROXY", "no_proxy", "LANG")})
    env["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
    env["GITHUB_TOKEN"] = api.token  # a workflow that also put it in the step's env
    done = subprocess.run([sys.executable, "-I", "-m", "secure_gate", "github"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    # The token still did its one job: the comment was written with it.
    assert len(api.comments) == 1, done.stdout
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records, "git never ran"
    workers = [s for r in records for s in r["siblings"]
               if s and "secure_gate.workers.main" in s["cmdline"]]
    assert workers, records  # the spy saw the workers, so their blocks were really read
    for record in records:
        assert record["self"]["token"] is False  # a tool
        assert record["parent"]["token"] is False, record["parent"]  # what /proc/<ppid> shows
        assert [s for s in record["siblings"] if s and s["token"]] == []
    assert api.token not in done.stdout.replace(f"::add-mask::{api.token}", "", 1)
    assert api.token not in done.stderr


def test_the_scan_door_drops_a_workflow_token_too(
        make_repo: Callable[..., Repo], tmp_path: Path, api: State, spy: tuple[Path, Path]
) -> None:
    """`secure-gate scan` in a step whose env carries GITHUB_TOKEN (pre-commit in CI, ...):
    no child, and not the gate itself, keeps it."""
    repo = make_repo({"app/run.py": "import subprocess\n\n\ndef go(c):\n"
                                    "    subprocess.call(c, shell=True)\n"})
    folder, log = spy
    env = {k: v for k, v in os.environ.items() if k in ("HOME", "XDG_CACHE_HOME", "LANG")}
    env.update({"PATH": f"{folder}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
                "GITHUB_TOKEN": api.token, "GH_TOKEN": api.token})
    done = subprocess.run([sys.executable, "-I", "-m", "secure_gate", "scan", "--no-cache",
                           "--scanners", "bandit,practices"], env=env, cwd=repo.root,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert any("secure_gate.workers.main" in s["cmdline"]
               for r in records for s in r["siblings"] if s)
    for record in records:
        assert record["self"]["token"] is False
        assert record["parent"]["token"] is False
        assert [s for s in record["siblings"] if s and s["token"]] == []


def test_take_token_reads_the_pipe_once_and_closes_it() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b" ghs_example \n")
    os.close(write_end)
    environ = {handoff.FD_VARIABLE: str(read_end), "OTHER": "1"}
    assert handoff.take_token(environ) == "ghs_example"
    assert environ == {"OTHER": "1"}
    with pytest.raises(OSError):
        os.fstat(read_end)


def test_take_token_in_process_pops_the_input() -> None:
    environ = {handoff.TOKEN_INPUT: " t0k \n", "OTHER": "1"}
    assert handoff.take_token(environ) == "t0k"
    assert environ == {"OTHER": "1"}
