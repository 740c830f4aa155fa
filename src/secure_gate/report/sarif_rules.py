"""SARIF levels, security severities and rule descriptors, shared by SARIF and annotations."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from secure_gate.model import Confidence, Finding, Severity
from secure_gate.report.escape import reveal, sarif_markdown, sarif_text, shorten

# GitHub reads a rule's numeric-string ``security-severity``: over 9.0 is critical,
# 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. Each value sits inside its band. ``info``
# gets none: 0.0 would mean "no severity" anyway, and an info rule is not a security
# severity at all (its results still show, by level).
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "2.0",
}
PRECISION: dict[Confidence, str] = {
    Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low",
}
# GitHub keeps 10 tags per rule and rejects files with more than 20.
MAX_TAGS = 10
MAX_NAME = 255
MAX_SHORT_DESCRIPTION = 1024
MAX_TEXT = 4000
# A help link is only written when it is this plain: https, no spaces, quotes or parentheses.
_SAFE_URI = re.compile(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~%!$&*+,;=:@/?#-]*)?")


def result_level(finding: Finding) -> str:
    """``error`` exactly when the finding fails the gate; else by severity.

    A red mark then always agrees with the exit code: blocking → ``error``; otherwise
    critical, high and medium → ``warning``; low and info → ``note``. Annotations use the
    same levels (``note`` is printed as ``notice``).
    """
    if finding.blocking:
        return "error"
    return "warning" if finding.severity >= Severity.MEDIUM else "note"


def safe_uri(uri: str | None) -> str | None:
    """``uri`` when it is a plain https URL that is safe to link, else None."""
    if uri and _SAFE_URI.fullmatch(uri):
        return uri
    return None


def bounded(text: str, limit: int, escape: Callable[[str], str]) -> str:
    """``escape(text)`` cut so that the escaped form has at most ``limit`` characters.

    The text is cut *before* escaping, so no escape sequence is ever split in two.
    """
    size = len(text)
    out = escape(text)
    while len(out) > limit and size > 1:
        size = min(size - 1, size * limit // max(len(out), 1))
        out = escape(shorten(text, size))
    return out


def _uniform(values: Sequence[str | None]) -> str | None:
    first = values[0]
    return first if all(v == first for v in values) else None


def _tags(findings: Sequence[Finding]) -> list[str]:
    tags = ["security"]
    for finding in findings:
        tags.extend(reveal(t)[:100] for t in finding.tags if t.strip())
    return list(dict.fromkeys(tags))[:MAX_TAGS]


def rule_descriptor(rule: str, findings: Sequence[Finding]) -> dict[str, Any]:
    """One ``reportingDescriptor`` from the findings of this rule (in report order).

    The rule takes the worst severity and the highest confidence of its findings; its
    full description is their message when they all share one, else the title.
    """
    first = findings[0]
    title = first.title or rule
    description = _uniform([f.message for f in findings]) or title
    fix = _uniform([f.fix for f in findings])
    uri = safe_uri(first.help_uri)
    help_text = [bounded(title, MAX_TEXT, sarif_text), bounded(description, MAX_TEXT, sarif_text)]
    help_md = [f"**{bounded(title, MAX_TEXT, sarif_markdown)}**",
               bounded(description, MAX_TEXT, sarif_markdown)]
    if fix:
        help_text.append("Fix: " + bounded(fix, MAX_TEXT, sarif_text))
        help_md.append("Fix: " + bounded(fix, MAX_TEXT, sarif_markdown))
    if uri:
        help_text.append(f"More information: {uri}")
        help_md.append(f"[More information]({uri})")
    severity = max(f.severity for f in findings)
    properties: dict[str, Any] = {
        "tags": _tags(findings),
        "precision": PRECISION[max(f.confidence for f in findings)],
    }
    if severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    descriptor: dict[str, Any] = {
        "id": rule,
        "name": bounded(title, MAX_NAME, reveal),
        "shortDescription": {"text": bounded(title, MAX_SHORT_DESCRIPTION, sarif_text)},
        "fullDescription": {"text": bounded(description, MAX_TEXT, sarif_text)},
        "help": {"text": "\n\n".join(help_text), "markdown": "\n\n".join(help_md)},
        "properties": properties,
    }
    if uri:
        descriptor["helpUri"] = uri
    return descriptor
