"""The README's workflow, pre-commit and install snippets, copied verbatim, work at their pin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from scripts import pinned

from tests.conftest import PROJECT
from tests.release_checks import BIN, check_snippet, check_workflow, shallow

README = (PROJECT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _history() -> None:
    if shallow(PROJECT):
        pytest.skip("a shallow clone has not the history the pins point into")


def yaml_blocks() -> list[str]:
    return [m.group(1) for m in re.finditer(r"^```ya?ml\n(.*?)^```", README, re.M | re.S)]


def local(text: str) -> str:
    """The snippet with only the GitHub URL swapped for this clone (no network here)."""
    return text.replace(pinned.URL, PROJECT.as_uri())


def test_readme_workflow_copied_into_a_scratch_repository(tmp_path: Path) -> None:
    blocks = [b for b in yaml_blocks() if f"uses: {pinned.REPO}@" in b]
    workflows = [b for b in blocks if "jobs" in (yaml.safe_load(b) or {})]
    assert blocks and workflows, "the README lost its workflow snippet"
    target = tmp_path / ".github" / "workflows" / "secure-gate.yml"
    target.parent.mkdir(parents=True)
    target.write_text(workflows[0], encoding="utf-8")
    check_workflow(target, "pedantic")
    for block in blocks:
        data = yaml.safe_load(textwrap.dedent(block))
        assert list(pinned.action_steps(data)), block
        assert check_snippet(PROJECT, "README.md", block, data) == []


@pytest.mark.slow
def test_readme_pre_commit_snippet_runs_at_the_pinned_release(
        make_repo: Callable[..., Any], tmp_path: Path) -> None:
    block = next(b for b in yaml_blocks() if "repos:" in b)
    (entry,) = pinned.hook_entries(yaml.safe_load(block))
    assert pinned.SHA_RE.fullmatch(str(entry["rev"]))
    repo = make_repo(commit=False)
    repo.write({".pre-commit-config.yaml": local(block),
                "clean.py": "def add(a, b):\n    return a + b\n",
                "bad.py": "import subprocess\n\n\ndef go(c):\n"
                          "    subprocess.call(c, shell=True)\n"})
    repo.git("add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    outcomes = {}
    for name in ("clean.py", "bad.py"):
        done = subprocess.run([BIN / "pre-commit", "run", "--color", "never", "--files", name],
                              cwd=repo.root, env=env, capture_output=True, text=True,
                              check=False, timeout=1800)
        outcomes[name] = (done.returncode, done.stdout + done.stderr)
    assert outcomes["clean.py"][0] == 0, outcomes["clean.py"][1][-3000:]
    assert re.search(r"^secure-gate\.+Passed$", outcomes["clean.py"][1], re.M)
    assert outcomes["bad.py"][0] == 1 and "bad.py:5: high B602" in outcomes["bad.py"][1]


@pytest.mark.slow
def test_readme_pip_install_line_installs_the_pinned_release(tmp_path: Path) -> None:
    match = re.search(r'^pip install "(secure-gate @ git\+[^"]+)"[ \t]*#[ \t]*v(\S+)$', README,
                      re.M)
    assert match, "the README lost its pip install line"
    requirement, version = match.groups()
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--target", str(target), local(requirement)],
                          capture_output=True, text=True, check=False, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    shown = subprocess.run([sys.executable, "-c", "import secure_gate, sys; "
                            "print(secure_gate.__file__); sys.argv = ['secure-gate', "
                            "'--version']; from secure_gate.cli import main; main()"],
                           env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True,
                           text=True, check=False)
    where, _, said = shown.stdout.partition("\n")
    assert where.startswith(str(target)), shown.stdout + shown.stderr
    assert said.strip() == f"secure-gate {version}"
