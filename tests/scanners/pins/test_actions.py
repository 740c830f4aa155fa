"""Workflows and action.yml: uses:, images and run: installs, each on its exact line."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.pins import actions

SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
DIGEST = "sha256:" + "ab" * 32


def found(text: str, *, action: bool = False) -> list[tuple[str, int]]:
    check = actions.check_action if action else actions.check_workflow
    return sorted((f.rule, f.location.line or 0) for f in check("wf.yml", text))


def job(*steps: str, extra: str = "") -> str:
    body = "".join(f"      {s}\n" for s in steps)
    return f"on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n{extra}    steps:\n{body}"


# (case, workflow text, expected (rule, line) pairs): Scorecard's semantics in our own cases.
WORKFLOWS = [
    ("tag", job("- uses: actions/checkout@v4"), [("unpinned-action", 6)]),
    ("full sha with version comment", job(f"- uses: actions/checkout@{SHA} # v4.1.0"), []),
    ("upper-case sha", job(f"- uses: actions/checkout@{SHA.upper()}"), []),
    ("short sha", job("- uses: actions/checkout@8e5e7e5"), [("unpinned-action", 6)]),
    ("branch", job("- uses: actions/checkout@main"), [("unpinned-action", 6)]),
    ("no ref", job("- uses: actions/checkout"), [("unpinned-action", 6)]),
    ("sub-path action", job("- uses: github/codeql-action/init@v3"), [("unpinned-action", 6)]),
    ("sha of 39 digits", job(f"- uses: a/b@{SHA[:-1]}"), [("unpinned-action", 6)]),
    ("local action", job("- uses: ./.github/actions/build"), []),
    ("docker tag", job("- uses: docker://alpine:3.20"), [("unpinned-image", 6)]),
    ("docker no tag", job("- uses: docker://ghcr.io/o/tool"), [("unpinned-image", 6)]),
    ("docker digest", job(f"- uses: docker://alpine@{DIGEST}"), []),
    ("docker tag and digest", job(f"- uses: docker://rhysd/actionlint:latest@{DIGEST}"), []),
    ("docker tag that looks like a digest",
     job("- uses: docker://gcr.io/distroless/static:sha256-" + "ab" * 32 + ".sig"),
     [("unpinned-image", 6)]),
    ("quoted uses", job('- uses: "actions/setup-python@v5"'), [("unpinned-action", 6)]),
    ("flow step", job("- {name: co, uses: actions/checkout@v4}"), [("unpinned-action", 6)]),
    ("second line of a step", job("- name: Check out", "  uses: actions/checkout@v4"),
     [("unpinned-action", 7)]),
    ("reusable workflow", "on: push\njobs:\n  call:\n    uses: o/r/.github/workflows/w.yml@v1\n",
     [("unpinned-action", 4)]),
    ("reusable workflow pinned",
     f"on: push\njobs:\n  call:\n    uses: o/r/.github/workflows/w.yml@{SHA}\n", []),
    ("local reusable workflow", "on: push\njobs:\n  call:\n    uses: ./.github/workflows/w.yml\n",
     []),
    ("container string", job("- run: make", extra="    container: python:3.12\n"),
     [("unpinned-image", 5)]),
    ("container mapping", job("- run: make", extra="    container:\n      image: node:20\n"),
     [("unpinned-image", 6)]),
    ("container pinned", job("- run: make", extra=f"    container: python@{DIGEST}\n"), []),
    ("services", job("- run: make", extra=(
        "    services:\n      db:\n        image: postgres:16\n"
        f"      cache:\n        image: redis@{DIGEST}\n")), [("unpinned-image", 7)]),
    ("empty container", job("- run: make", extra="    container: ''\n"), []),
    ("run pip", job("- run: pip install requests"), [("unpinned-pip-install", 6)]),
    ("run pip wheel", job("- run: python -m pip wheel -w dist requests"),
     [("unpinned-pip-install", 6)]),
    ("run pip3 download", job("- run: pip3 download -d dl requests==2.32.3 flask"),
     [("unpinned-pip-install", 6)]),
    ("run install of a downloaded folder", job("- run: pip download -d dl requests==2.32.3",
                                               "- run: pip install dl/*"), []),
    ("run block pip", job("- run: |", "    echo hi", "    python -m pip install -U pip",
                          "    pip install -r requirements.txt"),
     [("unpinned-pip-install", 8)]),
    ("run pinned", job("- run: pip install ruff==0.5.0 && pip install --require-hashes x"), []),
    ("run continuation", job("- run: |", "    pip install \\", "      flask \\",
                             "      django==5.0"), [("unpinned-pip-install", 8)]),
    ("folded run", job("- run: >", "    pip install", "    black"),
     [("unpinned-pip-install", 8)]),
    ("python shell", job("- shell: python", "  run: |", "    print('pip install x')"), []),
    ("custom bash shell", job("- shell: bash -eo pipefail {0}", "  run: pip install x"),
     [("unpinned-pip-install", 7)]),
    ("defaults python shell", "on: push\ndefaults:\n  run:\n    shell: python\njobs:\n  t:\n"
     "    steps:\n      - run: print('pip install x')\n", []),
    ("empty file", "", []),
    ("comments only", "# nothing here\n# at all\n", []),
    ("no jobs", "on: push\n", []),
    ("jobs not a mapping", "on: push\njobs: [a, b]\n", []),
    ("steps not a list", "on: push\njobs:\n  t:\n    steps: nope\n", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in WORKFLOWS],
                         ids=[c[0] for c in WORKFLOWS])
def test_workflows(text: str, expected: list[tuple[str, int]]) -> None:
    assert found(text) == expected


def test_a_downloaded_folder_is_known_only_in_its_own_job() -> None:
    text = ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: pip download -d dl requests==2.32.3\n"
            "  b:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install dl/*\n")
    assert found(text) == [("unpinned-pip-install", 10)]


ANCHORS = """\
on: push
x-checkout: &checkout
  uses: actions/checkout@v4
