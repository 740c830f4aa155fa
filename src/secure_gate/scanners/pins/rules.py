"""The pins rules (ids, titles, default severities) and the one way their findings are built."""

from __future__ import annotations

from dataclasses import dataclass

from secure_gate.model import Confidence, Finding, Location, Severity

SCANNER = "pins"
UNPINNED_REQUIREMENT = "unpinned-requirement"
UNHASHED_REQUIREMENT = "unhashed-requirement"
UNPINNED_ACTION = "unpinned-action"
UNPINNED_IMAGE = "unpinned-image"
UNPINNED_PIP_INSTALL = "unpinned-pip-install"
MISSING_LOCKFILE = "missing-lockfile"

_README = "https://github.com/secure-gate/secure-gate#pins"
_SCORECARD = "https://github.com/ossf/scorecard/blob/main/docs/checks.md#pinned-dependencies"
_PIP_SECURE = "https://pip.pypa.io/en/stable/topics/secure-installs/"


@dataclass(frozen=True, slots=True)
class Rule:
    """A pins rule: its title, default severity and where to read more."""

    id: str
    title: str
    severity: Severity
    help_uri: str


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule(UNPINNED_REQUIREMENT, "Requirement not pinned with ==", Severity.MEDIUM, _PIP_SECURE),
    Rule(UNHASHED_REQUIREMENT, "Pinned requirements without --hash", Severity.LOW, _PIP_SECURE),
    Rule(UNPINNED_ACTION, "Action not pinned to a commit SHA", Severity.MEDIUM, _SCORECARD),
    Rule(UNPINNED_IMAGE, "Container image not pinned by digest", Severity.MEDIUM, _SCORECARD),
    Rule(UNPINNED_PIP_INSTALL, "pip install of unpinned packages", Severity.MEDIUM,
         _PIP_SECURE),
    Rule(MISSING_LOCKFILE, "Application without a lock file", Severity.INFO, _README),
)}


def finding(
    rule: str,
    path: str,
    line: int | None,
    *,
    evidence: str,
    message: str,
    fix: str | None = None,
    confidence: Confidence = Confidence.HIGH,
    severity: Severity | None = None,
    end_line: int | None = None,
    column: int | None = None,
    end_column: int | None = None,
) -> Finding:
    """A pins finding; ``evidence`` is the offending reference, so fingerprints survive moves."""
    spec = RULES[rule]
    return Finding.create(
        scanner=SCANNER,
        rule=rule,
        title=spec.title,
        severity=spec.severity if severity is None else severity,
        confidence=confidence,
        location=Location(path, line, end_line if end_line is not None else line, column,
                          end_column),
        message=message,
        evidence=f"{rule}\n{evidence}",
        help_uri=spec.help_uri,
        tags=("security", "supply-chain", "pinning"),
        fix=fix,
    )
