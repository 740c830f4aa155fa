"""Line edits that fix findings: what a fixer proposes, and the one way they are applied.

A fixer never writes a file. It returns :class:`Edit` values (replace lines ``line`` to
``end_line`` of ``path`` with ``new``), each carrying the lines it expects to replace, and
:class:`Unfixed` values saying what it could not fix and why. :func:`apply` checks every
edit against the text it is applied to, keeps each line's own line ending (``\\r\\n`` stays
``\\r\\n``), and refuses overlapping edits instead of guessing which one wins.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_ENDING = re.compile(r"(\r\n|\r|\n)")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace lines ``line``..``end_line`` (1-based, inclusive) of ``path`` with ``new``.

    ``expect`` is the text of those lines as the fixer read them (without line endings);
    ``rule`` is the finding's ``scanner/rule``; ``summary`` says what changes, in one line
    fit for a terminal (the fixer escapes nothing: renderers do).
    """

    path: str
    line: int
    end_line: int
    expect: tuple[str, ...]
    new: tuple[str, ...]
    rule: str
    summary: str

    def __post_init__(self) -> None:
        if self.line < 1 or self.end_line < self.line:
            raise ValueError(f"bad line range {self.line}-{self.end_line}")
        if len(self.expect) != self.end_line - self.line + 1:
            raise ValueError("expect must hold exactly the replaced lines")
        if any("\n" in text or "\r" in text for text in (*self.expect, *self.new)):
            raise ValueError("edit lines carry no line endings")


@dataclass(frozen=True, slots=True)
class Unfixed:
    """A finding the fixer left as it is, and why (``line`` None: the whole file)."""

    path: str
    line: int | None
    rule: str
    reason: str


@dataclass(slots=True)
class FixOutcome:
    """What a fixer returns: edits to make, findings it could not fix, notes, and errors
    (a service that could not answer: the run then ends with exit 3)."""

    edits: list[Edit] = field(default_factory=list)
    unfixed: list[Unfixed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: FixOutcome) -> None:
        """Take in another fixer's edits, unfixed findings, notes and errors."""
        self.edits.extend(other.edits)
        self.unfixed.extend(other.unfixed)
        self.notes.extend(other.notes)
        self.errors.extend(other.errors)


def _dominant_ending(lines: Sequence[tuple[str, str]]) -> str:
    counts: dict[str, int] = {}
    for _, ending in lines:
        if ending:
            counts[ending] = counts.get(ending, 0) + 1
    return max(counts, key=lambda e: counts[e]) if counts else "\n"


def split_lines(text: str) -> list[tuple[str, str]]:
    """``(content, ending)`` per line; only ``\\n``, ``\\r\\n`` and ``\\r`` end a line (what
    YAML, pip and git agree on: ``str.splitlines`` also splits at form feeds and Unicode
    separators, which would shift every line number after them)."""
    parts = _ENDING.split(text)
    lines = list(zip(parts[0::2], parts[1::2], strict=False))
    if parts[-1]:
        lines.append((parts[-1], ""))  # a last line without an ending
    return lines


def lines_of(text: str) -> list[str]:
    """The lines of ``text`` as every fixer numbers them (index + 1 is the line number)."""
    return [body for body, _ in split_lines(text)]


@dataclass(frozen=True, slots=True)
class Applied:
    """The new text, the edits made, and the edits refused (with why)."""

    text: str
    made: tuple[Edit, ...]
    refused: tuple[tuple[Edit, str], ...]


def apply(text: str, edits: Iterable[Edit]) -> Applied:
    """Apply ``edits`` (all of one file) to ``text``.

    An edit whose expected lines are not the text's, or that overlaps an edit taken before
    it, is refused; the rest are made. New lines take the ending of the line they replace
    (a file's last line without an ending keeps none), or the file's usual ending.
    """
    lines = split_lines(text)
    usual = _dominant_ending(lines)
    taken: list[Edit] = []
    refused: list[tuple[Edit, str]] = []
    for edit in edits:
        current = tuple(body for body, _ in lines[edit.line - 1:edit.end_line])
        if edit.end_line > len(lines) or current != edit.expect:
            refused.append((edit, "the lines changed since they were read"))
        elif any(edit.line <= t.end_line and t.line <= edit.end_line for t in taken):
            refused.append((edit, "overlaps another edit of the same lines"))
        elif edit.new == edit.expect:
            continue  # nothing to do: never an empty change
        else:
            taken.append(edit)
    for edit in sorted(taken, key=lambda e: e.line, reverse=True):
        old = lines[edit.line - 1:edit.end_line]
        last_ending = old[-1][1]
        endings = [ending or usual for _, ending in old[:-1]] or [usual]
        new: list[tuple[str, str]] = []
        for index, body in enumerate(edit.new):
            final = index == len(edit.new) - 1
            ending = last_ending if final else endings[min(index, len(endings) - 1)]
            new.append((body, ending))
        lines[edit.line - 1:edit.end_line] = new
    return Applied("".join(body + ending for body, ending in lines),
                   tuple(sorted(taken, key=lambda e: (e.line, e.end_line))), tuple(refused))


_C_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v",
              "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _diff_name(name: str) -> str:
    """``name`` as git writes it in a diff header: C-quoted when it holds a control
    character, a quote or a backslash (a file named ``x\\n+++ b/y`` must not add a header)."""
    if not any(c in _C_ESCAPES or ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return name
    quoted = "".join(_C_ESCAPES.get(c) or (f"\\{ord(c):03o}" if ord(c) < 0x20 or ord(c) == 0x7F
                                           else c) for c in name)
    return f'"{quoted}"'


def _diff_lines(text: str) -> list[str]:
    # git splits at \n only: a \r\n line keeps its \r (else git apply misses every line of
    # a CRLF file), and a last line without an ending is marked as git marks it.
    return [body + ("\r\n" if ending == "\r\n" else "\n") for body, ending in split_lines(text)]


def unified_diff(path: str, before: str, after: str) -> str:
    """A ``git diff``-style unified diff of one file (``a/path`` and ``b/path``) that
    ``git apply`` takes: line endings as they are, names quoted as git quotes them."""
    old, new = _diff_lines(before), _diff_lines(after)
    if not before.endswith(("\n", "\r")) and old:
        old[-1] = old[-1][:-1] + "\n\\ No newline at end of file\n"
    if not after.endswith(("\n", "\r")) and new:
        new[-1] = new[-1][:-1] + "\n\\ No newline at end of file\n"
    return "".join(difflib.unified_diff(old, new, _diff_name(f"a/{path}"),
                                        _diff_name(f"b/{path}"), n=3))
