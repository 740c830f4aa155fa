"""Baseline files: a reviewable, sorted JSON map of fingerprints to counts; data only."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from secure_gate.errors import ConfigError
from secure_gate.model import Finding

SCHEMA_VERSION = 1
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_ENTRY_KEYS = {"count", "scanner", "rule", "path"}
NOTE = ("Findings accepted when this file was written. Each key is a secure-gate fingerprint "
        "(no line numbers, no secret text); count is how many identical findings are "
        "accepted. Regenerate with `secure-gate baseline`; review changes like code.")


def render(findings: Iterable[Finding]) -> str:
    """The baseline for these findings (those a ledger suppresses are left out)."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.suppression is not None and finding.suppression.kind == "ledger":
            continue
        entry = entries.setdefault(finding.fingerprint, {
            "count": 0, "scanner": finding.scanner, "rule": finding.rule,
            "path": finding.location.path})
        entry["count"] += 1
    document = {"schema_version": SCHEMA_VERSION, "tool": "secure-gate", "note": NOTE,
                "findings": dict(sorted(entries.items()))}
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=True) + "\n"


def load(path: str) -> Mapping[str, int]:
    """Read and check a baseline; any problem is a configuration error (exit 2)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read the baseline: {exc}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(path, None, f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(path, None, "a baseline is a JSON object")
    unknown = set(document) - {"schema_version", "tool", "note", "findings"}
    if unknown:
        raise ConfigError(path, sorted(unknown)[0], "unknown key in a baseline")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(path, "schema_version", f"expected {SCHEMA_VERSION}, got "
                                                  f"{document.get('schema_version')!r}")
    findings = document.get("findings")
    if not isinstance(findings, dict):
        raise ConfigError(path, "findings", "expected an object of fingerprint: entry")
    counts: Counter[str] = Counter()
    for key, entry in findings.items():
        where = f"findings.{key}"
        if not _FINGERPRINT.fullmatch(key):
            raise ConfigError(path, where, "not a secure-gate fingerprint (32 hex digits)")
        if not isinstance(entry, dict) or set(entry) - _ENTRY_KEYS:
            raise ConfigError(path, where, f"expected an object with keys "
                                           f"{', '.join(sorted(_ENTRY_KEYS))}")
        count = entry.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(path, f"{where}.count", f"expected a whole number >= 1, "
                                                      f"got {count!r}")
        counts[key] = count
    return dict(counts)
