"""`secure-gate fix` pinning actions: uses: owner/repo@tag becomes @<commit> # tag, against a
loopback GitHub API; the real pins and workflows (zizmor) scanners judge the result."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secure_gate import engine, fixer
from secure_gate.net.http import Http
from secure_gate.net.services import Services
from secure_gate.request import ScanRequest
from tests.github.fake_github import State, primary_limit
from tests.github.runner import fake_token

SRC = Path(__file__).resolve().parents[2] / "src"
CI = ".github/workflows/ci.yml"


@pytest.fixture
def shas(api: State) -> dict[str, str]:
    """The world: checkout v4 (annotated), setup-python v5 (lightweight), a tool's v2 tag of
    a tag, a reusable workflow's main branch, and a release/v1 tag with a slash."""
    out = {name: api.git.commit(repo, name) for repo, name in (
        ("actions/checkout", "v4"), ("actions/setup-python", "v5"), ("octo-org/tool", "v2"),
        ("octo-org/workflows", "main"), ("pypa/gh-action-pypi-publish", "release/v1"))}
    api.git.tag("actions/checkout", "v4", out["v4"], annotated=1)
    api.git.tag("actions/setup-python", "v5", out["v5"])
    api.git.tag("octo-org/tool", "v2", out["v2"], annotated=2)
    api.git.branch("octo-org/workflows", "main", out["main"])
    api.git.tag("pypa/gh-action-pypi-publish", "release/v1", out["release/v1"], annotated=1)
    return out


def services_for(api: State, token: str | None) -> Services:
    return Services(http=Http(timeout=5, sleep=lambda _s: None), github_api=api.base,
                    github_token=token)


def run_fix(root: Path, services: Services, *, dry_run: bool = False) -> fixer.FixResult:
    return fixer.run(fixer.FixRequest(scan=ScanRequest(root=root, cache_dir=None),
                                      services=services, only=("pins",), dry_run=dry_run))


def write(root: Path, path: str, text: str, newline: str = "\n") -> Path:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(text.replace("\n", newline).encode())
    return target


WORKFLOW = """\
on: push
jobs:
  call:
    uses: octo-org/workflows/.github/workflows/release.yml@main
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: python
        uses: 'actions/setup-python@v5'   # the interpreter
      -   uses: "octo-org/tool@v2"
      - {uses: octo-org/tool@v2, with: {level: 3}}
      - uses: &publish pypa/gh-action-pypi-publish@release/v1
  again:
    runs-on: ubuntu-latest
    steps:
      - uses: *publish
      - uses: octo-org/tool/sub/dir@v2 # v2
"""


def expected(s: dict[str, str]) -> str:
    return f"""\
on: push
jobs:
  call:
    uses: octo-org/workflows/.github/workflows/release.yml@{s['main']} # main
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{s['v4']} # v4
      - name: python
        uses: 'actions/setup-python@{s['v5']}' # v5   # the interpreter
      -   uses: "octo-org/tool@{s['v2']}" # v2
      - {{uses: octo-org/tool@{s['v2']}, with: {{level: 3}}}} # v2
      - uses: &publish pypa/gh-action-pypi-publish@{s['release/v1']} # release/v1
  again:
    runs-on: ubuntu-latest
    steps:
      - uses: *publish
      - uses: octo-org/tool/sub/dir@{s['v2']} # v2
"""


ACTION = """\
name: composite
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
    - run: echo hi
      shell: bash
"""


def findings(root: Path, scanner: str) -> list[tuple[str, int | None, str]]:
    report = engine.scan(ScanRequest(root=root, scanners=(scanner,), cache_dir=None))
    return sorted((f.location.path, f.location.line, f.rule) for f in report.findings)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_each_kind_of_uses_is_pinned_in_place_and_a_second_run_changes_nothing(
        tmp_path: Path, api: State, token: str, shas: dict[str, str], newline: str) -> None:
    write(tmp_path, CI, WORKFLOW, newline)
    write(tmp_path, "action.yml", ACTION, newline)
    result = run_fix(tmp_path, services_for(api, token))
    assert result.unfixed == [] and result.errors == []
    assert (tmp_path / CI).read_bytes() == expected(shas).replace("\n", newline).encode()
    assert (tmp_path / "action.yml").read_bytes() == ACTION.replace(
        "actions/setup-python@v5", f"actions/setup-python@{shas['v5']} # v5").replace(
        "\n", newline).encode()
    summaries = {(e.path, e.line): e.summary for e in result.edits}
    assert "branch main: its head today; a branch moves" in summaries[(CI, 4)]
    assert "tag v4, annotated, peeled to its commit" in summaries[(CI, 8)]
    assert summaries[(CI, 10)].endswith("(tag v5)")
    assert fixer.exit_code(result) == 0
    asked = len(api.seen)

    again = run_fix(tmp_path, services_for(api, token))
    assert (again.changes, again.edits, again.unfixed) == ([], [], [])
    assert again.rounds == 1
    # The second run asked only to check the `# v2` and `# v4` comments it now finds.
    assert all("/git/ref/tags/" in s.path or "/git/tags/" in s.path
               for s in api.seen[asked:])


