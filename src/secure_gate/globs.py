"""Exclude globs over repo-relative POSIX paths, with ``**`` and directory prefixes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """Compile one glob. Raises ``ValueError`` for an empty or absolute pattern.

    A pattern without ``/`` matches a file or folder name at any depth (``*.min.js``,
    ``vendor``); one with ``/`` is anchored at the repository root (``docs/*.py``);
    ``**`` spans folders; a trailing ``/`` only matches folders. A match on a folder
    excludes everything under it.
    """
    text = pattern.strip()
    if not text:
        raise ValueError("an exclude pattern may not be empty")
    if text.startswith("/") and len(text) > 1 and not text.startswith("//"):
        text = text[1:]
    elif text.startswith("/"):
        raise ValueError(f"exclude pattern {pattern!r} is absolute; use a repo-relative glob")
    while text.startswith("./"):
        text = text[2:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        raise ValueError(f"exclude pattern {pattern!r} matches nothing")
    body = _translate(text)
    if "/" not in text:
        body = "(?:.*/)?" + body
    # A folder match excludes what is below it; a file-or-folder match may also be the file.
    tail = "/.*" if dir_only else "(?:/.*)?"
    try:
        return re.compile(body + tail, re.DOTALL)
    except re.error as exc:
        raise ValueError(f"exclude pattern {pattern!r} is not a valid glob: {exc}") from None


class GlobSet:
    """A set of exclude globs, compiled once."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = [compile_glob(p) for p in self.patterns]

    def __bool__(self) -> bool:
        return bool(self._compiled)

    def matches(self, path: str) -> bool:
        """True when ``path`` (repo-relative POSIX) or a folder above it is matched."""
        return any(rx.fullmatch(path) for rx in self._compiled)
