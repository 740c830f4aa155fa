"""workflow-permissions: the GITHUB_TOKEN limited at the top or on every job, never write-all."""

from __future__ import annotations

import pytest

from secure_gate.scanners.practices import nosec, workflows
from tests.scanners.practices.helpers import lines

JOB = "    runs-on: ubuntu-24.04\n    steps:\n      - run: make\n"
HEAD = "name: ci\non: push\n"

POSITIVE = [
    ("nothing at all", HEAD + "jobs:\n  build:\n" + JOB, [2]),
    ("one job of two lacks it",
     HEAD + "jobs:\n  a:\n    permissions: {}\n" + JOB + "  b:\n" + JOB, [2]),
    ("top write-all", HEAD + "permissions: write-all\njobs:\n  a:\n" + JOB, [3]),
    ("job write-all", HEAD + "permissions: read-all\njobs:\n  a:\n    permissions: write-all\n"
     + JOB, [6]),
    ("both write-all", HEAD + "permissions: write-all\njobs:\n  a:\n"
     "    permissions: write-all\n" + JOB, [3, 6]),
    ("on: as a mapping, on its line", "name: x\n\non:\n  push:\n    branches: [main]\n"
     "jobs:\n  a:\n" + JOB, [3]),
    ("no on: key, line 1", "jobs:\n  a:\n" + JOB, [1]),
    ("quoted on key", "\"on\": push\njobs:\n  a:\n" + JOB, [1]),
    ("reusable workflow call job", HEAD + "jobs:\n  call:\n    uses: ./.github/workflows/x.yml\n",
     [2]),
    ("job permissions merged from an anchor that is write-all",
     HEAD + "permissions: {}\nx: &p\n  permissions: write-all\njobs:\n  a:\n    <<: *p\n"
     + JOB, [5]),
]

NEGATIVE = [
    ("top read", HEAD + "permissions:\n  contents: read\njobs:\n  a:\n" + JOB),
    ("top empty", HEAD + "permissions: {}\njobs:\n  a:\n" + JOB),
    ("read-all", HEAD + "permissions: read-all\njobs:\n  a:\n" + JOB),
    ("every job sets it", HEAD + "jobs:\n  a:\n    permissions:\n      contents: read\n" + JOB
     + "  b:\n    permissions:\n      pull-requests: write\n" + JOB),
    ("job writes, top read", HEAD + "permissions:\n  contents: read\njobs:\n  a:\n"
     "    permissions:\n      contents: write\n" + JOB),
    ("no jobs", HEAD),
    ("empty document", ""),
    ("comments only", "# nothing\n"),
    ("write-all in a step's text is not a permission",
     HEAD + "permissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
     "      - run: echo write-all\n"),
    ("nosec on the line", HEAD + "permissions: write-all  # nosec\njobs:\n  a:\n" + JOB),
]


def checked(text: str) -> list[int]:
    hits = workflows.check(text)
    kept, _ = nosec.apply(hits, nosec.line_comments(text.splitlines()))
    assert {h.rule for h in kept} <= {"workflow-permissions"}
    return lines(kept)


@pytest.mark.parametrize(("case", "text", "expected"), POSITIVE, ids=[c[0] for c in POSITIVE])
def test_reported(case: str, text: str, expected: list[int]) -> None:
    assert checked(text) == expected


@pytest.mark.parametrize(("case", "text"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, text: str) -> None:
    assert checked(text) == []


def test_message_names_the_jobs_without_permissions() -> None:
    (hit,) = workflows.check(HEAD + "jobs:\n  a:\n    permissions: {}\n" + JOB + "  lint:\n"
                             + JOB + "  test:\n" + JOB)
    assert "`lint`, `test`" in hit.message and "`a`" not in hit.message
    assert (hit.line, hit.column) == (2, 1)


def test_a_hostile_job_id_is_not_repeated() -> None:
    (hit,) = workflows.check(HEAD + "jobs:\n  \"x\\n::error::y\":\n" + JOB)
    assert "::error::" not in hit.message and "invalid id" in hit.message


@pytest.mark.parametrize(("text", "problem"), [
    ("on: [push\n", "line 2"),
    ("- a\n- b\n", "not a mapping"),
    ("on: push\njobs: {a: [}\n", "is not valid YAML"),
])
def test_unreadable_workflows_raise_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(workflows.WorkflowError, match=problem):
        workflows.check(text)
