"""The markdown summary (job summary, PR comment): verdict, counts, scanners, then findings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Severity
from secure_gate.report.escape import markdown, markdown_code, url_component
from secure_gate.report.markdown_head import head
from secure_gate.report.rendered import Rendered, plural

# Links are only made from a repository URL and commit of these plain shapes (the Action
# builds them from GITHUB_SERVER_URL/GITHUB_REPOSITORY and GITHUB_SHA, never from input).
_REPOSITORY_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._-]+)+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_TITLES = {Severity.CRITICAL: "Critical", Severity.HIGH: "High", Severity.MEDIUM: "Medium",
           Severity.LOW: "Low", Severity.INFO: "Info"}
_CUT = "\n\n_The summary was cut here to fit its size limit._\n"


@dataclass(frozen=True, slots=True)
class MarkdownOptions:
    """Size limits and framing; ``marker`` and ``overflow_note`` are trusted and kept verbatim.

    ``max_bytes`` counts UTF-8 bytes (a step summary over 1 MiB is dropped whole);
    ``max_chars`` counts code points (a PR comment allows 65,536).
    """

    max_bytes: int = 1_000_000
    max_chars: int | None = None
    marker: str | None = None
    overflow_note: str | None = None


def render_markdown(report: Report, options: MarkdownOptions | None = None) -> str:
    """The report as GitHub-flavoured markdown within the size limits of ``options``."""
    return markdown_document(report, options).text


def markdown_document(report: Report, options: MarkdownOptions | None = None) -> Rendered:
    """The markdown summary and, when findings had to be left out, a notice saying so.

    Detail is cut from the end of the report's order (lowest severity first, blocking
    findings last) and the summary says how many were left out and of which severity.
    """
    opts = options or MarkdownOptions()
    top = (f"{opts.marker}\n\n" if opts.marker else "") + head(report)
    link = link_base(report)
    blocks = [_finding(f, link) for f in report.findings]
    total = len(blocks)

    def compose(kept: int) -> str:
        return top + _findings(report, blocks, kept) + _omitted(report, kept, opts)

    text = compose(total)
    kept = total
    if not _fits(text, opts):
        low, high = 0, total - 1
        while low < high:
            middle = (low + high + 1) // 2
            if _fits(compose(middle), opts):
                low = middle
            else:
                high = middle - 1
        kept = low
        text = compose(kept)
    notices: list[str] = []
    if kept < total:
        notices.append(f"markdown summary shortened: {plural(total - kept, 'finding')} "
                       "left out to fit its size limit")
    if not _fits(text, opts):
        text = _cut_hard(text, opts)
        notices.append("markdown summary cut to fit its size limit")
    return Rendered(text, tuple(notices))


def _fits(text: str, opts: MarkdownOptions) -> bool:
    if opts.max_chars is not None and len(text) > opts.max_chars:
        return False
    return len(text.encode("utf-8")) <= opts.max_bytes


def _cut_hard(text: str, opts: MarkdownOptions) -> str:
    """Even without findings it is too long (huge notices): cut at a line, say so."""
    ending = _CUT + (f"\n{opts.overflow_note}\n" if opts.overflow_note else "")
    room_bytes = opts.max_bytes - len(ending.encode("utf-8"))
    room_chars = (opts.max_chars - len(ending)) if opts.max_chars is not None else len(text)
    cut = text.encode("utf-8")[:max(0, room_bytes)].decode("utf-8", "ignore")[:max(0, room_chars)]
    out = cut[:cut.rfind("\n") + 1] + ending
    # With no room even for that, nothing at all: an oversized summary is dropped whole.
    return out if _fits(out, opts) else ""


def link_base(report: Report) -> str | None:
    """``<repository>/blob/<commit>/`` when both have plain shapes, else None (no links)."""
    url, commit = report.repository_url, report.commit
    if url and commit and _REPOSITORY_URL.fullmatch(url) and _COMMIT.fullmatch(commit):
        return f"{url}/blob/{commit}/"
    return None


def where(finding: Finding, link: str | None, *, limit: int = 300) -> str:
    """``path:line`` as code, linked to the line under ``link`` when there is one."""
    loc = finding.location
    shown = loc.path + (f":{loc.line}" if loc.line else "")
    code = markdown_code(shown, limit=limit)
    if link is None:
        return code
    anchor = ""
    if loc.line:
        anchor = f"#L{loc.line}"
        if loc.end_line and loc.end_line > loc.line:
            anchor += f"-L{loc.end_line}"
    return f"[{code}]({link}{url_component(loc.path)}{anchor})"


def _marks(finding: Finding) -> list[str]:
    marks = ["**blocking**"] if finding.blocking else []
    if finding.suppression is not None:
        marks.append(f"suppressed by {markdown(finding.suppression.kind, limit=40)}: "
                     f"{markdown(finding.suppression.reason, limit=300)}")
    if finding.new is not None:
        word = "new" if finding.new else "not new"
        reason = f": {markdown(finding.new_reason, limit=300)}" if finding.new_reason else ""
        marks.append(word + reason)
    if finding.not_blocking:
        marks.append(f"not blocking: {markdown(finding.not_blocking, limit=60)}")
    elif finding.path_class != "product":
        marks.append(f"in {markdown(finding.path_class, limit=40)}")
    if (not finding.blocking and finding.suppression is None and finding.new is not False
            and not finding.not_blocking):
        marks.append("below threshold")
    return marks


def _finding(finding: Finding, link: str | None) -> str:
    head_line = " · ".join([
        *_marks(finding), where(finding, link),
        f"{markdown(finding.scanner, limit=60)} {markdown_code(finding.rule, limit=120)} "
        f"{markdown(finding.title, limit=200)}",
    ])
    lines = [f"- {head_line}",
             f"  - {markdown(finding.message, limit=1000)} "
             f"(confidence {finding.confidence.label})"]
    if finding.fix:
        lines.append(f"  - Fix: {markdown(finding.fix, limit=500)}")
    return "\n".join(lines) + "\n"


def _findings(report: Report, blocks: list[str], kept: int) -> str:
    """The first ``kept`` findings of the report's order, grouped by severity."""
    if not report.findings:
        return "### Findings\n\nNo findings.\n"
    shown = list(zip(report.findings[:kept], blocks[:kept], strict=True))
    out = [f"### Findings ({len(report.findings):,})\n"]
    for severity in sorted(Severity, reverse=True):
        group = [block for f, block in shown if f.severity is severity]
        if not group:
            continue
        count = sum(1 for f in report.findings if f.severity is severity)
        extra = f", {len(group):,} shown" if len(group) < count else ""
        out.append(f"\n#### {_TITLES[severity]} ({count:,}{extra})\n\n" + "".join(group))
    return "".join(out)


def _omitted(report: Report, kept: int, opts: MarkdownOptions) -> str:
    left = report.findings[kept:]
    if not left:
        return ""
    counts = [f"{sum(1 for f in left if f.severity is s):,} {s.label}"
              for s in sorted(Severity, reverse=True) if any(f.severity is s for f in left)]
    blocking = sum(1 for f in left if f.blocking)
    text = (f"\n_{plural(len(left), 'more finding')} not shown here to fit the size limit "
            f"({', '.join(counts)}"
            + (f"; {blocking:,} of them blocking" if blocking else "") + ")._")
    if opts.overflow_note:
        text += f" {opts.overflow_note}"
    return text + "\n"
