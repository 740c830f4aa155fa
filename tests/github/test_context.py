"""Inputs and the event payload: every bad input names itself, the event is read defensively."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from secure_gate.errors import UsageError
from secure_gate.github.context import parse_event, read_context, read_event
from secure_gate.github.inputs import InputError, parse_inputs
from tests.github.runner import pr_event


def inputs_env(**values: str) -> dict[str, str]:
    return {"INPUT_" + k.replace("_", "-").upper(): v for k, v in values.items()}


def test_defaults(tmp_path: Path) -> None:
    got = parse_inputs({}, tmp_path)
    assert got.path == tmp_path.resolve() and got.workspace == tmp_path.resolve()
    assert (got.fail_on, got.min_confidence, got.scanners, got.config) == (None,) * 4
    assert (got.comment, got.annotations) == ("on-failure", "changed") and not got.no_cache
    assert got.sarif_file is None and got.github_token == ""


def test_inputs_are_read_with_dashes_kept(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    env = {"INPUT_FAIL-ON": "Medium", "INPUT_MIN-CONFIDENCE": "low", "INPUT_PATH": "sub",
           "INPUT_SARIF-FILE": "out/../gate.sarif", "INPUT_COMMENT": "False",
           "INPUT_JOBS": " 3 ", "INPUT_SCANNERS": "bandit, detect-secrets",
           "INPUT_DIFF-BASE": "origin/main", "INPUT_NO-CACHE": "true"}
    (tmp_path / "out").mkdir()
    got = parse_inputs(env, tmp_path)
    assert got.fail_on == "medium" and got.min_confidence == "low"
    assert got.path == (tmp_path / "sub").resolve()
    assert got.sarif_file == "gate.sarif"
    assert got.comment == "never" and got.jobs == 3 and got.no_cache is True
    assert got.scanners == ("bandit", "detect-secrets")
    assert got.diff_base == "origin/main"


@pytest.mark.parametrize(("name", "value", "problem"), [
    ("fail-on", "hgh", "unknown value"),
    ("min-confidence", "certain", "unknown value"),
    ("scanners", "bandit,nmap", "unknown scanner"),
    ("scanners", ",", "at least one"),
    ("path", "../elsewhere", "outside the workspace"),
    ("path", "missing-folder", "does not exist"),
    ("config", "nope.yml", "does not exist"),
    ("baseline", "nope.json", "does not exist"),
    ("advisory-db", "nope.zip", "does not exist"),
    ("sarif-file", "../../etc/x.sarif", "outside the workspace"),
    ("sarif-file", "/tmp/x.sarif", "outside the workspace"),
    ("json-file", "no/such/folder/r.json", "does not exist"),
    ("json-file", ".", "is a folder"),
    ("markdown-file", "bad\nname.md", "control characters"),
    ("comment", "yes", "always, on-failure, changed, never"),
    ("annotations", "1", "changed, all, none"),
    ("no-cache", "maybe", "true or false"),
    ("allow-empty", "maybe", "true or false"),
    ("jobs", "0", "at least 1"),
    ("jobs", "two", "at least 1"),
    ("diff-base", "--output=/tmp/x", "not a git revision"),
    ("diff-base", "main\nEvil", "not a git revision"),
    ("osv-url", "file:///etc/passwd", "http(s) URL"),
    ("osv-url", "ftp://x", "http(s) URL"),
    ("comment-tag", "a b", "letters, digits"),
    ("category", "a b", "/-separated parts"),
    ("category", "a//b", "/-separated parts"),
    ("category", "x\u202ey", "/-separated parts"),
])
def test_bad_inputs_name_the_input(tmp_path: Path, name: str, value: str, problem: str
                                   ) -> None:
    with pytest.raises(InputError) as info:
        parse_inputs({f"INPUT_{name.upper()}": value}, tmp_path)
    assert info.value.input == name
    assert str(info.value).startswith(f"input '{name}': ")
    assert problem in str(info.value)
    assert info.value.exit_code == 2


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    workspace = tmp_path / "ws"
    workspace.mkdir()
    os.symlink(outside, workspace / "link")
    with pytest.raises(InputError, match="outside the workspace"):
        parse_inputs({"INPUT_SARIF-FILE": "link/x.sarif"}, workspace)
    os.symlink(outside / "x.json", workspace / "report.json")
    with pytest.raises(InputError, match="outside the workspace"):
        parse_inputs({"INPUT_JSON-FILE": "report.json"}, workspace)


def test_the_token_is_not_in_the_repr(tmp_path: Path) -> None:
    got = parse_inputs({"INPUT_GITHUB-TOKEN": "ghs_sekrit_value"}, tmp_path)
    assert got.github_token == "ghs_sekrit_value"
    assert "ghs_sekrit_value" not in repr(got)


def test_pull_request_event() -> None:
    event = parse_event("pull_request", pr_event(12))
    assert event.pr_number == 12 and not event.fork
    assert (event.base_sha, event.head_sha) == ("b" * 40, "c" * 40)
    assert parse_event("pull_request", pr_event(12, fork=True)).fork


def test_a_deleted_fork_counts_as_a_fork() -> None:
    payload = pr_event(3)
    payload["pull_request"]["head"]["repo"] = None  # type: ignore[index]
    assert parse_event("pull_request_target", payload).fork


def test_push_event_before_and_new_branch() -> None:
    push = parse_event("push", {"before": "d" * 40, "after": "e" * 40})
    assert (push.before, push.after, push.pr_number) == ("d" * 40, "e" * 40, None)
    assert parse_event("push", {"before": "0" * 40, "after": "e" * 40}).before is None


def test_hostile_payload_values_are_dropped() -> None:
    event = parse_event("pull_request", {"pull_request": {
        "number": "7; rm -rf /", "base": {"sha": "--upload-pack=x", "repo": {"full_name": 5}},
        "head": {"sha": "b" * 39}}})
    assert (event.pr_number, event.base_sha, event.head_sha, event.base_repo) == (None,) * 4
    assert parse_event("push", ["not", "a", "dict"]).before is None


def test_event_file_errors(tmp_path: Path) -> None:
    assert read_event({}).name == ""
    with pytest.raises(UsageError, match="GITHUB_EVENT_PATH"):
        read_event({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")})
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(UsageError, match="not valid JSON"):
        read_event({"GITHUB_EVENT_PATH": str(bad)})
    good = tmp_path / "good.json"
    good.write_text(json.dumps(pr_event(5)))
    assert read_event({"GITHUB_EVENT_PATH": str(good), "GITHUB_EVENT_NAME": "pull_request"}
                      ).pr_number == 5


def test_context_urls(tmp_path: Path) -> None:
    env = {"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_REPOSITORY": "octo/app",
           "GITHUB_SERVER_URL": "https://ghe.example", "GITHUB_API_URL":
           "https://ghe.example/api/v3", "GITHUB_RUN_ID": "99", "GITHUB_SHA": "f" * 40}
    ctx = read_context(env)
    assert ctx.repository_url == "https://ghe.example/octo/app"
    assert ctx.graphql_url == "https://ghe.example/api/v3/graphql"
    assert ctx.run_url == "https://ghe.example/octo/app/actions/runs/99"
    assert ctx.sha == "f" * 40
    env["GITHUB_GRAPHQL_URL"] = "https://ghe.example/api/graphql"
    assert read_context(env).graphql_url == "https://ghe.example/api/graphql"


@pytest.mark.parametrize(("key", "value"), [
    ("GITHUB_API_URL", "http://api.example"),  # the token would travel in clear text
    ("GITHUB_API_URL", "javascript:alert(1)"),
    ("GITHUB_SERVER_URL", "https://x.example/?q=1"),
    ("GITHUB_REPOSITORY", "no-slash"),
    ("GITHUB_REPOSITORY", "o/r](https://evil.example)"),
])
def test_untrustworthy_runner_variables_are_refused(tmp_path: Path, key: str, value: str
                                                    ) -> None:
    with pytest.raises(UsageError, match=key):
        read_context({"GITHUB_WORKSPACE": str(tmp_path), key: value})


def test_loopback_http_is_allowed_for_tests(tmp_path: Path) -> None:
    ctx = read_context({"GITHUB_WORKSPACE": str(tmp_path),
                        "GITHUB_API_URL": "http://127.0.0.1:8080"})
    assert ctx.api_url == "http://127.0.0.1:8080"


def test_junk_run_id_gives_no_link(tmp_path: Path) -> None:
    ctx = read_context({"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_REPOSITORY": "o/r",
                        "GITHUB_RUN_ID": "1)<script>"})
    assert ctx.run_url is None


def _category(tmp_path: Path, **env: str) -> str:
    base = {"GITHUB_WORKSPACE": str(tmp_path), "GITHUB_WORKFLOW": "CI / security",
            "GITHUB_JOB": "gate", "GITHUB_ACTION": "__secure-gate_secure-gate"}
    return read_context({**base, **env}).sarif_category


def test_the_sarif_category_is_unique_per_workflow_job_step_and_what_is_scanned(
        tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    first = _category(tmp_path)
    assert re.fullmatch(r"secure-gate/CI-security/gate/[0-9a-f]{8}", first)
    assert _category(tmp_path) == first  # stable from run to run
    others = {_category(tmp_path, GITHUB_WORKFLOW="nightly"),
              _category(tmp_path, GITHUB_JOB="gate-2"),
              _category(tmp_path, GITHUB_ACTION="__secure-gate_secure-gate2"),
              _category(tmp_path, **{"INPUT_PATH": "svc"}),
              _category(tmp_path, **{"INPUT_SCANNERS": "bandit"})}
    assert len(others) == 5 and first not in others


def test_the_category_input_wins_and_hostile_names_are_made_safe(tmp_path: Path) -> None:
    assert _category(tmp_path, **{"INPUT_CATEGORY": "/py3.12/"}) == "py3.12"
    hostile = _category(tmp_path, GITHUB_WORKFLOW="../\u202e::error::x\n", GITHUB_JOB="")
    assert re.fullmatch(r"secure-gate/error-x/job/[0-9a-f]{8}", hostile), hostile
