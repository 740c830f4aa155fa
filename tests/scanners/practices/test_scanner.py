"""The practices scanner as a whole: file selection, errors that fail closed, nosec, options."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_gate import config
from secure_gate.errors import ConfigError
from secure_gate.scanners import SCANNERS, get
from secure_gate.scanners import practices as practices_module
from secure_gate.scanners.practices import PracticesScanner, file_kind, is_test_path
from secure_gate.scanners.practices.pysource import Module
from secure_gate.scanners.practices.rules import RULES
from tests.scanners.practices.helpers import places, scan

KINDS = [
    ("app/views.py", "python"), ("tool.pyw", "python"), ("Dockerfile", "dockerfile"),
    ("docker/Dockerfile.prod", "dockerfile"), ("api.Dockerfile", "dockerfile"),
    ("Containerfile", "dockerfile"), (".github/workflows/ci.yml", "workflow"),
    (".github/workflows/release.yaml", "workflow"), (".env", "env"),
    ("config/.env.production", "env"), ("requirements.txt", "manifest"),
    ("requirements/dev.in", "manifest"), ("pyproject.toml", "manifest"),
    (".env.example", None), ("Dockerfile.dockerignore", None),
    (".devcontainer/Dockerfile", None), (".github/workflows/sub/x.yml", None),
    ("examples/app/.github/workflows/ci.yml", None),
    (".github/ci.yml", None), ("poetry.lock", None), ("README.md", None), ("app.pyi", None),
]


@pytest.mark.parametrize(("path", "kind"), KINDS, ids=[p for p, _ in KINDS])
def test_file_kinds(path: str, kind: str | None) -> None:
    assert file_kind(path) == kind


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/test_app.py", True), ("app/tests/views.py", True), ("test_app.py", True),
    ("app/views_test.py", True), ("conftest.py", True), ("tests/fixtures/.env", True),
    ("testing/Dockerfile", True), ("test_project/settings.py", True),
    ("app/views.py", False), ("contest.py", False), ("latest/app.py", False),
    ("attestation/Dockerfile", False), ("docs/testing.md", False),
])
def test_test_paths(path: str, expected: bool) -> None:
    assert is_test_path(path) is expected


def test_registered_with_every_rule_documented() -> None:
    assert "practices" in SCANNERS
    assert isinstance(get("practices"), PracticesScanner)
    assert set(RULES) == {"env-file-committed", "env-file-not-ignored", "secret-logged",
                          "error-details-exposed", "weak-password-hash", "debug-in-settings",
                          "container-runs-as-root", "workflow-permissions", "sql-string-built",
                          "template-unescaped", "html-string-built", "template-injection"}
    severities = {rule.id: rule.severity.label for rule in RULES.values()}
    assert severities == {"env-file-committed": "high", "env-file-not-ignored": "low",
                          "secret-logged": "medium", "error-details-exposed": "medium",
                          "weak-password-hash": "high", "debug-in-settings": "medium",
                          "container-runs-as-root": "medium", "workflow-permissions": "medium",
                          "sql-string-built": "high", "template-unescaped": "high",
                          "html-string-built": "high", "template-injection": "high"}
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### practices", 1)[1].split("\n## ", 1)[0]
    for rule in RULES.values():
        assert f"`{rule.id}`" in section and rule.help_uri in section


def test_a_syntax_error_fails_closed_naming_the_file(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {"app/broken.py": "def f(:\n", "app/ok.py":
                              "def f(password):\n    print(password)\n"})
    assert outcome.errors == ["practices could not parse app/broken.py: syntax error: line 1: "
                              "invalid syntax"]
    assert places(outcome) == [("secret-logged", "app/ok.py", 2)]  # the rest is still read


def test_unreadable_workflows_and_dockerfiles_fail_closed(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {".github/workflows/ci.yml": "on: [push\n",
                              "Dockerfile": b"FROM python\nUSER \xff\n"})
    assert sorted(outcome.errors) == [
        "practices: .github/workflows/ci.yml is not valid YAML: line 2: while parsing a flow "
        "sequence; expected ',' or ']', but got '<stream end>'",
        "practices: Dockerfile is not UTF-8 text, so it cannot be checked"]


def test_a_coding_declaration_is_honoured(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\ndef f(password):\n    print('caf\xe9', password)\n"
    outcome = scan(tmp_path, {"app.py": source.encode("latin-1")})
    assert outcome.errors == [] and places(outcome) == [("secret-logged", "app.py", 3)]


def test_a_bug_in_a_rule_fails_closed_naming_the_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(module: Module) -> list[object]:
        raise KeyError("boom")

    monkeypatch.setattr(practices_module, "_PYTHON_RULES", (broken,))
    outcome = scan(tmp_path, {"app.py": "x = 1\n"})
    assert outcome.errors == ["practices failed on app.py: KeyError: 'boom'"]


def test_nosec_results_are_counted_and_noted(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {
        "app.py": "def f(password, token):\n    print(password)  # nosec\n"
                  "    print(token)  # nosec: B101\n",
        ".github/workflows/ci.yml": "on: push  # nosec workflow-permissions\n"
                                   "jobs:\n  a:\n    runs-on: x\n",
    })
    assert places(outcome) == [("secret-logged", "app.py", 3)]  # a bandit id is not ours
    assert outcome.stats["nosec"] == 2
    notes = PracticesScanner().describe(outcome.stats, None)  # type: ignore[arg-type]
    assert "2 result(s) silenced by `# nosec` comments" in notes


def test_nosec_inside_a_string_is_not_a_comment(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {"app.py": "def f(password):\n    print('# nosec', password)\n"})
    assert places(outcome) == [("secret-logged", "app.py", 2)]


def test_test_files_are_skipped_unless_asked(tmp_path: Path) -> None:
    tree = {"tests/test_login.py": "def test(password):\n    print(password)\n",
            "tests/fixtures/Dockerfile": "FROM python:3.12\n", "app.py": "x = 1\n"}
    default = scan(tmp_path, tree)
    assert places(default) == [] and default.stats["test_files_skipped"] == 2
    notes = PracticesScanner().describe(default.stats, None)  # type: ignore[arg-type]
    assert any("2 test file(s) not checked" in n for n in notes)
    included = scan(tmp_path, options={"test-files": True})
    assert places(included) == [("container-runs-as-root", "tests/fixtures/Dockerfile", 1),
                                ("secret-logged", "tests/test_login.py", 2)]


def test_config_validates_the_scanner_option() -> None:
    loaded = config.validate({"scanners": {"practices": {"test-files": True}}}, "x.yml")
    assert loaded.scanner("practices").options["test-files"] is True
    assert config.validate({}, None).scanner("practices").options["test-files"] is False
    with pytest.raises(ConfigError, match=r"scanners\.practices\.test-files"):
        config.validate({"scanners": {"practices": {"test-files": "yes"}}}, "x.yml")
    with pytest.raises(ConfigError, match="unknown option"):
        config.validate({"scanners": {"practices": {"tests": True}}}, "x.yml")


def test_every_finding_is_located_and_explains_the_fix(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[3] / "examples" / "practices-sample"
    tree = {str(p.relative_to(sample)): p.read_bytes() for p in sample.rglob("*") if p.is_file()}
    outcome = scan(tmp_path, tree)
    assert {f.rule for f in outcome.findings} == set(RULES)
    for finding in outcome.findings:
        assert finding.help_uri == RULES[finding.rule].help_uri
        assert finding.fix and finding.message.endswith(".")
        assert f"external/cwe/cwe-{RULES[finding.rule].cwe}" in finding.tags
