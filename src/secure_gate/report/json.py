"""The versioned JSON report (schema v1), converted from the model so refactors don't leak."""

from __future__ import annotations

import json
from typing import Any

from secure_gate.model import Finding, Report, ScannerResult

SCHEMA_VERSION = 1


def finding_v1(finding: Finding) -> dict[str, Any]:
    """One finding as the contract's JSON object (plus compatible extra keys)."""
    loc = finding.location
    return {
        "scanner": finding.scanner,
        "rule": finding.rule,
        "title": finding.title,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "path": loc.path,
        "line": loc.line,
        "end_line": loc.end_line,
        "column": loc.column,
        "end_column": loc.end_column,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "blocking": finding.blocking,
        "new": finding.new,
        "new_reason": finding.new_reason,
        "suppressed": finding.suppressed,
        "suppression": (None if finding.suppression is None else
                        {"kind": finding.suppression.kind, "reason": finding.suppression.reason}),
        "help_uri": finding.help_uri,
        "tags": list(finding.tags),
        "aliases": list(finding.aliases),
        "fix": finding.fix,
        "published": finding.published,
        "class": finding.path_class,
        "not_blocking_reason": finding.not_blocking,
    }


def scanner_v1(result: ScannerResult) -> dict[str, Any]:
    """One scanner's status as the contract's JSON object."""
    return {
        "name": result.name,
        "version": result.version,
        "status": result.status.value,
        "message": result.message,
        "duration_s": result.duration_s,
        "findings": len(result.findings),
        "files_scanned": result.files_scanned,
        "notes": list(result.notes),
        "stats": dict(result.stats),
    }


def to_v1(report: Report) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    files = report.files
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "secure-gate", "version": report.tool_version},
        "passed": report.passed,
        "exit_code": report.exit_code,
        "nothing_scanned": report.nothing_scanned,
        "reasons": list(report.reasons),
        "policy": {
            "fail_on": report.policy.fail_on_label,
            "min_confidence": report.policy.min_confidence.label,
            "on_scanner_error": report.policy.on_scanner_error,
        },
        "scanners": [scanner_v1(s) for s in report.scanners],
        "files": {
            "total": files.total, "scanned": files.scanned, "excluded": files.excluded,
            "binary": files.binary, "oversized": files.oversized, "not_utf8": files.not_utf8,
            "symlinks": files.symlinks, "unreadable": files.unreadable,
            "not_scanned_examples": [{"path": p, "why": why} for p, why in files.samples],
        },
        "diff_base": report.diff_base,
        "policy_source": report.policy_source,
        "policy_changes": [
            {"key": c.key, "before": c.before, "after": c.after, "effect": c.effect,
             "path": c.path, "line": c.line} for c in report.policy_changes],
        "notices": list(report.notices),
        "findings": [finding_v1(f) for f in report.findings],
        **({"shard": dict(report.shard)} if report.shard is not None else {}),
    }


def render_json(report: Report) -> str:
    """The JSON report as text (UTF-8 safe: non-ASCII is escaped)."""
    return json.dumps(to_v1(report), indent=2, ensure_ascii=True) + "\n"
