"""The result cache is never steered by the repository: placement refused, entries authenticated."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import cache
from secure_gate.github.main import run_github
from tests.github.runner import Runner

FILES = {"app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
         "app/other.py": "import pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n",
         "app/ok.py": "x = 1\n"}


def scan(run_cli: Callable[..., Any], root: Path, folder: str | Path) -> Any:
    return run_cli(root, "scan", "--scanners", "bandit", "--cache-dir", str(folder))


def poison(folder: Path) -> int:
    """Empty every entry of its findings, as a hostile pull request would, sealing each with
    a key of its own (whatever the entry format, so this also works on an older cache)."""
    forged = os.urandom(32).hex().encode()
    count = 0
    for entry in folder.rglob("*.json"):
        data = json.loads(entry.read_text())
        if "body" in data:
            body = json.loads(data["body"])
            body["findings"] = []
            text = json.dumps(body)
            mac = hmac.new(forged, f"{entry.name}\0{text}".encode(), hashlib.sha256).hexdigest()
            entry.write_text(json.dumps({"mac": mac, "body": text}))
        else:
            data["findings"] = []
            entry.write_text(json.dumps(data))
        count += 1
    return count


def blocking(result: Any) -> set[tuple[str, str]]:
    return {(f["path"], f["rule"]) for f in result.json_report["findings"] if f["blocking"]}


def note(result: Any) -> str:
    return " ".join(result.json_report["scanners"][0]["notes"])


@pytest.fixture(autouse=True)
def _private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_a_committed_poisoned_cache_is_refused(make_repo: Callable[..., Any],
                                              run_cli: Callable[..., Any],
                                              tmp_path: Path) -> None:
    """The issue's proof of concept: the README's old recipe, and a PR committing the folder."""
    repo = make_repo(FILES)
    honest = scan(run_cli, repo.root, tmp_path / "honest")
    assert honest.code == 1 and blocking(honest)
    # The PR commits the cache folder with every entry emptied of its findings.
    (tmp_path / "honest").rename(repo.root / ".secure-gate-cache")
    assert poison(repo.root / ".secure-gate-cache") >= 2
    repo.commit("a cache that says: nothing to see")
    result = scan(run_cli, repo.root, ".secure-gate-cache")
    assert result.code == 2, result.out + result.err
    assert "cache folder '.secure-gate-cache' is inside the scanned repository and git " \
           "tracks files in it" in result.err


def test_an_unignored_cache_folder_in_the_repository_is_refused(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo(FILES)
    result = scan(run_cli, repo.root, ".secure-gate-cache")
    assert result.code == 2
    assert "not ignored by git" in result.err
    assert not (repo.root / ".secure-gate-cache").exists()  # refused before anything ran


def test_the_repository_root_itself_is_refused(make_repo: Callable[..., Any],
                                              run_cli: Callable[..., Any]) -> None:
    repo = make_repo(FILES)
    assert scan(run_cli, repo.root, ".").code == 2


def test_planted_entries_in_an_ignored_folder_are_rescanned(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = make_repo({**FILES, ".gitignore": ".cache/\n"})
    first = scan(run_cli, repo.root, ".cache/sg")
    assert first.code == 1
    # Inside the tree the key lives in the user's config folder, never in the repository.
    assert not list((repo.root / ".cache").rglob("key*"))
    assert (tmp_path / "config" / "secure-gate" / "cache.key").stat().st_mode & 0o777 == 0o600
    assert poison(repo.root / ".cache" / "sg") >= 2
    again = scan(run_cli, repo.root, ".cache/sg")
    assert blocking(again) == blocking(first)
    assert "not written by secure-gate (authentication failed)" in note(again)


def test_forged_or_moved_entries_outside_the_tree_are_rescanned(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = make_repo(FILES)
    folder = tmp_path / "outside"
    first = scan(run_cli, repo.root, folder)
    key_file = folder / "key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "3 of 3 file(s) from the result cache" in note(scan(run_cli, repo.root, folder))
    entries = sorted(folder.rglob("*.json"))
    # A genuine entry (say, of a clean file) copied over another file's slot.
    clean = next(e for e in entries if '"findings": []' in json.loads(e.read_text())["body"])
    for entry in entries:
        if entry != clean:
            entry.write_text(clean.read_text())
    moved = scan(run_cli, repo.root, folder)
    assert blocking(moved) == blocking(first)
    assert "authentication failed" in note(moved)
    poison(folder)
    forged = scan(run_cli, repo.root, folder)
    assert blocking(forged) == blocking(first)


def test_a_key_others_can_read_disables_the_cache(make_repo: Callable[..., Any],
                                                  run_cli: Callable[..., Any],
                                                  tmp_path: Path) -> None:
    repo = make_repo(FILES)
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "key").write_text("0" * 64)
    (folder / "key").chmod(0o644)
    cache.forget_keys()
    result = scan(run_cli, repo.root, folder)
    assert result.code == 1
    assert "result cache not used: its key could not be created or is readable by others" \
        in note(result)
    assert not list(folder.rglob("*.json"))


def test_the_action_refuses_a_committed_cache_folder(make_repo: Callable[..., Any],
                                                     tmp_path: Path) -> None:
    repo = make_repo({**FILES, ".secure-gate-cache/v2/bandit/00/0.json": "{}\n"})
    runner = Runner(tmp_path / "runner", repo.root)
    out = io.StringIO()
    code = run_github(runner.env({"scanners": "bandit", "cache-dir": ".secure-gate-cache"}),
                      out=out)
    assert code == 2
    assert "git tracks files in it" in out.getvalue()
    assert runner.outputs()["exit-code"] == "2"


def test_scanners_asking_for_a_new_key_at_once_all_get_it(tmp_path: Path) -> None:
    """The key is made on first use while several scanners start: none may see half of it
    (a reader that did used to switch the cache off for the rest of the process)."""
    import threading

    path = tmp_path / "cache" / "key"
    for _ in range(20):
        cache.forget_keys()
        path.unlink(missing_ok=True)
        got: list[bytes | None] = []
        barrier = threading.Barrier(8)

        def ask(barrier: threading.Barrier, got: list[bytes | None]) -> None:
            barrier.wait()
            got.append(cache.load_key(path))

        threads = [threading.Thread(target=ask, args=(barrier, got)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(got)) == 1 and got[0] is not None and len(got[0]) >= 32
        assert path.read_text().strip().encode() == got[0]
        assert not [p for p in path.parent.iterdir() if p.name != "key"]
