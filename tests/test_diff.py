"""Diff mode: only what a change introduces blocks; moved and renamed code stays old."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secure_gate import diff
from tests import secrets_corpus as fake

SHELL = "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n"
BIG_MODULE = "".join(f"def helper_{i}(x):\n    return x * {i}\n\n\n" for i in range(30))


def base_repo(make_repo: Callable[..., Any]) -> Any:
    return make_repo({"app/run.py": SHELL, "app/util.py": BIG_MODULE + SHELL,
                      "conf/settings.py": f'TOKEN = "{fake.GITHUB_TOKEN}"\n'})


def findings(result: Any) -> list[tuple[str, int, str, bool, bool]]:
    return sorted((f["path"], f["line"], f["rule"], f["new"], f["blocking"])
                  for f in result.json_report["findings"])


def test_moving_code_around_passes(make_repo: Callable[..., Any],
                                   run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"app/run.py": "# a comment that moves everything down\n\n" + SHELL,
                "conf/settings.py": f'\n\nTOKEN = "{fake.GITHUB_TOKEN}"\n'})
    repo.commit("move things")
    result = run_cli(repo.root, "scan", "--diff-base", base)
    assert result.code == 0, result.out
    assert all(f["new"] is False for f in result.json_report["findings"])
    assert result.json_report["diff_base"] == base
    reasons = {f["new_reason"] for f in result.json_report["findings"]}
    assert reasons <= {"present at the base", "file unchanged since the base"}
    assert "present at the base" in reasons


def test_adding_one_vulnerable_line_fails_on_exactly_that_line(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    repo.write({"app/run.py": SHELL + "\n\ndef again(c):\n    subprocess.call(c, shell=True)\n"})
    repo.commit("add a shell call")
    result = run_cli(repo.root, "scan", "--diff-base", "HEAD~1")
    assert result.code == 1
    blocking = [f for f in findings(result) if f[4]]
    assert blocking == [("app/run.py", 9, "B602", True, True)]
    old = [f for f in findings(result) if f[:3] == ("app/run.py", 5, "B602")]
    assert old == [("app/run.py", 5, "B602", False, False)]


def test_a_new_file_blocks_and_a_duplicate_of_old_code_is_still_new(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    repo.write({"app/new.py": SHELL, "app/run.py": SHELL + "\n\n" + SHELL.split("\n\n\n")[1]})
    repo.commit("copies")
    result = run_cli(repo.root, "scan", "--diff-base", "HEAD~1")
    blocking = {(f[0], f[1]) for f in findings(result) if f[4]}
    # The same line twice in one file: one copy is old, the other is one too many.
    # Occurrences count in line order, so the later copy is the new one.
    assert blocking == {("app/new.py", 5), ("app/run.py", 9)}
    assert result.code == 1


def test_a_rename_keeps_findings_old(make_repo: Callable[..., Any],
                                     run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    repo.git("mv", "app/util.py", "app/helpers.py")
    repo.git("mv", "conf/settings.py", "conf/production.py")
    repo.commit("rename")
    result = run_cli(repo.root, "scan", "--diff-base", "HEAD~1")
    assert result.code == 0, result.out
    paths = {f[0] for f in findings(result)}
    assert {"app/helpers.py", "conf/production.py"} <= paths
    assert all(not f[3] for f in findings(result))


def test_uncommitted_work_is_compared_too(make_repo: Callable[..., Any],
                                          run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    repo.write({"conf/local.py": f'KEY = "{fake.AWS_KEY_ID}"\n'})
    repo.git("add", "conf/local.py")
    result = run_cli(repo.root, "scan", "--diff-base", "HEAD")
    assert [f[:2] for f in findings(result) if f[4]] == [("conf/local.py", 1)]


def test_unknown_base_is_a_clear_usage_error(make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    repo = base_repo(make_repo)
    result = run_cli(repo.root, "scan", "--diff-base", "0" * 40)
    assert result.code == 2
    assert "fetch-depth: 0" in result.err
    assert run_cli(repo.root, "scan", "--diff-base", "--output=x").code == 2


def test_base_scan_errors_make_changed_findings_new(make_repo: Callable[..., Any],
                                                    run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "def broken(:\n"})
    repo.write({"a.py": SHELL})
    repo.commit("fix the syntax, add a shell call")
    result = run_cli(repo.root, "scan", "--diff-base", "HEAD~1", "--scanners", "bandit")
    assert result.code == 1
    assert any("base scan of bandit did not complete" in n
               for n in result.json_report["notices"])
    assert all(f["new"] for f in result.json_report["findings"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(b"b/plain.py", b"b/plain.py"), (b'"b/new\\nline.py"', b"b/new\nline.py"),
     (b'"b/\\303\\274.py"', "b/ü.py".encode()), (b'"b/q\\"t.py"', b'b/q"t.py')],
)
def test_unquote_git_paths(raw: bytes, expected: bytes) -> None:
    assert diff.unquote(raw) == expected


def test_changed_lines_from_a_patch() -> None:
    patch = (b"diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +2,3 @@\n+a\n+b\n+c\n"
             b"@@ -10 +12 @@\n-x\n+y\n@@ -20,2 +21,0 @@\n-gone\n-gone\n"
             b"diff --git a/y.py b/y.py\n--- a/y.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-z\n")
    assert diff.changed_lines(patch) == {"x.py": frozenset({2, 3, 4, 12})}


def osv(folder: Any, ident: str, package: str, published: str) -> None:
    import json

    folder.mkdir(exist_ok=True)
    (folder / f"{ident}.json").write_text(json.dumps({
        "id": ident, "modified": published, "published": published,
        "affected": [{"package": {"ecosystem": "PyPI", "name": package},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "9.0"}]}]}]}))


def test_dependency_advisories_are_new_when_their_pin_changed_or_they_appeared_since(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Any) -> None:
    db = tmp_path / "osv"
    osv(db, "OLD-1", "alpha", "2019-01-01T00:00:00Z")
    osv(db, "OLD-2", "beta", "2019-01-01T00:00:00Z")
    osv(db, "FUTURE-1", "gamma", "2999-01-01T00:00:00Z")
    repo = make_repo({"requirements.txt": "alpha==1.0\nbeta==1.0\ngamma==1.0\n"})
    repo.write({"requirements.txt": "alpha==1.0\nbeta==1.1\ngamma==1.0\n"})
    repo.commit("bump beta")
    result = run_cli(repo.root, "scan", "--scanners", "pip-audit", "--advisory-db", str(db),
                     "--diff-base", "HEAD~1")
    by_rule = {f["rule"]: (f["new"], f["new_reason"]) for f in result.json_report["findings"]}
    assert by_rule["OLD-1"] == (False, "its pin is unchanged since the base")
    assert by_rule["OLD-2"] == (True, "the line that pins it changed")
    assert by_rule["FUTURE-1"][0] is True
    assert by_rule["FUTURE-1"][1].startswith("the advisory was published (2999-01-01) after")
