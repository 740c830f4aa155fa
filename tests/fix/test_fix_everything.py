"""Issue 21's sample: a repository with every kind of problem `fix` knows, fixed in one run.

The package index, the GitHub API and the registry are loopback doubles (tests/fix); the
scanners, pip-audit (with an offline advisory database), pip and git are the real ones. After
`fix`, a scan finds none of the fixed kinds, `pip install --require-hashes` accepts the
requirements, and a second `fix` changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.fix import fake_registry
from tests.fix.fake_index import File, serve
from tests.fix.fake_registry import Image
from tests.fix.test_fix_install import pip_install
from tests.fix.wheels import wheel
from tests.github.fake_github import State, primary_limit
from tests.github.fake_github import serve as serve_github
from tests.github.runner import fake_token

REQUIREMENTS = (
    "# what the service installs\r\n"
    "tiny-one==1.0  # vulnerable: SGALL-1, fixed in 1.1\r\n"
    "tiny-two>=2.0 ; python_version >= '3.8'\r\n"
)
WORKFLOW = """\
on: pull_request
jobs:
  test:
    runs-on: ubuntu-latest
    container: python:3.12
    services:
      cache:
        image: "redis:7"
    steps:
      - uses: actions/checkout@v4
      - run: pip install --require-hashes --no-deps -r requirements.txt
