"""Per-file result cache: keyed by content, tool version and effective options; safe to share.

An entry holds one file's findings (evidence already hashed, never secret text) and its
counters for one scanner. Writes are atomic; an entry that cannot be read is ignored and
rewritten; the folder is pruned to a bounded size. Whoever can write the cache folder can
hide findings from the gate, so keep it as private as the tool itself (in CI, one cache per
branch, which is how `actions/cache` scopes pull requests anyway).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secure_gate import __version__
from secure_gate.files import RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity

CACHE_VERSION = "v1"
MAX_BYTES = 256 * 1024 * 1024
_PRUNE_EVERY_S = 6 * 3600


def default_dir() -> Path:
    """``$XDG_CACHE_HOME/secure-gate``, else ``~/.cache/secure-gate``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "secure-gate"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file's cached result for one scanner."""

    findings: tuple[Finding, ...]
    stats: Mapping[str, int]


def _finding_to_json(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {"scanner": f.scanner, "rule": f.rule, "title": f.title,
            "severity": f.severity.label, "confidence": f.confidence.label,
            "location": [loc.path, loc.line, loc.end_line, loc.column, loc.end_column],
            "message": f.message, "evidence": f.evidence, "help_uri": f.help_uri,
            "tags": list(f.tags), "aliases": list(f.aliases), "fix": f.fix}


def _finding_from_json(d: Mapping[str, Any]) -> Finding:
    path, line, end_line, column, end_column = d["location"]
    return Finding(scanner=d["scanner"], rule=d["rule"], title=d["title"],
                   severity=Severity.parse(d["severity"]),
                   confidence=Confidence.parse(d["confidence"]),
                   location=Location(path, line, end_line, column, end_column),
                   message=d["message"], evidence=d["evidence"], help_uri=d["help_uri"],
                   tags=tuple(d["tags"]), aliases=tuple(d["aliases"]), fix=d["fix"])


class ResultCache:
    """The cache for one scanner run: which tool, which version, which options."""

    def __init__(self, folder: Path, scanner: str, tool_version: str | None,
                 options: Mapping[str, Any]) -> None:
        self.folder = folder / CACHE_VERSION / scanner
        material = json.dumps([__version__, scanner, tool_version,
                               sorted((k, repr(v)) for k, v in options.items())])
        self._salt = hashlib.sha256(material.encode()).hexdigest()
        self.hits = 0
        self.writes = 0

    def _path(self, f: RepoFile) -> Path:
        key = hashlib.sha256(f"{self._salt}\0{f.path}\0{f.digest}".encode(
            "utf-8", "surrogateescape")).hexdigest()
        return self.folder / key[:2] / f"{key}.json"

    def get(self, f: RepoFile) -> Entry | None:
        """The cached result, or None (missing, unreadable or from another run's shape)."""
        if not f.digest:
            return None
        try:
            data = json.loads(self._path(f).read_text(encoding="utf-8"))
            entry = Entry(tuple(_finding_from_json(x) for x in data["findings"]),
                          {str(k): int(v) for k, v in data["stats"].items()})
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if any(x.location.path != f.path for x in entry.findings):
            return None
        self.hits += 1
        return entry

    def put(self, f: RepoFile, findings: Iterable[Finding], stats: Mapping[str, int]) -> None:
        """Store one file's result atomically (a failure to write is not an error)."""
        if not f.digest:
            return
        target = self._path(f)
        body = json.dumps({"findings": [_finding_to_json(x) for x in findings],
                           "stats": dict(stats)})
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{time.monotonic_ns()}")
            tmp.write_text(body, encoding="utf-8")
            os.replace(tmp, target)
            self.writes += 1
        except OSError:
            return


def prune(folder: Path, max_bytes: int = MAX_BYTES, *, force: bool = False) -> int:
    """Delete the least recently written entries beyond ``max_bytes``; returns how many.

    Walking the cache costs time proportional to its size, so it runs at most every few
    hours (a marker file records the last time) unless forced.
    """
    root = folder / CACHE_VERSION
    marker = folder / ".last-prune"
    try:
        if not force and time.time() - marker.stat().st_mtime < _PRUNE_EVERY_S:
            return 0
    except OSError:
        pass
    entries = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _mtime, size, path in sorted(entries):
        if total <= max_bytes:
            break
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        removed += 1
    try:
        folder.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
    return removed
