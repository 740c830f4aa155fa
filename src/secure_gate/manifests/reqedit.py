"""One requirements-file entry rewritten: a new ``==`` version, hashes in pip's multi-line form.

The entry's requirement (name, extras, marker) is kept as written, other per-requirement
options too, and its comment moves to the end of the last line (a backslash must end every
line before it). Everything that cannot be rewritten safely is refused with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from secure_gate import filekinds
from secure_gate.edits import lines_of
from secure_gate.manifests.requirements import parse_requirements, resolve_include

HASH_INDENT = "    "
_OPTIONS_START = re.compile(r"\s+(?=-)")
# One option word as pip's shlex reads it, quotes and the spaces inside them kept as written.
_WORD = re.compile(r"""(?:[^\s"']|"[^"]*"|'[^']*')+""")
_NAME = re.compile(r"\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?")


@dataclass(frozen=True, slots=True)
class Entry:
    """A requirement's physical lines taken apart: what is kept, what is rewritten."""

    indent: str
    head: str  # the requirement as written: name, extras, specifier, marker
    options: tuple[str, ...]  # per-requirement options other than --hash, as written
    hashes: tuple[str, ...]
    comment: str  # "# ..." or ""


def same_numbering(text: str) -> bool:
    """True when pip and the edits number the file's lines alike (pip also splits at form
    feeds and Unicode line separators, which would shift every line after them)."""
    return text.splitlines() == lines_of(text)


NUMBERED_OTHERWISE = ("the file holds line separators other than \\n, \\r\\n and \\r (a form "
                      "feed or a Unicode line separator), where pip numbers its lines "
                      "differently: edit it by hand")


def _comment_start(line: str) -> int | None:
    for index, char in enumerate(line):
        if char == "#" and (index == 0 or line[index - 1].isspace()):
            return index
    return None


def parse_entry(physical: Sequence[str]) -> Entry:
    """The entry spread over ``physical`` lines; ``ValueError`` when it cannot be rewritten."""
    if not physical:
        raise ValueError("no lines")
    parts: list[str] = []
    for number, line in enumerate(physical):
        last = number == len(physical) - 1
        # pip joins a line that ends with a backslash (at the end of the file too, unless
        # it is a comment line) to the next, stripping every backslash at either end.
        if not last or (line.endswith("\\") and not line.lstrip().startswith("#")):
            if not line.endswith("\\"):
                raise ValueError("a line of the entry does not continue")
            line = line.strip("\\")
            if _comment_start(line) is not None:
                raise ValueError("a comment sits inside the continued lines")
        parts.append(line)
    joined = "".join(parts)
    cut = _comment_start(joined)
    body, comment = (joined, "") if cut is None else (joined[:cut], joined[cut:].strip())
    if comment.endswith("\\"):
        # Moved to the end of a hash line, it would join the next entry to the comment.
        raise ValueError("its comment ends with a backslash, which would continue the line")
    indent = body[: len(body) - len(body.lstrip())]
    body = body.strip()
    split = _OPTIONS_START.search(body)
    head, tail = (body, "") if split is None else (body[: split.start()], body[split.end():])
    if _WORD.sub("", tail).strip():  # what no word took: a quote that does not close
        raise ValueError("a quote in its options does not close")
    tokens = _WORD.findall(tail)  # `--config-settings="k=a  b"` keeps both spaces
    options: list[str] = []
    hashes: list[str] = []
    index = 0
    while index < len(tokens):
        word = tokens[index]
        if word.startswith("--hash="):
            hashes.append(word[len("--hash="):])
        elif word == "--hash" and index + 1 < len(tokens):
            index += 1
            hashes.append(tokens[index])
        else:
            options.append(word)
        index += 1
    if not head:
        raise ValueError("no requirement on the line")
    return Entry(indent, head, tuple(options), tuple(hashes), comment)


def with_version(head: str, old: str, new: str) -> str:
    """``head`` with its ``==old`` pin made ``==new`` (marker and extras as written)."""
    spec, sep, marker = head.partition(";")
    pattern = re.compile(r"(===?)(\s*)" + re.escape(old) + r"(?=\s*$)")
    changed, count = pattern.subn(lambda m: m.group(1) + m.group(2) + new, spec)
    if count != 1:
        raise ValueError(f"the pin =={old} is not where it was read")
    return changed + sep + marker


def pinned(head: str, version: str) -> str:
    """``head`` pinned to ``==version``: its range (or none) replaced, name, extras and
    marker kept as written."""
    spec, sep, marker = head.partition(";")
    found = _NAME.match(spec)
    if found is None:
        raise ValueError("no project name at the start of the requirement")
    trailing = spec[len(spec.rstrip()):]
    return found.group(0).rstrip() + "==" + version + trailing + sep + marker


def render(entry: Entry, head: str, hashes: Sequence[str]) -> tuple[str, ...]:
    """The entry's new lines: ``head`` and options on the first, then one hash a line."""
    first = entry.indent + " ".join([head, *entry.options])
    tail = f"  {entry.comment}" if entry.comment else ""
    if not hashes:
        return (first + tail,)
    lines = [first + " \\"]
    lines += [f"{entry.indent}{HASH_INDENT}--hash=sha256:{h} \\" for h in hashes[:-1]]
    lines.append(f"{entry.indent}{HASH_INDENT}--hash=sha256:{hashes[-1]}{tail}")
    return tuple(lines)


def includers(paths: Iterable[str], read: Callable[[str], str], path: str
              ) -> list[tuple[str, list[str]]]:
    """The requirements files among ``paths`` that include ``path`` (``-r``/``-c``, at any
    depth), each with its option lines (``--index-url`` and the like), those with none
    left out. pip's index options hold for a whole install, so an included file may be
    installed from an including file's index."""
    edges: dict[str, set[str]] = {}
    options: dict[str, list[str]] = {}
    for other in sorted(paths):
        if other == path or filekinds.kind(other) != filekinds.REQUIREMENTS:
            continue
        try:
            lines = parse_requirements(read(other), other)
        except ValueError:
            continue  # the scan reports a file it cannot read
        options[other] = [r.text for r in lines if r.kind == "option"]
        for req in lines:
            if req.kind in ("include", "constraint") and req.target:
                target = resolve_include(other, req.target)
                if target is not None:
                    edges.setdefault(target, set()).add(other)
    found: list[str] = []
    todo = [path]
    while todo:
        for includer in sorted(edges.get(todo.pop(), ())):
            if includer not in found and includer != path:
                found.append(includer)
                todo.append(includer)
    return [(f, options[f]) for f in found if options.get(f)]
