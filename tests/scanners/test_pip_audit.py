"""pip-audit adapter, pure parts: run planning, recorded JSON, findings and severities."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from secure_gate import _subprocess
from secure_gate.advisories.db import AdvisoryDB
from secure_gate.errors import ScannerError
from secure_gate.manifests.model import Dependency
from secure_gate.model import Severity
from secure_gate.scanners.pip_audit import findings, runs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EDGE_DB = FIXTURES / "osv" / "edge"


def pin(name: str, version: str) -> runs.Pin:
    return name, Version(version)


EDGE_PINS = [pin("edge-pkg", "1.4rc1"), pin("versions-only", "2.1"), pin("pre-post", "3.0.0rc1"),
             pin("aliased-pkg", "1.0"), pin("labelled", "1.0"), pin("clean-pkg", "1.0")]


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / "pip_audit" / name).read_text(encoding="utf-8"))


def test_plan_splits_duplicate_pins_into_the_fewest_runs() -> None:
    pins = [pin("a", "1.0"), pin("b", "2.0"), pin("a", "1.1"), pin("a", "1.0.0"),
            pin("a", "0.9"), pin("b", "2.0"), pin("c", "3")]
    plan = runs.plan(pins)
    assert plan == [[pin("a", "0.9"), pin("b", "2.0"), pin("c", "3")],
                    [pin("a", "1.0")], [pin("a", "1.1")]]
    flat = [p for batch in plan for p in batch]
    assert len(flat) == len(set(flat)) == 5  # 1.0 and 1.0.0 are one PEP 440 version
    for batch in plan:
        names = [n for n, _ in batch]
        assert len(names) == len(set(names))
    assert runs.plan([]) == []


def test_parse_recorded_offline_report() -> None:
    audit = runs.parse_report(recorded("offline_edge.json"), EDGE_PINS)
    assert audit.skipped == {}
    ids = {p: [v.id for v in vulns] for p, vulns in audit.vulns.items()}
    assert ids == {
        pin("edge-pkg", "1.4rc1"): ["SGTEST-LAST-1"],
        pin("versions-only", "2.1"): ["SGTEST-VERSIONS-1"],
        pin("pre-post", "3.0.0rc1"): ["SGTEST-PRE-1"],
        # pip-audit reports the aliased GHSA/PYSEC pair twice under one id: merged here.
        pin("aliased-pkg", "1.0"): ["PYSEC-TEST-1"],
        pin("labelled", "1.0"): ["SGTEST-LABEL-1", "SGTEST-V4-1"],
        pin("clean-pkg", "1.0"): [],
    }
    merged = audit.vulns[pin("aliased-pkg", "1.0")][0]
    assert set(merged.aliases) == {"GHSA-test-aaaa-bbbb", "CVE-2099-0001"}
    assert set(merged.fix_versions) == {"1.1", "1.2"}


def test_parse_recorded_skips() -> None:
    asked = [pin("django", "2.2.0"), pin("requests", "2.19.0"), pin("notapkg-xyz", "1.0")]
    audit = runs.parse_report(recorded("pypi_not_found.json"), asked)
    assert audit.vulns == {}
    assert audit.skipped[pin("django", "2.2.0")].startswith("Dependency not found on PyPI")
    assert len(audit.skipped) == 3


@pytest.mark.parametrize(("document", "problem"), [
    ([], "no 'dependencies' list"),
    ({"dependencies": [{"version": "1"}]}, "without a name"),
    ({"dependencies": [{"name": "other", "version": "1", "vulns": []}]}, "not asked about"),
    ({"dependencies": [{"name": "a", "version": "2", "vulns": []}]}, "asked about 1"),
    ({"dependencies": [{"name": "a", "version": "x y", "vulns": []}]}, "not PEP 440"),
    ({"dependencies": [{"name": "a", "version": "1"}]}, "no 'vulns' list"),
    ({"dependencies": [{"name": "a", "version": "1", "vulns": [{}]}]}, "without an id"),
    ({"dependencies": [{"name": "a", "version": "1", "vulns": [{"id": "X", "aliases": "Y"}]}]},
     "aliases is not a list"),
    ({"dependencies": []}, "no result for a 1"),
])
def test_parse_refuses_surprises(document: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        runs.parse_report(document, [pin("a", "1")])


def completed(code: int, stderr: bytes = b"") -> _subprocess.Completed:
    return _subprocess.Completed(("pip-audit",), code, b"", stderr)


SERVICE = runs.Service(("-s", "osv"), "the OSV service at http://127.0.0.1:9/v1/query")


def test_exit_one_without_a_report_is_an_error_naming_the_service(tmp_path: Path) -> None:
    err = b"Traceback ...\nrequests.exceptions.ConnectionError: Connection refused\n"
    with pytest.raises(ScannerError) as caught:
        runs._read_report(tmp_path / "missing.json", completed(1, err), [pin("a", "1")],
                          SERVICE)
    message = str(caught.value)
    assert "http://127.0.0.1:9/v1/query" in message and "exit 1" in message
    assert message.endswith("requests.exceptions.ConnectionError: Connection refused")


@pytest.mark.parametrize(("code", "vulns", "problem"), [
    (1, [], "exited 1 but its report lists no vulnerabilities"),
    (0, [{"id": "X"}], "exited 0 but its report lists vulnerabilities"),
    (2, [], "exited 2"),
])
def test_exit_code_and_report_must_agree(tmp_path: Path, code: int, vulns: list[Any],
                                         problem: str) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": [{"name": "a", "version": "1",
                                                    "vulns": vulns}]}))
    with pytest.raises(ScannerError, match=problem):
        runs._read_report(report, completed(code), [pin("a", "1")], SERVICE)


def test_unparsable_report(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("{")
    with pytest.raises(ScannerError, match="no JSON report"):
        runs._read_report(report, completed(1), [pin("a", "1")], SERVICE)
    report.write_text("{}")
    with pytest.raises(ScannerError, match="not usable: no 'dependencies' list"):
        runs._read_report(report, completed(0), [pin("a", "1")], SERVICE)


def dep(name: str, version: str, line: int, path: str = "requirements.txt") -> Dependency:
    return Dependency(path, line, line, name, version, f"{name}=={version}")


EDGE_DEPS = [dep("edge-pkg", "1.4rc1", 1), dep("versions-only", "2.1", 2),
             dep("pre-post", "3.0.0rc1", 3), dep("aliased-pkg", "1.0", 4),
             dep("labelled", "1.0", 5), dep("clean-pkg", "1.0", 6),
             dep("aliased-pkg", "1.0", 9, "svc/requirements.txt")]


def test_findings_offline_take_severity_and_fixes_from_the_database() -> None:
    audit = runs.parse_report(recorded("offline_edge.json"), EDGE_PINS)
    db = AdvisoryDB.load(EDGE_DB)
    built = findings.build(EDGE_DEPS, audit, db)
    got = {(f.rule, f.location.path, f.location.line): f for f in built}
    assert sorted(got) == [
        ("PYSEC-TEST-1", "requirements.txt", 4), ("PYSEC-TEST-1", "svc/requirements.txt", 9),
        ("SGTEST-LABEL-1", "requirements.txt", 5), ("SGTEST-LAST-1", "requirements.txt", 1),
        ("SGTEST-PRE-1", "requirements.txt", 3), ("SGTEST-V4-1", "requirements.txt", 5),
        ("SGTEST-VERSIONS-1", "requirements.txt", 2)]
    aliased = got[("PYSEC-TEST-1", "requirements.txt", 4)]
    assert aliased.severity is Severity.CRITICAL  # from the GHSA twin's CVSS vector
    assert aliased.aliases == ("CVE-2099-0001", "GHSA-test-aaaa-bbbb")
    assert aliased.fix == "upgrade aliased-pkg to 1.1 or later"
    assert "fixed in 1.1, 1.2" in aliased.message
    assert aliased.help_uri == "https://osv.dev/vulnerability/PYSEC-TEST-1"
    # The same pin in two manifests: two findings, one fingerprint evidence.
    assert aliased.evidence == got[("PYSEC-TEST-1", "svc/requirements.txt", 9)].evidence
    assert got[("SGTEST-LABEL-1", "requirements.txt", 5)].severity is Severity.MEDIUM
    assert got[("SGTEST-V4-1", "requirements.txt", 5)].severity is Severity.MEDIUM  # v4 4.6
    assert got[("SGTEST-PRE-1", "requirements.txt", 3)].severity is Severity.LOW
    assert got[("SGTEST-PRE-1", "requirements.txt", 3)].fix == (
        "upgrade pre-post to 3.0.0rc2 or later")
    last = got[("SGTEST-LAST-1", "requirements.txt", 1)]
    assert (last.severity, last.fix) == (Severity.HIGH, None)
    assert "no fixed version is known" in last.message
    assert "[severity: none given, high by default]" in last.message
    assert all(f.scanner == "pip-audit" and "\n" not in f.message for f in built)


def test_findings_online_are_high() -> None:
    audit = runs.parse_report(recorded("offline_edge.json"), EDGE_PINS)
    built = findings.build(EDGE_DEPS, audit, None)
    assert {f.severity for f in built} == {Severity.HIGH}
    aliased = next(f for f in built if f.rule == "PYSEC-TEST-1")
    assert "fixed in 1.1, 1.2" in aliased.message  # pip-audit's own fix versions


def test_advisory_urls_are_encoded() -> None:
    assert findings.advisory_url("GHSA-abcd-1234") == "https://osv.dev/vulnerability/GHSA-abcd-1234"
    assert findings.advisory_url("../x?y=1 z") == "https://osv.dev/vulnerability/..%2Fx%3Fy%3D1%20z"


def test_grouped_notes() -> None:
    assert findings.grouped("t", []) == []
    items = [f"i{n}" for n in range(10)]
    assert findings.grouped("t", items) == ["t (10): i0; i1; i2; i3; i4; i5; i6; i7; and 2 more"]
