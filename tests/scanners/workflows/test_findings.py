"""zizmor's audits mapped onto the gate's scale, lines, columns, messages and fix hints."""

from __future__ import annotations

from dataclasses import replace

from secure_gate.model import Confidence, Severity
from secure_gate.scanners.workflows.audits import AUDITS, info
from secure_gate.scanners.workflows.findings import (
    fold_default_permissions,
    location,
    to_finding,
)
from secure_gate.scanners.workflows.zizmor_json import Audit, Span, parse
from tests.scanners.workflows.helpers import REPO, recorded


def _audit(ident: str, path_end: str) -> Audit:
    return next(a for a in parse(recorded())
                if a.ident == ident and a.primary.path.endswith(path_end))


def _lines(path: str) -> list[str]:
    return (REPO / path).read_text(encoding="utf-8").splitlines()


def test_severity_and_confidence_follow_zizmor_on_our_scale() -> None:
    injection = to_finding(_audit("template-injection", "injection.yml"),
                           ".github/workflows/injection.yml",
                           _lines(".github/workflows/injection.yml"))
    assert (injection.severity, injection.confidence) == (Severity.HIGH, Confidence.HIGH)
    trigger = to_finding(_audit("dangerous-triggers", "pwn-request.yml"), "w.yml", [])
    assert (trigger.severity, trigger.confidence) == (Severity.HIGH, Confidence.MEDIUM)
    env = to_finding(_audit("github-env", "action.yml"), "a.yml", [])
    assert (env.severity, env.confidence) == (Severity.HIGH, Confidence.LOW)
    low = to_finding(_audit("self-repository", "reusable.yml"), "r.yml", [])
    assert low.severity is Severity.LOW


def test_the_documented_re_ratings() -> None:
    # secrets: inherit is medium to zizmor, high to the gate; unpinned uses is the contract's
    # medium (the pins scanner's rating of the same problem).
    inherit = to_finding(_audit("secrets-inherit", "reusable.yml"), "r.yml", [])
    assert inherit.severity is Severity.HIGH
    unpinned = to_finding(_audit("unpinned-uses", "tag-pinned.yml"), "t.yml", [])
    assert unpinned.severity is Severity.MEDIUM and unpinned.confidence is Confidence.HIGH


def test_the_finding_sits_on_the_primary_span_with_character_columns() -> None:
    path = ".github/workflows/injection.yml"
    finding = to_finding(_audit("template-injection", "injection.yml"), path, _lines(path))
    assert finding.location.path == path
    assert finding.location.line == 16
    line = _lines(path)[15]
    start = finding.location.column or 0
    end = finding.location.end_column or 0
    assert line[start - 1:end] == "github.event.issue.title"


def test_columns_count_characters_where_zizmor_counts_bytes() -> None:
    lines = ['      - run: echo "ünïcödé ${{ github.event.issue.title }}"']
    byte_start = lines[0].encode().index(b"github")
    span = Span("Primary", "w.yml", "", 0, byte_start, 0, byte_start + 24, (), "")
    where = location("w.yml", span, lines)
    assert lines[0][(where.column or 0) - 1:where.end_column] == "github.event.issue.title"


def test_a_span_ending_at_column_zero_ends_on_the_line_before() -> None:
    span = Span("Primary", "w.yml", "", 4, 2, 9, 0, (), "")
    assert (location("w.yml", span, []).line, location("w.yml", span, []).end_line) == (5, 9)


def test_the_message_names_the_related_places_but_not_zizmor_context() -> None:
    inherit = to_finding(_audit("secrets-inherit", "reusable.yml"), "r.yml", [])
    assert inherit.message == ("secrets unconditionally inherited by called workflow: this "
                               "reusable workflow (line 9: inherits all parent secrets)")
    injection = to_finding(_audit("template-injection", "action.yml"), "a.yml", [])
    assert "this run block" not in injection.message


def test_fix_hints_and_help_links_for_each_attack() -> None:
    for ident, words in [("template-injection", "environment variable"),
                         ("artipacked", "persist-credentials: false"),
                         ("dangerous-triggers", "`pull_request` instead of"),
                         ("secrets-inherit", "secrets:"),
                         ("insecure-commands", "ACTIONS_ALLOW_UNSECURE_COMMANDS"),
                         ("cache-poisoning", "cache")]:
        assert words in AUDITS[ident].fix
    artipacked = to_finding(_audit("artipacked", "artifacts.yml"), "a.yml", [])
    assert artipacked.fix == AUDITS["artipacked"].fix
    assert artipacked.help_uri == "https://docs.zizmor.sh/audits/#artipacked"


def test_an_audit_the_table_does_not_know_keeps_zizmor_words_and_links_its_docs() -> None:
    unknown = info("brand-new-audit", "something newly detected")
    assert unknown.title == "Something newly detected"
    assert unknown.fix == "see https://docs.zizmor.sh/audits/#brand-new-audit"
    assert unknown.severity is None


def test_fingerprint_evidence_ignores_lines_and_annotations() -> None:
    audit = _audit("artipacked", "artifacts.yml")
    moved = replace(audit, spans=tuple(replace(s, start_row=s.start_row + 5,
                                               annotation=s.annotation + " (reworded)")
                                       for s in audit.spans))
    assert to_finding(audit, "a.yml", []).evidence == to_finding(moved, "a.yml", []).evidence


def _permissions(route: tuple[str, ...], annotation: str = "default permissions used due "
                 "to no permissions: block") -> Audit:
    span = Span("Primary", "0/.github/workflows/workflow.yml", annotation, 0, 0, 9, 0,
                route, "")
    return Audit("excessive-permissions", "overly broad permissions", "", "Medium", "Medium",
                 "Regular", False, (span,), ())


def test_jobs_that_only_inherit_the_missing_top_level_block_are_folded_into_it() -> None:
    top, one, two = _permissions(()), _permissions(("jobs", "a")), _permissions(("jobs", "b"))
    write_all = _permissions(("jobs", "c", "permissions"), "uses write-all permissions")
    kept, folded = fold_default_permissions([top, one, two, write_all])
    assert folded == 2 and kept[1] == write_all and len(kept) == 2
    assert kept[0].primary.annotation == ("default permissions used due to no permissions: "
                                          "block; job(s) `a`, `b` inherit it")
    assert kept[0].primary.route == () and kept[0].ident == "excessive-permissions"


def test_without_the_workflow_level_finding_the_jobs_are_kept() -> None:
    one = _permissions(("jobs", "a"))
    assert fold_default_permissions([one]) == ([one], 0)
