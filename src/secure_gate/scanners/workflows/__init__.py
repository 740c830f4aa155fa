"""workflows: attacks on CI itself (pwn requests, expression injection, ...), zizmor as engine."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from secure_gate import filekinds, options
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Suppression
from secure_gate.options import Option
from secure_gate.scanners.base import HookSpec, ScanJob, Scanner, ScanOutcome, package_version
from secure_gate.scanners.workflows import findings, zizmor_run
from secure_gate.scanners.workflows.zizmor_json import Audit
from secure_gate.scanners.workflows.zizmor_run import Request, Staged

__all__ = ["WorkflowsScanner", "file_kind"]

KINDS = {filekinds.WORKFLOW: "workflow", filekinds.ACTION: "action",
         filekinds.DEPENDABOT: "dependabot"}


def file_kind(path: str) -> str | None:
    """What zizmor audits a file as, by the one file classifier (None: not at all)."""
    return KINDS.get(filekinds.kind(path) or "")


def _unreadable(job: ScanJob, outcome: ScanOutcome, path: str, message: str) -> None:
    """A file that cannot be audited fails closed, unless it is test data (a notice)."""
    if job.parse_error_is_notice(path):
        outcome.notes.append(f"{message} (test data, not checked: a notice, not a failure)")
    else:
        outcome.errors.append(message)
        outcome.failed_paths.add(path)


def _failed(job: ScanJob, outcome: ScanOutcome, path: str, exc: ScannerError) -> None:
    # Only zizmor's refusal of the file itself can be test data's; any other failure is ours.
    if "failed to load" in str(exc):
        _unreadable(job, outcome, path, f"{path}: {exc}")
    else:
        outcome.errors.append(f"{path}: {exc}")
        outcome.failed_paths.add(path)


class WorkflowsScanner(Scanner):
    """zizmor's audits over workflows, composite actions and Dependabot configs."""

    name: ClassVar[str] = findings.NAME
    description: ClassVar[str] = "GitHub workflows and actions: zizmor's security audits"
    default_timeout: ClassVar[float] = 300.0
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-workflows", "secure-gate: workflows",
        "Attacks on CI in GitHub workflows, actions and Dependabot configs (zizmor's audits).",
        files=filekinds.hook_regex([filekinds.WORKFLOW, filekinds.ACTION, filekinds.DEPENDABOT]))
    information_uri: ClassVar[str | None] = "https://docs.zizmor.sh/"
    inline_suppression: ClassVar[str | None] = "`# zizmor: ignore[<audit>]` on the line"
    options: ClassVar[Mapping[str, Option]] = {
        "persona": options.choice(
            "regular", "zizmor's persona: regular (few false positives), pedantic (code "
            "smells too) or auditor (everything)", zizmor_run.PERSONAS),
    }
    # The same problem found by another scanner on the same line is reported once, as that
    # scanner's finding (its fingerprint stays), with the richer message (see duplicates.py).
    same_as: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]] = {
        "unpinned-uses": (("pins", "unpinned-action"), ("pins", "unpinned-image")),
        "unpinned-images": (("pins", "unpinned-image"),),
        "excessive-permissions": (("practices", "workflow-permissions"),),
    }

    def version(self) -> str | None:
        """zizmor's installed version."""
        return package_version("zizmor")

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Workflows, ``action.yml``/``action.yaml`` anywhere, and Dependabot configs."""
        return tuple(f for f in fileset.files if file_kind(f.path) is not None)

    def may_read(self, path: str) -> bool:
        """Only workflows, actions and Dependabot configs (a hook starts nothing otherwise)."""
        return file_kind(path) is not None

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Stage the files, run zizmor once (file by file when that fails), map its findings."""
        exe = zizmor_run.binary()
        if exe is None or self.version() is None:
            raise ScannerError("zizmor is not installed in secure-gate's environment")
        outcome = ScanOutcome(files_scanned=len(job.files))
        staged: list[Staged] = []
        for index, repo_file in enumerate(job.files):
            kind = file_kind(repo_file.path) or "workflow"
            outcome.stats[f"{kind}_files"] = outcome.stats.get(f"{kind}_files", 0) + 1
            try:
                text = repo_file.read_text()
            except ValueError as exc:
                _unreadable(job, outcome, repo_file.path, f"workflows: {repo_file.path} {exc}")
                continue
            suffix = ".yaml" if repo_file.path.endswith(".yaml") else ".yml"
            staged.append(zizmor_run.stage(index, kind, repo_file.path, text, suffix))
        persona = str(job.options.get("persona", "regular"))
        audits = self._audits(exe, staged, persona, job, outcome)
        kept, folded = findings.fold_default_permissions(audits)
        outcome.stats["audits"] = len(audits)
        if folded:
            outcome.stats["permissions_folded"] = folded
        named = zizmor_run.by_path(staged)
        for audit in kept:
            source = named.get(audit.primary.path)
            if source is None:
                outcome.errors.append(f"zizmor reported a file it was not given: "
                                      f"{audit.primary.path!r}")
                continue
            finding = findings.to_finding(audit, source.path, source.text.splitlines())
            if audit.ignored:
                # Like `# nosec`: the finding stays visible, suppressed inline, and one the
                # judged change adds is listed (new-inline-suppressions decides).
                outcome.stats["zizmor_ignore"] = outcome.stats.get("zizmor_ignore", 0) + 1
                finding = finding.replace(suppression=Suppression(
                    "inline", "`# zizmor: ignore[...]` on the line (zizmor would not report it)"))
            outcome.findings.append(finding)
        return outcome

    @staticmethod
    def _audits(exe: Path, staged: list[Staged], persona: str, job: ScanJob,
                outcome: ScanOutcome) -> list[Audit]:
        if not staged:
            return []
        try:
            return zizmor_run.run(Request(tuple(staged), persona, job.remaining()), exe)
        except ScannerError as exc:
            if len(staged) == 1:
                _failed(job, outcome, staged[0].path, exc)
                return []
        # One bad file fails zizmor's whole run: audit each file alone to name it and keep
        # what the others say.
        audits: list[Audit] = []
        for one in staged:
            try:
                audits.extend(zizmor_run.run(Request((one,), persona, job.remaining()), exe))
            except ScannerError as exc:
                _failed(job, outcome, one.path, exc)
        return audits

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """Inline ignores are counted so that the report shows them, like `# nosec`."""
        notes = []
        if ignored := stats.get("zizmor_ignore", 0):
            notes.append(f"{ignored} result(s) silenced by `# zizmor: ignore[...]` comments")
        if folded := stats.get("permissions_folded", 0):
            notes.append(f"{folded} per-job permissions finding(s) reported once, as their "
                         "workflow's missing `permissions:` block")
        return notes
