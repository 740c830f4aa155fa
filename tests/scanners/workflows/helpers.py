"""Run the workflows scanner over a folder the test writes, through the real file walk."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secure_gate import files
from secure_gate.scanners.base import ScanJob, ScanOutcome
from secure_gate.scanners.workflows import WorkflowsScanner
from tests.conftest import FIXTURES, write_tree

FIXTURE = FIXTURES / "workflows"
REPO = FIXTURE / "repo"
RECORDED = FIXTURE / "zizmor-1.32.0-no-ignores.json"


def recorded() -> Any:
    """zizmor 1.32.0's real JSON over the fixture repository (ignored findings included)."""
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def labels() -> dict[str, Any]:
    """The fixture's hand-made labels."""
    data: dict[str, Any] = json.loads((FIXTURE / "labels.json").read_text(encoding="utf-8"))
    return data


def fixture_tree() -> dict[str, bytes]:
    """The fixture repository's files, to copy into a test's own folder."""
    return {p.relative_to(REPO).as_posix(): p.read_bytes() for p in REPO.rglob("*")
            if p.is_file()}


def scan(root: Path, tree: Mapping[str, str | bytes] | None = None,
         options: Mapping[str, Any] | None = None) -> ScanOutcome:
    """The scanner's outcome over ``tree`` written into ``root`` (not a git repository)."""
    write_tree(root, tree or {})
    fileset = files.collect(root)
    scanner = WorkflowsScanner()
    chosen = scanner.select(fileset, options or {})
    job = ScanJob(root=fileset.root, files=chosen, fileset=fileset,
                  options={"persona": "regular", **(options or {})}, jobs=1,
                  deadline=time.monotonic() + 120)
    return scanner.scan(job)


def places(outcome: ScanOutcome, *, suppressed: bool = False) -> list[tuple[str, int, str]]:
    """(path, line, rule) of every finding not suppressed inline (or only of those), sorted."""
    return sorted((f.location.path, f.location.line or 0, f.rule) for f in outcome.findings
                  if (f.suppression is not None) == suppressed)
