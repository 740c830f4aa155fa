"""The data every part of the gate shares: findings, scanner results and the report."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from secure_gate.redact import redact, redact_optional


class Severity(enum.IntEnum):
    """One severity scale for every scanner, ordered so that ``a > b`` means worse."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """The lowercase name used in config, CLI and reports."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse a lowercase label; raises ``ValueError`` naming the allowed values."""
        try:
            return cls[value.strip().upper()]
        except KeyError:
            allowed = ", ".join(s.label for s in reversed(cls))
            raise ValueError(f"unknown severity {value!r} (allowed: {allowed})") from None


class Confidence(enum.IntEnum):
    """How sure a scanner is that a finding is real, ordered like :class:`Severity`."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        """The lowercase name used in config, CLI and reports."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Confidence:
        """Parse a lowercase label; raises ``ValueError`` naming the allowed values."""
        try:
            return cls[value.strip().upper()]
        except KeyError:
            allowed = ", ".join(c.label for c in reversed(cls))
            raise ValueError(f"unknown confidence {value!r} (allowed: {allowed})") from None


class Status(enum.Enum):
    """How a scanner's run ended."""

    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


# A scanner tags a finding that is an idiom of test code (bandit's B101 ``assert``, ...):
# the policy leaves it out of the report in classes whose ``test-idioms`` is off.
TEST_IDIOM = "test-idiom"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in the repository: a repo-relative POSIX path and 1-based positions."""

    path: str
    line: int | None = None
    end_line: int | None = None
    column: int | None = None
    end_column: int | None = None

    def __post_init__(self) -> None:
        if not self.path or self.path.startswith("/"):
            raise ValueError(f"location path must be repo-relative, got {self.path!r}")
        for name in ("line", "end_line", "column", "end_column"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be 1-based, got {value}")
        if self.line is not None and self.end_line is not None and self.end_line < self.line:
            object.__setattr__(self, "end_line", self.line)


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not block: its kind (``baseline``, ``ledger``) and the reason."""

    kind: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", redact(self.reason))


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem one scanner found, with the policy's verdict on it.

    Build findings with :meth:`create`, which hashes the evidence at once so that no
    secret text is ever held; the policy fills in ``blocking``, ``new`` and
    ``suppressed`` and the runner the ``fingerprint``.
    """

    scanner: str
    rule: str
    title: str
    severity: Severity
    confidence: Confidence
    location: Location
    message: str
    evidence: str
    help_uri: str | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    fix: str | None = None
    published: str | None = None  # when the problem became known (an advisory's date)
    fixed_in: str | None = None  # the lowest version that fixes it (dependency findings)
    fingerprint: str = ""
    blocking: bool = False
    new: bool | None = None
    new_reason: str | None = None
    suppression: Suppression | None = None
    path_class: str = "product"  # the policy's class of the path (secure_gate.filekinds)
    not_blocking: str | None = None  # why the class policy keeps it from blocking

    def __post_init__(self) -> None:
        # Text built from repository lines never carries a URL credential, in any output.
        for name in ("title", "message"):
            object.__setattr__(self, name, redact(getattr(self, name)))
        for name in ("fix", "new_reason", "help_uri"):
            object.__setattr__(self, name, redact_optional(getattr(self, name)))

    @classmethod
    def create(
        cls,
        *,
        scanner: str,
        rule: str,
        title: str,
        severity: Severity,
        confidence: Confidence,
        location: Location,
        message: str,
        evidence: str,
        help_uri: str | None = None,
        tags: Iterable[str] = (),
        aliases: Iterable[str] = (),
        fix: str | None = None,
        published: str | None = None,
        fixed_in: str | None = None,
    ) -> Finding:
        """Make a finding; ``evidence`` is normalised and hashed here, never stored."""
        if not rule:
            raise ValueError("a finding needs a rule id")
        return cls(
            scanner=scanner,
            rule=rule,
            title=title or rule,
            severity=severity,
            confidence=confidence,
            location=location,
            message=message,
            evidence=evidence_digest(evidence),
            help_uri=help_uri or None,
            tags=tuple(tags),
            aliases=tuple(aliases),
            fix=fix,
            published=published,
            fixed_in=fixed_in,
        )

    @property
    def suppressed(self) -> bool:
        """True when a baseline or the suppression ledger covers this finding."""
        return self.suppression is not None

    def replace(self, **changes: object) -> Finding:
        """A copy with ``changes`` applied (findings are immutable)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def sort_key(self) -> tuple[int, int, str, int, str, str, str]:
        """Blocking first, then worst first, then by place: every output uses this order."""
        return (
            0 if self.blocking else 1,
            -int(self.severity),
            self.location.path,
            self.location.line or 0,
            self.scanner,
            self.rule,
            self.fingerprint,
        )


def evidence_digest(evidence: str) -> str:
    """Hash whitespace-normalised evidence so fingerprints never carry its text."""
    normalised = " ".join(evidence.split())
    return hashlib.sha256(b"secure-gate-evidence-v1\0" + normalised.encode("utf-8")).hexdigest()


def assign_fingerprints(findings: Iterable[Finding]) -> list[Finding]:
    """Give each finding a fingerprint from scanner, rule, path, evidence and occurrence.

    Line numbers are left out so that findings survive unrelated edits; identical
    evidence in one file is told apart by its occurrence index, counted in line order.
    """
    ordered = sorted(
        findings,
        key=lambda f: (f.scanner, f.rule, f.location.path, f.evidence, f.location.line or 0,
                       f.location.column or 0),
    )
    seen: dict[tuple[str, str, str, str], int] = {}
    out: list[Finding] = []
    for finding in ordered:
        key = (finding.scanner, finding.rule, finding.location.path, finding.evidence)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        material = "\0".join((*key, str(occurrence))).encode("utf-8")
        digest = hashlib.sha256(b"secure-gate-fingerprint-v1\0" + material).hexdigest()[:32]
        out.append(finding.replace(fingerprint=digest))
    return out


