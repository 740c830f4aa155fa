"""Findings that scanners declare the same problem are reported once, as the other's finding."""

from __future__ import annotations

from secure_gate.duplicates import merge
from secure_gate.model import Confidence, Finding, Location, ScannerResult, Severity, Status

SAME_AS = {"engine": {"loose-ref": (("checker", "unpinned"), ("checker", "unpinned-image")),
                      "broad": (("habits", "permissions"),)}}


def _finding(scanner: str, rule: str, line: int, *, end: int | None = None, path: str = "w.yml",
             message: str = "short", severity: Severity = Severity.MEDIUM,
             confidence: Confidence = Confidence.MEDIUM, fix: str | None = None) -> Finding:
    return Finding.create(scanner=scanner, rule=rule, title=rule, severity=severity,
                          confidence=confidence, location=Location(path, line, end),
                          message=message, evidence=f"{rule}{line}", fix=fix,
                          tags=(scanner,)).replace(fingerprint=f"{scanner}-{rule}-{line}")


def _result(name: str, *findings: Finding) -> ScannerResult:
    return ScannerResult(name, "1", Status.OK, None, 0.1, findings=findings)


def test_the_same_problem_on_the_same_line_is_one_finding_of_the_other_scanner() -> None:
    ours = _finding("checker", "unpinned", 10, message="a much longer, richer message")
    theirs = _finding("engine", "loose-ref", 10, severity=Severity.HIGH,
                      confidence=Confidence.HIGH, fix="pin it")
    other_line = _finding("engine", "loose-ref", 12)
    checker, engine = merge([_result("checker", ours), _result("engine", theirs, other_line)],
                            SAME_AS)
    (kept,) = checker.findings
    assert kept.fingerprint == ours.fingerprint and kept.rule == "unpinned"
    assert kept.message == "a much longer, richer message"
    assert (kept.severity, kept.confidence) == (Severity.HIGH, Confidence.HIGH)
    assert kept.fix == "pin it" and kept.aliases == ("engine/loose-ref",)
    assert kept.tags == ("checker", "engine")
    assert engine.findings == (other_line,)
    assert any("reported once" in note for note in engine.notes)
    assert checker.notes == ()


def test_the_richer_message_wins_whichever_side_it_is_on() -> None:
    ours = _finding("checker", "unpinned", 3, message="short")
    theirs = _finding("engine", "loose-ref", 3, message="the longer one of the two")
    (checker, _engine) = merge([_result("checker", ours), _result("engine", theirs)], SAME_AS)
    assert checker.findings[0].message == "the longer one of the two"


def test_a_second_target_rule_is_tried_and_the_span_may_hold_the_other_line() -> None:
    image = _finding("checker", "unpinned-image", 7)
    habit = _finding("habits", "permissions", 2)
    wide = _finding("engine", "broad", 1, end=30)
    loose = _finding("engine", "loose-ref", 7)
    checker, habits, engine = merge(
        [_result("checker", image), _result("habits", habit), _result("engine", wide, loose)],
        SAME_AS)
    assert engine.findings == ()
    assert checker.findings[0].aliases == ("engine/loose-ref",)
    assert habits.findings[0].aliases == ("engine/broad",)


def test_other_files_other_rules_and_undeclared_pairs_are_left_alone() -> None:
    ours = _finding("checker", "unpinned", 5, path="a.yml")
    elsewhere = _finding("engine", "loose-ref", 5, path="b.yml")
    unrelated = _finding("engine", "template-injection", 5, path="a.yml")
    reverse = _finding("habits", "permissions", 5, path="a.yml")
    results = [_result("checker", ours), _result("engine", elsewhere, unrelated),
               _result("habits", reverse)]
    assert merge(results, SAME_AS) == tuple(results)


def test_without_the_other_scanner_the_finding_stays_as_it_is() -> None:
    theirs = _finding("engine", "loose-ref", 10)
    (engine,) = merge([_result("engine", theirs)], SAME_AS)
    assert engine.findings == (theirs,)
