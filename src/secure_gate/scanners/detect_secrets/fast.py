"""detect-secrets without the wasted work: skip plugins that provably cannot match a line.

detect-secrets (1.3.0 to 1.5.0) calls every plugin on every line through a reflective
injection layer (``call_function_with_arguments``), which costs far more than the plugins' own
regular expressions: on Django's sources about four fifths of its time. This module replaces
only its per-line loop (``core.scan._process_line_based_plugins``) with one that first asks, for
each plugin, the cheapest question that is implied by the plugin's own code:

* a regex detector (``RegexBasedDetector`` with the stock ``analyze_line``/``analyze_string``,
  and ``JwtTokenDetector``, which only filters those matches) can only report a line on which
  one of its ``denylist`` patterns matches;
* a high-entropy detector only reports quoted strings its ``regex`` finds on the line;
* the keyword detector only reports what one of the patterns it picks for the file's type
  finds on the line.

A plugin whose answer is "no" would have produced nothing, so it is not called; a line for
which every plugin says "no" skips the line filters too (filters only ever remove results).
Everything else, including filters, transformers, context and ordering, is detect-secrets'
own code. Any other plugin, or a detect-secrets version outside :data:`SUPPORTED`, takes
the stock path. Equivalence is checked by tests on recorded inputs (the stock path forced, as
on an unsupported version) and by ``bench/equivalence.py``.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Generator, Iterable
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

# What process_lines relies on is the same code, compared function by function, in
# detect-secrets 1.3.0, 1.4.0 and 1.5.0: core.scan's _process_line_based_plugins (which it
# replaces), _scan_line and _is_filtered_out (called with the same keywords; 1.5.0 changed
# only its log messages), settings.get_plugins, util.code_snippet.get_code_snippet,
# util.filetype.determine_file_type, BasePlugin.analyze_line, RegexBasedDetector.analyze_string,
# HighEntropyStringsPlugin.analyze_line/analyze_string/regex, KeywordDetector.analyze_line and
# keyword's REGEX_BY_FILETYPE and QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP. 1.2.0 and earlier
# differ in the loop, _scan_line, analyze_line and the keyword patterns. 1.5.0 is the newest
# release on PyPI (checked December 2026): a later one takes the stock path until compared.
SUPPORTED = SpecifierSet(">=1.3.0,<=1.5.0")
_INTERNALS = {"_process_line_based_plugins": ["lines", "filename"],
              "_scan_line": ["plugin", "filename", "line", "line_number", "context"],
              "_is_filtered_out": ["required_filter_parameters"]}
_STOCK: dict[str, Any] = {}
_GATES: dict[tuple[int, ...], Callable[[str], bool] | None] = {}

Check = Callable[[str], bool] | None
_SCOPED_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}


def _patterns_for(plugin: Any, filename: str) -> list[re.Pattern[str]] | None:
    """The patterns whose match is necessary for ``plugin`` to report a line (None: unknown)."""
    from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.keyword import (
        QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
        REGEX_BY_FILETYPE,
        KeywordDetector,
    )
    from detect_secrets.util.filetype import determine_file_type

    cls = type(plugin)
    if cls is KeywordDetector:
        return list(REGEX_BY_FILETYPE.get(determine_file_type(filename),
                                          QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP))
    if (isinstance(plugin, HighEntropyStringsPlugin)
            and cls.analyze_line is HighEntropyStringsPlugin.analyze_line
            and cls.analyze_string is HighEntropyStringsPlugin.analyze_string):
        return [plugin.regex]
    if isinstance(plugin, RegexBasedDetector) and cls.analyze_line is BasePlugin.analyze_line \
            and (cls.analyze_string is RegexBasedDetector.analyze_string
                 or cls is JwtTokenDetector):
        return list(plugin.denylist)
    return None


def _check_for(patterns: list[re.Pattern[str]] | None) -> Check:
    if patterns is None:
        return None
    return lambda line: any(rx.search(line) for rx in patterns)


def _combine(patterns: list[re.Pattern[str]]) -> Callable[[str], bool]:
    """One search that matches iff one of ``patterns`` matches somewhere in the line.

    Patterns are joined as scoped-flag alternatives; any pattern that cannot be joined
    (back-references, group names, other flags) is searched on its own.
    """
    joinable, alone = [], []
    for rx in patterns:
        extra = rx.flags & ~(re.UNICODE | sum(_SCOPED_FLAGS))
        if extra or rx.groupindex or re.search(r"\\[1-9]|\(\?P=", rx.pattern):
            alone.append(rx)
        else:
            flags = "".join(c for f, c in _SCOPED_FLAGS.items() if rx.flags & f)
            joinable.append(f"(?{flags}:{rx.pattern})" if flags else f"(?:{rx.pattern})")
    try:
        combined = re.compile("|".join(joinable)) if joinable else None
    except re.error:
        combined, alone = None, list(patterns)
    if combined is None:
        return lambda line: any(rx.search(line) for rx in alone)
    if not alone:
        return lambda line: combined.search(line) is not None
    return lambda line: combined.search(line) is not None or any(rx.search(line) for rx in alone)


def process_lines(lines: list[tuple[int, str]],
                  filename: str) -> Generator[Any, None, None]:
    """Drop-in for ``detect_secrets.core.scan._process_line_based_plugins``."""
    from detect_secrets.core import scan
    from detect_secrets.settings import get_plugins
    from detect_secrets.util.code_snippet import get_code_snippet

    plugins = get_plugins()
    per_plugin = [_patterns_for(plugin, filename) for plugin in plugins]
    checks = [_check_for(patterns) for patterns in per_plugin]
    # A first, single search per line: is any plugin possibly interested at all?
    gate = None
    if all(p is not None for p in per_plugin):
        key = tuple(id(rx) for patterns in per_plugin for rx in patterns or ())
        if key not in _GATES:
            _GATES[key] = _combine([rx for patterns in per_plugin for rx in patterns or ()])
        gate = _GATES[key]
    line_content = [line[1] for line in lines]
    for line_number, raw in lines:
        line = raw.rstrip()
        if gate is not None and not gate(line):
            continue
        candidates = [p for p, check in zip(plugins, checks, strict=True)
                      if check is None or check(line)]
        if not candidates:
            continue
        code_snippet = get_code_snippet(lines=line_content, line_number=line_number)
        if scan._is_filtered_out(required_filter_parameters=["line"], filename=filename,
                                 line=line, context=code_snippet):
            continue
        yield from (
            secret
            for plugin in candidates
            for secret in scan._scan_line(plugin=plugin, filename=filename, line=line,
                                          line_number=line_number, context=code_snippet)
            if not scan._is_filtered_out(required_filter_parameters=["context"],
                                         filename=secret.filename, secret=secret.secret_value,
                                         plugin=plugin, line=line, context=code_snippet)
        )


def supported(version: str) -> bool:
    """True for a detect-secrets version whose internals the fast loop was compared with."""
    try:
        return Version(version) in SUPPORTED
    except InvalidVersion:
        return False


def _internals_as_expected(scan: Any) -> bool:
    """The functions the fast loop calls or replaces exist and take the same arguments (a
    patched or vendored detect-secrets that reports a supported version still falls back)."""
    for name, params in _INTERNALS.items():
        function = getattr(scan, name, None)
        if not callable(function):
            return False
        try:
            names = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            return False
        if names[:len(params)] != params:
            return False
    return True


def install(enabled: bool) -> bool:
    """Use the fast loop (True) or detect-secrets' own (False); returns what is in effect."""
    from detect_secrets import __version__ as ds_version
    from detect_secrets.core import scan

    _STOCK.setdefault("loop", scan._process_line_based_plugins)
    use_fast = (enabled and supported(str(ds_version.VERSION))
                and _internals_as_expected(scan))
    scan._process_line_based_plugins = process_lines if use_fast else _STOCK["loop"]
    return use_fast


def stock(lines: Iterable[tuple[int, str]], filename: str) -> Any:
    """detect-secrets' own loop (for equivalence checks)."""
    return _STOCK["loop"](list(lines), filename)
