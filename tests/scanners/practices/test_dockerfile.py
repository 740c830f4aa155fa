"""container-runs-as-root: the final stage's user, from FROM, USER, ARG/ENV and stage names."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.practices import dockerfile, nosec
from tests.scanners.practices.helpers import lines

BASE = "FROM python:3.12-slim\n"

# (case, Dockerfile, reported lines)
POSITIVE = [
    ("no USER", BASE + "RUN pip install app\nCMD [\"app\"]\n", [1]),
    ("USER root", BASE + "USER root\n", [2]),
    ("USER 0", BASE + "USER 0\n", [2]),
    ("root with a group", BASE + "USER root:root\n", [2]),
    ("uid and gid 0", BASE + "USER 0:0\n", [2]),
    ("last USER wins", BASE + "USER app\nRUN make\nUSER root\n", [4]),
    ("USER only in an earlier stage", "FROM golang AS build\nUSER app\n" + BASE, [3]),
    ("final stage named", "FROM golang AS build\nFROM python:3.12 AS final\nCOPY . /app\n", [2]),
    ("inherited root from a stage", "FROM python:3.12 AS base\nUSER root\nFROM base\n", [2]),
    ("root from ARG default", "ARG RUN_AS=root\n" + BASE + "ARG RUN_AS\nUSER ${RUN_AS}\n", [4]),
    ("root from ENV", BASE + "ENV APP_USER=0\nUSER $APP_USER\n", [3]),
    ("default in the expression", BASE + "USER ${APP_UID:-0}\n", [2]),
    ("lower-case keywords", "from python:3.12\nuser root\n", [2]),
    ("scratch final stage", "FROM golang AS b\nUSER app\nFROM scratch\nCOPY --from=b /a /a\n",
     [3]),
    ("platform flag", "FROM --platform=$BUILDPLATFORM python:3.12 AS x\n", [1]),
]

NEGATIVE = [
    ("unprivileged user", BASE + "RUN useradd app\nUSER app\n"),
    ("numeric uid", BASE + "USER 10001\n"),
    ("uid with group", BASE + "USER 1000:1000\n"),
    ("root earlier, app last", BASE + "USER root\nRUN apt-get update\nUSER app\n"),
    ("inherited from a stage", "FROM python:3.12 AS base\nUSER app\nFROM base\nCOPY . /a\n"),
    ("inherited through two stages",
     "FROM python:3.12 AS a\nUSER 1000\nFROM a AS b\nRUN x\nFROM b\n"),
    ("unresolvable variable", BASE + "USER $APP_USER\n"),
    ("nonroot base", "FROM gcr.io/distroless/python3-debian12:nonroot\nCOPY . /app\n"),
    ("USER inside a heredoc is text", BASE + "RUN <<EOF\nUSER root\nEOF\nUSER app\n"),
    ("continuation and comments",
     BASE + "RUN apt-get update \\\n# a comment\n && apt-get install -y x\nUSER app\n"),
    ("escape directive", "# escape=`\n" + BASE + "RUN a `\n  b\nUSER app\n"),
    ("global ARG not redeclared", "ARG U=root\n" + BASE + "USER app\n"),
    ("empty file", ""),
    ("only comments", "# nothing yet\n"),
]


@pytest.mark.parametrize(("case", "text", "expected"), POSITIVE, ids=[c[0] for c in POSITIVE])
def test_reported(case: str, text: str, expected: list[int]) -> None:
    hits = dockerfile.check(text)
    assert lines(hits) == expected
    assert {h.rule for h in hits} == {"container-runs-as-root"}


@pytest.mark.parametrize(("case", "text"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, text: str) -> None:
    assert dockerfile.check(text) == []


def test_missing_user_is_medium_confidence_explicit_root_high() -> None:
    (missing,) = dockerfile.check(BASE)
    (explicit,) = dockerfile.check(BASE + "USER root\n")
    assert missing.confidence is Confidence.MEDIUM and explicit.confidence is Confidence.HIGH
    assert "FROM python:3.12-slim" in missing.message
    digest = "sha256:" + "ab" * 32
    (pinned,) = dockerfile.check(f"FROM python:3.12@{digest}\n")
    assert digest not in pinned.message  # the digest is noise in a message


@pytest.mark.parametrize(("text", "silenced"), [
    ("# nosec\nFROM python:3.12\n", True),
    ("FROM python:3.12\n# nosec: container-runs-as-root\nUSER root\n", True),
    ("# nosec: workflow-permissions\nFROM python:3.12\n", False),
    ("# nosec\n\nFROM python:3.12\n", False),  # not the line right above
])
def test_nosec_is_a_comment_line_right_above(text: str, silenced: bool) -> None:
    hits = dockerfile.check(text)
    comments = nosec.line_comments(text.splitlines(), whole_line_only=True)
    kept, count = nosec.apply(hits, comments)
    assert (kept == [], count == 1) == (silenced, silenced)


def test_global_args_name_the_base_and_a_bump_keeps_the_evidence() -> None:
    digest = "@sha256:" + "cd" * 32
    (hit,) = dockerfile.check(f"ARG BASE=python:3.12-slim{digest}\nFROM ${{BASE}}\n")
    assert "FROM python:3.12-slim)" in hit.message
    (bumped,) = dockerfile.check("ARG BASE=python:3.13-slim\nFROM ${BASE}\n")
    assert bumped.evidence == hit.evidence
    assert dockerfile.check("ARG B=gcr.io/distroless/python3:nonroot\nFROM $B\n") == []
