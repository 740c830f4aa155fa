"""Matrix shards: each file scanned by exactly one shard, the merge gives the unsharded verdict."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate.files import RepoFile
from secure_gate.shards import Shard, assign
from tests.conftest import PROJECT, Repo

SAMPLE = PROJECT / "examples" / "vulnerable-app"


def sample_repo(make_repo: Callable[..., Repo]) -> Repo:
    files: dict[str, str | bytes] = {}
    for path in SAMPLE.rglob("*"):
        if path.is_file():
            files[path.relative_to(SAMPLE).as_posix()] = path.read_bytes()
    # More files, so that the shards have something to split.
    for i in range(12):
        files[f"pkg/mod{i}.py"] = (f"import subprocess\n\n\ndef run{i}(cmd):\n"
                                   f"    return subprocess.call(cmd, shell=True)\n" * (i + 1))
    return make_repo(files)


def _fingerprints(document: dict[str, Any]) -> Counter[tuple[str, str, str, bool]]:
    return Counter((f["scanner"], f["rule"], f["fingerprint"], f["blocking"])
                   for f in document["findings"])


def _scan(run_cli: Callable[..., Any], repo: Repo, out: Path, *extra: str) -> Any:
    return run_cli(repo.root, "scan", "--advisory-db", "advisories", "--no-cache",
                   "--json", str(out), *extra, report=False)


@pytest.mark.parametrize("count", [2, 3, 7])
def test_the_merge_of_n_shards_is_the_unsharded_scan(
        count: int, make_repo: Callable[..., Repo], run_cli: Callable[..., Any],
        tmp_path: Path) -> None:
    repo = sample_repo(make_repo)
    whole = _scan(run_cli, repo, tmp_path / "whole.json")
    expected = json.loads((tmp_path / "whole.json").read_text())
    assert whole.code == 1 and expected["findings"]
    parts = []
    for index in range(1, count + 1):
        part = tmp_path / f"shard{index}.json"
        _scan(run_cli, repo, part, "--shard", f"{index}/{count}")
        parts.append(str(part))
    merged_json = tmp_path / "merged.json"
    merged = run_cli(repo.root, "merge", *parts, "--json", str(merged_json), report=False)
    document = json.loads(merged_json.read_text())
    assert merged.code == whole.code
    assert document["passed"] == expected["passed"]
    assert _fingerprints(document) == _fingerprints(expected)
    assert ({s["name"]: s["findings"] for s in document["scanners"]}
            == {s["name"]: s["findings"] for s in expected["scanners"]})
    # Every file was scanned by exactly one shard: the per-file scanners' counts add up.
    per_shard = [json.loads(Path(p).read_text()) for p in parts]
    for name in ("bandit", "detect-secrets"):
        total = sum(s["files_scanned"] for d in per_shard for s in d["scanners"]
                    if s["name"] == name)
        (whole_scanner,) = [s for s in expected["scanners"] if s["name"] == name]
        assert total == whole_scanner["files_scanned"]


def _shards(make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path,
            count: int = 3) -> tuple[Repo, list[str]]:
    repo = sample_repo(make_repo)
    parts = []
    for index in range(1, count + 1):
        part = tmp_path / f"s{index}.json"
        _scan(run_cli, repo, part, "--shard", f"{index}/{count}")
        parts.append(str(part))
    return repo, parts


def test_a_missing_or_duplicated_shard_fails_closed(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo, parts = _shards(make_repo, run_cli, tmp_path)
    missing = run_cli(repo.root, "merge", parts[0], parts[2], report=False)
    assert missing.code == 3 and "shard(s) 2 of 3 missing" in missing.err
    twice = run_cli(repo.root, "merge", parts[0], parts[1], parts[1], report=False)
    assert twice.code == 3 and "given twice" in twice.err


def test_shards_of_another_commit_listing_or_policy_fail_closed(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo, parts = _shards(make_repo, run_cli, tmp_path)
    for key, value, what in (("commit", "f" * 40, "commit"),
                             ("listing_sha256", "0" * 64, "file listing"),
                             ("policy_sha256", "0" * 64, "policy")):
        document = json.loads(Path(parts[1]).read_text())
        document["shard"][key] = value
        forged = tmp_path / f"forged-{key}.json"
        forged.write_text(json.dumps(document))
        result = run_cli(repo.root, "merge", parts[0], str(forged), parts[2], report=False)
        assert result.code == 3 and f"different {what}" in result.err, (key, result.err)


def test_the_merge_judges_by_the_policy_it_finds_and_refuses_another(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo, parts = _shards(make_repo, run_cli, tmp_path)
    (repo.root / ".secure-gate.yml").write_text("fail-on: critical\n")
    result = run_cli(repo.root, "merge", *parts, report=False)
    assert result.code == 3 and "policy here differs" in result.err


def test_a_report_that_is_not_a_shard_is_refused(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = sample_repo(make_repo)
    _scan(run_cli, repo, tmp_path / "whole.json")
    result = run_cli(repo.root, "merge", str(tmp_path / "whole.json"), report=False)
    assert result.code == 3 and "not a shard report" in result.err
    (tmp_path / "junk.json").write_text("[1, 2")
    result = run_cli(repo.root, "merge", str(tmp_path / "junk.json"), report=False)
    assert result.code == 3


def test_shard_needs_a_json_report_and_a_valid_k_of_n(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any]) -> None:
    repo = sample_repo(make_repo)
    assert run_cli(repo.root, "scan", "--shard", "1/2", report=False).code == 2
    for bad in ("0/2", "3/2", "x", "1/0", "1/"):
        assert run_cli(repo.root, "scan", "--shard", bad, "--json", "r.json",
                       report=False).code == 2, bad


def test_the_split_is_deterministic_and_balanced_by_size(tmp_path: Path) -> None:
    files = [RepoFile(f"f{i}.py", tmp_path / f"f{i}.py", size, True)
             for i, size in enumerate([900, 500, 400, 300, 300, 200, 100, 100, 50, 50])]
    first = assign(files, 3)
    assert first == assign(list(reversed(files)), 3)
    load = Counter()
    for f in files:
        load[first[f.path]] += f.size
    assert set(first.values()) == {1, 2, 3}
    assert max(load.values()) <= 1.1 * (sum(f.size for f in files) / 3)
    assert Shard.parse("2/4") == Shard(2, 4)


def test_hostile_names_are_split_too(make_repo: Callable[..., Repo],
                                     run_cli: Callable[..., Any], tmp_path: Path) -> None:
    names = ["evil\udcff.py", "new\nline.py", "-dash.py", "\u202ebidi.py"]
    repo = make_repo({n: "import subprocess\nsubprocess.call(x, shell=True)\n" for n in names})
    parts = []
    for index in (1, 2):
        part = tmp_path / f"h{index}.json"
        run_cli(repo.root, "scan", "--scanners", "bandit", "--no-cache", "--json", str(part),
                "--shard", f"{index}/2", report=False)
        parts.append(str(part))
    merged = tmp_path / "m.json"
    result = run_cli(repo.root, "merge", *parts, "--json", str(merged), report=False)
    assert result.code == 1
    whole = tmp_path / "w.json"
    run_cli(repo.root, "scan", "--scanners", "bandit", "--no-cache", "--json", str(whole),
            report=False)
    expected = json.loads(whole.read_text())
    assert _fingerprints(json.loads(merged.read_text())) == _fingerprints(expected)
    assert {f["path"] for f in expected["findings"]} == {
        n.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        for n in names}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed")
def test_merge_in_diff_mode_keeps_new_and_old_apart(
        make_repo: Callable[..., Repo], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    repo = sample_repo(make_repo)
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo.root, capture_output=True,
                          text=True, check=True).stdout.strip()
    (repo.root / "pkg" / "added.py").write_text("import os\nos.system(x)\n")
    subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                   cwd=repo.root, check=True)
    whole = _scan(run_cli, repo, tmp_path / "whole.json", "--diff-base", base)
    parts = []
    for index in (1, 2):
        part = tmp_path / f"d{index}.json"
        _scan(run_cli, repo, part, "--diff-base", base, "--shard", f"{index}/2")
        parts.append(str(part))
    merged = tmp_path / "m.json"
    result = run_cli(repo.root, "merge", *parts, "--json", str(merged), report=False)
    expected = json.loads((tmp_path / "whole.json").read_text())
    document = json.loads(merged.read_text())
    assert result.code == whole.code
    assert (Counter((f["fingerprint"], f["new"]) for f in document["findings"])
            == Counter((f["fingerprint"], f["new"]) for f in expected["findings"]))


def test_the_action_legs_and_the_merge_job_give_one_verdict(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    from tests.github.runner import Runner
    from tests.github.test_main import step

    repo = sample_repo(make_repo)
    inputs = {"scanners": "bandit,detect-secrets,pins", "comment": "never"}
    whole = step(Runner(tmp_path / "whole", repo.root), {**inputs, "json-file": "whole.json"})
    (repo.root / "shard-reports").mkdir()
    for index in (1, 2):
        leg = step(Runner(tmp_path / f"leg{index}", repo.root),
                   {**inputs, "shard": f"{index}/2", "json-file": f"shard-reports/{index}.json"})
        assert leg.code in (0, 1)
    merged = step(Runner(tmp_path / "merged", repo.root),
                  {**inputs, "merge": "shard-reports", "json-file": "merged.json"})
    assert merged.code == whole.code == 1
    expected = json.loads((repo.root / "whole.json").read_text())
    document = json.loads((repo.root / "merged.json").read_text())
    assert _fingerprints(document) == _fingerprints(expected)
    assert merged.errors() == whole.errors()
    assert merged.outputs["blocking"] == whole.outputs["blocking"]


def test_the_action_refuses_a_shard_without_its_report_and_an_empty_merge(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    from tests.github.runner import Runner
    from tests.github.test_main import step

    repo = sample_repo(make_repo)
    no_json = step(Runner(tmp_path / "a", repo.root), {"shard": "1/2"})
    assert no_json.code == 2
    assert any("needs 'json-file'" in a.data for a in no_json.log.annotations())
    bad = step(Runner(tmp_path / "b", repo.root), {"shard": "3/2", "json-file": "x.json"})
    assert bad.code == 2
    (repo.root / "empty").mkdir()
    empty = step(Runner(tmp_path / "c", repo.root), {"merge": "empty"})
    assert empty.code == 2
