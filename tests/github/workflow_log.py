"""Read a step's stdout the way the Actions runner does, to see which commands it would run."""

from __future__ import annotations

from dataclasses import dataclass, field

# ActionCommand.cs: data unescapes CR, LF, then %; properties also ':' and ','.
_DATA = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))
OURS = frozenset({"add-mask", "group", "endgroup", "stop-commands", "error", "warning",
                  "notice"})


@dataclass(frozen=True)
class Command:
    """One workflow command the runner would process."""

    command: str
    properties: dict[str, str]
    message: str
    legacy: bool = False


@dataclass
class Log:
    """The lines of a log and the commands found in them."""

    lines: list[str]
    commands: list[Command] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)

    @property
    def annotations(self) -> list[Command]:
        return [c for c in self.commands if c.command in ("error", "warning", "notice")]

    def unexpected(self) -> list[Command]:
        """Commands we never print: any of them means something got through unescaped."""
        return [c for c in self.commands if c.legacy or c.command not in OURS]


def _unescape(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for escaped, char in table:
        text = text.replace(escaped, char)
    return text


def _modern(line: str) -> Command | None:
    trimmed = line.lstrip()
    if not trimmed.startswith("::"):
        return None
    end = trimmed.find("::", 2)
    if end < 0:
        return None
    info, data = trimmed[2:end], trimmed[end + 2:]
    name, _, props = info.partition(" ")
    properties: dict[str, str] = {}
    for pair in filter(None, props.split(",")):
        key, sep, value = pair.partition("=")
        if sep:
            properties[key] = _unescape(value, _PROPERTY)
    return Command(name, properties, _unescape(data, _DATA))


def _legacy(line: str) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, _, _props = line[start + 3:end].partition(" ")
    return Command(name, {}, line[end + 1:], legacy=True)


def read_log(text: str) -> Log:
    """Parse every line; ``::stop-commands::TOKEN`` suspends parsing until ``::TOKEN::``."""
    log = Log(text.splitlines())
    stop_token: str | None = None
    for line in log.lines:
        if stop_token is not None:
            if line.strip() == f"::{stop_token}::":
                stop_token = None
            else:
                log.plain.append(line)
            continue
        command = _modern(line) or _legacy(line)
        if command is None:
            log.plain.append(line)
            continue
        log.commands.append(command)
        if command.command == "stop-commands":
            stop_token = command.message
    return log
