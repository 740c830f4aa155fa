"""secure-gate fix raising vulnerable pins: the real pip-audit, an offline OSV database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fix.fake_index import Index, serve


def record(advisory_id: str, name: str, *ranges: tuple[str, str | None],
           versions: tuple[str, ...] = (), aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    events = [[{"introduced": lo}, *([{"fixed": hi}] if hi else [])] for lo, hi in ranges]
    return {
        "id": advisory_id, "modified": "2024-01-01T00:00:00Z",
        "published": "2024-01-01T00:00:00Z", "aliases": list(aliases),
        "summary": f"{advisory_id} summary", "details": f"{advisory_id} details",
        "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                      "ranges": [{"type": "ECOSYSTEM", "events": e} for e in events],
                      **({"versions": list(versions)} if versions else {})}],
    }


RECORDS = [
    record("SGFIX-1", "vulnpkg", ("0", "1.1")),
    record("SGFIX-2", "vulnpkg", ("0", "1.2"), aliases=("CVE-2099-2",)),
    record("SGFIX-3", "nofix", ("0", None)),
    # The data says 1.1 fixes it, yet lists 1.1 as affected: the fixer checks the candidate.
    record("SGFIX-4", "relisted", ("0", "1.1"), versions=("1.0", "1.1")),
    record("SGFIX-5", "yankfix", ("0", "2.0")),
]


@pytest.fixture
def index() -> Iterator[Index]:
    with serve() as served:
        for version in ("1.0", "1.1", "1.2", "1.3"):
            served.wheel("vulnpkg", version)
            served.sdist("vulnpkg", version)
            served.wheel("relisted", version)
        served.wheel("clean", "1.0")
        served.wheel("nofix", "1.0")
        served.wheel("yankfix", "1.0")
        served.wheel("yankfix", "2.0", yanked="bad build")
        served.wheel("yankfix", "2.1")
        yield served


@pytest.fixture
def config(tmp_path: Path) -> str:
    db = tmp_path / "osv-db"
    db.mkdir()
    for item in RECORDS:
        (db / f"{item['id']}.json").write_text(json.dumps(item), encoding="utf-8")
    return f"scanners:\n  pip-audit:\n    advisory-db: {db}\n"


def fix(run_cli: Callable[..., Any], root: Path, index: Index, *extra: str) -> Any:
    return run_cli(root, "fix", "--index-url", index.simple, *extra)


def read(root: Path, name: str = "requirements.txt") -> str:
    return (root / name).read_text(encoding="utf-8")


def sha(index: Index, name: str, version: str) -> list[str]:
    return sorted(f.sha256 for f in index.projects[name][version])


def hashed(index: Index, name: str, version: str, head: str | None = None) -> str:
    digests = sha(index, name, version)
    lines = [f"{head or f'{name}=={version}'} \\"]
    lines += [f"    --hash=sha256:{d} \\" for d in digests[:-1]]
    lines.append(f"    --hash=sha256:{digests[-1]}")
    return "\n".join(lines) + "\n"


def test_raise_to_the_lowest_release_fixing_every_advisory(
        index: Index, config: str, make_repo: Callable[..., Any],
        run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": config,
                      "requirements.txt": "vulnpkg[x]==1.0  # keep me\nclean==1.0\n"})
    result = fix(run_cli, repo.root, index, "--only", "pip-audit")
    assert result.code == 0, result.out
    assert read(repo.root) == "vulnpkg[x]==1.2  # keep me\nclean==1.0\n"
    assert "vulnpkg 1.0 -> 1.2 (fixes CVE-2099-2, SGFIX-1)" in result.out
    scan = run_cli(repo.root, "scan", "--scanners", "pip-audit")
    assert scan.code == 0
    assert [f for f in scan.json_report["findings"] if f["scanner"] == "pip-audit"] == []


def test_pins_and_pip_audit_converge_on_one_line(index: Index, config: str,
                                                 make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": config,
                      "requirements.txt": "vulnpkg==1.0\nclean==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0, result.out
    assert read(repo.root) == hashed(index, "vulnpkg", "1.2") + hashed(index, "clean", "1.0")
    # Both fixers edit line 1 in the first round; the hashes wait for the second, unsaid.
    assert "3 edit(s), changed 1 file(s) in 3 round(s)" in result.out
    assert "run fix again" not in result.out
    again = fix(run_cli, repo.root, index)
    assert again.code == 0 and "0 edit(s)" in again.out
    scan = run_cli(repo.root, "scan", "--scanners", "pins,pip-audit")
    assert scan.json_report is not None, scan.out + scan.err
    assert scan.json_report["findings"] == []


def test_a_hashed_line_gets_the_new_release_hashes(index: Index, config: str,
                                                   make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any]) -> None:
    text = (hashed(index, "vulnpkg", "1.0").replace("\n", "\r\n")
            + hashed(index, "clean", "1.0").replace("\n", "\r\n"))
    repo = make_repo({".secure-gate.yml": config, "requirements.txt": text})
    result = fix(run_cli, repo.root, index, "--only", "pip-audit")
    assert result.code == 0, result.out
    with (repo.root / "requirements.txt").open(newline="") as handle:
        assert handle.read() == (hashed(index, "vulnpkg", "1.2").replace("\n", "\r\n")
                                 + hashed(index, "clean", "1.0").replace("\n", "\r\n"))
    assert "vulnpkg 1.0 -> 1.2 (fixes CVE-2099-2, SGFIX-1), 2 hash(es)" in result.out


def test_candidates_are_checked_and_yanked_ones_skipped(
        index: Index, config: str, make_repo: Callable[..., Any],
        run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": config,
                      "requirements.txt": "relisted==1.0\nyankfix==1.0\n"})
    result = fix(run_cli, repo.root, index, "--only", "pip-audit")
    assert result.code == 0, result.out
    # relisted 1.1 is still listed as affected: 1.2; yankfix 2.0 is yanked: 2.1.
    assert read(repo.root) == "relisted==1.2\nyankfix==2.1\n"


def test_no_fix_and_lock_files_are_explained(index: Index, config: str,
                                             make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    uv_lock = ('version = 1\nrequires-python = ">=3.11"\n\n[[package]]\nname = "vulnpkg"\n'
               'version = "1.0"\nsource = { registry = "https://pypi.org/simple" }\n')
    pyproject = ('[project]\nname = "svc"\nversion = "1"\ndependencies = [\n'
                 '    "vulnpkg==1.0",  # pinned\n    "clean==1.0",\n]\n')
    repo = make_repo({".secure-gate.yml": config, "requirements.txt": "nofix==1.0\n",
                      "svc/uv.lock": uv_lock, "svc/pyproject.toml": pyproject})
    result = fix(run_cli, repo.root, index, "--only", "pip-audit")
    assert result.code == 1, result.out
    assert ("requirements.txt:1: pip-audit/SGFIX-3: no fixed version is known for SGFIX-3"
            in result.out)
    assert ("svc/uv.lock:6: pip-audit/CVE-2099-2: uv.lock is written by uv, never by hand: "
            "`uv lock --upgrade-package vulnpkg==1.2`") in result.out
    assert read(repo.root, "svc/uv.lock") == uv_lock
    assert read(repo.root, "svc/pyproject.toml") == pyproject.replace("vulnpkg==1.0",
                                                                       "vulnpkg==1.2")
    assert "note: svc/pyproject.toml: vulnpkg raised to 1.2: run `uv lock`" in result.out
    assert read(repo.root) == "nofix==1.0\n"


def test_a_relative_advisory_db_is_the_repositorys(index: Index, make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any]) -> None:
    files = {f"osv/{item['id']}.json": json.dumps(item) for item in RECORDS}
    repo = make_repo({**files, "requirements.txt": "vulnpkg==1.0\nranged>=1\n",
                      ".secure-gate.yml": "scanners:\n  pip-audit:\n    advisory-db: osv\n"
                                          "exclude: ['osv/']\n"})
    index.wheel("ranged", "1.0")
    result = fix(run_cli, repo.root, index, "--only", "pip-audit,pins", "--pin")
    assert result.code == 0, result.out
    assert read(repo.root).startswith(hashed(index, "vulnpkg", "1.2"))
    assert "ranged==1.0 \\\n" in read(repo.root)
    assert index.asked("/pypi/") == []  # --pin chose by the same offline database
