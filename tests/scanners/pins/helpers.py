"""Run the pins scanner over a folder the test writes, through the real file walk."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from secure_gate import files
from secure_gate.scanners.base import ScanJob, ScanOutcome
from secure_gate.scanners.pins import PinsScanner
from tests.conftest import write_tree

HASH = "--hash=sha256:" + "0123456789abcdef" * 4


def write(root: Path, tree: Mapping[str, str | bytes]) -> Path:
    """Write ``tree`` under ``root`` and return it."""
    return write_tree(root, tree)


def scan(root: Path, tree: Mapping[str, str | bytes],
         options: Mapping[str, Any] | None = None) -> ScanOutcome:
    """The scanner's outcome over ``tree`` written into ``root`` (not a git repository)."""
    write(root, tree)
    fileset = files.collect(root)
    scanner = PinsScanner()
    chosen = scanner.select(fileset, options or {})
    job = ScanJob(root=fileset.root, files=chosen, fileset=fileset,
                  options={"require-hashes": False, **(options or {})}, jobs=1,
                  deadline=time.monotonic() + 60)
    return scanner.scan(job)


def places(outcome: ScanOutcome) -> list[tuple[str, str, int]]:
    """(path, rule, line) of every finding, sorted."""
    return sorted((f.location.path, f.rule, f.location.line or 0) for f in outcome.findings)
