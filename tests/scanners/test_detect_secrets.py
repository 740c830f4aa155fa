"""detect-secrets adapter: explicit file lists, fidelity, and no secret value anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from secure_gate.files import RepoFile
from secure_gate.model import Confidence, Severity
from secure_gate.scanners import detect_secrets
from tests import secrets_corpus as fake
from tests.conftest import FIXTURES


def scanner_entry(report: dict[str, Any], name: str = "detect-secrets") -> dict[str, Any]:
    return next(s for s in report["scanners"] if s["name"] == name)


def resolver(name: str) -> RepoFile | None:
    return RepoFile(name, FIXTURES / name, 1, True) if name.startswith("app/") else None


def test_recorded_output_is_parsed() -> None:
    document = json.loads((FIXTURES / "detect_secrets" / "config_and_views.json").read_text())
    outcome = detect_secrets.parse(document, resolver)
    got = sorted((f.location.path, f.location.line, f.rule) for f in outcome.findings)
    assert got == [("app/config.txt", 1, "Base64 High Entropy String"),
                   ("app/config.txt", 1, "GitHub Token"),
                   ("app/config.txt", 2, "Secret Keyword"),
                   ("app/views.py", 17, "Secret Keyword")]
    token = next(f for f in outcome.findings if f.rule == "GitHub Token")
    assert token.severity is Severity.HIGH and token.confidence is Confidence.HIGH
    keyword = next(f for f in outcome.findings if f.rule == "Secret Keyword")
    assert keyword.confidence is Confidence.LOW  # a generic heuristic (secrets_kinds)
    assert "vendor-token" in token.tags and "generic-heuristic" in keyword.tags
    # The fingerprint's evidence is derived from the hash, and the hash is not stored as is.
    hashed = document["results"]["app/config.txt"][1]["hashed_secret"]
    assert hashed not in repr(token)


def test_missing_results_mapping_is_an_error() -> None:
    from secure_gate.errors import ScannerError

    with pytest.raises(ScannerError, match="results"):
        detect_secrets.parse({"version": "1.5.0"}, resolver)


SECRETS = {
    "config/settings.py": f'GITHUB = "{fake.GITHUB_TOKEN}"\n',
    "deploy/env.txt": f"aws_access_key_id = {fake.AWS_KEY_ID}\n",
    "app/db.py": f'db_password = "{fake.PASSWORD}"\n',
    "docs/readme.md": "nothing to see\n",
}


def test_fidelity_with_detect_secrets_run_directly(make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any]) -> None:
    repo = make_repo(SECRETS)
    direct = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "-n", "."],
                            cwd=repo.root, capture_output=True, text=True, check=True)
    theirs = {(name, s["line_number"], s["type"])
              for name, found in json.loads(direct.stdout)["results"].items() for s in found}
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert result.code == 1
    ours = {(f["path"], f["line"], f["rule"]) for f in result.json_report["findings"]}
    # Only the documented benign-shape rules change what was found, and they are counted.
    stats = scanner_entry(result.json_report)["stats"]
    dropped = sum(v for k, v in stats.items() if k.startswith("benign:"))
    assert ours <= theirs and len(theirs - ours) == dropped
    assert {t for _, _, t in ours} >= {"GitHub Token", "AWS Access Key", "Secret Keyword"}
    repo.write({".secure-gate.yml": "scanners:\n  detect-secrets:\n    known-benign: false\n"})
    unfiltered = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert {(f["path"], f["line"], f["rule"]) for f in unfiltered.json_report["findings"]
            if f["path"] != ".secure-gate.yml"} == theirs


def test_no_secret_value_in_any_output(make_repo: Callable[..., Any],
                                       run_cli: Callable[..., Any]) -> None:
    repo = make_repo(SECRETS)
    result = run_cli(repo.root, "scan")
    report_text = json.dumps(result.json_report)
    for channel in (result.out, result.err, report_text):
        assert fake.leaked(channel) == []
    assert result.code == 1


def test_names_git_quotes_are_scanned(make_repo: Callable[..., Any],
                                      run_cli: Callable[..., Any]) -> None:
    names = ["ünïcödé.txt", 'quo"te.txt', "new\nline.txt", "tab\there.txt"]
    repo = make_repo({n: f'token = "{fake.GITHUB_TOKEN}"\n' for n in names})
    direct = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "-n", "."],
                            cwd=repo.root, capture_output=True, text=True, check=True)
    assert json.loads(direct.stdout)["results"] == {}  # detect-secrets' own walk misses them
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    found = {f["path"] for f in result.json_report["findings"] if f["rule"] == "GitHub Token"}
    assert found == set(names)


def test_pragma_allowlist_is_honoured_and_counted(make_repo: Callable[..., Any],
                                                  run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": f'T = "{fake.GITHUB_TOKEN}"  # pragma: allowlist secret\n'})
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert result.code == 0
    # Still reported (issue 16), as suppressed inline, never blocking.
    assert [(f["line"], f["suppression"]["kind"], f["blocking"])
            for f in result.json_report["findings"]] == [(1, "inline", False)]
    assert scanner_entry(result.json_report)["stats"]["allowlist_pragmas"] == 1


def test_files_that_are_not_utf8_are_reported(make_repo: Callable[..., Any],
                                              run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"latin.txt": f"token = {fake.GITHUB_TOKEN} caf\xe9\n".encode("latin-1"),
                      "ok.txt": "fine\n"})
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    notes = scanner_entry(result.json_report)["notes"]
    assert any("1 file(s) are not UTF-8" in n for n in notes)
    assert result.json_report["files"]["not_utf8"] == 1


def test_repository_baseline_is_never_loaded(make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any],
                                             tmp_path: Any) -> None:
    marker = tmp_path / "plugin-ran"
    plugin = tmp_path / "evil_plugin.py"
    plugin.write_text(f"open({str(marker)!r}, 'w').close()\n")
    baseline = {"version": "1.5.0", "plugins_used": [{"name": "Evil", "path":
                                                      f"file://{plugin}"}],
                "filters_used": [], "results": {}}
    repo = make_repo({".secrets.baseline": json.dumps(baseline),
                      "a.py": f'T = "{fake.GITHUB_TOKEN}"\n'})
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert not marker.exists()
    assert result.code == 1


def test_disable_plugins_option(make_repo: Callable[..., Any],
                                run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "scanners:\n  detect-secrets:\n    disable-plugins: "
                                          "[GitHubTokenDetector, Base64HighEntropyString]\n",
                      "a.txt": f"{fake.GITHUB_TOKEN}\n"})
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    assert result.json_report["findings"] == []


def test_environment_passed_to_tools_has_no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    from secure_gate import _subprocess

    monkeypatch.setenv("GITHUB_TOKEN", "x")
    monkeypatch.setenv("INPUT_GITHUB-TOKEN", "y")
    monkeypatch.setenv("ACTIONS_RUNTIME_TOKEN", "z")
    env = _subprocess.tool_env()
    assert not {"GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "ACTIONS_RUNTIME_TOKEN"} & set(env)
    assert env["PATH"] == os.environ["PATH"]
