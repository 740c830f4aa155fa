"""The workflows scanner with the real zizmor: equivalence, hermetic runs, bad files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from secure_gate import files
from secure_gate.scanners.workflows import WorkflowsScanner, file_kind, zizmor_run
from tests.scanners.workflows.helpers import fixture_tree, places, scan

INJECTION = """\
name: t
on: issues
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""


def _zizmor_own(root: Path, *extra: str) -> list[tuple[str, int, str]]:
    """What zizmor itself reports on ``root`` (its own collection, ignores honoured)."""
    exe = zizmor_run.binary()
    assert exe is not None
    done = subprocess.run([str(exe), "--offline", "--no-config", "--format", "json", *extra,
                           "."], cwd=root, capture_output=True, check=False, timeout=120)
    assert done.returncode in zizmor_run.FINDINGS_EXIT, done.stderr
    out = []
    for finding in json.loads(done.stdout):
        primary = next(loc for loc in finding["locations"]
                       if loc["symbolic"]["kind"] == "Primary")
        path = primary["symbolic"]["key"]["Local"]["verbatim_path"].removeprefix("./")
        out.append((path, primary["concrete"]["location"]["start_point"]["row"] + 1,
                    finding["ident"]))
    return sorted(out)


def test_the_gate_finds_exactly_what_zizmor_finds_on_the_fixture(tmp_path: Path) -> None:
    outcome = scan(tmp_path, fixture_tree())
    assert outcome.errors == []
    assert places(outcome) == _zizmor_own(tmp_path)
    # What zizmor's ignore comments silence is still there, suppressed inline (like nosec).
    everything = _zizmor_own(tmp_path, "--no-ignores")
    assert places(outcome, suppressed=True) == sorted(
        set(everything) - set(_zizmor_own(tmp_path)))
    assert len(outcome.findings) == 21 and outcome.stats["zizmor_ignore"] == 1


def test_equivalence_holds_for_the_pedantic_persona_too(tmp_path: Path) -> None:
    outcome = scan(tmp_path, fixture_tree(), {"persona": "pedantic"})
    assert places(outcome) == _zizmor_own(tmp_path, "--persona", "pedantic")
    assert len(outcome.findings) > 20


def test_what_it_selects() -> None:
    assert file_kind(".github/workflows/ci.yml") == "workflow"
    assert file_kind(".github/workflows/ci.yaml") == "workflow"
    assert file_kind(".github/workflows/action.yml") == "workflow"
    assert file_kind("actions/x/action.yaml") == "action"
    assert file_kind("action.yml") == "action"
    assert file_kind(".github/dependabot.yml") == "dependabot"
    # GitHub runs only the root's workflows and reads only the root's Dependabot config.
    for other in (".github/workflows/sub/x.yml", ".github/ci.yml", "dependabot.yml",
                  "my-action.yml", ".github/workflows/readme.md",
                  "sub/.github/workflows/ci.yml", "sub/.github/dependabot.yml"):
        assert file_kind(other) is None


def test_repository_configuration_never_changes_the_audit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = "rules:\n  template-injection:\n    disable: true\n"
    # zizmor looks in the repository's .github/ and root, and in parent folders; the
    # environment can name one too.
    tree = {".github/workflows/t.yml": INJECTION, ".github/zizmor.yml": off,
            "zizmor.yml": off, "../zizmor.yml": off}
    monkeypatch.setenv("ZIZMOR_CONFIG", str(tmp_path / "zizmor.yml"))
    outcome = scan(tmp_path / "repo", tree)
    assert places(outcome) == [(".github/workflows/t.yml", 8, "template-injection")]


def test_an_invalid_workflow_is_an_error_naming_it_and_the_others_still_count(
        tmp_path: Path) -> None:
    outcome = scan(tmp_path, {".github/workflows/t.yml": INJECTION,
                              ".github/workflows/broken.yml": "on: push\njobs: [\n"})
    assert places(outcome) == [(".github/workflows/t.yml", 8, "template-injection")]
    assert len(outcome.errors) == 1
    assert outcome.errors[0].startswith(".github/workflows/broken.yml: zizmor failed (exit 1)")
    assert outcome.failed_paths == {".github/workflows/broken.yml"}


def test_a_workflow_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {".github/workflows/t.yml": b"on: push\n# \xff\xfe\n"})
    assert outcome.findings == []
    assert outcome.errors == ["workflows: .github/workflows/t.yml is not UTF-8 text, so it "
                              "cannot be checked"]


def test_hostile_file_names_reach_the_report_and_never_zizmor(tmp_path: Path) -> None:
    name = ".github/workflows/--help %0A::error::x ##[y].yml"
    outcome = scan(tmp_path, {name: INJECTION})
    assert places(outcome) == [(name, 8, "template-injection")]


def test_an_empty_selection_runs_nothing(tmp_path: Path) -> None:
    fileset = files.collect(tmp_path)
    assert WorkflowsScanner().select(fileset, {}) == ()


def test_the_hook_pattern_and_the_selection_agree() -> None:
    import re

    from secure_gate.scanners.workflows import WorkflowsScanner

    pattern = re.compile(WorkflowsScanner.hook.files or "")
    for path in (".github/workflows/ci.yml", "sub/.github/workflows/ci.yaml", "action.yml",
                 "actions/x/action.yaml", ".github/dependabot.yml", ".github/ci.yml",
                 ".github/workflows/sub/x.yml", "dependabot.yml", "my-action.yml",
                 "x/.github/dependabot.yaml", ".github/workflows/a.md"):
        assert bool(pattern.search(path)) == (file_kind(path) is not None), path


def test_an_unreadable_action_in_test_data_is_a_notice_not_a_failure(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {".github/workflows/t.yml": INJECTION,
                              "tests/fixtures/bad/action.yml": "name: x\n",
                              "src/broken/action.yml": "name: x\n"})
    assert places(outcome) == [(".github/workflows/t.yml", 8, "template-injection")]
    assert [e.split(":")[0] for e in outcome.errors] == ["src/broken/action.yml"]
    assert any(n.startswith("tests/fixtures/bad/action.yml: zizmor failed") and
               n.endswith("(test data, not checked: a notice, not a failure)")
               for n in outcome.notes)


def test_an_alias_bomb_is_refused_quickly_and_fails_closed_naming_the_file(
        tmp_path: Path) -> None:
    levels = "abcdefghi"
    bomb = "".join(f"  {n}: &{n} [" + ",".join(['"lol"'] * 9 if i == 0 else
                                                [f"*{levels[i - 1]}"] * 9) + "]\n"
                   for i, n in enumerate(levels))
    workflow = (f"x-bomb:\n{bomb}on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: x\n"
                "    env:\n      B: *i\n    steps:\n      - run: echo hi\n")
    outcome = scan(tmp_path, {".github/workflows/ci.yml": workflow})
    assert outcome.findings == []
    (error,) = outcome.errors
    assert error.startswith(".github/workflows/ci.yml: zizmor failed (exit 1)")
    assert "repetition limit exceeded" in error and "backtrace" not in error
