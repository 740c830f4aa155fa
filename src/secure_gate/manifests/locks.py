"""Lock files: pylock.toml (PEP 751), poetry.lock, uv.lock and Pipfile.lock."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from secure_gate.manifests import _locate
from secure_gate.manifests.model import Dependency, ParsedManifest, pinned, unaudited

# poetry.lock `source.type` and uv.lock `source` keys that are not a package index.
_POETRY_SOURCES = {"git": "installed from version control", "directory": "a local path",
                   "file": "a local path", "url": "installed from a URL"}
_UV_SOURCES = {"editable": "a local project", "virtual": "a local project",
               "git": "installed from version control", "path": "a local path",
               "directory": "a local path", "url": "installed from a URL"}
_PYLOCK_SOURCES = {"vcs": "installed from version control", "directory": "a local path",
                   "archive": "installed from an archive"}

Classifier = Callable[[Mapping[str, Any]], str | None]


def _poetry_source(package: Mapping[str, Any]) -> str | None:
    source = package.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    return _POETRY_SOURCES.get(kind) if isinstance(kind, str) else None


def _uv_source(package: Mapping[str, Any]) -> str | None:
    source = package.get("source")
    if isinstance(source, dict):
        return next((why for key, why in _UV_SOURCES.items() if key in source), None)
    return None


def _pylock_source(package: Mapping[str, Any]) -> str | None:
    return next((why for key, why in _PYLOCK_SOURCES.items() if key in package), None)


# File kind → (array-of-tables name, how to tell a package that is not from an index).
TOML_LOCKS: dict[str, tuple[str, Classifier]] = {
    "pylock": ("packages", _pylock_source),
    "poetry.lock": ("package", _poetry_source),
    "uv.lock": ("package", _uv_source),
}


def parse_toml_lock(text: str, path: str, kind: str) -> ParsedManifest:
    """Every locked package, at its ``version =`` line (or its ``[[package]]`` header)."""
    table, classify = TOML_LOCKS[kind]
    manifest = ParsedManifest(path, kind)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        manifest.errors.append(f"{path}: not valid TOML: {exc}")
        return manifest
    packages = document.get(table, [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        manifest.errors.append(f"{path}: '{table}' is not an array of tables")
        return manifest
    headers = _locate.array_table_lines(text, table)
    if len(headers) != len(packages):
        headers = []  # an unusual layout: report at the file rather than at a wrong line
    lines = text.splitlines()
    for index, package in enumerate(packages):
        name, version = package.get("name"), package.get("version")
        line = end = None
        if headers:
            last = headers[index + 1] - 1 if index + 1 < len(headers) else len(lines)
            line = _locate.key_line(lines, headers[index], last, "version") or headers[index]
            end = line
        if not isinstance(name, str) or not name:
            manifest.errors.append(f"{path}:{line or '?'}: a package without a name")
            continue
        why = classify(package)
        if why is None and not isinstance(version, str):
            why = "no version in the lock file"
        if why is not None:
            manifest.dependencies.append(unaudited(path, line, end, name, name, why))
        else:
            manifest.dependencies.append(pinned(path, line, end, name, str(version),
                                                f"{name} {version}"))
    return manifest


def _pipfile_entry(path: str, line: int | None, name: str, body: object) -> Dependency:
    if isinstance(body, str):
        body = {"version": body}
    if not isinstance(body, dict):
        return unaudited(path, line, line, name, name, "not a package entry")
    for key, why in (("git", "installed from version control"), ("hg", "installed from "
                     "version control"), ("path", "a local path"), ("file", "a local path")):
        if key in body:
            return unaudited(path, line, line, name, name, why)
    version = body.get("version")
    if isinstance(version, str) and version.startswith("==") and "*" not in version:
        return pinned(path, line, line, name, version.lstrip("=").strip(), f"{name}{version}")
    return unaudited(path, line, line, name, f"{name} {version or ''}".strip(),
                     "not pinned with ==")


def parse_pipfile_lock(text: str, path: str) -> ParsedManifest:
    """Every package of every category (``default``, ``develop``, ...), at its key's line."""
    manifest = ParsedManifest(path, "Pipfile.lock")
    try:
        document = json.loads(text)
        positions = _locate.json_key_lines(text)
    except (ValueError, RecursionError) as exc:
        manifest.errors.append(f"{path}: not valid JSON: {exc}")
        return manifest
    if not isinstance(document, dict):
        manifest.errors.append(f"{path}: expected a JSON object")
        return manifest
    for category, packages in document.items():
        if category == "_meta":
            continue
        if not isinstance(packages, dict):
            manifest.errors.append(f"{path}: '{category}' is not an object of packages")
            continue
        for name, body in packages.items():
            version_line = positions.get((category, name, "version"))
            line = version_line or positions.get((category, name))
            manifest.dependencies.append(_pipfile_entry(path, line, name, body))
    return manifest
