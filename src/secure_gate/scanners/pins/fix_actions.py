"""Fixes for unpinned actions: ``uses: owner/repo@tag`` becomes ``owner/repo@<commit> # tag``.

For each ``unpinned-action`` finding (a workflow step, a job's reusable workflow, a composite
action's step) the ``uses:`` value on the finding's line is found again in the YAML, the ref
is resolved by the GitHub API (a tag peeled to its commit, else a branch head; a short SHA
expanded) and the one scalar is rewritten in place: its quoting, the indentation, ``- uses:``
list items, flow mappings, an anchor in front of it and any comment after it stay as they
were, and the ref is kept as a ``# tag`` comment (where Dependabot and Renovate read it).

YAML is read twice and trusted never: every edit is applied to the text and the result
composed again; unless the new document is the old one with exactly that value changed,
the edit is not made (an Unfixed says why). Values the fixer cannot rewrite safely (block
or multi-line scalars, escapes, expressions, several on one line) are left as they are.

:func:`verify` checks what is already pinned: a ``uses: x@<sha> # v4`` whose ``v4`` tag is
another commit is reported, since a reviewer reads the comment, not the SHA.

When the GitHub API cannot be asked (unreachable, rate limited, the token refused, an
answer no API should give) the :class:`~secure_gate.net.http.ServiceError` ends the run,
naming it, and nothing is written; the comment check, which is not a fix, only says in a
note that it could not run.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

import secure_gate.scanners.pins.rules as rules
from secure_gate import filekinds
from secure_gate import yamlnodes as y
from secure_gate.edits import Edit, FixOutcome, Unfixed, apply, lines_of
from secure_gate.model import Finding
from secure_gate.net import github_refs
from secure_gate.net.http import ServiceError
from secure_gate.scanners.base import FixJob

RULE = f"{rules.SCANNER}/{rules.UNPINNED_ACTION}"
COMMENT_RULE = f"{rules.SCANNER}/action-version-comment"
_SHA = re.compile(r"[0-9a-fA-F]{40}")
# What may stand before a scalar on its line: an anchor and/or a tag (`&co !!str x@v1`).
_PROPERTIES = re.compile(r"(?:[&!]\S*[ \t]+)*")
# A version comment: `# v4`, `# v4.1.2`, `# tag=v4`, `# @v4`, `# 1.2.3-rc.1`.
_VERSION_WORD = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]+)?")
_MAX_VERIFY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Uses:
    """A ``uses:`` scalar of a document and where it is written."""

    node: ScalarNode
    line: int  # 1-based
    start: int  # 0-based columns of the scalar's own text (after any anchor or tag)
    end: int


def _scalars(root: Node | None) -> Iterator[ScalarNode]:
    """Every ``uses:`` value of the document (each node once, aliases included)."""
    seen: set[int] = set()
    stack: list[Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == "uses" and \
                        isinstance(value, ScalarNode):
                    yield value
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def _literal(node: ScalarNode) -> str | None:
    """How the scalar's value is written when nothing needed escaping (None: it did)."""
    value: str = node.value
    if node.style is None:
        return value
    if node.style == "'":
        return "'" + value.replace("'", "''") + "'"
    if node.style == '"' and not any(c in value for c in '"\\'):
        return f'"{value}"'
    return None


def _written(node: ScalarNode, value: str) -> str:
    """``value`` written in the style of ``node``."""
    if node.style == "'":
        return "'" + value.replace("'", "''") + "'"
    if node.style == '"':
        return f'"{value}"'
    return value


