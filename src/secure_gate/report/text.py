"""Human text for a terminal: verdict, blocking and new findings first, scanners, verdict."""

from __future__ import annotations

from dataclasses import dataclass

from secure_gate.model import Finding, Report, Severity, Status
from secure_gate.report import policy_changes
from secure_gate.report.escape import terminal
from secure_gate.report.grouping import Group, folder_of
from secure_gate.report.sections import (
    LOCATIONS_SHOWN,
    hidden_line,
    scanner_counts,
    sections,
    verdict_marks,
)

_COLOURS = {
    Severity.CRITICAL: "\x1b[1;31m", Severity.HIGH: "\x1b[31m", Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m", Severity.INFO: "\x1b[2m",
}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_RED = "\x1b[1;31m"


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How to draw: colour (decided by the caller from the terminal and NO_COLOR)."""

    colour: bool = False
    show: str | None = None  # blocking | new | all (None: the report's own, config `show:`)


def _paint(text: str, code: str, opts: TextOptions) -> str:
    return f"{code}{text}{_RESET}" if opts.colour else text


def location(finding: Finding) -> str:
    """``path:line:col`` with the path escaped for a terminal."""
    loc = finding.location
    out = terminal(loc.path)
    if loc.line:
        out += f":{loc.line}"
        if loc.column:
            out += f":{loc.column}"
    return out


def _marks(finding: Finding) -> str:
    marks = verdict_marks(finding, terminal)
    return f" [{'; '.join(marks)}]" if marks else ""


def _single(f: Finding, in_mixed: bool) -> list[str]:
    sign = "✗" if f.blocking else "·"
    level = f"{f.severity.label} " if in_mixed else ""
    lines = [f"  {sign} {level}{location(f)}  {terminal(f.scanner)} {terminal(f.rule)}"
             f"  {terminal(f.message)} (confidence {f.confidence.label}){_marks(f)}"]
    if f.fix:
        lines.append(f"      fix: {terminal(f.fix)}")
    return lines


def _group(group: Group, in_mixed: bool) -> list[str]:
    if len(group.findings) == 1:
        return _single(group.first, in_mixed)
    f = group.first
    sign = "✗" if f.blocking else "·"
    level = f"{f.severity.label} " if in_mixed else ""
    lines = [f"  {sign} {level}{terminal(f.scanner)} {terminal(f.rule)} x{len(group.findings)}"
             f" in {terminal(folder_of(f))}/  {terminal(f.message)}"
             f" (confidence {f.confidence.label})"]
    # A terminal has room: every place of a blocking group is listed (each one must be fixed).
    shown = len(group.findings) if f.blocking else LOCATIONS_SHOWN
    lines += [f"      {location(m)}{_marks(m)}" for m in group.findings[:shown]]
    if len(group.findings) > shown:
        lines.append(f"      ... and {len(group.findings) - shown} more")
    if f.fix:
        lines.append(f"      fix: {terminal(f.fix)}")
    return lines


def render_text(report: Report, opts: TextOptions | None = None) -> str:
    """The report as terminal text: the verdict and counts first, blocking and new findings
    before the rest (repeated ones grouped by rule and folder), and the verdict again last."""
    opts = opts or TextOptions()
    show = opts.show or report.show
    listed, hidden = sections(report, show)
    blocking = sum(1 for f in report.findings if f.blocking)
    lines = [verdict_line(report, opts),
             f"Findings: {len(report.findings)} ({blocking} blocking): {scanner_counts(report)}"]
    if (line := hidden_line(report, show, hidden)) is not None:
        lines.append(terminal(line))
    lines.append("")
    for section in listed:
        header = f"{section.title.upper()} ({section.count})"
        colour = _COLOURS[section.severity] if section.severity is not None else _RED
        lines.append(_paint(header, colour, opts))
        for group in section.groups:
            lines += _group(group, section.severity is None)
        lines.append("")
    if not report.findings:
        lines.append("No findings.")
        lines.append("")
    lines.append(_paint("Scanners", _BOLD, opts))
    for s in report.scanners:
        detail = f"{s.duration_s:.2f}s, {s.files_scanned} file(s), {len(s.findings)} finding(s)"
        if s.status is Status.OK:
            status = "ok"
        else:
            status = f"{s.status.value}: {terminal(s.message or '')}"
            if s.status is Status.SKIPPED:
                detail = ""
        version = f" {terminal(s.version)}" if s.version else ""
        lines.append(f"  {terminal(s.name)}{version}: {status}" + (f" ({detail})" if detail
                                                                     else ""))
        for note in s.notes:
            lines.append(f"    - {terminal(note)}")
    files = report.files
    skipped = files.not_scanned()
    line = f"Files: {files.scanned} scanned of {files.total}"
    if skipped:
        line += " (not scanned: " + ", ".join(f"{c} {n}" for n, c in skipped) + ")"
    lines.append(line)
    for path, why in files.samples:
        lines.append(f"    - not scanned ({why}): {terminal(path)}")
    for notice in report.notices:
        lines.append(f"Notice: {terminal(notice)}")
    if report.nothing_scanned:
        lines += ["", _paint(f"NOTHING SCANNED: {report.nothing_scanned_line()}", _RED, opts)]
    lines += _policy(report)
    lines.append("")
    lines.append(verdict_line(report, opts))
    return "\n".join(lines) + "\n"


def _policy(report: Report) -> list[str]:
    """The change's own policy edits, relaxations first, each with where it is."""
    title = policy_changes.headline(report)
    if title is None:
        return []
    lines = ["", f"Policy changes: {terminal(title)}"]
    source = policy_changes.source_line(report)
    if source:
        lines.append(f"  ({terminal(source)})")
    ordered = sorted(report.policy_changes, key=lambda c: c.effect != "relaxes")
    for change in ordered:
        at = policy_changes.where(change)
        lines.append(f"  - {change.effect}: {terminal(change.describe())}"
                     + (f" ({terminal(at)})" if at else ""))
    return lines


def verdict_line(report: Report, opts: TextOptions | None = None) -> str:
    """``PASSED``/``FAILED`` with why and the threshold, in one line."""
    opts = opts or TextOptions()
    threshold = report.policy.fail_on_label
    total = len(report.findings)
    if report.passed:
        word = _paint("PASSED", _GREEN, opts)
        why = (f"no blocking finding at or above {threshold} ({total} finding(s) reported)")
        if report.nothing_scanned:
            why = "NOTHING WAS SCANNED (0 files), so " + why
        if report.reasons:
            why += "; " + "; ".join(terminal(r) for r in report.reasons)
    else:
        word = _paint("FAILED", _RED, opts)
        why = "; ".join(terminal(r) for r in report.reasons)
    return f"secure-gate {word}: {why} [exit {report.exit_code}]"
