"""The words every renderer uses for the change's own policy edits (each escapes them itself)."""

from __future__ import annotations

from secure_gate.model import PolicyChange, Report


def headline(report: Report) -> str | None:
    """``this change relaxes the policy: fail-on high → critical; takes effect after merge``."""
    changes = report.policy_changes
    if not changes:
        return None
    relaxing = [c for c in changes if c.effect == "relaxes"]
    when = "in effect for this run (policy-from: head)" if report.policy_in_effect \
        else "takes effect after merge"
    if relaxing:
        shown = "; ".join(c.describe() for c in relaxing)
        return f"this change relaxes the policy: {shown}; {when}"
    return f"this change edits the policy ({len(changes)} edit(s), none relaxing); {when}"


def where(change: PolicyChange) -> str:
    """``path:line`` of the edit, or ``''``."""
    if change.path is None:
        return ""
    return change.path + (f":{change.line}" if change.line else "")


def source_line(report: Report) -> str | None:
    """Which policy judged this run."""
    if report.policy_source is None:
        return None
    return f"policy read from {report.policy_source}"
