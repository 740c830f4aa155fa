"""The SARIF category of this step: unique per workflow, job, step and what it scans."""

from __future__ import annotations

import hashlib
import re

from secure_gate.report.sarif import DEFAULT_CATEGORY, valid_category

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_SEGMENT_LIMIT = 40


def segment(text: str) -> str:
    """``text`` as one category segment: safe characters only, at most 40 of them."""
    return _UNSAFE.sub("-", text).strip("-.")[:_SEGMENT_LIMIT].strip("-.")


def given(value: str) -> str | None:
    """The ``category`` input, as upload-sarif would take it (slashes at the ends dropped),
    or None when empty; ``ValueError`` when it is not path-like and printable."""
    value = value.strip().strip("/")
    if not value:
        return None
    if not valid_category(value):
        raise ValueError("use letters, digits and . _ ~ @ + = : - in /-separated parts "
                         "(at most 200 characters)")
    return value


def default(workflow: str, job: str, step: str, scanned: tuple[str, ...]) -> str:
    """``secure-gate/<workflow>/<job>/<hash>``.

    The workflow's name and the job's id tell workflows and jobs apart; the hash of the
    step's id and of what it scans (path, scanners, config) tells apart two steps in one
    job and matrix legs that scan different things. Legs that scan the same thing the same
    way get the same category, which is right: their results are the same. Set the input
    (for example to a matrix value) to keep them apart anyway.
    """
    digest = hashlib.sha256("\0".join((step, *scanned)).encode("utf-8", "surrogatepass"))
    parts = [DEFAULT_CATEGORY, segment(workflow) or "workflow", segment(job) or "job",
             digest.hexdigest()[:8]]
    return "/".join(parts)
