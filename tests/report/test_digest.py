"""The PR comment digest: short whatever the report, new blocking findings first, safe HTML."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest

from secure_gate.model import Severity
from secure_gate.report.digest import DigestOptions, fixed_by, render_digest
from tests.report import golden, readme_digest, samples
from tests.report.test_markdown import OUR_TAGS, _html

DETAILS_TAGS = {"details", "summary", "hr"}


def test_golden_large_report() -> None:
    golden.check("digest/large.md", render_digest(samples.large(), samples.DIGEST_OPTIONS))


def test_a_thousand_findings_make_a_short_digest_that_leads_with_the_new_blocking() -> None:
    report = samples.large()
    assert len(report.findings) == 1_000
    text = render_digest(report, samples.DIGEST_OPTIONS)
    assert len(text) < 6_000
    head = text[:2_000]
    new_blocking = [f for f in report.findings if f.blocking and f.new]
    assert len(new_blocking) == 41
    # Every group of new blocking findings is named in the first 2,000 characters.
    assert "### New blocking findings (41)" in head
    for needle in ("requirements\\.txt\\:4", "B602", "app/run\\.py\\:5", "B608"):
        assert needle in head, needle
    assert head.index("### New blocking") < head.index("B608")
    # The rest is behind <details>, grouped: 560 B101 findings are one line.
    details = text[text.index("<details>"):text.index("</details>")]
    assert "959 other findings" in details and "assert\\_used: 560 findings" in details
    assert details.count("\n- ") <= samples.DIGEST_OPTIONS.groups + 1


def test_links_point_at_the_commit_the_report_names() -> None:
    text = render_digest(samples.large(), samples.DIGEST_OPTIONS)
    hrefs = re.findall(r"\]\((https://[^)]+)\)", text)
    blobs = [h for h in hrefs if "/blob/" in h]
    assert blobs and all(h.startswith(f"{samples.REPOSITORY_URL}/blob/{samples.COMMIT}/")
                         for h in blobs)
    assert f"[Job summary]({samples.RUN_URL})" in text
    assert f"({samples.RUN_URL}#artifacts)" in text


def test_at_most_the_location_budget_is_linked_among_the_new_blocking() -> None:
    text = render_digest(samples.large(), replace(samples.DIGEST_OPTIONS, locations=4))
    section = text[text.index("### New blocking"):text.index("### Findings by")]
    assert section.count("/blob/") == 4
    assert section.rstrip().endswith("and 10 more")  # 12 B608 findings, 2 of them linked


def test_every_advisory_of_a_pin_is_one_entry_naming_the_version_that_fixes_all() -> None:
    text = render_digest(samples.large(), samples.DIGEST_OPTIONS)
    section = text[text.index("### New blocking"):text.index("### Findings by")]
    (line,) = [li for li in section.splitlines() if "requirements\\.txt\\:4" in li]
    assert "28 advisories" in line and "and 25 more" in line
    assert "fixed by upgrading to <code>2\\.32\\.4</code>" in line
    assert "(5 with no known fix)" in line


def test_fixed_by_is_the_highest_first_fix_compared_as_versions() -> None:
    base = samples.finding("pip-audit", "A", Severity.HIGH, "requirements.txt", 1)
    found = [base.replace(fixed_in=v) for v in ("2.9.0", "2.10.0", None, "not a version")]
    assert fixed_by(found) == ("2.10.0", 2)
    assert fixed_by([base]) == (None, 1)


def test_a_passing_report_is_all_green_and_short() -> None:
    text = render_digest(samples.empty(), samples.DIGEST_OPTIONS)
    assert "## ✅ secure-gate passed" in text and "New blocking" not in text
    assert "<details>" not in text and len(text) < 1_500


def test_scanner_errors_are_a_report_section() -> None:
    text = render_digest(samples.scanner_errors(), samples.DIGEST_OPTIONS)
    assert "## ❌ secure-gate failed" in text
    assert "### Scanners that did not complete" in text and "timed out after 300s" in text
    assert text.index("did not complete") < text.index("### Findings by scanner")


def test_hostile_digest_renders_only_our_html_and_links() -> None:
    text = render_digest(samples.hostile(), samples.DIGEST_OPTIONS)
    page = _html(text)
    assert {tag for tag, _ in page.tags} <= OUR_TAGS | DETAILS_TAGS
    hrefs = [attrs.get("href") or "" for tag, attrs in page.tags if tag == "a"]
    assert hrefs and all(h.startswith((f"{samples.REPOSITORY_URL}/blob/{samples.COMMIT}/",
                                       samples.RUN_URL)) for h in hrefs)
    assert page.comments == [" secure-gate:comment:default "]
    assert "@" not in page.outside_code and "#" not in page.outside_code
    assert "\u200b" not in html.unescape(text)
    assert not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08\x1b]", "".join(page.text))


@pytest.mark.parametrize("limit", [1_000, 3_000])
def test_the_hard_cap_holds_even_for_huge_reasons(limit: int) -> None:
    report = replace(samples.every_severity(), reasons=tuple("why " * 500 for _ in range(3)),
                     notices=tuple("note " * 500 for _ in range(5)))
    text = render_digest(report, DigestOptions(marker="<!-- m -->", max_chars=limit))
    assert len(text) <= limit and text.startswith("<!-- m -->")
    assert text.endswith("the job summary has it all._\n")


def test_readme_shows_the_generated_digest() -> None:
    readme = readme_digest.README.read_text(encoding="utf-8")
    assert readme_digest.replace_block(readme) == readme, "run scripts/gen-readme-digest"
    shown = readme[readme.index(readme_digest.BEGIN):readme.index(readme_digest.END)]
    assert readme_digest.quoted(readme_digest.GOLDEN.read_text(encoding="utf-8")) in shown
    with pytest.raises(ValueError, match="markers"):
        readme_digest.replace_block("no markers here")
