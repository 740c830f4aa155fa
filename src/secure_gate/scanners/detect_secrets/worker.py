"""Run detect-secrets' own scan on a batch of files; answer what ``detect-secrets scan`` prints.

With ``own_detectors`` the gate's detectors for newer credential formats (plugins.py beside
this file, written as detect-secrets plugins) run in a pass of their own over the raw lines,
honouring ``exclude-lines``, after detect-secrets' scan (allowlist pragmas are marked on
their results like on detect-secrets' own): loaded into detect-secrets itself they would
change what its other detectors report (it stops trying a file's other readings once one
finds something). With ``benign_filters`` a generic detector's match that has a known-benign
shape (benign.py) is dropped here, where the value is at hand, and counted per file and rule
under ``document["secure_gate"]["benign"]``; a ``Basic Auth Credentials`` match in a
database or broker URL is marked ``credential-url``. The secret's value never leaves this
process.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from typing import Any

_CONFIGURED: dict[str, tuple[str, ...]] = {}
# YAML files detect-secrets' YAML transformer was kept off (secure_gate/yamlbudget.py).
_YAML_SKIPPED: dict[str, str] = {}


def _configure(extra: tuple[str, ...], fast: bool) -> None:
    """Settings exactly as ``detect-secrets scan --no-verify <extra>`` builds them, once."""
    key = (*extra, str(fast))
    if _CONFIGURED.get("args") == key:
        return
    from detect_secrets.core.usage import ParserBuilder

    ParserBuilder().add_console_use_arguments().parse_args(["scan", "--no-verify", *extra])
    from secure_gate.scanners.detect_secrets import fast as fast_path

    fast_path.install(fast)
    from secure_gate import yamlbudget

    yamlbudget.guard_detect_secrets(_YAML_SKIPPED)
    # Findings an allowlist pragma covers are still produced, and marked by _mark_allowlisted:
    # a change that adds `pragma: allowlist secret` next to a key must be seen doing so.
    from detect_secrets.settings import get_filters, get_settings

    get_settings().disable_filters(_ALLOWLIST)
    get_filters.cache_clear()  # (cache_bust would reset the settings themselves)
    _CONFIGURED["args"] = key


_ALLOWLIST = "detect_secrets.filters.allowlist.is_line_allowlisted"


def _mark_allowlisted(document: dict[str, Any], root: str) -> None:
    """Mark each result on a line detect-secrets' own allowlist filter would have dropped."""
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import get_code_snippet

    for filename, found in document.get("results", {}).items():
        try:
            with open(os.path.join(root, filename), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for entry in found:
            number = entry.get("line_number")
            if not isinstance(number, int) or not 0 < number <= len(lines):
                continue
            if is_line_allowlisted(filename, lines[number - 1],
                                   get_code_snippet(lines, number)):
                entry["secure_gate_allowlisted"] = True


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _post_filter(collection: Any, root: str, counts: dict[str, dict[str, int]],
                 marks: dict[tuple[str, str, int | None], str]) -> None:
    """Drop known-benign generic matches and superseded own matches; mark credential URLs."""
    from secure_gate.scanners.detect_secrets import benign as secrets_benign
    from secure_gate.scanners.detect_secrets import kinds as secrets_kinds
    from secure_gate.scanners.detect_secrets import urls as secrets_urls

    for filename in list(collection.files):
        secrets = collection.data[filename]
        lines = _lines(os.path.join(root, filename))
        stock_on_line: dict[int | None, list[tuple[str, str]]] = {}
        for s in secrets:
            stock_on_line.setdefault(s.line_number, []).append((s.type, s.secret_value or ""))
        for secret in list(secrets):
            value = secret.secret_value or ""
            number = secret.line_number
            line = lines[number - 1] if number and number <= len(lines) else ""
            rule = None
            superseded = secrets_kinds.SUPERSEDED_BY.get(secret.type)
            if superseded and any(t == superseded and (v in value or value in v)
                                  for t, v in stock_on_line.get(number, ())):
                # Our detector found what detect-secrets' own already reports: nothing of
                # detect-secrets' is dropped, so nothing is counted.
                secrets.discard(secret)
                continue
            if (kind := secrets_kinds.kind_of(secret.type)) in (secrets_kinds.GENERIC,
                                                                  secrets_kinds.SIGNING_KEY):
                # A vendor token (or, for a generic match, a signing key) already says it.
                covering = {secrets_kinds.VENDOR, secrets_kinds.PRIVATE_KEY} | (
                    {secrets_kinds.SIGNING_KEY} if kind == secrets_kinds.GENERIC else set())
                rule = "same-token" if value and any(
                    secrets_kinds.kind_of(t) in covering and v and (v in value or value in v)
                    for t, v in stock_on_line.get(number, ())
                ) else secrets_benign.rule_for(value, line, filename)
                if rule is None and secret.type == "Basic Auth Credentials" \
                        and secrets_urls.is_credential_url(value, line):
                    marks[(filename, secret.secret_hash, number)] = secrets_kinds.CREDENTIAL_URL
            if rule is not None:
                secrets.discard(secret)
                if secret.type in secrets_kinds.OWN_TYPES:
                    continue  # counts say what of detect-secrets' own findings was dropped
                per_file = counts.setdefault(filename, {})
                per_file[rule] = per_file.get(rule, 0) + 1
        if not secrets:
            del collection.data[filename]


def _own_pass(collection: Any, root: str, names: list[str], plugins: list[Any],
              exclude: list[re.Pattern[str]]) -> None:
    """Add the gate's own detectors' matches to ``collection`` (raw lines; pragmas are marked
    afterwards, like detect-secrets' own results)."""
    from detect_secrets.core.potential_secret import PotentialSecret

    prefixes = tuple({p for plugin in plugins for p in plugin.prefixes})
    for name in names:
        try:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        if not plugins or not any(p in text for p in prefixes):
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines, start=1):
            if not any(p in line for p in prefixes) or any(rx.search(line) for rx in exclude):
                continue
            for plugin in plugins:
                for value in plugin.analyze_string(line):
                    collection[name].add(PotentialSecret(plugin.secret_type, name, value,
                                                         number))


