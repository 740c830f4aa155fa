"""The PR comment: a digest of the report (verdict, counts, the new blocking findings first).

The job summary has the whole report; the comment is what a reviewer reads in the PR
conversation, so it stays short whatever the repository: the new blocking findings come
first (grouped, at most a handful of locations, each linked to the PR head), then the
report sections, the counts by scanner and severity, the rest in a ``<details>`` block and
the links to the full report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secure_gate.model import Finding, Report, Severity, Status
from secure_gate.report.escape import markdown, markdown_code
from secure_gate.report.grouping import Group, fixed_by, group, is_pin
from secure_gate.report.markdown import link_base, where
from secure_gate.report.markdown_head import policy_section
from secure_gate.report.rendered import plural

_SEVERITIES = sorted(Severity, reverse=True)
_CUT = "\n_The comment was cut here to fit its size limit; the job summary has it all._\n"


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """Framing (trusted, kept verbatim) and the digest's budgets.

    ``locations`` is how many file:line links the new blocking findings get in all;
    ``lead_chars`` bounds everything up to the end of that section, so a reviewer sees
    them without scrolling however large the report is; ``groups`` bounds the
    ``<details>`` list and ``max_chars`` the whole digest (GitHub allows 65,536).
    """

    marker: str | None = None
    run_url: str | None = None
    artifacts: tuple[str, ...] = ()
    locations: int = 10
    lead_chars: int = 1_900
    groups: int = 15
    max_chars: int = 20_000


def is_new_blocking(finding: Finding) -> bool:
    """Blocking and not already in the base (without a diff base every finding is new)."""
    return finding.blocking and finding.new is not False


def render_digest(report: Report, options: DigestOptions | None = None) -> str:
    """The digest as GitHub-flavoured markdown, at most ``options.max_chars`` characters."""
    opts = options or DigestOptions()
    new_blocking = [f for f in report.findings if is_new_blocking(f)]
    rest = [f for f in report.findings if not is_new_blocking(f)]
    lead = (f"{opts.marker}\n\n" if opts.marker else "") + _verdict(report, len(new_blocking))
    lead += _new_blocking(report, new_blocking, opts, opts.lead_chars - len(lead))
    parts = [lead, *(s for s in (section(report) for section in SECTIONS) if s),
             _counts(report), _details(report, rest, opts), _footer(report, opts)]
    text = "\n".join(p for p in parts if p)
    if len(text) > opts.max_chars:  # only huge reasons or notices can get here
        room = opts.max_chars - len(_CUT)
        text = text[:text.rfind("\n", 0, room) + 1] + _CUT
    return text


def _verdict(report: Report, new_blocking: int) -> str:
    threshold = report.policy.fail_on_label
    if report.passed:
        title = "## ✅ secure-gate passed"
        line = (f"No blocking finding at or above **{threshold}** "
                f"({plural(len(report.findings), 'finding')} reported).")
    else:
        title = "## ❌ secure-gate failed" + (
            f": {plural(new_blocking, 'new blocking finding')}" if new_blocking else "")
        reasons = "; ".join(markdown(r, limit=200) for r in report.reasons[:3])
        line = f"**Why:** {reasons or 'see the job summary'}."
    if report.diff_base:
        line += (f" Compared with {markdown_code(report.diff_base, limit=60)}: findings "
                 "already there are not new and do not block.")
    return f"{title}\n\n{line}\n"


def _entry(g: Group, link: str | None, room: int) -> tuple[str, int]:
    """One group as a list item with at most ``room`` locations; (text, locations used)."""
    first = g.first
    head = f"- **{g.severity.label}** {markdown(first.scanner, limit=40)} "
    if is_pin(first):
        version, unfixed = fixed_by(g.findings)
        ids = ", ".join(markdown_code(f.rule, limit=40) for f in g.findings[:3])
        more = f" and {len(g.findings) - 3:,} more" if len(g.findings) > 3 else ""
        head += f"{_advisories(len(g.findings))} ({ids}{more}) at "
        tail = ""
        if version:
            tail = f" · fixed by upgrading to {markdown_code(version, limit=40)}"
            tail += f" ({unfixed:,} with no known fix)" if unfixed else ""
        elif unfixed:
            tail = " · no fixed version is known"
        shown = [first]
    else:
        head += f"{markdown_code(first.rule, limit=60)} {markdown(first.title, limit=80)} at "
        tail = ""
        shown = list(g.findings[:max(1, room)])
    places = ", ".join(where(f, link, limit=120) for f in shown)
    left = (len(g.findings) if not is_pin(first) else 1) - len(shown)
    places += f" and {left:,} more" if left else ""
    return head + places + tail + "\n", len(shown)


def _new_blocking(report: Report, findings: list[Finding], opts: DigestOptions,
                  room: int) -> str:
    if not findings:
        return ""
    link = link_base(report)
    out = f"\n### New blocking findings ({len(findings):,})\n\n"
    budget = opts.locations
    groups = group(findings)
    shown = 0
    for g in groups:
        if budget <= 0:
            break
        # As many of the group's locations as the budget and the room allow (at least one).
        for want in range(budget, 0, -1):
            text, used = _entry(g, link, want)
            if len(out) + len(text) <= room - 80 or want == 1:
                break
        if len(out) + len(text) > room - 80 and shown:
            break
        out += text
        budget -= used
        shown += 1
    if shown < len(groups):
        left = sum(len(g.findings) for g in groups[shown:])
        out += f"- … and {plural(left, 'more finding')} in the job summary\n"
    return out


def _scanner_problems(report: Report) -> str | None:
    failed = [s for s in report.scanners if s.status is Status.ERROR]
    if not failed:
        return None
    lines = [f"- {markdown(s.name, limit=40)}: "
             f"{markdown(s.message or 'no reason given', limit=200)}" for s in failed]
    return "### Scanners that did not complete\n\n" + "\n".join(lines) + "\n"


def _notices(report: Report) -> str | None:
    if not report.notices:
        return None
    lines = [f"- {markdown(n, limit=200)}" for n in report.notices[:3]]
    if len(report.notices) > 3:
        lines.append(f"- … and {len(report.notices) - 3:,} more in the job summary")
    return "### Notices\n\n" + "\n".join(lines) + "\n"


# Report sections between the new blocking findings and the counts, in this order; each
# returns markdown (every untrusted string escaped) or None. The policy changes say what the
# pull request changed in the gate's own policy (issue 16).
SECTIONS: tuple[Callable[[Report], str | None], ...] = (policy_section, _scanner_problems,
                                                        _notices)


def _counts(report: Report) -> str:
    header = "| Scanner | " + " | ".join(s.label.capitalize() for s in _SEVERITIES)
    rows = [header + " | Blocking | New |", "| :-- |" + " --: |" * (len(_SEVERITIES) + 2)]
    names = [s.name for s in report.scanners if s.status is not Status.SKIPPED]
    names += sorted({f.scanner for f in report.findings} - set(names))
    for name in [*names, None]:
        mine = [f for f in report.findings if name is None or f.scanner == name]
        cells = [sum(1 for f in mine if f.severity is s) for s in _SEVERITIES]
        cells += [sum(1 for f in mine if f.blocking), sum(1 for f in mine if f.new)]
        shown = [f"{c:,}" if c else "·" for c in cells]
        if name is None:
            rows.append("| **Total** | " + " | ".join(f"**{c:,}**" for c in cells) + " |")
        else:
            rows.append(f"| {markdown(name, limit=40)} | " + " | ".join(shown) + " |")
    return "### Findings by scanner\n\n" + "\n".join(rows) + "\n"


def _advisories(count: int) -> str:
    return f"{count:,} " + ("advisory" if count == 1 else "advisories")


def _detail(g: Group, link: str | None) -> str:
    first = g.first
    head = f"- **{g.severity.label}** {markdown(first.scanner, limit=40)} "
    if is_pin(first):
        version, _ = fixed_by(g.findings)
        fix = f", fixed by {markdown_code(version, limit=40)}" if version else ""
        what = f"{_advisories(len(g.findings))}{fix}"
    else:
        what = (f"{markdown_code(first.rule, limit=60)} {markdown(first.title, limit=60)}: "
                + plural(len(g.findings), "finding"))
    marks = [f"{n:,} {word}" for word, n in (
        ("blocking", sum(f.blocking for f in g.findings)),
        ("suppressed", sum(f.suppressed for f in g.findings))) if n]
    extra = f" ({', '.join(marks)})" if marks else ""
    return f"{head}{what}{extra} · first at {where(first, link, limit=100)}"


def _details(report: Report, rest: list[Finding], opts: DigestOptions) -> str:
    if not rest or opts.groups <= 0:
        return ""
    link = link_base(report)
    groups = sorted(group(rest), key=lambda g: (-int(g.severity), -len(g.findings)))
    lines = [_detail(g, link) for g in groups[:opts.groups]]
    if len(groups) > opts.groups:
        left = sum(len(g.findings) for g in groups[opts.groups:])
        lines.append(f"- … {plural(len(groups) - opts.groups, 'more group')} "
                     f"({plural(left, 'finding')}) in the job summary")
    blocking = sum(f.blocking for f in rest)
    summary = plural(len(rest), "other finding") + (
        f", {blocking:,} of them blocking but already in the base" if blocking else "")
    return (f"<details><summary>{summary}</summary>\n\n" + "\n".join(lines)
            + "\n\n</details>\n")


def _footer(report: Report, opts: DigestOptions) -> str:
    links = []
    if opts.run_url:
        links.append(f"[Job summary]({opts.run_url}) (the full report)")
        if opts.artifacts:
            names = ", ".join(markdown_code(a, limit=80) for a in opts.artifacts)
            links.append(f"report files {names} in [the run's artifacts]"
                         f"({opts.run_url}#artifacts) when the workflow uploads them")
    else:
        links.append("The full report is in this run's job summary")
    return "---\n" + " · ".join(links) + f" · secure-gate {markdown(report.tool_version)}\n"
