"""``fix: suggest``: the fixer's edits on a PR's changed lines as one review of suggestions.

End to end through ``run_github`` with real git, the loopback GitHub API (reviews answered
as GitHub does: 422 off the diff, 403 for fork tokens, pages) and a test-only scanner that
can fix (tests/fix/toyfix.py), registered the way the architecture tests register theirs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from secure_gate.diff import unquote
from secure_gate.edits import Edit, Unfixed
from secure_gate.github.suggest import (
    MAX_LISTED,
    MAX_SUGGESTIONS,
    Outcome,
    fence_for,
    nameable,
    place,
    regions,
    review_comment,
    suggestion_body,
    suggestion_key,
    summary_markdown,
)
from tests.conftest import Repo
from tests.fix import toyfix
from tests.github.fake_github import Scripted, State, secondary_limit
from tests.github.runner import Runner, pr_event
from tests.github.test_main import Step, step

NUMBER = 7


@pytest.fixture(autouse=True)
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy fixer (tests/fix/toyfix.py) among the scanners."""
    yield from toyfix.registered(monkeypatch)


class Pull:
    """A repository with a base commit and a PR head commit, and its runner."""

    def __init__(self, repo: Repo, tmp_path: Path, api: State, before: dict[str, str],
                 after: dict[str, str], *, fork: bool = False) -> None:
        self.repo = repo
        repo.write(before)
        self.base = repo.commit("base")
        for name in set(before) - set(after):
            (repo.root / name).unlink()
        repo.write(after)
        self.head = repo.commit("head")
        event = pr_event(NUMBER, fork=fork)
        pull = event["pull_request"]
        assert isinstance(pull, dict)
        pull["base"]["sha"] = self.base
        pull["head"]["sha"] = self.head
        self.runner = Runner(tmp_path / "runner", repo.root, event=event,
                             event_name="pull_request")
        api.heads[NUMBER] = self.head
        api.hunks[NUMBER] = hunks(repo, self.base, self.head)
        self.api = api

    def run(self, token: str, **inputs: str) -> Step:
        self.runner.summary.write_text("")
        self.runner.output.write_text("")
        return step(self.runner, {"scanners": "toyfix", "diff-base": "auto", "fix": "suggest",
                                  "comment": "never", "github-token": token, **inputs},
                    api=self.api)

    def reviews(self) -> list[dict[str, Any]]:
        return [s.body for s in self.api.calls("POST", f"/repos/o/r/pulls/{NUMBER}/reviews")]


def hunks(repo: Repo, base: str, head: str) -> dict[str, list[range]]:
    """The RIGHT-side hunks GitHub shows for the PR (3 lines of context, as its diff)."""
    out: dict[str, list[range]] = {}
    current = None
    for line in repo.git("diff", "-U3", base, head).splitlines():
        if line.startswith("+++ "):
            target = unquote(line[4:].encode("utf-8", "surrogateescape"))
            current = None if target == b"/dev/null" else os.fsdecode(target[2:])
        elif line.startswith("@@") and current is not None:
            new = line.split(" ")[2].lstrip("+")
            start, _, count = new.partition(",")
            length = int(count) if count else 1
            out.setdefault(current, []).append(range(int(start), int(start) + length))
    return out


@pytest.fixture
def pull(make_repo: Callable[..., Repo], tmp_path: Path, api: State
         ) -> Callable[..., Pull]:
    def make(before: dict[str, str], after: dict[str, str], **kw: Any) -> Pull:
        return Pull(make_repo({}, commit=False), tmp_path, api, before, after, **kw)
    return make


BEFORE = {"a.toy": "one\ntwo\nthree\nTOY old\nfour\n", "b.txt": "x\n"}
AFTER = {"a.toy": "one\nTOY new\ntwo\nthree\nTOY old\nfour\nTOY+ grows\n", "b.txt": "x\n"}


