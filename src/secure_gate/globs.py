"""Exclude globs over repo-relative POSIX paths, meaning exactly what a .gitignore line means.

Matching is pathspec's implementation of git's wildmatch rules (``GitIgnoreSpec``): a
pattern without a ``/`` except at its end matches a name at any depth (``*.min.js``,
``vendor``); any other ``/`` anchors it at the repository root (``/settings.py`` is only the
root's, ``docs/*.py`` only docs' own files); ``**`` spans folders; a trailing ``/`` only
matches folders; a matched folder excludes everything under it. Tested against
``git check-ignore`` on a table of patterns and paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import pathspec


class Glob:
    """One compiled exclude pattern."""

    __slots__ = ("_regexes", "pattern")

    def __init__(self, pattern: str, regexes: list[re.Pattern[str]]) -> None:
        self.pattern = pattern
        self._regexes = regexes

    def fullmatch(self, path: str) -> bool:
        """True when ``path`` (repo-relative POSIX) or a folder above it is matched."""
        return any(rx.search(path) for rx in self._regexes)


def _normalise(pattern: str) -> str:
    text = pattern.strip()
    if not text:
        raise ValueError("an exclude pattern may not be empty")
    if text == "/" or text.startswith("//"):
        raise ValueError(f"exclude pattern {pattern!r} is absolute; use a repo-relative glob")
    if text.startswith("!"):
        raise ValueError(f"exclude pattern {pattern!r}: negation ('!') is not supported; list "
                         "only what to exclude (escape a leading '!' as '\\!')")
    if text.startswith("#"):
        raise ValueError(f"exclude pattern {pattern!r} is a comment in .gitignore syntax; "
                         "escape a leading '#' as '\\#'")
    while text.startswith("./"):  # a spelling of "from the root" that .gitignore lacks
        text = "/" + text[2:].lstrip("/")
    if text.strip("/") == "":
        raise ValueError(f"exclude pattern {pattern!r} matches nothing")
    return text


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> Glob:
    """Compile one pattern; ``ValueError`` says what is wrong with a bad one."""
    text = _normalise(pattern)
    try:
        spec = pathspec.GitIgnoreSpec.from_lines([text])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"exclude pattern {pattern!r} is not a valid glob: {exc}") from None
    # pathspec's expressions, with '.' also matching a newline: git's names may hold one.
    regexes = [re.compile(p.regex.pattern, p.regex.flags | re.DOTALL)
               for p in spec.patterns
               if isinstance(p, pathspec.RegexPattern) and p.include and p.regex is not None]
    return Glob(pattern, regexes)


class GlobSet:
    """A set of exclude globs, compiled once (no negation: any match excludes)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = [compile_glob(p) for p in self.patterns]

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def matches(self, path: str) -> bool:
        """True when ``path`` (repo-relative POSIX) or a folder above it is matched."""
        return any(g.fullmatch(path) for g in self._compiled)
