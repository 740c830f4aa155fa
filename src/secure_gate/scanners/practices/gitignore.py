"""Does the root ``.gitignore`` ignore ``.env``? git answers in a work tree; else we read it."""

# With git, ``git check-ignore --no-index -v`` applies every gitignore rule exactly and says
# which pattern decided; only a pattern from a ``.gitignore`` file counts, since
# ``.git/info/exclude`` and a global excludes file protect one clone, not the team. Without git
# (a copy of a commit's files), the root ``.gitignore`` is read here with git's rules for a
# file at the root: blank lines and ``#`` comments skipped, trailing unescaped spaces dropped,
# ``\`` escapes, ``!`` negation (last match wins), a trailing ``/`` (folders only) never
# matching a file, a leading ``/`` or ``**/`` anchoring at the root, ``*``/``?``/``[...]``.

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from secure_gate import git

TARGET = ".env"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether ``.env`` is ignored, and the line of the ``.gitignore`` pattern that decided."""

    ignored: bool
    line: int | None = None
    how: str = "git"


def _pattern_regex(pattern: str) -> re.Pattern[str] | None:
    """A regex for a gitignore pattern applied to a name at the root (None: cannot match)."""
    if pattern.endswith("/"):
        return None  # matches folders only
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    pattern = pattern.removeprefix("/")
    if "/" in pattern and pattern != "**":
        return None  # names a path below the root
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            out.append(".*")  # no "/" in a root file name, so * and ** agree here
            i += 1
        elif char == "?":
            out.append(".")
            i += 1
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return None  # git ignores a malformed pattern too


def read_verdict(text: str) -> Verdict:
    """Whether a root ``.gitignore`` with ``text`` ignores the file ``.env`` at the root."""
    ignored, decided = False, None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        stripped = re.sub(r"(?<!\\)[ ]+$", "", line)
        if not stripped or stripped.startswith("#"):
            continue
        negate = stripped.startswith("!")
        pattern = stripped[1:] if negate else stripped
        regex = _pattern_regex(pattern)
        if regex is not None and regex.fullmatch(TARGET):
            ignored, decided = not negate, number
    return Verdict(ignored, decided, "read")


def git_verdict(root: Path, timeout: float) -> Verdict | None:
    """git's answer for ``.env`` at ``root`` (None when git cannot answer)."""
    fields = git.check_ignore(root, TARGET, timeout)
    if fields is None or len(fields) < 4:
        return None
    source, number, pattern = (f.decode("utf-8", "replace") for f in fields[:3])
    if not source or source.startswith("/") or source.rsplit("/", 1)[-1] != ".gitignore":
        return Verdict(False)  # nothing matched, or only this clone's own excludes did
    return Verdict(not pattern.startswith("!"), _line_at_root(root, number, pattern))


def _line_at_root(root: Path, number: str, pattern: str) -> int | None:
    """git names the deciding file relative to the repository's top, which may be above
    ``root``: give the line only when the root's own .gitignore has the pattern there."""
    if not number.isdigit():
        return None
    try:
        lines = (root / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    index = int(number) - 1
    return index + 1 if 0 <= index < len(lines) and lines[index].strip() == pattern else None