def test_suggestions_on_changed_lines_in_one_review(pull: Callable[..., Pull],
                                                    token: str) -> None:
    pr = pull(BEFORE, AFTER)
    run = pr.run(token)
    assert run.code == 1  # the toy findings block: the verdict is the gate's, unchanged
    assert run.outputs["passed"] == "false" and run.outputs["exit-code"] == "1"
    (review,) = pr.reviews()
    assert review["event"] == "COMMENT" and review["commit_id"] == pr.head
    assert review["commit_id"] != run.env["GITHUB_SHA"]
    comments = sorted(review["comments"], key=lambda c: c["line"])
    assert [(c["path"], c.get("start_line"), c["line"], c["side"]) for c in comments] == [
        ("a.toy", None, 2, "RIGHT"), ("a.toy", None, 7, "RIGHT")]
    assert "```suggestion\nFIXED new\n```" in comments[0]["body"]
    assert "```suggestion\nFIXED grows\n  and one more line\n```" in comments[1]["body"]
    assert "<!-- secure-gate:fix-suggestions -->" in review["body"]
    assert "Nothing was pushed" in review["body"]
    # Line 5 (TOY old) is the base's: not this change, listed in the summary instead.
    assert "Would also fix (not in this change): 1" in run.summary
    assert "<code>a\\.toy</code>:5" in run.summary
    assert "2 suggestion(s) posted" in run.summary
    assert not run.stray()
    # Never a commit, never a push: the work tree and the branch are as they were.
    assert pr.repo.git("rev-parse", "HEAD").strip() == pr.head
    assert pr.repo.git("status", "--porcelain") == ""
    assert (pr.repo.root / "a.toy").read_text() == AFTER["a.toy"]


