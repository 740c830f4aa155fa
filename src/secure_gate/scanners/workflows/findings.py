"""zizmor's audits mapped onto the gate's findings: severity, confidence, lines, fix hints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.scanners.workflows.audits import info
from secure_gate.scanners.workflows.zizmor_json import Audit, Span

NAME = "workflows"
SEVERITY = {"informational": Severity.INFO, "low": Severity.LOW, "medium": Severity.MEDIUM,
            "high": Severity.HIGH}
CONFIDENCE = {"low": Confidence.LOW, "medium": Confidence.MEDIUM, "high": Confidence.HIGH}
_MAX_RELATED = 3
_MAX_JOBS = 10


def _column(lines: Sequence[str], row: int, byte_column: int) -> int | None:
    """zizmor counts bytes; reports count characters (1-based)."""
    if row >= len(lines):
        return None
    encoded = lines[row].encode("utf-8")
    return len(encoded[:byte_column].decode("utf-8", "ignore")) + 1


def location(path: str, span: Span, lines: Sequence[str]) -> Location:
    """A span's place in the repository; an end at column 0 ends on the line before."""
    line = span.start_row + 1
    end_row = span.end_row - 1 if span.end_column == 0 and span.end_row > span.start_row \
        else span.end_row
    column = _column(lines, span.start_row, span.start_column)
    end_column = None
    if end_row == span.start_row and span.end_column > span.start_column:
        end_column = _column(lines, end_row, span.end_column)
        end_column = end_column - 1 if end_column else None
    return Location(path, line, end_row + 1, column, end_column)


def _message(audit: Audit) -> str:
    primary = audit.primary
    text = audit.desc + (f": {primary.annotation}" if primary.annotation else "")
    # "this step", "this job": context zizmor shows around the span, not a second place.
    related = [f"line {s.start_row + 1}: {s.annotation}" for s in audit.related
               if s.annotation and not s.annotation.startswith("this ")
               and s.start_row != primary.start_row][:_MAX_RELATED]
    return text + (f" ({'; '.join(related)})" if related else "")


def to_finding(audit: Audit, path: str, lines: Sequence[str]) -> Finding:
    """One gate finding for one zizmor finding on the repository file ``path``.

    The evidence (and so the fingerprint) is the audit id and the flagged YAML itself: it
    survives unrelated edits and zizmor's rewording of its annotations.
    """
    about = info(audit.ident, audit.desc)
    severity = about.severity or SEVERITY.get(audit.severity.lower(), Severity.MEDIUM)
    return Finding.create(
        scanner=NAME, rule=audit.ident, title=about.title,
        severity=severity,
        confidence=CONFIDENCE.get(audit.confidence.lower(), Confidence.LOW),
        location=location(path, audit.primary, lines),
        message=_message(audit),
        evidence=f"{audit.ident}\n{audit.primary.feature}",
        help_uri=audit.url or None, tags=("security", "github-actions"), fix=about.fix)


def fold_default_permissions(audits: Sequence[Audit]) -> tuple[list[Audit], int]:
    """One finding for a workflow without ``permissions:``, not one more per job.

    zizmor reports the workflow-level gap (an empty route) and then each job that inherits
    it with the same annotation; one top-level block fixes them all. The workflow's finding
    names the jobs. Returns the audits kept and how many were folded into their workflow's.
    """
    def key(audit: Audit) -> tuple[str, str]:
        return audit.primary.path, audit.primary.annotation

    top = {key(a) for a in audits if a.ident == "excessive-permissions" and not a.primary.route}
    jobs: dict[tuple[str, str], list[str]] = {}
    kept: list[Audit] = []
    for audit in audits:
        if audit.ident == "excessive-permissions" and audit.primary.route and key(audit) in top:
            jobs.setdefault(key(audit), []).append(audit.primary.route[-1][:100])
        else:
            kept.append(audit)
    out = []
    for audit in kept:
        names = jobs.get(key(audit)) if not audit.primary.route else None
        if names and audit.ident == "excessive-permissions":
            listed = ", ".join(f"`{n}`" for n in names[:_MAX_JOBS])
            more = f" and {len(names) - _MAX_JOBS} more" if len(names) > _MAX_JOBS else ""
            primary = replace(audit.primary, annotation=f"{audit.primary.annotation}; job(s) "
                              f"{listed}{more} inherit it")
            audit = replace(audit, spans=tuple(primary if s is audit.primary else s
                                               for s in audit.spans))
        out.append(audit)
    return out, len(audits) - len(kept)
