"""One report, every channel: the same findings in the same order, each channel safe."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from secure_gate import cli
from secure_gate.model import Report
from secure_gate.report.annotations import (
    AnnotationOptions,
    new_stop_token,
    render_annotations,
    wrap_raw,
)
from secure_gate.report.escape import is_printable
from secure_gate.report.json import render_json
from secure_gate.report.markdown import render_markdown
from secure_gate.report.sarif import FINGERPRINT_KEY, render_sarif
from secure_gate.report.text import location, render_text
from tests import secrets_corpus as fake
from tests.conftest import Repo
from tests.report import samples
from tests.report import workflow_commands as wc
from tests.report.sarif_checks import github_problems, validate_schema
from tests.report.test_markdown import OUR_TAGS, _html

EDGE_DB = Path(__file__).resolve().parents[1] / "fixtures" / "osv" / "edge"
ANNOTATIONS = {"error", "warning", "notice"}


def _text_is_safe(text: str) -> None:
    stream = wc.read(text)
    assert stream.commands == [] and stream.near_misses == []
    assert all(is_printable(line) for line in stream.lines)


def _annotations_are_exact(report: Report) -> None:
    stream = wc.read(render_annotations(report, AnnotationOptions(per_level=10_000)))
    assert stream.plain == [] and stream.unexpected(ANNOTATIONS) == []
    files = [c.get("file") for c in stream.annotations() if c.get("file") is not None]
    assert files == [f.location.path for f in report.findings if not f.suppressed]


def _every_channel_is_safe(report: Report, shared: Path) -> None:
    _text_is_safe(render_text(report))
    logged = wc.read(wrap_raw(render_text(report), new_stop_token()))
    assert [c.name for c in logged.commands][:1] == ["stop-commands"]
    assert len(logged.commands) == 2 and logged.problems == []

    data = json.loads(render_json(report))
    assert [f["fingerprint"] for f in data["findings"]] == [f.fingerprint for f in
                                                            report.findings]
    assert [f["path"] for f in data["findings"]] == [f.location.path for f in report.findings]

    sarif = render_sarif(report)
    validate_schema(json.loads(sarif), shared)
    assert github_problems(sarif) == []

    page = _html(render_markdown(report))
    assert {tag for tag, _ in page.tags} <= OUR_TAGS

    _annotations_are_exact(report)
    for text in (render_text(report), render_json(report), sarif, render_markdown(report),
                 render_annotations(report)):
        assert not fake.leaked(text)


def test_a_hostile_report_is_safe_in_every_channel(shared_dir: Path) -> None:
    _every_channel_is_safe(samples.hostile(), shared_dir)


def test_every_channel_lists_the_same_findings_in_the_same_order() -> None:
    report = samples.hostile()
    order = [f.fingerprint for f in report.findings]
    by_section = [f.fingerprint for f in sorted(report.findings, key=lambda f: (
        0 if f.blocking else 1 if f.new else 2, -f.severity))]
    # Text and markdown list blocking, then new, then the rest by severity, keeping the
    # report's order inside each section (no two hostile findings share a rule and folder).
    text = render_text(report)
    at = {f.fingerprint: text.index(f" {location(f)}  ") for f in report.findings}
    assert sorted(order, key=at.__getitem__) == by_section
    json_order = [f["fingerprint"] for f in json.loads(render_json(report))["findings"]]
    assert json_order == order
    for run in json.loads(render_sarif(report))["runs"]:  # one run per scanner
        scanner = run["tool"]["driver"]["name"].removeprefix("secure-gate/")
        assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]] == [
            f.fingerprint for f in report.findings if f.scanner == scanner]
    annotated = [c.get("file") for c in wc.read(render_annotations(
        report, AnnotationOptions(per_level=10_000))).annotations() if c.get("file")]
    assert annotated == [f.location.path for f in report.findings if not f.suppressed]


HOSTILE_NAMES = ["::error::x", "##[warning]y", "per%0Acent", "new\nline", "comma,colon:",
                 "<b>html</b>", "[link](x)", "@octocat", "\u202eevil", " spaced "]


@pytest.fixture
def hostile_repo(make_repo: Callable[..., Repo]) -> Repo:
    """Findings from every scanner, in files and folders with hostile names."""
    files: dict[str, str | bytes] = {}
    for i, name in enumerate(HOSTILE_NAMES):
        files[f"h{i}/{name}.py"] = ("import subprocess\n\n\ndef go(c):\n"
                                    "    subprocess.Popen(c, shell=True)\n")
    files[f"{HOSTILE_NAMES[0]}/settings.py"] = f'GITHUB_TOKEN = "{fake.GITHUB_TOKEN}"\n'
    files[f"{HOSTILE_NAMES[1]}/requirements.txt"] = "versions-only==2.1\n"
    files[".github/workflows/ci.yml"] = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n")
    return make_repo(files)


@pytest.mark.slow
def test_a_real_scan_of_hostile_file_names_through_every_channel(
        hostile_repo: Repo, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, shared_dir: Path) -> None:
    reports: list[Report] = []
    real_scan = cli.run_scan

    def keep(args: Any) -> Report:
        reports.append(real_scan(args))
        return reports[-1]

    monkeypatch.setattr(cli, "run_scan", keep)
    sarif, summary = tmp_path / "gate.sarif", tmp_path / "gate.md"
    result = run_cli(hostile_repo.root, "scan", "--advisory-db", str(EDGE_DB), "--no-cache",
                     "--sarif", str(sarif), "--markdown", str(summary))
    assert result.code == 1, result.out + result.err
    (report,) = reports
    assert {s.status.value for s in report.scanners} == {"ok"}
    assert {f.scanner for f in report.findings} >= {"bandit", "detect-secrets", "pip-audit",
                                                     "pins"}
    paths = {f.location.path for f in report.findings}
    assert {f"h{i}/{name}.py" for i, name in enumerate(HOSTILE_NAMES)} <= paths
    assert "secure-gate: " not in result.err  # nothing had to be cut
    # The files the CLI wrote are exactly what the pure renderers make of the report.
    assert sarif.read_text(encoding="utf-8") == render_sarif(report)
    assert summary.read_text(encoding="utf-8") == render_markdown(report)
    log = json.loads(sarif.read_text(encoding="utf-8"))
    uris = {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for run in log["runs"] for r in run["results"]}
    assert uris == paths
    _text_is_safe(result.out)
    _every_channel_is_safe(report, shared_dir)


def test_the_cli_says_what_a_report_file_had_to_leave_out(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from secure_gate.report import sarif as sarif_module

    small = sarif_module.SarifLimits(results_per_run=1)
    monkeypatch.setattr(sarif_module, "SarifLimits", lambda: small)
    repo = make_repo({"a.py": "import subprocess\nsubprocess.call('x', shell=True)\n"
                              "subprocess.call('y', shell=True)\n"})
    out = tmp_path / "gate.sarif"
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--sarif", str(out))
    found = len(result.json_report["findings"])
    assert found > 1
    (run,) = json.loads(out.read_text())["runs"]
    assert len(run["results"]) == 1
    assert f"secure-gate: SARIF truncated: {found - 1} results left out" in result.err
