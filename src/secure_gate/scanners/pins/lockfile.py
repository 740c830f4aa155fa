"""missing-lockfile: an application-shaped Python project with no lock file of any kind."""

from __future__ import annotations

import configparser
import posixpath
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import secure_gate.scanners.pins.rules as rules
from secure_gate import filekinds
from secure_gate.manifests.requirements import parse_requirements
from secure_gate.model import Finding
from secure_gate.scanners.pins.requirements import check_line

PROJECT_FILES = ("pyproject.toml", "Pipfile", "setup.cfg", "setup.py")
_PDM_LOCK = "pdm.lock"  # no auditor reads it, but it is a lock all the same
_REQUIREMENTS = re.compile(r"requirements[^/]*\.txt")
# Files that say "this is deployed", not published: a library does not ship these.
_DEPLOYED = re.compile(r"manage\.py|Procfile|(?:docker-)?compose\.ya?ml|app\.ya?ml")
_SETUP_PY = re.compile(r"install_requires\s*=\s*(?!\[\s*\]|\(\s*\))\S")


@dataclass(slots=True)
class Outcome:
    """Findings, and project files that could not be read (notes: this check is a hint)."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Declared:
    """A project file that declares runtime dependencies: where, and what marks an app."""

    path: str
    line: int
    application: tuple[str, ...]


def _line_of(text: str, pattern: str, table: str | None = None) -> int:
    """The first line matching ``pattern`` (inside ``[table]`` when given), else 1."""
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(?:#.*)?$", raw)
        if header:
            current = header.group(1).strip()
        if (table is None or current == table) and re.match(pattern, raw):
            return number
    return 1


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"is not valid TOML ({exc})") from None


def _table(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def declared(path: str, text: str) -> Declared | None:
    """What one project file declares; None when it names no runtime dependency."""
    name = posixpath.basename(path)
    if name == "pyproject.toml":
        document = _toml(text)
        project = _table(document, "project")
        tool = _table(document, "tool")
        poetry = _table(tool, "poetry")
        poetry_deps = [k for k in _table(poetry, "dependencies") if k != "python"]
        app = []
        if poetry.get("package-mode") is False:
            app.append("Poetry `package-mode = false`")
        if _table(tool, "uv").get("package") is False:
            app.append("uv `package = false`")
        if "build-system" not in document:
            app.append("no `[build-system]`, so it is not built as a package")
        if project.get("dependencies"):
            return Declared(path, _line_of(text, r"\s*dependencies\s*=", "project"), tuple(app))
        if poetry_deps:
            return Declared(path, _line_of(text, r"\s*\[tool\.poetry\.dependencies\]"),
                            tuple(app))
        return None
    if name == "Pipfile":
        if not _toml(text).get("packages"):
            return None
        return Declared(path, _line_of(text, r"\s*\[packages\]"),
                        ("a Pipfile: Pipenv manages applications",))
    if name == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error as exc:
            raise ValueError(f"is not a readable setup.cfg ({' '.join(str(exc).split())})") \
                from None
        if not parser.get("options", "install_requires", fallback="").strip():
            return None
        return Declared(path, _line_of(text, r"\s*install_requires\s*="), ())
    if name == "setup.py" and (match := _SETUP_PY.search(text)):
        return Declared(path, text.count("\n", 0, match.start()) + 1, ())
    return None


def fully_pinned(text: str, path: str) -> bool:
    """A requirements file that pins everything it installs: a lock file of pip's kind."""
    installs = [r for r in parse_requirements(text, path)
                if r.kind not in ("include", "constraint", "option")]
    return bool(installs) and all(r.kind != "invalid" and check_line(r, set()) is None
                                  for r in installs)


def _has_lock(folder: str, listdir: Callable[[str], Sequence[str]],
              read: Callable[[str], str | None]) -> bool:
    def pinned_requirements(candidates: list[str]) -> bool:
        return any((text := read(p)) is not None and fully_pinned(text, p) for p in candidates)

    names = listdir(folder)
    if any(n == _PDM_LOCK or filekinds.kind(n) in filekinds.LOCKS for n in names):
        return True
    join = (lambda n: posixpath.join(folder, n)) if folder else (lambda n: n)
    if pinned_requirements([join(n) for n in names if _REQUIREMENTS.fullmatch(n)]):
        return True
    sub = join("requirements")
    return pinned_requirements([posixpath.join(sub, n) for n in listdir(sub)
                                if n.endswith(".txt")])


def check(projects: Sequence[tuple[str, str]], listdir: Callable[[str], Sequence[str]],
          read: Callable[[str], str | None]) -> Outcome:
    """One finding per folder whose project is an application without a lock file.

    A lock file counts in the project's folder or any folder above it (a workspace lock).
    """
    out = Outcome()
    by_folder: dict[str, list[Declared]] = {}
    for path, text in projects:
        try:
            one = declared(path, text)
        except ValueError as exc:
            out.notes.append(f"{path} {exc}; missing-lockfile not checked for it")
            continue
        if one is not None:
            by_folder.setdefault(posixpath.dirname(path), []).append(one)
    for folder, found in sorted(by_folder.items()):
        deployed = [n for n in listdir(folder)
                    if _DEPLOYED.fullmatch(n) or filekinds.kind(n) == filekinds.DOCKERFILE]
        reasons = [r for d in found for r in d.application]
        reasons += [f"`{n}` next to it" for n in sorted(deployed)[:2]]
        if not reasons:
            continue  # a library: ranges are how it should declare its dependencies
        ancestors = [folder]
        while ancestors[-1]:
            ancestors.append(posixpath.dirname(ancestors[-1]))
        if any(_has_lock(f, listdir, read) for f in ancestors):
            continue
        first = min(found, key=lambda d: PROJECT_FILES.index(posixpath.basename(d.path)))
        out.findings.append(rules.finding(
            rules.MISSING_LOCKFILE, first.path, first.line, evidence="no lock file",
            message=(f"`{posixpath.basename(first.path)}` declares the dependencies of an "
                     f"application ({'; '.join(dict.fromkeys(reasons))}) but no lock file is "
                     "next to it, so every install resolves whatever versions are newest; "
                     "commit one (`uv lock`, `poetry lock`, `pipenv lock`, `pdm lock`, "
                     "`pylock.toml`, or a requirements.txt from `pip-compile "
                     "--generate-hashes`)"),
            fix="uv lock   # or: pip-compile --generate-hashes -o requirements.txt"))
    return out
