"""Markdown summary: verdict first, safe HTML when rendered, links only we made, size limits."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from secure_gate.model import Report, Severity
from secure_gate.report.markdown import MarkdownOptions, markdown_document, render_markdown
from tests.report import samples

OUR_TAGS = {"h2", "h3", "h4", "p", "strong", "em", "code", "a", "ul", "li", "table", "thead",
            "tbody", "tr", "th", "td"}
LINK_PREFIX = f"{samples.REPOSITORY_URL}/blob/{samples.COMMIT}/"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self.outside_code = ""  # the text GitHub's mention and reference filters see
        self._in_code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self._in_code -= tag == "code"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._in_code:
            self.outside_code += data

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _html(text: str) -> _Html:
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser = _Html()
    parser.feed(md.render(text))
    return parser


def test_hostile_summary_renders_only_our_html() -> None:
    report = samples.hostile()
    page = _html(render_markdown(report))
    assert {tag for tag, _ in page.tags} <= OUR_TAGS
    hrefs = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert len(hrefs) == len(report.findings)
    assert all(re.fullmatch(re.escape(LINK_PREFIX) + r"[A-Za-z0-9_.~/%-]+(#L\d+)?", h)
               for h in hrefs), hrefs
    assert page.comments == []
    shown = "".join(page.text)
    assert "\u200b" not in shown  # nothing is inserted into the text
    assert "@" not in page.outside_code and "#" not in page.outside_code
    assert not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08\x1b]", shown)


def test_hostile_marker_is_kept_verbatim_and_first() -> None:
    marker = "<!-- secure-gate:comment:default -->"
    text = render_markdown(samples.hostile(), MarkdownOptions(marker=marker))
    assert text.startswith(marker + "\n")
    assert _html(text).comments == [" secure-gate:comment:default "]


def test_verdict_comes_first_with_why_and_threshold() -> None:
    failed = render_markdown(samples.every_severity())
    assert failed.startswith("## ❌ secure-gate failed\n\n**Why:** 3 blocking finding\\(s\\)")
    assert "at or above **high**" in failed and "below **medium** confidence" in failed
    passed = render_markdown(samples.empty())
    assert passed.startswith("## ✅ secure-gate passed\n\nNo blocking finding at or above "
                             "**high** (0 findings reported).")
    assert "No findings." in passed
    errors = render_markdown(samples.scanner_errors())
    assert "❌ error: timed out after 300s | 1\\.2\\.3 | 2.50 s" in errors
    assert "⏭️ skipped: no files for this scanner" in errors
    sections = [line for line in failed.splitlines() if line.startswith("### ")]
    assert sections == ["### Findings by scanner", "### Scanners", "### Findings (6)"]


def test_counts_by_scanner_and_severity() -> None:
    text = render_markdown(samples.every_severity())
    assert "| bandit | 0 | 1 | 0 | 1 | 0 | 1 | 0 |" in text
    assert "| pins | 0 | 0 | 1 | 0 | 1 | 0 | 0 |" in text
    assert "| **Total** | **1** | **2** | **1** | **1** | **1** | **3** | **0** |" in text


def test_findings_state_new_baselined_and_suppressed() -> None:
    text = render_markdown(samples.suppressed())
    assert "suppressed by baseline: recorded in \\.secure\\-gate\\-baseline\\.json" in text
    assert "suppressed by ledger: test fixture, not a real key" in text
    every = render_markdown(samples.every_severity())
    assert "new: not in the base commit" in every
    assert "not new: already in the base commit" in every
    assert "Compared with <code>origin/main</code>" in every


def test_blocking_first_then_by_severity_as_the_text_report() -> None:
    report = samples.hostile()
    lines = [int(n) for n in re.findall(r"#L(\d+)\)", render_markdown(report))]
    by_line = {f.location.line: f for f in report.findings}
    shown = [by_line[n] for n in lines]
    assert len(set(lines)) == len(report.findings) == len(lines)  # nothing grouped here
    order = [0 if f.blocking else 1 if f.new else 2 for f in shown]
    assert order == sorted(order)  # blocking, then new, then the rest
    rest = [-int(f.severity) for f in shown if not f.blocking and not f.new]
    assert rest == sorted(rest)


@pytest.mark.parametrize(("url", "commit"), [
    ("javascript:alert(1)//github.com/a/b", samples.COMMIT),
    ("https://github.com/a/b)(https://evil.example", samples.COMMIT),
    ("https://github.com/a b/c", samples.COMMIT),
    ("http://github.com/a/b", samples.COMMIT),
    (samples.REPOSITORY_URL, "main"),
    (samples.REPOSITORY_URL, None),
])
def test_no_link_from_an_unexpected_url_or_commit(url: str, commit: str | None) -> None:
    report = replace(samples.every_severity(), repository_url=url, commit=commit)
    text = render_markdown(report)
    assert "](" not in text.replace("\\](", "") and "evil" not in text
    assert not [t for t, _ in _html(text).tags if t == "a"]


def test_links_to_lines() -> None:
    made = samples.finding("bandit", "B1", Severity.HIGH, "dir/a b#?.py", 4, end_line=6)
    text = render_markdown(samples.report([made]))
    assert f"]({LINK_PREFIX}dir/a%20b%23%3F.py#L4-L6)" in text


def _sizes(text: str) -> tuple[int, int]:
    return len(text.encode("utf-8")), len(text)


def _big(count: int, folder: str = "/{i}") -> Report:
    """``count`` findings, each in a folder of its own (so none are grouped) by default."""
    severities = list(Severity)
    return samples.report([
        samples.finding("bandit", f"B{i % 7}", severities[i % 5],
                        f"pkg/ünï{folder.format(i=i)}/{i}.py", i + 1,
                        message="é" * 200, blocking=i % 13 == 0)
        for i in range(count)])


@pytest.mark.parametrize("options", [
    MarkdownOptions(max_bytes=20_000),
    MarkdownOptions(max_chars=15_000),
    MarkdownOptions(max_bytes=30_000, max_chars=25_000,
                    overflow_note="Full list in the [job summary](https://example.test/run)."),
])
def test_cut_to_size_lowest_severity_first(options: MarkdownOptions) -> None:
    report = _big(200)
    rendered = markdown_document(report, options)
    size, chars = _sizes(rendered.text)
    assert size <= options.max_bytes and chars <= (options.max_chars or chars)
    shown = {int(m) for m in re.findall(r"<code>pkg/ünï/\d+/(\d+)\\\.py", rendered.text)}
    kept = len(shown)
    assert 0 < kept < len(report.findings)
    index = {f.location.path: i for i, f in enumerate(report.findings)}
    assert {index[f"pkg/ünï/{n}/{n}.py"] for n in shown} == set(range(kept))  # a prefix
    assert all(i in shown for i in range(200) if i % 13 == 0)  # every blocking finding kept
    left = report.findings[kept:]
    counts = ", ".join(f"{sum(1 for f in left if f.severity is s):,} {s.label}"
                       for s in sorted(Severity, reverse=True)
                       if any(f.severity is s for f in left))
    assert f"_{len(left)} more findings not shown here to fit the size limit ({counts})._" \
        in rendered.text
    if options.overflow_note:
        assert rendered.text.rstrip().endswith(options.overflow_note)
    assert rendered.notices == (f"markdown summary shortened: {len(left)} findings left out "
                                "to fit its size limit",)


def test_the_step_summary_limit_holds_for_a_huge_report() -> None:
    rendered = markdown_document(_big(6_000))
    assert len(rendered.text.encode("utf-8")) <= 1_000_000 < 1024 * 1024
    assert rendered.notices


def test_repeated_findings_are_grouped_by_rule_and_folder() -> None:
    # 6,000 findings of 7 rules in one folder: one entry per rule, severity and verdict.
    rendered = markdown_document(_big(6_000, folder=""))
    assert rendered.notices == ()
    assert len(rendered.text.encode("utf-8")) < 100_000  # ungrouped: over 3 MB
    assert "**6,000**" not in rendered.text and " more" in rendered.text
    assert rendered.text.count("<code>pkg/ünï/</code>") == len(
        {(f.rule, f.severity, f.blocking) for f in _big(6_000, folder="").findings})

def test_a_head_too_big_for_the_limit_is_cut_at_a_line() -> None:
    report = replace(samples.every_severity(), notices=tuple("ü" * 900 for _ in range(50)))
    options = MarkdownOptions(max_bytes=8_000, overflow_note="See SARIF.")
    rendered = markdown_document(report, options)
    assert len(rendered.text.encode("utf-8")) <= 8_000
    assert rendered.text.startswith("## ❌ secure-gate failed")
    assert rendered.text.endswith("_The summary was cut here to fit its size limit._\n"
                                  "\nSee SARIF.\n")
    assert "markdown summary cut to fit its size limit" in rendered.notices


def test_fits_unchanged_when_small() -> None:
    report = samples.every_severity()
    assert markdown_document(report).notices == ()
    assert render_markdown(report, MarkdownOptions(max_chars=60_000)) == render_markdown(report)


def test_no_room_at_all_gives_nothing_rather_than_too_much() -> None:
    rendered = markdown_document(samples.every_severity(), MarkdownOptions(max_bytes=40))
    assert rendered.text == "" and rendered.notices
