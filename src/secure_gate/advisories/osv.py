"""OSV records matched against a PyPI package version by the OSV schema's rules."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ECOSYSTEM = "PyPI"
Record = Mapping[str, Any]


def parse_version(text: object) -> Version | None:
    """A PEP 440 version, or None when ``text`` is not one."""
    if not isinstance(text, str):
        return None
    try:
        return Version(text)
    except InvalidVersion:
        return None


def parse_time(value: object) -> dt.datetime | None:
    """An OSV timestamp (RFC 3339, leniently) as an aware datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def entries_for(record: Record, name: str) -> Iterator[Mapping[str, Any]]:
    """The record's ``affected`` entries for the PyPI package ``name`` (names normalised)."""
    wanted = canonicalize_name(name)
    affected = record.get("affected")
    for entry in affected if isinstance(affected, list) else ():
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or package.get("ecosystem") != ECOSYSTEM:
            continue
        pkg_name = package.get("name")
        if isinstance(pkg_name, str) and canonicalize_name(pkg_name) == wanted:
            yield entry


def _events(range_: Mapping[str, Any]) -> list[tuple[int, Version | None, str]]:
    """The range's events as (order, version, kind), sorted with ``introduced: 0`` first.

    A bound that is not a PEP 440 version cannot be compared, so it is read the way that
    never hides a vulnerability: an unreadable ``introduced`` counts as ``0`` and an
    unreadable ``fixed`` or ``last_affected`` as absent (the range stays open).
    """
    out: list[tuple[int, Version | None, str]] = []
    events = range_.get("events")
    for event in events if isinstance(events, list) else ():
        if not isinstance(event, dict):
            continue
        for kind in ("introduced", "fixed", "last_affected"):
            if kind not in event:
                continue
            value = event[kind]
            version = None if value == "0" else parse_version(value)
            if version is None and kind != "introduced":
                continue
            out.append((0 if version is None else 1, version, kind))
    out.sort(key=lambda e: (e[0], e[1] or Version("0")))
    return out


def in_range(range_: Mapping[str, Any], version: Version) -> bool:
    """Whether ``version`` falls in one ECOSYSTEM range (the OSV evaluation algorithm)."""
    affected = False
    for _, bound, kind in _events(range_):
        if kind == "introduced":
            if bound is None or version >= bound:
                affected = True
        elif bound is not None and (version >= bound if kind == "fixed" else version > bound):
            affected = False  # a fixed version, or one past the last affected
    return affected


def _listed(versions: object, version: str, parsed: Version | None) -> bool:
    for listed in versions if isinstance(versions, list) else ():
        if listed == version:
            return True
        other = parse_version(listed)
        if parsed is not None and other is not None and other == parsed:
            return True
    return False


def is_withdrawn(record: Record) -> bool:
    """OSV marks a retracted advisory with a ``withdrawn`` time; it affects nothing."""
    return bool(record.get("withdrawn"))


def affects(record: Record, name: str, version: str) -> bool:
    """Whether a (not withdrawn) record affects ``name`` at ``version``."""
    if is_withdrawn(record):
        return False
    parsed = parse_version(version)
    for entry in entries_for(record, name):
        if _listed(entry.get("versions"), version, parsed):
            return True
        if parsed is None:
            continue
        ranges = entry.get("ranges")
        for range_ in ranges if isinstance(ranges, list) else ():
            if isinstance(range_, dict) and range_.get("type") == "ECOSYSTEM" and in_range(
                    range_, parsed):
                return True
    return False


def fixed_versions(record: Record, name: str) -> list[str]:
    """Every PEP 440 ``fixed`` version the record gives for ``name``, ascending."""
    found: dict[Version, str] = {}
    for entry in entries_for(record, name):
        ranges = entry.get("ranges")
        for range_ in ranges if isinstance(ranges, list) else ():
            if not isinstance(range_, dict) or range_.get("type") != "ECOSYSTEM":
                continue
            for _, bound, kind in _events(range_):
                if kind == "fixed" and bound is not None:
                    found.setdefault(bound, str(bound))
    return [found[v] for v in sorted(found)]


def for_client(record: Record) -> dict[str, Any]:
    """A copy of a record as served to pip-audit.

    pip-audit compares ``affected[].package.name`` with the canonical name verbatim and
    turns every ECOSYSTEM ``fixed`` into a ``Version`` (crashing on one that is not), so
    names are normalised and unreadable ``fixed`` bounds dropped: the range stays open,
    exactly as :func:`in_range` reads it. It also parses ``published`` with one strict
    format (``2024-01-02T03:04:05Z``) and crashes on others that real exports hold
    (``2023-11-03 05:15:00+00:00``), so that is rewritten in its format, or left out.
    """
    out = copy.deepcopy(dict(record))
    if "published" in out:
        published = parse_time(out.pop("published"))
        if published is not None:
            out["published"] = published.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for entry in out.get("affected") or []:
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or package.get("ecosystem") != ECOSYSTEM:
            continue
        if isinstance(package.get("name"), str):
            package["name"] = canonicalize_name(package["name"])
        for range_ in entry.get("ranges") or []:
            if isinstance(range_, dict) and range_.get("type") == "ECOSYSTEM":
                range_["events"] = [
                    e for e in range_.get("events") or []
                    if isinstance(e, dict) and ("fixed" not in e or parse_version(e["fixed"]))]
    return out
