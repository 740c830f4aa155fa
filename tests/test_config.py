"""Config discovery and validation: every bad input names the file, the key and what is allowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate import config
from secure_gate.errors import ConfigError
from secure_gate.model import Confidence, Severity


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    loaded = config.load(tmp_path)
    assert loaded.source is None
    assert loaded.fail_on is Severity.HIGH
    assert loaded.min_confidence is Confidence.MEDIUM
    assert loaded.on_scanner_error == "fail"
    assert loaded.scanner("bandit").enabled


def test_yaml_file_is_read(tmp_path: Path) -> None:
    root = write(tmp_path, ".secure-gate.yml", """
fail-on: medium
min-confidence: low
on-scanner-error: warn
exclude: ["tests/**"]
max-file-size: 1000
scanners:
  bandit: false
  detect-secrets: {timeout: 30, disable-plugins: [IPPublicDetector]}
rules:
  B101: {enabled: false}
  B608: {severity: critical}
""")
    loaded = config.load(root)
    assert loaded.source == ".secure-gate.yml"
    assert loaded.fail_on is Severity.MEDIUM
    assert loaded.min_confidence is Confidence.LOW
    assert loaded.on_scanner_error == "warn"
    assert loaded.exclude == ("tests/**",)
    assert loaded.max_file_size == 1000
    assert not loaded.scanner("bandit").enabled
    ds = loaded.scanner("detect-secrets")
    assert ds.timeout == 30 and ds.options["disable-plugins"] == ("IPPublicDetector",)
    assert not loaded.rules["B101"].enabled
    assert loaded.rules["B608"].severity is Severity.CRITICAL


def test_fail_on_never(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, ".secure-gate.yaml", "fail-on: never\n")).fail_on is None


def test_pyproject_table(tmp_path: Path) -> None:
    root = write(tmp_path, "pyproject.toml", """
