"""Measure the practices rules on the benchmark sdists and this repository: findings per rule,
per 100k lines, with every finding listed for review (``--list``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "bench"))

import corpus  # type: ignore[import-not-found]  # noqa: E402 - bench/corpus.py

from secure_gate import files  # noqa: E402
from secure_gate.scanners.base import ScanJob  # noqa: E402
from secure_gate.scanners.practices import PracticesScanner  # noqa: E402
from secure_gate.scanners.practices.rules import RULES  # noqa: E402

_SKIP_DIRS = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules", ".tox"})


def _walk(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel = os.path.relpath(dirpath, root)
        out.extend(n if rel == "." else f"{rel}/{n}" for n in sorted(filenames))
    return out


def measure(name: str, root: Path, listing: list[str] | None, show: bool,
            options: dict[str, bool]) -> Counter[str]:
    """Scan ``root`` (its git files, or ``listing``) and print the figures for it."""
    fileset = files.collect(root, listing=listing)
    scanner = PracticesScanner()
    chosen = scanner.select(fileset, options)
    start = time.monotonic()
    outcome = scanner.scan(ScanJob(root=fileset.root, files=chosen, fileset=fileset,
                                   options=options, jobs=1,
                                   deadline=time.monotonic() + 3600))
    elapsed = time.monotonic() - start
    lines = sum(f.abspath.read_bytes().count(b"\n") for f in chosen)
    python_lines = sum(f.abspath.read_bytes().count(b"\n") for f in chosen
                       if f.suffix in (".py", ".pyw"))
    counts = Counter(f.rule for f in outcome.findings)
    print(f"\n## {name}: {len(chosen)} files, {lines:,} lines ({python_lines:,} Python), "
          f"{elapsed:.1f}s")
    for rule in RULES:
        per = counts[rule] * 100_000 / lines if lines else 0.0
        print(f"  {rule:24} {counts[rule]:5}  {per:7.2f} per 100k lines")
    for note in scanner.describe(outcome.stats, fileset):
        print(f"  ({note})")
    for error in outcome.errors:
        print(f"  error: {error}")
    for note in outcome.notes:
        print(f"  note: {note}")
    if show:
        for f in sorted(outcome.findings, key=lambda f: (f.rule, f.location.path,
                                                         f.location.line or 0)):
            where = f.location.path + (f":{f.location.line}" if f.location.line else "")
            print(f"    {f.rule:24} {where}")
    counts["_lines"] = lines
    return counts


def main() -> None:
    """Fetch the corpus if needed, then measure each sdist and this repository."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--list", action="store_true", help="list every finding for review")
    parser.add_argument("--no-self", action="store_true", help="skip this repository")
    parser.add_argument("--extra", type=Path, action="append", default=[], metavar="DIR",
                        help="also measure this folder (walked, not read through git)")
    parser.add_argument("--test-files", action="store_true",
                        help="also check tests and fixtures (the scanner's test-files option)")
    args = parser.parse_args()
    options = {"test-files": args.test_files}
    total: Counter[str] = Counter()
    for entry in corpus.entries():
        root = corpus.fetch(entry)
        # The sdists sit inside this repository's ignored bench/work: list them by walking.
        name = f"{entry['name']} {entry['version']}"
        total += measure(name, root, _walk(root), args.list, options)
    for folder in args.extra:
        total += measure(str(folder), folder.resolve(), _walk(folder), args.list, options)
    if not args.no_self:
        total += measure("secure-gate (this repository)", PROJECT, None, args.list,
                         options)
    lines = total.pop("_lines", 0)
    print(f"\n## all: {lines:,} lines")
    for rule in RULES:
        per = total[rule] * 100_000 / lines if lines else 0.0
        print(f"  {rule:24} {total[rule]:5}  {per:7.2f} per 100k lines")


if __name__ == "__main__":
    main()
