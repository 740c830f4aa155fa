"""The markdown summary (job summary, PR comment): verdict, counts, scanners, then findings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Severity
from secure_gate.report.escape import markdown, markdown_code, url_component
from secure_gate.report.grouping import Group, folder_of
from secure_gate.report.markdown_head import head
from secure_gate.report.rendered import Rendered, plural
from secure_gate.report.sections import (
    LOCATIONS_SHOWN,
    Section,
    hidden_line,
    sections,
    verdict_marks,
)

# Links are only made from a repository URL and commit of these plain shapes (the Action
# builds them from GITHUB_SERVER_URL/GITHUB_REPOSITORY and GITHUB_SHA, never from input).
_REPOSITORY_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._-]+)+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
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
    show: str | None = None  # blocking | new | all (None: the report's own, config `show:`)


def render_markdown(report: Report, options: MarkdownOptions | None = None) -> str:
    """The report as GitHub-flavoured markdown within the size limits of ``options``."""
    return markdown_document(report, options).text


def markdown_document(report: Report, options: MarkdownOptions | None = None) -> Rendered:
    """The markdown summary and, when findings had to be left out, a notice saying so.

    Detail is cut from the end of the report's order (lowest severity first, blocking
    findings last) and the summary says how many were left out and of which severity.
    """
    opts = options or MarkdownOptions()
    show = opts.show or report.show
    listed, hidden = sections(report, show)
    top = (f"{opts.marker}\n\n" if opts.marker else "") + head(report)
    if (line := hidden_line(report, show, hidden)) is not None:
        top += f"_{markdown(line, limit=300)}_\n\n"
    link = link_base(report)
    entries = [(index, g, _group(g, link, section.severity is None))
               for index, section in enumerate(listed) for g in section.groups]
    total = len(entries)

    def compose(kept: int) -> str:
        return top + _findings(report, listed, entries[:kept]) + _omitted(entries[kept:], opts)

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
        left = sum(len(g.findings) for _, g, _ in entries[kept:])
        notices.append(f"markdown summary shortened: {plural(left, 'finding')} "
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
    blocking = ["**blocking**"] if finding.blocking else []
    return blocking + verdict_marks(finding, lambda text: markdown(text, limit=300))


def _finding(finding: Finding, link: str | None, mixed: bool = False) -> str:
    level = [f"**{finding.severity.label}**"] if mixed else []
    head_line = " · ".join([
        *_marks(finding), *level, where(finding, link),
        f"{markdown(finding.scanner, limit=60)} {markdown_code(finding.rule, limit=120)} "
        f"{markdown(finding.title, limit=200)}",
    ])
    lines = [f"- {head_line}",
             f"  - {markdown(finding.message, limit=1000)} "
             f"(confidence {finding.confidence.label})"]
    if finding.fix:
        lines.append(f"  - Fix: {markdown(finding.fix, limit=500)}")
    return "\n".join(lines) + "\n"


def _group(group: Group, link: str | None, mixed: bool) -> str:
    """One finding as before; several of one rule in one folder as one entry with places."""
    first = group.first
    if len(group.findings) == 1:
        return _finding(first, link, mixed)
    level = [f"**{first.severity.label}**"] if mixed else []
    count = len(group.findings)
    head_line = " · ".join([
        *(["**blocking**"] if first.blocking else []), *level,
        f"{markdown(first.scanner, limit=60)} {markdown_code(first.rule, limit=120)} "
        f"{markdown(first.title, limit=200)}",
        f"**{count:,}** in {markdown_code(folder_of(first) + '/', limit=200)}"])
    places = []
    for member in group.findings[:LOCATIONS_SHOWN]:
        marks = [m for m in _marks(member) if m != "**blocking**"]
        places.append(where(member, link) + (f" ({'; '.join(marks)})" if marks else ""))
    more = count - LOCATIONS_SHOWN
    lines = [f"- {head_line}",
             f"  - {markdown(first.message, limit=1000)} (confidence {first.confidence.label})",
             "  - " + ", ".join(places) + (f" and {more:,} more" if more > 0 else "")]
    if first.fix:
        lines.append(f"  - Fix: {markdown(first.fix, limit=500)}")
    return "\n".join(lines) + "\n"


def _findings(report: Report, listed: list[Section],
              kept: list[tuple[int, Group, str]]) -> str:
    """The kept entries under their sections (blocking, new, then by severity)."""
    if not report.findings:
        return "### Findings\n\nNo findings.\n"
    out = [f"### Findings ({len(report.findings):,})\n"]
    for index, section in enumerate(listed):
        mine = [(g, block) for i, g, block in kept if i == index]
        if not mine:
            continue
        shown = sum(len(g.findings) for g, _ in mine)
        extra = f", {shown:,} shown" if shown < section.count else ""
        out.append(f"\n#### {section.title} ({section.count:,}{extra})\n\n"
                   + "".join(block for _, block in mine))
    return "".join(out)


def _omitted(left_out: list[tuple[int, Group, str]], opts: MarkdownOptions) -> str:
    left = [f for _, g, _ in left_out for f in g.findings]
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
