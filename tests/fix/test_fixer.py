"""The fix frame with a toy fixer: rounds, write-back, dry runs, and what it refuses to do."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secure_gate import cli, fixer
from secure_gate.errors import GateError, UsageError
from secure_gate.net.services import Services
from secure_gate.request import ScanRequest
from tests.conftest import CliResult, Repo
from tests.fix import toyfix


@pytest.fixture(autouse=True)
def toy_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy fixer (tests/fix/toyfix.py) among the scanners."""
    yield from toyfix.registered(monkeypatch)


def fix(root: Path, *, dry_run: bool = False, paths: tuple[str, ...] = ()) -> fixer.FixResult:
    return fixer.run(fixer.FixRequest(
        scan=ScanRequest(root=root, paths=paths, jobs=1, cache_dir=None),
        services=Services(), only=("toyfix",), dry_run=dry_run))


def test_rounds_go_on_until_nothing_changes(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "old x\r\nok\r\npin y\r\n"})
    result = fix(repo.root)
    assert (repo.root / "a.toy").read_bytes() == b"x==1\r\nok\r\ny==1\r\n"
    assert result.rounds == 3 and result.written and result.unfixed == []
    assert [(e.line, e.summary) for e in result.edits] == [
        (1, "x: raised"), (3, "y: pinned"), (1, "x: pinned")]
    assert fixer.exit_code(result) == 0


def test_a_second_run_changes_nothing(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "old x\n"})
    fix(repo.root)
    again = fix(repo.root)
    assert again.changes == [] and again.edits == [] and again.rounds == 1
    assert not again.written


def test_a_dry_run_writes_nothing_and_its_diff_is_what_a_run_writes(
        make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "pin x\n", "b.toy": "fine\n"})
    dry = fix(repo.root, dry_run=True)
    assert (repo.root / "a.toy").read_text() == "pin x\n" and not dry.written
    patch = dry.diff()
    assert patch == "--- a/a.toy\n+++ b/a.toy\n@@ -1 +1 @@\n-pin x\n+x==1\n"
    subprocess.run(["git", "apply", "-"], input=patch.encode(), cwd=repo.root, check=True)
    applied = (repo.root / "a.toy").read_bytes()
    subprocess.run(["git", "checkout", "--", "a.toy"], cwd=repo.root, check=True)
    fix(repo.root)
    assert (repo.root / "a.toy").read_bytes() == applied


def test_what_cannot_be_fixed_is_listed_and_fails(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "never z\npin x\n"})
    result = fix(repo.root)
    assert [(u.line, u.reason) for u in result.unfixed] == [(1, "z cannot be fixed")]
    assert (repo.root / "a.toy").read_text() == "never z\nx==1\n"
    assert fixer.exit_code(result) == 1


def test_the_byte_order_mark_and_mode_are_kept(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "\ufeffpin x\n"})
    os.chmod(repo.root / "a.toy", 0o640)
    fix(repo.root)
    assert (repo.root / "a.toy").read_bytes() == "\ufeffx==1\n".encode()
    assert (repo.root / "a.toy").stat().st_mode & 0o777 == 0o640


def test_an_edit_outside_the_repository_is_never_made(make_repo: Callable[..., Repo],
                                                      tmp_path: Path) -> None:
    repo = make_repo({"a.toy": "escape\n"})
    outside = repo.root.parent / "outside.toy"
    outside.write_text("x\n")
    result = fix(repo.root)
    assert outside.read_text() == "x\n"
    assert [(u.path, u.reason) for u in result.unfixed] == [
        ("../outside.toy", "not a file of this repository's scan (outside it, or not listed)"),
        ("a.toy", "still reported after fix, and its fixer gave no reason: fix it by hand")]


