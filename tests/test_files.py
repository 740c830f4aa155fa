"""The file walk: git-tracked names survive, nothing is dropped without being counted."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import files
from secure_gate.errors import GateError

HOSTILE_NAMES = [
    "new\nline.py",
    "per%cent.py",
    "::error::x.py",
    "comma,colon:.py",
    'quote"s.py',
    "ünïcödé.py",
    "-dash.py",
    "##[set-output name=x;]y.py",
    "spa ce.py",
]


def paths(fileset: files.FileSet) -> set[str]:
    return {f.path for f in fileset.files}


def test_git_tracked_files_only_with_odd_names(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({name: "x = 1\n" for name in HOSTILE_NAMES} | {"sub/dir/a.py": "a = 1\n"})
    (repo.root / "untracked.py").write_text("u = 1\n")
    (repo.root / ".gitignore").write_text("ignored.py\n")
    (repo.root / "ignored.py").write_text("i = 1\n")
    found = files.collect(repo.root)
    assert found.in_git
    assert paths(found) == set(HOSTILE_NAMES) | {"sub/dir/a.py"}
    assert found.stats.total == len(HOSTILE_NAMES) + 1


def test_staged_but_uncommitted_files_are_included(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "a = 1\n"})
    (repo.root / "b.py").write_text("b = 1\n")
    repo.git("add", "b.py")
    assert paths(files.collect(repo.root)) == {"a.py", "b.py"}


def test_walks_the_file_system_outside_git(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "1\n", "pkg/b.py": "2\n", ".venv/lib/c.py": "3\n",
                      "__pycache__/d.py": "4\n", ".git/config": "5\n"}, git_repo=False)
    found = files.collect(repo.root)
    assert not found.in_git
    assert paths(found) == {"a.py", "pkg/b.py"}


def test_excludes_are_applied_once_and_counted(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "1\n", "tests/t.py": "2\n", "docs/x.min.js": "3\n"})
    found = files.collect(repo.root, exclude=["tests/", "*.min.js"])
    assert paths(found) == {"a.py"}
    assert found.stats.excluded == 2
    assert found.stats.total == 3


def test_binary_oversized_and_not_utf8_are_counted(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"bin.dat": b"\x00\x01\x02", "big.py": "x" * 2000 + "\n",
                      "latin.py": "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1"),
                      "ok.py": "ok = 1\n"})
    found = files.collect(repo.root, max_file_size=1000)
    assert paths(found) == {"latin.py", "ok.py"}
    assert found.stats.binary == 1
    assert found.stats.oversized == 1
    assert found.stats.not_utf8 == 1
    assert {f.path: f.utf8 for f in found.files} == {"latin.py": False, "ok.py": True}
    # Not UTF-8, still scanned for secrets: a lossless Latin-1 copy, every line kept (issue 16).
    latin = next(f for f in found.files if f.path == "latin.py")
    assert latin.text_copy is not None
    assert latin.text_copy.read_text(encoding="utf-8") == (
        "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n")
    assert ("bin.dat", "binary") in found.stats.samples
    assert ("big.py", "oversized") in found.stats.samples


def test_symlinks_are_never_followed(make_repo: Callable[..., Any], tmp_path: Path) -> None:
    outside = tmp_path / "outside-secret.py"
    outside.write_text("AWS = 'AKIAIOSFODNN7EXAMPLE'\n")
    repo = make_repo({"real.py": "r = 1\n"}, commit=False)
    os.symlink(outside, repo.root / "escape.py")
    os.symlink("real.py", repo.root / "inner.py")
    repo.commit()
    found = files.collect(repo.root)
    assert paths(found) == {"real.py"}
    assert found.stats.symlinks == 2
    plain = make_repo({"real.py": "r = 1\n"}, git_repo=False)
    os.symlink(outside, plain.root / "escape.py")
    os.symlink(tmp_path, plain.root / "dirlink")
    found = files.collect(plain.root)
    assert paths(found) == {"real.py"}
    assert found.stats.symlinks == 1  # the folder link is not descended into either


def test_restricting_to_paths(make_repo: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
                              ) -> None:
    repo = make_repo({"a.py": "1\n", "pkg/b.py": "2\n", "pkg/c.py": "3\n", "other/d.py": "4\n"})
    monkeypatch.chdir(repo.root)
    assert paths(files.collect(repo.root, only=["pkg"])) == {"pkg/b.py", "pkg/c.py"}
    assert paths(files.collect(repo.root, only=["a.py", "other/d.py"])) == {"a.py", "other/d.py"}
    with pytest.raises(GateError, match="does not exist"):
        files.collect(repo.root, only=["missing.py"])
    with pytest.raises(GateError, match="outside the repository"):
        files.collect(repo.root, only=["/etc/passwd"])


def test_dubious_ownership_is_an_error_not_an_empty_scan(make_repo: Callable[..., Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    repo = make_repo({"a.py": "1\n"})
    for dirpath, dirnames, filenames in os.walk(repo.root):
        for name in dirnames + filenames:
            os.lchown(os.path.join(dirpath, name), 1001, 1001)
    os.chown(repo.root, 1001, 1001)
    monkeypatch.setenv("HOME", str(repo.root.parent))  # no global safe.directory
    with pytest.raises(files.RepositoryError, match=r"safe\.directory") as info:
        files.collect(repo.root)
    assert info.value.exit_code == 3


def test_display_path_escapes_undecodable_bytes() -> None:
    raw = os.fsdecode(b"bad\xffname.py")
    assert files.display_path(raw) == "bad\\xffname.py"
    assert files.display_path("fine.py") == "fine.py"
