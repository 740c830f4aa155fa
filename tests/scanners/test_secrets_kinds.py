"""Vendor tokens block everywhere, heuristics only where asked; modern formats; fidelity."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_gate.scanners.detect_secrets import kinds as secrets_kinds
from secure_gate.scanners.detect_secrets import worker as secrets_task
from tests import secrets_corpus as fake

SCAN = ("scan", "--scanners", "detect-secrets")


def _files(values: dict[str, str], under: str) -> dict[str, str]:
    out = {}
    for kind, value in values.items():
        for name, text in fake.placements("cred", value).items():
            out[f"{under}/{kind.replace(' ', '_')}/{name}"] = text
    return out


def _by_folder(findings: list[dict[str, Any]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f["path"], set()).add(f["rule"])
    return out


def test_every_modern_format_blocks_in_every_placement_also_in_tests(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    files = {**_files(fake.MODERN, "src"), **_files(fake.MODERN, "tests"),
             "tests/data/sa.json": fake.gcp_service_account()}
    repo = make_repo(files)
    result = run_cli(repo.root, *SCAN)
    assert result.code == 1
    findings = result.json_report["findings"]
    blocking = {(f["path"], f["rule"]) for f in findings if f["blocking"]}
    for path in files:
        if path.endswith("sa.json"):
            continue
        kind = path.split("/")[1].replace("_", " ")
        assert (path, kind) in blocking, path
    # A service account's key is that vendor's token and blocks in test data too; the PEM
    # block inside it is a private key, which in tests and fixtures is reported only.
    assert {r for p, r in blocking if p.endswith("sa.json")} == {"GCP Service Account Key"}
    pem = [f for f in findings if f["path"].endswith("sa.json") and f["rule"] == "Private Key"]
    assert [(f["blocking"], f["not_blocking_reason"]) for f in pem] == [(False, "in fixtures")]
    vendor = [f for f in findings if f["rule"] in fake.MODERN and f["blocking"]]
    assert {f["confidence"] for f in vendor} == {"high"}
    for channel in (result.out, result.err, json.dumps(result.json_report)):
        assert fake.leaked(channel) == []


def test_near_misses_never_block(make_repo: Callable[..., Any],
                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({**_files(fake.NEAR_MISS, "src"),
                      "src/sa.json": fake.gcp_service_account("0" * 39).replace(
                          "-----BEGIN " + "PRIVATE KEY", "-----BEGIN PUBLIC KEY")})
    result = run_cli(repo.root, *SCAN)
    findings = result.json_report["findings"]
    assert [f for f in findings if f["blocking"]] == []
    assert {f["rule"] for f in findings} <= secrets_kinds.GENERIC_TYPES
    assert result.code == 0


def test_generic_heuristics_are_low_confidence_unless_opted_in(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    line = f'db_password = "{fake.PASSWORD}"\n'
    config = "scanners:\n  detect-secrets:\n    heuristics-block-in: ['src/**']\n"
    repo = make_repo({"src/app.py": line, "tests/test_app.py": line})
    plain = run_cli(repo.root, *SCAN)
    assert plain.code == 0
    assert {(f["path"], f["confidence"], f["blocking"]) for f in plain.json_report["findings"]
            } == {("src/app.py", "low", False), ("tests/test_app.py", "low", False)}
    repo.write({".secure-gate.yml": config})
    opted = run_cli(repo.root, *SCAN)
    assert opted.code == 1
    assert {(f["path"], f["confidence"], f["blocking"]) for f in opted.json_report["findings"]
            } == {("src/app.py", "medium", True), ("tests/test_app.py", "low", False)}


def test_benign_shapes_are_counted_in_the_notes(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    sha = "4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a"  # pragma: allowlist secret (a commit)
    repo = make_repo({
        ".pre-commit-config.yaml": f"repos:\n  - repo: https://x/y\n    rev: {sha}\n",
        ".github/workflows/ci.yml": "jobs:\n  a:\n    uses: o/r/.github/workflows/w.yml@main\n"
                                    "    secrets: inherit\n",
        "tests/test_login.py": 'password = "password"\n',
    })
    result = run_cli(repo.root, *SCAN)
    assert result.json_report["findings"] == []
    entry = next(s for s in result.json_report["scanners"] if s["name"] == "detect-secrets")
    note = next(n for n in entry["notes"] if "known-benign" in n)
    assert "commit-sha 1" in note and "secrets-inherit 1" in note and "placeholder 1" in note
    repo.write({".secure-gate.yml": "scanners:\n  detect-secrets:\n    known-benign: false\n"})
    unfiltered = run_cli(repo.root, *SCAN)
    assert len(unfiltered.json_report["findings"]) == 3


def test_a_vendor_token_is_never_dropped_by_a_benign_rule(make_repo: Callable[..., Any],
                                                          run_cli: Callable[..., Any]) -> None:
    token = fake.GITHUB_TOKEN
    repo = make_repo({"pylock.toml": f'hash = "{token}"\n',
                      "docs/example.md": f"token: example-{token}\n",
                      "ci.yml": f"rev: {token}\n"})
    result = run_cli(repo.root, *SCAN)
    assert {(f["path"], f["rule"], f["blocking"]) for f in result.json_report["findings"]
            if f["rule"] == "GitHub Token"} == {("pylock.toml", "GitHub Token", True),
                                               ("docs/example.md", "GitHub Token", True),
                                               ("ci.yml", "GitHub Token", True)}


def test_own_detectors_can_be_disabled_by_class_name(make_repo: Callable[..., Any],
                                                     run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "scanners:\n  detect-secrets:\n    disable-plugins: "
                                          "[HuggingFaceTokenDetector]\n",
                      "a.env": f"HF={fake.MODERN['Hugging Face Token']}\n",
                      "b.env": f"DB={fake.MODERN['Databricks Token']}\n"})
    result = run_cli(repo.root, *SCAN)
    rules = {f["rule"] for f in result.json_report["findings"]}
    assert "Hugging Face Token" not in rules and "Databricks Token" in rules


def test_without_our_additions_the_worker_is_detect_secrets(tmp_path: Path) -> None:
    """Fidelity: own detectors and benign filters off, the answer is `detect-secrets scan`'s."""
    files = {**_files(fake.MODERN, "m"), **_files(fake.NEAR_MISS, "n"),
             "ci/.pre-commit-config.yaml": "rev: 4f1c2a9d8e7b6c5a4f3e2d1c0b9a8f7e6d5c4b3a\n",
             "t/test_x.py": 'password = "password"\n'}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    secrets_task._CONFIGURED.clear()
    raw = secrets_task.run({"root": str(tmp_path), "files": [str(tmp_path / n) for n in files],
                            "own_detectors": False, "benign_filters": False})
    direct = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "-n", "--all-files",
                             "."], cwd=tmp_path, capture_output=True, text=True, check=True)

    def key(results: dict[str, Any]) -> set[tuple[str, int, str, str]]:
        return {(n, s["line_number"], s["type"], s["hashed_secret"])
                for n, found in results.items() for s in found}

    assert key(raw["results"]) == key(json.loads(direct.stdout)["results"])
    secrets_task._CONFIGURED.clear()
    ours = secrets_task.run({"root": str(tmp_path), "files": [str(tmp_path / n) for n in files]})
    dropped = sum(sum(c.values()) for c in ours["secure_gate"]["benign"].values())
    added = {k for k in key(ours["results"]) if k[2] in secrets_kinds.OWN_TYPES}
    # What changed is exactly: our detectors' matches added, benign shapes dropped and counted.
    assert key(ours["results"]) - added <= key(raw["results"])
    assert len(key(raw["results"]) - (key(ours["results"]) - added)) == dropped > 0
    secrets_task._CONFIGURED.clear()


