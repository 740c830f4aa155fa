"""Dockerfiles read as Docker reads them: continuations joined, every character's place kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINES = re.compile(r"\r\n|\n|\r")
_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(\S*)\s*")
_DIRECTIVES = frozenset({"syntax", "escape", "check"})  # the ones BuildKit knows
# BuildKit reads `<<EOF`, `<<-EOF`, `<<"EOF"` and `<<'EOF'` in RUN, COPY and ADD as here-docs.
_HEREDOC = re.compile(r"(?<![<\w])<<(-?)(?:(['\"])([^'\"\s]+)\2|([A-Za-z0-9_][^\s<>;&|'\"]*))")
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


class DockerfileError(ValueError):
    """The Dockerfile cannot be read the way Docker would; the message names the line."""


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document: where its marker sits in the arguments, and its body."""

    marker_start: int
    marker_end: int
    delimiter: str
    body: str
    first_line: int


@dataclass(slots=True)
class Instruction:
    """One instruction; ``where[i]`` is the (line, column) of ``args[i]``, both 1-based."""

    keyword: str
    args: str
    where: list[tuple[int, int]]
    line: int
    end_line: int
    heredocs: list[Heredoc] = field(default_factory=list)

    def position(self, offset: int) -> tuple[int, int]:
        """The (line, column) of an offset into ``args`` (the last character past the end)."""
        if not self.where:
            return self.line, 1
        return self.where[min(max(offset, 0), len(self.where) - 1)]


def _escape_char(lines: list[str]) -> tuple[str, int]:
    """The escape character from a leading ``# escape=`` directive, and where content starts."""
    escape = "\\"
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.fullmatch(lines[index].strip())
        if match is None or match.group(1).lower() not in _DIRECTIVES:
            break  # BuildKit reads no directive after a line that is none (an unknown one)
        if match.group(1).lower() == "escape" and match.group(2) in ("\\", "`"):
            escape = match.group(2)
        index += 1
    return escape, index


def _is_skippable(raw: str) -> bool:
    stripped = raw.strip()
    return not stripped or stripped.startswith("#")


def parse(text: str, *, strict: bool = True) -> list[Instruction]:
    """Every instruction of a Dockerfile, with here-document bodies attached.

    A here-document that is never closed is a :class:`DockerfileError`; with ``strict``
    off it runs to the end of the file instead (for checks that read what they can).
    """
    lines = _LINES.split(text.lstrip("\ufeff"))
    escape, index = _escape_char(lines)
    out: list[Instruction] = []
    while index < len(lines):
        if _is_skippable(lines[index]):
            index += 1
            continue
        first = index
        chars: list[str] = []
        where: list[tuple[int, int]] = []
        while True:
            body = lines[index].rstrip()
            more = body.endswith(escape)
            if more:
                body = body[:-1]
                more = index + 1 < len(lines)
            for column, char in enumerate(body, start=1):
                chars.append(char)
                where.append((index + 1, column))
            index += 1
            if not more:
                break
            # Docker drops comment lines and empty lines inside a continued instruction.
            while index < len(lines) and _is_skippable(lines[index]):
                index += 1
            if index >= len(lines):
                break
        logical = "".join(chars)
        lead = len(logical) - len(logical.lstrip())
        match = re.match(r"(\S+)\s*", logical[lead:])
        if match is None:
            continue
        start = lead + match.end()
        instruction = Instruction(match.group(1).upper(), logical[start:], where[start:],
                                  first + 1, where[-1][0] if where else first + 1)
        if instruction.keyword in _HEREDOC_INSTRUCTIONS:
            index = _read_heredocs(instruction, lines, index, strict)
        out.append(instruction)
    return out


def _read_heredocs(instruction: Instruction, lines: list[str], index: int, strict: bool) -> int:
    for match in _HEREDOC.finditer(instruction.args):
        strip_tabs = match.group(1) == "-"
        delimiter = match.group(3) or match.group(4)
        first = index
        body: list[str] = []
        while True:
            if index >= len(lines) and not strict:
                break
            if index >= len(lines):
                raise DockerfileError(f"line {instruction.line}: here-document <<{delimiter} "
                                      "is never closed")
            raw = lines[index]
            index += 1
            if (raw.lstrip("\t") if strip_tabs else raw) == delimiter:
                break
            body.append(raw.lstrip("\t") if strip_tabs else raw)
        instruction.heredocs.append(Heredoc(match.start(), match.end(), delimiter,
                                            "\n".join(body), first + 1))
    if instruction.heredocs:
        instruction.end_line = index
    return index