[project]
name = "x"
[tool.secure-gate]
fail-on = "low"
exclude = ["docs/"]
[tool.secure-gate.rules.B101]
enabled = false
""")
    loaded = config.load(root)
    assert loaded.source == "pyproject.toml [tool.secure-gate]"
    assert loaded.fail_on is Severity.LOW
    assert not loaded.rules["B101"].enabled


def test_pyproject_without_our_table_means_defaults(tmp_path: Path) -> None:
    root = write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert config.load(root).source is None


def test_yaml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.secure-gate]\nfail-on = 'low'\n")
    write(tmp_path, ".secure-gate.yml", "fail-on: critical\n")
    assert config.load(tmp_path).fail_on is Severity.CRITICAL


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("fail_on: high\n", "fail_on", "unknown key (allowed: fail-on"),
        ("fail-on: severe\n", "fail-on", "expected one of critical, high, medium, low, info, "
                                         "never, got 'severe'"),
        ("fail-on: 3\n", "fail-on", "got 3"),
        ("min-confidence: certain\n", "min-confidence", "expected one of high, medium, low"),
        ("on-scanner-error: ignore\n", "on-scanner-error", "expected one of fail, warn"),
        ("exclude: tests/**\n", "exclude", "expected a list of strings, got a string"),
        ("exclude: ['']\n", "exclude", "item 0: expected a non-empty string"),
        ("exclude: ['/']\n", "exclude", "item 0:"),
        ("max-file-size: -1\n", "max-file-size", "expected a number at least 1"),
        ("max-file-size: 1.5\n", "max-file-size", "expected a whole number"),
        ("scanners: [bandit]\n", "scanners", "expected a mapping, got a list"),
        ("scanners: {nessus: true}\n", "scanners.nessus", "unknown scanner (known: bandit"),
        ("scanners: {bandit: yes-please}\n", "scanners.bandit", "(or true/false)"),
        ("scanners: {bandit: {enabled: 1}}\n", "scanners.bandit.enabled",
         "expected true or false, got an integer"),
        ("scanners: {bandit: {timeout: 0}}\n", "scanners.bandit.timeout",
         "expected a number greater than 0"),
        ("scanners: {bandit: {level: low}}\n", "scanners.bandit.level",
         "unknown option (allowed: enabled, timeout, exclude)"),
        ("scanners: {detect-secrets: {exclude-lines: ['(']}}\n",
         "scanners.detect-secrets.exclude-lines", "not a valid regular expression"),
        ("scanners: {pip-audit: {osv-url: 'https://osv.example/v1/query', advisory-db: x}}\n",
         "scanners.pip-audit", "osv-url and advisory-db do not go together"),
        ("scanners: {bandit: {exclude: tests/}}\n", "scanners.bandit.exclude",
         "expected a list of strings"),
        ("rules: {B101: off}\n", "rules.B101", "with 'severity' and/or 'enabled'"),
        ("rules: {B101: {severity: huge}}\n", "rules.B101.severity", "unknown severity 'huge'"),
        ("rules: {B101: {level: low}}\n", "rules.B101.level", "unknown key"),
        ("suppressions: {}\n", "suppressions", "expected a list of entries"),
        ("suppressions: [{rule: B101}]\n", "suppressions[0].reason",
         "every suppression needs a reason"),
        ("suppressions: [{rule: B101, reason: ''}]\n", "suppressions[0].reason",
         "expected a non-empty string"),
        ("suppressions: [{reason: why}]\n", "suppressions[0]", "name exactly one of"),
        ("suppressions: [{rule: B1, advisory: X, reason: r}]\n", "suppressions[0]",
         "name exactly one of"),
        ("suppressions: [{path: 'a/*', reason: r, advisory: X}]\n", "suppressions[0].path",
         "a path glob goes with a rule"),
        ("suppressions: [{rule: B1, reason: r, expires: soon}]\n", "suppressions[0].expires",
         "expected a date as YYYY-MM-DD"),
        ("suppressions: [{rule: B1, reason: r, until: 2030-01-01}]\n", "suppressions[0].until",
         "unknown key"),
    ],
)
def test_bad_values_name_file_key_and_allowed(tmp_path: Path, text: str, key: str,
                                               problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, ".secure-gate.yml", text))
    assert info.value.source == ".secure-gate.yml"
    assert info.value.key == key
    assert problem in info.value.problem
    assert str(info.value).startswith(f".secure-gate.yml: {key}: ")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fail-on: high\nfail-on: low\n", "duplicate key 'fail-on'"),
        ("- a\n- b\n", "expected a mapping, got a list"),
        ("fail-on: [\n", "not valid YAML"),
    ],
)
def test_unusable_files(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"^\.secure-gate\.yml: ") as info:
        config.load(write(tmp_path, ".secure-gate.yml", text))
    assert problem in str(info.value)


def test_both_yml_and_yaml_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, ".secure-gate.yml", "{}\n")
    write(tmp_path, ".secure-gate.yaml", "{}\n")
    with pytest.raises(ConfigError, match="keep one"):
        config.load(tmp_path)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: not valid TOML"):
        config.load(write(tmp_path, "pyproject.toml", "[tool.secure-gate\n"))


def test_explicit_config_file(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.yml"
    path.write_text("fail-on: info\n", encoding="utf-8")
    assert config.load(tmp_path / "unused", str(path)).fail_on is Severity.INFO
    with pytest.raises(ConfigError, match="no such file"):
        config.load(tmp_path, str(tmp_path / "missing.yml"))


def test_ledger_entries_are_parsed(tmp_path: Path) -> None:
    root = write(tmp_path, ".secure-gate.yml", """
suppressions:
  - rule: B101
    path: "tests/**"
    reason: asserts are fine in tests
    owner: team-a
  - advisory: GHSA-xxxx-yyyy-zzzz
    reason: not reachable
    expires: 2027-01-31
""")
    first, second = config.load(root).suppressions
    assert (first.rule, first.path, first.owner, first.index) == ("B101", "tests/**", "team-a", 0)
    assert second.advisory == "GHSA-xxxx-yyyy-zzzz"
    assert second.expires == dt.date(2027, 1, 31)


def test_cli_flags_win_over_the_file(make_repo: Callable[..., Any], run_cli: Callable[..., Any],
                                     tmp_path: Path) -> None:
    repo = make_repo({".secure-gate.yml": "fail-on: critical\nmin-confidence: high\n",
                      "app.py": "import pickle\npickle.loads(b'')\n"})
    lenient = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert lenient.code == 0
    assert lenient.json_report["policy"] == {"fail_on": "critical", "min_confidence": "high",
                                             "on_scanner_error": "fail"}
    strict = run_cli(repo.root, "scan", "--scanners", "bandit", "--fail-on", "low",
                     "--min-confidence", "low")
    assert strict.code == 1
    assert strict.json_report["policy"]["fail_on"] == "low"


def test_bad_config_exits_2_through_the_cli(make_repo: Callable[..., Any],
                                            run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "scanners: {bandit: {timeout: -5}}\n"})
    result = run_cli(repo.root, "scan")
    assert result.code == 2
    assert ".secure-gate.yml: scanners.bandit.timeout: expected a number greater than 0" in \
        result.err
    assert result.out == ""
