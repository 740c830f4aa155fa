"""YAML composed into nodes that keep their lines: safe loader only, anchors and merges handled.

Shared by the pin checker and the practices scanner (workflows, action.yml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# The line breaks PyYAML counts when it numbers lines (YAML 1.1 includes NEL, LS and PS).
_BREAKS = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


class YamlError(ValueError):
    """The text is not YAML that can be read; the message names the line."""


def compose(text: str) -> Node | None:
    """One YAML document as a node tree (None when empty or only comments).

    ``yaml.compose`` with the safe loader builds nodes without constructing any Python
    object, so tags cannot run code and aliases stay shared references (no billion-laughs
    expansion).
    """
    try:
        return yaml.compose(text.lstrip("\ufeff"), Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise YamlError(f"{where}{problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(" ".join(str(exc).split())) from None
    except RecursionError:
        raise YamlError("nested too deeply to read") from None


def line(node: Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def text(node: Node | None) -> str | None:
    """A scalar's text, or None for anything else."""
    return node.value if isinstance(node, ScalarNode) else None


def items(node: Node | None) -> Iterator[tuple[str, Node]]:
    """A mapping's (key, value) pairs with ``<<`` merge keys applied; explicit keys win."""
    if not isinstance(node, MappingNode):
        return
    seen: set[str] = set()
    yield from _items(node, seen, set())


def _items(node: MappingNode, seen: set[str], visiting: set[int]) -> Iterator[tuple[str, Node]]:
    if id(node) in visiting:  # an anchor that merges itself: YAML allows the cycle
        return
    visiting.add(id(node))
    merges: list[MappingNode] = []
    explicit: set[str] = set()
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            continue
        if key.tag == "tag:yaml.org,2002:merge":
            sources = value.value if isinstance(value, SequenceNode) else [value]
            merges.extend(s for s in sources if isinstance(s, MappingNode))
            continue
        if key.value in explicit:
            # GitHub refuses a duplicated key; reading only one of them could hide the other.
            raise YamlError(f"line {line(key)}: duplicate key {key.value!r}")
        explicit.add(key.value)
        if key.value not in seen:
            seen.add(key.value)
            yield key.value, value
    for source in merges:
        yield from _items(source, seen, visiting)


def get(node: Node | None, key: str) -> Node | None:
    """The value under ``key`` in a mapping (merges applied), or None.

    The whole mapping is read, so a duplicated key anywhere in it is an error.
    """
    found = None
    for name, value in items(node):
        if name == key and found is None:
            found = value
    return found


def sequence(node: Node | None) -> list[Node]:
    """A sequence's items, or an empty list for anything else."""
    return list(node.value) if isinstance(node, SequenceNode) else []


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar's value and how to find the file position of any offset in it."""

    value: str
    node: ScalarNode
    raw_lines: tuple[str, ...]

    def position(self, offset: int, token: str) -> tuple[int, int | None]:
        """(line, column) of ``value[offset:]``, 1-based; ``token`` helps where YAML folded."""
        start = self.node.start_mark
        end = self.node.end_mark
        if self.node.style == "|":
            index = self.value.count("\n", 0, offset)
            number = start.line + 1 + index
            line_start = self.value.rfind("\n", 0, offset) + 1
            line_end = self.value.find("\n", offset)
            content = self.value[line_start: line_end if line_end >= 0 else len(self.value)]
            column: int | None = None
            if number < len(self.raw_lines) and self.raw_lines[number].endswith(content):
                column = len(self.raw_lines[number]) - len(content) + offset - line_start + 1
            return number + 1, column
        if start.line == end.line:
            quoted = 1 if self.node.style in ("'", '"') else 0
            return start.line + 1, start.column + quoted + offset + 1
        # Folded and multi-line flow scalars lose their line breaks: find the token instead.
        before = self.value[:offset]
        skip = before.count(token) if token else 0
        for number in range(start.line, min(end.line + 1, len(self.raw_lines))):
            raw = self.raw_lines[number]
            found = raw.count(token) if token else 0
            if found > skip:
                column_at = -1
                for _ in range(skip + 1):
                    column_at = raw.find(token, column_at + 1)
                return number + 1, column_at + 1
            skip -= found
        return start.line + 1, None


def raw_lines(source: str) -> tuple[str, ...]:
    """The document's physical lines, split where PyYAML counts a line break."""
    return tuple(_BREAKS.split(source.lstrip("\ufeff")))


def scalar(node: Node | None, lines: tuple[str, ...]) -> Scalar | None:
    """A :class:`Scalar` for a scalar node of the document whose :func:`raw_lines` are given."""
    if not isinstance(node, ScalarNode):
        return None
    return Scalar(node.value, node, lines)


def span(node: Node) -> tuple[int, int, int, int | None]:
    """(line, end line, column, inclusive end column) of a single node, 1-based."""
    start, end = node.start_mark, node.end_mark
    end_column = int(end.column) if end.line == start.line and end.column > start.column else None
    return int(start.line) + 1, int(start.line) + 1, int(start.column) + 1, end_column
