"""env-file-committed and env-file-not-ignored, with git's own answers as the reference."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from secure_gate import files
from secure_gate.scanners.base import ScanJob
from secure_gate.scanners.practices import PracticesScanner, env_files, gitignore
from tests.scanners.practices.helpers import places, scan

NAMES = [
    (".env", True), (".env.local", True), (".env.production", True), (".env.test", True),
    (".env.dev.local", True), (".env.backup", True), (".env.prod-eu", True),
    (".env.staging", True),
    (".env.example", False), (".env.sample", False), (".env.template", False),
    (".env.dist", False), (".env.local.example", False), (".env.tmpl", False),
    (".env.defaults", False), (".env.vault", False), (".envrc", False), ("env", False),
    ("x.env", False), (".env.", False), (".environment", False), ("prod.env", False),
]


@pytest.mark.parametrize(("name", "expected"), NAMES, ids=[n for n, _ in NAMES])
def test_env_file_names(name: str, expected: bool) -> None:
    assert env_files.is_env_file(name) is expected


def test_committed_env_files_are_reported_without_their_content(
        make_repo: Callable[..., Any]) -> None:
    repo = make_repo({".env": "LOG_LEVEL=verbose-content-marker\n",
                      "deploy/.env.production": "DB=x\n", ".env.example": "DB=\n",
                      "app.py": "x = 1\n"})
    outcome = scan(repo.root)
    assert places(outcome) == [("env-file-committed", ".env", None),
                               ("env-file-committed", "deploy/.env.production", None)]
    for finding in outcome.findings:
        assert "content-marker" not in finding.message and "DB=" not in finding.message
        assert finding.severity.label == "high"


def test_an_untracked_env_file_is_not_committed(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"app.py": "x = 1\n", ".gitignore": ".env\n"})
    (repo.root / ".env").write_text("A=1\n")
    (repo.root / ".env.local").write_text("A=1\n")  # untracked, not ignored: not in git
    assert places(scan(repo.root)) == []


# (.gitignore text, whether .env at the root is ignored): read by us and by git.
GITIGNORE = [
    (".env\n", True), ("/.env\n", True), (".env*\n", True), ("*.env\n", True),
    ("**/.env\n", True), (".e?v\n", True), (".[e]nv\n", True), ("*\n", True),
    (".env\n!.env\n", False), (".env*\n!.env.example\n", True), ("!.env\n.env\n", True),
    (".env/\n", False), ("config/.env\n", False), ("# .env\n", False), ("\\#.env\n", False),
    (".env   \n", True), ("env\n", False), (".envrc\n", False), ("", False),
    ("*.py\n__pycache__/\n", False), (".[!e]nv\n", False), ("**/.env*\n", True),
    (".ENV\n", False),
]


@pytest.mark.parametrize(("text", "ignored"), GITIGNORE, ids=[repr(t) for t, _ in GITIGNORE])
def test_gitignore_reading_agrees_with_git(tmp_path: Path, text: str, ignored: bool) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "config", "core.ignorecase", "false"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text(text)
    assert gitignore.read_verdict(text).ignored is ignored
    verdict = gitignore.git_verdict(tmp_path, 30)
    assert verdict is not None and verdict.ignored is ignored


def test_a_clones_own_excludes_do_not_count(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".git" / "info" / "exclude").write_text(".env\n")
    (tmp_path / ".gitignore").write_text("*.pyc\n")
    verdict = gitignore.git_verdict(tmp_path, 30)
    assert verdict is not None and not verdict.ignored


DOTENV_APP = "from dotenv import load_dotenv\nload_dotenv()\n"


@pytest.mark.parametrize(("tree", "expected"), [
    ({"app.py": DOTENV_APP, ".gitignore": "*.pyc\n"}, [(".gitignore", None)]),
    ({"app.py": DOTENV_APP}, [(".gitignore", None)]),  # no .gitignore at all
    ({"requirements.txt": "python-dotenv==1.1.1\n", ".gitignore": "x\n"}, [(".gitignore", None)]),
    ({"requirements/base.in": "Python_Dotenv>=1\n"}, [(".gitignore", None)]),
    ({"pyproject.toml": "[project]\nname='a'\nversion='1'\ndependencies=['python-dotenv']\n"},
     [(".gitignore", None)]),
    ({"app.py": "import dotenv\nvalues = dotenv.dotenv_values('.env')\n"},
     [(".gitignore", None)]),
    ({"app.py": DOTENV_APP, ".gitignore": ".env*\n!.env\n"}, [(".gitignore", 2)]),
    ({"app.py": DOTENV_APP, ".gitignore": ".env\n"}, []),
    ({"app.py": DOTENV_APP, ".gitignore": "# secrets\n*.env\n.env*\n"}, []),
    ({"app.py": "def load_dotenv():\n    pass\n"}, []),  # a definition is not a use
    ({"requirements.txt": "django-environ==0.11\n"}, []),
    ({"app.py": "import os\nprint(os.environ['X'])\n"}, []),
    ({"tests/test_env.py": DOTENV_APP}, []),  # test files are not read by default
    ({"app.py": DOTENV_APP, ".gitignore": ".env # local files\n"}, [(".gitignore", None)]),
    ({"app.py": DOTENV_APP, ".gitignore": "/.env\n"}, []),
    ({"app.py": DOTENV_APP, ".gitignore": ".env*\n!.env.example\n"}, []),
    ({"requirements.txt": "python-dotenv-cli==1.0\n"}, []),
    ({"requirements.txt": "# python-dotenv==1.1.1\n"}, []),
])
def test_env_file_not_ignored(make_repo: Callable[..., Any], tree: dict[str, str],
                              expected: list[tuple[str, int | None]]) -> None:
    repo = make_repo(tree)
    outcome = scan(repo.root)
    found = [(p, line) for rule, p, line in places(outcome) if rule == "env-file-not-ignored"]
    assert found == expected
    for finding in outcome.findings:
        assert finding.severity.label == "low"


def test_not_ignored_outside_git_reads_the_gitignore(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {"app.py": DOTENV_APP, ".gitignore": "/.env\n"})
    assert places(outcome) == []
    outcome = scan(tmp_path, {".gitignore": "node_modules/\n"})
    assert places(outcome) == [("env-file-not-ignored", ".gitignore", None)]
    (finding,) = outcome.findings
    assert "load_dotenv() call in app.py:2" in finding.message


def test_the_fingerprint_evidence_does_not_depend_on_the_trigger(tmp_path: Path) -> None:
    first = scan(tmp_path / "a", {"app.py": DOTENV_APP})
    second = scan(tmp_path / "b", {"requirements.txt": "python-dotenv\n"})
    assert first.findings[0].evidence == second.findings[0].evidence


def test_a_copy_of_some_files_without_gitignore_is_not_judged(tmp_path: Path) -> None:
    # The native hook scans a copy of the staged files: no .git, and .gitignore only if staged.
    (tmp_path / "app.py").write_text(DOTENV_APP)
    fileset = files.collect(tmp_path, listing=["app.py"])
    scanner = PracticesScanner()
    job = ScanJob(root=fileset.root, files=scanner.select(fileset, {}), fileset=fileset,
                  options={}, jobs=1, deadline=time.monotonic() + 60)
    outcome = scanner.scan(job)
    assert outcome.findings == []
    assert outcome.notes == ["env-file-not-ignored not checked: this scan sees only some of "
                             "the repository's files, without .gitignore"]
    (tmp_path / ".gitignore").write_text("build/\n")  # staged with it: read it
    fileset = files.collect(tmp_path, listing=["app.py", ".gitignore"])
    outcome = scanner.scan(replace(job, fileset=fileset,
                                   files=scanner.select(fileset, {})))
    assert places(outcome) == [("env-file-not-ignored", ".gitignore", None)]
