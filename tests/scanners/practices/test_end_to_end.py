"""`secure-gate scan --scanners practices` on the sample: its violations, in every output."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_gate import engine
from secure_gate.report import escape
from secure_gate.report.annotations import render_annotations
from secure_gate.report.json import render_json
from secure_gate.report.markdown import render_markdown
from secure_gate.report.sarif import render_sarif
from secure_gate.report.text import render_text
from secure_gate.request import ScanRequest
from tests.conftest import PROJECT
from tests.report.sarif_checks import github_problems, validate_schema

SAMPLE = PROJECT / "examples" / "practices-sample"
# The sample's README table, as (rule, path, line): one violation of each rule (templates:
# one in Python, one in a template).
EXPECTED = sorted([
    ("container-runs-as-root", "Dockerfile", 2),
    ("debug-in-settings", "shop/settings.py", 9),
    ("env-file-committed", ".env", None),
    ("env-file-not-ignored", ".gitignore", None),
    ("error-details-exposed", "shop/views.py", 20),
    ("secret-logged", "shop/accounts.py", 15),
    ("weak-password-hash", "shop/accounts.py", 22),
    ("workflow-permissions", ".github/workflows/ci.yml", 2),
    ("sql-string-built", "shop/search.py", 11),
    ("template-unescaped", "shop/search.py", 21),
    ("template-unescaped", "shop/templates/shop/review.html", 2),
    ("html-string-built", "shop/pages.py", 11),
    ("template-injection", "shop/pages.py", 18),
], key=lambda e: (e[0], e[1]))


def sample_repo(make_repo: Callable[..., Any]) -> Any:
    """The sample committed as a repository of its own (so nothing outside it counts)."""
    tree = {str(p.relative_to(SAMPLE)): p.read_bytes() for p in SAMPLE.rglob("*") if p.is_file()}
    return make_repo(tree)


def found(report: dict[str, Any]) -> list[tuple[str, str, int | None]]:
    return sorted(((f["rule"], f["path"], f["line"]) for f in report["findings"]
                   if f["scanner"] == "practices"), key=lambda e: (e[0], e[1]))


def test_the_sample_reports_exactly_its_violations_each_on_its_line(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = sample_repo(make_repo)
    sarif, markdown = tmp_path / "out.sarif", tmp_path / "out.md"
    result = run_cli(repo.root, "scan", "--scanners", "practices", "--sarif", str(sarif),
                     "--markdown", str(markdown))
    assert result.json_report is not None
    assert found(result.json_report) == EXPECTED
    # The high rules block at the default threshold.
    assert result.code == 1
    blocking = {f["rule"] for f in result.json_report["findings"] if f["blocking"]}
    assert blocking == {"env-file-committed", "weak-password-hash", "sql-string-built",
                        "template-unescaped", "html-string-built", "template-injection"}
    scanner = next(s for s in result.json_report["scanners"] if s["name"] == "practices")
    assert scanner["status"] == "ok" and scanner["findings"] == len(EXPECTED)
    # Every output names every finding at its place.
    sarif_results = [r for run_ in json.loads(sarif.read_text())["runs"]
                     for r in run_["results"]]
    sarif_places = sorted((r["ruleId"],
                           r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                           r["locations"][0]["physicalLocation"].get("region", {})
                           .get("startLine")) for r in sarif_results)
    # SARIF puts a file-level finding on line 1 (GitHub shows a result only with a line).
    assert sarif_places == sorted(((r, p, line or 1) for r, p, line in EXPECTED))
    text, md = result.out, markdown.read_text()
    for rule, path, line in EXPECTED:
        where = f"{path}:{line}" if line else path
        assert re.search(rf" {re.escape(where)}(:\d+)?  practices {rule}  ", text), where
        assert escape.markdown(rule) in md and escape.markdown(where) in md


def test_annotations_carry_every_finding(make_repo: Callable[..., Any],
                                         monkeypatch: Any) -> None:
    repo = sample_repo(make_repo)
    monkeypatch.chdir(repo.root)
    report = engine.scan(ScanRequest(root=repo.root, scanners=("practices",)))
    commands = render_annotations(report).splitlines()
    for rule, path, line in EXPECTED:
        where = f"file={escape.command_property(path)}"
        assert any(where in c and (line is None or f"line={line}," in c)
                   and escape.command_property(rule) in c for c in commands), (rule, path)
    # The renderers all read the same report: none drops a practices finding.
    md = render_markdown(report)
    assert all(escape.markdown(rule) in md for rule, _, _ in EXPECTED)
    for rendered in (render_text(report), render_json(report), render_sarif(report)):
        assert all(rule in rendered for rule, _, _ in EXPECTED)


def test_the_sample_sarif_is_valid(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                   tmp_path: Path, shared_dir: Path) -> None:
    repo = sample_repo(make_repo)
    out = tmp_path / "out.sarif"
    run_cli(repo.root, "scan", "--scanners", "practices", "--sarif", str(out))
    validate_schema(json.loads(out.read_text()), shared_dir)
    assert github_problems(out.read_text()) == []


def test_suppression_config_and_rule_overrides_work_through_the_cli(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = sample_repo(make_repo)
    first = run_cli(repo.root, "scan", "--scanners", "practices")
    hash_print = next(f["fingerprint"] for f in first.json_report["findings"]
                      if f["rule"] == "weak-password-hash")
    repo.write({".secure-gate.yml": (
        "suppressions:\n"
        "  - rule: container-runs-as-root\n    path: Dockerfile\n"
        "    reason: GitHub runs Docker actions as root\n"
        "  - rule: env-file-committed\n    path: .env\n"
        "    reason: holds no credentials, only the settings module\n"
        f"  - fingerprint: {hash_print}\n    reason: legacy hashes, migration in #12\n"
        "rules:\n  debug-in-settings: {enabled: false}\n"
        "  secret-logged: {severity: high}\n")})
    result = run_cli(repo.root, "scan", "--scanners", "practices")
    by_rule = {f["rule"]: f for f in result.json_report["findings"]}
    assert "debug-in-settings" not in by_rule
    for rule in ("container-runs-as-root", "env-file-committed", "weak-password-hash"):
        assert by_rule[rule]["suppressed"] and not by_rule[rule]["blocking"]
    assert by_rule["secret-logged"]["severity"] == "high" and by_rule["secret-logged"]["blocking"]
    assert result.code == 1
    assert "rule debug-in-settings is disabled in the config" in result.out


def test_diff_mode_blocks_only_what_is_new(make_repo: Callable[..., Any],
                                           run_cli: Callable[..., Any]) -> None:
    repo = sample_repo(make_repo)
    unchanged = run_cli(repo.root, "scan", "--scanners", "practices", "--diff-base", "HEAD")
    assert unchanged.code == 0
    assert all(f["new"] is False for f in unchanged.json_report["findings"])
    accounts = repo.root / "shop" / "accounts.py"
    accounts.write_text(accounts.read_text() + "\n\ndef again(passwd):\n"
                        "    return hashlib.sha512(passwd.encode()).digest()\n")
    changed = run_cli(repo.root, "scan", "--scanners", "practices", "--diff-base", "HEAD")
    new = [(f["rule"], f["line"]) for f in changed.json_report["findings"] if f["new"]]
    assert new == [("weak-password-hash", 27)]
    assert changed.code == 1


def test_a_pre_commit_run_on_staged_files(make_repo: Callable[..., Any],
                                          run_cli: Callable[..., Any]) -> None:
    repo = sample_repo(make_repo)
    result = run_cli(repo.root, "hook", "--scanners", "practices", "--", "shop/views.py",
                     ".env")
    assert result.code == 1  # .env is high
    assert "env-file-committed" in result.out and "error-details-exposed" in result.out
    assert "secret-logged" not in result.out  # accounts.py was not staged
