"""Policy by path class: what blocks in tests, docs and examples, test idioms, overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import policy
from secure_gate.config import ConfigError, validate
from secure_gate.model import (
    TEST_IDIOM,
    Confidence,
    Finding,
    Location,
    ScannerResult,
    Severity,
    Status,
    assign_fingerprints,
)
from tests.conftest import CliResult

TODAY = dt.date(2026, 11, 29)
OK = ScannerResult("bandit", "1", Status.OK, None, 0.1)


def finding(path: str, rule: str = "B602", tags: tuple[str, ...] = (),
            scanner: str = "bandit") -> Finding:
    return Finding.create(scanner=scanner, rule=rule, title=rule, severity=Severity.HIGH,
                          confidence=Confidence.HIGH, location=Location(path, 3),
                          message="m", evidence=path + rule, tags=tags)


def judge(findings: list[Finding], raw: dict[str, Any] | None = None) -> policy.Verdict:
    return policy.evaluate(assign_fingerprints(findings), [OK], validate(raw or {}, "cfg"),
                           today=TODAY)


def by_path(verdict: policy.Verdict) -> dict[str, Finding]:
    return {f.location.path: f for f in verdict.findings}


@pytest.mark.parametrize(("path", "path_class", "blocks"), [
    ("app/views.py", "product", True), ("tests/test_views.py", "tests", False),
    ("docs/conf.py", "docs", False), ("examples/app.py", "examples", False),
    ("tests/fixtures/gen.py", "fixtures", False), ("vendor/lib/x.py", "vendored", False),
    ("static/app.min.js", "generated", False),
])
def test_outside_product_code_ordinary_findings_do_not_block(
        path: str, path_class: str, blocks: bool) -> None:
    verdict = judge([finding(path)])
    (found,) = verdict.findings
    assert (found.path_class, found.blocking) == (path_class, blocks)
    assert found.not_blocking == (None if blocks else f"in {path_class}")
    assert verdict.exit_code == (1 if blocks else 0)
    if not blocks:
        assert any(f"1 in {path_class}" in n and "do not block" in n for n in verdict.notices)


@pytest.mark.parametrize("tag", ["vendor-token", "credential-url", "vulnerability",
                                 "unclassified"])
def test_vendor_credentials_and_advisories_block_in_every_class(tag: str) -> None:
    paths = ["tests/test_x.py", "docs/x.md", "examples/a.py", "tests/data/r.txt",
             "vendor/x.py", "app.py"]
    verdict = judge([finding(p, rule="R", tags=(tag,), scanner="detect-secrets")
                     for p in paths])
    assert all(f.blocking and f.not_blocking is None for f in verdict.findings)
    assert verdict.exit_code == 1


def test_generic_tags_do_not_escape_the_class_policy() -> None:
    found = by_path(judge([finding("tests/a.py", tags=("generic-heuristic", "secret"))]))
    assert not found["tests/a.py"].blocking


def test_below_threshold_is_not_called_a_class_hold() -> None:
    low = finding("tests/a.py").replace(severity=Severity.LOW)
    (found,) = judge([low]).findings
    assert found.not_blocking is None and not found.blocking


def test_test_idioms_are_left_out_of_tests_and_counted() -> None:
    findings = [finding("tests/test_a.py", "B101", (TEST_IDIOM,)),
                finding("tests/test_b.py", "B101", (TEST_IDIOM,)),
                finding("tests/data/gen.py", "B311", (TEST_IDIOM,)),
                finding("app/a.py", "B101", (TEST_IDIOM,)),
                finding("tests/test_c.py", "B602")]
    verdict = judge(findings)
    assert sorted(f.location.path for f in verdict.findings) == ["app/a.py", "tests/test_c.py"]
    assert any(n.startswith("2 test idiom(s) not reported in tests (B101 x2)")
               for n in verdict.notices), verdict.notices
    assert any("1 test idiom(s) not reported in fixtures (B311 x1)" in n
               for n in verdict.notices)


def test_classes_override_block_and_test_idioms() -> None:
    raw = {"classes": {"tests": {"block": True, "test-idioms": True},
                       "product": {"block": False}}}
    found = by_path(judge([finding("tests/test_a.py", "B101", (TEST_IDIOM,)),
                           finding("tests/test_b.py"), finding("app.py")], raw))
    assert found["tests/test_a.py"].blocking and found["tests/test_b.py"].blocking
    assert not found["app.py"].blocking and found["app.py"].not_blocking == "in product"


def test_paths_decide_the_class_the_policy_sees() -> None:
    found = by_path(judge([finding("qa/check.py"), finding("tests/test_a.py")],
                          {"paths": {"tests": ["qa/"]}}))
    assert found["qa/check.py"].path_class == "tests" and not found["qa/check.py"].blocking
    assert found["tests/test_a.py"].blocking  # tests' defaults were replaced


@pytest.mark.parametrize(("raw", "where"), [
    ({"classes": {"test": {"block": True}}}, "classes.test"),
    ({"classes": {"tests": {"block": "yes"}}}, "classes.tests.block"),
    ({"classes": {"tests": {"blocks": True}}}, "classes.tests.blocks"),
    ({"classes": {"tests": {"parse-errors": "ignore"}}}, "classes.tests.parse-errors"),
    ({"classes": {"tests": True}}, "classes.tests"),
    ({"classes": ["tests"]}, "classes"),
])
def test_class_config_is_validated(raw: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(raw, "cfg.yml")
    assert where in str(caught.value)


def test_a_hostile_path_gets_a_class_and_reports_escape_it() -> None:
    verdict = judge([finding("tests/\x1b[31mx\n.py")])
    (found,) = verdict.findings
    assert found.path_class == "tests" and not found.blocking


def test_end_to_end_class_in_every_report(make_repo: Callable[..., Any],
                                          run_cli: Callable[..., CliResult],
                                          tmp_path: Path) -> None:
    repo = make_repo({
        "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n",
        "tests/test_run.py": "import subprocess\n\n\ndef test_go(c):\n"
                             "    assert c\n    subprocess.call(c, shell=True)\n",
    })
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--markdown",
                     str(tmp_path / "out.md"))
    assert result.code == 1
    report = result.json_report
    assert report is not None
    found = {(f["path"], f["rule"]): f for f in report["findings"]}
    assert ("tests/test_run.py", "B101") not in found
    shell = found[("tests/test_run.py", "B602")]
    assert (shell["class"], shell["blocking"], shell["not_blocking_reason"]) == (
        "tests", False, "in tests")
    assert found[("app/run.py", "B602")]["blocking"]
    assert "not blocking: in tests" in result.out
    assert "not blocking: in tests" in (tmp_path / "out.md").read_text()
    assert any("test idiom(s) not reported in tests (B101 x1)" in n for n in report["notices"])