def _place(node: ScalarNode, lines: Sequence[str]) -> _Uses | str:
    """Where ``node``'s text is on its line, or why it cannot be edited there."""
    start, end = node.start_mark, node.end_mark
    if node.style in ("|", ">"):
        return "the value is a block scalar (`|` or `>`); write it on the `uses:` line"
    if start.line != end.line or start.line >= len(lines):
        return "the value spans lines; write it on one line"
    literal = _literal(node)
    if literal is None:
        return "the value is written with escapes; write it plainly"
    raw = lines[start.line][start.column:end.column]
    if node.style == '"' and not raw.endswith(literal):
        return "the value is written with escapes; write it plainly"
    if not raw.endswith(literal) or not _PROPERTIES.fullmatch(raw[:len(raw) - len(literal)]):
        return "the value is not written where YAML says it is"
    return _Uses(node, start.line + 1, end.column - len(literal), end.column)


def _shape(root: Node | None, change: dict[int, str] | None = None) -> object:
    """The document as nested tuples (anchors kept as back references): two documents mean
    the same exactly when their shapes are equal. ``change`` swaps scalar values by id."""
    numbers: dict[int, int] = {}

    def walk(node: Node) -> object:
        if id(node) in numbers:
            return ("alias", numbers[id(node)])
        numbers[id(node)] = len(numbers)
        if isinstance(node, ScalarNode):
            value = (change or {}).get(id(node), node.value)
            return ("scalar", node.tag, value, node.style in ("'", '"'))
        if isinstance(node, SequenceNode):
            return ("seq", node.tag, tuple(walk(item) for item in node.value))
        if isinstance(node, MappingNode):
            return ("map", node.tag, tuple((walk(k), walk(v)) for k, v in node.value))
        return ("?",)

    return walk(root) if root is not None else None


def _same_but(before: Node | None, after_text: str, change: dict[int, str]) -> bool:
    """Whether ``after_text`` is the document ``before`` with exactly ``change`` made."""
    try:
        after = y.compose(after_text)
        return _shape(before, change) == _shape(after)
    except (y.YamlError, RecursionError):
        return False


def _comment(rest: str) -> tuple[str, str] | None:
    """``(space before, comment)`` when what follows a value is only a comment (or nothing:
    ``("", "")``); None when more YAML follows it (a flow mapping, say)."""
    stripped = rest.lstrip(" \t")
    if not stripped:
        return "", ""
    if stripped.startswith("#") and stripped != rest:
        return rest[:len(rest) - len(stripped)], stripped
    return None


def _new_line(line: str, place: _Uses, value: str, note: str | None) -> str:
    """``line`` with the value at ``place`` replaced and ``# note`` put after it."""
    head = line[:place.start] + _written(place.node, value)
    rest = line[place.end:]
    if note is None:
        return head + rest
    after = _comment(rest)
    if after is None:
        # More YAML after the value (a flow mapping): the comment goes at the line's end.
        # Whether that is a comment there (not inside a string that goes on to the next
        # line) is for the re-composed document to tell.
        return (head + rest).rstrip(" \t") + f" # {note}"
    space, existing = after
    if not existing:
        return f"{head} # {note}"
    words = existing[1:].split()
    if words and words[0] == note:
        return head + rest  # the comment already names it
    # The version first (where Dependabot and Renovate look), the comment as it was.
    return f"{head} # {note}{space}{existing}"


def _split_uses(value: str) -> tuple[str, str, str] | str:
    """``(target, repository, ref)`` of ``owner/repo[/path]@ref``, or why not."""
    if "${{" in value:
        return ("the value holds an expression (`${{ }}`), which GitHub does not evaluate in "
                "`uses:`; write a literal owner/repo@ref")
    target, at, ref = value.rpartition("@")
    if not at:
        return (f"`{value}` has no ref: the fixer cannot guess a version; pick a release "
                f"(`uses: {value}@<tag>`) and run fix again")
    parts = target.split("/")
    if "@" in target:
        return f"`{value}` has more than one `@`: which part is the ref is not clear"
    if len(parts) < 2 or not all(parts) or not ref:
        return f"`{value}` is not owner/repo[/path]@ref"
    return target, f"{parts[0]}/{parts[1]}", ref


@dataclass(slots=True)
class _File:
    path: str
    text: str
    lines: list[str]
    root: Node | None
    uses: dict[tuple[int, int], ScalarNode]  # (line, 1-based column) -> node


