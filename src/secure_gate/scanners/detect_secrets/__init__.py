"""detect-secrets adapter: explicit file batches in the worker pool, no verification calls."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from secure_gate import options
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.globs import compile_glob
from secure_gate.model import Confidence, Finding, Location, Severity, Suppression
from secure_gate.options import Option
from secure_gate.scanners import _shards
from secure_gate.scanners.base import HookSpec, ScanJob, Scanner, ScanOutcome, package_version
from secure_gate.scanners.detect_secrets import kinds as secrets_kinds

NAME = "detect-secrets"
HELP_URI = "https://github.com/Yelp/detect-secrets#viewing-results"
_PRAGMA = re.compile(rb"pragma:\s*allowlist[ -](?:nextline[ -])?secret")
_BENIGN_PREFIX = "benign:"


def _check_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None


def _check_glob(value: str) -> None:
    compile_glob(value)


def confidence_for(secret_type: str) -> Confidence:
    """How much a detector's match is to be trusted, at the defaults (see kinds.py)."""
    return secrets_kinds.confidence_for(secrets_kinds.kind_of(secret_type))


def rule_id(secret_type: str) -> str:
    """detect-secrets' type name is the rule id, as the contract says."""
    return secret_type


def parse(document: Mapping[str, Any], resolve: Callable[[str], RepoFile | None],
          heuristics_block: Callable[[str], bool] = lambda path: False,
          private_keys_block: Callable[[str], bool] = lambda path: False) -> ScanOutcome:
    """Turn detect-secrets' baseline-shaped JSON into findings.

    Only the type, place, kind mark and ``hashed_secret`` are read: the hash becomes the
    fingerprint's evidence (hashed again there), so no finding can carry the secret's text.
    ``heuristics_block`` says for a path whether its generic-heuristic matches may block,
    ``private_keys_block`` whether its private keys block in every class (as vendor tokens).
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
            kind = secrets_kinds.kind_of(secret_type)
            if kind == secrets_kinds.GENERIC \
                    and secret.get("secure_gate_kind") == secrets_kinds.CREDENTIAL_URL:
                kind = secrets_kinds.CREDENTIAL_URL
            if kind == secrets_kinds.PRIVATE_KEY and private_keys_block(repo_file.path):
                kind = secrets_kinds.VENDOR
            confidence = secrets_kinds.confidence_for(
                kind, opted_in=kind == secrets_kinds.GENERIC and heuristics_block(repo_file.path))
            outcome.findings.append(Finding.create(
                scanner=NAME,
                rule=rule_id(secret_type),
                title=secret_type,
                severity=Severity.HIGH,
                confidence=confidence,
                location=Location(repo_file.path, line, line),
                message=_message(secret_type, kind),
                evidence=f"{secret_type}\n{secret.get('hashed_secret', '')}",
                help_uri=HELP_URI,
                tags=("security", "secret", kind, "external/cwe/cwe-798"),
            ).replace(suppression=Suppression(
                "inline", "`pragma: allowlist secret` on the line (detect-secrets would not "
                "report it)") if secret.get("secure_gate_allowlisted") else None))
    benign = document.get("secure_gate", {}).get("benign", {})
    for name, counts in (benign.items() if isinstance(benign, dict) else ()):
        repo_file = resolve(str(name))
        if repo_file is None or not isinstance(counts, dict):
            continue
        per_file = outcome.file_stats.setdefault(repo_file.path, {})
        for rule, count in counts.items():
            if isinstance(count, int) and count > 0:
                per_file[_BENIGN_PREFIX + str(rule)] = count
                key = _BENIGN_PREFIX + str(rule)
                outcome.stats[key] = outcome.stats.get(key, 0) + count
    return outcome


def _message(secret_type: str, kind: str) -> str:
    if kind == secrets_kinds.GENERIC:
        return (f"Possible {secret_type} (a generic heuristic, low confidence): if this is a "
                "real credential, remove it, rotate it, and load it from the environment or "
                "a secret store.")
    if kind == secrets_kinds.CREDENTIAL_URL:
        return ("A database or broker URL with a password committed to the repository. Remove "
                "it, rotate the password, and load the URL from the environment or a secret "
                "store.")
    return (f"Possible {secret_type} committed to the repository. Remove it, rotate it, and "
            "load it from the environment or a secret store.")


def long_line_findings(document: Mapping[str, Any], resolve: Callable[[str], RepoFile | None]
                       ) -> list[Finding]:
    """Lines too long to give detect-secrets (the worker's ``MAX_LINE``), each reported."""
    out = []
    long_lines = document.get("secure_gate", {}).get("long_lines", {})
    for name, lines in (long_lines.items() if isinstance(long_lines, dict) else ()):
        repo_file = resolve(str(name))
        if repo_file is None:
            continue
        for number, digest in lines:
            out.append(Finding.create(
                scanner=NAME, rule="line-too-long", title="Line too long to scan for secrets",
                severity=Severity.INFO, confidence=Confidence.HIGH,
                location=Location(repo_file.path, int(number), int(number)),
                message="This line is longer than 20,000 characters, so it was not scanned "
                        "for secrets (some detectors take quadratic time on one long line). "
                        "In diff mode a new such line blocks like an unscanned file.",
                evidence=f"line-too-long\n{digest}", tags=("security",)))
    return out


def count_pragmas(files: list[RepoFile]) -> int:
    """Lines carrying ``pragma: allowlist secret``, so inline suppressions are visible."""
    total = 0
    for f in files:
        try:
            total += len(_PRAGMA.findall(f.abspath.read_bytes()))
        except OSError:
            continue
    return total


class DetectSecretsScanner(Scanner):
    """Runs detect-secrets on every text file the walk found."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "committed credentials: detect-secrets"
    default_timeout: ClassVar[float] = 900.0
    # Each file's findings depend on that file alone (diff mode and the cache rely on it).
    per_file: ClassVar[bool] = True
    # A secret committed and deleted inside a change is still published (secure_gate.history).
    history: ClassVar[bool] = True
    reads_all_text: ClassVar[bool] = True
    worker: ClassVar[str | None] = "secure_gate.scanners.detect_secrets.worker"
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-secrets", "secure-gate: detect-secrets",
        "detect-secrets on staged text files; never prints a secret.", types=("text",))
    information_uri: ClassVar[str | None] = "https://github.com/Yelp/detect-secrets"
    inline_suppression: ClassVar[str | None] = "`# pragma: allowlist secret` on the line"
    options: ClassVar[Mapping[str, Option]] = {
        "fast": options.boolean(
            True, "skip detectors that provably cannot match a line (same findings, less "
                  "time; see secure_gate/scanners/detect_secrets/fast.py)"),
        "disable-plugins": options.string_list(
            "detect-secrets plugin class names to turn off, e.g. IPPublicDetector",
            item_pattern=r"[A-Za-z][A-Za-z0-9]*"),
        "exclude-lines": options.string_list(
            "regular expressions: lines matching any are not scanned",
            check=_check_regex),
        "heuristics-block-in": options.string_list(
            "globs of paths where generic-heuristic matches (keyword, entropy, basic auth) "
            "are medium confidence and so block; elsewhere they are low confidence and "
            "reported only (default: none; ['**'] for everywhere)", check=_check_glob),
        "private-keys-block-in": options.string_list(
            "globs of paths where a private key blocks in every path class, tests and "
            "fixtures included, as a vendor token does; elsewhere a private key in the tests "
            "or fixtures class is reported, not blocking (default: none; ['**'] for "
            "everywhere)", check=_check_glob),
        "known-benign": options.boolean(
            True, "drop generic-heuristic matches of known-benign shapes (commit SHAs, "
                  "lock-file hashes, digests, the gate's fingerprints, placeholders, "
                  "environment reads), counted in the notes"),
        "own-detectors": options.boolean(
            True, "also run secure-gate's detectors for credential formats detect-secrets "
                  "does not know (fine-grained GitHub PATs, OpenAI project keys, Anthropic, "
                  "GCP service accounts, Hugging Face, Databricks, Shopify, npm)"),
    }

    def version(self) -> str | None:
        """detect-secrets' installed version."""
        return package_version("detect-secrets")

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Every text file: UTF-8 as it is, any other through its lossless Latin-1 copy
        (detect-secrets alone skips such a file whole, without a word)."""
        return tuple(f for f in fileset.files if f.utf8 or f.text_copy is not None)

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Scan the files in batches with detect-secrets' own scan, in the worker pool."""
        if self.version() is None:
            raise ScannerError("detect-secrets is not installed in secure-gate's environment")
        by_abs = {os.path.normpath(str(f.text_copy or f.abspath)): f for f in job.files}

        def resolve(name: str) -> RepoFile | None:
            return by_abs.get(os.path.normpath(os.path.join(str(job.root), name)))

        def payload(batch: list[RepoFile]) -> dict[str, Any]:
            return {"root": str(job.root),
                    "files": [str(f.text_copy or f.abspath) for f in batch],
                    "disable_plugins": list(job.options.get("disable-plugins", ())),
                    "exclude_lines": list(job.options.get("exclude-lines", ())),
                    "fast": bool(job.options.get("fast", True)),
                    "benign_filters": bool(job.options.get("known-benign", True)),
                    "own_detectors": bool(job.options.get("own-detectors", True))}

        globs = [compile_glob(g) for g in job.options.get("heuristics-block-in", ())]

        key_globs = [compile_glob(g) for g in job.options.get("private-keys-block-in", ())]

        def heuristics_block(path: str) -> bool:
            return any(g.fullmatch(path) for g in globs)

        def private_keys_block(path: str) -> bool:
            return any(g.fullmatch(path) for g in key_globs)

        def parse_batch(document: dict[str, Any], batch: list[RepoFile]) -> ScanOutcome:
            part = parse(document, resolve, heuristics_block, private_keys_block)
            part.findings.extend(long_line_findings(document, resolve))
            over = document.get("secure_gate", {}).get("yaml_over_budget", {})
            for f in batch:
                pragmas = count_pragmas([f])
                part.file_stats.setdefault(f.path, {})["allowlist_pragmas"] = pragmas
                if over:
                    whole = os.path.relpath(str(f.abspath), str(job.root))
                    if whole in over:
                        part.file_stats[f.path]["yaml_over_budget"] = 1
                        part.stats["yaml_over_budget"] = part.stats.get("yaml_over_budget",
                                                                        0) + 1
                part.stats["allowlist_pragmas"] = part.stats.get("allowlist_pragmas", 0) + pragmas
            return part

        return _shards.run_batches(job, str(self.worker), payload, parse_batch, NAME)

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """Notes on what detect-secrets could not read and what was allowlisted inline."""
        notes = []
        if fileset.stats.not_utf8:
            notes.append(f"{fileset.stats.not_utf8} file(s) are not UTF-8 text: scanned as "
                         "Latin-1 (every byte kept, every line where it was), which "
                         "detect-secrets alone would have skipped whole")
        over = stats.get("yaml_over_budget", 0)
        if over:
            notes.append(f"{over} YAML file(s) over the YAML budget (larger than 1 MiB, or "
                         "aliases expanding past 250,000 nodes): detect-secrets read them as "
                         "plain lines, without its YAML transformer")
        pragmas = stats.get("allowlist_pragmas", 0)
        if pragmas:
            notes.append(f"{pragmas} line(s) carry `pragma: allowlist secret`")
        benign = {k[len(_BENIGN_PREFIX):]: v for k, v in sorted(stats.items())
                  if k.startswith(_BENIGN_PREFIX) and v}
        if benign:
            shown = ", ".join(f"{rule} {count}" for rule, count in benign.items())
            notes.append(f"{sum(benign.values())} generic-heuristic match(es) of known-benign "
                         f"shapes not reported ({shown}; rules in the README, "
                         "`known-benign: false` reports them)")
        return notes
