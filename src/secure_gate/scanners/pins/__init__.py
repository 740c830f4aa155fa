"""pins: every dependency, action and base image pinned exactly, each finding on its own line."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from secure_gate import __version__, filekinds, options
from secure_gate.edits import FixOutcome
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Finding
from secure_gate.options import Option
from secure_gate.scanners.base import FixJob, HookSpec, ScanJob, Scanner, ScanOutcome
from secure_gate.scanners.pins import actions, dockerfile, lockfile, requirements, rules

__all__ = ["PinsScanner", "file_kind"]

# The file kinds this checker reads, and the group each is checked in.
KINDS: Mapping[str, str] = {
    filekinds.WORKFLOW: "workflow", filekinds.ACTION: "action",
    filekinds.DOCKERFILE: "dockerfile", filekinds.REQUIREMENTS: "requirements",
    **{k: "project" for k in filekinds.PROJECT_FILES},
}
# Every file the pin checker reads (the pre-commit hook's `files:`).
PIN_FILES = filekinds.hook_regex(KINDS)
_MAX_BYTES = 5 * 1024 * 1024
_CHECKS: dict[str, Callable[[str, str], list[Finding]]] = {
    "workflow": actions.check_workflow,
    "action": actions.check_action,
    "dockerfile": dockerfile.check,
}


def file_kind(path: str) -> str | None:
    """What the pin checker reads a file as, by its name alone (None: not at all)."""
    found = filekinds.kind(path)
    return KINDS.get(found) if found is not None else None


def _read(repo_file: RepoFile) -> str:
    """A selected file's text; ``ValueError`` when it cannot be checked (fail closed)."""
    return repo_file.read_text()


class _Tree:
    """Sibling files looked up on disk (lock files need not be among the scanned files)."""

    def __init__(self, root: Path, available: Mapping[str, RepoFile]) -> None:
        self.root = root
        self.available = available

    def exists(self, path: str) -> bool:
        return path in self.available or os.path.lexists(self.root / path)

    def listdir(self, folder: str) -> Sequence[str]:
        try:
            return sorted(os.listdir(self.root / folder))
        except OSError:
            return []

    def read(self, path: str) -> str | None:
        full = self.root / path
        try:
            info = full.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
                return None  # symlinks are never followed out of the repository
            return full.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None


class PinsScanner(Scanner):
    """Reads workflows, action.yml, Dockerfiles, requirements and project files itself."""

    name: ClassVar[str] = rules.SCANNER
    description: ClassVar[str] = "dependencies, actions and base images pinned exactly"
    default_timeout: ClassVar[float] = 300.0
    # A pin finding is new exactly when the line that pins it changed.
    diff_by_line: ClassVar[bool] = True
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-pins", "secure-gate: pins",
        "Dependencies, actions and base images pinned exactly (fails at medium: every "
        "unpinned reference is medium).", files=PIN_FILES,
        # At the global default (high) no pins finding could ever block: the contract makes
        # every unpinned reference medium.
        options=("--fail-on", "medium"))
    options: ClassVar[Mapping[str, Option]] = {
        "require-hashes": options.boolean(
            False, "treat requirements pinned without --hash as medium, not low"),
    }
    fixes: ClassVar[bool] = True

    def fix(self, job: FixJob) -> FixOutcome:
        """Pins, hashes, commit SHAs and digests edited into place (secure-gate fix)."""
        import secure_gate.scanners.pins.fix as fixing

        return fixing.fix(job)

    def version(self) -> str | None:
        """The checks are secure-gate's own, so its version is theirs."""
        return __version__

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Workflows, action.yml, Dockerfiles, requirements and project files, by name."""
        return tuple(f for f in fileset.files if file_kind(f.path) is not None)

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Check every selected file; a file that cannot be read is an error naming it."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        groups: dict[str, list[RepoFile]] = {}
        for repo_file in job.files:
            groups.setdefault(file_kind(repo_file.path) or "", []).append(repo_file)
        vendored = [f for f in groups.get("dockerfile", [])
                    if job.classes(f.path) == filekinds.VENDORED]
        if vendored:
            # Scorecard's exception: a vendored project's Dockerfile is not this build's.
            groups["dockerfile"] = [f for f in groups["dockerfile"] if f not in vendored]
            outcome.notes.append(f"{len(vendored)} Dockerfile(s) in vendored code not checked "
                                 f"(third-party code, `paths: vendored:`), e.g. {vendored[0].path}")
        for kind, check in _CHECKS.items():
            for repo_file in groups.get(kind, []):
                try:
                    outcome.findings.extend(check(repo_file.path, _read(repo_file)))
                except ValueError as exc:
                    if job.parse_error_is_notice(repo_file.path):
                        outcome.notes.append(f"{repo_file.path}: {exc} (test data, not checked:"
                                             " a notice, not a failure)")
                    else:
                        outcome.errors.append(f"{repo_file.path}: {exc}")
        tree = _Tree(job.root, job.fileset.by_path())
        chosen = [f for f in groups.get("requirements", [])
                  if not requirements.compiled_input(f.path, tree.exists)]
        found = requirements.check(chosen, tree.available, _read,
                                   require_hashes=bool(job.options.get("require-hashes")),
                                   exists=tree.exists, lenient=job.parse_error_is_notice)
        outcome.findings.extend(found.findings)
        outcome.errors.extend(found.errors)
        outcome.notes.extend(found.notes)
        self._lockfiles(job, groups.get("project", []), tree, outcome)
        for kind in ("workflow", "action", "dockerfile", "requirements", "project"):
            outcome.stats[f"{kind}_files"] = len(groups.get(kind, []))
        return outcome

    @staticmethod
    def _lockfiles(job: ScanJob, projects: list[RepoFile], tree: _Tree,
                   outcome: ScanOutcome) -> None:
        if not projects:
            return
        if job.fileset.in_git and not (job.root / ".git").exists():
            # A copy of only some files (the staged ones): absent siblings prove nothing.
            outcome.notes.append("missing-lockfile not checked: this scan sees only some of "
                                 "the repository's files")
            return
        texts: list[tuple[str, str]] = []
        for repo_file in projects:
            try:
                texts.append((repo_file.path, _read(repo_file)))
            except ValueError as exc:
                outcome.notes.append(f"{repo_file.path} {exc}; missing-lockfile not checked")
        found = lockfile.check(texts, tree.listdir, tree.read)
        outcome.findings.extend(found.findings)
        outcome.notes.extend(found.notes)
