"""A test-only scanner that can fix, registered like the architecture tests' toy.

It reports every line of a ``.toy`` file that holds ``TOY`` and fixes it by writing ``FIXED``
instead; a line holding ``TOY+`` becomes two lines (a multi-line suggestion), a line holding
``TOY-NET`` asks "PyPI" and fails as an unreachable service does. The summary quotes the
line, so hostile lines reach every renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from secure_gate.edits import Edit, FixOutcome, lines_of
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.net.http import ServiceError
from secure_gate.scanners.base import FixJob, HookSpec, ScanJob, Scanner, ScanOutcome

NAME = "toyfix"


class ToyFixScanner(Scanner):
    """Reports TOY lines in .toy files, and fixes them."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "a toy scanner with a fixer (tests only)"
    hook: ClassVar[HookSpec] = HookSpec("secure-gate-toyfix", "secure-gate: toyfix",
                                        "Toy lines in .toy files.", files=r"\.toy$")
    per_file: ClassVar[bool] = True
    fixes: ClassVar[bool] = True

    def version(self) -> str | None:
        """The toy's own version."""
        return "0.0.1"

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """``.toy`` files."""
        return tuple(f for f in fileset.files if f.suffix == ".toy")

    def scan(self, job: ScanJob) -> ScanOutcome:
        """One high finding per TOY line."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        for repo_file in job.files:
            for number, line in enumerate(lines_of(repo_file.read_text()), 1):
                if "TOY" in line:
                    outcome.findings.append(Finding.create(
                        scanner=NAME, rule="TOY001", title="toy line",
                        severity=Severity.HIGH, confidence=Confidence.HIGH,
                        location=Location(repo_file.path, number, number, None, None),
                        message="a toy line", evidence=line))
        return outcome

    def fix(self, job: FixJob) -> FixOutcome:
        """``TOY`` becomes ``FIXED``; ``TOY+`` becomes two lines; ``TOY-NET`` fails."""
        out = FixOutcome()
        for finding in job.findings:
            path, number = finding.location.path, finding.location.line
            assert number is not None
            line = lines_of(job.read(path))[number - 1]
            if "TOY-NET" in line:
                job.services.used.add("PyPI")
                raise ServiceError("PyPI", "https://pypi.org/simple/toy/",
                                   "unreachable: connection refused")
            if "TOY+" in line:
                new: tuple[str, ...] = (line.replace("TOY+", "FIXED"), "  and one more line")
            else:
                new = (line.replace("TOY", "FIXED"),)
            out.edits.append(Edit(path, number, number, (line,), new, f"{NAME}/TOY001",
                                  f"replace TOY in: {line}"))
        return out