def _load(job: FixJob, path: str) -> _File | str:
    try:
        text = job.read(path)
    except ValueError as exc:
        return str(exc)
    lines = lines_of(text)
    if tuple(lines) != y.raw_lines(text)[:len(lines)]:
        return ("it holds a Unicode line separator (NEL, LS or PS) that YAML counts as a "
                "line break: its line numbers are not the editor's")
    try:
        root = y.compose(text)
    except y.YamlError as exc:
        return f"not readable YAML: {exc}"
    uses = {(n.start_mark.line + 1, n.start_mark.column + 1): n for n in _scalars(root)}
    return _File(path, text, lines, root, uses)


@dataclass(frozen=True, slots=True)
class _Pin:
    """One edit, the scalar it changes (its new value) and a note that goes with it."""

    edit: Edit
    node: int
    value: str
    note: str | None


def fix(job: FixJob, findings: Sequence[Finding]) -> FixOutcome:
    """Edits pinning each unpinned ``uses:`` of ``findings`` to a commit SHA."""
    out = FixOutcome()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    for path, items in sorted(by_path.items()):
        loaded = _load(job, path)
        if isinstance(loaded, str):
            out.unfixed.extend(Unfixed(path, f.location.line, RULE, f"not edited: {loaded}")
                               for f in items)
            continue
        pins: list[_Pin] = []
        for finding in sorted(items, key=lambda f: (f.location.line or 0,
                                                    f.location.column or 0)):
            made = _fix_one(job, loaded, finding, {p.edit.line for p in pins})
            if isinstance(made, _Pin):
                pins.append(made)
            else:
                out.unfixed.append(Unfixed(path, finding.location.line, RULE, made))
        kept, refused = _checked(loaded, pins)
        out.unfixed.extend(Unfixed(path, p.edit.line, RULE, "not edited: the edit would "
                                   "change what the YAML means; pin it by hand")
                           for p in refused)
        out.edits.extend(p.edit for p in kept)
        out.notes.extend(p.note for p in kept if p.note is not None)
    return out


def _checked(loaded: _File, pins: Sequence[_Pin]) -> tuple[list[_Pin], list[_Pin]]:
    """The pins whose edits keep the document what it was but for their values, and the
    rest. All of a file's edits are checked at once (one more reading of the YAML); only
    when that fails is each checked alone, and those that pass are checked together again."""
    def keeps(chosen: Sequence[_Pin]) -> bool:
        return _same_but(loaded.root, apply(loaded.text, [p.edit for p in chosen]).text,
                         {p.node: p.value for p in chosen})

    if not pins or keeps(pins):
        return list(pins), []
    kept = [p for p in pins if keeps([p])]
    if len(kept) > 1 and not keeps(kept):
        return [], list(pins)
    return kept, [p for p in pins if p not in kept]


def _fix_one(job: FixJob, loaded: _File, finding: Finding, lines_taken: set[int]) -> _Pin | str:
    line, column = finding.location.line, finding.location.column
    node = loaded.uses.get((line or 0, column or 0))
    if node is None:
        return "not edited: no `uses:` value is where the finding says"
    place = _place(node, loaded.lines)
    if isinstance(place, str):
        return f"not edited: {place}"
    if place.line in lines_taken:
        return "waits for the next round: another `uses:` on this line is pinned first"
    stripped = node.value.strip()
    split = _split_uses(stripped)
    if isinstance(split, str):
        return split
    target, repository, ref = split
    try:
        found = github_refs.resolve(job.services, repository, ref)
    except github_refs.RefError as exc:
        return f"not pinned: {exc}"
    # A ServiceError (the API unreachable, rate limited, refusing the token, answering
    # what it never should) ends the run naming it, as for every service of fix.
    value = node.value.replace(stripped, f"{target}@{found.sha}", 1)
    old = loaded.lines[place.line - 1]
    # A short SHA needs no comment: the full SHA starts with it, and a hex "version" would
    # mislead Dependabot and Renovate, which read the comment as one.
    new = _new_line(old, place, value, None if github_refs.is_short_sha(ref) else ref)
    edit = Edit(loaded.path, place.line, place.line, (old,), (new,), RULE,
                _summary(target, ref, found))
    note = None
    if found.moved_to is not None:
        note = (f"{loaded.path}:{place.line}: {repository} has moved to {found.moved_to} (the "
                "API redirected): the pin is the moved repository's commit; consider naming "
                "it by its new name")
    return _Pin(edit, id(node), value, note)


