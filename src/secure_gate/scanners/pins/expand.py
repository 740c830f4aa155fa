"""Variables in Dockerfiles and workflows, resolved to the values they can take or to None."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# More combinations than this (a matrix of matrices) is not worth guessing at.
_LIMIT = 64
_REFERENCE = re.compile(
    r"\$\{\{\s*(?P<expr>.*?)\s*\}\}"                                   # ${{ matrix.x }}
    r"|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"  # ${X:-d}
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"                              # $X
    r"|[$`]",                                                           # anything else
    re.DOTALL,
)
_CONTEXT = re.compile(r"(?P<context>matrix|env)\.(?P<key>[A-Za-z_][A-Za-z0-9_-]*)")


@dataclass(frozen=True, slots=True)
class Value:
    """One value a reference can take; ``line`` is where it was written, for matrix values."""

    text: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Known variables (None: declared without a value) and a job's literal matrix.

    ``fetched`` collects the folders that earlier ``pip wheel -w``/``pip download -d`` commands
    of the same Dockerfile or job filled (shared, so later commands see them).
    """

    variables: Mapping[str, str | None]
    matrix: Mapping[str, Sequence[Value]] | None = None
    fetched: set[str] = field(default_factory=set, compare=False)

    def _lookup(self, match: re.Match[str]) -> list[Value] | None:
        if match.group("expr") is not None:
            found = _CONTEXT.fullmatch(match.group("expr"))
            if found is None:
                return None
            if found.group("context") == "matrix":
                values = (self.matrix or {}).get(found.group("key"))
                return list(values) if values else None
            value = self.variables.get(found.group("key"))
            return [Value(value)] if value is not None else None
        name = match.group("braced") or match.group("bare")
        if name is None:
            return None  # $(command), `command`, $1, $@ ...: only known when it runs
        value = self.variables.get(name)
        op = match.group("op")
        if op is None:
            return [Value(value)] if value is not None else None
        word = match.group("word") or ""
        is_set = value is not None and (value != "" or ":" not in op)
        if op.endswith("-"):
            return [Value(value if is_set and value is not None else word)]
        return [Value(word if is_set else "")]

    def expand(self, text: str) -> list[Value] | None:
        """Every value ``text`` can take, or None when some part cannot be known here."""
        results = [Value("")]
        position = 0
        for match in _REFERENCE.finditer(text):
            literal = text[position:match.start()]
            position = match.end()
            options = self._lookup(match)
            if options is None:
                return None
            if len(results) * len(options) > _LIMIT:
                return None
            results = [Value(r.text + literal + o.text, r.line or o.line)
                       for r in results for o in options]
        tail = text[position:]
        return [Value(r.text + tail, r.line) for r in results]


def has_reference(text: str) -> bool:
    """True if ``text`` contains a variable, expression or command substitution."""
    return "$" in text or "`" in text
