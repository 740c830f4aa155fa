"""practices: the secure-coding habits no other scanner checks, read by secure-gate itself."""

from __future__ import annotations

import posixpath
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from secure_gate import __version__, options
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.manifests.discover import manifest_kind
from secure_gate.options import Option
from secure_gate.scanners.base import ScanJob, ScanOutcome
from secure_gate.scanners.practices import (
    dockerfile,
    env_files,
    errors_rule,
    hashing_rule,
    logging_rule,
    nosec,
    rules,
    settings_rule,
    workflows,
)
from secure_gate.scanners.practices.pysource import Module, PythonSyntaxError
from secure_gate.scanners.practices.rules import Hit

__all__ = ["PracticesScanner", "file_kind"]

# GitHub runs only the workflows at the repository's root (of the scan).
_WORKFLOW = re.compile(r"\.github/workflows/[^/]+\.ya?ml")
_DOCKERFILE = re.compile(r"(?:Dockerfile|Containerfile)(?:\..+)?|.+\.(?:Dockerfile|Containerfile)")
_PYTHON_RULES: tuple[Callable[[Module], list[Hit]], ...] = (
    logging_rule.check, errors_rule.check, hashing_rule.check, settings_rule.check)
_KINDS = ("python", "dockerfile", "workflow", "env", "manifest")
# Tests and fixtures are not deployed: their credentials are fake, their handlers and images
# exist to be tested. detect-secrets still reads every file for real secrets.
TEST_FOLDERS = frozenset({"test", "tests", "testing", "fixtures", "testdata", "test_data",
                          "__tests__"})


def is_test_path(path: str) -> bool:
    """A test module (``test_*.py``, ``*_test.py``, ``tests.py``, ``conftest.py``) or any
    file under a folder named like :data:`TEST_FOLDERS` or starting with ``test_``."""
    *folders, name = path.lower().split("/")
    if any(f in TEST_FOLDERS or f.startswith("test_") for f in folders):
        return True
    stem = name.rsplit(".", 1)[0] if name.endswith((".py", ".pyw")) else None
    return stem is not None and (stem.startswith("test_") or stem.endswith("_test")
                                 or stem in ("tests", "conftest"))


def file_kind(path: str) -> str | None:
    """How the practices scanner reads a file, by its path alone (None: not at all)."""
    name = posixpath.basename(path)
    if name.endswith((".py", ".pyw")):
        return "python"
    if _WORKFLOW.fullmatch(path):
        return "workflow"
    if (_DOCKERFILE.fullmatch(name) and not name.endswith(".dockerignore")
            and not path.startswith(".devcontainer/") and "/.devcontainer/" not in path):
        return "dockerfile"  # a dev container's user is devcontainer.json's remoteUser
    if env_files.is_env_file(name):
        return "env"
    return "manifest" if manifest_kind(path) in ("requirements", "pyproject") else None


def _text(repo_file: RepoFile) -> str:
    """A Dockerfile's or workflow's text; ``ValueError`` when it cannot be checked."""
    return repo_file.read_text()


