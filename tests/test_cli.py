"""The command end to end with the real tools: exit codes, fail closed, hostile names, text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from secure_gate import cli
from secure_gate.report.escape import is_printable
from tests import secrets_corpus as fake
from tests.test_files import HOSTILE_NAMES

VULNERABLE = {
    "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
    "app/settings.py": f'GITHUB_TOKEN = "{fake.GITHUB_TOKEN}"\n',
}


def test_vulnerable_repository_fails_with_both_scanners(make_repo: Callable[..., Any],
                                                        run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets")
    assert result.code == 1
    rules = {(f["scanner"], f["rule"], f["path"], f["line"])
             for f in result.json_report["findings"]}
    assert ("bandit", "B602", "app/run.py", 5) in rules
    assert ("detect-secrets", "GitHub Token", "app/settings.py", 1) in rules
    assert result.out.rstrip().splitlines()[-1].startswith("secure-gate FAILED: ")
    assert "[exit 1]" in result.out


def test_clean_repository_passes(make_repo: Callable[..., Any],
                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app/ok.py": "def add(a, b):\n    return a + b\n", "README.md": "hi\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets")
    assert result.code == 0
    assert result.json_report["passed"] is True
    assert result.out.rstrip().splitlines()[-1].startswith("secure-gate PASSED: ")


def test_json_report_shape(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    data = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets").json_report
    assert data["schema_version"] == 1
    assert data["tool"]["name"] == "secure-gate"
    assert set(data) >= {"passed", "exit_code", "policy", "scanners", "findings"}
    finding = data["findings"][0]
    assert set(finding) >= {"scanner", "rule", "title", "severity", "confidence", "path", "line",
                            "end_line", "column", "message", "fingerprint", "blocking", "new",
                            "suppressed", "help_uri"}
    assert {s["name"]: s["status"] for s in data["scanners"]}["bandit"] == "ok"
    assert all(isinstance(s["duration_s"], float) for s in data["scanners"])


def test_hostile_file_names_are_scanned_and_reported(make_repo: Callable[..., Any],
                                                     run_cli: Callable[..., Any]) -> None:
    repo = make_repo({name: "import pickle\npickle.loads(b'')\n" for name in HOSTILE_NAMES})
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--fail-on", "medium")
    assert result.code == 1
    assert {f["path"] for f in result.json_report["findings"]} == set(HOSTILE_NAMES)
    for line in result.out.splitlines():
        assert is_printable(line), line
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line, line
    # One rule in one folder is one group listing its first places; alone, the file is listed.
    assert f"x{len(HOSTILE_NAMES)} in ./" in result.out
    alone = run_cli(repo.root, "scan", "--scanners", "bandit", "--fail-on", "medium",
                    "new\nline.py")
    assert "new\\nline.py:2:1" in alone.out


def test_scanner_crash_fails_closed(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(VULNERABLE)
    crash = [sys.executable, "-c", "import sys; sys.stderr.write('Traceback: boom\\n'); "
                                   "sys.exit(1)"]
    monkeypatch.setattr("secure_gate.workers.pool.worker_command", lambda: crash)
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert result.code == 3
    status = result.json_report["scanners"][0]
    assert status["status"] == "error"
    assert "worker exited" in status["message"] and "boom" in status["message"]
    assert "app/run.py" in status["message"]


def test_scanner_timeout_fails_closed(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({**VULNERABLE, ".secure-gate.yml": "scanners: {bandit: {timeout: 1}}\n"})
    monkeypatch.setattr("secure_gate.workers.pool.worker_command",
                        lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert result.code == 3
    assert "timed out" in result.json_report["scanners"][0]["message"]


def test_missing_tool_fails_closed(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(VULNERABLE)
    monkeypatch.setattr("secure_gate.scanners.detect_secrets.package_version", lambda d: None)
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert result.code == 3
    status = {s["name"]: s for s in result.json_report["scanners"]}["detect-secrets"]
    assert status["status"] == "error"
    assert status["message"] == "detect-secrets is not installed in secure-gate's environment"


def test_nothing_to_scan_is_skipped_not_an_error(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"README.md": "docs only\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets")
    statuses = {s["name"]: (s["status"], s["message"]) for s in result.json_report["scanners"]}
    assert statuses["bandit"] == ("skipped", "no files for this scanner")
    assert statuses["detect-secrets"][0] == "ok"
    assert result.code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "--scanners", "nessus"], "unknown scanner 'nessus'"),
        (["scan", "--fail-on", "severe"], "invalid choice: 'severe'"),
        (["scan", "--jobs", "0"], "expected at least 1"),
        (["scan", "--json", "/nonexistent-dir/r.json"], "does not exist"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, make_repo: Callable[..., Any],
                             run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    result = run_cli(repo.root, *argv, report=False)
    assert result.code == 2
    assert message in result.err


def test_colour_only_when_asked_or_on_a_terminal(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(VULNERABLE)
    plain = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert "\x1b[" not in plain.out
    coloured = run_cli(repo.root, "scan", "--scanners", "bandit", "--color", "always")
    assert "\x1b[" in coloured.out
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._use_colour("auto") is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert cli._use_colour("auto") is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._use_colour("auto") is False


def test_installed_console_script_runs(make_repo: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    script = os.path.join(os.path.dirname(sys.executable), "secure-gate")
    done = subprocess.run([script, "scan", "--scanners", "bandit,detect-secrets"], cwd=repo.root,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert fake.leaked(done.stdout + done.stderr) == []
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("secure-gate ")


def test_fail_on_info_is_named_info(make_repo: Callable[..., Any],
                                    run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "import subprocess\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--fail-on", "info")
    assert result.code == 1
    assert result.json_report["policy"]["fail_on"] == "info"
    assert "at or above info" in result.out.splitlines()[-1]


def test_a_repository_with_nothing_tracked_says_nothing_was_scanned(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({}, commit=False)  # a fresh git init
    (repo.root / "untracked.py").write_text("import os\n", encoding="utf-8")
    result = run_cli(repo.root, "scan", "--scanners", "bandit,pins")
    assert result.code == 0  # the command line reports it; the Action makes it an error
    assert "NOTHING SCANNED: nothing was scanned: the walk found 0 file(s)" in result.out
    assert "NOTHING WAS SCANNED" in result.out.rstrip().splitlines()[-1]
    assert result.json_report["nothing_scanned"] is True


def test_a_path_that_matches_nothing_says_nothing_was_scanned(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app/ok.py": "x = 1\n", "docs/.keep": ""})
    (repo.root / "empty").mkdir()
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "empty")
    assert result.code == 0 and result.json_report["nothing_scanned"] is True
    assert "NOTHING SCANNED" in result.out
    normal = run_cli(repo.root, "scan", "--scanners", "bandit", "app")
    assert normal.json_report["nothing_scanned"] is False and "NOTHING" not in normal.out


@pytest.mark.parametrize("flag", ["--json", "--sarif", "--markdown"])
def test_dash_writes_the_report_to_stdout_and_the_text_to_stderr(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], flag: str) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "scan", "--scanners", "bandit", flag, "-", report=False)
    assert result.code == 1
    assert not (repo.root / "-").exists()
    if flag == "--markdown":
        assert result.out.startswith("## ❌ secure-gate failed")
    else:
        document = json.loads(result.out)  # nothing else on stdout
        assert ("findings" in document) if flag == "--json" else document["version"] == "2.1.0"
    assert result.err.rstrip().splitlines()[-1].startswith("secure-gate FAILED: ")


def test_only_one_report_can_go_to_stdout(make_repo: Callable[..., Any],
                                          run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "scan", "--json", "-", "--sarif", "-", report=False)
    assert result.code == 2
    assert "--json and --sarif both name - (standard output)" in result.err
    assert result.out == ""


def test_a_file_named_dash_is_still_reachable_as_dot_slash(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--json", "./-", report=False)
    assert json.loads((repo.root / "-").read_text(encoding="utf-8"))["exit_code"] == 1
    assert result.out.rstrip().splitlines()[-1].startswith("secure-gate FAILED: ")


def test_baseline_to_stdout(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "baseline", "--scanners", "bandit", "-o", "-", report=False)
    assert result.code == 0 and not (repo.root / "-").exists()
    assert json.loads(result.out)
    assert "to standard output" in result.err
