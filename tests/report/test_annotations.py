"""Annotations: only our commands, exact paths, the runner's budget, and raw text fenced off."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence, Finding, Report, Severity, Suppression
from secure_gate.report.annotations import (
    AnnotationOptions,
    new_stop_token,
    render_annotations,
    wrap_raw,
)
from secure_gate.report.escape import terminal
from secure_gate.report.sarif_rules import result_level
from tests.report import samples
from tests.report import workflow_commands as wc

LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _read(report: Report, options: AnnotationOptions | None = None) -> wc.Stream:
    stream = wc.read(render_annotations(report, options))
    # Every line is one of our annotation commands: nothing plain, nothing else.
    assert stream.plain == [] and stream.problems == []
    assert stream.unexpected({"error", "warning", "notice"}) == []
    return stream


def test_every_hostile_finding_is_annotated_exactly() -> None:
    report = samples.hostile()
    options = AnnotationOptions(per_level=1000)
    stream = _read(report, options)
    findings = [f for f in report.findings if not f.suppressed]
    annotated = [a for a in stream.annotations() if a.get("file") is not None]
    assert len(annotated) == len(findings)
    for command, finding in zip(annotated, findings, strict=True):
        loc = finding.location
        assert command.get("file") == loc.path  # the real file, byte for byte
        assert command.get("line") == str(loc.line)
        assert command.name == LEVEL[result_level(finding)]
        assert command.get("title") == (
            f"{terminal(finding.scanner, limit=60)} {terminal(finding.rule, limit=100)}: "
            f"{terminal(finding.title, limit=200)}").rstrip()
        first = command.data.split("\n")[0]
        assert first == terminal(finding.message, limit=1500)
        assert len(command.data) < 4096  # the runner cuts longer messages


def test_known_lines() -> None:
    made = samples.finding("bandit", "B602", Severity.HIGH, "app/a,b:c.py", 5, column=3,
                           end_column=9, blocking=True, title="shell: true",
                           message="50% sure\nsecond line", new=True, new_reason="added")
    assert render_annotations(samples.report([made])) == (
        "::error file=app/a%2Cb%3Ac.py,line=5,endLine=5,col=3,endColumn=9,"
        "title=bandit B602%3A shell%3A true::50%25 sure\\nsecond line%0A"
        "severity high, confidence high, blocking, new: added\n")


@pytest.mark.parametrize(("line", "end_line", "column", "end_column", "expected"), [
    (5, None, 3, 9, {"line": "5", "endLine": "5", "col": "3", "endColumn": "9"}),
    (5, 8, 3, 9, {"line": "5", "endLine": "8"}),
    (5, 5, 9, 3, {"line": "5", "endLine": "5", "col": "9"}),
    (None, None, 3, 9, {}),
])
def test_positions_only_as_the_runner_keeps_them(
        line: int | None, end_line: int | None, column: int | None, end_column: int | None,
        expected: dict[str, str]) -> None:
    made = samples.finding("pins", "r", Severity.MEDIUM, "a.py", line, end_line=end_line,
                           column=column, end_column=end_column)
    (command,) = _read(samples.report([made])).annotations()
    positions = {k: v for k, v in command.properties.items() if k not in ("file", "title")}
    assert positions == expected


def test_budget_prefers_blocking_severe_new_and_confident() -> None:
    def warn(path: str, severity: Severity, new: bool | None, confidence: Confidence
             ) -> Finding:
        return samples.finding("bandit", "B1", severity, path, 1, new=new,
                               confidence=confidence)
    findings = [warn(f"low{i}.py", Severity.MEDIUM, None, Confidence.LOW) for i in range(5)]
    findings += [warn(f"old{i}.py", Severity.HIGH, False, Confidence.HIGH) for i in range(5)]
    findings += [warn(f"new{i}.py", Severity.HIGH, True, Confidence.MEDIUM) for i in range(3)]
    findings += [warn(f"conf{i}.py", Severity.MEDIUM, None, Confidence.HIGH) for i in range(2)]
    stream = _read(samples.report(findings, fail_on=None), AnnotationOptions(per_level=9))
    warnings = [c.get("file") or "" for c in stream.annotations() if c.name == "warning"]
    assert len(warnings) == 9
    chosen = set(warnings)
    assert {f"new{i}.py" for i in range(3)} | {f"old{i}.py" for i in range(5)} <= chosen
    assert len(chosen & {"conf0.py", "conf1.py"}) == 1 and not any(p.startswith("low")
                                                                   for p in chosen)
    report = samples.report(findings, fail_on=None)
    order = [f.location.path for f in report.findings]
    assert warnings == sorted(warnings, key=order.index)  # printed in the report's order
    (notice,) = [c for c in stream.annotations() if c.name == "notice"]
    assert notice.data.startswith("6 more findings not annotated here")


def test_each_level_within_budget_and_the_overflow_notice_fits() -> None:
    findings = [samples.finding("pins", f"r{i}", Severity.LOW, f"n{i}.py", i + 1)
                for i in range(15)]
    findings += [samples.finding("bandit", "B1", Severity.HIGH, f"e{i}.py", 1, blocking=True)
                 for i in range(12)]
    stream = _read(samples.report(findings, errors={"pip-audit": "boom"}))
    counts = {level: [c for c in stream.annotations() if c.name == level]
              for level in ("error", "warning", "notice")}
    assert len(counts["error"]) == 10 and len(counts["notice"]) == 10
    assert counts["error"][0].get("file") is None  # the scanner error comes first
    assert counts["error"][0].get("title") == "secure-gate: pip-audit did not complete"
    overflow = counts["notice"][-1]
    assert overflow.get("file") is None and overflow.data.startswith("9 more findings")
    assert "job summary and the SARIF report" in overflow.data


def test_suppressed_findings_are_never_annotated() -> None:
    stream = _read(samples.suppressed())
    assert [c.get("file") for c in stream.annotations()] == ["app/check.py"]


def test_nothing_to_say_prints_nothing() -> None:
    assert render_annotations(samples.empty()) == ""


def test_path_prefix() -> None:
    made = samples.finding("bandit", "B1", Severity.LOW, "a.py")
    (command,) = _read(samples.report([made]),
                       AnnotationOptions(path_prefix="sub/dir/")).annotations()
    assert command.get("file") == "sub/dir/a.py"


def test_budget_must_allow_one() -> None:
    with pytest.raises(ValueError, match="per_level"):
        AnnotationOptions(per_level=0)


def test_wrap_raw_fences_off_every_hostile_line() -> None:
    raw = "\n".join(samples.hostile_strings()) + "\n::error::last"
    token = new_stop_token()
    stream = wc.read(wrap_raw(raw, token) + "::notice::after\n")
    assert [c.name for c in stream.commands] == ["stop-commands", token, "notice"]
    assert stream.stopped == wc.split_lines(raw)
    assert stream.problems == [] and stream.near_misses == []


def test_wrap_raw_refuses_weak_or_leaked_tokens() -> None:
    for token in ("", "short", "error", "pause-logging", "has space", "a:b:c:d:e"):
        with pytest.raises(ValueError, match="stop token"):
            wrap_raw("x", token)
    token = new_stop_token()
    with pytest.raises(ValueError, match="contains the stop token"):
        wrap_raw(f"before ::{token.upper()}:: after", token)


def test_stop_tokens_are_fresh_and_masked() -> None:
    tokens = {new_stop_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) > 6 for t in tokens)
    assert wrap_raw("", "abcdefgh") == "::stop-commands::abcdefgh\n::abcdefgh::\n"
    assert wrap_raw("x\r", "abcdefgh") == "::stop-commands::abcdefgh\nx\r::abcdefgh::\n"


def test_levels_match_sarif() -> None:
    report = samples.every_severity()
    stream = _read(report)
    by_path = {c.get("file"): c.name for c in stream.annotations()}
    for finding in report.findings:
        assert by_path[finding.location.path] == LEVEL[result_level(finding)]


def test_a_suppressed_finding_is_never_an_error() -> None:
    made = samples.finding("bandit", "B1", Severity.CRITICAL, "a.py",
                           suppression=Suppression("baseline", "accepted"))
    assert result_level(made) == "warning"
