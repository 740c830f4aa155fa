"""pip-audit adapter: every manifest's exact pins audited, without ever running pip on them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from secure_gate import filekinds
from secure_gate import options as opt
from secure_gate.advisories.db import AdvisoryDB, AdvisoryDBError
from secure_gate.edits import FixOutcome
from secure_gate.errors import ScannerError
from secure_gate.files import FileSet, RepoFile
from secure_gate.manifests import discover
from secure_gate.options import Option
from secure_gate.scanners.base import (
    FixJob,
    Flag,
    HookSpec,
    ScanJob,
    Scanner,
    ScanOutcome,
    package_version,
)
from secure_gate.scanners.pip_audit import findings, runs

if TYPE_CHECKING:  # http.server is imported only when an offline database is served
    from secure_gate.advisories.server import OsvServer

# Every file pip-audit reads as a manifest, and Pipfile (its change can mean a lock is due).
MANIFEST_FILES = filekinds.hook_regex([*filekinds.MANIFESTS, filekinds.PIPFILE])
PYPI_LABEL = "PyPI's vulnerability service (pip-audit's default)"


@dataclass(frozen=True, slots=True)
class Source:
    """Where the vulnerability data comes from for one run of the scanner."""

    service: runs.Service
    db: AdvisoryDB | None = None
    server: OsvServer | None = None

    def describe(self) -> str:
        """The report's note on the data source (offline: size and newest ``modified``)."""
        return "vulnerability data: " + (self.db.describe() if self.db else self.service.label)


@contextlib.contextmanager
def data_source(options: Mapping[str, Any], root: Path) -> Iterator[Source]:
    """The service pip-audit queries for the length of the block.

    With ``advisory-db`` the export is loaded and served on a loopback port that closes
    when the block ends; with ``osv-url`` pip-audit asks that endpoint; otherwise PyPI.
    """
    osv_url, db_path = options.get("osv-url"), options.get("advisory-db")
    if osv_url and db_path:
        raise ScannerError("osv-url and advisory-db are both set for pip-audit; choose one")
    if db_path:
        path = Path(db_path)
        try:
            db = AdvisoryDB.load(path if path.is_absolute() else root / path, shown=db_path)
        except AdvisoryDBError as exc:
            raise ScannerError(f"advisory database {exc}") from None
        from secure_gate.advisories.server import OsvServer

        with OsvServer(db) as server:
            yield Source(runs.Service(("-s", "osv", "--osv-url", server.url),
                                      f"the offline advisory database {db_path} (served at "
                                      f"{server.url})", loopback=True), db, server)
        return
    if osv_url:
        yield Source(runs.Service(("-s", "osv", "--osv-url", osv_url),
                                  f"the OSV service at {osv_url}"))
        return
    yield Source(runs.Service(("-s", "pypi"), PYPI_LABEL))


