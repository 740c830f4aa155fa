"""The scanner registry: one line per scanner, in the order reports list them."""

from __future__ import annotations

from secure_gate.scanners.bandit import BanditScanner
from secure_gate.scanners.base import Scanner
from secure_gate.scanners.detect_secrets import DetectSecretsScanner
from secure_gate.scanners.pins import PinsScanner
from secure_gate.scanners.pip_audit import PipAuditScanner

SCANNERS: dict[str, type[Scanner]] = {
    "bandit": BanditScanner,
    "pip-audit": PipAuditScanner,
    "detect-secrets": DetectSecretsScanner,
    "pins": PinsScanner,
}


def get(name: str) -> Scanner:
    """A fresh adapter for a registered scanner."""
    return SCANNERS[name]()
