"""The precision benchmark's data: pinned repositories and hand-checked verdicts are well formed."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import PROJECT

BENCH = PROJECT / "bench"


def test_every_repository_is_pinned() -> None:
    with (BENCH / "precision.toml").open("rb") as fh:
        repos = tomllib.load(fh)["repo"]
    assert len(repos) >= 6
    names = [r["name"] for r in repos]
    assert len(set(names)) == len(names)
    for repo in repos:
        if "commit" in repo:
            assert re.fullmatch(r"[0-9a-f]{40}", repo["commit"])
            assert re.fullmatch(r"[0-9a-f]{40}", repo["tree"])
        else:
            assert repo["url"].startswith("https://files.pythonhosted.org/")
            assert re.fullmatch(r"[0-9a-f]{64}", repo["sha256"])
        for vuln in repo.get("vulnerability", []):
            first, last = vuln["lines"]
            assert 1 <= first <= last and vuln["path"] and vuln["id"]


def test_verdicts_are_keyed_by_fingerprint_with_a_known_verdict_and_a_reason() -> None:
    with (BENCH / "precision.toml").open("rb") as fh:
        names = {r["name"] for r in tomllib.load(fh)["repo"]}
    files = sorted((BENCH / "verdicts").glob("*.toml"))
    assert files
    for path in files:
        assert path.stem in names, path
        with path.open("rb") as fh:
            verdicts = tomllib.load(fh)["verdict"]
        for fingerprint, entry in verdicts.items():
            assert re.fullmatch(r"[0-9a-f]{32}", fingerprint), (path, fingerprint)
            assert entry["verdict"] in ("true", "false", "irrelevant"), (path, fingerprint)
            assert entry["why"] and entry["rule"] and entry["path"] and entry["scanner"]
