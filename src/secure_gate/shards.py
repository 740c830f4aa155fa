"""Matrix shards: a deterministic split of the work, and the merge back into one verdict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from secure_gate.errors import EXIT_SCANNER_ERROR, GateError, UsageError
from secure_gate.files import RepoFile
from secure_gate.model import (
    Confidence,
    FileStats,
    Finding,
    Location,
    ScannerResult,
    Severity,
    Status,
    Suppression,
)

FORMAT = 1  # the shard payload's own version, checked by merge


class ShardError(GateError):
    """Shard reports that cannot be merged into one verdict (fail closed: exit 3)."""

    exit_code = EXIT_SCANNER_ERROR


@dataclass(frozen=True, slots=True)
class Shard:
    """``K/N``: this run does shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"`` → Shard(2, 4); a usage error for anything else."""
        index, slash, count = text.partition("/")
        if not slash or not index.isdigit() or not count.isdigit():
            raise UsageError(f"--shard {text!r}: expected K/N, e.g. 2/4")
        shard = cls(int(index), int(count))
        if not 1 <= shard.index <= shard.count or shard.count > 256:
            raise UsageError(f"--shard {text!r}: K must be 1..N and N at most 256")
        return shard

    @property
    def label(self) -> str:
        """``K/N``."""
        return f"{self.index}/{self.count}"


