"""Secrets in every commit of the change: a key added then deleted inside a PR still blocks."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate.github.inputs import InputError, parse_inputs
from tests import secrets_corpus as fake
from tests.conftest import git

APP = "def main():\n    return 1\n"
KEY = f'AWS_KEY = "{fake.AWS_KEY_ID}"\n'
TOKEN = f'TOKEN = "{fake.GITHUB_TOKEN}"\n'


def base(make_repo: Callable[..., Any], files: dict[str, str] | None = None) -> tuple[Any, str]:
    repo = make_repo({"app/main.py": APP, **(files or {})})
    return repo, repo.git("rev-parse", "HEAD").strip()


def history_findings(result: Any) -> list[dict[str, Any]]:
    return [f for f in result.json_report["findings"] if "history" in f.get("tags", ())]


def no_leak(result: Any) -> None:
    assert fake.leaked(result.out + result.err + json.dumps(result.json_report)) == []


def test_a_key_added_then_deleted_blocks_and_names_its_commit(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    added = repo.commit("add the configuration")
    (repo.root / "app/conf.py").unlink()
    repo.commit("oops, remove it")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert result.code == 1, result.out
    [finding] = history_findings(result)
    assert finding["path"] == "app/conf.py"
    assert finding["line"] == 1
    assert finding["blocking"] is True and finding["new"] is True
    assert added in finding["message"] and "add the configuration" in finding["message"]
    assert "rotate" in finding["fix"].lower() and "unpublish" in finding["fix"]
    assert added in result.out  # the text report names the commit
    no_leak(result)


def test_history_off_passes_as_before(make_repo: Callable[..., Any],
                                      run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    repo.commit("add")
    (repo.root / "app/conf.py").unlink()
    repo.commit("remove")
    assert run_cli(repo.root, "scan", "--diff-base", start, "--history", "off").code == 0
    repo.write({".secure-gate.yml": "history: off\n"})
    repo.commit("policy")  # the base's policy judges: still on there
    assert run_cli(repo.root, "scan", "--diff-base", start).code == 1


def test_history_off_in_the_trusted_policy(make_repo: Callable[..., Any],
                                           run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo, {".secure-gate.yml": "history: off\n"})
    repo.write({"app/conf.py": KEY})
    repo.commit("add")
    (repo.root / "app/conf.py").unlink()
    repo.commit("remove")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert result.code == 0, result.out
    assert history_findings(result) == []


def test_a_key_still_in_the_head_is_one_finding(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    repo.commit("add")
    repo.write({"app/conf.py": "# settings\n\n" + KEY + "DEBUG = False\n"})
    repo.commit("modify around it")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert result.code == 1
    secrets = [f for f in result.json_report["findings"] if f["scanner"] == "detect-secrets"]
    assert [(f["path"], f["line"]) for f in secrets] == [("app/conf.py", 3)]
    assert history_findings(result) == []


def test_a_key_replaced_by_another_reports_both(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    first = repo.commit("add a key")
    repo.write({"app/conf.py": TOKEN})
    repo.commit("use a token instead")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    [old] = history_findings(result)
    assert first in old["message"] and old["rule"] == "AWS Access Key"
    head = [f for f in result.json_report["findings"] if f["rule"] == "GitHub Token"]
    assert len(head) == 1 and "history" not in head[0]["tags"]
    no_leak(result)


def test_a_rename_names_the_path_at_that_commit(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/old_name.py": KEY})
    repo.commit("add")
    repo.git("mv", "app/old_name.py", "app/new_name.py")
    repo.commit("rename")
    repo.write({"app/new_name.py": APP})
    repo.commit("drop the key")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert [f["path"] for f in history_findings(result)] == ["app/old_name.py"]
    assert result.code == 1


def test_a_secret_only_at_an_intermediate_commit(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/a.py": APP + "\n# one\n"})
    repo.commit("one")
    repo.write({"app/a.py": APP + "\n# two\n" + TOKEN})
    middle = repo.commit("two")
    repo.write({"app/a.py": APP + "\n# three\n"})
    repo.commit("three")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    [finding] = history_findings(result)
    assert middle in finding["message"] and finding["line"] == 5
    assert result.code == 1
    no_leak(result)


def test_a_secret_present_at_the_base_is_old(make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo, {"app/conf.py": KEY})
    repo.write({"app/conf.py": "# moved\n" + KEY + "X = 1\n"})
    repo.commit("edit")
    (repo.root / "app/conf.py").unlink()
    repo.commit("delete the old key")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert result.code == 0, result.out
    assert history_findings(result) == []


def test_a_merge_of_the_base_branch_is_not_blamed(make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any]) -> None:
    repo, _ = base(make_repo)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"app/feature.py": APP})
    repo.commit("feature work")
    repo.git("checkout", "-q", "main")
    repo.write({"vendor/main_side.py": TOKEN})
    with_token = repo.commit("main's own change")
    repo.git("rm", "-q", "vendor/main_side.py")
    main_tip = repo.commit("main removes it")
    repo.git("checkout", "-q", "feature")
    # The feature merges main while main still had its token: the merge commit holds the
    # token's blob (new against the feature side, the same as main's side), and the PR's
    # base (main's tip) does not.
    repo.git("merge", "-q", "--no-edit", with_token)
    repo.write({"app/feature.py": APP + KEY})
    repo.commit("feature adds a key")
    repo.write({"app/feature.py": APP})
    repo.commit("and removes it")
    repo.git("rm", "-q", "vendor/main_side.py")
    repo.commit("drop main's file")
    result = run_cli(repo.root, "scan", "--diff-base", main_tip)
    assert [f["path"] for f in history_findings(result)] == ["app/feature.py"]
    assert result.code == 1
    no_leak(result)


def test_a_merge_that_resolves_a_conflict_with_a_key_is_blamed(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write({"app/main.py": APP + "# feature\n"})
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write({"app/main.py": APP + "# main\n"})
    repo.commit("main")
    repo.git("checkout", "-q", "feature")
    repo.git("merge", "-q", "--no-edit", "-s", "ours", "main")
    repo.write({"app/main.py": APP + TOKEN})
    repo.git("commit", "-q", "--amend", "-a", "--no-edit")
    repo.write({"app/main.py": APP})
    repo.commit("clean")
    result = run_cli(repo.root, "scan", "--diff-base", start)
    assert [f["path"] for f in history_findings(result)] == ["app/main.py"]


def test_a_shallow_clone_without_the_range_exits_2(make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any],
                                                   tmp_path: Path) -> None:
    repo, start = base(make_repo)
    for i in range(3):
        repo.write({f"app/m{i}.py": APP})
        repo.commit(f"c{i}")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    git(clone, "fetch", "-q", "--depth", "1", "origin", start)
    result = run_cli(clone, "scan", "--diff-base", start)
    assert result.code == 2
    assert "fetch-depth: 0" in result.err and "shallow" in result.err
    assert run_cli(clone, "scan", "--diff-base", start, "--history", "off").code == 0


def test_a_deep_enough_shallow_clone_is_scanned(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any],
                                                tmp_path: Path) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    repo.commit("add")
    (repo.root / "app/conf.py").unlink()
    repo.commit("remove")
    clone = tmp_path / "deep"
    git(tmp_path, "clone", "-q", "--depth", "5", f"file://{repo.root}", str(clone))
    result = run_cli(clone, "scan", "--diff-base", start)
    assert result.code == 1 and len(history_findings(result)) == 1


def test_hostile_subject_and_a_subject_quoting_the_key(make_repo: Callable[..., Any],
                                                       run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    repo.write({"app/conf.py": KEY})
    repo.commit(f"::error::<b>pwn</b> {fake.AWS_KEY_ID} | `x` @here")
    (repo.root / "app/conf.py").unlink()
    repo.commit("remove")
    result = run_cli(repo.root, "scan", "--diff-base", start, "--markdown", "-")
    [finding] = history_findings(result)
    assert fake.AWS_KEY_ID not in finding["message"]
    assert "<b>" not in result.out
    no_leak(result)


def test_history_all_audits_every_commit(make_repo: Callable[..., Any],
                                         run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app/conf.py": KEY})
    repo.write({"app/conf.py": APP})
    repo.commit("remove")
    assert run_cli(repo.root, "scan").code == 0
    result = run_cli(repo.root, "scan", "--history", "all")
    assert result.code == 1
    [finding] = history_findings(result)
    assert "initial" in finding["message"]
    no_leak(result)


def test_the_action_input_is_validated(tmp_path: Path) -> None:
    assert parse_inputs({"INPUT_HISTORY": "OFF"}, tmp_path).history == "off"
    assert parse_inputs({}, tmp_path).history is None
    with pytest.raises(InputError, match="history"):
        parse_inputs({"INPUT_HISTORY": "everything"}, tmp_path)


def test_sharded_scans_merge_to_the_unsharded_verdict(make_repo: Callable[..., Any],
                                                      run_cli: Callable[..., Any],
                                                      tmp_path: Path) -> None:
    repo, start = base(make_repo, {f"pkg/m{i}.py": APP * (i + 1) for i in range(8)})
    repo.write({"pkg/conf.py": KEY, "pkg/tmp.py": TOKEN})
    repo.commit("add")
    repo.write({"pkg/conf.py": "# kept\n" + KEY})
    (repo.root / "pkg/tmp.py").unlink()
    repo.commit("keep one, drop one")

    def scan(out: Path, *extra: str) -> dict[str, Any]:
        run_cli(repo.root, "scan", "--no-cache", "--diff-base", start, "--json", str(out),
                *extra, report=False)
        return dict(json.loads(out.read_text()))

    whole = scan(tmp_path / "whole.json")
    assert sorted((f["path"], "history" in f["tags"]) for f in whole["findings"]
                  if f["scanner"] == "detect-secrets") == [("pkg/conf.py", False),
                                                           ("pkg/tmp.py", True)]
    parts = [str(tmp_path / f"s{i}.json") for i in (1, 2, 3)]
    for i, part in enumerate(parts, 1):
        scan(Path(part), "--shard", f"{i}/3")
    merged = run_cli(repo.root, "merge", *parts, "--json", str(tmp_path / "m.json"),
                     report=False)
    document = json.loads((tmp_path / "m.json").read_text())
    assert merged.code == 1
    assert (sorted(f["fingerprint"] for f in document["findings"])
            == sorted(f["fingerprint"] for f in whole["findings"]))


def test_hostile_file_names_in_history(make_repo: Callable[..., Any],
                                       run_cli: Callable[..., Any]) -> None:
    repo, start = base(make_repo)
    odd = b"app/we\xffird\nname -- $(x).py"
    (repo.root / "app").mkdir(exist_ok=True)
    (repo.root / os.fsdecode(odd)).write_bytes(KEY.encode())
    repo.write({"h/1/app/x.py": APP})  # the scan's own folder names mean nothing here
    added = repo.commit("odd name")
    (repo.root / os.fsdecode(odd)).unlink()
    repo.commit("remove")
    result = run_cli(repo.root, "scan", "--diff-base", start, "--sarif", "-")
    [finding] = history_findings(result)
    assert finding["path"].startswith("app/we") and finding["path"].endswith("(x).py")
    assert added in finding["message"] and result.code == 1
    no_leak(result)
