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


def test_new_findings_are_chosen_before_more_severe_old_ones() -> None:
    old = [samples.finding("bandit", "B1", Severity.CRITICAL, f"old{i}.py", 1, blocking=True,
                           new=False) for i in range(12)]
    new = samples.finding("bandit", "B2", Severity.LOW, "new.py", 1, blocking=True, new=True)
    stream = _read(samples.report([*old, new]))
    errors = [c.get("file") for c in stream.annotations() if c.name == "error"]
    assert len(errors) == 10 and "new.py" in errors


def test_only_findings_on_changed_lines_or_in_changed_files_are_annotated() -> None:
    on_line = samples.finding("bandit", "B602", Severity.HIGH, "app/run.py", 5, end_line=6,
                              blocking=True, new=True)
    off_line = samples.finding("bandit", "B602", Severity.HIGH, "app/run.py", 40)
    whole_file = samples.finding("pins", "missing-lockfile", Severity.INFO, "pyproject.toml",
                                 None)
    untouched = samples.finding("bandit", "B311", Severity.LOW, "app/util.py", 9)
    untouched_file = samples.finding("pins", "missing-lockfile", Severity.INFO,
                                     "sub/pyproject.toml", None)
    report = samples.report([on_line, off_line, whole_file, untouched, untouched_file])
    changed = {"app/run.py": frozenset({6, 7}), "pyproject.toml": frozenset()}
    stream = _read(report, AnnotationOptions(changed=changed))
    shown = [(c.get("file"), c.get("line")) for c in stream.annotations() if c.get("file")]
    assert shown == [("app/run.py", "5"), ("pyproject.toml", None)]
    (notice,) = [c for c in stream.annotations() if c.get("file") is None]
    assert "3 findings on lines this pull request did not change" in notice.data
    # Without a diff (a push, or annotations: all) every finding is annotated.
    assert len([c for c in _read(report).annotations() if c.get("file")]) == 5


def _advisories(count: int) -> list[Finding]:
    fixes = ["2.20.0", "2.9.1", None, "2.31.0", "2.32.4", "2.3.0"]
    return [samples.finding("pip-audit", f"GHSA-{i:04d}", Severity.CRITICAL if i == 5
                            else Severity.HIGH, "requirements.txt", 4, blocking=i % 2 == 0,
                            new=True, fixed_in=fixes[i % len(fixes)],
                            tags=("security", "dependency", "vulnerability"),
                            message="requests 2.19.0 is affected by an advisory.")
            for i in range(count)]


def test_every_advisory_of_one_pin_is_one_annotation_naming_the_fix_for_all() -> None:
    other = samples.finding("pip-audit", "PYSEC-1", Severity.HIGH, "requirements.txt", 9,
                            tags=("security", "dependency", "vulnerability"), fixed_in="1.0")
    stream = _read(samples.report([*_advisories(28), other]))
    annotated = [c for c in stream.annotations() if c.get("file")]
    assert [(c.get("file"), c.get("line")) for c in annotated] == [
        ("requirements.txt", "4"), ("requirements.txt", "9")]
    pin = annotated[0]
    assert pin.name == "error"  # the worst of its advisories: some are blocking
    assert pin.get("title") == ("pip-audit: 28 known vulnerabilities in this pin; upgrade "
                                "to 2.32.4")
    assert "GHSA-0005 (critical)" in pin.data and "and 8 more." in pin.data
    assert ("Fix: upgrade to 2.32.4, the lowest version that fixes all 23 with a known fix "
            "(5 have none).") in pin.data
    assert (annotated[1].get("title") or "").startswith("pip-audit PYSEC-1")  # one: unfolded
    assert len(pin.data) < 4096


def test_folded_pins_count_their_advisories_in_the_overflow_notice() -> None:
    findings = [f.replace(location=f.location.__class__("requirements.txt", line))
                for line in range(1, 13) for f in _advisories(2)[:1]]
    findings = [f.replace(rule=f"GHSA-{i}") for i, f in enumerate(findings)]
    findings += [f.replace(rule=f"GHSA-x{i}") for i, f in enumerate(findings)]
    stream = _read(samples.report(findings))
    errors = [c for c in stream.annotations() if c.name == "error"]
    assert len(errors) == 10 and all("2 known vulnerabilities" in (c.get("title") or "")
                                     for c in errors)
    (notice,) = [c for c in stream.annotations() if c.name == "notice"]
    assert notice.data.startswith("4 more findings not annotated here")
