"""The top of the markdown summary: verdict, counts by scanner and severity, scanner status."""

from __future__ import annotations

from secure_gate.model import Report, ScannerResult, Severity, Status
from secure_gate.report import policy_changes
from secure_gate.report.escape import markdown, markdown_code
from secure_gate.report.rendered import plural

_STATUS = {Status.OK: "✅ ok", Status.ERROR: "❌ error", Status.SKIPPED: "⏭️ skipped"}
_SEVERITIES = sorted(Severity, reverse=True)


def head(report: Report) -> str:
    """Everything above the findings list; always shown whole (findings are cut first)."""
    policy = policy_section(report)
    parts = [_verdict(report), *([policy] if policy else []), _counts(report),
             _scanners(report), _files(report)]
    if report.notices:
        parts.append("### Notices\n\n" + "".join(f"- {markdown(n, limit=1000)}\n"
                                                 for n in report.notices))
    return "\n".join(parts) + "\n"


def _verdict(report: Report) -> str:
    threshold = report.policy.fail_on_label
    total = plural(len(report.findings), "finding")
    reasons = "; ".join(markdown(r, limit=1000) for r in report.reasons)
    empty = markdown(report.nothing_scanned_line().capitalize(), limit=1000)
    if report.passed and report.nothing_scanned:
        lines = ["## ⚠️ secure-gate scanned nothing", "", f"**{empty}.** "
                 f"No blocking finding at or above **{threshold}** ({total} reported) means "
                 "nothing here." + (f" {reasons}." if reasons else "")]
    elif report.passed:
        lines = ["## ✅ secure-gate passed", "",
                 f"No blocking finding at or above **{threshold}** ({total} reported)."
                 + (f" {reasons}." if reasons else "")]
    else:
        lines = ["## ❌ secure-gate failed", "", f"**Why:** {reasons or 'see below'}."]
        if report.nothing_scanned:
            lines += ["", f"**{empty}.**"]
    confidence = report.policy.min_confidence.label
    lines += ["", f"Threshold: the gate fails on blocking findings at or above **{threshold}**; "
              f"findings below **{confidence}** confidence never block. "
              f"Exit code {report.exit_code}."]
    if report.diff_base:
        lines.append(f"Compared with {markdown_code(report.diff_base, limit=100)}: findings "
                     "already present there are not new and do not block.")
    return "\n".join(lines) + "\n"


def policy_section(report: Report) -> str | None:
    """The change's own policy edits: shown whole, next to the verdict they did not make."""
    title = policy_changes.headline(report)
    if title is None:
        return None
    lines = [f"### ⚠️ Policy changes\n\n**{markdown(title, limit=2000)}**"]
    source = policy_changes.source_line(report)
    if source:
        lines[0] += f" ({markdown(source, limit=200)})"
    lines.append("")
    for change in sorted(report.policy_changes, key=lambda c: c.effect != "relaxes"):
        at = policy_changes.where(change)
        lines.append(f"- {change.effect}: {markdown(change.describe(), limit=500)}"
                     + (f" ({markdown_code(at, limit=300)})" if at else ""))
    return "\n".join(lines) + "\n"


def _counts(report: Report) -> str:
    header = "| Scanner | " + " | ".join(s.label.capitalize() for s in _SEVERITIES)
    rows = [header + " | Blocking | Suppressed |",
            "| :-- |" + " --: |" * (len(_SEVERITIES) + 2)]
    names = [s.name for s in report.scanners]
    names += sorted({f.scanner for f in report.findings} - set(names))
    for name in [*names, None]:
        mine = [f for f in report.findings if name is None or f.scanner == name]
        cells = [str(sum(1 for f in mine if f.severity is s)) for s in _SEVERITIES]
        cells += [str(sum(1 for f in mine if f.blocking)),
                  str(sum(1 for f in mine if f.suppressed))]
        label = "**Total**" if name is None else markdown(name, limit=60)
        if name is None:
            cells = [f"**{c}**" for c in cells]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "### Findings by scanner\n\n" + "\n".join(rows) + "\n"


def _scanner_row(result: ScannerResult) -> str:
    status = _STATUS[result.status]
    if result.message:
        status += f": {markdown(result.message, limit=300)}"
    version = markdown(result.version, limit=40) if result.version else "-"
    ran = result.status is not Status.SKIPPED
    duration = f"{result.duration_s:.2f} s" if ran else "-"
    files = str(result.files_scanned) if ran else "-"
    return (f"| {markdown(result.name, limit=60)} | {status} | {version} | {duration} "
            f"| {files} | {len(result.findings)} |")


def _scanners(report: Report) -> str:
    rows = ["| Scanner | Status | Version | Duration | Files scanned | Findings |",
            "| :-- | :-- | :-- | --: | --: | --: |"]
    rows += [_scanner_row(s) for s in report.scanners]
    notes = [f"- {markdown(s.name, limit=60)}: {markdown(note, limit=500)}"
             for s in report.scanners for note in s.notes]
    text = "### Scanners\n\n" + "\n".join(rows) + "\n"
    return text + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _files(report: Report) -> str:
    files = report.files
    skipped = files.not_scanned()
    line = f"Files: {files.scanned:,} scanned of {files.total:,}"
    if skipped:
        line += " (not scanned: " + ", ".join(f"{c:,} {n}" for n, c in skipped) + ")"
    samples = [f"- not scanned ({markdown(why, limit=100)}): {markdown_code(path, limit=300)}"
               for path, why in files.samples]
    return line + ".\n" + ("\n" + "\n".join(samples) + "\n" if samples else "")
