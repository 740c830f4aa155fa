"""The README's table of configuration keys: generated from the schema validation uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secure_gate import config, configkeys
from secure_gate.errors import ConfigError
from secure_gate.scanners import SCANNERS, scanner_class

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_table_matches_the_schema() -> None:
    text = README.read_text(encoding="utf-8")
    assert configkeys.replace_table(text) == text, "run scripts/gen-config-doc"


def test_every_key_validation_accepts_is_in_the_table() -> None:
    listed = {k.key for k in configkeys.all_keys()}
    for key in configkeys.TOP:
        assert key in listed
    for table in ("suppressions",):
        assert table in listed
    for name in ("enabled", "timeout", "exclude"):  # per-scanner exclude included
        assert f"scanners.<name>.{name}" in listed
    for scanner in SCANNERS:
        for option in scanner_class(scanner).options:
            assert f"scanners.{scanner}.{option}" in listed
    assert {k for k in listed if k.startswith("rules.")} == {
        "rules.<rule-id>.severity", "rules.<rule-id>.enabled"}
    assert {k.removeprefix("suppressions[].") for k in listed
            if k.startswith("suppressions[].")} == set(config._LEDGER_KEYS)
    assert set(config._TOP_KEYS) == {k.split(".")[0].removesuffix("[]") for k in listed}


def _nested(key: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    *parents, last = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return out


def _sample(option_allowed: str, default: str) -> Any:
    if option_allowed == "true or false":
        return default != "`true`"
    if option_allowed.startswith(("a number", "a whole number")):
        return 7
    if option_allowed.startswith("one of "):
        return option_allowed.removeprefix("one of ").split(", ")[-1]
    if option_allowed == "a list of strings":
        return ["KeywordDetector"]  # a glob, a regex and a plugin name
    return "x"


@pytest.mark.parametrize("row", [k for k in configkeys.all_keys() if "<" not in k.key
                                 and "[]" not in k.key and k.key != "suppressions"],
                         ids=lambda k: k.key)
def test_every_concrete_key_in_the_table_is_accepted(row: configkeys.Key) -> None:
    value = _sample(row.allowed, row.default)
    if row.key == "scanners.pip-audit.osv-url":
        value = "https://osv.example/v1/query"
    validated = config.validate(_nested(row.key, value), "t.yml")
    assert validated.source == "t.yml"


@pytest.mark.parametrize("scanner", list(SCANNERS))
def test_per_scanner_keys_hold_for_every_scanner(scanner: str) -> None:
    body = {"enabled": False, "timeout": 5, "exclude": ["vendor/"]}
    loaded = config.validate({"scanners": {scanner: body}}, "t.yml").scanner(scanner)
    assert (loaded.enabled, loaded.timeout, loaded.exclude) == (False, 5.0, ("vendor/",))


def test_a_key_not_in_the_table_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        config.validate({"scanners": {"bandit": {"excludes": ["x"]}}}, "t.yml")
    with pytest.raises(ConfigError, match="unknown key"):
        config.validate({"exclude-paths": ["x"]}, "t.yml")


def test_table_cells_cannot_break_the_markdown() -> None:
    table = configkeys.markdown_table()
    rows = table.splitlines()[1:-1]
    assert all(row.count(" | ") == 3 and "\n" not in row for row in rows)
    assert configkeys._cell("a|b\nc") == "a\\|b c"


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        configkeys.replace_table("# README without the table\n")
