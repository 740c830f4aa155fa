"""Model invariants: ordering, evidence hashing, fingerprints that survive line moves."""

from __future__ import annotations

import pytest

from secure_gate.model import (
    Confidence,
    Finding,
    Location,
    Severity,
    assign_fingerprints,
)


def make(path: str = "a.py", line: int = 1, evidence: str = "x = eval(y)", rule: str = "B307",
         scanner: str = "bandit") -> Finding:
    return Finding.create(scanner=scanner, rule=rule, title="t", severity=Severity.MEDIUM,
                          confidence=Confidence.HIGH, location=Location(path, line, line),
                          message="m", evidence=evidence)


def test_severity_and_confidence_are_ordered_and_parse_labels() -> None:
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO
    assert Confidence.HIGH > Confidence.MEDIUM > Confidence.LOW
    assert Severity.parse("High") is Severity.HIGH
    assert Confidence.parse("low") is Confidence.LOW
    with pytest.raises(ValueError, match="allowed: critical, high, medium, low, info"):
        Severity.parse("severe")


def test_location_rejects_absolute_paths_and_zero_based_positions() -> None:
    with pytest.raises(ValueError):
        Location("/etc/passwd")
    with pytest.raises(ValueError):
        Location("a.py", line=0)
    assert Location("a.py", 5, 3).end_line == 5


def test_findings_are_frozen_and_hold_no_evidence_text() -> None:
    finding = make(evidence="AKIAIOSFODNN7EXAMPLE")
    assert "AKIA" not in repr(finding)
    with pytest.raises(AttributeError):
        finding.rule = "other"  # type: ignore[misc]


def test_fingerprint_survives_line_moves_and_whitespace() -> None:
    before = assign_fingerprints([make(line=3, evidence="x = eval(y)")])[0]
    after = assign_fingerprints([make(line=40, evidence="    x  =  eval(y)")])[0]
    assert before.fingerprint == after.fingerprint
    assert len(before.fingerprint) == 32


def test_fingerprint_changes_with_rule_path_or_evidence() -> None:
    base = assign_fingerprints([make()])[0].fingerprint
    assert assign_fingerprints([make(rule="B102")])[0].fingerprint != base
    assert assign_fingerprints([make(path="b.py")])[0].fingerprint != base
    assert assign_fingerprints([make(evidence="eval(z)")])[0].fingerprint != base


def test_identical_evidence_in_one_file_gets_occurrence_indexes() -> None:
    found = assign_fingerprints([make(line=10), make(line=2)])
    assert len({f.fingerprint for f in found}) == 2
    # Adding an unrelated line above both keeps the pair of fingerprints the same.
    moved = assign_fingerprints([make(line=11), make(line=3)])
    assert {f.fingerprint for f in found} == {f.fingerprint for f in moved}


def test_sort_key_puts_blocking_and_worst_first() -> None:
    low = make().replace(severity=Severity.LOW)
    high = make(path="z.py").replace(severity=Severity.HIGH)
    blocking_low = make(path="y.py").replace(severity=Severity.LOW, blocking=True)
    ordered = sorted([low, high, blocking_low], key=Finding.sort_key)
    assert ordered == [blocking_low, high, low]
