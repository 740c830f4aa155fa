"""Nothing new goes unscanned: committed content is what is read, odd text is still scanned, and
a new or changed file no scanner could read blocks in diff mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests import secrets_corpus as fake
from tests.conftest import Repo

KEY = f'AWS = "{fake.AWS_KEY_ID}"\n'
SHELL = "import subprocess\nsubprocess.call(x, shell=True)\n"


def _pr(make_repo: Callable[..., Repo], files: dict[str, str | bytes],
        config: str = "") -> tuple[Repo, str]:
    repo = make_repo({"ok.py": "x = 1\n", ".secure-gate.yml": config or "fail-on: high\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write(files)
    repo.commit("the change")
    return repo, base


def _rules(result: Any) -> set[tuple[str, str, bool]]:
    return {(f["path"], f["rule"], f["blocking"]) for f in result.json_report["findings"]}


def test_a_nul_byte_early_in_a_text_file_does_not_hide_a_secret(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo, base = _pr(make_repo, {"notes.txt": b"header\0\n" + KEY.encode()})
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets", "--diff-base", base)
    assert ("notes.txt", "AWS Access Key", True) in _rules(result)
    assert result.code == 1


def test_a_latin1_file_is_still_scanned_by_both_tools(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    code = ("# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + SHELL + KEY).encode("latin-1")
    repo, base = _pr(make_repo, {"app.py": code})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets",
                     "--diff-base", base)
    rules = _rules(result)
    assert ("app.py", "B602", True) in rules
    assert ("app.py", "AWS Access Key", True) in rules
    line = next(f["line"] for f in result.json_report["findings"]
                if f["rule"] == "AWS Access Key")
    assert line == 5  # lines kept where they are


def test_working_tree_encoding_cannot_make_a_committed_secret_look_binary(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    """As actions/checkout leaves it: the blob is plain UTF-8, the work tree UTF-16."""
    repo = make_repo({"ok.py": "x = 1\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({".gitattributes": "*.txt working-tree-encoding=UTF-16LE-BOM\n"})
    (repo.root / "secret.txt").write_bytes(b"\xff\xfe" + KEY.encode("utf-16-le"))
    repo.commit("a secret in disguise")
    assert repo.git("cat-file", "-p", "HEAD:secret.txt") == KEY  # committed as plain text
    assert b"\0" in (repo.root / "secret.txt").read_bytes()
    for extra in ((), ("--diff-base", base)):
        result = run_cli(repo.root, "scan", "--scanners", "detect-secrets", *extra)
        assert ("secret.txt", "AWS Access Key", True) in _rules(result), result.out
        assert result.code == 1


def test_new_files_no_scanner_could_read_block_in_diff_mode(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    padded = b"#" * (5 * 1024 * 1024 + 10) + b"\n" + KEY.encode()
    binary = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4
    repo, base = _pr(make_repo, {"big.py": padded, "logo.png": binary})
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets",
                     "--diff-base", base)
    assert result.code == 1
    unscanned = {(f["path"], f["severity"], f["blocking"], f["new"])
                 for f in result.json_report["findings"] if f["rule"] == "unscanned-file"}
    assert unscanned == {("big.py", "critical", True, True), ("logo.png", "critical", True, True)}
    # The trusted policy (the base's config) can let such files through: excluded ones pass.
    repo, base = _pr(make_repo, {"big.py": padded, "logo.png": binary},
                     config="exclude: ['*.png', '/big.py']\n")
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets",
                     "--diff-base", base)
    assert result.code == 0, result.out
    # Unchanged since the base: not new, so nothing to say.
    repo.write({"ok.py": "x = 2\n"})
    repo.commit("unrelated")
    head = repo.git("rev-parse", "HEAD~1").strip()
    repo.write({".secure-gate.yml": "fail-on: high\n"})
    repo.commit("exclusions gone")
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets",
                     "--diff-base", head, "--policy-from", "head")
    assert not [f for f in result.json_report["findings"] if f["rule"] == "unscanned-file"]


def test_a_line_too_long_to_scan_is_reported_and_blocks_when_new(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    """One 4 MB line kept detect-secrets busy past its timeout: such lines are not given to
    it; each is reported, and in diff mode a new one blocks like an unscanned file."""
    long_line = 'blob = "' + "ab12=" * 6000 + f'{fake.AWS_KEY_ID}"\n'
    repo = make_repo({"ok.py": "x = 1\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    repo.write({"data.py": KEY + long_line + "y = 2\n"})
    repo.commit("a long line")
    plain = run_cli(repo.root, "scan", "--scanners", "detect-secrets")
    found = {(f["rule"], f["line"], f["severity"], f["blocking"])
             for f in plain.json_report["findings"]}
    assert ("AWS Access Key", 1, "high", True) in found  # the rest of the file is scanned
    assert ("line-too-long", 2, "info", False) in found
    result = run_cli(repo.root, "scan", "--scanners", "detect-secrets", "--diff-base", base)
    blocking = {(f["rule"], f["line"]) for f in result.json_report["findings"] if f["blocking"]}
    assert blocking == {("AWS Access Key", 1), ("unscanned-file", 2)}
