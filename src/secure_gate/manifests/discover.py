"""Which files are dependency manifests; each read once, following -r/-c inside the repo."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secure_gate import filekinds
from secure_gate.files import RepoFile
from secure_gate.manifests import envvars
from secure_gate.manifests.locks import TOML_LOCKS, parse_pipfile_lock, parse_toml_lock
from secure_gate.manifests.model import Dependency, ParsedManifest, from_requirement_line
from secure_gate.manifests.pyproject import parse_pyproject
from secure_gate.manifests.requirements import parse_requirements, resolve_include


def manifest_kind(path: str) -> str | None:
    """``requirements``, ``pyproject``, ``pylock``, ``poetry.lock``, ``uv.lock``,
    ``Pipfile.lock``, or None when the file is not a manifest by its name."""
    found = filekinds.kind(path)
    return found if found in filekinds.MANIFESTS else None


def parse_manifest(text: str, path: str, kind: str) -> ParsedManifest:
    """Parse one manifest of a known kind."""
    if kind == "pyproject":
        return parse_pyproject(text, path)
    if kind in TOML_LOCKS:
        return parse_toml_lock(text, path, kind)
    if kind == "Pipfile.lock":
        return parse_pipfile_lock(text, path)
    manifest = ParsedManifest(path, kind)
    for line in parse_requirements(text, path):
        if line.kind in ("include", "constraint"):
            manifest.includes.append(line)
        elif line.kind == "invalid":
            manifest.errors.append(f"{path}:{line.line}: {line.error}")
        else:
            dependency = from_requirement_line(line)
            if dependency is not None:
                manifest.dependencies.append(dependency)
    return manifest


@dataclass(slots=True)
class Inventory:
    """Every manifest read, every dependency they name, and what could not be read."""

    manifests: list[str] = field(default_factory=list)
    dependencies: list[Dependency] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _read(repo_file: RepoFile) -> str:
    """The file's text; ``ValueError`` with the reason when it cannot be read as UTF-8."""
    try:
        data = repo_file.abspath.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None


def inventory(chosen: Sequence[RepoFile], available: Mapping[str, RepoFile],
              root: Path, lenient: Callable[[str], bool] = lambda path: False) -> Inventory:
    """Read ``chosen`` manifests and the requirements files they include.

    An include is followed only when it names a file of this scan inside the repository
    (``available``, the walk's files): a target outside the repository, a URL or an
    excluded file is listed in the notes, a missing one is an error. A manifest for which
    ``lenient(path)`` is true (test data) that cannot be read or parsed is a note instead.
    """
    out = Inventory()

    def problem(path: str, message: str) -> None:
        if lenient(path):
            out.notes.append(f"{message} (test data, not audited: a notice, not a failure)")
        else:
            out.errors.append(message)

    queue: deque[tuple[RepoFile, str]] = deque()
    queued: set[str] = set()
    for repo_file in sorted(chosen, key=lambda f: f.path):
        kind = manifest_kind(repo_file.path)
        if kind is not None and repo_file.path not in queued:
            queue.append((repo_file, kind))
            queued.add(repo_file.path)
    while queue:
        repo_file, kind = queue.popleft()
        try:
            text = _read(repo_file)
        except ValueError as exc:
            problem(repo_file.path, f"{repo_file.path} {exc}")
            continue
        manifest = parse_manifest(text, repo_file.path, kind)
        out.manifests.append(repo_file.path)
        out.dependencies.extend(manifest.dependencies)
        for error in manifest.errors:
            problem(repo_file.path, error)
        for include in manifest.includes:
            where = f"{include.path}:{include.line}"
            target = include.target or ""
            resolved = resolve_include(include.path, target)
            if envvars.names(target) and "://" not in target:
                out.notes.append(f"{where}: not followed: {target} depends on environment "
                                 f"variable(s) {envvars.listed(envvars.names(target))}, which "
                                 "pip expands at install time (the gate never substitutes them)")
            elif resolved is None:
                out.notes.append(f"{where}: not followed: {target} is outside the repository")
            elif resolved in queued:
                continue
            elif resolved in available:
                queue.append((available[resolved], "requirements"))
                queued.add(resolved)
            elif (root / resolved).is_symlink() or (root / resolved).exists():
                out.notes.append(f"{where}: not followed: {resolved} is excluded from this "
                                 "scan or not a regular file")
            else:
                problem(include.path, f"{where}: {include.text}: {resolved} does not exist")
    return out