"""
ACTION = """\
name: setup
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5  # the interpreter
"""
DOCKERFILE = """\
FROM python:3.12-slim AS build
COPY requirements.txt .
RUN pip install --require-hashes --no-deps -r requirements.txt
FROM build
"""


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The three services, holding what the sample refers to, and the advisory database."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    token = fake_token()
    monkeypatch.setenv("GITHUB_TOKEN", token)
    db = tmp_path / "osv"
    db.mkdir()
    (db / "SGALL-1.json").write_text(json.dumps({
        "id": "SGALL-1", "modified": "2026-01-01T00:00:00Z", "summary": "tiny-one leaks",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "tiny-one"}, "ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}]}),
        encoding="utf-8")
    with serve() as index, fake_registry.running() as registry:
        for name, version in (("tiny-one", "1.0"), ("tiny-one", "1.1"), ("tiny-two", "2.0"),
                              ("tiny-two", "2.1")):
            filename, content = wheel(name, version)
            index.add(name, version, File(filename, content))
        for name, tag, image in (("library/python", "3.12", Image.multi("312")),
                                 ("library/python", "3.12-slim", Image.multi("slim")),
                                 ("library/redis", "7", Image.multi("redis"))):
            registry.add(name, tag, image)
        github: State
        for github in serve_github(token):
            checkout = github.git.commit("actions/checkout", "v4")
            github.git.tag("actions/checkout", "v4", checkout, annotated=1)
            setup = github.git.commit("actions/setup-python", "v5")
            github.git.tag("actions/setup-python", "v5", setup)
            yield {"index": index, "registry": registry, "github": github, "db": db,
                   "token": token, "checkout": checkout, "setup": setup}


def sample(make_repo: Callable[..., Repo], db: Path) -> Repo:
    return make_repo({
        ".secure-gate.yml": f"scanners:\n  pip-audit:\n    advisory-db: {db}\n",
        "requirements.txt": REQUIREMENTS.encode(),
        ".github/workflows/ci.yml": WORKFLOW,
        "action.yml": ACTION,
        "Dockerfile": DOCKERFILE,
    })


def fix_args(world: dict[str, Any]) -> tuple[str, ...]:
    return ("fix", "--pin", "--index-url", world["index"].simple,
            "--github-api-url", world["github"].base,
            "--registry", f"docker.io={world['registry'].url}")


def test_fix_then_scan_finds_none_and_pip_installs_it(make_repo: Callable[..., Repo],
                                                       run_cli: Callable[..., Any],
                                                       world: dict[str, Any],
                                                       tmp_path: Path) -> None:
    repo = sample(make_repo, world["db"])
    before = run_cli(repo.root, "scan", "--scanners", "pins,pip-audit", "--fail-on", "info")
    kinds = sorted({(f["scanner"], f["rule"]) for f in before.json_report["findings"]})
    assert kinds == [("pins", "unhashed-requirement"), ("pins", "unpinned-action"),
                     ("pins", "unpinned-image"), ("pins", "unpinned-requirement"),
                     ("pip-audit", "SGALL-1")]

    fixed = run_cli(repo.root, *fix_args(world))
    assert fixed.code == 0, fixed.out + fixed.err
    assert world["token"] not in fixed.out + fixed.err

    after = run_cli(repo.root, "scan", "--scanners", "pins,pip-audit", "--fail-on", "info")
    assert after.json_report["findings"] == [], after.out
    assert after.code == 0

    requirements = (repo.root / "requirements.txt").read_bytes().decode()
    assert requirements.startswith("# what the service installs\r\ntiny-one==1.1 \\\r\n")
    assert "tiny-two==2.1 ; python_version >= '3.8' \\\r\n    --hash=sha256:" in requirements
    assert "\n" not in requirements.replace("\r\n", "")  # every ending stayed CRLF
    installed = pip_install(world["index"].simple, repo.root / "requirements.txt",
                            tmp_path / "site")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (tmp_path / "site" / "tiny_one" / "__init__.py").read_text() == 'VERSION = "1.1"\n'

    workflow = (repo.root / ".github/workflows/ci.yml").read_text()
    assert f"- uses: actions/checkout@{world['checkout']} # v4\n" in workflow
    assert "container: python:3.12@sha256:" in workflow
    assert 'image: "redis:7@sha256:' in workflow
    action = (repo.root / "action.yml").read_text()
    assert f"- uses: actions/setup-python@{world['setup']} # v5  # the interpreter" in action
    dockerfile = (repo.root / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.12-slim@sha256:")
    assert dockerfile.endswith("FROM build\n")  # a stage name is never an image

    again = run_cli(repo.root, *fix_args(world))
    assert again.code == 0 and "0 edit(s), changed 0 file(s)" in again.out
    assert run_cli(repo.root, "scan").code == 0


def test_a_dry_run_of_the_sample_writes_nothing_and_a_diff_is_the_same_edits(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any],
        world: dict[str, Any]) -> None:
    repo = sample(make_repo, world["db"])
    files = sorted(p for p in repo.root.rglob("*") if p.is_file() and ".git" not in p.parts)
    snapshot = {p: p.read_bytes() for p in files}
    diff = run_cli(repo.root, *fix_args(world), "--diff", report=False)
    assert diff.code == 0
    assert {p: p.read_bytes() for p in files} == snapshot
    assert diff.out.count("+++ b/") == 4  # requirements, workflow, action, Dockerfile
    run_cli(repo.root, *fix_args(world))
    assert {p: p.read_bytes() for p in files} != snapshot


def test_a_rate_limited_github_api_keeps_nothing_else_from_being_fixed(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any],
        world: dict[str, Any]) -> None:
    """The anonymous API allows 60 requests an hour: hashes and digests do not wait for it."""
    world["github"].script.append(primary_limit("GET", "/repos/", int(time.time()) + 3000))
    repo = sample(make_repo, world["db"])
    workflow = (repo.root / ".github/workflows/ci.yml").read_text()
    fixed = run_cli(repo.root, *fix_args(world))
    assert fixed.code == 3
    assert "secure-gate: error: the GitHub API (http://127.0.0.1:" in fixed.err
    assert "rate limit reached" in fixed.err and "(what needed the GitHub API is not fixed)" \
        in fixed.err
    assert "pins/unpinned-action: the GitHub API could not answer" in fixed.out
    requirements = (repo.root / "requirements.txt").read_bytes().decode()
    assert requirements.count("--hash=sha256:") == 2 and "tiny-one==1.1" in requirements
    assert (repo.root / "Dockerfile").read_text().startswith("FROM python:3.12-slim@sha256:")
    now = (repo.root / ".github/workflows/ci.yml").read_text()
    assert "actions/checkout@v4\n" in now and "container: python:3.12@sha256:" in now
    assert now != workflow
    left = run_cli(repo.root, "scan", "--scanners", "pins,pip-audit", "--fail-on", "info")
    assert sorted({f["rule"] for f in left.json_report["findings"]}) == ["unpinned-action"]
