"""The pins scanner end to end: `secure-gate scan --scanners pins` on real repositories."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import hooks
from secure_gate.scanners import SCANNERS, get
from secure_gate.scanners.pins import PinsScanner, file_kind
from tests.conftest import FIXTURES, PROJECT
from tests.scanners.pins.helpers import places, scan

PINS = FIXTURES / "pins"


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its relative path."""
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def pins_findings(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted((f["rule"], f["path"], f["line"]) for f in report["findings"]
                  if f["scanner"] == "pins")


def test_done_when_each_unpinned_reference_is_reported_on_its_line_with_a_fix(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo(tree(PINS / "unpinned"))
    result = run_cli(repo.root, "scan", "--scanners", "pins")
    assert result.code == 0  # medium findings do not reach the default threshold (high)
    assert pins_findings(result.json_report) == [
        ("unpinned-action", ".github/workflows/ci.yml", 9),
        ("unpinned-image", "Dockerfile", 1),
        ("unpinned-requirement", "requirements.txt", 1),
    ]
    by_rule = {f["rule"]: f for f in result.json_report["findings"]}
    assert by_rule["unpinned-action"]["fix"] == "uses: actions/checkout@<40-hex commit sha> # v4"
    assert by_rule["unpinned-image"]["fix"] == "FROM python:3.12-slim@sha256:<digest>"
    assert by_rule["unpinned-requirement"]["fix"] == "requests==X.Y.Z --hash=sha256:<digest>"
    assert all(f["severity"] == "medium" for f in by_rule.values())
    assert ".github/workflows/ci.yml:9:15" in result.out
    assert "fix: FROM python:3.12-slim@sha256:<digest>" in result.out
    status = {s["name"]: s for s in result.json_report["scanners"]}["pins"]
    assert status["status"] == "ok" and status["findings"] == 3
    blocked = run_cli(repo.root, "scan", "--scanners", "pins", "--fail-on", "medium")
    assert blocked.code == 1


def test_done_when_pinned_equivalents_report_nothing(make_repo: Callable[..., Any],
                                                     run_cli: Callable[..., Any]) -> None:
    repo = make_repo(tree(PINS / "pinned"))
    result = run_cli(repo.root, "scan", "--scanners", "pins", "--fail-on", "info")
    assert result.code == 0, result.out
    assert pins_findings(result.json_report) == []


def test_the_demo_app_is_reported(tmp_path: Path, make_repo: Callable[..., Any],
                                  run_cli: Callable[..., Any]) -> None:
    demo = PROJECT / "examples" / "vulnerable-app"
    repo = make_repo(tree(demo))
    found = pins_findings(run_cli(repo.root, "scan", "--scanners", "pins").json_report)
    assert ("unpinned-action", ".github/workflows/ci.yml", 10) in found
    assert ("unpinned-image", "Dockerfile", 2) in found
    assert ("unpinned-pip-install", "Dockerfile", 6) in found
    if (demo / "requirements.txt").exists():
        lines = (demo / "requirements.txt").read_text().splitlines()
        loose = [n for n, text in enumerate(lines, 1) if ">=" in text]
        assert all(("unpinned-requirement", "requirements.txt", n) in found for n in loose)


@pytest.mark.parametrize(("path", "text"), [
    (".github/workflows/ci.yml", "on: push\njobs:\n  a:\n   steps:\n  - run: x\n"),
    ("Dockerfile", "FROM scratch\nRUN <<EOF\npip install x\n"),
    ("requirements.txt", "flask==3.0.3\n--no-such-option\n"),
    ("action.yml", b"runs:\n  image: \xff\n"),
], ids=["workflow", "dockerfile", "requirements", "not-utf8"])
def test_unreadable_files_fail_closed_naming_the_file(make_repo: Callable[..., Any],
                                                      run_cli: Callable[..., Any], path: str,
                                                      text: str | bytes) -> None:
    repo = make_repo({path: text, "Dockerfile.ok": "FROM python:3\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pins")
    assert result.code == 3
    status = {s["name"]: s for s in result.json_report["scanners"]}["pins"]
    assert status["status"] == "error" and path in status["message"]
    # The files that could be read are still reported.
    assert ("unpinned-image", "Dockerfile.ok", 1) in pins_findings(result.json_report)


def test_require_hashes_is_validated_and_applied(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": "django==2.2.0\n",
                      ".secure-gate.yml": "scanners:\n  pins:\n    require-hashes: yes-please\n"})
    bad = run_cli(repo.root, "scan", "--scanners", "pins")
    assert bad.code == 2 and "scanners.pins.require-hashes" in bad.err
    repo.write({".secure-gate.yml": "scanners:\n  pins:\n    require-hashes: true\n"})
    result = run_cli(repo.root, "scan", "--scanners", "pins", "--fail-on", "medium")
    assert result.code == 1
    (finding,) = result.json_report["findings"]
    assert (finding["rule"], finding["severity"]) == ("unhashed-requirement", "medium")


def test_fingerprints_survive_moved_lines(make_repo: Callable[..., Any],
                                         run_cli: Callable[..., Any]) -> None:
    repo = make_repo(tree(PINS / "unpinned"))
    before = run_cli(repo.root, "scan", "--scanners", "pins").json_report
    repo.write({"Dockerfile": "# a new comment\n\n" + (PINS / "unpinned/Dockerfile").read_text()})
    after = run_cli(repo.root, "scan", "--scanners", "pins").json_report
    assert {f["fingerprint"] for f in before["findings"]} == \
        {f["fingerprint"] for f in after["findings"]}
    assert ("unpinned-image", "Dockerfile", 3) in pins_findings(after)


def test_vendored_dockerfiles_are_named_not_checked(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {"vendor/lib/Dockerfile": "FROM python:3\n",
                              "third_party/x/Dockerfile": "FROM python:3\n",
                              "vendors/Dockerfile": "FROM python:3\n"})
    assert places(outcome) == [("vendors/Dockerfile", "unpinned-image", 1)]
    assert any("2 Dockerfile(s) in vendored code not checked" in n for n in outcome.notes)


@pytest.mark.parametrize(("path", "kind"), [
    (".github/workflows/ci.yml", "workflow"),
    (".github/workflows/release.yaml", "workflow"),
    ("sub/.github/workflows/ci.yml", None),  # GitHub runs only the root's workflows
    (".github/workflows/nested/ci.yml", None),
    (".github/dependabot.yml", None),
    ("action.yml", "action"),
    ("actions/build/action.yaml", "action"),
    ("my-action.yml", None),
    ("Dockerfile", "dockerfile"),
    ("docker/Dockerfile.prod", "dockerfile"),
    ("api.Dockerfile", "dockerfile"),
    ("Containerfile", "dockerfile"),
    ("Dockerfile-guide.md", None),
    ("requirements.txt", "requirements"),
    ("requirements-dev.txt", "requirements"),
    ("requirements/base.txt", "requirements"),
    ("requirements.md", None),
    ("pyproject.toml", "project"),
    ("svc/setup.py", "project"),
    ("setup.cfg", "project"),
    ("Pipfile", "project"),
    ("uv.lock", None),
    ("app.py", None),
    ("Dockerfile.odd\nname", "dockerfile"),
    (".github/workflows/ci.yml\n", None),
])
def test_files_by_name(path: str, kind: str | None) -> None:
    assert file_kind(path) == kind
    if kind is not None and "\n" not in path:
        # The pre-commit hook hands the scanner every file it would read.
        assert re.search(hooks.by_scanner()["pins"].files or "", path), path


def test_registered_with_contract_options() -> None:
    assert "pins" in SCANNERS and type(get("pins")) is PinsScanner
    assert set(PinsScanner.options) == {"require-hashes"}
    assert PinsScanner.options["require-hashes"].default is False
    assert getattr(PinsScanner, "diff_by_line", False) is True
