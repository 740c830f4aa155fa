"""bandit adapter: bandit's own manager in the worker pool, its JSON parsed in full."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import TEST_IDIOM, Confidence, Finding, Location, Severity, Suppression
from secure_gate.options import Option
from secure_gate.scanners import _shards
from secure_gate.scanners.bandit import ratings
from secure_gate.scanners.base import HookSpec, ScanJob, Scanner, ScanOutcome, package_version

NAME = "bandit"
PYTHON_SUFFIXES = frozenset({".py", ".pyw"})
SEVERITY = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH,
            "UNDEFINED": Severity.LOW}
CONFIDENCE = {"LOW": Confidence.LOW, "MEDIUM": Confidence.MEDIUM, "HIGH": Confidence.HIGH,
              "UNDEFINED": Confidence.LOW}
_COUNTERS = ("nosec", "skipped_tests", "loc")
# B105-B107 quote the suspected password in their message: never repeat it anywhere.
_QUOTED_SECRET = re.compile(r"(Possible hardcoded password:\s*).*", re.DOTALL)


def redact(message: str) -> str:
    """Remove the quoted value bandit puts in its hard-coded-password messages."""
    return _QUOTED_SECRET.sub(r"\1(value withheld)", message)


def parse(
    document: Mapping[str, Any],
    resolve: Callable[[str], RepoFile | None],
    read_lines: Callable[[RepoFile], list[str]],
) -> ScanOutcome:
    """Turn one bandit JSON document into findings, errors and counts.

    ``resolve`` maps bandit's ``filename`` back to the walked file; anything bandit reports
    about a file the gate did not ask for is an error, not a finding to guess at.
    """
    outcome = ScanOutcome()
    for error in document.get("errors", []):
        name = str(error.get("filename", "?"))
        repo_file = resolve(name)
        shown = repo_file.path if repo_file else name
        if repo_file is not None:
            outcome.failed_paths.add(repo_file.path)
        outcome.errors.append(f"bandit could not scan {shown}: {error.get('reason', 'unknown')}")
    for name, metrics in document.get("metrics", {}).items():
        repo_file = resolve(name) if name != "_totals" else None
        if repo_file is None or not isinstance(metrics, dict):
            continue
        counters = {key: int(metrics.get(key, 0) or 0) for key in _COUNTERS}
        outcome.file_stats[repo_file.path] = counters
        for key, value in counters.items():
            outcome.stats[key] = outcome.stats.get(key, 0) + value
    for result in document.get("results", []):
        repo_file = resolve(str(result["filename"]))
        if repo_file is None:
            outcome.errors.append(f"bandit reported a file it was not given: "
                                  f"{result['filename']!r}")
            continue
        line = int(result["line_number"])
        line_range = [int(n) for n in result.get("line_range") or [line]]
        end_line = max([line, *line_range])
        col = result.get("col_offset")
        end_col = result.get("end_col_offset")
        column = int(col) + 1 if isinstance(col, int) and col >= 0 else None
        # bandit's end offset is 0-based exclusive, i.e. the 1-based inclusive last column.
        end_column = int(end_col) if isinstance(end_col, int) and end_col > 0 else None
        if end_line != line or (column and end_column and end_column < column):
            end_column = None
        lines = read_lines(repo_file)
        evidence = "\n".join(lines[line - 1 : end_line]) if lines else ""
        test_id = str(result["test_id"])
        cwe = result.get("issue_cwe") or {}
        tags = ["security"]
        if isinstance(cwe, dict) and cwe.get("id"):
            tags.append(f"external/cwe/cwe-{int(cwe['id'])}")
        if test_id in TEST_IDIOMS:
            tags.append(TEST_IDIOM)
        comment = result.get("secure_gate_nosec")
        severity = SEVERITY.get(str(result.get("issue_severity")), Severity.LOW)
        confidence = CONFIDENCE.get(str(result.get("issue_confidence")), Confidence.LOW)
        rating = ratings.rate(test_id, severity, confidence, lines, line)
        message = redact(str(result.get("issue_text", "")))
        if rating.why is not None:
            tags.append(ratings.RERATED_TAG)
            message += (f" (bandit rates this {severity.label}/{confidence.label}; secure-gate "
                        f"{rating.severity.label}/{rating.confidence.label}: {rating.why})")
        outcome.findings.append(Finding.create(
            scanner=NAME,
            rule=test_id,
            title=str(result.get("test_name") or test_id),
            severity=rating.severity,
            confidence=rating.confidence,
            location=Location(repo_file.path, line, end_line, column, end_column),
            message=message,
            evidence=f"{test_id}\n{evidence}",
            help_uri=str(result.get("more_info") or "") or None,
            tags=tags,
        ).replace(suppression=None if not comment else Suppression(
            "inline", f"`{comment}` on the line (bandit would not report it)")))
    return outcome


# How tests are written, not what the product does: pytest's ``assert`` (B101), the fake
# credentials of a test (B105-B107: real vendor tokens are detect-secrets' and block
# everywhere), temporary paths (B108) and random test data (B311). In the tests and fixtures
# classes the policy leaves them out unless `classes.<class>.test-idioms` is on.
TEST_IDIOMS = frozenset({"B101", "B105", "B106", "B107", "B108", "B311"})


def _read_lines(repo_file: RepoFile) -> list[str]:
    try:
        return repo_file.abspath.read_bytes().decode("utf-8", "replace").splitlines()
    except OSError:
        return []


class BanditScanner(Scanner):
    """Runs bandit on the repository's Python files."""

    name: ClassVar[str] = NAME
    description: ClassVar[str] = "Python code: bandit's security checks"
    default_timeout: ClassVar[float] = 900.0
    # Each file's findings depend on that file alone (diff mode and the cache rely on it).
    per_file: ClassVar[bool] = True
    # bandit's workers keep what they parsed (a worker is replaced past 56 MB, after its
    # batch): the pool runs as many as fit in the available memory at this measured peak
    # (a worker's largest RSS: 65-77 MB on Django 5.2.8, 38-45 MB on Flask 3.1.2; bench/run.py).
    memory_heavy: ClassVar[bool] = True
    worker_peak_mb: ClassVar[int] = 96
    worker: ClassVar[str | None] = "secure_gate.scanners.bandit.worker"
    options: ClassVar[Mapping[str, Option]] = {}
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-bandit", "secure-gate: bandit",
        "bandit on staged Python files, with secure-gate's policy.", types=("python",))
    information_uri: ClassVar[str | None] = "https://bandit.readthedocs.io/"
    inline_suppression: ClassVar[str | None] = "`# nosec <rule>` on the line"

    def version(self) -> str | None:
        """bandit's installed version."""
        return package_version("bandit")

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Python source files (``.py``, ``.pyw``), as ``bandit -r`` would pick them."""
        return tuple(f for f in fileset.files if f.suffix in PYTHON_SUFFIXES)

    def may_read(self, path: str) -> bool:
        """Only Python source can be bandit's."""
        return path.endswith(tuple(PYTHON_SUFFIXES))

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Run bandit's manager over batches of the files in the worker pool."""
        if self.version() is None:
            raise ScannerError("bandit is not installed in secure-gate's environment")
        by_abs = {os.path.normpath(str(f.abspath)): f for f in job.files}

        def resolve(name: str) -> RepoFile | None:
            return by_abs.get(os.path.normpath(os.path.join(str(job.root), name)))

        return _shards.run_batches(
            job, str(self.worker), lambda batch: {"files": [str(f.abspath) for f in batch]},
            lambda document, _batch: parse(document, resolve, _read_lines), "bandit")

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """bandit counts a bare `# nosec` under "nosec" and a `# nosec` naming tests (such as
        `# nosec B602`) under "skipped_tests": both are inline suppressions the report makes
        visible."""
        silenced = stats.get("nosec", 0) + stats.get("skipped_tests", 0)
        return [f"{silenced} result(s) silenced by `# nosec` comments"] if silenced else []
