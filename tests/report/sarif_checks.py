"""GitHub code scanning's own rules for an uploaded SARIF file, beyond the JSON schema.

From docs.github.com "SARIF support for code scanning" and the upload action: required
properties present and non-empty, runs distinct by tool and category, security-severity a
number in range, the documented limits (a file over any of them is rejected).
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_TAGS = 20
MAX_GZIP = 10 * 1000 * 1000
LEVELS = {"none", "note", "warning", "error"}
PRECISIONS = {"very-high", "high", "medium", "low"}


def validate_schema(log: dict[str, Any], shared: Path) -> None:
    """Draft-04 validation against the official OASIS schema in the shared folder."""
    schema = json.loads((shared / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)


def _text(obj: Any, *keys: str) -> str:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, str) else ""


def _rule_problems(where: str, rule: dict[str, Any]) -> list[str]:
    problems = []
    for keys in (("id",), ("shortDescription", "text"), ("fullDescription", "text"),
                 ("help", "text")):
        if not _text(rule, *keys).strip():
            problems.append(f"{where}: {'.'.join(keys)} is missing or empty")
    if len(_text(rule, "name")) > 255:
        problems.append(f"{where}: name is over 255 characters")
    if len(_text(rule, "shortDescription", "text")) > 1024:
        problems.append(f"{where}: shortDescription is over 1024 characters")
    props = rule.get("properties", {})
    if len(props.get("tags", [])) > MAX_TAGS:
        problems.append(f"{where}: more than {MAX_TAGS} tags")
    if "precision" in props and props["precision"] not in PRECISIONS:
        problems.append(f"{where}: precision {props['precision']!r}")
    severity = props.get("security-severity")
    if severity is not None and not (isinstance(severity, str)
                                     and re.fullmatch(r"\d{1,2}\.\d", severity)
                                     and 0.1 <= float(severity) <= 10.0):
        problems.append(f"{where}: security-severity {severity!r} is not 0.1-10.0")
    return problems


def _result_problems(where: str, result: dict[str, Any], rules: list[dict[str, Any]]
                     ) -> list[str]:
    problems = []
    if not _text(result, "message", "text").strip():
        problems.append(f"{where}: message.text is missing or empty")
    if result.get("level", "warning") not in LEVELS:
        problems.append(f"{where}: level {result.get('level')!r}")
    index = result.get("ruleIndex")
    if index is not None and (index >= len(rules) or rules[index]["id"] != result["ruleId"]):
        problems.append(f"{where}: ruleIndex does not point at ruleId")
    fingerprints = result.get("partialFingerprints") or {}
    if not fingerprints or not all(isinstance(v, str) and v for v in fingerprints.values()):
        problems.append(f"{where}: partialFingerprints missing or empty")
    locations = result.get("locations") or []
    if not locations:
        problems.append(f"{where}: no location")
    for location in locations[:1]:
        uri = _text(location, "physicalLocation", "artifactLocation", "uri")
        if not uri or uri.startswith("/") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", uri):
            problems.append(f"{where}: uri {uri!r} is not repo-relative")
        region = location.get("physicalLocation", {}).get("region", {})
        if not isinstance(region.get("startLine"), int) or region["startLine"] < 1:
            problems.append(f"{where}: region has no startLine")
    return problems


def github_problems(text: str) -> list[str]:
    """Everything GitHub would reject or mishandle in this SARIF text (empty: fine)."""
    problems = []
    if len(gzip.compress(text.encode("utf-8"))) > MAX_GZIP:
        problems.append("over 10 MB gzipped")
    log = json.loads(text)
    if not log.get("$schema") or log.get("version") != "2.1.0":
        problems.append("$schema or version 2.1.0 missing")
    runs = log.get("runs") or []
    if not runs or len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs (1 to {MAX_RUNS} accepted)")
    keys = set()
    for i, run in enumerate(runs):
        driver = run.get("tool", {}).get("driver", {})
        key = (driver.get("name"), driver.get("version"), _text(run, "automationDetails", "id"))
        if not driver.get("name") or key in keys:
            problems.append(f"run {i}: driver name missing or run not distinct {key}")
        keys.add(key)
        rules = driver.get("rules", [])
        results = run.get("results", [])
        if len(rules) > MAX_RULES or len(results) > MAX_RESULTS:
            problems.append(f"run {i}: {len(rules)} rules, {len(results)} results")
        if len({r.get("id") for r in rules}) != len(rules):
            problems.append(f"run {i}: duplicate rule ids")
        for j, rule in enumerate(rules):
            problems += _rule_problems(f"run {i} rule {j}", rule)
        for j, result in enumerate(results):
            problems += _result_problems(f"run {i} result {j}", result, rules)
    return problems
