"""OSV matching: ranges, last_affected, versions lists, withdrawn, PEP 440 and names."""

from __future__ import annotations

from typing import Any

import pytest

from secure_gate.advisories.osv import affects, fixed_versions, for_client, in_range
from secure_gate.advisories.osv import parse_version as v


def record(*affected: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": "SGTEST-1", "modified": "2024-01-01T00:00:00Z", "affected": list(affected),
            **extra}


def pypi(name: str, *ranges: list[dict[str, str]], versions: list[str] | None = None,
         ecosystem: str = "PyPI") -> dict[str, Any]:
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name},
                             "ranges": [{"type": "ECOSYSTEM", "events": r} for r in ranges]}
    if versions is not None:
        entry["versions"] = versions
    return entry


TWO_BRANCHES = [{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"},
                {"fixed": "2.2.1"}]


@pytest.mark.parametrize(("version", "expected"), [
    ("0.9", False), ("1.0", True), ("1.4.99", True), ("1.5", False), ("1.9", False),
    ("2.0", True), ("2.2.0", True), ("2.2.1", False), ("3.0", False),
    ("2.0rc1", False),  # a pre-release of 2.0 sorts before it
    ("1.5rc1", True),   # ... and before the fix
    ("2.2.0.post1", True), ("2.2.1.dev0", True),
])
def test_two_branches(version: str, expected: bool) -> None:
    assert affects(record(pypi("pkg", TWO_BRANCHES)), "pkg", version) is expected


def test_events_are_sorted_before_evaluation() -> None:
    shuffled = [{"fixed": "2.2.1"}, {"introduced": "2.0"}, {"fixed": "1.5"},
                {"introduced": "1.0"}]
    for version in ("0.9", "1.2", "1.7", "2.1", "2.3"):
        assert affects(record(pypi("p", shuffled)), "p", version) == affects(
            record(pypi("p", TWO_BRANCHES)), "p", version)


@pytest.mark.parametrize(("version", "expected"), [
    ("0", True), ("0.0.1a1", True), ("1.4", True), ("1.4.post1", False), ("1.5", False),
    ("1.4rc1", True),
])
def test_last_affected_is_inclusive(version: str, expected: bool) -> None:
    rec = record(pypi("p", [{"introduced": "0"}, {"last_affected": "1.4"}]))
    assert affects(rec, "p", version) is expected


def test_introduced_only_affects_everything_after() -> None:
    rec = record(pypi("p", [{"introduced": "3.0"}]))
    assert affects(rec, "p", "99") and not affects(rec, "p", "2.9")


@pytest.mark.parametrize(("version", "expected"), [
    ("2.0", True), ("2.0.0", True), ("2.1", True), ("2.0.1", False), ("weird-tag", True),
    ("other", False),
])
def test_versions_only_records(version: str, expected: bool) -> None:
    rec = record(pypi("p", versions=["2.0", "2.1", "weird-tag"]))
    assert affects(rec, "p", version) is expected


def test_withdrawn_records_affect_nothing() -> None:
    rec = record(pypi("p", [{"introduced": "0"}]), withdrawn="2024-02-01T00:00:00Z")
    assert not affects(rec, "p", "1.0")


@pytest.mark.parametrize("asked", ["django", "Django", "DJANGO", "dJaNgO"])
def test_names_are_normalised(asked: str) -> None:
    rec = record(pypi("Django", [{"introduced": "0"}, {"fixed": "2.2.1"}]))
    assert affects(rec, asked, "2.2.0")


@pytest.mark.parametrize("asked", ["zope.interface", "Zope_Interface", "zope-interface"])
def test_separators_are_normalised(asked: str) -> None:
    rec = record(pypi("zope.interface", [{"introduced": "0"}]))
    assert affects(rec, asked, "5.0")


def test_other_packages_and_ecosystems_do_not_match() -> None:
    rec = record(pypi("other", [{"introduced": "0"}]),
                 pypi("pkg", [{"introduced": "0"}], ecosystem="npm"),
                 {"package": {"ecosystem": "PyPI", "name": "pkg"},
                  "ranges": [{"type": "GIT", "repo": "https://example.invalid/r",
                              "events": [{"introduced": "0"}]}]})
    assert not affects(rec, "pkg", "1.0")


def test_unreadable_bounds_never_hide_a_vulnerability() -> None:
    # An unreadable `fixed` leaves the range open; an unreadable `introduced` counts as 0.
    open_range = record(pypi("p", [{"introduced": "1.0"}, {"fixed": "2019-09-12"}]))
    assert affects(open_range, "p", "5.0") and not affects(open_range, "p", "0.5")
    from_zero = record(pypi("p", [{"introduced": "not-a-version"}, {"fixed": "2.0"}]))
    assert affects(from_zero, "p", "0.1") and not affects(from_zero, "p", "2.0")


def test_in_range_ignores_malformed_events() -> None:
    events = [{"introduced": "0"}, "junk", {"unknown": "1"}, {"fixed": "1.0"}]
    version = v("0.5")
    assert version is not None and in_range({"events": events}, version)


def test_fixed_versions_across_entries_sorted_and_unique() -> None:
    rec = record(pypi("p", [{"introduced": "2.0"}, {"fixed": "2.10"}],
                      [{"introduced": "0"}, {"fixed": "1.9.1"}]),
                 pypi("P", [{"introduced": "3.0"}, {"fixed": "3.0.2"}, {"fixed": "bogus"}]),
                 pypi("other", [{"introduced": "0"}, {"fixed": "0.1"}]))
    assert fixed_versions(rec, "p") == ["1.9.1", "2.10", "3.0.2"]


def test_records_served_to_pip_audit_are_normalised() -> None:
    rec = record(pypi("Zope.Interface", [{"introduced": "0"}, {"fixed": "0.2.0-n653"},
                                         {"fixed": "5.1"}]))
    served = for_client(rec)
    entry = served["affected"][0]
    assert entry["package"]["name"] == "zope-interface"
    assert entry["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "5.1"}]
    assert rec["affected"][0]["package"]["name"] == "Zope.Interface"  # the original is intact


@pytest.mark.parametrize(("published", "served"), [
    ("2023-11-03 05:15:00+00:00", "2023-11-03T05:15:00Z"),
    ("2021-07-30T22:15:00Z", "2021-07-30T22:15:00Z"),
    ("2021-07-30T22:15:00.123456Z", "2021-07-30T22:15:00Z"),
    ("2021-07-31T00:15:00+02:00", "2021-07-30T22:15:00Z"),
    ("last tuesday", None),
])
def test_published_is_served_in_the_format_pip_audit_parses(published: str,
                                                             served: str | None) -> None:
    out = for_client(record(pypi("p", [{"introduced": "0"}]), published=published))
    assert out.get("published") == served


def test_every_shared_record_is_servable_to_pip_audit(shared_dir: Any) -> None:
    """pip-audit's own parsing (its private helper, called here as the real client would)."""
    import json
    import zipfile

    from packaging.version import Version
    from pip_audit._service.interface import VulnerabilityService

    archive = shared_dir / "advisories" / "pypa-advisory-db.zip"
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            served = for_client(json.loads(zf.read(member)))
            VulnerabilityService._parse_rfc3339(served.get("published"))
            for entry in served["affected"]:
                for range_ in entry.get("ranges", []):
                    if range_["type"] == "ECOSYSTEM":
                        [Version(e["fixed"]) for e in range_["events"] if "fixed" in e]
