"""What the text and markdown bodies list, in which sections: blocking, new, then the rest."""

# A reviewer reads the blocking findings first, then (in diff mode) what this change adds,
# then everything else by severity. Repeated findings (one rule in one folder) are one
# group. `show` (config `show:`, `--show`) limits the sections: `blocking`, `new` (blocking
# and new; without a diff base every finding is new), or `all`.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Severity
from secure_gate.report.grouping import Group, by_rule_and_folder

SHOW_CHOICES = ("blocking", "new", "all")
LOCATIONS_SHOWN = 3  # a group lists its first few places, then how many more


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the report body and the groups under it (``severity`` None: mixed)."""

    title: str
    severity: Severity | None
    groups: tuple[Group, ...]

    @property
    def count(self) -> int:
        """How many findings the section holds."""
        return sum(len(g.findings) for g in self.groups)


def _is_new(finding: Finding) -> bool:
    return finding.new is not False


def sections(report: Report, show: str) -> tuple[list[Section], int]:
    """The sections to render, and how many findings ``show`` leaves out."""
    if show not in SHOW_CHOICES:
        raise ValueError(f"show must be one of {', '.join(SHOW_CHOICES)}, got {show!r}")
    blocking = [f for f in report.findings if f.blocking]
    diff_mode = any(f.new is not None for f in report.findings)
    new = [f for f in report.findings if not f.blocking and f.new is True] if diff_mode else []
    rest = [f for f in report.findings if not f.blocking and f not in new]
    out: list[Section] = []
    if blocking:
        out.append(Section("Blocking", None, tuple(by_rule_and_folder(blocking))))
    if show != "blocking" and new:
        out.append(Section("New, not blocking", None, tuple(by_rule_and_folder(new))))
    if show == "all" or (show == "new" and not diff_mode):
        for severity in sorted(Severity, reverse=True):
            group = [f for f in rest if f.severity is severity]
            if group:
                out.append(Section(severity.label.capitalize(), severity,
                                   tuple(by_rule_and_folder(group))))
    hidden = len(report.findings) - sum(s.count for s in out)
    return out, hidden


def hidden_line(report: Report, show: str, hidden: int) -> str | None:
    """``12 finding(s) not listed (--show blocking); --show all lists them``, or None."""
    if not hidden:
        return None
    return (f"{hidden} finding(s) not listed here (show: {show}); `--show all` or `show: all` "
            "lists every finding")


def scanner_counts(report: Report) -> str:
    """``bandit 12 (3 blocking), pip-audit 0, ...``: every scanner that ran, in order."""
    parts = []
    for result in report.scanners:
        found = [f for f in report.findings if f.scanner == result.name]
        blocking = sum(1 for f in found if f.blocking)
        state = "" if result.status.value == "ok" else f" {result.status.value}"
        if result.status.value == "skipped":
            continue
        parts.append(f"{result.name}{state} {len(found)}"
                     + (f" ({blocking} blocking)" if blocking else ""))
    return ", ".join(parts) if parts else "no scanner ran"


def verdict_marks(finding: Finding, escape: Callable[[str], str]) -> list[str]:
    """Why a finding does or does not block, each part escaped for the output format."""
    marks = []
    if finding.suppression is not None:
        marks.append(f"suppressed by {escape(finding.suppression.kind)}: "
                     f"{escape(finding.suppression.reason)}")
    if finding.new is not None:
        word = "new" if finding.new else "not new"
        marks.append(f"{word}: {escape(finding.new_reason)}" if finding.new_reason else word)
    if finding.not_blocking:
        marks.append(f"not blocking: {escape(finding.not_blocking)}")
    elif finding.path_class != "product":
        marks.append(f"in {escape(finding.path_class)}")
    if (not finding.blocking and finding.suppression is None and finding.new is not False
            and not finding.not_blocking):
        marks.append("below threshold")
    return marks
