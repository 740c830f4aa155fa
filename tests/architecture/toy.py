"""A toy scanner, added the way every scanner is: one package-like module and one registry line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.scanners.base import HookSpec, ScanJob, Scanner, ScanOutcome

NAME = "toy"


class ToyScanner(Scanner):
    """Reports every line of a ``.toy`` file that says TOY."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "the toy scanner of the architecture tests"
    hook: ClassVar[HookSpec] = HookSpec("secure-gate-toy", "secure-gate: toy",
                                        "Toy lines in .toy files.", files=r"\.toy$")
    per_file: ClassVar[bool] = True
    information_uri: ClassVar[str | None] = "https://example.org/toy"
    inline_suppression: ClassVar[str | None] = "`# no-toy` on the line"

    def version(self) -> str | None:
        """The toy has a version of its own."""
        return "0.0.1"

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """``.toy`` files."""
        return tuple(f for f in fileset.files if f.suffix == ".toy")

    def scan(self, job: ScanJob) -> ScanOutcome:
        """One high finding per TOY line."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        for repo_file in job.files:
            for number, line in enumerate(repo_file.read_text().splitlines(), 1):
                if "TOY" in line:
                    outcome.findings.append(Finding.create(
                        scanner=NAME, rule="TOY001", title="toy line",
                        severity=Severity.HIGH, confidence=Confidence.HIGH,
                        location=Location(repo_file.path, number, number, None, None),
                        message="a toy line", evidence=line))
        return outcome