def test_the_real_scanners_no_longer_report_the_fixed_lines(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    write(tmp_path, CI, WORKFLOW)
    write(tmp_path, "action.yml", ACTION)
    before_pins = findings(tmp_path, "pins")
    before_zizmor = [f for f in findings(tmp_path, "workflows") if f[2] == "unpinned-uses"]
    assert len(before_pins) == 8 and all(rule == "unpinned-action" for *_, rule in before_pins)
    assert {line for _path, line, _rule in before_zizmor} >= {4, 11, 12, 13, 18}
    run_fix(tmp_path, services_for(api, token))
    assert findings(tmp_path, "pins") == []
    assert [f for f in findings(tmp_path, "workflows") if f[2] == "unpinned-uses"] == []


def test_dry_run_and_diff_write_nothing(tmp_path: Path, api: State, token: str,
                                        shas: dict[str, str]) -> None:
    write(tmp_path, CI, WORKFLOW)
    result = run_fix(tmp_path, services_for(api, token), dry_run=True)
    assert (tmp_path / CI).read_text() == WORKFLOW and not result.written
    assert f"+      - uses: actions/checkout@{shas['v4']} # v4\n" in result.diff()


def test_a_utf8_bom_stays(tmp_path: Path, api: State, token: str,
                          shas: dict[str, str]) -> None:
    target = write(tmp_path, CI, "\ufeff" + "jobs:\n  a:\n    steps:\n"
                   "      - uses: actions/checkout@v4\n")
    run_fix(tmp_path, services_for(api, token))
    assert target.read_text(encoding="utf-8") == (
        f"\ufeffjobs:\n  a:\n    steps:\n      - uses: actions/checkout@{shas['v4']} # v4\n")


def test_a_short_sha_is_expanded_without_a_version_comment(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    target = write(tmp_path, CI, f"jobs:\n  a:\n    steps:\n"
                                 f"      - uses: actions/checkout@{shas['v4'][:8]}\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == f"jobs:\n  a:\n    steps:\n" \
                                 f"      - uses: actions/checkout@{shas['v4']}\n"
    assert result.edits[0].summary.endswith(f"(short SHA {shas['v4'][:8]} expanded)")


def test_two_uses_on_one_line_take_two_rounds(tmp_path: Path, api: State, token: str,
                                              shas: dict[str, str]) -> None:
    target = write(tmp_path, CI, "jobs:\n  a:\n    steps: [{uses: actions/checkout@v4}, "
                                 "{uses: actions/setup-python@v5}]\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == (
        f"jobs:\n  a:\n    steps: [{{uses: actions/checkout@{shas['v4']}}}, "
        f"{{uses: actions/setup-python@{shas['v5']}}}] # v4 # v5\n")
    assert result.unfixed == [] and result.rounds == 3


HOSTILE = {
    "expression": ("      - uses: actions/checkout@${{ matrix.ref }}\n",
                   "holds an expression"),
    "no ref": ("      - uses: actions/checkout\n", "has no ref: the fixer cannot guess"),
    "unknown tag": ("      - uses: actions/checkout@v99\n",
                    "no tag or branch `v99` in actions/checkout"),
    "unknown repository": ("      - uses: nobody/nothing@v1\n",
                           "no tag or branch `v1` in nobody/nothing"),
    "folded block": ("      - uses: >-\n          actions/checkout@v4\n", "block scalar"),
    "spans lines": ('      - uses: "actions/checkout\n          @v4"\n', "spans lines"),
    "escapes": ('      - uses: "actions/checkout\\x40v4"\n', "written with escapes"),
    "flow string over lines": ('      - {uses: actions/checkout@v4, with: {note: "a\n'
                               '          b"}}\n', "would change what the YAML means"),
    "bad ref": ("      - uses: actions/checkout@v1..v2\n", "is not a git tag or branch name"),
}


def test_a_flow_mapping_with_a_hash_in_a_string_gets_its_comment_at_the_end(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    target = write(tmp_path, CI, 'jobs:\n  a:\n    steps:\n'
                                 '      - {uses: actions/checkout@v4, with: {note: "a # b"}}\n')
    run_fix(tmp_path, services_for(api, token))
    assert target.read_text().endswith(f'- {{uses: actions/checkout@{shas["v4"]}, with: '
                                       '{note: "a # b"}} # v4\n')


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_what_cannot_be_edited_safely_is_left_with_a_reason(
        tmp_path: Path, api: State, token: str, shas: dict[str, str], case: str) -> None:
    step, reason = HOSTILE[case]
    text = f"jobs:\n  a:\n    runs-on: x\n    steps:\n{step}"
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == text
    assert [(u.path, u.line, u.rule) for u in result.unfixed] == [
        (CI, 5, "pins/unpinned-action")]
    assert reason in result.unfixed[0].reason
    assert fixer.exit_code(result) == 1


def test_a_unicode_line_separator_leaves_the_file_alone(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    text = "name: 'a\u2028b'\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n"
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == text
    assert [(u.line, "Unicode line separator" in u.reason) for u in result.unfixed] == [
        (6, True)]


@pytest.mark.parametrize("sha", ["NOT-A-SHA", "A" * 40, "a" * 39, "a" * 41])
def test_an_api_answer_that_is_not_a_sha_edits_nothing(
        tmp_path: Path, api: State, token: str, sha: str) -> None:
    api.git.repo("actions/checkout").refs["tags/v4"] = ("commit", sha)
    target = write(tmp_path, CI, "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text().endswith("actions/checkout@v4\n")
    assert "not 40 lower-case hex digits" in result.unfixed[0].reason


def test_a_rate_limit_fails_the_run_naming_the_service_and_pins_nothing(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    api.script.append(primary_limit("GET", "/repos/", int(time.time()) + 3000))
    text = "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n" \
           "      - uses: actions/setup-python@v5\n"
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert [re.sub(r"\d+", "N", e) for e in result.errors] == [
        "the GitHub API (http://N.N.N.N:N/repos/actions/checkout/git/ref/tags/vN): rate limit "
        "reached (HTTP N); it allows more in N s (what needed the GitHub API is not fixed)"]
    assert fixer.exit_code(result) == 3
    assert {u.reason for u in result.unfixed} == {"the GitHub API could not answer"}
    assert target.read_text() == text
    assert len([s for s in api.seen if "/git/" in s.path]) == 1  # asked once, not again


def test_an_answer_no_api_gives_fails_the_run(tmp_path: Path, api: State, token: str) -> None:
    api.git.raw["/repos/"] = (200, {"Content-Type": "text/html"}, b"<html>login</html>")
    text = "jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n"
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert len(result.errors) == 1 and "not JSON" in result.errors[0]
    assert fixer.exit_code(result) == 3
    assert target.read_text() == text


def test_the_comment_check_without_the_api_fails_the_run(
        tmp_path: Path, shas: dict[str, str]) -> None:
    """A comment that could not be checked is not a checked one: exit 3 (it was a note and
    exit 0); nothing else needed the API, so nothing else is held back."""
    write(tmp_path, CI, f"jobs:\n  a:\n    steps:\n"
                        f"      - uses: actions/checkout@{shas['v4']} # v4\n")
    offline = Services(http=Http(timeout=2, retries=0, sleep=lambda _s: None),
                       github_api="http://127.0.0.1:9")
    result = run_fix(tmp_path, offline)
    assert result.unfixed == [] and fixer.exit_code(result) == 3
    assert [e for e in result.errors if e.startswith("version comments not checked: the "
                                                     "GitHub API (http://127.0.0.1:9/")]


def test_a_renamed_repository_is_pinned_and_noted(tmp_path: Path, api: State, token: str,
                                                  shas: dict[str, str]) -> None:
    commit = api.git.commit("new-org/tool", "v3")
    api.git.tag("new-org/tool", "v3", commit)
    api.git.moved["old-org/tool"] = "new-org/tool"
    target = write(tmp_path, CI, "jobs:\n  a:\n    steps:\n      - uses: old-org/tool@v3\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text().endswith(f"uses: old-org/tool@{commit} # v3\n")
    assert any("old-org/tool has moved to new-org/tool" in n for n in result.notes)


def test_a_version_comment_that_is_not_its_sha_is_reported(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    """Nothing here is unpinned: the comments are checked all the same."""
    text = (f"jobs:\n  a:\n    steps:\n"
            f"      - uses: actions/checkout@{shas['v5']} # v4\n"
            f"      - uses: actions/setup-python@{shas['v5']} # v5\n"
            f"      - uses: octo-org/tool@{shas['v2']} # tag=v2 keep\n"
            f"      - uses: octo-org/tool@{shas['v2']} # pinned by hand\n")
    target = write(tmp_path, CI, text)
    write(tmp_path, "sub/action.yml", f"runs:\n  using: composite\n  steps:\n"
                                      f"    - uses: actions/checkout@{'e' * 40} # v4\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == text
    assert [(u.path, u.line, u.rule) for u in result.unfixed] == [
        (CI, 4, "pins/action-version-comment"),
        ("sub/action.yml", 4, "pins/action-version-comment")]
    assert f"tag v4 of actions/checkout is commit {shas['v4']}" in result.unfixed[0].reason
    assert fixer.exit_code(result) == 1


def test_a_version_comment_naming_no_tag_is_a_note(tmp_path: Path, api: State, token: str,
                                                   shas: dict[str, str]) -> None:
    write(tmp_path, CI, f"jobs:\n  a:\n    steps:\n"
                        f"      - uses: actions/checkout@{shas['v4']} # v4.9.9\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert result.unfixed == []
    assert any("`# v4.9.9` was not checked: no tag `v4.9.9`" in n for n in result.notes)


def _cli(root: Path, api: State, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GITHUB_TOKEN": token, "PYTHONPATH": str(SRC),
           "NO_PROXY": "127.0.0.1,localhost"}
    return subprocess.run([sys.executable, "-m", "secure_gate", "fix", "--only", "pins",
                           "--github-api-url", api.base, *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_cli_pins_with_the_token_and_never_prints_it(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    write(tmp_path, CI, WORKFLOW)
    done = _cli(tmp_path, api, token, "--diff")
    assert done.returncode == 0, done.stderr
    assert f"+      - uses: actions/checkout@{shas['v4']} # v4" in done.stdout
    assert token not in done.stdout + done.stderr
    assert api.seen and all(s.authorised for s in api.seen)
    assert (tmp_path / CI).read_text() == WORKFLOW  # --diff writes nothing


def test_a_refused_token_is_said_and_never_printed(tmp_path: Path, api: State,
                                                   shas: dict[str, str]) -> None:
    wrong = fake_token()
    write(tmp_path, CI, WORKFLOW)
    done = _cli(tmp_path, api, wrong)
    assert done.returncode == 3
    assert "secure-gate: error: the GitHub API (" in done.stderr
    assert "refused the token (HTTP 401 Bad credentials): GITHUB_TOKEN is wrong" in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert (tmp_path / CI).read_text() == WORKFLOW


def test_a_bad_edit_does_not_hold_back_the_good_ones_of_its_file(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    text = ('jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n'
            '      - {uses: actions/setup-python@v5, with: {note: "a\n          b"}}\n')
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == text.replace("actions/checkout@v4",
                                              f"actions/checkout@{shas['v4']} # v4")
    assert [(u.line, "would change what the YAML means" in u.reason)
            for u in result.unfixed] == [(5, True)]


def test_two_at_signs_are_not_guessed_at(tmp_path: Path, api: State, token: str) -> None:
    text = "jobs:\n  a:\n    steps:\n      - uses: octo-org/tool@pkg@1.0\n"
    target = write(tmp_path, CI, text)
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text() == text
    assert "more than one `@`" in result.unfixed[0].reason
    assert not [s for s in api.seen if "/git/" in s.path]


def test_the_comment_check_skips_local_actions_and_images(
        tmp_path: Path, api: State, token: str) -> None:
    write(tmp_path, CI, f"jobs:\n  a:\n    steps:\n"
                        f"      - uses: ./local@{'a' * 40} # v1\n"
                        f"      - uses: docker://alpine@sha256:{'b' * 64} # 3.20\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert (result.unfixed, result.notes) == ([], [])
    assert api.seen == []


def test_a_tag_looked_up_to_pin_is_not_asked_again_to_check_it(
        tmp_path: Path, api: State, token: str, shas: dict[str, str]) -> None:
    write(tmp_path, CI, "jobs:\n  a:\n    steps:\n      - uses: actions/setup-python@v5\n")
    run_fix(tmp_path, services_for(api, token))
    assert [s.path for s in api.seen] == ["/repos/actions/setup-python/git/ref/tags/v5"]


def test_a_tag_in_front_of_the_value_stays(tmp_path: Path, api: State, token: str,
                                           shas: dict[str, str]) -> None:
    target = write(tmp_path, CI, "jobs:\n  a:\n    steps:\n"
                                 "      - uses: &co !!str actions/checkout@v4  # keep\n")
    result = run_fix(tmp_path, services_for(api, token))
    assert target.read_text().endswith(
        f"- uses: &co !!str actions/checkout@{shas['v4']} # v4  # keep\n")
    assert result.unfixed == []