class PipAuditScanner(Scanner):
    """Audits the exact pins of every Python manifest with pip-audit."""

    name: ClassVar[str] = findings.NAME
    description: ClassVar[str] = "Dependencies: known vulnerabilities of pinned packages"
    default_timeout: ClassVar[float] = 600.0
    # A finding is new exactly when the line that pins the package changed.
    diff_by_line: ClassVar[bool] = True
    hook: ClassVar[HookSpec] = HookSpec(
        "secure-gate-pip-audit", "secure-gate: pip-audit",
        "Known-vulnerable pinned dependencies across the repository's manifests, when one of "
        "them is staged.", files=MANIFEST_FILES, pass_filenames=False)
    information_uri: ClassVar[str | None] = "https://github.com/pypa/pip-audit"
    flags: ClassVar[Mapping[str, Flag]] = {
        # Either replaces the config file's data source.
        "osv-url": Flag("osv-url", "URL", "OSV-compatible vulnerability API",
                        replaces=("advisory-db",)),
        "advisory-db": Flag("advisory-db", "PATH",
                            "offline OSV export (zip or folder of OSV JSON)", must_exist=True,
                            replaces=("osv-url",)),
    }
    options: ClassVar[Mapping[str, Option]] = {
        "osv-url": opt.string(None, "an OSV-compatible query endpoint instead of PyPI",
                              pattern=r"https?://[^\s]+"),
        "advisory-db": opt.string(None, "an offline OSV export: a zip or folder of OSV JSON"),
        "service-timeout": opt.number(15, "seconds to wait for each answer from the service",
                                      minimum=1, maximum=3600, integer=True),
    }

    @staticmethod
    def check_options(options: Mapping[str, Any]) -> str | None:
        """Options that do not go together (the config loader turns this into exit 2)."""
        if options.get("osv-url") and options.get("advisory-db"):
            return "osv-url and advisory-db do not go together: choose one"
        return None

    @staticmethod
    def resolve_paths(options: Mapping[str, Any], root: Path) -> dict[str, Any]:
        """A relative ``advisory-db`` is the repository's own file."""
        out = dict(options)
        db = out.get("advisory-db")
        if isinstance(db, str) and not Path(db).is_absolute():
            out["advisory-db"] = str(root / db)
        return out

    fixes: ClassVar[bool] = True

    def fix(self, job: FixJob) -> FixOutcome:
        """Vulnerable pins raised to the lowest release fixing all their advisories."""
        import secure_gate.scanners.pip_audit.fix as fixing

        return fixing.fix(job)

    def version(self) -> str | None:
        """pip-audit's installed version."""
        return package_version("pip-audit")

    def select(self, fileset: FileSet, options: Mapping[str, Any]) -> tuple[RepoFile, ...]:
        """Every manifest by name (``-r``/``-c`` includes are followed during the scan)."""
        return tuple(f for f in fileset.files if discover.manifest_kind(f.path))

    def scan(self, job: ScanJob) -> ScanOutcome:
        """Read the manifests, audit each distinct exact pin once, report every line."""
        if self.version() is None:
            raise ScannerError("pip-audit is not installed in secure-gate's environment")
        found = discover.inventory(job.files, job.fileset.by_path(), job.root,
                                   lenient=job.parse_error_is_notice)
        outcome = ScanOutcome(files_scanned=len(found.manifests), errors=list(found.errors))
        auditable = [d for d in found.dependencies if d.version is not None]
        pins = {p for d in auditable if (p := findings.pin_of(d)) is not None}
        with data_source(job.options, job.root) as source:
            outcome.notes.append(source.describe())
            audit = runs.Audit()
            if pins:
                audit = runs.audit_all(
                    pins, source.service, remaining=job.remaining,
                    service_timeout=int(job.options.get("service-timeout") or 15),
                    cache_dir=job.cache_dir / "pip-audit" if job.cache_dir else None)
            if source.server is not None:
                outcome.stats["service_queries"] = len(source.server.queries)
        if pins and len(audit.skipped) == len(pins):
            (name, version), reason = sorted(audit.skipped.items())[0]
            raise ScannerError(
                f"{source.service.label} knew none of the {len(pins)} pinned package(s) (for "
                f"example {name} {version}: {reason}); it is unreachable or the wrong service: "
                "use --osv-url or --advisory-db, or disable pip-audit")
        db = source.db
        outcome.findings = findings.build(auditable, audit, db)
        outcome.notes += _notes(found, audit, len(pins), db is not None)
        outcome.stats.update(manifests=len(found.manifests), pins=len(pins),
                             not_audited=len(found.dependencies) - len(auditable),
                             unknown=len(audit.skipped), pip_audit_runs=audit.runs)
        return outcome


def _notes(found: discover.Inventory, audit: runs.Audit, pins: int, offline: bool) -> list[str]:
    notes = [f"{pins} pinned package version(s) from {len(found.manifests)} manifest(s) "
             f"audited in {audit.runs} pip-audit run(s)"]
    if not offline:
        notes.append("the service gives no severity: every advisory is high unless a "
                     "`rules:` entry says otherwise")
    by_reason: dict[str, list[str]] = {}
    for dep in found.dependencies:
        if dep.not_audited:
            by_reason.setdefault(dep.not_audited, []).append(f"{dep.where} {dep.text}")
    for reason, items in sorted(by_reason.items()):
        notes += findings.grouped(f"not audited, {reason}", items)
    unknown = [f"{n} {v}: {why}" for (n, v), why in sorted(audit.skipped.items())]
    notes += findings.grouped("not audited, unknown to the service", unknown)
    return notes + found.notes