x-env: &env
  PKG: flask==3.0.0
jobs:
  a:
    env: *env
    steps:
      - *checkout
      - <<: *checkout
        name: merged, explicit keys win
      - <<: [*checkout]
        uses: actions/setup-python@v5
      - run: pip install $PKG
  b:
    steps:
      - *checkout
"""


def test_anchors_aliases_and_merge_keys_report_the_line_written_once() -> None:
    # An alias is the anchored node itself: one line to fix, one finding.
    assert found(ANCHORS) == [("unpinned-action", 3), ("unpinned-action", 14)]


def test_an_anchored_run_step_reused_is_one_finding_per_distinct_result() -> None:
    text = ("on: push\njobs:\n  a:\n    env: {PKG: flask}\n    steps:\n"
            "      - &install\n        run: pip install $PKG tox\n"
            "  b:\n    env: {PKG: flask==3.0.3}\n    steps: [*install]\n"
            "  c:\n    steps: [*install]\n")
    findings = actions.check_workflow("wf.yml", text)
    # `$PKG` is unpinned in job a, pinned in b, unknown in c: one line, reported once.
    assert sorted((f.location.line, f.location.column, f.confidence.label) for f in findings) \
        == [(7, 26, "high"), (7, 31, "high")]


def test_a_merge_cycle_does_not_hang() -> None:
    text = "on: push\njobs:\n  a: &a\n    <<: *a\n    steps: [{uses: a/b@v1}]\n"
    assert found(text) == [("unpinned-action", 5)]


MATRIX = """\
on: push
jobs:
  test:
    strategy:
      matrix:
        image:
          - python:3.12
          - python@sha256:""" + "ab" * 32 + """
        tool: ["ruff==0.5.0", mypy]
        include:
          - image: pypy:3.10
    container: ${{ matrix.image }}
    services:
      db:
        image: ${{ matrix.missing }}
    steps:
      - run: pip install ${{ matrix.tool }}
      - run: pip install "django==${{ matrix.django }}"
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
"""


def test_matrix_values_are_checked_where_they_are_written() -> None:
    findings = actions.check_workflow("wf.yml", MATRIX)
    got = sorted((f.rule, f.location.line, f.confidence) for f in findings)
    assert got == [
        ("unpinned-action", 19, Confidence.HIGH),
        ("unpinned-image", 7, Confidence.HIGH),     # python:3.12, from the matrix
        ("unpinned-image", 11, Confidence.HIGH),    # pypy:3.10, from include:
        ("unpinned-image", 15, Confidence.LOW),     # a matrix key that does not exist
        ("unpinned-pip-install", 17, Confidence.HIGH),  # mypy, one of the tool values
        ("unpinned-pip-install", 18, Confidence.LOW),   # no django key: cannot be known
    ]
    tool = next(f for f in findings if f.location.line == 17)
    assert "`mypy`" in tool.message and "ruff" not in tool.message


def test_an_image_assembled_from_a_matrix_value_is_reported_where_it_is_assembled() -> None:
    text = ("on: push\njobs:\n  t:\n    strategy:\n      matrix:\n        py: ['3.11', '3.12']\n"
            "    container: python:${{ matrix.py }}-slim\n    steps: []\n")
    findings = actions.check_workflow("wf.yml", text)
    assert sorted((f.location.line, f.message.split("`")[1]) for f in findings) == [
        (7, "python:3.11-slim"), (7, "python:3.12-slim")]


def test_env_values_resolve_variables_in_run() -> None:
    text = ("on: push\nenv:\n  A: requests==2.32.3\njobs:\n  t:\n    env:\n      B: flask\n"
            "    steps:\n      - run: pip install $A ${B} ${{ env.A }} $C\n"
            "        env:\n          C: ${{ secrets.X }}\n")
    findings = actions.check_workflow("wf.yml", text)
    assert sorted((f.location.line, f.confidence, f.location.column) for f in findings) == [
        (9, Confidence.LOW, 47), (9, Confidence.HIGH, 29)]


def test_columns_point_at_the_reference() -> None:
    text = job("- uses: actions/checkout@v4")
    (finding,) = actions.check_workflow("wf.yml", text)
    line = text.splitlines()[finding.location.line - 1]
    assert finding.location.column is not None and finding.location.end_column is not None
    assert line[finding.location.column - 1: finding.location.end_column] == \
        "actions/checkout@v4"


def test_finding_says_how_to_fix_and_evidence_is_the_reference() -> None:
    (finding,) = actions.check_workflow("wf.yml", job("- uses: actions/checkout@v4"))
    assert finding.fix == "uses: actions/checkout@<40-hex commit sha> # v4"
    assert "uses: actions/checkout@<40-hex commit sha> # v4" in finding.message
    moved = actions.check_workflow("wf.yml", "\n\n" + job("- uses: actions/checkout@v4"))
    assert moved[0].location.line == finding.location.line + 2
    assert moved[0].evidence == finding.evidence


ACTION = f"""\
name: composite
runs:
  using: composite
  steps:
    - uses: actions/cache@v4
    - uses: actions/checkout@{SHA}
    - uses: ./local
    - shell: bash
      run: pip install build
