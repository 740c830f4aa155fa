"""A toy scanner with a fixer, registered by the frame's tests the way every scanner is.

In ``.toy`` files: ``old NAME`` is fixed to ``pin NAME`` (which is itself a finding, fixed in
the next round), ``pin NAME`` to ``NAME==1``, ``never NAME`` cannot be fixed, and ``escape``
makes the fixer propose an edit outside the repository (a hostile fixer's worst).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from secure_gate.edits import Edit, FixOutcome, Unfixed, lines_of
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.scanners.base import FixJob, HookSpec, ScanJob, Scanner, ScanOutcome

NAME = "toyfix"


class ToyFixScanner(Scanner):
    """Reports ``old``, ``pin``, ``never`` and ``escape`` lines of ``.toy`` files."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "the toy fixer of the fix frame's tests"
    hook: ClassVar[HookSpec] = HookSpec("secure-gate-toyfix", "secure-gate: toyfix",
                                        "Toy lines.", files=r"\.toy$")
    per_file: ClassVar[bool] = True
    fixes: ClassVar[bool] = True

    def version(self) -> str | None:
        """A version of its own."""
        return "0.0.1"

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """``.toy`` files."""
        return tuple(f for f in fileset.files if f.suffix == ".toy")

    def scan(self, job: ScanJob) -> ScanOutcome:
        """One finding per line that starts with a toy word."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        for repo_file in job.files:
            for number, line in enumerate(lines_of(repo_file.read_text()), 1):
                word = line.split(" ", 1)[0]
                if word in ("old", "pin", "never", "escape"):
                    outcome.findings.append(Finding.create(
                        scanner=NAME, rule=word, title=f"toy {word}",
                        severity=Severity.HIGH, confidence=Confidence.HIGH,
                        location=Location(repo_file.path, number, number, None, None),
                        message=f"a toy {word} line", evidence=line))
        return outcome

    def fix(self, job: FixJob) -> FixOutcome:
        """``old`` → ``pin``, ``pin`` → ``==1``; ``never`` is unfixed; ``escape`` escapes."""
        out = FixOutcome()
        for finding in job.findings:
            path, line = finding.location.path, finding.location.line or 1
            text = lines_of(job.read(path))[line - 1]
            rule = f"{NAME}/{finding.rule}"
            name = text.split(" ", 1)[-1]
            if finding.rule == "old":
                out.edits.append(Edit(path, line, line, (text,), (f"pin {name}",), rule,
                                      f"{name}: raised"))
            elif finding.rule == "pin":
                out.edits.append(Edit(path, line, line, (text,), (f"{name}==1",), rule,
                                      f"{name}: pinned"))
            elif finding.rule == "escape":
                out.edits.append(Edit("../outside.toy", 1, 1, ("x",), ("y",), rule, "escape"))
            else:
                out.unfixed.append(Unfixed(path, line, rule, f"{name} cannot be fixed"))
        return out
