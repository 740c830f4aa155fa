"""Read a step's output the way the Actions runner does, to prove which commands it would run.

Modelled on actions/runner: ``ProcessInvoker`` reads lines with .NET ``ReadLine`` (``\\n``,
``\\r`` or ``\\r\\n`` end a line); ``ActionCommandManager.TryProcessCommand`` tries the
modern form (``ActionCommand.TryParseV2``: ``::name k=v,k=v::data`` at the start of the
line after ``TrimStart()``) and only when that fails the legacy one (``TryParse``:
``##[name k=v;]data`` anywhere in the line); command names are case-insensitive and must be
registered; ``::stop-commands::TOKEN`` suspends every command until one named TOKEN.

Where a detail is uncertain the reader errs towards finding *more* commands, and it also
lists near misses: lines that look like a command to a human or to a future runner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Every command the runner registers (ActionCommandManager and its extensions).
RUNNER_COMMANDS = frozenset({
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "internal-set-repo-path", "notice", "remove-matcher", "save-state", "set-env",
    "set-output", "stop-commands", "warning",
})
ANNOTATIONS = frozenset({"error", "warning", "notice"})
# .NET char.IsWhiteSpace, which String.TrimStart() and Trim() strip.
DOTNET_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200b)))
                + "\u2028\u2029\u202f\u205f\u3000")
# ActionCommand.cs: each table is undone in this order.
_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
_LEGACY = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))
_LINE_END = re.compile(r"\r\n|\r|\n")


def _undo(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for escaped, char in table:
        text = text.replace(escaped, char)
    return text


def decode_data(text: str) -> str:
    """A command's data as the runner decodes it (``UnescapeData``)."""
    return _undo(text, _DATA)


def decode_property(text: str) -> str:
    """A property value as the runner decodes it (``UnescapeProperty``)."""
    return _undo(text, _PROPERTY)


def split_lines(text: str) -> list[str]:
    """Lines as .NET ``StreamReader.ReadLine`` returns them (a final line end adds none)."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _split_two(text: str, sep: str) -> list[str]:
    """.NET ``Split(sep, count: 2, RemoveEmptyEntries)``: empties skipped, rest kept whole."""
    parts: list[str] = []
    start = 0
    for i, char in enumerate(text):
        if char == sep:
            if i > start:
                parts.append(text[start:i])
            start = i + 1
            if parts:
                break
    if start < len(text):
        parts.append(text[start:])
    return parts


@dataclass(frozen=True)
class Command:
    """One command the runner would process."""

    name: str
    properties: dict[str, str]
    data: str
    line_number: int
    legacy: bool = False

    def get(self, key: str) -> str | None:
        """A property by name, case-insensitively like the runner."""
        return next((v for k, v in self.properties.items() if k.lower() == key.lower()), None)


def _properties(text: str, sep: str, table: tuple[tuple[str, str], ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in filter(None, text.split(sep)):
        parts = _split_two(pair, "=")
        if len(parts) == 2:
            found[parts[0]] = _undo(parts[1], table)
    return found


def parse_modern(line: str, registered: Iterable[str], number: int = 0) -> Command | None:
    """``TryParseV2``: the line, trimmed at the start, is ``::name[ props]::data``."""
    message = line.lstrip(DOTNET_SPACE)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name.lower() not in {r.lower() for r in registered}:
        return None
    props = _properties(info[space + 1:].strip(DOTNET_SPACE), ",", _PROPERTY) if space > 0 \
        else {}
    return Command(name, props, decode_data(message[end + 2:]), number)


def parse_legacy(line: str, registered: Iterable[str], number: int = 0) -> Command | None:
    """``TryParse``: ``##[name[ k=v;...]]data`` anywhere in the line."""
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + 3:end]
    space = info.find(" ")
    name = info if space < 0 else info[:space]
    if name.lower() not in {r.lower() for r in registered}:
        return None
    props = _properties(info[space + 1:], ";", _LEGACY) if space > 0 else {}
    return Command(name, props, _undo(line[end + 1:], _LEGACY), number, legacy=True)


def looks_like_command(line: str) -> bool:
    """A line a future runner (or a reader) might take for a command, registered or not."""
    trimmed = line.lstrip(DOTNET_SPACE)
    modern = trimmed.startswith("::") and trimmed.find("::", 2) >= 0
    legacy = "##[" in line and line.find("]", line.find("##[")) >= 0
    return modern or legacy


@dataclass
class Stream:
    """What the runner made of a step's output."""

    lines: list[str]
    commands: list[Command] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    near_misses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def annotations(self) -> list[Command]:
        """The error, warning and notice commands, in order."""
        return [c for c in self.commands if c.name.lower() in ANNOTATIONS]

    def unexpected(self, allowed: Iterable[str]) -> list[Command]:
        """Commands other than ``allowed`` ones, and every legacy command."""
        names = {a.lower() for a in allowed}
        return [c for c in self.commands if c.legacy or c.name.lower() not in names]


def read(text: str, registered: Iterable[str] = RUNNER_COMMANDS) -> Stream:
    """Every line of ``text`` through the runner's command processing."""
    known = set(registered)
    stream = Stream(split_lines(text))
    token: str | None = None
    for number, line in enumerate(stream.lines, 1):
        names = known | ({token} if token else set())
        command = parse_modern(line, names, number) or parse_legacy(line, names, number)
        if token is not None:
            if command is not None and command.name.lower() == token.lower():
                stream.commands.append(command)
                token = None
            else:
                stream.stopped.append(line)
            continue
        if command is None:
            stream.plain.append(line)
            if looks_like_command(line):
                stream.near_misses.append(line)
            continue
        stream.commands.append(command)
        if command.name.lower() == "stop-commands":
            candidate = command.data
            if not candidate or candidate.lower() in {k.lower() for k in known} | {
                    "pause-logging"}:
                # The runner refuses such a token; commands keep running.
                stream.problems.append(f"line {number}: invalid stop token {candidate!r}")
            else:
                token = candidate
    if token is not None:
        stream.problems.append(f"commands were stopped with {token!r} and never resumed")
    return stream
