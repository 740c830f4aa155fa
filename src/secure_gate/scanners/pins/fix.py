"""The pins scanner's fixer: each rule's findings go to the module that edits them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import secure_gate.scanners.pins.fix_actions as fix_actions
import secure_gate.scanners.pins.fix_images as fix_images
import secure_gate.scanners.pins.fix_requirements as fix_requirements
import secure_gate.scanners.pins.rules as rules
from secure_gate.edits import FixOutcome, Unfixed
from secure_gate.model import Finding
from secure_gate.net.http import ServiceError
from secure_gate.scanners.base import FixJob, unanswered

Fixer = Callable[[FixJob, Sequence[Finding]], FixOutcome]

# Every pins rule, and who fixes its findings.
FIXERS: dict[str, Fixer] = {
    rules.UNPINNED_REQUIREMENT: fix_requirements.fix,
    rules.UNHASHED_REQUIREMENT: fix_requirements.fix,
    rules.UNPINNED_PIP_INSTALL: fix_requirements.fix,
    rules.MISSING_LOCKFILE: fix_requirements.fix,
    rules.UNPINNED_ACTION: fix_actions.fix,
    rules.UNPINNED_IMAGE: fix_images.fix,
}


def fix(job: FixJob) -> FixOutcome:
    """Edits for the pins findings of ``job``, one fixer per kind of reference."""
    by_fixer: dict[Fixer, list[Finding]] = {}
    out = FixOutcome()
    for finding in job.findings:
        fixer = FIXERS.get(finding.rule)
        if fixer is None:
            out.unfixed.append(Unfixed(finding.location.path, finding.location.line,
                                       f"pins/{finding.rule}", "no fixer knows this rule"))
            continue
        by_fixer.setdefault(fixer, []).append(finding)
    for fixer, findings in by_fixer.items():
        out.add(_unless_down(fixer, job, findings))
    # What is pinned already is checked too: a `# v4` comment that is not v4's commit.
    out.add(fix_actions.verify(job))
    return out


def _unless_down(fixer: Fixer, job: FixJob, findings: Sequence[Finding]) -> FixOutcome:
    """One kind's edits; when a service it needs cannot answer, its findings are unfixed and
    the error is kept (exit 3), while the other kinds go on: a rate-limited GitHub API
    does not keep requirements from their hashes."""
    try:
        return fixer(job, findings)
    except ServiceError as exc:
        return unanswered(exc, findings)