def preload() -> None:
    """Import detect-secrets' scanning code before the first batch arrives."""
    from detect_secrets.core import scan  # noqa: F401


def _scan_exact(collection: Any, root: str, name: str) -> None:
    """``SecretsCollection.scan_file`` without its ``\\`` → ``/`` rewrite of the name.

    On Linux that rewrite (``convert_local_os_path``) turns a file whose name holds a
    backslash into one that does not exist, which detect-secrets' ``is_invalid_file`` filter
    then drops without a word: its secrets were never scanned (issue 16).
    """
    from detect_secrets.core import scan

    path = os.path.join(root, name)
    folder = None
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    if size > MAX_LINE:
        path, folder = _without_long_lines(path, name)
    try:
        for secret in scan.scan_file(path):
            collection[name].add(secret)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


# Longer lines are not given to detect-secrets: some of its detectors take quadratic time on
# one long line (a 4 MB line kept it busy past the 15-minute timeout). They are reported
# instead (``line-too-long``), and in diff mode a new one blocks like an unscanned file.
MAX_LINE = 20_000
_LONG_LINES: dict[str, list[tuple[int, str]]] = {}


def _without_long_lines(path: str, name: str) -> tuple[str, str | None]:
    """A copy of the file with its over-long lines emptied (line numbers kept), if any."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return path, None
    lines = data.split(b"\n")
    over = [(i, line) for i, line in enumerate(lines, 1) if len(line) > MAX_LINE]
    if not over:
        return path, None
    _LONG_LINES[name] = [(i, hashlib.sha256(line).hexdigest()) for i, line in over]
    for i, _ in over:
        lines[i - 1] = b""
    folder = tempfile.mkdtemp(prefix="secure-gate-long-")
    copy = os.path.join(folder, os.path.basename(name))  # detectors go by the extension
    with open(copy, "wb") as fh:
        fh.write(b"\n".join(lines))
    return copy, folder


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Scan ``request["files"]`` (paths relative to ``request["root"]``)."""
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection

    from secure_gate.scanners.detect_secrets import plugins as secrets_plugins

    disabled = set(request.get("disable_plugins", ()))
    own = {n: getattr(secrets_plugins, n) for n in dir(secrets_plugins)
           if n.endswith("Detector") and n != "RegexBasedDetector"}
    extra: list[str] = []
    for plugin in request.get("disable_plugins", ()):
        if plugin not in own:
            extra += ["--disable-plugin", plugin]
    for regex in request.get("exclude_lines", ()):
        extra += ["--exclude-lines", regex]
    _configure(tuple(extra), bool(request.get("fast", True)))
    root = str(request["root"])
    collection = SecretsCollection(root=root)
    names = [os.path.relpath(name, root) for name in request["files"]]
    _YAML_SKIPPED.clear()
    _LONG_LINES.clear()
    for name in names:
        _scan_exact(collection, root, name)
    if request.get("own_detectors", True):
        plugins = [cls() for n, cls in sorted(own.items()) if n not in disabled]
        _own_pass(collection, root, names, plugins,
                  [re.compile(r) for r in request.get("exclude_lines", ())])
    counts: dict[str, dict[str, int]] = {}
    marks: dict[tuple[str, str, int | None], str] = {}
    if request.get("benign_filters", True):
        _post_filter(collection, root, counts, marks)
    document: dict[str, Any] = baseline.format_for_output(collection)
    for filename, found in document.get("results", {}).items():
        for entry in found:
            kind = marks.get((filename, entry.get("hashed_secret"), entry.get("line_number")))
            if kind:
                entry["secure_gate_kind"] = kind
    _mark_allowlisted(document, root)
    document["secure_gate"] = {"benign": counts, "long_lines": dict(_LONG_LINES),
                               "yaml_over_budget": {
        os.path.relpath(path, root): why for path, why in _YAML_SKIPPED.items()}}
    return document
