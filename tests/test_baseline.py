"""Baselines: explicit to write, count-aware to read, data only, strict about their shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import secrets_corpus as fake

SHELL_LINE = "subprocess.Popen(c, shell=True)\n"
SOURCE = "import subprocess\nc = 'ls'\n" + SHELL_LINE


def test_baseline_then_scan_passes_and_one_more_copy_fails(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": SOURCE + SHELL_LINE,
                      "conf.py": f'TOKEN = "{fake.GITHUB_TOKEN}"\n'})
    written = run_cli(repo.root, "baseline", "-o", "baseline.json", report=False)
    assert written.code == 0, written.err
    document = json.loads((repo.root / "baseline.json").read_text())
    assert list(document["findings"]) == sorted(document["findings"])
    assert fake.leaked(json.dumps(document)) == []
    assert all("line" not in entry for entry in document["findings"].values())
    assert run_cli(repo.root, "scan", "--baseline", "baseline.json").code == 0
    # Two copies were accepted; a third identical one is still one too many.
    repo.write({"a.py": SOURCE + SHELL_LINE + SHELL_LINE})
    result = run_cli(repo.root, "scan", "--baseline", "baseline.json")
    assert result.code == 1
    b602 = [f for f in result.json_report["findings"] if f["rule"] == "B602"]
    assert [f["suppressed"] for f in b602].count(True) == 2
    assert [f["blocking"] for f in b602].count(True) == 1
    kinds = {f["suppression"]["kind"] for f in b602 if f["suppression"]}
    assert kinds == {"baseline"}


def test_baseline_output_is_stable(make_repo: Callable[..., Any],
                                   run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": SOURCE, "b.py": SOURCE})
    run_cli(repo.root, "baseline", "-o", "one.json", report=False)
    repo.write({"a.py": "\n\n" + SOURCE})  # lines move: the baseline must not churn
    run_cli(repo.root, "baseline", "-o", "two.json", report=False)
    assert (repo.root / "one.json").read_text() == (repo.root / "two.json").read_text()


def test_scan_never_writes_a_baseline(make_repo: Callable[..., Any],
                                      run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": SOURCE})
    run_cli(repo.root, "baseline", "-o", "b.json", report=False)
    before = (repo.root / "b.json").read_text()
    repo.write({"c.py": SOURCE})
    run_cli(repo.root, "scan", "--baseline", "b.json")
    assert (repo.root / "b.json").read_text() == before


def test_config_can_name_the_baseline(make_repo: Callable[..., Any],
                                      run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": SOURCE})
    run_cli(repo.root, "baseline", "-o", "accepted.json", report=False)
    repo.write({".secure-gate.yml": "baseline: accepted.json\nfail-on: low\n"})
    assert run_cli(repo.root, "scan").code == 0


def test_incomplete_scan_writes_no_baseline(make_repo: Callable[..., Any],
                                            run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"bad.py": "def broken(:\n"})
    result = run_cli(repo.root, "baseline", "-o", "b.json", report=False)
    assert result.code == 3
    assert not (repo.root / "b.json").exists()
    assert "incomplete scan" in result.err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not valid JSON"),
        ("[]", "a baseline is a JSON object"),
        ('{"schema_version": 2, "findings": {}}', "schema_version: expected 1"),
        ('{"schema_version": 1}', "findings: expected an object"),
        ('{"schema_version": 1, "findings": {}, "plugins_used": []}',
         "has keys a secure-gate baseline does not have"),
        ('{"schema_version": 1, "findings": {"abc": {"count": 1}}}', "not a secure-gate "
                                                                    "fingerprint"),
        ('{"schema_version": 1, "findings": {"' + "a" * 32 + '": {"count": 0}}}',
         "expected a whole number >= 1"),
        ('{"schema_version": 1, "findings": {"' + "a" * 32 + '": {"count": 1, "path": "x",'
         ' "exec": "rm"}}}', "expected an object with keys"),
    ],
)
def test_malformed_baseline_exits_2(content: str, problem: str, make_repo: Callable[..., Any],
                                    run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "x = 1\n", "bl.json": content})
    result = run_cli(repo.root, "scan", "--baseline", "bl.json")
    assert result.code == 2
    assert problem in result.err


def test_missing_baseline_exits_2(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                  tmp_path: Path) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    result = run_cli(repo.root, "scan", "--baseline", str(tmp_path / "nope.json"))
    assert result.code == 2
    assert "cannot read the baseline" in result.err


def test_ledger_suppression_with_expiry_through_the_cli(make_repo: Callable[..., Any],
                                                        run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": SOURCE, ".secure-gate.yml": """
suppressions:
  - rule: B602
    path: "a.py"
    reason: the command is a constant
    expires: 2999-12-31
  - rule: B999
    reason: never matches
"""})
    result = run_cli(repo.root, "scan")
    assert result.code == 0
    b602 = next(f for f in result.json_report["findings"] if f["rule"] == "B602")
    assert b602["suppression"] == {"kind": "ledger", "reason": "the command is a constant; "
                                                               "until 2999-12-31"}
    assert any("matched nothing" in n for n in result.json_report["notices"])
    repo.write({".secure-gate.yml": "suppressions:\n  - rule: B602\n    reason: old\n"
                                    "    expires: 2000-01-01\n"})
    expired = run_cli(repo.root, "scan")
    assert expired.code == 1
    assert any("expired on 2000-01-01" in n for n in expired.json_report["notices"])