def test_a_linked_file_is_not_written_through(make_repo: Callable[..., Repo],
                                              tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toy"
    target.write_text("pin x\n")
    repo = make_repo({"a.toy": "fine\n"})
    os.symlink(target, repo.root / "l.toy")
    repo.commit("a link")
    fix(repo.root)
    assert target.read_text() == "pin x\n"


def test_a_file_that_changed_while_fix_ran_stops_every_write(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({"a.toy": "pin x\n", "b.toy": "pin y\n"})
    real = fixer._unchanged

    def meanwhile(root: Path, target: Path, change: fixer.FileChange) -> None:
        if target.name == "b.toy":
            target.write_text("pin y\nsomeone else's line\n")
        real(root, target, change)

    monkeypatch.setattr(fixer, "_unchanged", meanwhile)
    with pytest.raises(fixer.GateError, match="changed while fix ran"):
        fix(repo.root)
    assert (repo.root / "b.toy").read_text() == "pin y\nsomeone else's line\n"
    assert (repo.root / "a.toy").read_text() == "pin x\n"  # nothing was written


def test_odd_bytes_in_a_file_name_write_back_to_that_file(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo()
    name = os.fsencode(repo.root) + b"/caf\xe9 \\x41.toy"
    with open(name, "wb") as handle:
        handle.write(b"pin x\n")
    repo.commit("odd name")
    result = fix(repo.root)
    with open(name, "rb") as handle:
        assert handle.read() == b"x==1\n"
    assert [c.path for c in result.changes] == ["caf\\xe9 \\\\x41.toy"]


def test_only_the_named_paths_are_fixed(make_repo: Callable[..., Repo],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo({"a.toy": "pin x\n", "sub/b.toy": "pin y\n"})
    monkeypatch.chdir(repo.root)
    fix(repo.root, paths=("sub",))
    assert (repo.root / "a.toy").read_text() == "pin x\n"
    assert (repo.root / "sub/b.toy").read_text() == "y==1\n"


def test_a_scanner_without_a_fixer_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="bandit has no fixer"):
        fixer.fixing_scanners(("bandit",))
    with pytest.raises(UsageError, match="unknown scanner"):
        fixer.fixing_scanners(("nope",))
    assert "toyfix" in fixer.fixing_scanners()


def test_the_summary_escapes_what_the_repository_wrote(make_repo: Callable[..., Repo]) -> None:
    repo = make_repo({"a.toy": "never \x1b]0;owned\x07\n::error::x\n", "b.toy": "pin ##[x\n"})
    lines = fixer.summary(fix(repo.root), dry_run=True)
    text = "\n".join(lines)
    assert "\x1b" not in text and "\x07" not in text and "##[" not in text
    assert "\\x1b]0;owned\\x07 cannot be fixed" in text


def test_the_command_line(make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo({"a.toy": "pin x\nnever y\n"})
    monkeypatch.chdir(repo.root)
    assert cli.main(["fix", "--only", "toyfix", "--diff"]) == 1
    out, err = capsys.readouterr()
    assert out == "--- a/a.toy\n+++ b/a.toy\n@@ -1,2 +1,2 @@\n-pin x\n+x==1\n never y\n"
    assert "would change 1 file(s) in 2 round(s); asked no service" in err
    assert "a.toy:2: toyfix/never" in err
    assert (repo.root / "a.toy").read_text() == "pin x\nnever y\n"
    assert cli.main(["fix", "--only", "toyfix"]) == 1
    out, _ = capsys.readouterr()
    assert "changed 1 file(s)" in out
    assert (repo.root / "a.toy").read_text() == "x==1\nnever y\n"
    assert cli.main(["fix", "--only", "bandit"]) == 2


def test_edits_that_never_settle_are_not_written_and_fail(
        make_repo: Callable[..., Repo]) -> None:
    # A fixer whose every edit leaves a finding (or services that answer otherwise each
    # round): the last round's edits were seen by no scan, so none is written and the run
    # does not pass.
    repo = make_repo({"a.toy": "grow x\n", "b.toy": "pin y\n"})
    result = fix(repo.root)
    assert result.rounds == fixer.MAX_ROUNDS and not result.written
    assert (repo.root / "a.toy").read_text() == "grow x\n"
    assert (repo.root / "b.toy").read_text() == "pin y\n"
    assert any("did not settle in 4 rounds" in e for e in result.errors)
    assert [f.rule for f in result.remaining] == ["grow"]
    assert fixer.exit_code(result) == 3


def test_a_file_git_converts_on_checkout_is_scanned_but_never_rewritten(
        make_repo: Callable[..., Repo]) -> None:
    # A UTF-16 work tree (working-tree-encoding): the scan reads the committed text, so its
    # findings must be listed as not fixed (fix said nothing and passed); writing UTF-8
    # over the UTF-16 file is not an option either.
    utf16 = "pin x\n".encode("utf-16-le")
    repo = make_repo({".gitattributes": "a.toy working-tree-encoding=UTF-16LE\n",
                      "a.toy": utf16, "b.toy": "pin y\n"})
    result = fix(repo.root)
    assert (repo.root / "a.toy").read_bytes() == utf16
    assert (repo.root / "b.toy").read_text() == "y==1\n"
    assert [(u.path, u.line, u.rule) for u in result.unfixed] == [("a.toy", 1, "toyfix/pin")]
    assert "working-tree-encoding" in result.unfixed[0].reason
    assert fixer.exit_code(result) == 1


def test_a_file_that_cannot_be_written_leaves_every_file_as_it_was(
        make_repo: Callable[..., Repo], monkeypatch: pytest.MonkeyPatch) -> None:
    # The second file's folder refuses the new file (a full disk, a read-only folder: root
    # writes those here, so the refusal is made by hand): the first was already replaced,
    # and the run ended with an error that did not say so.
    repo = make_repo({"a.toy": "pin x\n", "b/b.toy": "pin y\n"})
    real = tempfile.mkstemp

    def mkstemp(*args: object, dir: str | os.PathLike[str], **kwargs: object) -> object:
        if Path(dir).name == "b":
            raise OSError(28, "No space left on device")
        return real(*args, dir=dir, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(fixer.tempfile, "mkstemp", mkstemp)
    with pytest.raises(GateError, match=r"b/b.toy: not written: .*No space left on device "
                                        r"\(nothing was written\)"):
        fix(repo.root)
    assert (repo.root / "a.toy").read_text() == "pin x\n"
    assert (repo.root / "b/b.toy").read_text() == "pin y\n"
    assert sorted(p.name for p in repo.root.rglob("*") if ".git" not in p.parts) == [
        "a.toy", "b", "b.toy"]


def test_a_finding_its_fixer_says_nothing_of_does_not_pass(
        make_repo: Callable[..., Repo]) -> None:
    # Every finding must come back as an edit or a reason; one that comes back as neither
    # is still there after the run, so the run must not pass (it exited 0).
    repo = make_repo({"a.toy": "mute x\npin y\n"})
    result = fix(repo.root)
    assert (repo.root / "a.toy").read_text() == "mute x\ny==1\n"
    assert [(u.path, u.line, u.rule) for u in result.unfixed] == [("a.toy", 1, "toyfix/mute")]
    assert "its fixer gave no reason" in result.unfixed[0].reason
    assert fixer.exit_code(result) == 1


def test_a_missing_lock_file_is_named_with_the_tool_that_makes_one(
        make_repo: Callable[..., Repo], run_cli: Callable[..., CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy holds every file, so what is absent from it is absent from the repository."""
    app = '[project]\nname = "app"\nversion = "1"\ndependencies = [\n  "flask>=3",\n]\n'
    repo = make_repo({"pyproject.toml": app})
    result = run_cli(repo.root, "fix", "--only", "pins", report=False)
    assert result.code == 1
    assert "pyproject.toml:4: pins/missing-lockfile:" in result.out
    assert "uv lock" in result.out
    monkeypatch.chdir(repo.root)
    named = run_cli(repo.root, "fix", "--only", "pins", "pyproject.toml", report=False)
    assert named.code == 0 and "missing-lockfile" not in named.out  # a partial copy: unknown
