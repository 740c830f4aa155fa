"""Fixes for pins findings (actions): being built (issue 21); until then each is left as it is."""

from __future__ import annotations

from collections.abc import Sequence

from secure_gate.edits import FixOutcome, Unfixed
from secure_gate.model import Finding
from secure_gate.scanners.base import FixJob


def fix(job: FixJob, findings: Sequence[Finding]) -> FixOutcome:
    """Edits for ``findings`` of ``job``."""
    return FixOutcome(unfixed=[Unfixed(f.location.path, f.location.line, f"pins/{f.rule}",
                                       "this fixer is not built yet") for f in findings])
