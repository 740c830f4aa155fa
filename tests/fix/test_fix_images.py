"""`secure-gate fix` pins images by digest: Dockerfiles, workflows and action.yml, end to end.

The CLI runs in-process against a loopback registry (tests/fix/fake_registry.py); the real
pins scanner then checks what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secure_gate.scanners.pins import actions, dockerfile
from tests.conftest import CliResult, Repo
from tests.fix import fake_registry as fake
from tests.fix.fake_registry import DOCKER_LIST, Image

Run = Callable[..., CliResult]

DOCKERFILE = (
    "# syntax=docker/dockerfile:1\n"
    "ARG PY=3.12\n"
    "FROM python:${PY} AS base\n"
    "FROM --platform=$BUILDPLATFORM python:3.12-slim AS builder\n"
    "RUN echo build\n"
    "FROM builder AS again\n"
    "FROM scratch\n"
    "COPY --from=ghcr.io/owner/tool:1.0 /tool /tool\n"
    "FROM python\n"
    "FROM python:3.99\n"
    "FROM Python:3\n"
    "FROM python:3.12@sha256:abc\n"
)
WORKFLOW = """\
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        image: [python:3.11, "python:3.12"]
        py: ["7"]
    container: ${{ matrix.image }}
    services:
      db:
        image: 'postgres:16'   # the database
      cache:
        image: redis:${{ matrix.py }}
    steps:
      - uses: docker://alpine:3.19
  other:
    runs-on: ubuntu-latest
    container:
      image: "node"
    steps:
      - run: echo hi
"""
ACTION = """\
name: tool
description: runs the tool
runs:
  using: docker
  image: docker://ghcr.io/owner/tool:1.0
