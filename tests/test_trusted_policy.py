"""A change cannot relax the policy that judges it: config, ledger and baseline come from base."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from secure_gate.model import PolicyChange
from secure_gate.report.annotations import render_annotations
from secure_gate.report.markdown import render_markdown
from secure_gate.report.text import render_text
from tests.conftest import Repo
from tests.report import samples

SAFE = "def go(c):\n    return c\n"
SHELL = "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n"
BASE_CONFIG = "fail-on: high\n"

# Each of these, written by the change itself, let the change that adds a shell=True call
# pass on the day the issue was filed.
RELAXATIONS: dict[str, tuple[dict[str, str], str]] = {
    "fail-on-critical": ({".secure-gate.yml": "fail-on: critical\n"}, "fail-on high → critical"),
    "fail-on-never": ({".secure-gate.yml": "fail-on: never\n"}, "fail-on high → never"),
    "scanner-disabled": ({".secure-gate.yml": "scanners:\n  bandit: false\n"},
                         "scanners.bandit.enabled true → false"),
    "exclude": ({".secure-gate.yml": "exclude: [app.py]\n"}, "exclude: + app.py"),
    "max-file-size": ({".secure-gate.yml": "max-file-size: 1\n"},
                      "max-file-size 5242880 → 1"),
    "rule-disabled": ({".secure-gate.yml": "rules:\n  B602: {enabled: false}\n"},
                      "rules.B602.enabled true → false"),
    "confidence-and-downgrade": (
        {".secure-gate.yml": "min-confidence: high\nrules:\n  B602: {severity: low}\n"},
        "min-confidence medium → high"),
    "scanner-error-warn": (
        {".secure-gate.yml": "on-scanner-error: warn\nscanners:\n  bandit: {timeout: 0.001}\n"},
        "on-scanner-error fail → warn"),
    "ledger": ({".secure-gate.yml": "suppressions:\n  - rule: B602\n    reason: trust me\n"},
               "suppressions[0]: + rule B602 (trust me)"),
    "pyproject-table": ({".secure-gate.yml": None,  # type: ignore[dict-item]
                         "pyproject.toml": '[tool.secure-gate]\nfail-on = "never"\n'},
                        "fail-on high → never"),
}


def _pr(make_repo: Callable[..., Repo], edits: dict[str, str | None]) -> tuple[Repo, str]:
    repo = make_repo({"app.py": SAFE, ".secure-gate.yml": BASE_CONFIG})
    base = repo.git("rev-parse", "HEAD").strip()
    for name, text in edits.items():
        if text is None:
            (repo.root / name).unlink()
        else:
            repo.write({name: text})
    repo.write({"app.py": SHELL})
    repo.commit("the change under review")
    return repo, base


@pytest.mark.parametrize("name", sorted(RELAXATIONS))
def test_a_change_cannot_relax_the_policy_that_judges_it(
        name: str, make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    edits, described = RELAXATIONS[name]
    repo, base = _pr(make_repo, edits)
    # --scanners would override a scanner switched off in the config: not for that case.
    only = () if name == "scanner-disabled" else ("--scanners", "bandit")
    result = run_cli(repo.root, "scan", *only, "--diff-base", base)
    assert result.code == 1, result.out
    report = result.json_report
    assert [f["rule"] for f in report["findings"] if f["blocking"]] == ["B602"]
    assert report["policy_source"] == f"the base commit {base[:12]}"
    shown = [c for c in report["policy_changes"] if c["effect"] == "relaxes"]
    assert shown, report["policy_changes"]
    assert described in result.out
    assert "this change relaxes the policy" in result.out
    assert "takes effect after merge" in result.out


def test_the_same_change_judged_by_its_own_policy_passes_when_asked(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo, base = _pr(make_repo, {".secure-gate.yml": "fail-on: never\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--diff-base", base,
                     "--policy-from", "head")
    assert result.code == 0
    assert result.json_report["policy_source"] == "the working tree (policy-from: head)"
    assert "in effect for this run (policy-from: head)" in result.out


def test_a_baseline_the_change_writes_itself_is_not_trusted(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo, base = _pr(make_repo, {})
    # The contributor accepts their own finding in a new baseline and points the config at it.
    assert run_cli(repo.root, "baseline", "--scanners", "bandit", "-o", "bl.json").code == 0
    repo.write({".secure-gate.yml": BASE_CONFIG + "baseline: bl.json\n"})
    repo.commit("accept my finding")
    assert run_cli(repo.root, "scan", "--scanners", "bandit").code == 0  # head policy: passes
    for flags in ((), ("--baseline", "bl.json")):
        result = run_cli(repo.root, "scan", "--scanners", "bandit", "--diff-base", base, *flags)
        assert result.code == 1, result.out
        notices = " ".join(result.json_report["notices"])
        # The base's config names no baseline; a --baseline flag names one the base lacks.
        assert ("baseline bl.json is not in the base commit" in notices) == bool(flags)
        keys = [c["key"] for c in result.json_report["policy_changes"]]
        assert "baseline bl.json" in keys


def test_a_baseline_from_the_base_is_used_and_growing_it_is_reported(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app.py": SHELL, ".secure-gate.yml": BASE_CONFIG})
    assert run_cli(repo.root, "baseline", "--scanners", "bandit", "-o", "bl.json").code == 0
    repo.write({".secure-gate.yml": BASE_CONFIG + "baseline: bl.json\n"})
    base = repo.commit("accepted")
    repo.write({"app.py": SHELL + "\n\ndef again(c):\n    subprocess.call(c, shell=True)\n"})
    assert run_cli(repo.root, "baseline", "--scanners", "bandit", "-o", "bl.json").code == 0
    repo.commit("accept the new one too")
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--diff-base", base)
    assert result.code == 1
    blocking = [f for f in result.json_report["findings"] if f["blocking"]]
    assert [f["line"] for f in blocking] == [9]
    change = next(c for c in result.json_report["policy_changes"] if c["key"] == "baseline bl.json")
    assert (change["effect"], change["after"]) == ("relaxes", "accepts 1 more finding(s)")


def test_policy_changes_are_in_every_report_with_the_config_line(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Any) -> None:
    repo, base = _pr(make_repo, {".secure-gate.yml": "# relaxed\nmin-confidence: medium\n"
                                                    "fail-on: critical\n"})
    md = tmp_path / "summary.md"
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--diff-base", base,
                     "--markdown", str(md))
    change = result.json_report["policy_changes"][0]
    assert change == {"key": "fail-on", "before": "high", "after": "critical",
                      "effect": "relaxes", "path": ".secure-gate.yml", "line": 3}
    summary = md.read_text(encoding="utf-8")
    assert "### ⚠️ Policy changes" in summary
    plain = summary.replace("\\", "")  # markdown escapes ':' and '-'
    assert "this change relaxes the policy: fail-on high → critical; takes effect after merge" \
        in plain
    assert "<code>.secure-gate.yml:3</code>" in plain


def test_policy_change_annotation_and_hostile_values_are_escaped() -> None:
    change = PolicyChange("exclude", "", "::error::x\n%0A##[y]<b>", "relaxes",
                          ".secure-gate.yml", 4)
    report = replace(samples.empty(), policy_changes=(change,),
                     policy_source="the base commit abc")
    lines = render_annotations(report).splitlines()
    warning = next(line for line in lines if line.startswith("::warning "))
    assert warning.startswith("::warning file=.secure-gate.yml,line=4,endLine=4,title=")
    assert "exclude: + ::error::x%0A%250A##[y]" not in warning  # terminal() escapes first
    assert not any(line.lstrip().startswith("::error::x") for line in lines)
    assert all("##[" not in line for line in lines)
    text = render_text(report)
    assert "relaxes: exclude: + ::error::x" in text and "\n%0A" not in text
    summary = render_markdown(report)
    assert "<b>" not in summary


def test_an_invalid_head_config_is_reported_not_obeyed(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo, base = _pr(make_repo, {".secure-gate.yml": "fail-on: whenever\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--diff-base", base)
    assert result.code == 1
    assert any("this change's config is invalid" in n for n in result.json_report["notices"])


def test_plain_scans_read_the_work_tree(make_repo: Callable[..., Repo],
                                        run_cli: Callable[..., Any]) -> None:
    repo, _ = _pr(make_repo, {".secure-gate.yml": "fail-on: never\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert result.code == 0
    assert result.json_report["policy_source"] == "the working tree"
    assert result.json_report["policy_changes"] == []


def test_policy_from_base_needs_a_base(make_repo: Callable[..., Repo],
                                       run_cli: Callable[..., Any]) -> None:
    repo, _ = _pr(make_repo, {})
    result = run_cli(repo.root, "scan", "--policy-from", "base")
    assert result.code == 2
    assert "needs a base commit" in result.err
