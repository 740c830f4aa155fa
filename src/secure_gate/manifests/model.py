"""What every manifest parser returns: dependencies at their lines, pinned exactly or not."""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from secure_gate.manifests import envvars
from secure_gate.manifests.requirements import RequirementLine, exact_version

# Why a dependency cannot be looked up in a vulnerability database.
NOT_PINNED = "not pinned with =="
NOT_PEP440 = "its pinned version is not a PEP 440 version"
NOT_A_NAME = "not a valid package name"
FROM_ENVIRONMENT = "its name or version is an environment variable pip expands at install time"
_BY_KIND = {"url": "installed from a URL", "vcs": "installed from version control",
            "local": "a local path", "editable": "an editable install"}


@dataclass(frozen=True, slots=True)
class Dependency:
    """One dependency a manifest names at a line.

    ``version`` is set only when the manifest pins it exactly to a PEP 440 version, which
    is what can be audited; otherwise ``not_audited`` says why not.
    """

    path: str
    line: int | None
    end_line: int | None
    name: str | None
    version: str | None
    text: str
    not_audited: str | None = None

    @property
    def where(self) -> str:
        """``path:line`` for notes and messages."""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(slots=True)
class ParsedManifest:
    """One manifest's dependencies, the files it includes, and what was wrong with it."""

    path: str
    kind: str
    dependencies: list[Dependency] = field(default_factory=list)
    includes: list[RequirementLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _canonical(name: str | None) -> str | None:
    """The canonical form of a valid project name, else None.

    Lock files are parsed as data, so a name may be anything; only a valid one can reach
    the ``name==version`` file pip-audit reads (no newline or option can ride along).
    """
    try:
        return canonicalize_name(name, validate=True) if name else None
    except InvalidName:
        return None


def pinned(path: str, line: int | None, end_line: int | None, name: str, version: str,
           text: str) -> Dependency:
    """A dependency pinned to ``version``: auditable if that is a PEP 440 version."""
    canonical = _canonical(name)
    if canonical is None:
        return Dependency(path, line, end_line, None, None, text, NOT_A_NAME)
    try:
        Version(version)
    except InvalidVersion:
        return Dependency(path, line, end_line, canonical, None, text, NOT_PEP440)
    return Dependency(path, line, end_line, canonical, version, text)


def unaudited(path: str, line: int | None, end_line: int | None, name: str | None, text: str,
              why: str) -> Dependency:
    """A dependency that names no exact version (a range, a URL, a path, ...)."""
    return Dependency(path, line, end_line, _canonical(name), None, text, why)


def from_requirement_line(req: RequirementLine) -> Dependency | None:
    """The dependency a requirements-file line names (None for options and includes)."""
    if req.kind == "requirement" and (req.name is None or envvars.names(req.specifier)):
        return unaudited(req.path, req.line, req.end_line, req.name, req.text, FROM_ENVIRONMENT)
    if req.kind == "requirement" and req.name:
        version = exact_version(req)
        if version is not None:
            return pinned(req.path, req.line, req.end_line, req.name, version, req.text)
        return unaudited(req.path, req.line, req.end_line, req.name, req.text, NOT_PINNED)
    if req.kind in _BY_KIND:
        return unaudited(req.path, req.line, req.end_line, req.name, req.text, _BY_KIND[req.kind])
    return None


def from_pep508(path: str, line: int | None, end_line: int | None,
                text: str) -> Dependency | str:
    """The dependency a PEP 508 string names (pyproject), or an error message."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return f"not a valid requirement {text!r}: {str(exc).splitlines()[0]}"
    if req.url:
        kind = ("vcs" if req.url.startswith(("git+", "hg+", "svn+", "bzr+")) else "local"
                if req.url.lower().startswith("file:") or "://" not in req.url else "url")
        return unaudited(path, line, end_line, req.name, text, _BY_KIND[kind])
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return pinned(path, line, end_line, req.name, specs[0].version, text)
    return unaudited(path, line, end_line, req.name, text, NOT_PINNED)
