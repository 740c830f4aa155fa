"""An advisory's severity: the CVSS v3.x base score, the database's label, or a v4 estimate."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from secure_gate.advisories.osv import Record, entries_for
from secure_gate.model import Severity

# CVSS v3.1 specification, section 7.4 (metric values); v3.0 uses the same weights.
_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}
_V3_BASE: dict[str, Mapping[str, float]] = {
    "AV": _AV, "AC": _AC, "PR": _PR_UNCHANGED, "UI": _UI, "S": {"U": 0, "C": 0}, "C": _CIA,
    "I": _CIA, "A": _CIA}
_V4_BASE = {"AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA", "VC": "HLN",
            "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN"}
_LABELS = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "important": Severity.HIGH,
           "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM, "low": Severity.LOW}


def _metrics(vector: str, prefix: str) -> dict[str, str] | None:
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith(prefix):
        return None
    out: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if not sep or key in out:
            return None  # malformed, or a metric given twice
        out[key] = value
    return out


def _roundup_31(value: float) -> float:
    """CVSS v3.1 Appendix A ``Roundup``: the smallest one-decimal number >= value."""
    whole = round(value * 100000)
    if whole % 10000 == 0:
        return whole / 100000.0
    return (math.floor(whole / 10000) + 1) / 10.0


def _score_v3(m: Mapping[str, str], changed: bool, roundup_31: bool = True) -> float:
    roundup = _roundup_31 if roundup_31 else (lambda x: math.ceil(x * 10) / 10)
    iss = 1 - (1 - _CIA[m["C"]]) * (1 - _CIA[m["I"]]) * (1 - _CIA[m["A"]])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    pr = (_PR_CHANGED if changed else _PR_UNCHANGED)[m["PR"]]
    exploitability = 8.22 * _AV[m["AV"]] * _AC[m["AC"]] * pr * _UI[m["UI"]]
    if impact <= 0:
        return 0.0
    if changed:
        return roundup(min(1.08 * (impact + exploitability), 10))
    return roundup(min(impact + exploitability, 10))


def cvss3_base_score(vector: str) -> float | None:
    """The base score of a ``CVSS:3.0/...`` or ``CVSS:3.1/...`` vector (None if invalid)."""
    m = _metrics(vector, "CVSS:3.")
    if m is None or vector.split("/")[0] not in ("CVSS:3.0", "CVSS:3.1"):
        return None
    for key, allowed in _V3_BASE.items():
        if m.get(key) not in allowed:
            return None
    return _score_v3(m, m["S"] == "C", roundup_31=vector.startswith("CVSS:3.1"))


def cvss4_estimate(vector: str) -> float | None:
    """An estimate of a ``CVSS:4.0/...`` vector's score through the v3.1 formula.

    The official v4 score comes from a table of 270 macro-vectors; this maps the base
    metrics onto v3.1 instead (attack requirements present → high complexity, passive or
    active interaction → required, an impact on subsequent systems → changed scope with
    the higher of the two impacts). It is used only when the advisory has no v3 vector
    and no label of its own.
    """
    m = _metrics(vector, "CVSS:4.0")
    if m is None:
        return None
    for key, allowed in _V4_BASE.items():
        if m.get(key) is None or m[key] not in allowed:
            return None
    rank = {"N": 0, "L": 1, "H": 2}
    changed = any(m[s] != "N" for s in ("SC", "SI", "SA"))

    def worst(a: str, b: str) -> str:
        return a if rank[a] >= rank[b] else b

    v3 = {"AV": m["AV"], "AC": "H" if m["AT"] == "P" else m["AC"], "PR": m["PR"],
          "UI": "N" if m["UI"] == "N" else "R", "C": worst(m["VC"], m["SC"]),
          "I": worst(m["VI"], m["SI"]), "A": worst(m["VA"], m["SA"])}
    return _score_v3(v3, changed)


def from_score(score: float) -> Severity:
    """critical >= 9.0, high >= 7.0, medium >= 4.0, low below (0.0 included)."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


def _severity_lists(record: Record, name: str) -> Iterable[Any]:
    yield record.get("severity")
    for entry in entries_for(record, name):
        yield entry.get("severity")


def _labels(record: Record, name: str) -> Iterable[object]:
    for holder in (record, *entries_for(record, name)):
        for key in ("database_specific", "ecosystem_specific"):
            extra = holder.get(key)
            if isinstance(extra, dict):
                yield extra.get("severity")


def record_severity(record: Record, name: str) -> tuple[Severity, str] | None:
    """One record's severity and what it rests on; None when the record gives none.

    A CVSS v3 vector wins (its formula is exact), then the database's own label, then an
    estimate from a CVSS v4 vector.
    """
    vectors: dict[str, list[str]] = {}
    for entries in _severity_lists(record, name):
        for item in entries if isinstance(entries, list) else ():
            if isinstance(item, dict) and isinstance(item.get("score"), str):
                vectors.setdefault(str(item.get("type")), []).append(item["score"])
    scores = [(s, v) for v in vectors.get("CVSS_V3", []) if (s := cvss3_base_score(v)) is not None]
    if scores:
        score, vector = max(scores)
        return from_score(score), f"CVSS {score:.1f} ({vector})"
    for label in _labels(record, name):
        if isinstance(label, str) and label.strip().lower() in _LABELS:
            return _LABELS[label.strip().lower()], f"the database's label {label.strip()}"
    estimates = [(s, v) for v in vectors.get("CVSS_V4", [])
                 if (s := cvss4_estimate(v)) is not None]
    if estimates:
        score, vector = max(estimates)
        return from_score(score), f"CVSS v4 estimated {score:.1f} ({vector})"
    return None
