"""Terse terminal output for git hooks: one line per finding, the verdict, how to suppress."""

from __future__ import annotations

from secure_gate.model import Report, Status
from secure_gate.report.escape import terminal
from secure_gate.report.text import verdict_line


def render_hook(report: Report) -> str:
    """``path:line: severity rule message`` per finding, scanner errors, then the verdict."""
    lines: list[str] = []
    for f in report.findings:
        where = terminal(f.location.path) + (f":{f.location.line}" if f.location.line else "")
        mark = "" if f.blocking else " (not blocking)"
        lines.append(f"{where}: {f.severity.label} {terminal(f.rule)} {terminal(f.message)}"
                     f" [{terminal(f.scanner)}]{mark}")
    for s in report.scanners:
        if s.status is Status.ERROR:
            lines.append(f"secure-gate: {terminal(s.name)} could not complete: "
                         f"{terminal(s.message or '')}")
    for notice in report.notices:
        lines.append(f"secure-gate: notice: {terminal(notice)}")
    lines.append(verdict_line(report))
    if any(f.blocking for f in report.findings):
        scanners = sorted({f.scanner for f in report.findings if f.blocking})
        hints = {s.name: s.inline_suppression for s in report.scanners if s.inline_suppression}
        ways = [f"{hints[s]} ({s})" for s in scanners if s in hints]
        ways.append("a `suppressions:` entry with a reason in .secure-gate.yml (any scanner)")
        lines.append("False positive? Suppress it with " + ", or ".join(ways) + ".")
    return "\n".join(lines) + "\n"
