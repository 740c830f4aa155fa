"""Inputs become exactly the CLI's options, and the Action scans what the CLI would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from secure_gate import cli
from secure_gate.github.context import Event, GitHubContext, read_context
from secure_gate.github.inputs import Inputs
from secure_gate.github.scan import diff_base, policy_source, scan_report, scan_request
from tests.conftest import Repo


class Notes:
    def __init__(self) -> None:
        self.said: list[str] = []

    def notice(self, message: str, *, title: str | None = None) -> None:
        self.said.append(message)


def test_inputs_become_the_request_the_cli_would_build(tmp_path: Path) -> None:
    inputs = Inputs(workspace=tmp_path, path=tmp_path / "src", fail_on="medium",
                    min_confidence="low", scanners=("bandit",), config="-odd.yml",
                    baseline=str(tmp_path / "b.json"), jobs=2, no_cache=True,
                    cache_dir=str(tmp_path / "c"), history="all")
    request = scan_request(inputs, "-base")
    assert (request.config_file, request.diff_base, request.fail_on,
            request.min_confidence) == ("-odd.yml", "-base", "medium", "low")
    assert (request.scanners, request.jobs, request.cache_dir, request.paths) == (
        ("bandit",), 2, None, (str(tmp_path / "src"),))
    assert request.root == tmp_path and request.baseline == str(tmp_path / "b.json")
    args = cli.build_parser().parse_args(
        ["scan", "--config=-odd.yml", "--diff-base=-base", "--fail-on=medium",
         "--min-confidence=low", "--scanners=bandit", f"--baseline={tmp_path / 'b.json'}",
         "--jobs=2", "--no-cache", "--history=all", "--", str(tmp_path / "src")])
    assert cli.scan_request(args, tmp_path) == request


def test_the_whole_workspace_is_no_restriction(tmp_path: Path) -> None:
    assert scan_request(Inputs(workspace=tmp_path, path=tmp_path, no_cache=True),
                        None).paths == ()


def test_diff_base_auto() -> None:
    notes = Notes()
    pr = Event("pull_request", pr_number=3, base_sha="b" * 40, head_sha="c" * 40)
    push = Event("push", before="d" * 40)
    assert diff_base("auto", pr, notes) == "b" * 40
    assert diff_base("auto", push, notes) == "d" * 40
    assert diff_base("main", pr, notes) == "main"
    assert diff_base(None, pr, notes) is None
    assert not notes.said
    assert diff_base("auto", Event("workflow_dispatch"), notes) is None
    assert "workflow_dispatch" in notes.said[0]


def test_scan_report_scans_the_workspace_from_anywhere(
        make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"app/run.py": "import subprocess\nsubprocess.Popen(x, shell=True)\n",
                      "lib/ok.py": "x = 1\n"})
    ctx = read_context({"GITHUB_WORKSPACE": str(repo.root), "INPUT_SCANNERS": "bandit",
                        "INPUT_PATH": "app"})
    before = Path.cwd()
    report = scan_report(ctx, Notes())
    assert Path.cwd() == before  # the working directory is restored
    assert report.exit_code == 1
    assert {f.location.path for f in report.findings} == {"app/run.py"}


def _pull_request(repo: Repo, tmp_path: Path, base: str, **inputs: str) -> GitHubContext:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {
        "number": 7, "base": {"sha": base, "repo": {"full_name": "o/r"}},
        "head": {"sha": repo.git("rev-parse", "HEAD").strip(), "repo": {"full_name": "o/r"}}}}),
        encoding="utf-8")
    return read_context({"GITHUB_WORKSPACE": str(repo.root), "GITHUB_EVENT_NAME": "pull_request",
                         "GITHUB_EVENT_PATH": str(event), "INPUT_SCANNERS": "bandit",
                         **{f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()}})


def test_a_pull_request_is_judged_by_its_base_policy_even_without_diff_base(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({"app.py": "x = 1\n", ".secure-gate.yml": "fail-on: high\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"app.py": "import subprocess\nsubprocess.call(x, shell=True)\n",
                ".secure-gate.yml": "fail-on: never\n"})
    repo.commit("relax and add")
    report = scan_report(_pull_request(repo, tmp_path, base), Notes())
    assert report.exit_code == 1
    assert report.policy_source == f"the base commit {base[:12]}"
    assert [c.describe() for c in report.policy_changes] == ["fail-on high → never"]
    # The team may choose the change's own policy, and the report says it did.
    report = scan_report(_pull_request(repo, tmp_path, base, policy_from="head"), Notes())
    assert report.exit_code == 0 and report.policy_in_effect
    # A push reads the working tree as before.
    push = read_context({"GITHUB_WORKSPACE": str(repo.root), "GITHUB_EVENT_NAME": "push",
                         "INPUT_SCANNERS": "bandit"})
    assert scan_report(push, Notes()).exit_code == 0


def test_policy_source_by_event(tmp_path: Path) -> None:
    inputs = Inputs(workspace=tmp_path, path=tmp_path)
    sha = "b" * 40
    for name in ("pull_request", "pull_request_target", "merge_group"):
        assert policy_source(inputs, Event(name, base_sha=sha)) == ("base", sha)
        request = scan_request(inputs, None, Event(name, base_sha=sha))
        assert (request.policy_from, request.policy_base) == ("base", sha)
    assert policy_source(inputs, Event("push", before=sha)) == ("head", None)
    chosen = Inputs(workspace=tmp_path, path=tmp_path, policy_from="head")
    assert policy_source(chosen, Event("pull_request", base_sha=sha)) == ("head", None)


def test_merge_group_base_is_the_queue_base() -> None:
    from secure_gate.github.context import parse_event

    event = parse_event("merge_group", {"merge_group": {"base_sha": "a" * 40,
                                                        "head_sha": "c" * 40}})
    assert (event.base_sha, event.head_sha) == ("a" * 40, "c" * 40)
    assert diff_base("auto", event, Notes()) == "a" * 40


def test_a_pull_request_whose_base_is_not_in_the_clone_stops_with_exit_2(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    import pytest

    from secure_gate.errors import UsageError

    repo = make_repo({"app.py": "x = 1\n"})
    with pytest.raises(UsageError, match=r"not a commit in this clone.*policy-from: head"):
        scan_report(_pull_request(repo, tmp_path, "d" * 40), Notes())
