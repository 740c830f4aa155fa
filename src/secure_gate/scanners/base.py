"""The small protocol every scanner adapter implements, and what it is given and returns."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from secure_gate import filekinds
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Finding
from secure_gate.options import Option
from secure_gate.workers.pool import WorkerPool


@dataclass(frozen=True, slots=True)
class ScanJob:
    """What a scanner is asked to do: these files, with these options, by this deadline."""

    root: Path
    files: tuple[RepoFile, ...]
    fileset: FileSet
    options: Mapping[str, Any]
    jobs: int
    deadline: float
    cache_dir: Path | None = None
    pool: WorkerPool | None = None
    classes: filekinds.Classifier = filekinds.DEFAULT  # the path classes of the config
    # Classes whose unparsable files are notices (config `classes.<c>.parse-errors: notice`).
    lenient: frozenset[str] = frozenset({filekinds.TESTS, filekinds.FIXTURES})

    def parse_error_is_notice(self, path: str) -> bool:
        """True when a file at ``path`` that cannot be parsed is test data: a notice."""
        return self.classes(path) in self.lenient

    def remaining(self) -> float:
        """Seconds left before the scanner's timeout (at least a little)."""
        return max(0.1, self.deadline - time.monotonic())


@dataclass(slots=True)
class ScanOutcome:
    """What a scanner returns. Any ``errors`` make its status ``error`` (fail closed)."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    files_scanned: int = 0
    # Per-file scanners: each file's counters (summed into ``stats``) and the files named in
    # ``errors``, so that the cache keeps exactly the files that scanned cleanly.
    file_stats: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_paths: set[str] = field(default_factory=set)


class Scanner(Protocol):
    """A scanner adapter.

    ``select`` picks the files it wants from the walk; ``scan`` runs the tool and parses
    what it said into findings. Parsing lives in pure functions of each module so that it
    is tested on recorded output.

    Optional class attributes: ``per_file = True`` when each file's findings depend on that
    file alone (diff mode then rescans only changed files, and results are cached per file);
    ``diff_by_line = True`` when a finding is new exactly when its own line changed (pinned
    dependencies); ``runs_without_files = True`` to be called even when ``select`` is empty.
    An optional ``describe(stats, fileset) -> list[str]`` turns merged counters (fresh and
    cached) into report notes; an optional static ``check_options(options) -> str | None``
    names options that do not go together (a configuration error, exit 2). An optional
    ``same_as = {rule: ((scanner, rule), ...)}`` declares the findings of another scanner
    that are the same problem as this scanner's ``rule`` on the same line; they are reported
    once (``secure_gate.duplicates``).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    default_timeout: ClassVar[float]
    options: ClassVar[Mapping[str, Option]]

    def version(self) -> str | None:
        """The underlying tool's version (None if it is not installed)."""

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """The files this scanner reads."""

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Scan ``job.files``; raise :class:`secure_gate.errors.ScannerError` if it cannot."""


def package_version(dist: str) -> str | None:
    """The installed version of a distribution, or None when it is missing."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