def _summary(target: str, ref: str, found: github_refs.Resolved) -> str:
    if found.kind == "branch":
        what = (f"branch {ref}: its head today; a branch moves, so this pin will fall behind "
                "it (pin a release tag to follow versions)")
    elif found.kind == "commit":
        what = f"short SHA {ref} expanded"
    else:
        what = f"tag {ref}" + (", annotated, peeled to its commit" if found.annotated else "")
    return f"uses: {target}@{ref} -> @{found.sha} ({what})"


def _workflow_files(job: FixJob) -> Iterator[str]:
    """Workflows and action.yml files of the copy being fixed, by the paths findings use
    (links never followed)."""
    if job.where:
        places = sorted(job.where.items())
    else:  # a job made without the copy's listing: what is on disk
        places = []
        for folder, dirs, files in os.walk(job.root):
            dirs[:] = sorted(d for d in dirs if d != ".git")
            for name in sorted(files):
                full = Path(folder) / name
                places.append((full.relative_to(job.root).as_posix(), full))
    for path, full in places:
        if filekinds.kind(path) not in (filekinds.WORKFLOW, filekinds.ACTION):
            continue
        try:
            info = full.lstat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size <= _MAX_VERIFY_BYTES:
            yield path


def _version_in(comment: str) -> str | None:
    """The tag a ``# v4``-style comment names (None: it names none)."""
    words = comment.lstrip("#").split()
    if not words:
        return None
    word = words[0].removeprefix("tag=").removeprefix("@")
    return word if _VERSION_WORD.fullmatch(word) else None


def verify(job: FixJob) -> FixOutcome:
    """A mismatch for each pinned ``uses: x@<sha> # vX`` whose tag ``vX`` is another commit."""
    out = FixOutcome()
    for path in _workflow_files(job):
        loaded = _load(job, path)
        if isinstance(loaded, str):
            continue  # the scan reports a file it cannot read; nothing to verify here
        for node in loaded.uses.values():
            place = _place(node, loaded.lines)
            if isinstance(place, str):
                continue
            target, at, sha = node.value.strip().rpartition("@")
            after = _comment(loaded.lines[place.line - 1][place.end:])
            if (not at or not _SHA.fullmatch(sha) or after is None
                    or target.startswith(("./", "docker://"))):
                continue
            tag = _version_in(after[1])
            parts = target.split("/")
            if tag is None or len(parts) < 2:
                continue
            repository = f"{parts[0]}/{parts[1]}"
            try:
                found = github_refs.resolve(job.services, repository, tag, branches=False)
            except github_refs.RefError as exc:
                out.notes.append(f"{path}:{place.line}: the comment `# {tag}` was not "
                                 f"checked: {exc}")
                continue
            except ServiceError as exc:
                # Not checked is not checked fine: the run fails (exit 3), while what
                # needed no API is still fixed.
                error = f"version comments not checked: {exc}"
                if error not in out.errors:
                    out.errors.append(error)
                continue
            if found.sha != sha.lower():
                out.unfixed.append(Unfixed(path, place.line, COMMENT_RULE, (
                    f"`uses: {target}@{sha}` says `# {tag}`, but tag {tag} of {repository} "
                    f"is commit {found.sha}: the comment does not describe the pin; check "
                    "which commit is meant and correct the SHA or the comment")))
    return out
