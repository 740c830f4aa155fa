"""`secure-gate scan` on the labelled fixture: every attack blocks, on its line, in every output."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_gate.report import escape
from tests.report.sarif_checks import github_problems, validate_schema
from tests.scanners.workflows.helpers import fixture_tree, labels

SCANNERS = "workflows,pins,practices"


def _repo(make_repo: Callable[..., Any]) -> Any:
    return make_repo(fixture_tree())


def test_each_labelled_attack_is_a_blocking_high_finding_on_its_line(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = _repo(make_repo)
    result = run_cli(repo.root, "scan", "--scanners", SCANNERS)
    assert result.code == 1
    report = result.json_report
    by_place = {(f["path"], f["line"], f["rule"]): f for f in report["findings"]}
    for attack in labels()["attacks"]:
        finding = by_place.get((attack["path"], attack["line"], attack["rule"]))
        assert finding is not None, attack["attack"]
        assert finding["scanner"] == "workflows"
        assert finding["severity"] == "high" and finding["blocking"], attack["attack"]
    # Nothing else blocks: every blocking finding is a labelled attack.
    blocking = {(f["path"], f["line"], f["rule"]) for f in report["findings"] if f["blocking"]}
    assert blocking == {(a["path"], a["line"], a["rule"]) for a in labels()["attacks"]}
    statuses = {s["name"]: s["status"] for s in report["scanners"]}
    assert statuses["workflows"] == "ok"


def test_a_tag_pinned_action_is_exactly_one_finding(make_repo: Callable[..., Any],
                                                    run_cli: Callable[..., Any]) -> None:
    repo = _repo(make_repo)
    report = run_cli(repo.root, "scan", "--scanners", SCANNERS).json_report
    expected = labels()["tag_pinned"]
    on_it = [f for f in report["findings"] if f["path"] == expected["path"]]
    assert [(f["scanner"], f["rule"], f["line"]) for f in on_it] == [
        ("pins", expected["rule"], expected["line"])]
    (finding,) = on_it
    assert finding["aliases"] == ["workflows/unpinned-uses"]
    assert finding["severity"] == "medium" and not finding["blocking"]
    alone = run_cli(repo.root, "scan", "--scanners", "pins").json_report
    same = [f for f in alone["findings"] if f["path"] == expected["path"]]
    assert [f["fingerprint"] for f in same] == [finding["fingerprint"]]


def test_an_ignore_comment_silences_like_nosec_counted_and_shown(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = _repo(make_repo)
    result = run_cli(repo.root, "scan", "--scanners", "workflows")
    ignored = labels()["ignored"]
    silenced = [f for f in result.json_report["findings"] if f["path"] == ignored["path"]]
    assert [(f["suppressed"], f["blocking"]) for f in silenced] == [(True, False)]
    assert silenced[0]["suppression"]["kind"] == "inline"
    assert "zizmor: ignore" in silenced[0]["suppression"]["reason"]
    assert "1 result(s) silenced by `# zizmor: ignore[...]` comments" in result.out


def test_a_workflow_without_permissions_is_one_finding_with_practices(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    workflow = ("name: ci\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: echo a\n  b:\n    runs-on: ubuntu-latest\n"
                "    permissions: write-all\n    steps:\n      - run: echo b\n"
                "  c:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo c\n")
    repo = make_repo({".github/workflows/ci.yml": workflow})
    report = run_cli(repo.root, "scan", "--scanners", SCANNERS).json_report
    found = sorted((f["scanner"], f["rule"], f["line"], tuple(f["aliases"]))
                   for f in report["findings"])
    assert found == [("practices", "workflow-permissions", 2,
                      ("workflows/excessive-permissions",)),
                     ("practices", "workflow-permissions", 10,
                      ("workflows/excessive-permissions",))]
    write_all = next(f for f in report["findings"] if f["line"] == 10)
    # zizmor rates write-all high: merging keeps the worse severity, so the verdict holds.
    assert write_all["severity"] == "high" and write_all["blocking"]


def test_every_output_carries_the_attacks_and_the_sarif_is_valid(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path,
        shared_dir: Path) -> None:
    repo = _repo(make_repo)
    sarif, markdown = tmp_path / "out.sarif", tmp_path / "out.md"
    result = run_cli(repo.root, "scan", "--scanners", SCANNERS, "--sarif", str(sarif),
                     "--markdown", str(markdown))
    log = json.loads(sarif.read_text())
    validate_schema(log, shared_dir)
    assert github_problems(sarif.read_text()) == []
    rules = {r["id"]: r for run_ in log["runs"] for r in run_["tool"]["driver"]["rules"]}
    injection = rules["template-injection"]
    assert "environment variable" in injection["help"]["text"]
    assert injection["helpUri"] == "https://docs.zizmor.sh/audits/#template-injection"
    assert injection["properties"]["security-severity"] == "8.0"
    md = markdown.read_text()
    for attack in labels()["attacks"]:
        assert f"{attack['path']}:{attack['line']}" in result.out
        assert escape.markdown(attack["rule"]) in md


def test_unpinned_images_are_one_finding_each_with_the_persona_from_the_config(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    workflow = ("name: c\non: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                "    container:\n      image: node:18\n    services:\n      db:\n"
                "        image: postgres:16\n    steps:\n      - uses: docker://alpine:3.20\n")
    repo = make_repo({".github/workflows/c.yml": workflow,
                      ".secure-gate.yml": "scanners:\n  workflows:\n    persona: pedantic\n"})
    report = run_cli(repo.root, "scan", "--scanners", SCANNERS).json_report
    images = sorted((f["scanner"], f["rule"], f["line"], tuple(f["aliases"]))
                    for f in report["findings"] if "image" in f["rule"] or "uses" in f["rule"])
    assert images == [("pins", "unpinned-image", line, ("workflows/unpinned-images",))
                      for line in (8, 11, 13)]


def test_an_ignore_comment_the_change_adds_is_listed_and_blocks_when_asked(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    clean = ("name: ci\non: issues\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
             "    steps:\n      - run: echo hi\n")
    repo = make_repo({".github/workflows/ci.yml": clean,
                      ".secure-gate.yml": "new-inline-suppressions: block\n"})
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo.root, capture_output=True,
                          text=True, check=True).stdout.strip()
    injected = clean.replace(
        "echo hi", 'echo "${{ github.event.issue.title }}"  # zizmor: ignore[template-injection]')
    repo.write({".github/workflows/ci.yml": injected})
    subprocess.run(["git", "commit", "-qam", "ignore it"], cwd=repo.root, check=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t",
                        "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t"})
    result = run_cli(repo.root, "scan", "--scanners", "workflows", "--diff-base", base)
    (finding,) = [f for f in result.json_report["findings"] if f["rule"] == "template-injection"]
    assert finding["blocking"] and not finding["suppressed"]
    assert result.code == 1
