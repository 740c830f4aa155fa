"""The architecture stays as drawn: floors, no circles, scanners named only under scanners/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from secure_gate.scanners import SCANNERS
from tests.architecture.importgraph import Module, cycles, graph, imports, modules

# Top to bottom: a module may import only modules on its own floor or below. Every module of
# the package must be on a floor (a new one is placed here on purpose, not by accident).
FLOORS: tuple[tuple[str, ...], ...] = (
    ("secure_gate.__main__",),
    ("secure_gate.cli",),                      # the dispatcher: parses argv, routes commands
    ("secure_gate.hookrun", "secure_gate.hookargs", "secure_gate.github"),  # the other doors
    ("secure_gate.fixer",),                    # secure-gate fix: scans, edits, scans again
    ("secure_gate.engine",),
    ("secure_gate.history",),
    ("secure_gate.diff",),
    ("secure_gate.run",),
    ("secure_gate.duplicates",),
    ("secure_gate.request", "secure_gate.hooks", "secure_gate.trusted"),
    ("secure_gate.policy", "secure_gate.policydiff", "secure_gate.config",
     "secure_gate.configkeys", "secure_gate.baseline"),
    ("secure_gate.scanners",),
    ("secure_gate.cache", "secure_gate.manifests", "secure_gate.advisories",
     "secure_gate.workers", "secure_gate.progress", "secure_gate.net"),
    ("secure_gate.files", "secure_gate.filekinds", "secure_gate.shards"),
    ("secure_gate.git", "secure_gate.report", "secure_gate.globs", "secure_gate.yamlnodes",
     "secure_gate.dockerfiles", "secure_gate.yamlbudget", "secure_gate.options"),
    ("secure_gate", "secure_gate.model", "secure_gate.redact", "secure_gate.errors",
     "secure_gate.edits",
     "secure_gate._subprocess"),
)
DOORS = ("secure_gate.cli", "secure_gate.hookrun", "secure_gate.github", "secure_gate.__main__")
DISPATCHERS = ("secure_gate.cli", "secure_gate.__main__")


def _room(name: str) -> str:
    """The floor entry a module belongs to (its top-level module or package)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


def _floor(name: str) -> int:
    room = _room(name)
    for number, rooms in enumerate(FLOORS):
        if room in rooms:
            return number
    raise AssertionError(f"{name} is on no floor: place it in FLOORS")


def test_every_module_is_on_a_floor() -> None:
    for name in modules():
        _floor(name)


def test_no_import_circles() -> None:
    assert cycles(graph()) == []


def test_a_submodule_importing_its_own_package_is_a_circle() -> None:
    """``from pkg import sibling`` in pkg/x.py runs pkg/__init__.py, which imports x."""
    package = Module("secure_gate.scanners.pins", Path("__init__.py"),
                     ast.parse("from secure_gate.scanners.pins import rules\n"))
    child = Module("secure_gate.scanners.pins.rules", Path("rules.py"),
                   ast.parse("from secure_gate.scanners.pins import images\n"))
    known = {**modules(), package.name: package, child.name: child}
    edges = graph(known)
    assert ["secure_gate.scanners.pins", "secure_gate.scanners.pins.rules"] in cycles(edges)


def test_no_import_climbs_to_a_higher_floor() -> None:
    known = modules()
    climbs = []
    for name, module in known.items():
        for target, line in imports(module, known):
            if target == name or (module.is_package and target.startswith(name + ".")):
                continue
            if _floor(target) < _floor(name):
                climbs.append(f"{module.path.name}:{line} {name} -> {target}")
    assert climbs == []


def test_no_door_imports_another_door_except_the_dispatcher() -> None:
    edges = graph()
    for name, targets in edges.items():
        if _room(name) in DOORS and _room(name) not in DISPATCHERS:
            others = {t for t in targets if _room(t) in DOORS and _room(t) != _room(name)}
            assert others == set(), (name, others)


def _strings(module: Module) -> list[tuple[str, int]]:
    """String constants that are not docstrings."""
    docstrings = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.value, node.lineno) for node in ast.walk(module.tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def _outside_scanners() -> list[Module]:
    return [m for name, m in modules().items()
            if not name.startswith("secure_gate.scanners.") and name != "secure_gate.scanners"]


def test_no_module_outside_scanners_names_a_scanner() -> None:
    named = []
    for module in _outside_scanners():
        for value, line in _strings(module):
            if value in SCANNERS:
                named.append(f"{module.name}:{line} {value!r}")
    assert named == []


def test_no_module_outside_scanners_imports_a_scanner() -> None:
    known = modules()
    allowed = {"secure_gate.scanners", "secure_gate.scanners.base"}
    found = []
    for module in _outside_scanners():
        for target, line in imports(module, known):
            if target.startswith("secure_gate.scanners") and target not in allowed:
                found.append(f"{module.name}:{line} -> {target}")
    assert found == []


def test_no_getattr_probing_of_scanners() -> None:
    probes = []
    for module in _outside_scanners():
        for node in ast.walk(module.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and node.args):
                target = ast.unparse(node.args[0])
                if "scanner" in target.lower() or "cls" in target or "get(" in target:
                    probes.append(f"{module.name}:{node.lineno} {ast.unparse(node)}")
    assert probes == []


@pytest.mark.parametrize("bad", [
    "from secure_gate import cli\n",                       # a climb from the floor
    "from secure_gate.scanners import bandit\n",           # a scanner by import
])
def test_the_checks_can_fail(bad: str) -> None:
    """The graph reader sees a planted climb and a planted scanner import."""
    module = Module("secure_gate.model", Path("model.py"), ast.parse(bad))
    known = modules()
    targets = [t for t, _ in imports(module, known)]
    assert targets and (_floor(targets[-1]) < _floor("secure_gate.model")
                        or targets[-1].startswith("secure_gate.scanners."))
