"""The policy: thresholds, overrides, the suppression ledger, baselines → exit code."""

from __future__ import annotations

import datetime as dt

from secure_gate import policy
from secure_gate.config import Config, LedgerEntry, RuleConfig
from secure_gate.model import (
    Confidence,
    Finding,
    Location,
    ScannerResult,
    Severity,
    Status,
    assign_fingerprints,
)

TODAY = dt.date(2026, 11, 29)
OK = ScannerResult("bandit", "1", Status.OK, None, 0.1)
BROKEN = ScannerResult("pins", "1", Status.ERROR, "could not parse x", 0.1)


def finding(rule: str = "B602", severity: Severity = Severity.HIGH,
            confidence: Confidence = Confidence.HIGH, path: str = "a.py", line: int = 1,
            evidence: str = "e", aliases: tuple[str, ...] = ()) -> Finding:
    return Finding.create(scanner="bandit", rule=rule, title=rule, severity=severity,
                          confidence=confidence, location=Location(path, line), message="m",
                          evidence=evidence, aliases=aliases)


def judge(findings: list[Finding], config: Config | None = None, **kw: object
          ) -> policy.Verdict:
    return policy.evaluate(assign_fingerprints(findings), [OK], config or Config(), today=TODAY,
                           **kw)  # type: ignore[arg-type]


def test_threshold_and_confidence_decide_blocking() -> None:
    verdict = judge([finding(severity=Severity.HIGH), finding(severity=Severity.MEDIUM,
                                                               evidence="2"),
                     finding(confidence=Confidence.LOW, evidence="3")])
    assert [f.blocking for f in verdict.findings] == [True, False, False]
    assert verdict.exit_code == 1 and not verdict.passed
    assert "1 blocking finding(s) at or above high" in verdict.reasons[0]


def test_fail_on_never_and_clean_pass() -> None:
    assert judge([finding()], Config(fail_on=None)).exit_code == 0
    assert judge([]).exit_code == 0


def test_scanner_error_fails_closed_unless_warn() -> None:
    closed = policy.evaluate([], [OK, BROKEN], Config(), today=TODAY)
    assert closed.exit_code == 3 and not closed.passed
    assert "scanner pins could not complete: could not parse x" in closed.reasons
    warned = policy.evaluate([], [BROKEN], Config(on_scanner_error="warn"), today=TODAY)
    assert warned.exit_code == 0 and warned.passed and warned.notices


def test_scanner_error_outranks_blocking_findings() -> None:
    found = assign_fingerprints([finding()])
    assert policy.evaluate(found, [BROKEN], Config(), today=TODAY).exit_code == 3


def test_rule_overrides_and_disables() -> None:
    config = Config(rules={"B602": RuleConfig(severity=Severity.LOW),
                           "B101": RuleConfig(enabled=False)})
    verdict = judge([finding(), finding(rule="B101")], config)
    assert [(f.rule, f.severity) for f in verdict.findings] == [("B602", Severity.LOW)]
    assert verdict.exit_code == 0
    assert "rule B101 is disabled in the config: 1 finding(s) dropped" in verdict.notices


def test_ledger_by_rule_and_path_glob() -> None:
    entry = LedgerEntry(reason="tests may shell out", rule="B602", path="tests/**",
                        owner="qa")
    verdict = judge([finding(path="tests/t.py"), finding(path="src/a.py")],
                    Config(suppressions=(entry,)))
    by_path = {f.location.path: f for f in verdict.findings}
    assert by_path["tests/t.py"].suppression is not None
    assert by_path["tests/t.py"].suppression.reason == "tests may shell out; owner qa"
    assert not by_path["tests/t.py"].blocking
    assert by_path["src/a.py"].blocking


def test_ledger_by_advisory_matches_aliases() -> None:
    entry = LedgerEntry(reason="unreachable", advisory="cve-2019-1234")
    verdict = judge([finding(rule="PYSEC-1", aliases=("CVE-2019-1234",))],
                    Config(suppressions=(entry,)))
    assert verdict.findings[0].suppressed and verdict.exit_code == 0


def test_ledger_by_fingerprint() -> None:
    target = assign_fingerprints([finding()])[0]
    entry = LedgerEntry(reason="accepted", fingerprint=target.fingerprint)
    assert judge([finding()], Config(suppressions=(entry,))).exit_code == 0


def test_expired_entries_stop_suppressing_and_unused_ones_are_reported() -> None:
    expired = LedgerEntry(reason="temporary", rule="B602", expires=dt.date(2026, 11, 28),
                          index=0)
    future = LedgerEntry(reason="later", rule="B999", expires=dt.date(2026, 11, 29), index=1)
    verdict = judge([finding()], Config(suppressions=(expired, future)))
    assert verdict.exit_code == 1
    assert any("expired on 2026-11-28" in n for n in verdict.notices)
    assert any("suppressions[1] (rule B999) matched nothing" in n for n in verdict.notices)


def test_baseline_counts_are_respected() -> None:
    same = [finding(path="a.py", line=n, evidence="dup") for n in (1, 5, 9)]
    fingerprints = [f.fingerprint for f in assign_fingerprints(same)]
    baseline = {fingerprints[0]: 1, fingerprints[1]: 1}
    verdict = judge(same, baseline=baseline)
    assert sum(f.suppressed for f in verdict.findings) == 2
    assert sum(f.blocking for f in verdict.findings) == 1
