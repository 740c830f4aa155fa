"""pre-commit bundle and native git hooks: the manifest, file matching, the real clients."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from identify import identify

from secure_gate import hooks
from secure_gate.scanners import SCANNERS
from tests import secrets_corpus as fake
from tests.conftest import PROJECT
from tests.release_checks import snapshot

BIN = Path(sys.executable).parent


def test_committed_manifest_matches_the_registry() -> None:
    committed = (PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert committed == hooks.render_manifest(), "run scripts/gen-hooks"


def test_committed_native_hooks_match(tmp_path: Path) -> None:
    hooks.write_native_dir(tmp_path)
    for kind in hooks.HOOK_KINDS:
        committed = PROJECT / "hooks" / kind
        assert committed.read_text() == (tmp_path / kind).read_text(), "run scripts/gen-hooks"
        assert os.access(committed, os.X_OK)


def test_every_scanner_has_a_hook_and_the_contract_ids_exist() -> None:
    ids = [spec.id for spec, _ in hooks.hook_specs()]
    assert len(ids) == len(SCANNERS) + 1
    assert {"secure-gate", "secure-gate-bandit", "secure-gate-secrets"} <= set(ids)
    for name in ("pip-audit", "pins"):
        assert hooks.by_scanner()[name].id == f"secure-gate-{name}"


def test_pre_commit_validates_the_manifest() -> None:
    done = subprocess.run([BIN / "pre-commit", "validate-manifest", ".pre-commit-hooks.yaml"],
                          cwd=PROJECT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def matches(spec: hooks.HookSpec, path: str) -> bool:
    """pre-commit's own rule: `files` regex searched, then every `types` tag present."""
    if spec.files and not re.search(spec.files, path):
        return False
    tags = identify.tags_from_filename(os.path.basename(path)) or {"text"}
    return set(spec.types) <= tags


@pytest.mark.parametrize(
    ("scanner", "must", "must_not"),
    [
        ("bandit", ["a.py", "pkg/sub/b.py", "odd name.py"], ["a.txt", "Dockerfile", "a.pyc"]),
        ("detect-secrets", ["a.py", "config.yaml", "README.md", "x.json"], ["logo.png"]),
        ("pip-audit", ["requirements.txt", "requirements-dev.txt", "requirements/base.txt",
                       "svc/pyproject.toml", "poetry.lock", "uv.lock", "Pipfile.lock",
                       "pylock.toml", "pylock.prod.toml"],
         ["a.py", "requirements.md", "docs/requirements.rst", "mypyproject.toml"]),
        ("pins", ["requirements.txt", ".github/workflows/ci.yml", ".github/workflows/x.yaml",
                  "action.yml", "sub/action.yaml", "Dockerfile", "Dockerfile.prod",
                  "api.Dockerfile", "Containerfile"],
         ["a.py", ".github/dependabot.yml", "docs/Dockerfile-guide.md", "my-action.yml"]),
    ],
)
def test_hook_file_filters(scanner: str, must: list[str], must_not: list[str]) -> None:
    spec = hooks.by_scanner()[scanner]
    for path in must:
        assert matches(spec, path), path
    for path in must_not:
        assert not matches(spec, path), path


def test_hook_output_is_terse(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n"})
    result = run_cli(repo.root, "hook", "--scanners", "bandit", "--", "a.py", report=False)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == ("a.py:2: high B602 subprocess call with shell=True identified, security "
                        "issue. [bandit]")
    assert lines[1].startswith("a.py:1: low B404 ") and lines[1].endswith("(not blocking)")
    assert lines[-2].startswith("secure-gate FAILED: ")
    assert "`# nosec <rule>`" in lines[-1] and "suppressions:" in lines[-1]


def test_hook_on_named_files_does_not_list_the_repository(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({"a.py": "x = 1\n", "b.py": "eval('1')\n"})
    from secure_gate import files

    def refuse(root: Path) -> list[str]:
        raise AssertionError("listed the whole repository")

    monkeypatch.setattr(files, "_git_files", refuse)
    result = run_cli(repo.root, "hook", "--scanners", "bandit", "--", "a.py", report=False)
    assert result.code == 0


# The real clients -----------------------------------------------------------------------

OSV_RECORD = {
    "id": "SGTEST-2026-0001", "modified": "2026-01-01T00:00:00Z",
    "summary": "self-written test advisory",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "insecure-test-package"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                              {"fixed": "1.0.1"}]}]}],
}

