"""Inputs become exactly the CLI's options, and the Action scans what the CLI would."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from secure_gate import cli
from secure_gate.github.context import Event, read_context
from secure_gate.github.inputs import Inputs
from secure_gate.github.scan import diff_base, scan_report, scan_request
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
                    cache_dir=str(tmp_path / "c"))
    request = scan_request(inputs, "-base")
    assert (request.config_file, request.diff_base, request.fail_on,
            request.min_confidence) == ("-odd.yml", "-base", "medium", "low")
    assert (request.scanners, request.jobs, request.cache_dir, request.paths) == (
        ("bandit",), 2, None, (str(tmp_path / "src"),))
    assert request.root == tmp_path and request.baseline == str(tmp_path / "b.json")
    args = cli.build_parser().parse_args(
        ["scan", "--config=-odd.yml", "--diff-base=-base", "--fail-on=medium",
         "--min-confidence=low", "--scanners=bandit", f"--baseline={tmp_path / 'b.json'}",
         "--jobs=2", "--no-cache", "--", str(tmp_path / "src")])
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
