"""The scanner registry: one line per scanner, in the order reports list them.

Each entry names its adapter class as ``module:Class`` and is imported only when that
scanner is configured or run, so a pre-commit hook on one file pays for nothing else.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from secure_gate.scanners.base import Scanner

SCANNERS: dict[str, str] = {
    "bandit": "secure_gate.scanners.bandit:BanditScanner",
    "pip-audit": "secure_gate.scanners.pip_audit:PipAuditScanner",
    # The keyword detector reads a "secret" name with a quoted value; it is a class path.
    # pragma: allowlist nextline secret
    "detect-secrets": "secure_gate.scanners.detect_secrets:DetectSecretsScanner",
    "pins": "secure_gate.scanners.pins:PinsScanner",
    "practices": "secure_gate.scanners.practices:PracticesScanner",
    "workflows": "secure_gate.scanners.workflows:WorkflowsScanner",
}


@cache
def scanner_class(name: str) -> type[Scanner]:
    """The adapter class of a registered scanner (imported on first use)."""
    module, _, attr = SCANNERS[name].partition(":")
    cls: type[Scanner] = getattr(import_module(module), attr)
    return cls


def get(name: str) -> Scanner:
    """A fresh adapter for a registered scanner."""
    return scanner_class(name)()
