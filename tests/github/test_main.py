"""``secure-gate github`` end to end: real scanners, the runner's files, the loopback API."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from secure_gate.github import files
from secure_gate.github.main import TOKEN_INPUT, run_github
from tests import secrets_corpus as fake
from tests.conftest import Repo
from tests.github.fake_github import Scripted, State, primary_limit
from tests.github.runner import Runner, pr_event
from tests.report.workflow_commands import Stream, read

VULNERABLE = {
    "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
    "app/settings.py": f'GITHUB_TOKEN = "{fake.GITHUB_TOKEN}"\n',
    "README.md": "# sample\n",
}
SCANNERS = "bandit,detect-secrets"
HEAD_SHA = "c" * 40  # pr_event()'s head; GITHUB_SHA is the merge commit
OURS = frozenset({"add-mask", "group", "endgroup", "stop-commands", "error", "warning",
                  "notice"})


class Step:
    """One run of the Action in-process, with what it printed and wrote."""

    def __init__(self, runner: Runner, code: int, stdout: str, env: dict[str, str]) -> None:
        self.runner = runner
        self.code = code
        self.stdout = stdout
        self.env = env
        self.log: Stream = read(stdout)
        self.outputs = runner.outputs()
        self.summary = runner.summary.read_text(encoding="utf-8")

    def errors(self) -> set[tuple[str | None, str | None]]:
        return {(a.get("file"), a.get("line")) for a in self.log.annotations()
                if a.name == "error"}

    def notices(self) -> list[str]:
        return [a.data for a in self.log.annotations() if a.name == "notice"]

    def warnings(self) -> list[str]:
        return [a.data for a in self.log.annotations() if a.name == "warning"]

    def stray(self) -> list[str]:
        """Anything in the log the runner would run, or might, that we did not mean."""
        return [*map(repr, unexpected(self.log)), *self.log.problems, *self.log.near_misses]


def unexpected(log: Stream) -> list[object]:
    """Commands other than the ones the Action prints (and the resume of its own stop)."""
    tokens = {c.data for c in log.commands if c.name == "stop-commands"}
    return list(log.unexpected(OURS | tokens))


def step(runner: Runner, inputs: dict[str, str], *, api: State | None = None) -> Step:
    env = runner.env({"scanners": SCANNERS, **inputs}, api=api.base if api else None)
    out = io.StringIO()
    code = run_github(env, out=out, sleep=lambda seconds: None)
    return Step(runner, code, out.getvalue(), env)


@pytest.fixture
def vulnerable(make_repo: Callable[..., Repo]) -> Repo:
    return make_repo(VULNERABLE)


def test_push_on_a_vulnerable_repository(vulnerable: Repo, tmp_path: Path, token: str,
                                         shared_dir: Path) -> None:
    runner = Runner(tmp_path, vulnerable.root, {"before": "0" * 40, "after": "1" * 40})
    run = step(runner, {"github-token": token, "sarif-file": "gate.sarif",
                        "json-file": "gate.json", "markdown-file": "gate.md"})
    assert run.code == 1
    assert run.log.lines[0] == f"::add-mask::{token}"
    assert TOKEN_INPUT not in run.env  # taken out of the environment once read
    assert run.stray() == []
    assert {("app/run.py", "5"), ("app/settings.py", "1")} <= run.errors()
    report = json.loads((vulnerable.root / "gate.json").read_text())
    assert run.outputs == {
        "passed": "false", "exit-code": "1", "findings": str(len(report["findings"])),
        "blocking": str(sum(f["blocking"] for f in report["findings"])), "errors": "0",
        "sarif-file": "gate.sarif", "json-file": "gate.json", "markdown-file": "gate.md",
        "comment-url": "",
    }
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(
        json.loads((vulnerable.root / "gate.sarif").read_text()))
    assert "app/run.py" in run.summary and "app/run.py" in (vulnerable.root / "gate.md"
                                                              ).read_text()
    everything = [run.stdout, run.summary, runner.output.read_text(),
                  *(p.read_text() for p in vulnerable.root.glob("gate.*"))]
    for text in everything:
        assert not fake.leaked(text)
        assert token not in text.replace(f"::add-mask::{token}", "", 1)
    # The full text report is in the log, but commands inside it were stopped.
    assert any("app/run.py" in line for line in run.log.stopped)
    assert [c.name for c in run.log.commands][:3] == ["add-mask", "group", "stop-commands"]


def test_clean_repository_passes(make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({"app/ok.py": "def add(a, b):\n    return a + b\n"})
    run = step(Runner(tmp_path, repo.root), {})
    assert run.code == 0
    assert (run.outputs["passed"], run.outputs["blocking"]) == ("true", "0")
    assert run.errors() == set()
    assert run.summary.strip()


def test_pr_comment_is_created_once_then_kept_up_to_date(vulnerable: Repo, tmp_path: Path,
                                                         api: State) -> None:
    runner = Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request")
    first = step(runner, {"github-token": api.token}, api=api)
    second = step(Runner(tmp_path / "again", vulnerable.root, pr_event(7), "pull_request"),
                  {"github-token": api.token}, api=api)
    assert first.code == second.code == 1
    assert len(api.comments) == 1 and len(api.calls("POST", "/repos/")) == 1
    assert not api.calls("PATCH")  # the same digest is not sent again
    (comment,) = api.comments.values()
    assert comment["user"] == {"login": "github-actions[bot]", "type": "Bot"}
    assert comment["body"].startswith("<!-- secure-gate:comment:default -->\n\n## ❌")
    assert "app/run.py" in comment["body"] and len(comment["body"]) < 6_000
    assert f"/blob/{HEAD_SHA}/app/run.py#L5" in comment["body"]  # the PR head, not the merge
    assert not fake.leaked(comment["body"])
    assert first.outputs["comment-url"] == second.outputs["comment-url"] == comment["html_url"]
    assert any("PR comment created" in n for n in first.notices())
    assert any("PR comment unchanged" in n for n in second.notices())
    # The author fixes the PR: the comment turns green (default mode: on-failure).
    (vulnerable.root / "app" / "run.py").write_text("def go():\n    return 1\n")
    (vulnerable.root / "app" / "settings.py").write_text("DEBUG = False\n")
    fixed = step(Runner(tmp_path / "fixed", vulnerable.root, pr_event(7), "pull_request"),
                 {"github-token": api.token}, api=api)
    assert fixed.code == 0 and len(api.calls("PATCH")) == 1 and len(api.comments) == 1
    assert "## ✅ secure-gate passed" in comment["body"]
    assert any("PR comment updated" in n for n in fixed.notices())


@pytest.mark.parametrize(("mode", "posted"), [
    ("", False), ("on-failure", False), ("changed", False), ("always", True),
    ("never", False), ("true", True), ("false", False)])
def test_comment_modes_on_a_passing_pr(make_repo: Callable[..., Repo], tmp_path: Path,
                                       api: State, mode: str, posted: bool) -> None:
    repo = make_repo({"app/ok.py": "def add(a, b):\n    return a + b\n"})
    run = step(Runner(tmp_path, repo.root, pr_event(7), "pull_request"),
               {"github-token": api.token, "comment": mode}, api=api)
    assert run.code == 0 and bool(api.comments) is posted
    if posted:
        (comment,) = api.comments.values()
        assert "## ✅ secure-gate passed" in comment["body"]
    if mode == "never" or mode == "false":
        assert not api.seen  # not even a look for an earlier comment


def test_comment_mode_never_leaves_an_old_comment_alone(vulnerable: Repo, tmp_path: Path,
                                                        api: State) -> None:
    old = api.add_comment(7, "<!-- secure-gate:comment:default -->\nold", api.rest_login,
                          "Bot")
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token, "comment": "never"}, api=api)
    assert run.code == 1 and api.comments[old]["body"].endswith("old") and not api.seen


def test_a_body_github_refuses_is_sent_again_short(vulnerable: Repo, tmp_path: Path,
                                                  api: State) -> None:
    api.script.append(Scripted("POST", "/repos/o/r/issues/7/comments", 422, body={
        "message": "Validation Failed", "errors": [{"resource": "IssueComment",
                                                    "code": "custom", "field": "body",
                                                    "message": "body is too long"}]}))
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token}, api=api)
    assert run.code == 1 and len(api.calls("POST", "/repos/")) == 2
    (comment,) = api.comments.values()
    assert "## ❌ secure-gate failed" in comment["body"] and "<details>" not in comment["body"]
    assert any("PR comment created" in n for n in run.notices())


def test_a_rate_limit_skips_the_comment_with_a_warning(vulnerable: Repo, tmp_path: Path,
                                                       api: State) -> None:
    api.script.append(primary_limit("POST", "/graphql", 4_000_000_000))
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token, "sarif-file": "gate.sarif"}, api=api)
    assert run.code == 1 and not api.comments
    assert any("rate limit" in w for w in run.warnings())
    assert ("app/run.py", "5") in run.errors() and "app/run.py" in run.summary


def test_sarif_has_the_steps_category_and_the_pr_head(vulnerable: Repo, tmp_path: Path
                                                      ) -> None:
    runner = Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request")
    run = step(runner, {"sarif-file": "gate.sarif", "comment": "never"})
    assert run.code == 1
    runs = json.loads((vulnerable.root / "gate.sarif").read_text())["runs"]
    ids = [r["automationDetails"]["id"] for r in runs]
    assert all(re.fullmatch(r"secure-gate/[\w.-]+/[\w.-]+/[0-9a-f]{8}/[a-z-]+/", i)
               for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert {r["versionControlProvenance"][0]["revisionId"] for r in runs} == {HEAD_SHA}
    given = step(Runner(tmp_path / "given", vulnerable.root, pr_event(7), "pull_request"),
                 {"sarif-file": "gate.sarif", "comment": "never", "category": "py3.12"})
    assert given.code == 1
    runs = json.loads((vulnerable.root / "gate.sarif").read_text())["runs"]
    assert runs[0]["automationDetails"]["id"] == "py3.12/bandit/"


def test_someone_elses_marked_comment_is_not_touched(vulnerable: Repo, tmp_path: Path,
                                                     api: State) -> None:
    planted = api.add_comment(7, "<!-- secure-gate:comment:default -->\nall good!", "mallory")
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token}, api=api)
    assert run.code == 1
    assert api.comments[planted]["body"].endswith("all good!")
    assert len(api.ours()) == 1


def test_fork_pull_request_degrades(vulnerable: Repo, tmp_path: Path, api: State) -> None:
    api.read_only = True
    runner = Runner(tmp_path, vulnerable.root, pr_event(7, fork=True), "pull_request")
    run = step(runner, {"github-token": api.token, "sarif-file": "gate.sarif"}, api=api)
    assert run.code == 1
    assert any("fork" in n and "comment was skipped" in n for n in run.notices())
    assert run.warnings() == []
    assert ("app/run.py", "5") in run.errors()
    assert run.outputs["sarif-file"] == "gate.sarif" and run.outputs["comment-url"] == ""
    assert "app/run.py" in run.summary and not api.comments


def test_dependabot_pull_request_degrades_like_a_fork(vulnerable: Repo, tmp_path: Path,
                                                      api: State) -> None:
    api.read_only = True
    runner = Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request")
    env = runner.env({"scanners": SCANNERS, "github-token": api.token}, api=api.base)
    env["GITHUB_ACTOR"] = "dependabot[bot]"
    out = io.StringIO()
    assert run_github(env, out=out, sleep=lambda seconds: None) == 1
    notices = [a.data for a in read(out.getvalue()).annotations() if a.name == "notice"]
    assert any("comes from Dependabot" in n for n in notices)


def test_same_repository_403_is_a_warning_naming_the_permission(
        vulnerable: Repo, tmp_path: Path, api: State) -> None:
    api.read_only = True
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token}, api=api)
    assert run.code == 1
    assert any("pull-requests: write" in w for w in run.warnings())


def test_no_token_skips_the_comment_with_a_notice(vulnerable: Repo, tmp_path: Path,
                                                  api: State) -> None:
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": ""}, api=api)
    assert run.code == 1
    assert any("no github-token" in n for n in run.notices())
    assert not api.seen and not run.log.lines[0].startswith("::add-mask::")


def test_comment_false_makes_no_call(vulnerable: Repo, tmp_path: Path, api: State) -> None:
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token, "comment": "false"}, api=api)
    assert run.code == 1 and not api.seen


def test_api_failures_warn_but_never_change_the_result(vulnerable: Repo, tmp_path: Path,
                                                       api: State) -> None:
    run = step(Runner(tmp_path, vulnerable.root, pr_event(7), "pull_request"),
               {"github-token": api.token + "-revoked"}, api=api)
    assert run.code == 1
    assert any("HTTP 401" in w for w in run.warnings())
    assert api.token not in run.stdout.replace(f"::add-mask::{api.token}-revoked", "")


def test_bad_input_exits_2_naming_it(vulnerable: Repo, tmp_path: Path) -> None:
    run = step(Runner(tmp_path, vulnerable.root), {"fail-on": "hgh"})
    assert run.code == 2
    (error,) = [a for a in run.log.annotations() if a.name == "error"]
    assert error.data.startswith("input 'fail-on': unknown value 'hgh'")
    assert (run.outputs["passed"], run.outputs["exit-code"]) == ("false", "2")


def test_path_input_restricts_the_scan_but_keeps_repository_paths(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({**VULNERABLE, "lib/other.py": VULNERABLE["app/run.py"]})
    run = step(Runner(tmp_path, repo.root), {"path": "lib", "json-file": "r.json"})
    assert run.code == 1
    paths = {f["path"] for f in json.loads((repo.root / "r.json").read_text())["findings"]}
    assert paths == {"lib/other.py"}
    assert ("lib/other.py", "5") in run.errors()


def test_diff_base_auto_blocks_only_what_the_pr_adds(make_repo: Callable[..., Repo],
                                                     tmp_path: Path) -> None:
    repo = make_repo({"app/old.py": VULNERABLE["app/run.py"]})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"app/new.py": VULNERABLE["app/run.py"].replace("Popen", "call")})
    repo.commit("add new.py")
    event = pr_event(7)
    event["pull_request"]["base"]["sha"] = base  # type: ignore[index]
    run = step(Runner(tmp_path, repo.root, event, "pull_request"),
               {"diff-base": "auto", "json-file": "r.json", "comment": "false"})
    findings = json.loads((repo.root / "r.json").read_text())["findings"]
    blocking = {f["path"] for f in findings if f["blocking"]}
    assert blocking == {"app/new.py"}
    assert {f["path"]: f["new"] for f in findings} == {"app/old.py": False, "app/new.py": True}
    assert run.code == 1
    # Annotations only on what the pull request changed; the rest is counted in a notice.
    assert {a.get("file") for a in run.log.annotations() if a.get("file")} == {"app/new.py"}
    assert any("2 findings on lines this pull request did not change" in n
               for n in run.notices())
    everything = step(Runner(tmp_path / "all", repo.root, event, "pull_request"),
                      {"diff-base": "auto", "comment": "never", "annotations": "all"})
    assert {a.get("file") for a in everything.log.annotations() if a.get("file")} == {
        "app/new.py", "app/old.py"}


def test_diff_base_auto_without_a_base_scans_everything_as_new(
        vulnerable: Repo, tmp_path: Path) -> None:
    run = step(Runner(tmp_path, vulnerable.root, {"before": "0" * 40}),
               {"diff-base": "auto"})
    assert run.code == 1
    assert any("found no base commit" in n for n in run.notices())
    on_pr = step(Runner(tmp_path / "pr", vulnerable.root, pr_event(7), "pull_request"),
                 {"comment": "never"})
    assert any("annotations: changed needs diff-base" in n for n in on_pr.notices())
    assert ("app/run.py", "5") in on_pr.errors()


def test_unwritable_outputs_never_look_like_a_pass(make_repo: Callable[..., Repo],
                                                   tmp_path: Path) -> None:
    repo = make_repo({"app/ok.py": "x = 1\n"})
    runner = Runner(tmp_path, repo.root)
    env = runner.env({"scanners": SCANNERS})
    env["GITHUB_OUTPUT"] = str(tmp_path)  # a folder: cannot be appended to
    out = io.StringIO()
    assert run_github(env, out=out) == 2
    assert any("could not write the step outputs" in a.data
               for a in read(out.getvalue()).annotations())


def test_summary_respects_what_is_left_of_the_1_mib(vulnerable: Repo, tmp_path: Path) -> None:
    runner = Runner(tmp_path, vulnerable.root)
    earlier = files.SUMMARY_LIMIT - 16 * 1024 - 1_500  # an earlier step left 1.5 kB free
    runner.summary.write_text("x" * earlier)
    run = step(runner, {"json-file": "r.json"})
    assert run.code == 1
    assert runner.summary.stat().st_size < files.SUMMARY_LIMIT
    assert not any("job summary" in w for w in run.warnings())
    ours = runner.summary.read_text()[earlier:]
    assert "secure-gate failed" in ours  # the verdict survives the cut
    assert "Full list in this step's log" in ours and "JSON report" in ours


def test_hostile_file_names_reach_annotations_exactly(make_repo: Callable[..., Repo],
                                                      tmp_path: Path,
                                                      hostile_names: list[str]) -> None:
    files: dict[str, str | bytes] = {}
    for i, name in enumerate(hostile_names):
        files[f"h{i}/{name}.py"] = VULNERABLE["app/run.py"]
    repo = make_repo(files)
    run = step(Runner(tmp_path, repo.root), {"annotations": "true", "json-file": "r.json"})
    assert run.stray() == []
    reported = {f["path"] for f in json.loads((repo.root / "r.json").read_text())["findings"]}
    annotated = {a.get("file") for a in run.log.annotations() if a.name == "error"}
    assert annotated and annotated <= reported


@pytest.fixture
def hostile_names() -> list[str]:
    """File-name-safe members of the shared hostile corpus (no '/' or NUL)."""
    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "hostile_strings.json"
    if not corpus.is_file():
        pytest.skip("tests/fixtures/hostile_strings.json has not landed yet")
    data: Any = json.loads(corpus.read_text(encoding="utf-8"))
    strings = data if isinstance(data, list) else data.get("strings", [])
    names = [s for s in strings if isinstance(s, str) and s and "/" not in s and "\0" not in s
             and s not in (".", "..") and len(s.encode()) < 200]
    assert len(names) >= 10
    return names[:40]


def test_a_run_that_scans_nothing_is_an_error_unless_allowed(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({"app/ok.py": "def add(a, b):\n    return a + b\n"})
    (repo.root / "nothing-here").mkdir()
    run = step(Runner(tmp_path / "a", repo.root), {"path": "nothing-here"})
    assert run.code == 2
    assert (run.outputs["passed"], run.outputs["exit-code"]) == ("false", "2")
    (error,) = [a for a in run.log.annotations() if a.name == "error"]
    assert error.data.startswith("secure-gate: nothing was scanned: the walk found 0 file(s)")
    assert "allow-empty: true" in error.data
    assert "secure-gate failed" in run.summary and "Nothing was scanned" in run.summary
    allowed = step(Runner(tmp_path / "b", repo.root), {"path": "nothing-here",
                                                        "allow-empty": "true"})
    assert allowed.code == 0 and allowed.outputs["passed"] == "true"
    assert "scanned nothing" in allowed.summary
    assert step(Runner(tmp_path / "c", repo.root), {}).code == 0


def test_which_runs_may_start_a_comment() -> None:
    from secure_gate.github.publish import wants_new_comment
    from secure_gate.model import Report, Severity, Suppression
    from tests.report import samples

    def passing(**marks: Any) -> Report:
        return samples.report([samples.finding("bandit", "B1", Severity.LOW, "a.py", **marks)])

    new, old = passing(new=True), passing(new=False)
    accepted = passing(new=True, suppression=Suppression("ledger", "accepted"))
    failing = samples.every_severity()
    assert all(r.passed for r in (new, old, accepted)) and not failing.passed
    table = {mode: [wants_new_comment(mode, r) for r in (new, old, accepted, failing)]
             for mode in ("always", "on-failure", "changed", "never")}
    assert table == {"always": [True, True, True, True],
                     "on-failure": [False, False, False, True],
                     "changed": [True, False, False, True],
                     "never": [False, False, False, False]}
