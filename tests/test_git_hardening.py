"""A scanned clone's .git/config runs nothing during any of the gate's git calls."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import git

BAD = "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n"


def arm(repo_root: Path, markers: Path) -> None:
    """Every program a .git/config can name: each leaves a marker when git runs it."""
    script = markers.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {markers}/ran\ncat\n')
    script.chmod(0o755)
    hooks = markers.parent / "evil-hooks"
    hooks.mkdir()
    for name in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction",
                 "fsmonitor-watchman"):
        (hooks / name).write_text(f'#!/bin/sh\necho "hook {name}" >> {markers}/ran\n')
        (hooks / name).chmod(0o755)
    with (repo_root / ".git" / "config").open("a") as config:
        config.write(f"""
[core]
    fsmonitor = {script}
    hooksPath = {hooks}
    pager = {script}
    askPass = {script}
[filter "evil"]
    clean = {script}
    smudge = {script}
    required = true
[filter "ev.il"]
    process = {script}
[diff "evil"]
    command = {script}
    textconv = {script}
[diff]
    external = {script}
[pager]
    diff = {script}
[credential]
    helper = !{script}
""")


@pytest.fixture
def armed(make_repo: Callable[..., Any], tmp_path: Path) -> tuple[Any, str, Path]:
    """A repository with a base commit, a pull-request commit, staged and unstaged edits."""
    markers = tmp_path / "markers"
    markers.mkdir()
    repo = make_repo({"README.md": "base\n",
                      ".gitattributes": "* filter=evil diff=evil\n*.cfg filter=ev.il\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"app/run.py": BAD, "app/x.cfg": "k = v\n"})
    repo.commit("the change")
    repo.write({"app/staged.py": BAD})
    repo.git("add", "app/staged.py")
    repo.write({"README.md": "edited in the work tree\n"})
    arm(repo.root, markers)
    return repo, base, markers


def ran(markers: Path) -> str:
    marker = markers / "ran"
    return marker.read_text() if marker.exists() else ""


def test_scan_runs_nothing_the_repository_configures(
        armed: tuple[Any, str, Path], run_cli: Callable[..., Any]) -> None:
    repo, _base, markers = armed
    result = run_cli(repo.root, "scan", "--scanners", "bandit,practices", "--no-cache")
    assert ran(markers) == ""
    assert result.code == 1, result.out + result.err
    assert {f["path"] for f in result.json_report["findings"] if f["rule"] == "B602"} >= {
        "app/run.py"}


def test_diff_mode_runs_nothing(armed: tuple[Any, str, Path],
                                run_cli: Callable[..., Any]) -> None:
    repo, base, markers = armed
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--no-cache",
                     "--diff-base", base)
    assert ran(markers) == ""
    assert result.code == 1, result.out + result.err
    new = [f for f in result.json_report["findings"] if f["blocking"]]
    assert {f["path"] for f in new} >= {"app/run.py"}


def test_staged_hook_runs_nothing(armed: tuple[Any, str, Path],
                                  run_cli: Callable[..., Any]) -> None:
    repo, _base, markers = armed
    result = run_cli(repo.root, "hook", "--staged", "--scanners", "bandit", report=False)
    assert ran(markers) == ""
    assert result.code == 1, result.out + result.err
    assert "app/staged.py" in result.out


def test_pre_push_hook_runs_nothing(armed: tuple[Any, str, Path], run_cli: Callable[..., Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, markers = armed
    head = git.output(repo.root, "rev-parse", "HEAD").decode().strip()
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"refs/heads/main {head} refs/heads/main "
                                                  f"{base}\n"))
    result = run_cli(repo.root, "hook", "--pre-push", "--scanners", "bandit", report=False)
    assert ran(markers) == ""
    assert result.code == 1, result.out + result.err
    assert "app/run.py" in result.out


def test_a_filter_name_git_cannot_override_is_refused(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    repo.git("config", "filter.a=b.clean", "cat")
    git.filter_overrides.cache_clear()
    with pytest.raises(git.GitError, match="cannot be switched off"):
        git.tracked_files(repo.root)
