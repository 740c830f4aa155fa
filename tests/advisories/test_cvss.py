"""Severity from advisories: the CVSS v3.x formula, database labels and the v4 estimate."""

from __future__ import annotations

from typing import Any

import pytest

from secure_gate.advisories.cvss import (
    cvss3_base_score,
    cvss4_estimate,
    from_score,
    record_severity,
)
from secure_gate.model import Severity


# Base scores as published by NVD / the FIRST calculator for these vectors.
@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 5.5),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C", 9.8),  # base only
])
def test_cvss3_base_scores(vector: str, score: float) -> None:
    assert cvss3_base_score(vector) == score


@pytest.mark.parametrize("vector", [
    "", "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          # A missing
    "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      # bad value
    "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # duplicated
    "CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
])
def test_invalid_v3_vectors(vector: str) -> None:
    assert cvss3_base_score(vector) is None


def test_v4_estimate() -> None:
    full = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert cvss4_estimate(full) == 9.8
    harder = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"
    estimate = cvss4_estimate(harder)
    assert estimate is not None and 4.0 <= estimate < 7.0
    assert cvss4_estimate("CVSS:4.0/AV:N/AC:L") is None
    assert cvss4_estimate(full.replace("CVSS:4.0", "CVSS:3.1")) is None


@pytest.mark.parametrize(("score", "severity"), [
    (10.0, Severity.CRITICAL), (9.0, Severity.CRITICAL), (8.9, Severity.HIGH),
    (7.0, Severity.HIGH), (6.9, Severity.MEDIUM), (4.0, Severity.MEDIUM), (3.9, Severity.LOW),
    (0.0, Severity.LOW),
])
def test_thresholds(score: float, severity: Severity) -> None:
    assert from_score(score) is severity


def rec(**fields: Any) -> dict[str, Any]:
    affected = fields.pop("affected_extra", {})
    return {"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "Pkg"},
                                     **affected}], **fields}


def test_record_severity_precedence() -> None:
    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}
    v4 = {"type": "CVSS_V4",
          "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}
    label = {"severity": "MODERATE"}
    both = rec(severity=[v4, v3], database_specific=label)
    assert record_severity(both, "pkg") == (Severity.HIGH, f"CVSS 7.5 ({v3['score']})")
    labelled = rec(severity=[v4], database_specific=label)
    assert record_severity(labelled, "pkg") == (Severity.MEDIUM, "the database's label MODERATE")
    only_v4 = record_severity(rec(severity=[v4]), "pkg")
    assert only_v4 is not None and only_v4[0] is Severity.CRITICAL
    assert "estimated" in only_v4[1]
    assert record_severity(rec(), "pkg") is None
    assert record_severity(rec(database_specific={"severity": "whatever"}), "pkg") is None


def test_record_severity_in_affected_entries() -> None:
    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}
    inside = rec(affected_extra={"severity": [v3]})
    assert record_severity(inside, "pkg") == (Severity.CRITICAL, f"CVSS 10.0 ({v3['score']})")
    assert record_severity(inside, "other") is None
    eco = rec(affected_extra={"ecosystem_specific": {"severity": "low"}})
    assert record_severity(eco, "PKG") == (Severity.LOW, "the database's label low")


def test_the_worst_v3_vector_wins() -> None:
    low = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}
    high = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}
    found = record_severity(rec(severity=[low, high, {"type": "CVSS_V3", "score": "junk"}]),
                            "pkg")
    assert found is not None and found[0] is Severity.HIGH