def test_the_exit_code_is_the_same_without_fix(pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    off = pr.run(token, fix="off")
    assert pr.reviews() == []
    on = pr.run(token)
    assert (off.code, off.outputs["passed"]) == (on.code, on.outputs["passed"])
    assert "suggestions" not in off.summary


def test_a_rerun_posts_nothing_it_posted_before(pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    pr.run(token)
    again = pr.run(token)
    assert len(pr.reviews()) == 1
    assert "made before" in " ".join(again.notices())
    assert "2 suggestion(s) were made by an earlier run" in again.summary
    # Listing followed GitHub's pages (per_page=100).
    listed = pr.api.calls("GET", f"/repos/o/r/pulls/{NUMBER}/comments")
    assert listed and all(s.query.get("per_page") == ["100"] for s in listed[:1])


def test_a_marker_planted_by_someone_else_does_not_stop_a_suggestion(
        pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    edit = Edit("a.toy", 2, 2, ("TOY new",), ("FIXED new",), "toyfix/TOY001", "x")
    body = f"<!-- secure-gate:suggestion:{suggestion_key(edit)} --> nope"
    pr.api.add_review_comment(NUMBER, body, "mallory", "User")
    pr.api.add_review_comment(NUMBER, body, "github-actions", "User")  # a human, not the bot
    pr.run(token)
    (review,) = pr.reviews()
    assert len(review["comments"]) == 2


def test_earlier_suggestions_are_found_across_pages(pull: Callable[..., Pull],
                                                    token: str) -> None:
    pr = pull(BEFORE, AFTER)
    for i in range(230):  # three pages of other people's review comments first
        pr.api.add_review_comment(NUMBER, f"review remark {i}", "octo-dev")
    pr.run(token)
    for i in range(5):
        pr.api.add_review_comment(NUMBER, f"later remark {i}", "octo-dev")
    again = pr.run(token)
    assert len(pr.reviews()) == 1
    assert "made by an earlier run" in again.summary
    pages = [s.query.get("page") for s in pr.api.calls("GET", f"/repos/o/r/pulls/{NUMBER}/"
                                                       "comments")]
    assert ["3"] in pages


def test_fork_pull_request_read_only_token(pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER, fork=True)
    pr.api.read_only = True
    run = pr.run(token)
    assert run.code == 1 and run.outputs["exit-code"] == "1"
    assert any("read-only" in n for n in run.notices())
    assert not run.warnings()
    assert "Suggestions not posted (2)" in run.summary
    assert pr.api.reviews == {}


def test_github_refusing_the_review_is_a_warning_not_a_failure(
        pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    pr.api.hunks[NUMBER] = {"a.toy": [range(1, 3)]}  # line 7 is not part of GitHub's diff
    run = pr.run(token)
    assert run.code == 1
    assert any("must be part of the diff" in w for w in run.warnings())
    assert pr.api.reviews == {}  # GitHub refuses the whole review
    assert "Suggestions not posted (2)" in run.summary


def test_rate_limits_and_server_errors_are_warnings(pull: Callable[..., Pull],
                                                    token: str) -> None:
    pr = pull(BEFORE, AFTER)
    pr.api.script.append(secondary_limit("POST", f"/repos/o/r/pulls/{NUMBER}/reviews",
                                         retry_after="3600"))
    run = pr.run(token)
    assert run.code == 1 and pr.api.reviews == {}
    assert any("rate limit" in w for w in run.warnings())
    for _ in range(4):  # every try of the listing: GitHub is down
        pr.api.script.append(Scripted("GET", f"/repos/o/r/pulls/{NUMBER}/comments", 502))
    run = pr.run(token)
    assert run.code == 1 and pr.api.reviews == {}
    assert any("HTTP 502" in w for w in run.warnings())
    assert "Suggestions not posted (2)" in run.summary


def test_no_token_lists_the_suggestions(pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    run = pr.run("")
    assert run.code == 1 and pr.reviews() == []
    assert "Suggestions not posted (2)" in run.summary


def test_hostile_lines_and_summaries_are_escaped(pull: Callable[..., Pull],
                                                 token: str) -> None:
    hostile = "TOY ```` x [click](https://evil.example) <img src=x> @admin #1 ::error::x"
    pr = pull({"a.toy": "one\n", "old.toy": "TOY [base](https://evil.example)\n"},
              {"a.toy": f"one\n{hostile}\n", "old.toy": "TOY [base](https://evil.example)\n"})
    run = pr.run(token)
    (review,) = pr.reviews()
    (comment,) = review["comments"]
    body = comment["body"]
    new = hostile.replace("TOY", "FIXED")
    # The fence is longer than the line's own backtick run, so the line cannot close it.
    assert f"\n`````suggestion\n{new}\n`````\n" in body
    heading = body.split("\n\n")[0]
    assert "](https" not in heading and "<img" not in heading and "\n" not in heading[60:]
    assert "<code>\\@admin</code>" in heading and heading.count("@admin") == 1
    ours = run.summary[run.summary.index("### secure-gate fix"):]
    assert "](https://evil" not in ours and "\\[base\\]\\(https" in ours
    assert "old\\.toy" in ours  # the base's line: would also fix
    assert not run.stray()


def test_many_edits_are_capped_and_counted(pull: Callable[..., Pull], token: str) -> None:
    lines = "".join(f"TOY {i}\n" for i in range(MAX_SUGGESTIONS + 45))
    pr = pull({"a.toy": "start\n"}, {"a.toy": "start\n" + lines})
    run = pr.run(token)
    (review,) = pr.reviews()
    # The changed lines are contiguous, so the net change is one block: one suggestion.
    assert len(review["comments"]) == 1
    assert review["comments"][0]["start_line"] == 2
    many = {f"f{i:03}.toy": "TOY\n" for i in range(MAX_SUGGESTIONS + 45)}
    pr2 = pull({"keep.txt": "k\n"}, {"keep.txt": "k\n", **many})
    run = pr2.run(token)
    review = pr2.reviews()[-1]
    assert len(review["comments"]) == MAX_SUGGESTIONS
    assert "45 more suggestion(s) were left out" in review["body"]
    assert "45 suggestion(s) were left out" in run.summary
    # The next run posts the ones left out, never the same ones twice.
    pr2.run(token)
    paths = [c["path"] for r in pr2.reviews()[-2:] for c in r["comments"]]
    assert len(paths) == len(set(paths)) == MAX_SUGGESTIONS + 30


def test_a_suggestion_too_long_for_a_comment_is_listed(pull: Callable[..., Pull],
                                                       token: str) -> None:
    pr = pull({"a.toy": "one\nmiddle\n"},
              {"a.toy": "one\nTOY " + "x" * 70_000 + "\nmiddle\nTOY short\n"})
    run = pr.run(token)
    (review,) = pr.reviews()
    assert [c["line"] for c in review["comments"]] == [4]
    assert all(len(c["body"]) < 65_536 for c in review["comments"])
    assert "too long for a review comment" in run.summary


def test_odd_file_names(pull: Callable[..., Pull], token: str) -> None:
    quoted = 'we"ird `name` [x](y).toy'
    pr = pull({"keep.txt": "k\n"}, {"keep.txt": "k\n", quoted: "TOY\n"})
    run = pr.run(token)
    (review,) = pr.reviews()
    assert [c["path"] for c in review["comments"]] == [quoted]  # the real name, as JSON
    assert not run.stray()


def test_a_name_with_odd_bytes_never_fails_the_gate(pull: Callable[..., Pull],
                                                    token: str) -> None:
    """The display name spells the byte ``\\xff``: GitHub's API cannot be given the real
    name (JSON is UTF-8), so the edit is listed in the summary and the verdict stands."""
    odd = os.fsdecode(b"bad\xff.toy")
    pr = pull({"keep.txt": "k\n"}, {"keep.txt": "k\n", odd: "TOY\n"})
    run = pr.run(token)
    assert run.code == 1 and run.outputs["exit-code"] == "1"
    assert pr.reviews() == []
    assert "its file name cannot be given to GitHub" in run.summary
    assert "<code>bad\\" in run.summary and "xff\\.toy</code>:1" in run.summary
    assert not run.warnings() and not run.stray()
    assert not nameable("bad\\xff.toy") and nameable('we"ird `name`.toy')


def test_a_workspace_on_the_merge_commit_checks_lines_at_the_head(
        pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    # refs/pull/N/merge: the base moved on and added lines at the top, shifting every line.
    pr.repo.write({"a.toy": "base\nadded\n" + AFTER["a.toy"]})
    pr.repo.commit("merge")
    run = pr.run(token)
    # The merge commit's line numbers are not the head's: nothing is placed on wrong lines.
    assert pr.reviews() == []
    assert run.summary.count("the lines differ at the pull request\u2019s head") + \
        run.summary.count("the lines differ at the pull request&#39;s head") == 2


def test_an_unreachable_service_is_a_notice(pull: Callable[..., Pull], token: str) -> None:
    pr = pull({"a.toy": "one\n"}, {"a.toy": "one\nTOY-NET\n"})
    run = pr.run(token)
    assert run.code == 1
    assert any("what needed PyPI is not fixed); the rest is suggested" in n for n in run.notices())
    assert "what needed PyPI is not fixed" in run.summary
    assert pr.reviews() == []


def test_not_a_pull_request(make_repo: Callable[..., Repo], tmp_path: Path, token: str,
                            api: State) -> None:
    repo = make_repo({"a.toy": "TOY\n"})
    run = step(Runner(tmp_path, repo.root), {"scanners": "toyfix", "fix": "suggest",
                                             "github-token": token}, api=api)
    assert run.code == 1
    assert any("pull requests only" in n for n in run.notices())
    assert api.calls("POST") == []


def test_without_diff_base_nothing_is_posted(pull: Callable[..., Pull], token: str) -> None:
    pr = pull(BEFORE, AFTER)
    run = pr.run(token, **{"diff-base": ""})
    assert pr.reviews() == []
    assert any("needs diff-base: auto" in n for n in run.notices())


def test_a_bad_fix_value_names_the_input(make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({"a.py": "x = 1\n"})
    run = step(Runner(tmp_path, repo.root), {"fix": "push"})
    assert run.code == 2
    assert "input 'fix': unknown value 'push' (allowed: off, suggest)" in run.stdout


# The parts, one by one ---------------------------------------------------------------------

def test_fence_is_longer_than_any_backtick_run() -> None:
    assert fence_for([]) == "```"
    assert fence_for(["a ``` b"]) == "````"
    assert fence_for(["``````"]) == "```````"


def test_review_comment_shapes() -> None:
    one = Edit("a.txt", 3, 3, ("x",), ("y",), "r/R", "s")
    assert review_comment(one, "") == {"path": "a.txt", "line": 3, "side": "RIGHT",
                                       "body": suggestion_body(one)}
    span = Edit("a.txt", 3, 5, ("x", "y", "z"), (), "r/R", "s")
    shaped = review_comment(span, "sub/")
    assert (shaped["path"], shaped["start_line"], shaped["line"], shaped["start_side"]) == (
        "sub/a.txt", 3, 5, "RIGHT")
    assert shaped["body"].endswith("```suggestion\n```\n")  # an empty suggestion deletes


def test_regions_are_numbered_against_the_original_file() -> None:
    before = "a\nreq==1\nb\n"
    after = "a\nreq==2 \\\n    --hash=sha256:x\nb\nend\n"
    # Two rounds: the pin is raised (line 2), then its hash added (numbered on round one).
    made = [Edit("r.txt", 2, 2, ("req==1",), ("req==2",), "pins/x", "raise"),
            Edit("r.txt", 2, 2, ("req==2",), ("req==2 \\", "    --hash=sha256:x"), "pins/y",
                 "hash")]
    got = regions("r.txt", before, after, made)
    assert [(e.line, e.end_line, e.expect, e.new) for e in got] == [
        (2, 2, ("req==1",), ("req==2 \\", "    --hash=sha256:x")),
        (3, 3, ("b",), ("b", "end"))]
    assert got[0].rule == "pins/x, pins/y"
    top = regions("t.txt", "x\n", "new\nx\n", [])
    assert [(e.line, e.expect, e.new) for e in top] == [(1, ("x",), ("new", "x"))]


def test_place_needs_every_line_of_the_range_changed() -> None:
    edit = Edit("a", 2, 4, ("1", "2", "3"), ("n",), "r/R", "s")
    assert place([edit], {"a": frozenset({2, 4})}).elsewhere[0][1] == "not in this change"
    assert place([edit], {"a": frozenset({2, 3, 4})}).on_change == [edit]
    assert place([edit], {"a": frozenset({2, 3, 4})},
                 lambda path: "0\n1\n2\n3\n").on_change == [edit]
    assert place([edit], {"a": frozenset({2, 3, 4})},
                 lambda path: "0\n1\nX\n3\n").on_change == []


def test_a_suggestion_key_ignores_line_numbers_only() -> None:
    a = Edit("a", 2, 2, ("x",), ("y",), "r/R", "s")
    assert suggestion_key(a) == suggestion_key(Edit("a", 9, 9, ("x",), ("y",), "r/R", "t"))
    assert suggestion_key(a) != suggestion_key(Edit("b", 2, 2, ("x",), ("y",), "r/R", "s"))
    assert suggestion_key(a) != suggestion_key(Edit("a", 2, 2, ("x",), ("z",), "r/R", "s"))
    assert json.dumps(suggestion_body(a))


def test_the_summary_escapes_and_caps_every_list() -> None:
    evil = "x](https://evil.example) <script>alert(1)</script> @team #9 ##[error]"
    edits = [(Edit(f"f{i}`|.txt", 1, 1, ("a",), ("b",), "r/R", evil), "not in this change")
             for i in range(MAX_LISTED + 7)]
    out = Outcome(elsewhere=edits, unfixed=[Unfixed("uv.lock", None, "pins/lock", evil)],
                  asked=["PyPI"], lines=[evil])
    text = summary_markdown(out)
    assert "](https" not in text and "<script" not in text and "##[" not in text
    assert "&lt;script&gt;" in text and "<code>\\@team</code>" in text
    assert f"Would also fix (not in this change): {MAX_LISTED + 7}" in text
    assert "- … and 7 more" in text
    assert text.count("<code>r/R</code>") == MAX_LISTED
    assert "Not fixable by an edit: 1" in text and "Services asked: PyPI." in text
    assert "|" not in text.replace("\\|", "")  # no table cell can open


# The real pins fixer (images), against the loopback registry ---------------------------

def test_the_real_image_fixer_suggests_a_digest_on_the_changed_line(
        pull: Callable[..., Pull], token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    from secure_gate.net import services
    from tests.fix import fake_registry

    with fake_registry.running() as hub:
        image = hub.add("library/python", "3.12-slim", fake_registry.Image.multi("slim"))
        # The Action asks docker.io itself; here docker.io is the loopback registry.
        monkeypatch.setattr(services, "Services", functools.partial(
            services.Services, registries={"docker.io": hub.url}))
        pr = pull({"Dockerfile": "# build\nFROM scratch AS base\n"},
                  {"Dockerfile": "# build\nFROM scratch AS base\n"
                                 "FROM python:3.12-slim AS builder\nRUN echo hi\n"})
        run = pr.run(token, scanners="pins")
    assert run.outputs["exit-code"] == str(run.code)
    (review,) = pr.reviews()
    (comment,) = review["comments"]
    assert (comment["path"], comment["line"], comment.get("start_line")) == (
        "Dockerfile", 3, None)
    assert (f"```suggestion\nFROM python:3.12-slim@{image.digest} AS builder\n```"
            in comment["body"])
    assert "<code>pins/" in comment["body"]
    assert (pr.repo.root / "Dockerfile").read_text().count("@sha256") == 0  # never written
    assert "Services asked: registry docker\\.io" in run.summary
    assert run.code == 0  # an unpinned image is not blocking here: the verdict is the gate's


def test_an_unreachable_registry_is_a_notice_naming_it(
        pull: Callable[..., Pull], token: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools
    import socket

    from secure_gate.net import services

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setattr(services, "Services", functools.partial(
        services.Services, registries={"docker.io": f"http://127.0.0.1:{port}"}))
    pr = pull({"Dockerfile": "FROM scratch\n"},
              {"Dockerfile": "FROM scratch\nFROM python:3.12-slim AS builder\n"})
    run = pr.run(token, scanners="pins")
    assert run.code == 0 and run.outputs["exit-code"] == "0"  # the gate's verdict stands
    assert pr.reviews() == []
    assert any("what needed registry docker.io is not fixed" in n for n in run.notices())
    assert "what needed registry docker\\.io is not fixed" in run.summary
