"""``$GITHUB_OUTPUT`` as the runner reads it, the summary budget, and report files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from secure_gate.github import files
from tests.github.runner import FileCommandError, parse_file_command


def test_outputs_round_trip_through_the_runners_parser(tmp_path: Path) -> None:
    out = tmp_path / "set_output"
    values = {"passed": "false", "findings": "3", "multi": "line one\nline two\n",
              "injection": "x\nevil=1\nEOF\nother<<EOF", "empty": ""}
    files.write_outputs(out, values)
    files.write_outputs(out, {"second": "call"})
    text = out.read_text()
    assert text.endswith("\n")
    assert parse_file_command(text) == {**values, "second": "call"}


def test_each_write_uses_a_fresh_random_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "set_output"
    files.write_outputs(out, {"a": "1"})
    files.write_outputs(out, {"b": "2"})
    delimiters = [line.split("<<", 1)[1] for line in out.read_text().splitlines()
                  if "<<" in line]
    assert len(set(delimiters)) == 2
    assert all(d.startswith("ghadelimiter_") and len(d) == len("ghadelimiter_") + 36
               for d in delimiters)


def test_a_value_or_name_holding_the_delimiter_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "set_output"
    with pytest.raises(files.FileCommandError, match="delimiter"):
        files.write_outputs(out, {"x": "before\nDELIM\nafter"}, delimiter=lambda: "DELIM")
    with pytest.raises(files.FileCommandError, match="delimiter"):
        files.write_outputs(out, {"xDELIM": "v"}, delimiter=lambda: "DELIM")
    with pytest.raises(files.FileCommandError, match="invalid output name"):
        files.write_outputs(out, {"a\nb": "v"})
    assert not out.exists() or out.read_text() == ""


def test_the_parser_itself_catches_broken_files() -> None:
    with pytest.raises(FileCommandError):
        parse_file_command("a<<D\nvalue\n")
    with pytest.raises(FileCommandError):
        parse_file_command("a<<D\nvalue\nD")
    assert parse_file_command("a=1\nb=x<<y\n") == {"a": "1", "b": "x<<y"}


def test_summary_is_appended_within_the_limit(tmp_path: Path) -> None:
    summary = tmp_path / "step_summary"
    summary.write_text("# earlier\n")
    files.append_summary(summary, "## ours")
    assert summary.read_text() == "# earlier\n## ours\n"
    budget = files.summary_budget(summary)
    assert 0 < budget < files.SUMMARY_LIMIT - len("# earlier\n## ours\n")
    with pytest.raises(files.FileCommandError, match="1 MiB"):
        files.append_summary(summary, "x" * (budget + 1))
    assert files.summary_budget(tmp_path / "absent") == budget + len("# earlier\n## ours\n")


def test_report_written_atomically_and_readable(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = files.write_report(tmp_path, "out/r.json", "{}\n")
    assert path.read_text() == "{}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json"]
    files.write_report(tmp_path, "out/r.json", "[]\n")
    assert path.read_text() == "[]\n"


def test_report_never_written_through_a_planted_symlink(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    os.symlink(victim, workspace / "gate.sarif")
    with pytest.raises(files.FileCommandError, match="symlink"):
        files.write_report(workspace, "gate.sarif", "{}")
    os.symlink(tmp_path, workspace / "escape")
    with pytest.raises(files.FileCommandError, match="outside"):
        files.write_report(workspace, "escape/victim", "{}")
    assert victim.read_text() == "precious"