"""


@pytest.fixture
def hub() -> Iterator[fake.Registry]:
    with fake.running() as registry:
        for name, tag, image in (
            ("library/python", "3.12-slim", Image.multi("slim")),
            ("library/python", "latest", Image.multi("latest", DOCKER_LIST)),
            ("library/python", "3.11", Image.single("311")),
            ("library/python", "3.12", Image.multi("312")),
            ("library/postgres", "16", Image.multi("pg")),
            ("library/alpine", "3.19", Image.single("alpine")),
            ("library/node", "latest", Image.multi("node")),
            ("owner/tool", "1.0", Image.single("tool")),
        ):
            registry.add(name, tag, image)
        yield registry


def _digest(hub: fake.Registry, name: str, tag: str) -> str:
    return hub.state.repos[name][tag].digest


def _fix(run_cli: Run, hub: fake.Registry, root: Path, *extra: str) -> CliResult:
    return run_cli(root, "fix", "--only", "pins", "--registry", f"docker.io={hub.url}",
                   "--registry", f"ghcr.io={hub.url}", *extra)


def _repo(make_repo: Callable[..., Repo], newline: str = "\n") -> Repo:
    return make_repo({
        "Dockerfile": DOCKERFILE.replace("\n", newline).encode(),
        ".github/workflows/ci.yml": WORKFLOW,
        "action.yml": ACTION,
    })


def _expected_dockerfile(hub: fake.Registry) -> str:
    slim = _digest(hub, "library/python", "3.12-slim")
    tool = _digest(hub, "owner/tool", "1.0")
    latest = _digest(hub, "library/python", "latest")
    return (DOCKERFILE
            .replace("python:3.12-slim AS", f"python:3.12-slim@{slim} AS")
            .replace("tool:1.0 /tool", f"tool:1.0@{tool} /tool")
            .replace("FROM python\n", f"FROM python:latest@{latest}\n"))


def _expected_workflow(hub: fake.Registry) -> str:
    py311 = _digest(hub, "library/python", "3.11")
    py312 = _digest(hub, "library/python", "3.12")
    return (WORKFLOW
            .replace("[python:3.11, \"python:3.12\"]",
                     f"[python:3.11@{py311}, \"python:3.12@{py312}\"]")
            .replace("'postgres:16'", f"'postgres:16@{_digest(hub, 'library/postgres', '16')}'")
            .replace("docker://alpine:3.19",
                     f"docker://alpine:3.19@{_digest(hub, 'library/alpine', '3.19')}")
            .replace('"node"', f'"node:latest@{_digest(hub, "library/node", "latest")}"'))


def test_every_reference_form_is_pinned_in_place(run_cli: Run, hub: fake.Registry,
                                                 make_repo: Callable[..., Repo]) -> None:
    repo = _repo(make_repo)
    result = _fix(run_cli, hub, repo.root)
    assert (repo.root / "Dockerfile").read_text() == _expected_dockerfile(hub)
    assert (repo.root / ".github/workflows/ci.yml").read_text() == _expected_workflow(hub)
    tool = _digest(hub, "owner/tool", "1.0")
    assert (repo.root / "action.yml").read_text() == ACTION.replace(
        "tool:1.0\n", f"tool:1.0@{tool}\n")
    assert result.code == 1  # some are left, each with its reason
    out = result.out
    assert "secure-gate fix: 8 edit(s), changed 3 file(s)" in out
    assert "Dockerfile:3: pins/unpinned-image: `python:${PY}` is assembled from a variable, " \
           "so its value is known only when the image is built (a build argument)" in out
    assert "Dockerfile:10: pins/unpinned-image: `python:3.99` not pinned: registry docker.io " \
           "has no tag 3.99 in library/python (MANIFEST_UNKNOWN)" in out
    assert "Dockerfile:11: pins/unpinned-image: `Python:3` is not an image reference docker " \
           "accepts: invalid reference format: repository name (library/Python) must be " \
           "lowercase" in out
    assert "Dockerfile:12: pins/unpinned-image: `python:3.12@sha256:abc` has a digest that " \
           "is not a full sha256 one" in out
    assert ("ci.yml:15: pins/unpinned-image: `redis:${{ matrix.py }}` is assembled from a "
            "variable, so its value is known only when the workflow runs") in out
    assert "not fixed: 5" in out
    for token in hub.state.issued():
        assert token not in result.out + result.err


def test_the_pins_scanner_finds_only_what_was_left(run_cli: Run, hub: fake.Registry,
                                                   make_repo: Callable[..., Repo]) -> None:
    repo = _repo(make_repo)
    _fix(run_cli, hub, repo.root)
    left = dockerfile.check("Dockerfile", (repo.root / "Dockerfile").read_text())
    assert sorted(f.location.line for f in left) == [3, 10, 11, 12]
    flow = actions.check_workflow("ci.yml", (repo.root / ".github/workflows/ci.yml").read_text())
    assert [f.location.line for f in flow] == [15]
    assert actions.check_action("action.yml", (repo.root / "action.yml").read_text()) == []
    scan = run_cli(repo.root, "scan", "--scanners", "pins")
    assert scan.json_report is not None
    found = sorted((f["path"], f["line"])
                   for f in scan.json_report["findings"] if f["rule"] == "unpinned-image")
    assert found == [(".github/workflows/ci.yml", 15), ("Dockerfile", 3), ("Dockerfile", 10),
                     ("Dockerfile", 11), ("Dockerfile", 12)]


def test_fixing_twice_changes_nothing_the_second_time(run_cli: Run, hub: fake.Registry,
                                                      make_repo: Callable[..., Repo]) -> None:
    repo = _repo(make_repo)
    _fix(run_cli, hub, repo.root)
    before = {p: (repo.root / p).read_bytes()
              for p in ("Dockerfile", ".github/workflows/ci.yml", "action.yml")}
    again = _fix(run_cli, hub, repo.root)
    assert "secure-gate fix: 0 edit(s), changed 0 file(s) in 1 round(s)" in again.out
    assert {p: (repo.root / p).read_bytes() for p in before} == before


def test_crlf_line_endings_are_kept(run_cli: Run, hub: fake.Registry,
                                    make_repo: Callable[..., Repo]) -> None:
    repo = _repo(make_repo, "\r\n")
    _fix(run_cli, hub, repo.root)
    written = (repo.root / "Dockerfile").read_bytes()
    assert written == _expected_dockerfile(hub).replace("\n", "\r\n").encode()


def test_a_diff_writes_nothing(run_cli: Run, hub: fake.Registry,
                               make_repo: Callable[..., Repo]) -> None:
    repo = _repo(make_repo)
    result = _fix(run_cli, hub, repo.root, "--diff")
    assert (repo.root / "Dockerfile").read_text() == DOCKERFILE
    slim = _digest(hub, "library/python", "3.12-slim")
    assert (f"-FROM --platform=$BUILDPLATFORM python:3.12-slim AS builder\n"
            f"+FROM --platform=$BUILDPLATFORM python:3.12-slim@{slim} AS builder\n") in result.out


def test_yaml_anchors_and_flow_mappings(run_cli: Run, hub: fake.Registry,
                                        make_repo: Callable[..., Repo]) -> None:
    text = ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
            "    container: &img python:3.12\n    steps: [{run: echo}]\n"
            "  b:\n    runs-on: ubuntu-latest\n    container: *img\n"
            "    services: {db: {image: \"postgres:16\"}}\n    steps: [{run: echo}]\n")
    repo = make_repo({".github/workflows/a.yml": text})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 0, result.out
    py312, pg = _digest(hub, "library/python", "3.12"), _digest(hub, "library/postgres", "16")
    assert (repo.root / ".github/workflows/a.yml").read_text() == (
        text.replace("&img python:3.12", f"&img python:3.12@{py312}")
        .replace('"postgres:16"', f'"postgres:16@{pg}"'))


def test_a_registry_out_of_pulls_ends_the_run_and_writes_nothing(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo]) -> None:
    hub.state.remaining = 0
    repo = make_repo({"Dockerfile": "FROM alpine:3.19\nFROM python:3.12\n"})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 3
    assert (repo.root / "Dockerfile").read_text() == "FROM alpine:3.19\nFROM python:3.12\n"
    assert "registry docker.io (http://127.0.0.1:" in result.err
    assert "refused for its pull rate limit (HTTP 429): 0 of 100 pulls left per 6 h" in result.err


def test_a_hostile_registry_pins_nothing_and_names_itself(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo]) -> None:
    hub.state.realm = "http://198.51.100.9/token"
    text = ("on: push\njobs:\n  a:\n    runs-on: x\n"
            "    container: ghcr.io/owner/tool:1.0\n    steps: [{run: echo}]\n")
    repo = make_repo({".github/workflows/a.yml": text, "Dockerfile": "FROM nope/private:1\n"})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 3
    assert "registry ghcr.io" in result.err
    assert "plain-http token realm on another machine" in result.err
    assert (repo.root / ".github/workflows/a.yml").read_text() == text


def test_an_image_that_needs_a_login_is_left_with_its_reason(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo]) -> None:
    hub.state.hub_unknown = True
    repo = make_repo({"Dockerfile": "FROM acme/private:1\nFROM alpine:3.19\n"})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 1
    assert ("Dockerfile:1: pins/unpinned-image: `acme/private:1` not pinned: registry docker.io "
            "refused an anonymous pull of acme/private (HTTP 401)") in result.out
    alpine = _digest(hub, "library/alpine", "3.19")
    assert (repo.root / "Dockerfile").read_text() == (
        f"FROM acme/private:1\nFROM alpine:3.19@{alpine}\n")
    for token in hub.state.issued():
        assert token not in result.out + result.err


def test_hostile_file_contents_are_left_alone(run_cli: Run, hub: fake.Registry,
                                              make_repo: Callable[..., Repo]) -> None:
    """A block scalar, an escaped quote and an expression are not guessed at; a reference
    with terminal escapes is refused by the parser and shown escaped."""
    text = ("on: push\njobs:\n  a:\n    runs-on: x\n    container: >-\n      python:3.12\n"
            "    services:\n      db:\n        image: \"postgres:\\u0031\\u0036\"\n"
            "      e:\n        image: ${{ env.IMAGE }}\n    steps: [{run: echo}]\n")
    repo = make_repo({".github/workflows/a.yml": text,
                      "Dockerfile": "FROM python:3\x1b[31m\n"})
    result = _fix(run_cli, hub, repo.root)
    assert (repo.root / ".github/workflows/a.yml").read_text() == text
    assert (repo.root / "Dockerfile").read_text() == "FROM python:3\x1b[31m\n"
    assert "written as a block scalar" in result.out
    assert "written with escapes" in result.out
    assert "\x1b" not in result.out


def test_a_whole_image_in_a_build_argument_is_pinned_at_its_default(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo]) -> None:
    text = ('ARG BASE=python:3.11\nARG BASE="python:3.12" TOOL=ghcr.io/owner/tool:1.0\n'
            "ARG PY=3.12\nFROM ${BASE} AS one\nFROM $BASE\nFROM ${TOOL}\n"
            "FROM python:${PY}\nARG LATE=alpine:3.19\nFROM ${LATE}\n")
    repo = make_repo({"Dockerfile": text})
    result = _fix(run_cli, hub, repo.root)
    py312, tool = _digest(hub, "library/python", "3.12"), _digest(hub, "owner/tool", "1.0")
    fixed = (repo.root / "Dockerfile").read_text()
    # The last global ARG wins, as in docker; python:3.11 is what no FROM reads.
    assert fixed == text.replace('"python:3.12"', f'"python:3.12@{py312}"').replace(
        "tool:1.0\n", f"tool:1.0@{tool}\n")
    assert "secure-gate fix: 1 edit(s)" in result.out  # both on line 2: one edit
    assert sorted(f.location.line for f in dockerfile.check("Dockerfile", fixed)) == [7, 9]
    assert "Dockerfile:9: pins/unpinned-image: `${LATE}` is assembled" in result.out


def test_matrix_include_entries_and_crlf_workflows(run_cli: Run, hub: fake.Registry,
                                                   make_repo: Callable[..., Repo]) -> None:
    text = ("on: push\njobs:\n  a:\n    runs-on: x\n    strategy:\n      matrix:\n"
            "        include:\n          - {image: node, tag: latest}\n"
            "          - image: 'python:3.11'\n"
            "    container: ${{ matrix.image }}\n    steps: [{run: echo}]\n")
    repo = make_repo({".github/workflows/a.yml": text.replace("\n", "\r\n").encode()})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 0, result.out
    node, py = _digest(hub, "library/node", "latest"), _digest(hub, "library/python", "3.11")
    expected = (text.replace("{image: node,", f"{{image: node:latest@{node},")
                .replace("'python:3.11'", f"'python:3.11@{py}'"))
    written = (repo.root / ".github/workflows/a.yml").read_bytes()
    assert written == expected.replace("\n", "\r\n").encode()
    assert actions.check_workflow("a.yml", written.decode()) == []


@pytest.mark.parametrize("head", ["# foo=bar\n", "\n", "# a comment\n"])
def test_an_escape_directive_docker_does_not_read_hides_no_stage(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo], head: str) -> None:
    # BuildKit reads directives only until the first line that is none (an unknown
    # `# foo=bar` too): here the backslash escapes, the backtick ending RUN is literal, and
    # `FROM python:3.12` is a stage that must be pinned (it was taken as part of the RUN).
    text = f"{head}# escape=`\nFROM python:3.12-slim\nRUN echo `\nFROM python:3.12\n"
    repo = make_repo({"Dockerfile": text})
    result = _fix(run_cli, hub, repo.root)
    assert result.code == 0, result.out
    assert (repo.root / "Dockerfile").read_text() == text.replace(
        "python:3.12-slim\n", f"python:3.12-slim@{_digest(hub, 'library/python', '3.12-slim')}\n"
    ).replace("python:3.12\n", f"python:3.12@{_digest(hub, 'library/python', '3.12')}\n")


def test_a_known_directive_after_another_is_read(
        run_cli: Run, hub: fake.Registry, make_repo: Callable[..., Repo]) -> None:
    text = "# syntax=docker/dockerfile:1\n# check=error=true\n# escape=`\nFROM python:3.12-slim\n" \
           "RUN echo `\nFROM python:3.12\n"
    repo = make_repo({"Dockerfile": text})
    _fix(run_cli, hub, repo.root)
    assert (repo.root / "Dockerfile").read_text() == text.replace(
        "python:3.12-slim\n", f"python:3.12-slim@{_digest(hub, 'library/python', '3.12-slim')}\n")
