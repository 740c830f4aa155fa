"""Run detect-secrets' own scan on a batch of files; answer what ``detect-secrets scan`` prints."""

from __future__ import annotations

import os
from typing import Any

_CONFIGURED: dict[str, tuple[str, ...]] = {}


def _configure(extra: tuple[str, ...], fast: bool) -> None:
    """Settings exactly as ``detect-secrets scan --no-verify <extra>`` builds them, once."""
    if _CONFIGURED.get("args") == (*extra, str(fast)):
        return
    from detect_secrets.core.usage import ParserBuilder

    ParserBuilder().add_console_use_arguments().parse_args(["scan", "--no-verify", *extra])
    from secure_gate.workers import secrets_fast

    secrets_fast.install(fast)
    _CONFIGURED["args"] = (*extra, str(fast))


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Scan ``request["files"]`` (paths relative to ``request["root"]``)."""
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection

    extra: list[str] = []
    for plugin in request.get("disable_plugins", ()):
        extra += ["--disable-plugin", plugin]
    for regex in request.get("exclude_lines", ()):
        extra += ["--exclude-lines", regex]
    _configure(tuple(extra), bool(request.get("fast", True)))
    root = str(request["root"])
    collection = SecretsCollection(root=root)
    for name in request["files"]:
        collection.scan_file(os.path.relpath(name, root))
    document: dict[str, Any] = baseline.format_for_output(collection)
    return document
