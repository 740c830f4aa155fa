"""The import graph of src/secure_gate, read from the code with ast (nothing is imported)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "secure_gate"


@dataclass(frozen=True, slots=True)
class Module:
    """One source file: its dotted name, its path and its parsed tree."""

    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def modules(src: Path = SRC) -> dict[str, Module]:
    """Every module of the package by dotted name."""
    out: dict[str, Module] = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        out[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return out


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(module: Module, known: dict[str, Module]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import of ours in ``module``, lazy ones included.

    ``from pkg import name`` counts as an import of ``pkg`` and, when that is a module, of
    ``pkg.name``.
    """
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield _nearest(alias.name, known), node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target.split(".")[0] != PACKAGE:
                continue
            if target in known:
                # ``from pkg import name`` runs pkg/__init__.py too: a submodule that does this
                # with its own package imports the package that imports it.
                yield target, node.lineno
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in known else _nearest(target, known)), node.lineno


def _nearest(name: str, known: dict[str, Module]) -> str:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def graph(known: dict[str, Module] | None = None) -> dict[str, set[str]]:
    """Module -> the modules it imports (itself left out)."""
    known = known or modules()
    out: dict[str, set[str]] = {name: set() for name in known}
    for name, module in known.items():
        for target, _line in imports(module, known):
            if target != name:
                out[name].add(target)
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found
