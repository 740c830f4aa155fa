"""Inline suppressions stay visible: nosec'd and allowlisted findings are kept, marked, and those
a judged change adds are listed (and blocked when the trusted policy says so)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests import secrets_corpus as fake
from tests.conftest import Repo

SAFE = "def go(c):\n    return c\n"
NOSEC = "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)  # nosec\n"
# A second key (detect-secrets reports one value once per file).
OTHER_AWS_KEY_ID = "AKIA" + fake.AWS_KEY_ID[4:][::-1]
ALLOWLISTED = f'AWS = "{fake.AWS_KEY_ID}"  # pragma: allowlist secret\n'


def _change(make_repo: Callable[..., Repo], files: dict[str, str], policy: str = ""
            ) -> tuple[Repo, str]:
    repo = make_repo({"app.py": SAFE, "conf.py": "x = 1\n",
                      ".secure-gate.yml": "fail-on: high\n" + policy})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write(files)
    repo.commit("the change")
    return repo, base


@pytest.mark.parametrize(("files", "scanner", "rule"), [
    ({"app.py": NOSEC}, "bandit", "B602"),
    ({"conf.py": ALLOWLISTED}, "detect-secrets", "AWS Access Key"),
])
def test_a_suppression_the_change_adds_is_listed_and_blocks_when_asked(
        files: dict[str, str], scanner: str, rule: str, make_repo: Callable[..., Repo],
        run_cli: Callable[..., Any]) -> None:
    repo, base = _change(make_repo, files)
    result = run_cli(repo.root, "scan", "--scanners", scanner, "--diff-base", base)
    assert result.code == 0  # the default, report: honoured but shown
    found = [f for f in result.json_report["findings"] if f["rule"] == rule]
    assert len(found) == 1 and found[0]["suppressed"] and not found[0]["blocking"]
    assert found[0]["suppression"]["kind"] == "inline"
    assert found[0]["suppression"]["reason"].startswith("added by this change: ")
    notices = " ".join(result.json_report["notices"])
    assert "new suppressions: this change adds 1 inline suppression(s)" in notices
    assert f"{found[0]['path']}:{found[0]['line']} {scanner} {rule}" in notices
    assert "new suppressions" in result.out
    # The base's policy (not the change's) can refuse them.
    repo, base = _change(make_repo, files, "new-inline-suppressions: block\n")
    result = run_cli(repo.root, "scan", "--scanners", scanner, "--diff-base", base)
    assert result.code == 1
    assert [f["rule"] for f in result.json_report["findings"] if f["blocking"]] == [rule]
    # And allow says nothing about them.
    repo, base = _change(make_repo, files, "new-inline-suppressions: allow\n")
    result = run_cli(repo.root, "scan", "--scanners", scanner, "--diff-base", base)
    assert result.code == 0
    assert not any("new suppressions" in n for n in result.json_report["notices"])


def test_suppressions_already_at_the_base_are_not_new(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app.py": NOSEC, "conf.py": ALLOWLISTED, "other.py": SAFE,
                      ".secure-gate.yml": "new-inline-suppressions: block\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"app.py": "# moved\n" + NOSEC, "other.py": SAFE + "\n"})
    repo.commit("unrelated edits")
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets",
                     "--diff-base", base)
    assert result.code == 0, result.out
    inline = [f for f in result.json_report["findings"]
              if f["suppression"] and f["suppression"]["kind"] == "inline"]
    assert {f["rule"] for f in inline} == {"B602", "AWS Access Key"}
    assert not any("new suppressions" in n for n in result.json_report["notices"])


def test_a_plain_scan_shows_inline_suppressions_and_passes(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app.py": NOSEC, "conf.py": ALLOWLISTED})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets")
    assert result.code == 0
    kinds = {(f["rule"], f["suppression"]["kind"]) for f in result.json_report["findings"]
             if f["suppression"]}
    assert kinds == {("B602", "inline"), ("AWS Access Key", "inline")}


def test_findings_without_an_inline_comment_are_exactly_the_tools_own(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    """Fidelity: seeing through the comments adds the suppressed findings, nothing else."""
    code = ("import subprocess\nimport pickle\n\n\ndef go(c, d):\n"
            "    subprocess.call(c, shell=True)  # nosec B602\n"
            "    subprocess.call(d, shell=True)  # nosec B101\n"
            "    pickle.loads(d)  # nosec\n    eval(c)\n")
    secrets = (f'A = "{fake.AWS_KEY_ID}"\n'
               f'B = "{fake.GITHUB_TOKEN}"  # pragma: allowlist secret\n'
               f'# pragma: allowlist nextline secret\nC = "{OTHER_AWS_KEY_ID}"\n')
    repo = make_repo({"app.py": code, "keys.py": secrets})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets")
    ours = {(f["scanner"], f["path"], f["line"], f["rule"])
            for f in result.json_report["findings"] if not f["suppressed"]}
    bare = subprocess.run([sys.executable, "-m", "bandit", "-q", "-f", "json", "app.py"],
                          cwd=repo.root, capture_output=True, text=True, check=False)
    bandit = {("bandit", r["filename"].removeprefix("./"), r["line_number"], r["test_id"])
              for r in json.loads(bare.stdout)["results"]}
    bare = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "keys.py"],
                          cwd=repo.root, capture_output=True, text=True, check=False)
    ds = {("detect-secrets", name, s["line_number"], s["type"])
          for name, found in json.loads(bare.stdout)["results"].items() for s in found}
    assert {f for f in ours if f[0] == "bandit"} == bandit
    assert {f for f in ours if f[0] == "detect-secrets"} == ds
    suppressed = {(f["path"], f["line"], f["rule"]) for f in result.json_report["findings"]
                  if f["suppressed"]}
    assert suppressed == {("app.py", 6, "B602"), ("app.py", 8, "B301"),
                          ("keys.py", 2, "GitHub Token"), ("keys.py", 4, "AWS Access Key")}