BAD = {
    "bad.py": "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n",
    # File names pre-commit passes as they are: one that starts with a dash, one that reads
    # like an option that would switch the gate off.
    "-dash.py": "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n",
    "--fail-on=never": "plain text\n",
    "settings.txt": f"github_token = {fake.GITHUB_TOKEN}\n",
    "requirements.txt": "insecure-test-package==1.0.0\nrequests>=2.0\n",
    "Dockerfile": "FROM python:3.12-slim\nUSER nobody\n",
    ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n"
                               "    steps:\n      - uses: actions/checkout@v4\n",
    ".env": "LOG_LEVEL=debug\n",
    ".github/workflows/triage.yml": "name: triage\non: issues\npermissions: {}\njobs:\n  a:\n"
                                    "    runs-on: ubuntu-latest\n    steps:\n      - run: echo"
                                    " \"${{ github.event.issue.title }}\"\n",
}
GOOD = {
    "bad.py": "def add(a, b):\n    return a + b\n",
    "tool.py": "import subprocess  # low (B404): blocks only at --fail-on low\n",
    "settings.txt": "nothing secret here\n",
    "requirements.txt": "insecure-test-package==1.0.1 \\\n"
                        "    --hash=sha256:" + "0" * 64 + "\n",
    "Dockerfile": f"FROM python:3.12-slim@sha256:{'a' * 64}\nUSER nobody\n",
    ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n"
                               f"    steps:\n      - uses: actions/checkout@{'b' * 40} # v4\n",
    ".github/workflows/triage.yml": "name: triage\non: issues\npermissions: {}\njobs:\n  a:\n"
                                    "    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: echo \"$TITLE\"\n        env:\n"
                                    "          TITLE: ${{ github.event.issue.title }}\n",
}


def hook_status(output: str) -> dict[str, str]:
    """`name....Passed/Failed/(no files to check)Skipped` lines, by hook name."""
    status = {}
    for line in output.splitlines():
        match = re.match(r"^(secure-gate[^.]*?)\.{3,}(?:\(no files to check\))?(Passed|Failed|"
                         r"Skipped)$", line)
        if match:
            status[match.group(1)] = match.group(2)
    return status


def make_hook_repo(make_repo: Callable[..., Any], files: dict[str, str], config: str) -> Any:
    repo = make_repo(commit=False)
    osv = repo.root / ".osv"
    osv.mkdir()
    (osv / "SGTEST-2026-0001.json").write_text(json.dumps(OSV_RECORD))
    # The gate's defaults otherwise: each hook must fail at them on what it exists to catch.
    repo.write({".secure-gate.yml": "exclude: ['.osv/']\nscanners:\n"
                                    "  pip-audit:\n    advisory-db: .osv\n",
                ".pre-commit-config.yaml": config, **files})
    repo.git("add", "-A")
    return repo


