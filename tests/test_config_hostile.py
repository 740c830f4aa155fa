"""Hostile config and baseline files: exit 2 naming the file and key, never a traceback or hang."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult

NAN_INF = [".nan", ".inf", "-.inf", ".NaN"]


def refused(result: CliResult, *needles: str) -> None:
    assert result.code == 2, result.out + result.err
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in result.err, result.err


def scan(run_cli: Callable[..., CliResult], root: Path, *extra: str) -> CliResult:
    return run_cli(root, "scan", "--scanners", "bandit", "--no-cache", *extra, report=False)


@pytest.mark.parametrize(("pyproject", "key"), [
    ("tool = 1\n", "pyproject.toml: tool: expected a table, got an integer"),
    ('tool = "x"\n', "pyproject.toml: tool: expected a table, got a string"),
    ("tool = [1]\n", "pyproject.toml: tool: expected a table, got a list"),
    ('[tool]\nsecure-gate = 1\n', "[tool.secure-gate]: expected a mapping"),
    ('[tool.secure-gate]\nfail-on = 1\n', "fail-on"),
    ('[tool.secure-gate.scanners.bandit]\ntimeout = nan\n',
     "scanners.bandit.timeout: expected a finite number, got nan"),
    ('[tool.secure-gate.scanners.bandit]\ntimeout = inf\n',
     "scanners.bandit.timeout: expected a finite number, got inf"),
])
def test_pyproject_types(pyproject: str, key: str, make_repo: Callable[..., Any],
                         run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({"pyproject.toml": pyproject, "a.py": "x = 1\n"})
    refused(scan(run_cli, repo.root), key)


@pytest.mark.parametrize("value", [*NAN_INF, "-1", "0", "1e12", "true", "'10'", "[1]"])
def test_timeouts_are_finite_and_in_range(value: str, make_repo: Callable[..., Any],
                                          run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({".secure-gate.yml": f"scanners:\n  bandit:\n    timeout: {value}\n",
                      "a.py": "x = 1\n"})
    refused(scan(run_cli, repo.root), ".secure-gate.yml: scanners.bandit.timeout:")


@pytest.mark.parametrize(("yaml_text", "key"), [
    ("max-file-size: .inf\n", "max-file-size"),
    ("max-file-size: 1099511627776\n", "max-file-size: expected a number of at most"),
    ("scanners:\n  pip-audit:\n    service-timeout: .nan\n",
     "scanners.pip-audit.service-timeout"),
])
def test_other_numbers(yaml_text: str, key: str, make_repo: Callable[..., Any],
                       run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({".secure-gate.yml": yaml_text, "a.py": "x = 1\n"})
    refused(scan(run_cli, repo.root), f".secure-gate.yml: {key}")


# Every top-level key, and every table, given a value of each wrong type.
WRONG = ["1", "1.5", ".nan", "'text'", "[1, 2]", "{a: 1}", "null", "true", "{1: 2}"]
KEYS = ["fail-on", "min-confidence", "on-scanner-error", "exclude", "max-file-size",
        "baseline", "scanners", "rules", "suppressions", "paths", "classes",
        "scanners.bandit", "scanners.bandit.enabled", "scanners.bandit.exclude",
        "scanners.detect-secrets.exclude-lines", "scanners.pip-audit.osv-url",
        "rules.B602", "rules.B602.severity", "rules.B602.enabled", "paths.tests",
        "classes.tests", "classes.tests.block"]


def nested(key: str, value: str) -> str:
    parts = key.split(".")
    return "".join(f"{'  ' * i}{p}:\n" for i, p in enumerate(parts[:-1])) + \
        f"{'  ' * (len(parts) - 1)}{parts[-1]}: {value}\n"


@pytest.mark.parametrize("key", KEYS)
def test_every_key_checks_its_type(key: str, make_repo: Callable[..., Any],
                                   run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    for value in WRONG:
        (repo.root / ".secure-gate.yml").write_text(nested(key, value))
        result = scan(run_cli, repo.root)
        if result.code == 2:
            # A string baseline is a path: the error then names that file.
            named = "secure-gate: error: " + ("" if key == "baseline" and value == "'text'"
                                              else ".secure-gate.yml: ")
            assert result.err.startswith(named), (key, value, result.err)
            assert "Traceback" not in result.err
        else:  # a value of the right type after all (true for an enabled flag, ...)
            assert result.code == 0, (key, value, result.err)


@pytest.mark.parametrize("reason", ["\u200b", "\u200b\u200d\u2060", " \ufeff ", "\u202e\u202c",
                                    "\u00a0\u3000", "\u0301"])
def test_a_reason_needs_visible_text(reason: str, make_repo: Callable[..., Any],
                                     run_cli: Callable[..., CliResult]) -> None:
    config = {"suppressions": [{"rule": "B602", "reason": reason}]}
    repo = make_repo({".secure-gate.yml": json.dumps(config), "a.py": "x = 1\n"})
    refused(scan(run_cli, repo.root), ".secure-gate.yml: suppressions[0].reason: ")


def test_a_visible_reason_in_any_script_is_accepted(make_repo: Callable[..., Any],
                                                    run_cli: Callable[..., CliResult]) -> None:
    config = {"suppressions": [{"rule": "B602", "reason": "\u200bテスト済み"}]}
    repo = make_repo({".secure-gate.yml": json.dumps(config), "a.py": "x = 1\n"})
    assert scan(run_cli, repo.root).code == 0


@pytest.mark.parametrize(("value", "problem"), [
    ("/dev/zero", "expected a path relative to the repository root"),
    ("/etc/passwd", "expected a path relative to the repository root"),
    ("../outside.json", "no leading /, no .."),
    ("a/../../outside.json", "no leading /, no .."),
    ("C:/x.json", "expected a path relative"),
])
def test_config_baseline_is_a_path_inside_the_repository(
        value: str, problem: str, make_repo: Callable[..., Any],
        run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({".secure-gate.yml": f"baseline: {json.dumps(value)}\n", "a.py": "x=1\n"})
    refused(scan(run_cli, repo.root), ".secure-gate.yml: baseline:", problem)


def test_a_baseline_symlink_out_of_the_repository_is_refused(
        make_repo: Callable[..., Any], run_cli: Callable[..., CliResult],
        tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text('{"schema_version": 1, "findings": {}}')
    repo = make_repo({".secure-gate.yml": "baseline: bl.json\n", "a.py": "x = 1\n"})
    for target in (outside, Path("/dev/zero")):
        link = repo.root / "bl.json"
        link.unlink(missing_ok=True)
        link.symlink_to(target)
        refused(scan(run_cli, repo.root), "bl.json", "must be inside the repository")


def test_special_and_huge_baselines_are_refused_without_reading_them(
        make_repo: Callable[..., Any], run_cli: Callable[..., CliResult]) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    os.mkfifo(repo.root / "fifo.json")  # a reader would wait for a writer forever
    refused(scan(run_cli, repo.root, "--baseline", "fifo.json"), "not a regular file")
    refused(scan(run_cli, repo.root, "--baseline", "/dev/zero"), "not a regular file")
    with (repo.root / "big.json").open("wb") as big:
        big.truncate((32 << 20) + 1)
    refused(scan(run_cli, repo.root, "--baseline", "big.json"), "larger than 32 MiB")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_dev_zero_as_baseline_does_not_hang(make_repo: Callable[..., Any]) -> None:
    """In a child with a memory cap and a time limit: before, this read until killed."""
    repo = make_repo({".secure-gate.yml": "baseline: zero.json\n", "a.py": "x = 1\n"})
    (repo.root / "zero.json").symlink_to("/dev/zero")
    done = subprocess.run([sys.executable, "-m", "secure_gate", "scan", "--scanners", "bandit",
                           "--no-cache"], cwd=repo.root, capture_output=True, text=True,
                          timeout=120, check=False, preexec_fn=_limit_memory)
    assert done.returncode == 2, done.stderr[-500:]
    assert "must be inside the repository" in done.stderr


def test_another_json_file_is_never_echoed(make_repo: Callable[..., Any],
                                           run_cli: Callable[..., CliResult]) -> None:
    """A baseline that names some other JSON file: the error says what it is not, and
    quotes none of the file's keys or values."""
    documents = [
        {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-marker"},
        {"schema_version": "wJalrXUtnFEMI-marker", "findings": {}},
        {"schema_version": 1, "findings": {"AWS_SECRET_ACCESS_KEY": 1}},
        {"schema_version": 1, "findings": {"a" * 32: {"count": "wJalrXUtnFEMI-marker"}}},
    ]
    repo = make_repo({"a.py": "x = 1\n"})
    for document in documents:
        (repo.root / "creds.json").write_text(json.dumps(document))
        result = scan(run_cli, repo.root, "--baseline", "creds.json")
        refused(result, "creds.json")
        assert "AWS_SECRET" not in result.err and "marker" not in result.err, result.err