class PracticesScanner:
    """Python (AST), Dockerfiles, workflows, .env files and .gitignore, read in-process."""

    name: ClassVar[str] = rules.SCANNER
    description: ClassVar[str] = "secure-coding practices no other scanner checks"
    default_timeout: ClassVar[float] = 600.0
    options: ClassVar[Mapping[str, Option]] = {
        "test-files": options.boolean(
            False, "also check test modules and files under tests/ and fixtures/ folders"),
    }

    def version(self) -> str | None:
        """The checks are secure-gate's own, so its version is theirs."""
        return __version__

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Python files, Dockerfiles, workflows, .env files and dependency manifests, without
        tests and fixtures unless ``test-files`` is on."""
        tests = bool(options.get("test-files", False))
        return tuple(f for f in fileset.files if file_kind(f.path) is not None
                     and (tests or not is_test_path(f.path)))

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Check every selected file; one that cannot be read or parsed is an error."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        groups: dict[str, list[RepoFile]] = {kind: [] for kind in _KINDS}
        for repo_file in job.files:
            groups[file_kind(repo_file.path) or "manifest"].append(repo_file)
        triggers: list[env_files.Trigger] = []
        for repo_file in groups["python"]:
            if time.monotonic() > job.deadline:
                raise ScannerError(f"timed out after checking part of the Python files "
                                   f"(next: {repo_file.path})")
            triggers.extend(self._python(repo_file, outcome))
        checks: dict[str, tuple[Callable[[str], list[Hit]], bool]] = {
            "dockerfile": (dockerfile.check, True), "workflow": (workflows.check, False)}
        for kind, (check, whole_line) in checks.items():
            for repo_file in groups[kind]:
                try:
                    text = _text(repo_file)
                    hits = check(text)
                except ValueError as exc:
                    outcome.errors.append(f"practices: {repo_file.path} {exc}")
                    continue
                comments = nosec.line_comments(text.splitlines(), whole_line_only=whole_line)
                self._add(repo_file.path, hits, comments, outcome)
        for path, hit in env_files.committed(tuple(groups["env"])):
            self._add(path, [hit], {}, outcome)
        for repo_file in groups["manifest"]:
            try:
                text = _text(repo_file)
            except ValueError:
                continue  # pip-audit and pins report unreadable manifests
            triggers.extend(env_files.dotenv_dependency(
                repo_file, manifest_kind(repo_file.path) or "", text))
        if triggers:
            self._not_ignored(job, min(triggers, key=lambda t: (t.path, t.line or 0)), outcome)
        for kind in _KINDS:
            outcome.stats[f"{kind}_files"] = len(groups[kind])
        if not job.options.get("test-files", False):
            outcome.stats["test_files_skipped"] = sum(
                1 for f in job.fileset.files
                if file_kind(f.path) is not None and is_test_path(f.path))
        return outcome

    def _python(self, repo_file: RepoFile, outcome: ScanOutcome) -> list[env_files.Trigger]:
        try:
            source = repo_file.abspath.read_bytes()
            module = Module.parse(repo_file.path, source)
            hits = [hit for check in _PYTHON_RULES for hit in check(module)]
            triggers = env_files.dotenv_calls(module)
        except OSError as exc:
            outcome.errors.append(f"practices: {repo_file.path} cannot be read: {exc}")
            return []
        except PythonSyntaxError as exc:
            outcome.errors.append(f"practices could not parse {repo_file.path}: {exc}")
            return []
        except RecursionError:
            outcome.errors.append(f"practices: {repo_file.path} is nested too deeply to check")
            return []
        except Exception as exc:  # a bug of ours must fail closed and name the file
            outcome.errors.append(f"practices failed on {repo_file.path}: "
                                  f"{type(exc).__name__}: {exc}")
            return []
        self._add(repo_file.path, hits, nosec.python_comments(source), outcome)
        return triggers

    @staticmethod
    def _add(path: str, hits: list[Hit], comments: nosec.Comments,
             outcome: ScanOutcome) -> None:
        kept, silenced = nosec.apply(hits, comments)
        outcome.findings.extend(rules.finding(path, hit) for hit in kept)
        if silenced:
            outcome.stats["nosec"] = outcome.stats.get("nosec", 0) + silenced

    @staticmethod
    def _not_ignored(job: ScanJob, trigger: env_files.Trigger, outcome: ScanOutcome) -> None:
        in_git = job.fileset.in_git
        if in_git and not (job.root / ".git").exists():
            # A copy of some of the repository's files (staged files, or a base commit).
            if not (job.root / env_files.GITIGNORE).is_file():
                outcome.notes.append("env-file-not-ignored not checked: this scan sees only "
                                     "some of the repository's files, without .gitignore")
                return
            in_git = False
        hit, note = env_files.not_ignored(job.root, trigger, in_git=in_git,
                                          timeout=min(60.0, job.remaining()))
        if note:
            outcome.notes.append(note)
        if hit is not None:
            outcome.findings.append(rules.finding(env_files.GITIGNORE, hit))

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """Inline suppressions are counted so that the report shows them."""
        notes = []
        if silenced := stats.get("nosec", 0):
            notes.append(f"{silenced} result(s) silenced by `# nosec` comments")
        if skipped := stats.get("test_files_skipped", 0):
            notes.append(f"{skipped} test file(s) not checked (scanners.practices.test-files: "
                         "true checks them)")
        return notes

