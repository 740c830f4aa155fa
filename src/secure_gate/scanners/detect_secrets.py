"""detect-secrets adapter: explicit file batches in the worker pool, no verification calls."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from secure_gate import options
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Confidence, Finding, Location, Severity
from secure_gate.options import Option
from secure_gate.scanners import _shards
from secure_gate.scanners.base import ScanJob, ScanOutcome, package_version

NAME = "detect-secrets"
HELP_URI = "https://github.com/Yelp/detect-secrets#viewing-results"
# Detectors that match a vendor's token format are sure of themselves; keyword and entropy
# heuristics less so; a public IP address is rarely a credential at all.
_MEDIUM_CONFIDENCE = frozenset({"Secret Keyword", "Base64 High Entropy String",
                                "Hex High Entropy String", "Basic Auth Credentials"})
_LOW_CONFIDENCE = frozenset({"Public IP (ipv4)"})
_PRAGMA = re.compile(rb"pragma:\s*allowlist[ -](?:nextline[ -])?secret")


def _check_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None


def confidence_for(secret_type: str) -> Confidence:
    """How much a detector's match is to be trusted."""
    if secret_type in _LOW_CONFIDENCE:
        return Confidence.LOW
    if secret_type in _MEDIUM_CONFIDENCE:
        return Confidence.MEDIUM
    return Confidence.HIGH


def rule_id(secret_type: str) -> str:
    """detect-secrets' type name is the rule id, as the contract says."""
    return secret_type


def parse(document: Mapping[str, Any], resolve: Callable[[str], RepoFile | None]) -> ScanOutcome:
    """Turn detect-secrets' baseline-shaped JSON into findings.

    Only the type, place and ``hashed_secret`` are read: the hash becomes the fingerprint's
    evidence (hashed again there), so no finding can carry the secret's text.
    """
    outcome = ScanOutcome()
    results = document.get("results")
    if not isinstance(results, dict):
        raise ScannerError("detect-secrets wrote JSON without a 'results' mapping")
    for name, secrets in results.items():
        repo_file = resolve(str(name))
        if repo_file is None:
            outcome.failed_paths.add(str(name))
            outcome.errors.append(f"detect-secrets reported a file it was not given: {name!r}")
            continue
        for secret in secrets:
            secret_type = str(secret.get("type") or "Unknown secret")
            line = secret.get("line_number")
            line = int(line) if isinstance(line, int) and line > 0 else None
            outcome.findings.append(Finding.create(
                scanner=NAME,
                rule=rule_id(secret_type),
                title=secret_type,
                severity=Severity.HIGH,
                confidence=confidence_for(secret_type),
                location=Location(repo_file.path, line, line),
                message=(f"Possible {secret_type} committed to the repository. Remove it, "
                         "rotate it, and load it from the environment or a secret store."),
                evidence=f"{secret_type}\n{secret.get('hashed_secret', '')}",
                help_uri=HELP_URI,
                tags=("security", "secret", "external/cwe/cwe-798"),
            ))
    return outcome


def count_pragmas(files: list[RepoFile]) -> int:
    """Lines carrying ``pragma: allowlist secret``, so inline suppressions are visible."""
    total = 0
    for f in files:
        try:
            total += len(_PRAGMA.findall(f.abspath.read_bytes()))
        except OSError:
            continue
    return total


class DetectSecretsScanner:
    """Runs detect-secrets on every text file the walk found."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "committed credentials: detect-secrets"
    default_timeout: ClassVar[float] = 900.0
    # Each file's findings depend on that file alone (diff mode and the cache rely on it).
    per_file: ClassVar[bool] = True
    options: ClassVar[Mapping[str, Option]] = {
        "fast": options.boolean(
            True, "skip detectors that provably cannot match a line (same findings, less "
                  "time; see secure_gate/workers/secrets_fast.py)"),
        "disable-plugins": options.string_list(
            "detect-secrets plugin class names to turn off, e.g. IPPublicDetector",
            item_pattern=r"[A-Za-z][A-Za-z0-9]*"),
        "exclude-lines": options.string_list(
            "regular expressions: lines matching any are not scanned",
            check=_check_regex),
    }

    def version(self) -> str | None:
        """detect-secrets' installed version."""
        return package_version("detect-secrets")

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Every UTF-8 text file (detect-secrets silently skips the rest, so we count them)."""
        return tuple(f for f in fileset.files if f.utf8)

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Scan the files in batches with detect-secrets' own scan, in the worker pool."""
        if self.version() is None:
            raise ScannerError("detect-secrets is not installed in secure-gate's environment")
        by_abs = {os.path.normpath(str(f.abspath)): f for f in job.files}

        def resolve(name: str) -> RepoFile | None:
            return by_abs.get(os.path.normpath(os.path.join(str(job.root), name)))

        def payload(batch: list[RepoFile]) -> dict[str, Any]:
            return {"root": str(job.root), "files": [str(f.abspath) for f in batch],
                    "disable_plugins": list(job.options.get("disable-plugins", ())),
                    "exclude_lines": list(job.options.get("exclude-lines", ())),
                    "fast": bool(job.options.get("fast", True))}

        def parse_batch(document: dict[str, Any], batch: list[RepoFile]) -> ScanOutcome:
            part = parse(document, resolve)
            for f in batch:
                part.file_stats[f.path] = {"allowlist_pragmas": count_pragmas([f])}
                part.stats["allowlist_pragmas"] = (part.stats.get("allowlist_pragmas", 0)
                                                   + part.file_stats[f.path]["allowlist_pragmas"])
            return part

        return _shards.run_batches(job, "detect-secrets", payload, parse_batch,
                                   "detect-secrets")

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """Notes on what detect-secrets could not read and what was allowlisted inline."""
        notes = []
        if fileset.stats.not_utf8:
            notes.append(f"{fileset.stats.not_utf8} file(s) are not UTF-8 text; detect-secrets "
                         "cannot read them, so they were not scanned for secrets")
        pragmas = stats.get("allowlist_pragmas", 0)
        if pragmas:
            notes.append(f"{pragmas} line(s) carry `pragma: allowlist secret`")
        return notes
