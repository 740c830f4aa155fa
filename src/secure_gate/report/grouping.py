"""Findings that belong together: every advisory of one pin, every finding of one rule."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from secure_gate.model import Finding, Severity


@dataclass(frozen=True, slots=True)
class Group:
    """Findings shown as one entry: one rule of one scanner, or every advisory of one pin."""

    findings: tuple[Finding, ...]

    @property
    def first(self) -> Finding:
        """The group's first finding in report order (the worst)."""
        return self.findings[0]

    @property
    def severity(self) -> Severity:
        """The worst severity in the group."""
        return max(f.severity for f in self.findings)


def is_pin(finding: Finding) -> bool:
    """A known vulnerability of a pinned dependency (folded per manifest line)."""
    return ({"dependency", "vulnerability"} <= set(finding.tags)
            and finding.location.line is not None)


def group(findings: Sequence[Finding]) -> list[Group]:
    """Advisories folded per manifest line, other findings per (scanner, rule); report order."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for f in findings:
        key = (("pin", f.scanner, f.location.path, str(f.location.line)) if is_pin(f)
               else ("rule", f.scanner, f.rule))
        groups.setdefault(key, []).append(f)
    return [Group(tuple(members)) for members in groups.values()]


def folder_of(finding: Finding) -> str:
    """The folder of a finding's file (``.`` at the root)."""
    return posixpath.dirname(finding.location.path) or "."


def by_rule_and_folder(findings: Sequence[Finding]) -> list[Group]:
    """Findings of one rule in one folder (same severity and verdict) as one group, in the
    order of their first member: what the text and markdown reports list."""
    groups: dict[tuple[object, ...], list[Finding]] = {}
    for f in findings:
        key = (f.scanner, f.rule, f.severity, f.blocking, f.new, folder_of(f))
        groups.setdefault(key, []).append(f)
    return [Group(tuple(members)) for members in groups.values()]


def fixed_by(findings: Sequence[Finding]) -> tuple[str | None, int]:
    """The lowest version that fixes every advisory that has a fix, and how many have none."""
    best: tuple[Version, str] | None = None
    unfixed = 0
    for f in findings:
        try:
            version = Version(f.fixed_in) if f.fixed_in else None
        except InvalidVersion:
            version = None
        if version is None or f.fixed_in is None:
            unfixed += 1
        elif best is None or version > best[0]:
            best = (version, f.fixed_in)
    return (best[1] if best else None), unfixed