"""


@pytest.mark.parametrize(("text", "expected"), [
    (ACTION, [("unpinned-action", 5), ("unpinned-pip-install", 9)]),
    ("name: d\nruns:\n  using: docker\n  image: Dockerfile\n", []),
    ("name: d\nruns:\n  using: docker\n  image: docker://alpine:3\n", [("unpinned-image", 4)]),
    (f"name: d\nruns:\n  using: docker\n  image: docker://alpine@{DIGEST}\n", []),
    ("name: n\nruns:\n  using: node20\n  main: index.js\n", []),
    ("", []),
], ids=["composite", "docker-local", "docker-tag", "docker-digest", "node", "empty"])
def test_action_metadata(text: str, expected: list[tuple[str, int]]) -> None:
    assert found(text, action=True) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("on: push\njobs:\n  a:\n   steps:\n  - run: x\n", "line 5"),
    ("on: [push\n", "line 2"),
    ("- just\n- a list\n", "not a workflow"),
    ("on: push\n---\non: pull_request\n", "a single document in the stream; but found another"),
    ("on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n", "line 5: duplicate key"),
    (job(f"- uses: a/b@{SHA}", "  uses: a/c@v1"), "line 7: duplicate key 'uses'"),
    ("on: !!python/object/apply:os.system ['true']\n", ""),
    ("key: \x07bell\n", "special characters"),
], ids=["indentation", "unclosed-flow", "top-level-list", "two-documents", "duplicate-key",
        "duplicate-uses", "python-tag", "control-character"])
def test_unreadable_yaml_is_an_error_naming_the_line(text: str, fragment: str) -> None:
    if "python/object" in text:
        # The safe loader never constructs tagged objects: composing is harmless.
        assert actions.check_workflow("wf.yml", text) == []
        return
    with pytest.raises(actions.YamlError, match=fragment):
        actions.check_workflow("wf.yml", text)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(actions.YamlError):
        actions.check_workflow("wf.yml", "a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_billion_laughs_stays_cheap() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    text = "\n".join(levels) + "\njobs:\n  j:\n    steps: *a8\n"
    assert actions.check_workflow("wf.yml", text) == []
