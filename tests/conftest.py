"""Shared fixtures: a clean environment, throwaway repositories, and the CLI in-process."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secure_gate import cli

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"

_STRIPPED_PREFIXES = ("GITHUB_", "RUNNER_", "INPUT_", "ACTIONS_")
_STRIPPED = ("CI", "NO_COLOR", "FORCE_COLOR", "XDG_CACHE_HOME")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                       ) -> None:
    """GitHub-mode tests set exactly what they need; nothing leaks in from the runner."""
    for key in list(os.environ):
        if key.startswith(_STRIPPED_PREFIXES) or key in _STRIPPED:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "author@example.invalid")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # Every test gets its own cache folder so no run sees another's results.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def write_tree(root: Path, tree: Mapping[str, str | bytes], *, dedent: bool = False) -> Path:
    """Write ``tree`` (relative path: text or bytes) under ``root`` and return ``root``."""
    import textwrap

    for name, content in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content) if dedent else content, encoding="utf-8")
    return root


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout (raises on failure)."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


@dataclass
class Repo:
    """A throwaway repository a test writes files into."""

    root: Path
    in_git: bool = True

    def write(self, files: Mapping[str, str | bytes]) -> Repo:
        write_tree(self.root, files)
        return self

    def commit(self, message: str = "commit") -> str:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.root, "rev-parse", "HEAD").strip()

    def git(self, *args: str) -> str:
        return git(self.root, *args)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Repo]:
    """``make_repo({"a.py": "..."}, git=True)`` → a repository with those files committed."""
    counter = iter(range(1000))

    def make(files: Mapping[str, str | bytes] | None = None, *, git_repo: bool = True,
             commit: bool = True) -> Repo:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        repo = Repo(root, git_repo)
        if git_repo:
            git(root, "init", "-q", "-b", "main")
        repo.write(files or {})
        if git_repo and commit:
            repo.commit("initial")
        return repo

    return make


@dataclass
class CliResult:
    """What an in-process run of the CLI produced."""

    code: int
    out: str
    err: str
    json_report: dict[str, Any] | None = None


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``secure-gate`` in-process in ``cwd``; with ``report=True`` also read --json."""

    def run(cwd: Path, *args: str, report: bool = True) -> CliResult:
        monkeypatch.chdir(cwd)
        argv = list(args)
        json_path = None
        if report and argv and argv[0] == "scan" and "--json" not in argv:
            json_path = tmp_path / f"report-{os.urandom(4).hex()}.json"
            argv += ["--json", str(json_path)]
        capsys.readouterr()
        code = cli.main(argv)
        captured = capsys.readouterr()
        data = None
        if json_path is not None and json_path.exists():
            data = json.loads(json_path.read_text(encoding="utf-8"))
        return CliResult(code, captured.out, captured.err, data)

    return run


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """The steering repository's shared data; tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (a user's fresh clone); CI provides it")
    yield SHARED
