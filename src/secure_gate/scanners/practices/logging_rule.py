"""secret-logged: a logging or print call whose arguments show a value named like a credential."""

from __future__ import annotations

import ast

import secure_gate.scanners.practices.flow as flow
import secure_gate.scanners.practices.names as names
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import Module, source_of, walk_scope
from secure_gate.scanners.practices.rules import CREDENTIAL_LOGGED, Hit

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical",
                         "fatal", "log", "msg", "trace", "success"})
LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "getChild"})
# Arguments that configure the call and never reach the output as data.
_LOG_OPTIONS = frozenset({"exc_info", "stack_info", "stacklevel"})
_PRINT_OPTIONS = frozenset({"sep", "end", "file", "flush"})
FIX = ("log that the credential was used, not its value; if it must appear, mask it "
       "(value[:4] + '...') or log a digest")


def _loggerish(name: str) -> bool:
    """``logger``, ``log``, ``LOGGER``, ``_log``, ``audit_log``, ``app.logger``, ``logging``."""
    lowered = name.lower().lstrip("_")
    return (lowered in ("log", "logger", "logging") or lowered.endswith(("_log", "logger")))


def logging_call(node: ast.Call) -> str | None:
    """How the call writes to a log or the terminal (``logger.info``, ``print``), or None."""
    func = node.func
    if isinstance(func, ast.Name):
        return "print" if func.id == "print" else None
    if not isinstance(func, ast.Attribute) or func.attr not in LOG_METHODS:
        return None
    receiver = func.value
    if isinstance(receiver, ast.Call):
        factory = flow.callee_name(receiver)
        return f"{factory}().{func.attr}" if factory in LOGGER_FACTORIES else None
    name = flow.callee_name(receiver)
    if name is None or not _loggerish(name):
        return None
    return f"{name}.{func.attr}"


def _bindings(scope: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    """(names bound only to literals, names bound to anything else) in one scope."""
    literal: set[str] = set()
    other: set[str] = set()
    value: ast.expr | None
    for node in walk_scope(scope):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            targets, value = [node.target], None
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets, value = [node.optional_vars], None
        elif isinstance(node, ast.arg):
            other.add(node.arg)
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            other.update((a.asname or a.name).split(".")[0] for a in node.names)
            continue
        else:
            continue
        bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        (literal if isinstance(value, ast.Constant) else other).update(bound)
    return frozenset(literal - other), frozenset(other)


def _is_literal(module: Module, scope: ast.AST, name: str,
                cache: dict[ast.AST, tuple[frozenset[str], frozenset[str]]]) -> bool:
    """A name a scope binds only to literals, or a module-level literal it does not rebind:
    a hard-coded value is not a runtime secret leaking through a log (detect-secrets and
    bandit already look at literals)."""
    for where in (scope, module.tree):
        if where not in cache:
            cache[where] = _bindings(where)
        literal, other = cache[where]
        if name in literal:
            return True
        if name in other:
            return False
    return False


def check(module: Module) -> list[Hit]:
    """One hit per logging call that shows a credential, naming what it shows."""
    hits: list[Hit] = []
    cache: dict[ast.AST, tuple[frozenset[str], frozenset[str]]] = {}
    lexical = names.is_lexical_module(module.path)

    def wanted(name: str) -> bool:
        return names.is_credential(name, lexical=lexical)

    for node in module.nodes(ast.Call):
        how = logging_call(node)
        if how is None:
            continue
        skip = _PRINT_OPTIONS if how == "print" else _LOG_OPTIONS
        found = list(flow.arguments(node, wanted, skip))
        if found and any(isinstance(n, ast.Name) for n, _ in found):
            scope = module.scope_of(node)
            found = [(n, name) for n, name in found if not (
                isinstance(n, ast.Name) and _is_literal(module, scope, n.id, cache))]
        if not found:
            continue
        shown = sorted({name for _, name in found})
        listed = ", ".join(dict.fromkeys(names.shown(n) for n in shown))
        hits.append(module.hit(
            CREDENTIAL_LOGGED, node,
            f"{listed} {'is' if len(shown) == 1 else 'are'} passed to {how}() unmasked: "
            "credentials in logs are readable by everyone with access to the logs, their "
            "backups and log services. Leave the value out, or log a masked form.",
            f"{how}\n{','.join(shown)}\n{source_of(node)}",
            fix=FIX, confidence=Confidence.MEDIUM))
    return hits
