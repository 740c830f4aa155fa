"""The per-file result cache: identical findings, invalidation, corruption, errors never cached."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import cache
from tests import secrets_corpus as fake

FILES = {
    "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
    "app/conf.txt": f"token = {fake.GITHUB_TOKEN}\n",
    "app/ok.py": "x = 1  # nosec\n",
}


def scan(run_cli: Callable[..., Any], root: Path, cache_dir: Path, *extra: str) -> Any:
    return run_cli(root, "scan", "--scanners", "bandit,detect-secrets", "--cache-dir",
                   str(cache_dir), *extra)


def key(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(f["scanner"], f["path"], f["line"], f["rule"], f["fingerprint"], f["message"])
            for f in report["findings"]]


def notes(report: dict[str, Any], name: str) -> list[str]:
    return next(s for s in report["scanners"] if s["name"] == name)["notes"]


def test_warm_scan_is_identical_and_served_from_the_cache(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(FILES)
    cold = scan(run_cli, repo.root, tmp_path / "c")
    # A warm run must not need the tools at all: make the workers unable to start.
    monkeypatch.setattr("secure_gate.workers.pool.worker_command",
                        lambda: ["/nonexistent/worker"])
    warm = scan(run_cli, repo.root, tmp_path / "c")
    assert warm.code == cold.code == 1
    assert key(warm.json_report) == key(cold.json_report)
    assert any("3 of 3 file(s) from the result cache" in n
               for n in notes(warm.json_report, "detect-secrets"))
    stats = next(s for s in warm.json_report["scanners"] if s["name"] == "detect-secrets")
    assert stats["files_scanned"] == 3
    assert fake.leaked(json.dumps(warm.json_report)) == []
    for entry in (tmp_path / "c").rglob("*.json"):
        assert fake.leaked(entry.read_text()) == []


def test_a_changed_file_is_rescanned(make_repo: Callable[..., Any],
                                     run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = make_repo(FILES)
    scan(run_cli, repo.root, tmp_path / "c")
    repo.write({"app/ok.py": "eval(input())\n"})
    warm = scan(run_cli, repo.root, tmp_path / "c")
    rules = {(f["path"], f["rule"]) for f in warm.json_report["findings"]}
    assert ("app/ok.py", "B307") in rules
    assert any("1 of 2 file(s) from the result cache" in n
               for n in notes(warm.json_report, "bandit"))


def test_options_and_versions_key_the_cache(make_repo: Callable[..., Any],
                                            run_cli: Callable[..., Any], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(FILES)
    scan(run_cli, repo.root, tmp_path / "c")
    repo.write({".secure-gate.yml": "scanners:\n  detect-secrets:\n    disable-plugins: "
                                    "[GitHubTokenDetector, Base64HighEntropyString]\n"})
    changed = scan(run_cli, repo.root, tmp_path / "c")
    assert not any(f["rule"] == "GitHub Token" for f in changed.json_report["findings"])
    monkeypatch.setattr("secure_gate.scanners.bandit.package_version", lambda d: "9.9.9")
    newer = scan(run_cli, repo.root, tmp_path / "c")
    assert not any("from the result cache" in n for n in notes(newer.json_report, "bandit"))


def test_the_gates_own_code_keys_the_cache(make_repo: Callable[..., Any],
                                           run_cli: Callable[..., Any], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A development build keeps its version while its rules change: the code keys too."""
    from secure_gate import cache

    repo = make_repo(FILES)
    scan(run_cli, repo.root, tmp_path / "c")
    same = scan(run_cli, repo.root, tmp_path / "c")
    assert any("from the result cache" in n for n in notes(same.json_report, "bandit"))
    monkeypatch.setattr(cache, "code_identity", lambda: "another build of the same version")
    rebuilt = scan(run_cli, repo.root, tmp_path / "c")
    assert not any("from the result cache" in n for n in notes(rebuilt.json_report, "bandit"))


def test_the_code_identity_reads_every_module() -> None:
    from secure_gate import cache

    cache.code_identity.cache_clear()
    first = cache.code_identity()
    assert first == cache.code_identity() and len(first) == 64


def test_corrupt_entries_are_ignored_and_rewritten(make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any],
                                                   tmp_path: Path) -> None:
    repo = make_repo(FILES)
    cold = scan(run_cli, repo.root, tmp_path / "c")
    entries = sorted((tmp_path / "c").rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text("{not json")
    again = scan(run_cli, repo.root, tmp_path / "c")
    assert key(again.json_report) == key(cold.json_report)
    assert all(json.loads(e.read_text()) for e in entries)


def test_files_with_errors_are_never_cached(make_repo: Callable[..., Any],
                                            run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = make_repo({"bad.py": "def broken(:\n", "good.py": "x = 1\n"})
    first = scan(run_cli, repo.root, tmp_path / "c", "--scanners", "bandit")
    second = scan(run_cli, repo.root, tmp_path / "c", "--scanners", "bandit")
    for result in (first, second):
        assert result.code == 3
        assert "bad.py" in result.json_report["scanners"][0]["message"]


def test_no_cache_writes_nothing(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    repo = make_repo(FILES)
    run_cli(repo.root, "scan", "--no-cache")
    assert not (tmp_path / "xdg" / "secure-gate").exists()
    run_cli(repo.root, "scan")
    assert list((tmp_path / "xdg" / "secure-gate").rglob("*.json"))


def test_prune_keeps_the_cache_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    for n in range(20):
        entry = folder / cache.CACHE_VERSION / "bandit" / f"{n:02d}" / f"{n}.json"
        entry.parent.mkdir(parents=True)
        entry.write_text("x" * 100)
    assert cache.prune(folder, max_bytes=1000, force=True) == 10
    assert len(list(folder.rglob("*.json"))) == 10
    assert cache.prune(folder, max_bytes=0) == 0  # ran recently: not again so soon