def test_our_detectors_honour_the_allowlist_pragma_like_detect_secrets(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    token = fake.MODERN["Hugging Face Token"]
    repo = make_repo({"app.py": f'HF = "{token}"  # pragma: allowlist secret\n',
                      "b.py": f'HF = "{token}"\n'})
    result = run_cli(repo.root, *SCAN)
    found = {f["path"]: f for f in result.json_report["findings"]
             if f["rule"] == "Hugging Face Token"}
    assert found["app.py"]["suppression"]["kind"] == "inline"
    assert not found["app.py"]["blocking"] and found["b.py"]["blocking"]


def test_a_literal_signing_key_blocks_in_product_code_only(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    key = fake.PASSWORD
    files = {
        "app/settings.py": f'SECRET_KEY = "{key}"\n',
        "app/factory.py": f"app.secret_key = '{key}x'\napp.config['JWT_SECRET_KEY'] = '{key}y'\n",
        "app/weak.py": 'SECRET_KEY_HMAC = "secret"\n',
        "tests/settings.py": f'SECRET_KEY = "{key}z"\n',
        # Not a literal key: placeholders, templates, environment reads, short values.
        "app/prod.py": 'SECRET_KEY = os.environ["SECRET_KEY"]\nSECRET_KEY = "{{ secret_key }}"\n'
                       'SECRET_KEY = "changeme"\nSECRET_KEY = "abc"\n'
                       f'# e.g. SECRET_KEY = "{key}"\nprint("SECRET_KEY = \'{key}\'")\n',
    }
    result = run_cli(make_repo(files).root, *SCAN)
    findings = [f for f in result.json_report["findings"] if f["rule"] == "Hard-coded Signing Key"]
    assert sorted((f["path"], f["line"], f["blocking"]) for f in findings) == [
        ("app/factory.py", 1, True), ("app/factory.py", 2, True),
        ("app/settings.py", 1, True), ("app/weak.py", 1, True), ("tests/settings.py", 1, False)]
    assert {f["confidence"] for f in findings} == {"high"}
    # detect-secrets' keyword match of the same value is not reported a second time.
    assert not [f for f in result.json_report["findings"]
                if f["rule"] == "Secret Keyword" and f["path"] == "app/settings.py"]


def _pem() -> str:
    """A private key file in PEM form (built at run time: no key-shaped literal in the repo)."""
    return ("-----BEGIN " + "RSA PRIVATE KEY-----\n" + fake.GCP_PRIVATE_KEY + "\n"
            "-----END " + "RSA PRIVATE KEY-----\n")


def test_private_keys_block_outside_tests_and_fixtures_only(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"tests/certs/server.key": _pem(), "tests/data/client.pem": _pem(),
                      "tests/test_tls.py": f'KEY = """{_pem()}"""\n',
                      "tests/test_aws.py": f'AWS = "{fake.AWS_KEY_ID}"\n',
                      "deploy/id_rsa": _pem(), "src/app/keys.py": f'KEY = """{_pem()}"""\n',
                      "docs/tls.md": f"```\n{_pem()}```\n"})
    result = run_cli(repo.root, *SCAN)
    got = {f["path"]: (f["rule"], f["severity"], f["confidence"], f["blocking"],
                       f.get("not_blocking_reason"))
           for f in result.json_report["findings"]}
    assert got == {
        # the test suite's own TLS keys: reported at high, not blocking
        "tests/certs/server.key": ("Private Key", "high", "high", False, "in tests"),
        "tests/data/client.pem": ("Private Key", "high", "high", False, "in fixtures"),
        "tests/test_tls.py": ("Private Key", "high", "high", False, "in tests"),
        # a vendor token in a test still blocks
        "tests/test_aws.py": ("AWS Access Key", "high", "high", True, None),
        # product code, deployment files and docs: a private key blocks
        "deploy/id_rsa": ("Private Key", "high", "high", True, None),
        "src/app/keys.py": ("Private Key", "high", "high", True, None),
        "docs/tls.md": ("Private Key", "high", "high", True, None),
    }
    assert {t for f in result.json_report["findings"] if f["rule"] == "Private Key"
            for t in f["tags"]} >= {"private-key"}
    assert result.code == 1
    (held,) = [n for n in result.json_report["notices"] if "because of where" in n]
    assert "3 finding(s)" in held and "2 in tests" in held and "1 in fixtures" in held
    assert "private keys too, except in tests and fixtures" in held
    assert fake.leaked(result.out + result.err + json.dumps(result.json_report)) == []


def test_private_keys_block_in_tests_where_asked(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    config = "scanners:\n  detect-secrets:\n    private-keys-block-in: ['tests/certs/**']\n"
    repo = make_repo({".secure-gate.yml": config, "tests/certs/server.key": _pem(),
                      "tests/data/client.pem": _pem()})
    result = run_cli(repo.root, *SCAN)
    got = {f["path"]: (f["blocking"], f["tags"]) for f in result.json_report["findings"]}
    assert got["tests/certs/server.key"][0] is True
    assert "vendor-token" in got["tests/certs/server.key"][1]
    assert got["tests/data/client.pem"][0] is False
    assert result.code == 1


def test_private_keys_in_tests_block_with_the_class_policy(
        make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "classes:\n  tests:\n    block: true\n",
                      "tests/certs/server.key": _pem()})
    result = run_cli(repo.root, *SCAN)
    assert [f["blocking"] for f in result.json_report["findings"]] == [True]
    assert result.code == 1
