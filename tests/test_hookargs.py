"""The hook command's argv as pre-commit builds it: entry, the user's args, then file names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import cli, hookargs
from secure_gate.errors import UsageError


def parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[str],
          *argv: str) -> Any:
    for name in files:
        (tmp_path / name).write_text("x\n")
    monkeypatch.chdir(tmp_path)
    return hookargs.parse_args(cli.build_parser(), ["hook", *argv])


@pytest.mark.parametrize("argv", [
    ["--scanners", "pins", "--fail-on", "medium", "--fail-on", "low", "a.py"],
    ["--scanners", "pins", "--fail-on", "medium", "--fail-on=low", "a.py"],
    ["--fail-on=low", "--scanners=pins", "a.py"],
    ["--scanners", "pins", "--fail", "low", "a.py"],  # a prefix, as argparse allows
    ["--scanners", "pins", "--fail-on", "low", "--", "a.py"],
])
def test_args_in_any_order_and_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        argv: list[str]) -> None:
    args = parse(tmp_path, monkeypatch, ["a.py"], *argv)
    assert (args.fail_on, args.scanners, args.paths) == ("low", ("pins",), ["a.py"])


def test_an_option_value_that_exists_is_still_the_value(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse(tmp_path, monkeypatch, ["cfg.yml", "a.py"], "--config", "cfg.yml", "a.py")
    assert (args.config, args.paths) == ("cfg.yml", ["a.py"])
    args = parse(tmp_path, monkeypatch, ["base.json"], "--baseline=base.json", "--jobs", "2")
    assert (args.baseline, args.jobs, args.paths) == ("base.json", 2, [])


def test_file_names_that_look_like_options_stay_file_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = ["--fail-on=never", "-x.py", "--", "--staged", "-h"]
    args = parse(tmp_path, monkeypatch, hostile, "--scanners", "bandit", *hostile)
    assert args.paths == hostile
    assert (args.fail_on, args.staged, args.scanners) == (None, False, ("bandit",))


def test_a_missing_option_lookalike_is_a_usage_error(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="--bogus"):
        parse(tmp_path, monkeypatch, ["a.py"], "--bogus", "a.py")
    with pytest.raises(UsageError, match="--fail-on"):
        parse(tmp_path, monkeypatch, ["a.py"], "--fail-on", "sometimes", "a.py")


def test_names_that_do_not_exist_are_positional_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse(tmp_path, monkeypatch, [], "--fail-on", "low", "gone.py", "other.py")
    assert (args.fail_on, args.paths) == ("low", ["gone.py", "other.py"])


def test_other_commands_parse_as_always(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "--fail-on=never").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    args = hookargs.parse_args(cli.build_parser(), ["scan", "--fail-on=never"])
    assert (args.command, args.fail_on, args.paths) == ("scan", "never", [])


def test_the_hook_runs_with_dash_names(make_repo: Callable[..., Any],
                                       run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"-dash.py": "import subprocess\nsubprocess.call(c, shell=True)\n",
                      "--fail-on=never": "text\n"})
    result = run_cli(repo.root, "hook", "--scanners", "bandit", "-dash.py", "--fail-on=never",
                     report=False)
    assert result.code == 1, result.out + result.err
    assert result.out.startswith("-dash.py:2: high B602")
