"""zizmor's command line, environment and exit codes (no config, offline, token only in env)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secure_gate._subprocess import Completed
from secure_gate.errors import ScannerError
from secure_gate.scanners.workflows import zizmor_run
from secure_gate.scanners.workflows.zizmor_run import Request, argv, environment, read, stage
from tests.scanners.workflows.helpers import recorded

TOKEN = "ghs_" + "x" * 36  # the shape of an installation token; not a real one
FILES = (stage(0, "workflow", "dir/-rf\n::error::x.yml", "on: push\n", ".yml"),
         stage(1, "action", "a/action.yaml", "runs: {}\n", ".yaml"),
         stage(2, "dependabot", ".github/dependabot.yml", "version: 2\n", ".yml"))


def test_files_are_staged_under_fixed_names_that_zizmor_reads_by_kind() -> None:
    assert [f.relative for f in FILES] == ["0/.github/workflows/workflow.yml",
                                          "1/action.yaml", "2/.github/dependabot.yml"]


def test_no_config_no_ignores_strict_json_and_offline_without_a_token() -> None:
    command = argv(Path("/opt/zizmor"), Request(FILES, "pedantic"))
    assert command[0] == "/opt/zizmor"
    for flag in ("--no-config", "--no-ignores", "--strict-collection", "--offline"):
        assert flag in command
    assert command[command.index("--format") + 1] == "json"
    assert command[command.index("--persona") + 1] == "pedantic"
    # Staged names only, after `--`: a repository's file name never reaches the argv.
    assert command[command.index("--") + 1:] == [f.relative for f in FILES]
    assert not any("::error::" in part for part in command)


def test_a_token_turns_the_online_audits_on_and_goes_only_to_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZIZMOR_CONFIG", "/repo/zizmor.yml")
    monkeypatch.setenv("GH_HOST", "evil.example")
    request = Request(FILES, github_token=TOKEN)
    command = argv(Path("/opt/zizmor"), request)
    assert "--offline" not in command and not any(TOKEN in part for part in command)
    env = environment(request)
    assert env["GH_TOKEN"] == TOKEN
    assert "ZIZMOR_CONFIG" not in env and "GH_HOST" not in env
    assert TOKEN not in repr(request)


def test_without_a_token_no_token_from_the_gate_environment_reaches_zizmor(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN"):
        monkeypatch.setenv(name, TOKEN)
    assert TOKEN not in json.dumps(environment(Request(FILES)))


def _done(code: int, out: bytes = b"[]", err: bytes = b"") -> Completed:
    return Completed(("zizmor",), code, out, err)


@pytest.mark.parametrize("code", [0, 10, 11, 12, 13, 14])
def test_exit_codes_with_findings_are_a_completed_run(code: int) -> None:
    out = json.dumps(recorded()).encode() if code else b"[]"
    assert len(read(_done(code, out), FILES)) == (21 if code else 0)


def test_no_audit_performed_fails_closed() -> None:
    with pytest.raises(ScannerError, match="performed no audit"):
        read(_done(3, b"", b"fatal: no inputs collected"), FILES)


def test_an_error_fails_closed_with_the_repository_path_not_the_staged_one() -> None:
    err = b"\x1b[31mfatal\x1b[0m: failed to load 1/action.yaml as action: bad\n INFO done\n"
    with pytest.raises(ScannerError) as caught:
        read(_done(1, b"", err), FILES)
    assert str(caught.value) == "zizmor failed (exit 1): fatal: failed to load a/action.yaml " \
                                "as action: bad"


@pytest.mark.parametrize("out", [b"", b"not json", b"{\"a\": 1}", b"\xff\xfe"])
def test_unreadable_output_fails_closed(out: bytes) -> None:
    with pytest.raises(ScannerError, match="output could not be read"):
        read(_done(14, out), FILES)


def test_the_binary_comes_from_the_installed_wheel() -> None:
    exe = zizmor_run.binary()
    assert exe is not None and exe.is_file() and exe.name == "zizmor"