@dataclass(frozen=True, slots=True)
class ScannerResult:
    """How one scanner's run ended and what it found."""

    name: str
    version: str | None
    status: Status
    message: str | None
    duration_s: float
    findings: tuple[Finding, ...] = ()
    files_scanned: int = 0
    notes: tuple[str, ...] = ()
    stats: tuple[tuple[str, int], ...] = ()
    # What the scanner declares about itself, for renderers: where its tool is documented
    # and how one of its findings is silenced on its own line.
    information_uri: str | None = None
    inline_suppression: str | None = None

    def __post_init__(self) -> None:
        # Notes quote manifest lines, errors quote tool output: no URL credential in either.
        object.__setattr__(self, "message", redact_optional(self.message))
        object.__setattr__(self, "notes", tuple(map(redact, self.notes)))

    def stat(self, key: str) -> int:
        """A named counter (for example ``nosec``), 0 when the scanner did not set it."""
        return dict(self.stats).get(key, 0)


@dataclass(frozen=True, slots=True)
class FileStats:
    """What the file walk saw: every file is counted somewhere, none silently dropped."""

    total: int = 0
    scanned: int = 0
    excluded: int = 0
    binary: int = 0
    oversized: int = 0
    not_utf8: int = 0
    symlinks: int = 0
    unreadable: int = 0
    samples: tuple[tuple[str, str], ...] = ()

    def not_scanned(self) -> list[tuple[str, int]]:
        """(why, how many) for every non-zero reason a file was not scanned, for reports."""
        return [(why, count) for why, count in (
            ("excluded", self.excluded), ("binary", self.binary),
            ("over the size limit", self.oversized), ("symlinks", self.symlinks),
            ("unreadable", self.unreadable)) if count]


@dataclass(frozen=True, slots=True)
class Policy:
    """The thresholds a report was judged by (``fail_on`` None means never fail)."""

    fail_on: Severity | None
    min_confidence: Confidence
    on_scanner_error: str = "fail"

    @property
    def fail_on_label(self) -> str:
        """``never`` or the threshold's label (``Severity.INFO`` is 0: never test it for truth)."""
        return "never" if self.fail_on is None else self.fail_on.label


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One edit the judged change makes to the gate's own policy (config, ledger, baseline).

    ``effect`` is ``relaxes``, ``tightens`` or ``changes`` (neither clearly); ``path`` and
    ``line`` point at the change's config file, where an annotation goes.
    """

    key: str
    before: str
    after: str
    effect: str
    path: str | None = None
    line: int | None = None

    def describe(self) -> str:
        """``fail-on high → critical`` (``+``/``-`` for entries added or removed)."""
        if not self.before:
            return f"{self.key}: + {self.after}"
        if not self.after:
            return f"{self.key}: - {self.before}"
        return f"{self.key} {self.before} → {self.after}"


@dataclass(frozen=True, slots=True)
class Report:
    """Everything one run of the gate produced; the renderers' only input."""

    tool_version: str
    policy: Policy
    scanners: tuple[ScannerResult, ...]
    findings: tuple[Finding, ...]
    files: FileStats
    passed: bool
    exit_code: int
    reasons: tuple[str, ...] = ()
    repository_url: str | None = None
    commit: str | None = None
    diff_base: str | None = None
    notices: tuple[str, ...] = ()
    # Diff mode: each changed path and its added or changed lines (None: not a diff).
    changed_lines: Mapping[str, frozenset[int]] | None = field(default=None, compare=False,
                                                               hash=False)
    # A matrix shard's own part, for ``secure-gate merge`` (secure_gate/shards.py); None
    # outside ``scan --shard K/N``.
    shard: Mapping[str, object] | None = field(default=None, compare=False, hash=False)
    # Where the policy was read from, and the change's own edits to it (diff mode).
    policy_source: str | None = None
    policy_changes: tuple[PolicyChange, ...] = ()
    policy_in_effect: bool = False  # True when the change's own policy judged it (head)
    show: str = "all"  # what the text and markdown bodies list: blocking, new or all

    def __post_init__(self) -> None:
        object.__setattr__(self, "reasons", tuple(map(redact, self.reasons)))
        object.__setattr__(self, "notices", tuple(map(redact, self.notices)))

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """The findings that fail the gate."""
        return tuple(f for f in self.findings if f.blocking)

    @property
    def nothing_scanned(self) -> bool:
        """No file reached a scanner (nothing tracked, or a path that matches nothing): a
        pass then says nothing about the code, and every report says so."""
        return self.files.scanned == 0

    def nothing_scanned_line(self) -> str:
        """Why nothing was scanned, in one sentence for every renderer."""
        skipped = self.files.not_scanned()
        seen = (f"the walk found {self.files.total} file(s), none scannable ("
                + ", ".join(f"{count} {why}" for why, count in skipped) + ")"
                if self.files.total and skipped else
                f"the walk found {self.files.total} file(s)")
        return (f"nothing was scanned: {seen}; check that the files are committed (git "
                "add) and that the paths and excludes name them")

    def scanner(self, name: str) -> ScannerResult | None:
        """The result of the named scanner, if it ran."""
        return next((s for s in self.scanners if s.name == name), None)
