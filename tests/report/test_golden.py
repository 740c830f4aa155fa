"""Golden files for every renderer and every sample report (reviewed by hand)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from secure_gate.model import Report
from secure_gate.report.annotations import AnnotationOptions, render_annotations
from secure_gate.report.digest import render_digest
from secure_gate.report.json import render_json
from secure_gate.report.markdown import MarkdownOptions, render_markdown
from secure_gate.report.sarif import render_sarif
from secure_gate.report.text import render_text
from tests.report import golden, samples

CASES: dict[str, Callable[[], Report]] = {
    "empty": samples.empty,
    "every_severity": samples.every_severity,
    "scanner_errors": samples.scanner_errors,
    "suppressed": samples.suppressed,
    "hostile": samples.hostile,
    "policy_changes": samples.policy_changes,
}
RENDERERS: dict[str, tuple[str, Callable[[Report], str]]] = {
    "text": ("txt", render_text),
    "json": ("json", render_json),
    "sarif": ("sarif", render_sarif),
    "markdown": ("md", render_markdown),
    "annotations": ("log", render_annotations),
    "digest": ("md", lambda report: render_digest(report, samples.DIGEST_OPTIONS)),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("renderer", RENDERERS)
def test_golden(case: str, renderer: str) -> None:
    extension, render = RENDERERS[renderer]
    golden.check(f"{renderer}/{case}.{extension}", render(CASES[case]()))


def test_golden_markdown_cut_for_a_pr_comment() -> None:
    report = samples.every_severity()
    options = MarkdownOptions(max_chars=2_600, marker="<!-- secure-gate -->",
                              overflow_note="Full list in the job summary and SARIF.")
    golden.check("markdown/every_severity_cut.md", render_markdown(report, options))


def test_golden_annotations_over_budget_with_a_prefix() -> None:
    report = samples.every_severity()
    options = AnnotationOptions(per_level=1, path_prefix="service/")
    golden.check("annotations/every_severity_budget_1.log", render_annotations(report, options))