@pytest.fixture(scope="module")
def project_at_commit(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """This project as a user names it, a git URL and a commit: the work tree's files
    (tracked and new, not ignored) committed in a repository of their own."""
    root = snapshot(tmp_path_factory.mktemp("secure-gate-at-a-commit"))
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, check=True,
                         capture_output=True, text=True).stdout.strip()
    return root.as_uri(), sha


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store for the module: every hook shares the one environment of the repo at a rev."""
    return tmp_path_factory.mktemp("pre-commit-home")


def user_config(url: str, rev: str, args: list[str] | None) -> str:
    hooks_yaml = "".join(f"      - id: {spec.id}\n"
                         + (f"        args: {json.dumps(args)}\n" if args is not None else "")
                         for spec, _ in hooks.hook_specs())
    # Nothing excluded: the config itself (its `rev:` SHA) is scanned too, as in a user's repo.
    return f"repos:\n  - repo: {url}\n    rev: {rev}\n    hooks:\n{hooks_yaml}"


def pre_commit_run(repo: Any, home: Path) -> tuple[int, str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home),
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run([BIN / "pre-commit", "run", "--color", "never", "--all-files"],
                          cwd=repo.root, env=env, capture_output=True, text=True, check=False,
                          timeout=1800)
    output = done.stdout + done.stderr
    assert fake.leaked(output) == [], "a secret reached the hook output"
    assert "exit code: 2" not in output and "exit code: 3" not in output, output[-3000:]
    return done.returncode, output


# (args, files, expected status of every hook); None: the hook ids alone.
SCENARIOS = [
    (None, BAD, "Failed"),
    (None, GOOD, "Passed"),
    # Options after options, both spellings: the last --fail-on wins, as on the command line.
    (["--jobs", "1", "--fail-on", "low", "--fail-on=critical"], BAD, "Passed"),
    (["--fail-on=low", "--min-confidence", "low"], GOOD, None),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "files", "expected"), SCENARIOS,
                         ids=["bad", "good", "bad-args-critical", "good-args-low"])
def test_pre_commit_run_at_a_commit_with_and_without_args(
        make_repo: Callable[..., Any], project_at_commit: tuple[str, str],
        pre_commit_home: Path, args: list[str] | None, files: dict[str, str],
        expected: str | None) -> None:
    url, rev = project_at_commit
    repo = make_hook_repo(make_repo, files, user_config(url, rev, args))
    code, output = pre_commit_run(repo, pre_commit_home)
    status = hook_status(output)
    names = {spec.id: spec.name for spec, _ in hooks.hook_specs()}
    if expected is not None:
        assert status == {name: expected for name in names.values()}, output[-4000:]
        assert (code != 0) == (expected == "Failed")
    if files is BAD and expected == "Failed":
        assert "bad.py:5: high B602" in output
        assert "-dash.py:5: high B602" in output
        assert "requirements.txt:1: " in output and "SGTEST-2026-0001" in output
        assert "settings.txt:1: high GitHub Token" in output
        assert ".env: high env-file-committed" in output or ".env:" in output
        # The pins hook at its own default (medium): an unpinned FROM and a tag-pinned Action.
        assert "Dockerfile:1: medium unpinned-image" in output
        assert ".github/workflows/ci.yml:7: medium unpinned-action" in output
        assert "requirements.txt:2: medium unpinned-requirement" in output
        assert ".github/workflows/triage.yml:8: high template-injection" in output
    if expected is None:  # --fail-on low: the low B404 in tool.py now blocks
        assert status[names["secure-gate-bandit"]] == "Failed", output[-4000:]
        assert status[names["secure-gate"]] == "Failed"
        assert "tool.py:1: low B404" in output
        assert set(status) == set(names.values())


# Native hooks -----------------------------------------------------------------------------

def git_commit(repo: Any, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo.root,
                          capture_output=True, text=True, check=False, timeout=300)


def test_native_pre_commit_hook_scans_the_index(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"README.md": "hello\n"})
    installed = run_cli(repo.root, "install-hooks", report=False)
    assert installed.code == 0, installed.err
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    assert hooks.MARKER in hook.read_text()
    # A bad file staged: the commit is blocked and the secret is not printed.
    repo.write({"app.py": f'TOKEN = "{fake.GITHUB_TOKEN}"\n'})
    repo.git("add", "app.py")
    blocked = git_commit(repo, "bad")
    assert blocked.returncode != 0
    # git runs hooks with their stdout sent to stderr.
    assert "app.py:1: high GitHub Token" in blocked.stderr
    assert fake.leaked(blocked.stdout + blocked.stderr) == []
    # Fixed in the work tree but not staged: still blocked (the commit holds the index).
    repo.write({"app.py": "import os\nTOKEN = os.environ['TOKEN']\n"})
    assert git_commit(repo, "still bad").returncode != 0
    repo.git("add", "app.py")
    ok = git_commit(repo, "good")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A clean stage with a bad unstaged edit commits: that edit is not in the commit.
    repo.write({"README.md": "hello again\n"})
    repo.git("add", "README.md")
    repo.write({"app.py": f'TOKEN = "{fake.GITHUB_TOKEN}"\n'})
    assert git_commit(repo, "readme").returncode == 0


def test_install_hooks_never_overwrites_a_strangers_hook(make_repo: Callable[..., Any],
                                                         run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    theirs = repo.root / ".git" / "hooks" / "pre-commit"
    theirs.write_text("#!/bin/sh\necho theirs\n")
    refused = run_cli(repo.root, "install-hooks", report=False)
    assert refused.code == 2 and "is not secure-gate's" in refused.err
    assert theirs.read_text() == "#!/bin/sh\necho theirs\n"
    assert run_cli(repo.root, "install-hooks", "--force", report=False).code == 0
    assert run_cli(repo.root, "install-hooks", report=False).code == 0  # ours: replaced


def test_native_pre_push_hook_blocks_only_new_findings(make_repo: Callable[..., Any],
                                                       run_cli: Callable[..., Any],
                                                       tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo = make_repo({"old.py": "import subprocess\nsubprocess.call(cmd, shell=True)\n"})
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    run_cli(repo.root, "install-hooks", report=False)
    (repo.root / ".git" / "hooks" / "pre-commit").unlink()  # only pre-push here
    repo.write({"doc.md": "notes\n"})
    repo.commit("docs")
    pushed = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.root,
                            capture_output=True, text=True, check=False)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr  # old finding: not new
    repo.write({"new.py": "import subprocess\nsubprocess.call(other, shell=True)\n"})
    repo.commit("new shell call")
    refused = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.root,
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "new.py:2: high B602" in output
    assert "old.py" not in "\n".join(ln for ln in output.splitlines()
                                     if "(not blocking)" not in ln and "notice" not in ln)
