"""YAML handed to a tool stays within a size and alias budget; what is over it is said."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_gate import yamlbudget
from tests import secrets_corpus as fake

LEVELS = "abcdefghi"
BOMB = "".join(
    f"{name}: &{name} [" + ",".join(['"lol"'] * 9 if i == 0 else [f"*{LEVELS[i - 1]}"] * 9)
    + "]\n" for i, name in enumerate(LEVELS))
COMPOSE = """x-defaults: &defaults
  restart: always
  environment: &env
    LOG: info
services:
  web:
    <<: *defaults
    environment: *env
  worker:
    <<: *defaults
"""


def test_budget(tmp_path: Path) -> None:
    cases = {"bomb.yml": BOMB, "compose.yml": COMPOSE, "recursive.yml": "x: &x [1, *x]\n",
             "plain.yml": "on: push\n" * 10, "broken.yml": "a: &a [*undefined\n",
             "big.yml": "k: v\n" * ((1 << 20) // 5 + 1)}
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    verdicts = {name: yamlbudget.over_budget(str(tmp_path / name)) for name in cases}
    assert verdicts == {
        "bomb.yml": "its aliases expand it past 250,000 nodes", "compose.yml": None,
        "recursive.yml": None, "plain.yml": None, "broken.yml": None,
        "big.yml": "larger than 1 MiB"}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_an_alias_bomb_in_a_workflow_is_scanned_as_lines(
        make_repo: Callable[..., Any], tmp_path: Path) -> None:
    """Before, detect-secrets' YAML transformer expanded it (more than 6 GB); here the gate
    runs under a 3 GB address-space limit, its workers too."""
    repo = make_repo({".github/workflows/ci.yml": BOMB + f"token: {fake.GITHUB_TOKEN}\n",
                      "conf.yml": COMPOSE + f"    password: {fake.GITHUB_TOKEN}\n"})
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-I", "-m", "secure_gate", "scan", "--scanners",
                           "detect-secrets", "--no-cache", "--json", str(report)],
                          cwd=repo.root, capture_output=True, text=True, timeout=300,
                          check=False, preexec_fn=_limit_memory)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    data = json.loads(report.read_text())
    found = {(f["path"], f["rule"]) for f in data["findings"]}
    assert (".github/workflows/ci.yml", "GitHub Token") in found
    assert ("conf.yml", "GitHub Token") in found  # within budget: parsed as YAML, as before
    notes = next(s for s in data["scanners"] if s["name"] == "detect-secrets")["notes"]
    assert any(n.startswith("1 YAML file(s) over the YAML budget") for n in notes), notes
