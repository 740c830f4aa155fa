"""A toy scanner with a fixer, registered by the fix tests the way every scanner is.

In ``.toy`` files:
- ``old NAME`` is fixed to ``pin NAME`` (itself a finding, fixed in the next round), and
  ``pin NAME`` to ``NAME==1``; ``never NAME`` cannot be fixed; ``escape`` makes the fixer
  propose an edit outside the repository (a hostile fixer's worst); ``grow NAME`` becomes
  ``grow NAME+``, a finding again (a fix that never settles); ``mute NAME`` is reported
  and its fixer says nothing of it (neither an edit nor a reason);
- any other line holding ``TOY`` is fixed by writing ``FIXED`` instead; ``TOY+`` becomes two
  lines (a multi-line suggestion); ``TOY-NET`` asks "PyPI" and fails as an unreachable
  service does. The summary quotes the line, so hostile lines reach every renderer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest

from secure_gate import scanners
from secure_gate.edits import Edit, FixOutcome, Unfixed, lines_of
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.net.http import ServiceError
from secure_gate.scanners.base import FixJob, HookSpec, ScanJob, Scanner, ScanOutcome

NAME = "toyfix"
_WORDS = ("old", "pin", "never", "escape", "grow", "mute")


def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Register the toy for one test (the one registry line a new scanner adds)."""
    monkeypatch.setitem(scanners.SCANNERS, NAME, "tests.fix.toyfix:ToyFixScanner")
    scanners.scanner_class.cache_clear()
    yield
    scanners.scanner_class.cache_clear()


def _rule(line: str) -> str | None:
    word = line.split(" ", 1)[0]
    if word in _WORDS:
        return word
    return "TOY001" if "TOY" in line else None


class ToyFixScanner(Scanner):
    """Reports toy lines of ``.toy`` files, and fixes them."""

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
        """One high finding per toy line."""
        outcome = ScanOutcome(files_scanned=len(job.files))
        for repo_file in job.files:
            for number, line in enumerate(lines_of(repo_file.read_text()), 1):
                rule = _rule(line)
                if rule is not None:
                    outcome.findings.append(Finding.create(
                        scanner=NAME, rule=rule, title=f"toy {rule}",
                        severity=Severity.HIGH, confidence=Confidence.HIGH,
                        location=Location(repo_file.path, number, number, None, None),
                        message=f"a toy {rule} line", evidence=line))
        return outcome

    def fix(self, job: FixJob) -> FixOutcome:
        """The edits the module's description promises."""
        out = FixOutcome()
        for finding in job.findings:
            path, number = finding.location.path, finding.location.line or 1
            line = lines_of(job.read(path))[number - 1]
            rule = f"{NAME}/{finding.rule}"
            name = line.split(" ", 1)[-1]
            if finding.rule == "old":
                out.edits.append(Edit(path, number, number, (line,), (f"pin {name}",), rule,
                                      f"{name}: raised"))
            elif finding.rule == "pin":
                out.edits.append(Edit(path, number, number, (line,), (f"{name}==1",), rule,
                                      f"{name}: pinned"))
            elif finding.rule == "mute":
                continue
            elif finding.rule == "grow":
                out.edits.append(Edit(path, number, number, (line,), (f"{line}+",), rule,
                                      f"{name}: grown"))
            elif finding.rule == "escape":
                out.edits.append(Edit("../outside.toy", 1, 1, ("x",), ("y",), rule, "escape"))
            elif finding.rule == "never":
                out.unfixed.append(Unfixed(path, number, rule, f"{name} cannot be fixed"))
            elif "TOY-NET" in line:
                job.services.used.add("PyPI")
                raise ServiceError("PyPI", "https://pypi.org/simple/toy/",
                                   "unreachable: connection refused")
            else:
                new = ((line.replace("TOY+", "FIXED"), "  and one more line") if "TOY+" in line
                       else (line.replace("TOY", "FIXED"),))
                out.edits.append(Edit(path, number, number, (line,), new, rule,
                                      f"replace TOY in: {line}"))
        return out
