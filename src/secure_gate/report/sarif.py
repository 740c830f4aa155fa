"""SARIF 2.1.0 for GitHub code scanning: one run per scanner, within GitHub's upload limits."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from secure_gate.model import Finding, Report, ScannerResult, Status
from secure_gate.report.escape import reveal, sarif_text, url_component
from secure_gate.report.rendered import Rendered, plural
from secure_gate.report.sarif_rules import MAX_TEXT, bounded, result_level, rule_descriptor

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "secureGate/v1"
PROJECT_URI = "https://github.com/secure-gate/secure-gate"


@dataclass(frozen=True, slots=True)
class SarifLimits:
    """GitHub's upload limits (a file over any of them is rejected whole).

    ``gzip_bytes`` is measured at zlib's default level, as the upload action compresses,
    with a margin below the documented 10 MB.
    """

    results_per_run: int = 25_000
    runs: int = 20
    gzip_bytes: int = 9_500_000


DEFAULT_CATEGORY = "secure-gate"
# A category as code scanning takes it (upload-sarif's ``category``): path-like, printable.
_CATEGORY = re.compile(r"[A-Za-z0-9_.~@+=:-]+(?:/[A-Za-z0-9_.~@+=:-]+)*")
_REPOSITORY_URL = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._-]+)+")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def valid_category(category: str) -> bool:
    """True for a category such as ``secure-gate/ci/gate/3f2a`` (no empty segment)."""
    return len(category) <= 200 and bool(_CATEGORY.fullmatch(category))


def render_sarif(report: Report, *, category: str = DEFAULT_CATEGORY) -> str:
    """The report as a SARIF 2.1.0 log that GitHub code scanning accepts."""
    return sarif_document(report, category=category).text


def sarif_document(report: Report, limits: SarifLimits | None = None, *,
                   category: str = DEFAULT_CATEGORY) -> Rendered:
    """The SARIF log, plus a notice for each thing cut to stay within ``limits``.

    A run is written for every scanner that ran (``ok`` or ``error``), even with no
    results, because code scanning closes an alert only when a run of its category is
    uploaded without it. Skipped scanners get no run, so their alerts stay as they were.
    Cuts drop the findings at the end of the report's order: the least severe first,
    blocking ones last. Each run's ``automationDetails.id`` is ``<category>/<scanner>/``,
    so uploads of other workflows, jobs or matrix legs (other categories) never close
    each other's alerts.
    """
    if not valid_category(category):
        raise ValueError(f"not a SARIF category: {category!r}")
    limits = limits or SarifLimits()
    notices: list[str] = []
    ran = [s for s in report.scanners if s.status is not Status.SKIPPED]
    if len(ran) > limits.runs:
        left = ", ".join(reveal(s.name) for s in ran[limits.runs:])
        notices.append(f"SARIF truncated: {plural(len(ran) - limits.runs, 'run')} left out "
                       f"(GitHub accepts {limits.runs} per file): {left}")
        ran = ran[:limits.runs]
    names = {s.name for s in ran}
    per_run: Counter[str] = Counter()
    kept: list[Finding] = []
    for finding in report.findings:
        if finding.scanner in names:
            per_run[finding.scanner] += 1
            if per_run[finding.scanner] <= limits.results_per_run:
                kept.append(finding)
    text = _dump(report, ran, kept, per_run, limits, category)
    if _gzipped(text) > limits.gzip_bytes:
        # Binary search for the longest prefix of findings that fits.
        low, high = 0, len(kept) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if _gzipped(_dump(report, ran, kept[:middle], per_run, limits, category)
                        ) <= limits.gzip_bytes:
                low = middle
            else:
                high = middle - 1
        kept = kept[:low]
        text = _dump(report, ran, kept, per_run, limits, category)
    dropped = sum(per_run.values()) - len(kept)
    if dropped:
        notices.append(f"SARIF truncated: {_cut_message(dropped, limits)}")
    return Rendered(text, tuple(notices))


def _cut_message(dropped: int, limits: SarifLimits) -> str:
    return (f"{plural(dropped, 'result')} left out to stay within GitHub's limits "
            f"({limits.results_per_run:,} results per run, {limits.gzip_bytes:,} bytes "
            "gzipped); the least severe were dropped first. The JSON report lists them all.")


def _gzipped(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))


def _dump(report: Report, ran: Sequence[ScannerResult], kept: Sequence[Finding],
          totals: Counter[str], limits: SarifLimits, category: str) -> str:
    by_scanner: dict[str, list[Finding]] = {s.name: [] for s in ran}
    for finding in kept:
        by_scanner[finding.scanner].append(finding)
    runs = [_run(report, s, by_scanner[s.name], totals[s.name], limits, category)
            for s in ran]
    if not runs:
        runs = [_own_run(report, category)]
    provenance = _provenance(report)
    if provenance:
        for run in runs:
            run["versionControlProvenance"] = provenance
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": runs}
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def _driver(scanner: ScannerResult | None, version: str | None, rules: list[dict[str, Any]]
            ) -> dict[str, Any]:
    # Distinct driver names keep runs apart: GitHub rejects a file whose runs collide.
    name = "secure-gate" if scanner is None else f"secure-gate/{scanner.name}"
    uri = (scanner.information_uri if scanner else None) or PROJECT_URI
    driver: dict[str, Any] = {"name": name, "informationUri": uri}
    if version:
        driver["version"] = reveal(version)[:100]
    driver["rules"] = rules
    return driver


def _notification(level: str, descriptor: str, text: str) -> dict[str, Any]:
    return {"level": level, "descriptor": {"id": descriptor},
            "message": {"text": bounded(text, MAX_TEXT, sarif_text)}}


def _provenance(report: Report) -> list[dict[str, str]]:
    """The repository and commit analysed (the PR head in the Action), when both are plain."""
    url, commit = report.repository_url, report.commit
    if url and commit and _REPOSITORY_URL.fullmatch(url) and _COMMIT.fullmatch(commit):
        return [{"repositoryUri": url, "revisionId": commit}]
    return []


def _run(report: Report, result: ScannerResult, findings: list[Finding], total: int,
         limits: SarifLimits, category: str) -> dict[str, Any]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.rule, []).append(finding)
    ids = sorted(grouped)
    index = {rule: i for i, rule in enumerate(ids)}
    notifications = []
    if result.status is Status.ERROR:
        notifications.append(_notification(
            "error", "scanner-error",
            f"{result.name} did not complete: {result.message or 'no reason given'}"))
    if total > len(findings):
        notifications.append(_notification(
            "warning", "results-truncated",
            _cut_message(total - len(findings), limits)))
    notifications.extend(_notification("note", "scanner-note", note) for note in result.notes)
    invocation: dict[str, Any] = {"executionSuccessful": result.status is Status.OK}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "tool": {"driver": _driver(result, result.version,
                                   [rule_descriptor(r, grouped[r]) for r in ids])},
        "automationDetails": {"id": f"{category}/{result.name}/"},
        "invocations": [invocation],
        "results": [_result(f, index[f.rule]) for f in findings],
        "properties": {"secureGateVersion": report.tool_version,
                       "filesScanned": result.files_scanned},
    }


def _own_run(report: Report, category: str) -> dict[str, Any]:
    """With no scanner run at all, one empty run of the gate itself keeps the log valid."""
    return {
        "tool": {"driver": _driver(None, report.tool_version, [])},
        "automationDetails": {"id": f"{category}/"},
        "invocations": [{"executionSuccessful": True}],
        "results": [],
    }


def _region(finding: Finding) -> dict[str, int]:
    loc = finding.location
    if loc.line is None:
        # GitHub shows a result only with a startLine; a file-level finding gets line 1.
        return {"startLine": 1}
    region = {"startLine": loc.line}
    end_line = loc.end_line if loc.end_line is not None else loc.line
    if end_line != loc.line:
        region["endLine"] = end_line
    if loc.column is not None:
        region["startColumn"] = loc.column
        # Our end column is inclusive; SARIF's is exclusive.
        if loc.end_column is not None and (end_line != loc.line or loc.end_column >= loc.column):
            region["endColumn"] = loc.end_column + 1
    return region


def _fingerprint(finding: Finding) -> str:
    if finding.fingerprint:
        return finding.fingerprint
    material = "\0".join((finding.scanner, finding.rule, finding.location.path, finding.evidence))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    text = finding.message or finding.title or finding.rule
    if finding.fix:
        text += f"\n\nFix: {finding.fix}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": result_level(finding),
        "message": {"text": bounded(text, MAX_TEXT, sarif_text)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": url_component(finding.location.path),
                                 "uriBaseId": "%SRCROOT%"},
            "region": _region(finding),
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding)},
        "properties": {"severity": finding.severity.label,
                       "confidence": finding.confidence.label,
                       "blocking": finding.blocking, "new": finding.new},
    }
    if finding.suppression is not None:
        why = f"{finding.suppression.kind}: {finding.suppression.reason}"
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": bounded(why, MAX_TEXT, reveal)}]
    return result
