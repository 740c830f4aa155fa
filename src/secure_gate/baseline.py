"""Baseline files: a reviewable, sorted JSON map of fingerprints to counts; data only."""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from secure_gate.errors import ConfigError
from secure_gate.model import Finding

SCHEMA_VERSION = 1
MAX_BYTES = 32 << 20  # a baseline of 100,000 findings is about 15 MB
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_ENTRY_KEYS = {"count", "scanner", "rule", "path"}
NOTE = ("Findings accepted when this file was written. Each key is a secure-gate fingerprint "
        "(no line numbers, no secret text); count is how many identical findings are "
        "accepted. Regenerate with `secure-gate baseline`; review changes like code.")


def render(findings: Iterable[Finding]) -> str:
    """The baseline for these findings (those a ledger suppresses are left out)."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.suppression is not None and finding.suppression.kind in ("ledger", "inline"):
            continue
        entry = entries.setdefault(finding.fingerprint, {
            "count": 0, "scanner": finding.scanner, "rule": finding.rule,
            "path": finding.location.path})
        entry["count"] += 1
    document = {"schema_version": SCHEMA_VERSION, "tool": "secure-gate", "note": NOTE,
                "findings": dict(sorted(entries.items()))}
    return json.dumps(document, indent=2, sort_keys=False, ensure_ascii=True) + "\n"


def _read(path: str, root: Path) -> str:
    """The baseline's text: a regular file of at most :data:`MAX_BYTES`, and for a relative
    path (every ``baseline:`` in a config file) one that stays inside ``root`` once symlinks
    are followed. ``/dev/zero``, a FIFO or a link to ``/etc`` never gets read."""
    target = Path(path) if os.path.isabs(path) else root / path
    if not os.path.isabs(path):
        real, top = target.resolve(), root.resolve()
        if real != top and top not in real.parents:
            raise ConfigError(path, None, "the baseline must be inside the repository (it "
                                          "leads outside it, through a symlink or ..)")
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read the baseline: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(path, None, "the baseline is not a regular file")
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ConfigError(path, None, f"the baseline is larger than {MAX_BYTES >> 20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, None, "the baseline is not UTF-8 text") from None


def load(path: str, root: Path) -> Mapping[str, int]:
    """Read and check a baseline; any problem is a configuration error (exit 2).

    Errors never quote the file's own keys or values: a path that names some other JSON file
    must not turn the gate into a way to print it.
    """
    return parse(_read(path, root), path)


def parse(text: str | bytes, path: str) -> Mapping[str, int]:
    """Check a baseline's content (``path`` names it in errors); problems exit 2."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(path, None, f"not valid JSON (line {getattr(exc, 'lineno', '?')})"
                          ) from None
    if not isinstance(document, dict):
        raise ConfigError(path, None, "a baseline is a JSON object")
    if set(document) - {"schema_version", "tool", "note", "findings"}:
        raise ConfigError(path, None, "has keys a secure-gate baseline does not have (is it "
                                      "a baseline?)")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(path, "schema_version", f"expected {SCHEMA_VERSION}")
    findings = document.get("findings")
    if not isinstance(findings, dict):
        raise ConfigError(path, "findings", "expected an object of fingerprint: entry")
    counts: Counter[str] = Counter()
    for index, (key, entry) in enumerate(findings.items()):
        if not _FINGERPRINT.fullmatch(key):
            raise ConfigError(path, f"findings (entry {index})",
                              "not a secure-gate fingerprint (32 hex digits)")
        where = f"findings.{key}"
        if not isinstance(entry, dict) or set(entry) - _ENTRY_KEYS:
            raise ConfigError(path, where, f"expected an object with keys "
                                           f"{', '.join(sorted(_ENTRY_KEYS))}")
        count = entry.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(path, f"{where}.count", "expected a whole number >= 1")
        counts[key] = count
    return dict(counts)
