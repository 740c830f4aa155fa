"""Unparsable manifests in test data are notices; in product code they still fail closed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import CliResult

INVALID = "this is [not toml\n"
ADVISORY = {"id": "SGTEST-2026-0009", "modified": "2026-01-01T00:00:00Z", "summary": "test",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "insecure-test-package"},
                          "ranges": [{"type": "ECOSYSTEM",
                                      "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]}
OFFLINE = "scanners:\n  pip-audit:\n    advisory-db: .osv\nexclude: ['.osv/']\n"


def scan(make_repo: Callable[..., Any], run_cli: Callable[..., CliResult],
         files: dict[str, str], config: str = "") -> CliResult:
    repo = make_repo({".secure-gate.yml": OFFLINE + config, ".osv/SG-1.json": json.dumps(ADVISORY),
                      "requirements.txt": "idna==3.7 \\\n    --hash=sha256:" + "0" * 64 + "\n",
                      **files})
    return run_cli(repo.root, "scan", "--scanners", "pip-audit,pins")


@pytest.mark.parametrize("path", ["test/assets/pylock.invalid.toml",
                                  "tests/data/requirements.txt", "tests/pylock.bad.toml"])
def test_an_unparsable_fixture_manifest_is_a_notice(
        make_repo: Callable[..., Any], run_cli: Callable[..., CliResult], path: str) -> None:
    body = INVALID if path.endswith(".toml") else "--no-such-option\n"
    result = scan(make_repo, run_cli, {path: body})
    assert result.json_report is not None
    statuses = {s["name"]: s for s in result.json_report["scanners"]}
    assert result.code == 0, result.out
    assert statuses["pip-audit"]["status"] == "ok"
    notes = statuses["pip-audit"]["notes"] + statuses["pins"]["notes"]
    assert any(path in n and "test data" in n for n in notes), notes


@pytest.mark.parametrize("path", ["pylock.toml", "svc/requirements.txt", "docs/pylock.toml"])
def test_an_unparsable_product_manifest_still_fails_closed(
        make_repo: Callable[..., Any], run_cli: Callable[..., CliResult], path: str) -> None:
    body = INVALID if path.endswith(".toml") else "--no-such-option\n"
    result = scan(make_repo, run_cli, {path: body})
    assert result.code == 3
    assert result.json_report is not None
    failed = {s["name"] for s in result.json_report["scanners"] if s["status"] == "error"}
    assert "pip-audit" in failed


def test_the_class_policy_decides(make_repo: Callable[..., Any],
                                  run_cli: Callable[..., CliResult]) -> None:
    files = {"test/assets/pylock.invalid.toml": INVALID, "docs/pylock.toml": INVALID}
    strict = scan(make_repo, run_cli, files, "classes:\n  fixtures: {parse-errors: fail}\n"
                                             "  docs: {parse-errors: notice}\n")
    assert strict.code == 3
    lenient = scan(make_repo, run_cli, files, "classes:\n  docs: {parse-errors: notice}\n")
    assert lenient.code == 0


def test_a_broken_fixture_dockerfile_is_a_notice(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., CliResult]) -> None:
    broken = "FROM python:3.12 <<EOF\nRUN x\n"  # an unterminated here-document
    fixture = scan(make_repo, run_cli, {"tests/fixtures/Dockerfile": broken})
    assert fixture.code == 0
    product = scan(make_repo, run_cli, {"Dockerfile": broken})
    assert product.code == 3
