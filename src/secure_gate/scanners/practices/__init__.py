"""practices: the secure-coding habits no other scanner checks, read by secure-gate itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from secure_gate import __version__, filekinds, options
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.manifests.discover import manifest_kind
from secure_gate.options import Option
from secure_gate.scanners.base import HookSpec, ScanJob, Scanner, ScanOutcome
from secure_gate.scanners.practices import (
    dockerfile,
    env_files,
    errors_rule,
    hashing_rule,
    html_rule,
    logging_rule,
    nosec,
    rules,
    settings_rule,
    sql_rule,
    templates_rule,
    workflows,
)
from secure_gate.scanners.practices.pysource import Module, PythonSyntaxError
from secure_gate.scanners.practices.rules import Hit

__all__ = ["PracticesScanner", "file_kind"]

_PYTHON_RULES: tuple[Callable[[Module], list[Hit]], ...] = (
    logging_rule.check, errors_rule.check, hashing_rule.check, settings_rule.check,
    sql_rule.check, templates_rule.check, html_rule.check)
_KINDS = ("python", "dockerfile", "workflow", "template", "env", "manifest")
# Tests and fixtures are not deployed: their credentials are fake, their handlers and images
# exist to be tested. detect-secrets still reads every file for real secrets.
TEST_CLASSES = frozenset({filekinds.TESTS, filekinds.FIXTURES})
_BY_KIND = {filekinds.WORKFLOW: "workflow", filekinds.DOCKERFILE: "dockerfile",
            filekinds.REQUIREMENTS: "manifest", filekinds.PYPROJECT: "manifest",
            filekinds.TEMPLATE: "template"}


def is_test_path(path: str, classes: filekinds.Classifier = filekinds.DEFAULT) -> bool:
    """A path in the ``tests`` or ``fixtures`` class (``test_*.py``, ``conftest.py``,
    ``tests/``, ``fixtures/``, ...: see :data:`secure_gate.filekinds.DEFAULT_PATHS`)."""
    return classes(path) in TEST_CLASSES


def file_kind(path: str) -> str | None:
    """How the practices scanner reads a file, by its path alone (None: not at all)."""
    if filekinds.is_python(path):
        return "python"
    kind = _BY_KIND.get(filekinds.kind(path) or "")
    if kind == "dockerfile" and (path.startswith(".devcontainer/")
                                 or "/.devcontainer/" in path):
        return None  # a dev container's user is devcontainer.json's remoteUser
    if kind is None and env_files.is_env_file(path.rsplit("/", 1)[-1]):
        return "env"
    return kind


def _text(repo_file: RepoFile) -> str:
    """A Dockerfile's or workflow's text; ``ValueError`` when it cannot be checked."""
    return repo_file.read_text()


class PracticesScanner(Scanner):
    """Python (AST), Dockerfiles, workflows, .env files and .gitignore, read in-process."""

    name: ClassVar[str] = rules.SCANNER
    description: ClassVar[str] = "secure-coding practices no other scanner checks"
    default_timeout: ClassVar[float] = 600.0
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-practices", "secure-gate: practices",
        "Secure-coding habits no other scanner checks.")
    options: ClassVar[Mapping[str, Option]] = {
        "test-files": options.boolean(
            False, "also check test modules and files under tests/ and fixtures/ folders"),
    }

    def version(self) -> str | None:
        """The checks are secure-gate's own, so its version is theirs."""
        return __version__

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Python files, Dockerfiles, workflows, .env files and dependency manifests (tests
        and fixtures, by the config's path classes, are left out in :meth:`scan`)."""
        return tuple(f for f in fileset.files if file_kind(f.path) is not None)

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Check every selected file, without tests and fixtures unless ``test-files`` is on;
        one that cannot be read or parsed is an error."""
        chosen = job.files
        if not job.options.get("test-files", False):
            chosen = tuple(f for f in job.files if not is_test_path(f.path, job.classes))
        outcome = ScanOutcome(files_scanned=len(chosen))
        if len(chosen) < len(job.files):
            outcome.stats["test_files_skipped"] = len(job.files) - len(chosen)
        groups: dict[str, list[RepoFile]] = {kind: [] for kind in _KINDS}
        for repo_file in chosen:
            groups[file_kind(repo_file.path) or "manifest"].append(repo_file)
        triggers: list[env_files.Trigger] = []
        for repo_file in groups["python"]:
            if time.monotonic() > job.deadline:
                raise ScannerError(f"timed out after checking part of the Python files "
                                   f"(next: {repo_file.path})")
            triggers.extend(self._python(repo_file, outcome))
        checks: dict[str, tuple[Callable[[str], list[Hit]], bool]] = {
            "dockerfile": (dockerfile.check, True), "workflow": (workflows.check, False),
            "template": (templates_rule.check_template, False)}
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

