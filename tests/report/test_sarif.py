"""SARIF: valid against the official schema, acceptable to GitHub, faithful to the report."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from secure_gate.model import Confidence, Report, Severity, Suppression
from secure_gate.report.sarif import (
    FINGERPRINT_KEY,
    SarifLimits,
    render_sarif,
    sarif_document,
)
from secure_gate.report.sarif_rules import SECURITY_SEVERITY, result_level
from tests.report import samples
from tests.report.sarif_checks import MAX_RESULTS, MAX_RUNS, github_problems, validate_schema

CASES: list[Callable[[], Report]] = [samples.empty, samples.every_severity,
                                     samples.scanner_errors, samples.suppressed, samples.hostile]


def _log(report: Report) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render_sarif(report))
    return parsed


@pytest.mark.parametrize("make", CASES, ids=lambda m: m.__name__)
def test_valid_and_acceptable_to_github(make: Callable[[], Report], shared_dir: Path) -> None:
    text = render_sarif(make())
    validate_schema(json.loads(text), shared_dir)
    assert github_problems(text) == []
    assert text.isascii()


def test_one_run_per_scanner_that_ran() -> None:
    log = _log(samples.scanner_errors())
    runs = {r["tool"]["driver"]["name"]: r for r in log["runs"]}
    assert list(runs) == ["secure-gate/bandit", "secure-gate/pip-audit",
                          "secure-gate/detect-secrets"]  # pins was skipped: no run
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        "secure-gate/bandit/", "secure-gate/pip-audit/", "secure-gate/detect-secrets/"]
    failed = runs["secure-gate/pip-audit"]["invocations"][0]
    assert failed["executionSuccessful"] is False
    (error,) = [n for n in failed["toolExecutionNotifications"] if n["level"] == "error"]
    assert error["message"]["text"] == "pip-audit did not complete: timed out after 300s"
    assert runs["secure-gate/bandit"]["invocations"][0]["executionSuccessful"] is True
    assert runs["secure-gate/bandit"]["tool"]["driver"]["version"] == "1.2.3"
    assert runs["secure-gate/bandit"]["tool"]["driver"]["informationUri"].startswith("https://")


def test_empty_runs_close_alerts_and_an_empty_report_is_still_valid() -> None:
    log = _log(samples.empty())
    assert len(log["runs"]) == 4 and all(r["results"] == [] for r in log["runs"])
    bare = samples.report([], skipped=samples.SCANNERS)
    (run,) = _log(bare)["runs"]
    assert run["tool"]["driver"]["name"] == "secure-gate" and run["results"] == []
    assert github_problems(render_sarif(bare)) == []


def test_results_follow_the_report() -> None:
    report = samples.every_severity()
    log = _log(report)
    for run in log["runs"]:
        scanner = run["tool"]["driver"]["name"].removeprefix("secure-gate/")
        expected = [f for f in report.findings if f.scanner == scanner]
        assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]] == [
            f.fingerprint for f in expected]
        for result, finding in zip(run["results"], expected, strict=True):
            assert result["ruleId"] == finding.rule
            assert result["level"] == result_level(finding)
            location = result["locations"][0]["physicalLocation"]
            assert location["artifactLocation"] == {"uri": finding.location.path,
                                                    "uriBaseId": "%SRCROOT%"}
            assert location["region"]["startLine"] == (finding.location.line or 1)


def test_levels_and_security_severity() -> None:
    assert SECURITY_SEVERITY == {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0",
                                 Severity.MEDIUM: "5.5", Severity.LOW: "2.0"}
    levels = {}
    for severity in Severity:
        for blocking in (True, False):
            made = samples.finding("bandit", "B1", severity, "a.py", blocking=blocking)
            levels[severity.label, blocking] = result_level(made)
    assert all(levels[s.label, True] == "error" for s in Severity)
    assert [levels[s.label, False] for s in sorted(Severity, reverse=True)] == [
        "warning", "warning", "warning", "note", "note"]
    log = _log(samples.every_severity())
    by_rule = {r["id"]: r for run in log["runs"] for r in run["tool"]["driver"]["rules"]}
    assert by_rule["PYSEC-2024-1"]["properties"]["security-severity"] == "9.5"
    assert by_rule["B602"]["properties"]["security-severity"] == "8.0"
    assert by_rule["B311"]["properties"]["precision"] == "low"
    assert "security-severity" not in by_rule["missing-lockfile"]["properties"]
    assert all("security" in r["properties"]["tags"] for r in by_rule.values())


def test_rule_takes_the_worst_severity_and_highest_confidence_of_its_findings() -> None:
    report = samples.report([
        samples.finding("bandit", "B1", Severity.LOW, "a.py", 1, confidence=Confidence.HIGH),
        samples.finding("bandit", "B1", Severity.HIGH, "b.py", 2, confidence=Confidence.LOW,
                        message="another message"),
    ])
    (rule,) = _log(report)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["properties"]["precision"] == "high"
    assert rule["fullDescription"]["text"] == "B1 title"  # messages differ: the title


@pytest.mark.parametrize(("line", "end_line", "column", "end_column", "region"), [
    (5, None, None, None, {"startLine": 5}),
    (5, 5, 3, 7, {"startLine": 5, "startColumn": 3, "endColumn": 8}),
    (5, 7, 3, 1, {"startLine": 5, "endLine": 7, "startColumn": 3, "endColumn": 2}),
    (5, 5, 7, 3, {"startLine": 5, "startColumn": 7}),
    (None, None, 4, 9, {"startLine": 1}),
])
def test_regions_are_one_based_with_an_exclusive_end_column(
        line: int | None, end_line: int | None, column: int | None, end_column: int | None,
        region: dict[str, int]) -> None:
    made = samples.finding("bandit", "B1", Severity.LOW, "a.py", line, end_line=end_line,
                           column=column, end_column=end_column)
    result = _log(samples.report([made]))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"]["region"] == region


def test_hostile_paths_are_uri_references_that_decode_exactly() -> None:
    report = samples.hostile()
    log = _log(report)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for run in log["runs"] for r in run["results"]]
    assert sorted(unquote(u, errors="surrogateescape") for u in uris) == sorted(
        f.location.path for f in report.findings)
    assert all(" " not in u and "#" not in u and "?" not in u for u in uris)


def test_hostile_messages_cannot_link_or_use_placeholders() -> None:
    for run in _log(samples.hostile())["runs"]:
        for result in run["results"]:
            text = result["message"]["text"]
            assert "](" not in text.replace("\\](", "")
            assert "{" not in text.replace("{{", "")
        for rule in run["tool"]["driver"]["rules"]:
            assert "helpUri" not in rule or rule["helpUri"].startswith("https://")
            markdown = rule["help"]["markdown"]
            assert "<" not in markdown and "{" not in markdown


def test_suppressed_findings_carry_suppressions() -> None:
    results = [r for run in _log(samples.suppressed())["runs"] for r in run["results"]]
    suppressed = {r["ruleId"]: r["suppressions"] for r in results if "suppressions" in r}
    assert suppressed == {
        "B602": [{"kind": "external", "status": "accepted",
                  "justification": "baseline: recorded in .secure-gate-baseline.json"}],
        "secret-keyword": [{"kind": "external", "status": "accepted",
                            "justification": "ledger: test fixture, not a real key (until "
                                             "2031-01-01)"}],
    }
    assert all(r["level"] != "error" for r in results)


def test_default_limits_are_githubs() -> None:
    limits = SarifLimits()
    assert limits.results_per_run == MAX_RESULTS and limits.runs == MAX_RUNS
    assert limits.gzip_bytes < 10 * 1000 * 1000


def _many(count: int, scanner: str = "bandit") -> list[Any]:
    severities = list(Severity)
    return [samples.finding(scanner, f"R{i % 3}", severities[i % 5], f"f{i}.py", i + 1,
                            blocking=i % 11 == 0) for i in range(count)]


def test_results_per_run_keep_the_worst(shared_dir: Path) -> None:
    report = samples.report(_many(40) + _many(5, "pins"))
    rendered = sarif_document(report, SarifLimits(results_per_run=10))
    log = json.loads(rendered.text)
    bandit, pins = (r for r in log["runs"] if r["results"])
    kept = [f.fingerprint for f in report.findings if f.scanner == "bandit"][:10]
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in bandit["results"]] == kept
    assert len(pins["results"]) == 5
    (warning,) = [n for n in bandit["invocations"][0]["toolExecutionNotifications"]
                  if n["level"] == "warning"]
    assert warning["message"]["text"].startswith("30 results left out")
    assert rendered.notices == (f"SARIF truncated: {warning['message']['text']}",)
    validate_schema(log, shared_dir)


def test_the_real_results_limit() -> None:
    report = samples.report(_many(MAX_RESULTS + 7))
    rendered = sarif_document(report)
    assert github_problems(rendered.text) == []
    assert sum(len(r["results"]) for r in json.loads(rendered.text)["runs"]) == MAX_RESULTS
    assert rendered.notices and "7 results left out" in rendered.notices[0]


def test_gzip_limit_drops_the_least_severe_first() -> None:
    report = samples.report(_many(300) + _many(50, "pins"))
    full = len(render_sarif(report).encode())
    limit = SarifLimits(gzip_bytes=12_000)
    rendered = sarif_document(report, limit)
    log = json.loads(rendered.text)
    kept = {r["partialFingerprints"][FINGERPRINT_KEY] for run in log["runs"]
            for r in run["results"]}
    assert 0 < len(kept) < len(report.findings) and len(rendered.text.encode()) < full
    order = [f.fingerprint for f in report.findings]
    assert kept == set(order[:len(kept)])  # a prefix of the report's order: worst first
    blocking = {f.fingerprint for f in report.findings if f.blocking}
    assert blocking <= kept
    assert len(gzip.compress(rendered.text.encode(), compresslevel=6)) <= 12_000
    assert github_problems(rendered.text) == []
    assert any("left out" in n for n in rendered.notices)


def test_runs_limit() -> None:
    names = [f"scanner-{i}" for i in range(MAX_RUNS + 3)]
    report = samples.report([], scanner_names=names)
    rendered = sarif_document(report)
    assert len(json.loads(rendered.text)["runs"]) == MAX_RUNS
    assert rendered.notices[0].startswith("SARIF truncated: 3 runs left out")
    assert "scanner-22" in rendered.notices[0]


def test_suppression_reason_is_shown_not_run() -> None:
    made = samples.finding("bandit", "B1", Severity.LOW, "a.py",
                           suppression=Suppression("baseline", "\u202eevil\nx"))
    (result,) = _log(samples.report([made]))["runs"][0]["results"]
    assert result["suppressions"][0]["justification"] == "baseline: \\u202eevil\\x0ax"


def test_the_category_prefixes_every_runs_automation_id(shared_dir: Path) -> None:
    text = render_sarif(samples.scanner_errors(), category="secure-gate/ci/gate/1a2b3c4d")
    log = json.loads(text)
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        "secure-gate/ci/gate/1a2b3c4d/bandit/", "secure-gate/ci/gate/1a2b3c4d/pip-audit/",
        "secure-gate/ci/gate/1a2b3c4d/detect-secrets/"]
    validate_schema(log, shared_dir)
    assert github_problems(text) == []
    nothing_ran = samples.report([], skipped=samples.SCANNERS)
    (own,) = json.loads(render_sarif(nothing_ran, category="a/b"))["runs"]
    assert own["automationDetails"]["id"] == "a/b/"


@pytest.mark.parametrize("category", ["", "a//b", "/a", "a/", "a b", "a\nb", "x" * 201,
                                      "../x/\u202e"])
def test_a_category_that_is_not_path_like_is_refused(category: str) -> None:
    with pytest.raises(ValueError, match="not a SARIF category"):
        sarif_document(samples.empty(), category=category)


def test_provenance_names_the_repository_and_commit_only_when_both_are_plain() -> None:
    runs = _log(samples.every_severity())["runs"]
    assert all(r["versionControlProvenance"] == [{
        "repositoryUri": samples.REPOSITORY_URL, "revisionId": samples.COMMIT}] for r in runs)
    unlinked = _log(samples.report([], links=False))["runs"]
    assert all("versionControlProvenance" not in r for r in unlinked)
    odd = replace(samples.every_severity(), repository_url="javascript:alert(1)")
    assert all("versionControlProvenance" not in r for r in _log(odd)["runs"])
