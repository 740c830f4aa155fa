"""secret-logged: a logging or print call whose arguments show a value named like a credential."""

from __future__ import annotations

import ast

from secure_gate.model import Confidence
from secure_gate.scanners.practices import flow, names
from secure_gate.scanners.practices.pysource import Module, source_of
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


def check(module: Module) -> list[Hit]:
    """One hit per logging call that shows a credential, naming what it shows."""
    hits: list[Hit] = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        how = logging_call(node)
        if how is None:
            continue
        skip = _PRINT_OPTIONS if how == "print" else _LOG_OPTIONS
        found = list(flow.arguments(node, names.is_credential, skip))
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
