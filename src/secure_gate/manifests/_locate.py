"""Line numbers for values that tomllib and json parse without positions."""

from __future__ import annotations

import bisect
import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class TomlString:
    """A string literal in a TOML document: its first and last line and its value."""

    line: int
    end_line: int
    value: str
    offset: int


class _Lines:
    """Offset → 1-based line number."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def at(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def toml_strings(text: str) -> list[TomlString]:
    """Every string literal (keys included) in document order, decoded by tomllib itself.

    Comments are skipped so that a ``#`` inside a string and a quote inside a comment are
    both read correctly; the text must already have parsed as TOML.
    """
    lines = _Lines(text)
    out: list[TomlString] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if char not in "\"'":
            i += 1
            continue
        triple = text.startswith(char * 3, i)
        quote = char * 3 if triple else char
        j = i + len(quote)
        while j < n:
            if char == '"' and text[j] == "\\":
                j += 2
                continue
            if text.startswith(quote, j):
                break
            j += 1
        end = j + len(quote)
        # A multi-line string may end with up to two extra quotes of its kind.
        while triple and end < n and text[end] == char and end - j < 5:
            end += 1
        literal = text[i:end]
        value: object = None
        if not triple and (char == "'" or "\\" not in literal):
            value = literal[1:-1]  # nothing to decode: the common case, kept fast
        else:
            try:
                value = tomllib.loads("v = " + literal)["v"]
            except tomllib.TOMLDecodeError:
                value = None
        if isinstance(value, str):
            out.append(TomlString(lines.at(i), lines.at(end - 1), value, i))
        i = end
    return out


def find_sequence(strings: Sequence[TomlString], values: Sequence[str],
                  start: int = 0) -> list[TomlString | None]:
    """Locate ``values`` in order among ``strings`` at or after offset ``start``."""
    out: list[TomlString | None] = []
    index = next((k for k, s in enumerate(strings) if s.offset >= start), len(strings))
    for value in values:
        hit = next((k for k in range(index, len(strings)) if strings[k].value == value), None)
        if hit is None:
            out.append(None)
            continue
        out.append(strings[hit])
        index = hit + 1
    return out


def table_offset(text: str, header: str) -> int:
    """Offset of the line ``[header]`` (0 when absent: search the whole document)."""
    offset = 0
    for raw in text.splitlines(keepends=True):
        stripped = raw.split("#", 1)[0].strip()
        if stripped.replace(" ", "") == f"[{header}]":
            return offset
        offset += len(raw)
    return 0


def array_table_lines(text: str, name: str) -> list[int]:
    """1-based lines of every ``[[name]]`` header that is not inside a multi-line string."""
    spans = [(s.line, s.end_line) for s in toml_strings(text) if s.end_line > s.line]
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.split("#", 1)[0].strip().replace(" ", "") != f"[[{name}]]":
            continue
        if any(first < number <= last for first, last in spans):
            continue
        out.append(number)
    return out


def key_line(text_lines: Sequence[str], first: int, last: int, key: str) -> int | None:
    """The line of ``key = ...`` in lines ``first..last`` before any sub-table header."""
    for number in range(first + 1, min(last, len(text_lines)) + 1):
        stripped = text_lines[number - 1].strip()
        if stripped.startswith("["):
            return None
        name, sep, _ = stripped.partition("=")
        if sep and name.strip().strip("\"'") == key:
            return number
    return None


def json_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line of every object key in a JSON document, by its path of keys."""
    lines = _Lines(text)
    out: dict[tuple[str, ...], int] = {}
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def value(i: int, path: tuple[str, ...]) -> int:
        if len(path) > _MAX_DEPTH:
            raise ValueError("JSON nested too deeply")
        i = skip(i)
        opener = text[i]
        if opener not in "{[":
            return int(decoder.raw_decode(text, i)[1])
        closer = "}" if opener == "{" else "]"
        i = skip(i + 1)
        index = 0
        while text[i] != closer:
            if opener == "{":
                key, i = decoder.raw_decode(text, i)
                out[(*path, str(key))] = lines.at(i)
                i = value(skip(i) + 1, (*path, key))
            else:
                i = value(i, (*path, str(index)))
                index += 1
            i = skip(i)
            if text[i] == ",":
                i = skip(i + 1)
        return i + 1

    value(0, ())
    return out
