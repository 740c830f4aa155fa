"""No URL credential from the repository reaches any output of the Action, nor the PR comment."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

from secure_gate.github.main import run_github
from tests.conftest import Repo
from tests.github.fake_github import State
from tests.github.runner import Runner, pr_event

# Built at run time, in pieces, so the repository itself holds no credential-shaped line.
MARK = "R3dact3d"
GH = "ghp_" + MARK + "A" * 28
GL = "glpat-" + MARK + "B" * 10
PW = "hunter2-" + MARK + "C"
QT = MARK + "D" * 12


def at(scheme: str, userinfo: str, rest: str) -> str:
    return scheme + "://" + userinfo + "@" + rest


REQUIREMENTS = "\n".join([
    "private @ " + at("git+https", "x-access-token:" + GH, "github.com/octo/private.git@v1"),
    "-e " + at("git+https", "oauth2:" + GL, "gitlab.example.com/g/p.git#egg=p"),
    "wheel @ " + at("https", "user:" + PW, "files.example.com/wheel-1.0-py3-none-any.whl"),
    "query @ https://files.example.com/query-1.0.tar.gz?token=" + QT,
    "requests==2.0",
    "",
])
PYPROJECT = f"""[project]
name = "svc"
version = "1"
dependencies = ["dep @ {at('git+https', GH, 'github.com/octo/dep.git')}"]
"""
WORKFLOW = f"""name: ci
on: push
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: pip install "{at('git+https', 'x-access-token:' + GH, 'github.com/octo/tool.git')}"
      - run: pip install -e "{at('git+https', 'oauth2:' + GL, 'gitlab.example.com/g/q.git')}"
"""


def test_every_output_and_the_comment_carry_no_credential(
        make_repo: Callable[..., Repo], tmp_path: Path, api: State) -> None:
    repo = make_repo({"requirements.txt": REQUIREMENTS, "svc/pyproject.toml": PYPROJECT,
                      ".github/workflows/ci.yml": WORKFLOW})
    runner = Runner(tmp_path, repo.root, pr_event(7), "pull_request")
    env = runner.env({"github-token": api.token, "sarif-file": "gate.sarif",
                      "json-file": "gate.json", "markdown-file": "gate.md",
                      "advisory-db": str(Path(__file__).parents[1] / "fixtures" / "osv"
                                         / "edge")}, api=api.base)
    out = io.StringIO()
    code = run_github(env, out=out, sleep=lambda seconds: None)
    log = out.getvalue()
    assert code in (1, 3), log
    report = json.loads((repo.root / "gate.json").read_text())
    messages = " ".join(f["message"] + (f.get("fix") or "") for f in report["findings"])
    # The URLs were seen and reported (with their credentials masked)...
    assert "***@github.com/octo/private.git" in messages, messages
    assert "***@gitlab.example.com" in messages
    assert len(api.comments) == 1
    (comment,) = api.comments.values()
    everything = {"log": log, "summary": runner.summary.read_text(encoding="utf-8"),
                  "outputs": runner.output.read_text(encoding="utf-8"),
                  "comment": comment["body"],
                  **{p.name: p.read_text(encoding="utf-8") for p in repo.root.glob("gate.*")}}
    # ...and no output of any kind shows one.
    for name, text in everything.items():
        assert MARK not in text, (name, [ln for ln in text.splitlines() if MARK in ln][:3])
    for call in api.seen:
        assert MARK not in json.dumps(call.body), call