def _stable(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def assign(files: Sequence[RepoFile], count: int) -> dict[str, int]:
    """Every file's shard (1..count), the same in every shard: largest files first, each
    onto the lightest shard so far (ties by a stable hash of the path), so shards are
    balanced by size."""
    load = [0] * count
    out: dict[str, int] = {}
    for f in sorted(files, key=lambda f: (-max(f.size, 1), _stable(f.path))):
        lightest = min(range(count), key=lambda i: (load[i], i))
        load[lightest] += max(f.size, 1)
        out[f.path] = lightest + 1
    return out


def listing_hash(files: Sequence[RepoFile], stats: FileStats) -> str:
    """What every shard must have walked alike: the scanned files, their content, the counts."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        digest.update(f"{f.path}\0{f.digest}\0".encode("utf-8", "surrogateescape"))
    digest.update(repr(stats).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def policy_hash(config: object, accepted: Mapping[str, int] | None) -> str:
    """The policy's identity: the validated config and the baseline it accepts."""
    material = repr(config) + "\0" + repr(sorted((accepted or {}).items()))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


# The collected results travel as JSON: each dataclass field as is, enums by label.
def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in fields(Finding):
        value = getattr(f, item.name)
        if isinstance(value, Severity | Confidence):
            value = value.label
        elif isinstance(value, Location):
            value = [value.path, value.line, value.end_line, value.column, value.end_column]
        elif isinstance(value, Suppression):
            value = [value.kind, value.reason]
        elif isinstance(value, tuple):
            value = list(value)
        out[item.name] = value
    return out


def _load_finding(raw: Mapping[str, Any]) -> Finding:
    values = dict(raw)
    values["severity"] = Severity.parse(values["severity"])
    values["confidence"] = Confidence.parse(values["confidence"])
    values["location"] = Location(*values["location"])
    if values.get("suppression") is not None:
        values["suppression"] = Suppression(*values["suppression"])
    for name in ("tags", "aliases"):
        values[name] = tuple(values.get(name) or ())
    return Finding(**values)


def _result(r: ScannerResult) -> dict[str, Any]:
    return {"name": r.name, "version": r.version, "status": r.status.value,
            "message": r.message, "duration_s": r.duration_s,
            "findings": [_finding(f) for f in r.findings], "files_scanned": r.files_scanned,
            "notes": list(r.notes), "stats": [list(s) for s in r.stats],
            "information_uri": r.information_uri, "inline_suppression": r.inline_suppression}


def _load_result(raw: Mapping[str, Any]) -> ScannerResult:
    return ScannerResult(
        name=raw["name"], version=raw["version"], status=Status(raw["status"]),
        message=raw["message"], duration_s=float(raw["duration_s"]),
        findings=tuple(_load_finding(f) for f in raw["findings"]),
        files_scanned=int(raw["files_scanned"]), notes=tuple(raw["notes"]),
        stats=tuple((str(k), int(v)) for k, v in raw["stats"]),
        information_uri=raw.get("information_uri"),
        inline_suppression=raw.get("inline_suppression"))


def _stats(s: FileStats) -> dict[str, Any]:
    out: dict[str, Any] = {item.name: getattr(s, item.name) for item in fields(FileStats)}
    out["samples"] = [list(x) for x in s.samples]
    return out


def _load_stats(raw: Mapping[str, Any]) -> FileStats:
    values = dict(raw)
    values["samples"] = tuple(tuple(x) for x in values.get("samples", ()))
    return FileStats(**values)


@dataclass(frozen=True, slots=True)
class ShardPayload:
    """One shard's part: who it is, what it saw, and what it found before judging."""

    shard: Shard
    commit: str | None
    listing: str
    policy: str
    request: Mapping[str, Any]
    results: tuple[ScannerResult, ...]
    files: FileStats
    new: Mapping[str, tuple[bool, str]]
    changed_lines: Mapping[str, frozenset[int]] | None
    notices: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``shard`` object of the JSON report."""
        return {
            "format": FORMAT, "index": self.shard.index, "count": self.shard.count,
            "commit": self.commit, "listing_sha256": self.listing,
            "policy_sha256": self.policy, "request": dict(self.request),
            "results": [_result(r) for r in self.results], "files": _stats(self.files),
            "new": {k: list(v) for k, v in self.new.items()},
            "changed_lines": None if self.changed_lines is None else {
                k: sorted(v) for k, v in self.changed_lines.items()},
            "notices": list(self.notices),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ShardPayload:
        """Read one shard back; ``ValueError`` (with why) for anything malformed."""
        if raw.get("format") != FORMAT:
            raise ValueError(f"shard format {raw.get('format')!r}, expected {FORMAT}")
        lines = raw.get("changed_lines")
        return cls(
            shard=Shard(int(raw["index"]), int(raw["count"])), commit=raw.get("commit"),
            listing=str(raw["listing_sha256"]), policy=str(raw["policy_sha256"]),
            request=dict(raw.get("request") or {}),
            results=tuple(_load_result(r) for r in raw["results"]),
            files=_load_stats(raw["files"]),
            new={str(k): (bool(v[0]), str(v[1])) for k, v in raw["new"].items()},
            changed_lines=None if lines is None else {
                str(k): frozenset(int(n) for n in v) for k, v in lines.items()},
            notices=tuple(str(n) for n in raw.get("notices", ())))


def read(path: str) -> ShardPayload:
    """A shard's JSON report, as written by ``scan --shard K/N --json``."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        raw = document.get("shard") if isinstance(document, dict) else None
        if not isinstance(raw, dict):
            raise ValueError("no shard section (was it written by scan --shard K/N --json?)")
        return ShardPayload.from_json(raw)
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ShardError(f"{path}: not a shard report: {exc}") from None


def check(parts: Sequence[tuple[str, ShardPayload]]) -> None:
    """Fail closed unless these are exactly shards 1..N of one scan of one commit, listing
    and policy: a missing, duplicated or foreign shard names the report."""
    if not parts:
        raise ShardError("no shard reports to merge")
    count = parts[0][1].shard.count
    seen: dict[int, str] = {}
    for path, part in parts:
        if part.shard.count != count:
            raise ShardError(f"{path} is shard {part.shard.label}, the others are of {count}")
        if part.shard.index in seen:
            raise ShardError(f"shard {part.shard.label} is given twice ({seen[part.shard.index]}"
                             f" and {path})")
        seen[part.shard.index] = path
        first = parts[0][1]
        for what, mine, theirs in (("commit", part.commit, first.commit),
                                   ("file listing", part.listing, first.listing),
                                   ("policy", part.policy, first.policy),
                                   ("request", part.request, first.request)):
            if mine != theirs:
                raise ShardError(f"{path} was run on a different {what} than {parts[0][0]}")
    missing = [str(i) for i in range(1, count + 1) if i not in seen]
    if missing:
        raise ShardError(f"shard(s) {', '.join(missing)} of {count} missing: every shard's "
                         "report is needed for a verdict")


_WORST = {Status.ERROR: 2, Status.OK: 1, Status.SKIPPED: 0}


def merge_results(parts: Sequence[ShardPayload]) -> tuple[ScannerResult, ...]:
    """Each scanner's results across the shards: findings and counts added, the worst status
    kept (an error in any shard is an error of the whole)."""
    merged: dict[str, ScannerResult] = {}
    for part in sorted(parts, key=lambda p: p.shard.index):
        for r in part.results:
            have = merged.get(r.name)
            if have is None:
                merged[r.name] = r
                continue
            status = max((have.status, r.status), key=lambda s: _WORST[s])
            message = (have.message if _WORST[have.status] >= _WORST[r.status]
                       else r.message)
            stats: dict[str, int] = dict(have.stats)
            for key, value in r.stats:
                stats[key] = stats.get(key, 0) + value
            merged[r.name] = ScannerResult(
                name=r.name, version=have.version or r.version, status=status,
                message=message, duration_s=max(have.duration_s, r.duration_s),
                findings=have.findings + r.findings,
                files_scanned=have.files_scanned + r.files_scanned,
                notes=tuple(dict.fromkeys((*have.notes, *r.notes))),
                stats=tuple(sorted(stats.items())),
                information_uri=have.information_uri,
                inline_suppression=have.inline_suppression)
    order = [r.name for r in parts[0].results]
    return tuple(merged[name] for name in order if name in merged)
