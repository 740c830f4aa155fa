"""pyproject.toml: PEP 621 dependencies, optional dependencies and PEP 735 dependency groups."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from secure_gate.manifests import _locate
from secure_gate.manifests.model import ParsedManifest, from_pep508


def _sections(document: Mapping[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """(where, table header to search from, list of entries) for each dependency list."""
    out: list[tuple[str, str, list[Any]]] = []
    project = document.get("project")
    if isinstance(project, dict):
        deps = project.get("dependencies")
        if isinstance(deps, list):
            out.append(("project.dependencies", "project", deps))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, entries in optional.items():
                if isinstance(entries, list):
                    out.append((f"project.optional-dependencies.{extra}",
                                "project.optional-dependencies", entries))
    groups = document.get("dependency-groups")
    if isinstance(groups, dict):
        for group, entries in groups.items():
            if isinstance(entries, list):
                out.append((f"dependency-groups.{group}", "dependency-groups", entries))
    return out


def parse_pyproject(text: str, path: str) -> ParsedManifest:
    """The PEP 508 strings a ``pyproject.toml`` lists, each at the line that holds it.

    tomllib gives no positions, so each string is found among the document's string
    literals, in order, from its table's header on (or the top when the header is absent,
    as with dotted keys); one not found is reported at the file level.
    """
    manifest = ParsedManifest(path, "pyproject")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        manifest.errors.append(f"{path}: not valid TOML: {exc}")
        return manifest
    strings = _locate.toml_strings(text)
    for where, header, entries in _sections(document):
        values = [e for e in entries if isinstance(e, str)]
        for entry in entries:
            # A PEP 735 {include-group = "..."} names a group that is read on its own.
            if not isinstance(entry, str) and not (isinstance(entry, dict)
                                                   and "include-group" in entry):
                manifest.errors.append(f"{path}: {where}: expected a requirement string, "
                                       f"got {type(entry).__name__}")
        found = _locate.find_sequence(strings, values, _locate.table_offset(text, header))
        for value, hit in zip(values, found, strict=True):
            line = hit.line if hit else None
            end_line = hit.end_line if hit else None
            made = from_pep508(path, line, end_line, value)
            if isinstance(made, str):
                manifest.errors.append(f"{path}:{line or '?'}: {where}: {made}")
            else:
                manifest.dependencies.append(made)
    return manifest
