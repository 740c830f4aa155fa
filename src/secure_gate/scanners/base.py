"""The small protocol every scanner adapter implements, and what it is given and returns."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from secure_gate import filekinds
from secure_gate.edits import FixOutcome, Unfixed
from secure_gate.files import FileSet, RepoFile
from secure_gate.model import Finding
from secure_gate.net.http import ServiceError, down
from secure_gate.net.services import Services
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

    def add(self, other: ScanOutcome) -> None:
        """Take in another part's findings, errors, notes and counters (the one merge)."""
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.notes.extend(other.notes)
        self.files_scanned += other.files_scanned
        self.file_stats.update(other.file_stats)
        self.failed_paths.update(other.failed_paths)
        for key, value in other.stats.items():
            self.stats[key] = self.stats.get(key, 0) + value

    def merged(self, other: ScanOutcome) -> ScanOutcome:
        """A new outcome holding this one's parts, then ``other``'s."""
        out = ScanOutcome()
        out.add(self)
        out.add(other)
        return out


@dataclass(frozen=True, slots=True)
class FixJob:
    """What a scanner's fixer is asked (``secure-gate fix``): edit ``findings`` away.

    ``root`` is the copy being fixed (never the repository itself); ``read`` gives a file's
    current text there with its line endings as they are. ``pin_ranges`` is ``--pin``: pin
    requirements that accept a range, not only add hashes to pinned ones.
    ``scanner_options`` holds every scanner's options (paths made absolute), for a fixer that
    chooses by another's data (``--pin`` picks versions by the audit's advisory source).
    """

    root: Path
    findings: tuple[Finding, ...]
    options: Mapping[str, Any]
    services: Services
    pin_ranges: bool = False
    # Where each file of the copy is, by the path findings name (odd bytes in a name are
    # spelled ``\\xNN`` in the path, not on disk).
    where: Mapping[str, Path] = field(default_factory=dict)
    scanner_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def read(self, path: str) -> str:
        """The text of ``path`` (a finding's path), endings kept; ``ValueError`` when it is
        not UTF-8 text or cannot be read."""
        try:
            with self.where.get(path, self.root / path).open(encoding="utf-8",
                                                             newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path} cannot be read as UTF-8 text: {exc}") from None
        return text.removeprefix("\ufeff")


def unanswered(exc: ServiceError, findings: Sequence[Finding]) -> FixOutcome:
    """What a fixer leaves when a service it needs cannot answer: its findings unfixed, the
    error kept (exit 3); the fixers that did not need it still make their edits (a
    rate-limited GitHub API does not keep requirements from their hashes)."""
    return FixOutcome(unfixed=[Unfixed(f.location.path, f.location.line,
                                       f"{f.scanner}/{f.rule}",
                                       f"{exc.service} could not answer") for f in findings],
                      errors=[down(exc)])


@dataclass(frozen=True, slots=True)
class HookSpec:
    """A scanner's own pre-commit hook: its id, what it says, and which staged files it gets."""

    id: str
    name: str
    description: str
    types: tuple[str, ...] = ()
    files: str | None = None
    pass_filenames: bool = True
    # Options in the entry itself: a user's `args:` come after them (the last value wins), so
    # they are defaults that `args:` can change but never loses, unlike the manifest's `args`.
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Flag:
    """A command-line flag (and the Action input of the same name) that sets a scanner option.

    ``--osv-url URL`` sets ``scanners.pip-audit.options.osv-url``; a flag wins over the file.
    """

    option: str
    metavar: str
    help: str
    must_exist: bool = False  # a path that must exist (relative to the repository)
    replaces: tuple[str, ...] = ()  # options of the same scanner this flag switches off


class Scanner(ABC):
    """The base of every scanner adapter: every capability is declared here with its default.

    ``select`` picks the files it wants from the walk; ``scan`` runs the tool and parses what
    it said into findings. Parsing lives in pure functions of each package so that it is
    tested on recorded output. A subclass sets ``name``, ``description`` and ``hook`` and
    implements ``version``, ``select`` and ``scan``; everything else has a default here.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    hook: ClassVar[HookSpec]
    default_timeout: ClassVar[float] = 600.0
    options: ClassVar[Mapping[str, Option]] = {}
    # Each file's findings depend on that file alone: diff mode rescans only changed files and
    # results are cached per file.
    per_file: ClassVar[bool] = False
    # Also scan the blobs each commit of the change added (secure_gate.history): what the
    # scanner finds is published once committed, even when a later commit removes it.
    history: ClassVar[bool] = False
    # Reads every text file the walk found (diff mode files unscanned-file findings under it).
    reads_all_text: ClassVar[bool] = False
    # A finding is new exactly when its own line changed (pinned dependencies).
    diff_by_line: ClassVar[bool] = False
    # Called even when ``select`` chose no file (repository-level checks).
    runs_without_files: ClassVar[bool] = False
    # The module that serves this scanner's batches in the worker pool (``run(request)`` and
    # ``preload()``), or None for scanners that run in the gate's own process.
    worker: ClassVar[str | None] = None
    # Workers that grow with what they parse: the pool runs as many as fit in the available
    # memory at ``worker_peak_mb`` (a measured peak, workers/sizing.py).
    memory_heavy: ClassVar[bool] = False
    worker_peak_mb: ClassVar[int] = 0
    # Flags (and Action inputs) that set this scanner's options, by flag name.
    flags: ClassVar[Mapping[str, Flag]] = {}
    # Where the tool is documented (SARIF ``informationUri``), and how a finding of this
    # scanner is silenced on its own line (shown by the hook report), if it can be.
    information_uri: ClassVar[str | None] = None
    inline_suppression: ClassVar[str | None] = None
    # Findings of another scanner that are the same problem as one of this scanner's rules on
    # the same line, reported once (``secure_gate.duplicates``):
    # ``{rule: ((scanner, rule), ...)}``.
    same_as: ClassVar[Mapping[str, tuple[tuple[str, str], ...]]] = {}
    # ``secure-gate fix`` can edit some of this scanner's findings away (``fix``).
    fixes: ClassVar[bool] = False

    @abstractmethod
    def version(self) -> str | None:
        """The underlying tool's version (None if it is not installed)."""

    @abstractmethod
    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """The files this scanner reads."""

    @abstractmethod
    def scan(self, job: ScanJob) -> ScanOutcome:
        """Scan ``job.files``; raise :class:`secure_gate.errors.ScannerError` if it cannot."""

    def fix(self, job: FixJob) -> FixOutcome:
        """Edits that fix ``job.findings`` and what cannot be fixed (``fixes`` scanners)."""
        return FixOutcome()

    def may_read(self, path: str) -> bool:
        """Whether a named file could be one of this scanner's (a hook starts its worker
        early only then); the default says yes to every file."""
        return True

    def describe(self, stats: Mapping[str, int], fileset: FileSet) -> list[str]:
        """Report notes from merged counters (fresh and cached); none by default."""
        return []

    @staticmethod
    def check_options(options: Mapping[str, Any]) -> str | None:
        """Options that do not go together (a configuration error, exit 2), or None."""
        return None

    @staticmethod
    def resolve_paths(options: Mapping[str, Any], root: Path) -> dict[str, Any]:
        """Options that name files, made absolute against the repository ``root`` (a scan of
        a copy elsewhere, such as the staged files, still means the repository's own)."""
        return dict(options)


def package_version(dist: str) -> str | None:
    """The installed version of a distribution, or None when it is missing."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
