"""An offline OSV export (a zip or a folder of OSV JSON) loaded and indexed by package."""

from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from secure_gate.advisories import osv

# Bounds that keep a hostile or mistaken path (a zip bomb, the root folder) from
# exhausting memory or time; OSV's whole PyPI export is far below them.
MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
MAX_RECORDS = 1_000_000


class AdvisoryDBError(Exception):
    """The export cannot be used; the message names the file and the problem."""


def _documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every ``*.json`` member of a zip, or file under a folder."""
    total = 0

    def account(name: str, size: int) -> None:
        nonlocal total
        total += size
        if size > MAX_RECORD_BYTES:
            raise AdvisoryDBError(f"{name} is larger than {MAX_RECORD_BYTES} bytes")
        if total > MAX_TOTAL_BYTES:
            raise AdvisoryDBError(f"more than {MAX_TOTAL_BYTES} bytes of JSON")

    if path.is_dir():
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.lower().endswith(".json"):
                    continue
                full = Path(dirpath, name)
                shown = full.relative_to(path).as_posix()
                with full.open("rb") as handle:
                    data = handle.read(MAX_RECORD_BYTES + 1)
                account(shown, len(data))
                yield shown, data
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AdvisoryDBError(f"not a zip file or folder of OSV JSON: {exc}") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".json"):
                continue
            with archive.open(info) as member:  # read, never extracted to disk
                data = member.read(MAX_RECORD_BYTES + 1)
            account(info.filename, len(data))
            yield info.filename, data


@dataclass(slots=True)
class AdvisoryDB:
    """Every advisory of an export, indexed by PyPI package name and by id or alias."""

    source: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_package: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    withdrawn: int = 0
    newest_modified: dt.datetime | None = None

    @classmethod
    def load(cls, path: Path, shown: str | None = None) -> AdvisoryDB:
        """Read an export; :class:`AdvisoryDBError` names the file for any unusable record."""
        db = cls(shown or str(path))
        if not path.exists():
            raise AdvisoryDBError(f"{db.source}: no such file or folder")
        try:
            for name, data in _documents(path):
                db._add(name, data)
        except AdvisoryDBError as exc:
            raise AdvisoryDBError(f"{db.source}: {exc}") from None
        except OSError as exc:
            raise AdvisoryDBError(f"{db.source}: cannot be read: {exc}") from None
        if not db.records:
            raise AdvisoryDBError(f"{db.source}: holds no OSV advisories")
        return db

    def _add(self, name: str, data: bytes) -> None:
        if len(self.records) >= MAX_RECORDS:
            raise AdvisoryDBError(f"more than {MAX_RECORDS} advisories")
        try:
            record = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise AdvisoryDBError(f"{name}: not valid JSON: {exc}") from None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise AdvisoryDBError(f"{name}: not an OSV record (no 'id')")
        if not isinstance(record.get("affected", []), list):
            raise AdvisoryDBError(f"{name}: 'affected' is not a list")
        modified = osv.parse_time(record.get("modified"))
        if modified and (self.newest_modified is None or modified > self.newest_modified):
            self.newest_modified = modified
        if osv.is_withdrawn(record):
            self.withdrawn += 1
            return
        advisory_id = record["id"]
        self.records[advisory_id] = record
        names = {a for a in record.get("aliases") or [] if isinstance(a, str)}
        for key in (advisory_id, *names):
            self.aliases.setdefault(key, set()).add(advisory_id)
        packages = set()
        for entry in record.get("affected") or []:
            package = entry.get("package") if isinstance(entry, dict) else None
            if isinstance(package, dict) and package.get("ecosystem") == osv.ECOSYSTEM and \
                    isinstance(package.get("name"), str):
                packages.add(canonicalize_name(package["name"]))
        for package_name in packages:
            self.by_package.setdefault(package_name, []).append(advisory_id)

    def query(self, name: str, version: str) -> list[dict[str, Any]]:
        """The advisories that affect ``name`` at ``version``, by id."""
        ids = sorted(self.by_package.get(canonicalize_name(name), ()))
        return [self.records[i] for i in ids if osv.affects(self.records[i], name, version)]

    def related(self, ids: Iterator[str] | list[str] | set[str]) -> list[dict[str, Any]]:
        """The records known under any of ``ids`` (as their own id or as an alias)."""
        found: set[str] = set()
        for key in ids:
            found |= self.aliases.get(key, set())
        return [self.records[i] for i in sorted(found)]

    def describe(self) -> str:
        """One line for the report: where the data came from and how fresh it is."""
        newest = (self.newest_modified.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
                  if self.newest_modified else "unknown")
        return (f"offline advisory database {self.source}: {len(self.records)} advisories "
                f"({self.withdrawn} withdrawn, skipped), newest modified {newest}")
