"""An advisory's severity: its CVSS v3.x, v4.0 or v2 base score, or the database's label."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from secure_gate.advisories.osv import Record, entries_for
from secure_gate.model import Severity

_LABELS = {"critical": Severity.CRITICAL, "high": Severity.HIGH, "important": Severity.HIGH,
           "moderate": Severity.MEDIUM, "medium": Severity.MEDIUM, "low": Severity.LOW}
# The rating names of the CVSS specifications (v2's are NVD's: it has no critical).
_RATINGS = {"none": Severity.LOW, "low": Severity.LOW, "medium": Severity.MEDIUM,
            "high": Severity.HIGH, "critical": Severity.CRITICAL}
_LONGEST = 512  # a base vector is under 100 characters; with every optional metric, ~300


def _library_score(vector: str, prefixes: tuple[str, ...],
                   parse: Callable[[str], Any]) -> tuple[float, Severity] | None:
    """(base score, rating) by the ``cvss`` library, None for a vector it refuses.

    Vectors come from advisory data that a repository's configuration can point at, so
    anything the library raises on one is a vector it cannot read, never a crash.
    """
    vector = vector.strip()
    if len(vector) > _LONGEST or not vector.startswith(prefixes):
        return None
    try:
        parsed = parse(vector)
        score = float(parsed.base_score)
        rating = str(parsed.severities()[0]).lower()
    except (CVSSError, ValueError, KeyError, IndexError, TypeError, ArithmeticError):
        return None
    return (score, _RATINGS[rating]) if rating in _RATINGS else None


def cvss3(vector: str) -> tuple[float, Severity] | None:
    """Base score and rating of a ``CVSS:3.0/...`` or ``CVSS:3.1/...`` vector."""
    return _library_score(vector, ("CVSS:3.0/", "CVSS:3.1/"), CVSS3)


def cvss4(vector: str) -> tuple[float, Severity] | None:
    """Base score and rating of a ``CVSS:4.0/...`` vector (the specification's
    macro-vector tables, through the ``cvss`` library)."""
    return _library_score(vector, ("CVSS:4.0/",), CVSS4)


def cvss2(vector: str) -> tuple[float, Severity] | None:
    """Base score and NVD rating of a CVSS v2 vector (``AV:N/AC:L/Au:N/...``, optionally in
    parentheses or with a ``CVSS:2.0/`` prefix, as databases write it)."""
    vector = vector.strip().removeprefix("(").removesuffix(")").removeprefix("CVSS:2.0/")
    return _library_score(vector, ("AV:",), CVSS2)


def cvss3_base_score(vector: str) -> float | None:
    """The base score of a ``CVSS:3.0/...`` or ``CVSS:3.1/...`` vector (None if invalid)."""
    found = cvss3(vector)
    return found[0] if found else None


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

    The worst CVSS v3.x vector wins (what NVD and most of PyPI's advisories carry), then
    the worst v4.0 vector, then the database's own label, then a v2 vector (scored on
    NVD's v2 scale, which tops out at high).
    """
    vectors: dict[str, list[str]] = {}
    for entries in _severity_lists(record, name):
        for item in entries if isinstance(entries, list) else ():
            if isinstance(item, dict) and isinstance(item.get("score"), str):
                vectors.setdefault(str(item.get("type")), []).append(item["score"])

    def worst(kind: str, score: Callable[[str], tuple[float, Severity] | None],
              shown: str) -> tuple[Severity, str] | None:
        found = [(s, v) for v in vectors.get(kind, []) if (s := score(v)) is not None]
        if not found:
            return None
        (value, severity), vector = max(found, key=lambda f: f[0][0])
        return severity, f"{shown} {value:.1f} ({vector.strip()})"

    by_score = worst("CVSS_V3", cvss3, "CVSS") or worst("CVSS_V4", cvss4, "CVSS v4")
    if by_score:
        return by_score
    for label in _labels(record, name):
        if isinstance(label, str) and label.strip().lower() in _LABELS:
            return _LABELS[label.strip().lower()], f"the database's label {label.strip()}"
    return worst("CVSS_V2", cvss2, "CVSS v2")
