"""Run one practices rule on source text, or the whole scanner on a folder a test writes."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from secure_gate import files
from secure_gate.scanners.base import ScanJob, ScanOutcome
from secure_gate.scanners.practices import PracticesScanner, nosec
from secure_gate.scanners.practices.pysource import Module
from secure_gate.scanners.practices.rules import Hit
from tests.conftest import write_tree


def python_hits(check: Callable[[Module], list[Hit]], source: str,
                path: str = "app/views.py") -> list[Hit]:
    """The hits one Python rule finds in ``source`` (dedented), after ``# nosec``."""
    data = textwrap.dedent(source).encode("utf-8")
    hits = check(Module.parse(path, data))
    return nosec.apply(hits, nosec.python_comments(data))[0]


def lines(hits: list[Hit]) -> list[int]:
    """The lines of the hits, sorted."""
    return sorted(h.line or 0 for h in hits)


def write(root: Path, tree: Mapping[str, str | bytes]) -> Path:
    """Write ``tree`` (dedented) under ``root`` and return it."""
    return write_tree(root, tree, dedent=True)


def scan(root: Path, tree: Mapping[str, str | bytes] | None = None,
         options: Mapping[str, Any] | None = None) -> ScanOutcome:
    """The scanner's outcome over ``tree`` written into ``root``, through the real walk."""
    if tree:
        write(root, tree)
    fileset = files.collect(root)
    scanner = PracticesScanner()
    chosen_options = {"test-files": False, **(options or {})}
    chosen = scanner.select(fileset, chosen_options)
    job = ScanJob(root=fileset.root, files=chosen, fileset=fileset, options=chosen_options,
                  jobs=1, deadline=time.monotonic() + 120)
    return scanner.scan(job)


def places(outcome: ScanOutcome) -> list[tuple[str, str, int | None]]:
    """(rule, path, line) of every finding, sorted."""
    return sorted(((f.rule, f.location.path, f.location.line) for f in outcome.findings),
                  key=lambda p: (p[0], p[1], p[2] or 0))
