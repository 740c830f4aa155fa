"""What fix writes, installed by the real pip in hash-checking mode; and the real PyPI once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate.net.http import Http, NotFound, ServiceError
from secure_gate.net.services import Services
from tests.fix.fake_index import File, serve
from tests.fix.wheels import wheel


def pip_install(index: str, requirements: Path, target: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_NO_CACHE_DIR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--require-hashes", "--no-deps",
         "--index-url", index, "-r", str(requirements), "--target", str(target)],
        capture_output=True, text=True, env=env, timeout=300, check=False)


def test_pip_accepts_what_fix_writes(make_repo: Callable[..., Any],
                                     run_cli: Callable[..., Any], tmp_path: Path) -> None:
    with serve() as index:
        for name, version in (("tiny-one", "1.0"), ("tiny_two", "2.0"), ("tiny-one", "0.9")):
            filename, content = wheel(name, version)
            index.add(name, version, File(filename, content))
        text = "# installed in CI\ntiny-one==1.0\nTiny.Two==2.0 ; python_version >= '3'\n"
        repo = make_repo({"requirements.txt": text})
        result = run_cli(repo.root, "fix", "--only", "pins", "--index-url", index.simple)
        assert result.code == 0, result.out
        fixed = (repo.root / "requirements.txt").read_text(encoding="utf-8")
        assert fixed.count("--hash=sha256:") == 2
        done = pip_install(index.simple, repo.root / "requirements.txt", tmp_path / "site")
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / "site" / "tiny_one" / "__init__.py").read_text() == \
            'VERSION = "1.0"\n'
        assert (tmp_path / "site" / "tiny_two" / "__init__.py").is_file()
        # The control: one wrong digit, and pip refuses the file.
        broken = tmp_path / "broken.txt"
        digest = fixed.split("--hash=sha256:", 1)[1][:64]
        broken.write_text(fixed.replace(digest, digest[:-1] + ("0" if digest[-1] != "0"
                                                                 else "1")), encoding="utf-8")
        refused = pip_install(index.simple, broken, tmp_path / "other")
        assert refused.returncode != 0
        assert "THESE PACKAGES DO NOT MATCH THE HASHES" in refused.stderr


def test_real_pypi(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    services = Services(http=Http(timeout=10, retries=1))
    try:
        document = services.http.json("PyPI", "https://pypi.org/pypi/requests/json")
    except NotFound:
        raise
    except ServiceError as exc:
        pytest.skip(f"PyPI is not reachable from here: {exc}")
    expected = sorted({u["digests"]["sha256"] for u in document["releases"]["2.32.3"]})
    assert len(expected) == 2  # a wheel and an sdist, as published in 2024
    repo = make_repo({"requirements.txt": "requests==2.32.3\n"})
    result = run_cli(repo.root, "fix", "--only", "pins")
    assert result.code == 0, result.out
    assert (repo.root / "requirements.txt").read_text(encoding="utf-8") == (
        "requests==2.32.3 \\\n" + "".join(f"    --hash=sha256:{d} \\\n" for d in expected
                                            )[:-3] + "\n")


def test_a_vulnerable_pin_raised_and_pinned_installs(make_repo: Callable[..., Any],
                                                     run_cli: Callable[..., Any],
                                                     tmp_path: Path) -> None:
    db = tmp_path / "osv"
    db.mkdir()
    for advisory_id, name, affected in (("SGE2E-1", "tiny-one", {"ranges": [
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}),
            ("SGE2E-2", "tiny-two", {"versions": ["2.1"]})):
        (db / f"{advisory_id}.json").write_text(json.dumps({
            "id": advisory_id, "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": name}, **affected}]}),
            encoding="utf-8")
    with serve() as index:
        for name, version in (("tiny-one", "1.0"), ("tiny-one", "1.1"), ("tiny-two", "2.0"),
                              ("tiny-two", "2.1"), ("tiny-two", "2.2")):
            filename, content = wheel(name, version)
            index.add(name, version, File(filename, content))
        repo = make_repo({
            ".secure-gate.yml": f"scanners:\n  pip-audit:\n    advisory-db: {db}\n",
            "requirements.txt": "tiny-one==1.0\r\ntiny-two>=2.0,<2.2  # no 2.2 yet\r\n"})
        result = run_cli(repo.root, "fix", "--pin", "--index-url", index.simple)
        assert result.code == 0, result.out
        text = (repo.root / "requirements.txt").read_bytes().decode()
        assert text.startswith("tiny-one==1.1 \\\r\n    --hash=sha256:")
        assert "tiny-two==2.0 \\\r\n    --hash=sha256:" in text  # 2.1 is affected
        assert text.endswith("  # no 2.2 yet\r\n")
        done = pip_install(index.simple, repo.root / "requirements.txt", tmp_path / "site")
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / "site" / "tiny_one" / "__init__.py").read_text() == \
            'VERSION = "1.1"\n'
        scan = run_cli(repo.root, "scan", "--scanners", "pins,pip-audit", "--fail-on", "info")
        assert scan.json_report["findings"] == [], scan.out
        again = run_cli(repo.root, "fix", "--pin", "--index-url", index.simple)
        assert again.code == 0 and "0 edit(s)" in again.out
        assert (repo.root / "requirements.txt").read_bytes().decode() == text


def test_real_pypi_pin(make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    services = Services(http=Http(timeout=10, retries=1))
    try:
        document = services.http.json("PyPI", "https://pypi.org/pypi/idna/json")
    except NotFound:
        raise
    except ServiceError as exc:
        pytest.skip(f"PyPI is not reachable from here: {exc}")
    latest = document["info"]["version"]
    if document["vulnerabilities"] or document["info"]["yanked"]:
        pytest.skip(f"idna {latest} has advisories or is yanked today: not a clean pin to test")
    expected = sorted({u["digests"]["sha256"] for u in document["releases"][latest]})
    repo = make_repo({"requirements.txt": "idna>=3  # domain names\n"})
    result = run_cli(repo.root, "fix", "--only", "pins", "--pin")
    assert result.code == 0, result.out
    text = (repo.root / "requirements.txt").read_text(encoding="utf-8")
    assert text.startswith(f"idna=={latest} \\\n")
    assert sorted(re.findall(r"--hash=sha256:([0-9a-f]{64})", text)) == expected
    assert text.endswith("  # domain names\n")


def test_backslash_tricks_never_make_pip_read_other_requirements(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any], tmp_path: Path) -> None:
    # `# c \` is a comment line to pip; moved behind a hash line it joined the next entry to
    # the comment, and pip silently installed without tiny_two. A continuation at the end of
    # the file became the requirement `tiny-three==3.0 \`. The real pip is the judge.
    with serve() as index:
        for name, version in (("tiny-one", "1.0"), ("tiny_two", "2.0"), ("tiny-three", "3.0")):
            filename, content = wheel(name, version)
            index.add(name, version, File(filename, content))
        text = "tiny-one==1.0 \\\n# why \\\ntiny_two==2.0\ntiny-three==3.0 \\"
        repo = make_repo({"requirements.txt": text})
        result = run_cli(repo.root, "fix", "--only", "pins", "--index-url", index.simple)
        assert result.code == 1, result.out
        assert "requirements.txt:1: pins/unhashed-requirement: the line cannot be rewritten " \
               "safely: its comment ends with a backslash" in result.out
        fixed = (repo.root / "requirements.txt").read_text(encoding="utf-8")
        assert fixed.startswith("tiny-one==1.0 \\\n# why \\\ntiny_two==2.0 \\\n")
        assert fixed.endswith("tiny-three==3.0 \\\n    --hash=sha256:"
                              + fixed.rsplit(":", 1)[1]) and not fixed.endswith("\\")
        # With the unfixable entry moved out, pip installs exactly the two hashed ones.
        lines = fixed.split("\n")
        rest = tmp_path / "rest.txt"
        rest.write_text("\n".join(lines[2:]), encoding="utf-8")
        done = pip_install(index.simple, rest, tmp_path / "site")
        assert done.returncode == 0, done.stdout + done.stderr
        assert {p.name for p in (tmp_path / "site").iterdir() if not p.name.endswith(
            ".dist-info")} == {"tiny_two", "tiny_three"}
