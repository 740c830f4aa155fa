"""Fixes for unpinned images: ``image:tag`` becomes ``image:tag@sha256:<digest>`` in place.

The digest is the one the image's registry has for the tag today (its API v2, the multi-arch
index's digest where the tag is multi-arch), asked through :mod:`secure_gate.net.registry`.
The tag stays, as documentation and for Dependabot and Renovate; an image written without a
tag means ``latest``, and gets ``:latest`` written out so the pin says what it pinned. Only
the reference itself changes: quotes, anchors, comments and line endings stay as written.

Left as they are, each with its reason: references assembled from a build argument or a
workflow expression (their value is known only when the build or the job runs), references
docker itself would refuse, ones with a digest that is not a full sha256, tags the registry
does not have and images it pulls only for a logged-in user. A registry that cannot answer
(unreachable, out of pulls, or answering what no registry should) raises its
:class:`~secure_gate.net.http.ServiceError`: the run ends naming it, and nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from secure_gate import filekinds
from secure_gate import yamlnodes as y
from secure_gate.dockerfiles import DockerfileError
from secure_gate.dockerfiles import parse as parse_dockerfile
from secure_gate.edits import Edit, FixOutcome, Unfixed, lines_of, split_lines
from secure_gate.model import Finding
from secure_gate.net.http import NotFound
from secure_gate.net.imageref import ReferenceError, parse
from secure_gate.net.registry import NeedsLogin, Registry
from secure_gate.scanners.base import FixJob

_DOCKER = "docker://"
_TOKEN = re.compile(r"\S+")
_NAMED = re.compile(r"`([^`]+)`")
_WHOLE_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}"
                             r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where a finding's reference is written: ``line`` (1-based), ``start``..``end`` within
    it (the reference alone, without quotes or ``docker://``)."""

    finding: Finding
    line: int
    start: int
    end: int
    written: str


def _unfixed(finding: Finding, reason: str) -> Unfixed:
    return Unfixed(finding.location.path, finding.location.line, f"pins/{finding.rule}", reason)


def _assembled(written: str, dockerfile: bool) -> str:
    when, how = (("image is built (a build argument)",
                  "`ARG BASE=python:3.12@sha256:<digest>` then `FROM ${BASE}`") if dockerfile
                 else ("workflow runs (an expression)",
                       "a matrix of whole images, `image: [python:3.12@sha256:<digest>]`, "
                       "then `container: ${{ matrix.image }}`"))
    return (f"`{written}` is assembled from a variable, so its value is known only when the "
            f"{when}; write the whole image with its digest where the value is set: {how}")


def _argument_default(source: str, name: str) -> tuple[int, int, int] | None:
    """(line, start, end) of the literal default a global ``ARG name=...`` gives ``FROM``
    (the last one before the first ``FROM`` wins, as in docker); None when there is none."""
    try:
        instructions = parse_dockerfile(source)
    except DockerfileError:
        return None
    found = None
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword != "ARG":
            continue
        for match in re.finditer(rf"(?:^|(?<=\s)){re.escape(name)}=(\S*)", instruction.args):
            raw, begin = match.group(1), match.start(1)
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                raw, begin = raw[1:-1], begin + 1
            line, column = instruction.position(begin)
            last, _ = instruction.position(begin + len(raw) - 1)
            literal = raw and not any(c in raw for c in "$'\"\\`") and last == line
            found = (line, column - 1, column - 1 + len(raw)) if literal else None
    return found


def _dockerfile(source: str, lines: Sequence[str], finding: Finding) -> _Spot | Unfixed:
    number, column = finding.location.line, finding.location.column
    if number is None or column is None or not 1 <= number <= len(lines):
        return _unfixed(finding, "the finding names no place in the file to edit")
    text = lines[number - 1]
    start = column - 1
    token = _TOKEN.match(text, start) if start < len(text) else None
    if token is None or (start > 0 and not (text[start - 1].isspace() or text[start - 1] == "=")):
        return _unfixed(finding, "the image reference is not where the finding says")
    written = token.group()
    whole = _WHOLE_VARIABLE.fullmatch(written)
    if whole and text[:start].strip().upper().startswith("FROM"):
        default = _argument_default(source, whole.group("braced") or whole.group("bare"))
        if default is not None:  # `ARG BASE=python:3.12` then `FROM ${BASE}`: pin the ARG
            line, begin, end = default
            return _Spot(finding, line, begin, end, lines[line - 1][begin:end])
    if "$" in written:
        return _unfixed(finding, _assembled(written, True))
    if written.endswith("\\"):
        return _unfixed(finding, "the reference is split across lines")
    return _Spot(finding, number, start, token.end(), written)


def _scalars(root: Node | None) -> Iterator[ScalarNode]:
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            yield node
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


class _Positions:
    """Character offsets of the text to (line, column) as :func:`lines_of` numbers lines."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        offset = 0
        for body, ending in split_lines(text):
            self.starts.append(offset)
            offset += len(body) + len(ending)

    def at(self, index: int) -> tuple[int, int]:
        low, high = 0, len(self.starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.starts[middle] <= index:
                low = middle
            else:
                high = middle - 1
        return low + 1, index - self.starts[low] if self.starts else 0


def _yaml_spot(text: str, where: _Positions, node: ScalarNode, finding: Finding
               ) -> _Spot | Unfixed:
    value = node.value
    raw = text[node.start_mark.index:node.end_mark.index]
    quote = node.style if node.style in ("'", '"') else ""
    if node.style not in (None, "'", '"') or "\n" in value or "\r" in value:
        return _unfixed(finding, "the image is written as a block scalar; write it on one "
                        "line to have it fixed")
    if not raw.endswith(f"{value}{quote}"):
        return _unfixed(finding, "the image is written with escapes; write it plainly to have "
                        "it fixed")
    begin = node.end_mark.index - len(quote) - len(value)
    stripped = value.strip()
    begin += len(value) - len(value.lstrip())
    if stripped.startswith(_DOCKER):
        stripped = stripped[len(_DOCKER):]
        begin += len(_DOCKER)
    if "${{" in stripped:
        return _unfixed(finding, _assembled(stripped, False))
    line, column = where.at(begin)
    end_line, _ = where.at(begin + len(stripped))
    if end_line != line:
        return _unfixed(finding, "the reference is split across lines")
    return _Spot(finding, line, column, column + len(stripped), stripped)


def _yaml(text: str, findings: Sequence[Finding]) -> list[_Spot | Unfixed]:
    try:
        root = y.compose(text)
    except y.YamlError as exc:
        return [_unfixed(f, f"cannot be read as YAML: {exc}") for f in findings]
    by_line: dict[int, list[ScalarNode]] = {}
    for node in _scalars(root):
        by_line.setdefault(int(node.start_mark.line) + 1, []).append(node)
    where = _Positions(text)
    out: list[_Spot | Unfixed] = []
    for finding in findings:
        line, column = finding.location.line, finding.location.column
        nodes = by_line.get(line or 0, [])
        if column is not None:
            chosen = [n for n in nodes if n.start_mark.column == column - 1][:1]
        else:  # a matrix value: the finding's message names it first, in backticks
            named = _NAMED.search(finding.message)
            chosen = [n for n in nodes if named and n.value.strip() == named.group(1)]
        if not chosen:
            out.append(_unfixed(finding, "the image reference is not where the finding says"))
        out.extend(_yaml_spot(text, where, node, finding) for node in chosen)
    return out


def _pinned(spot: _Spot, registry: Registry) -> str | Unfixed:
    """The spot's reference with its digest, or why not."""
    written = spot.written
    if "@" in written:
        return _unfixed(spot.finding, f"`{written}` has a digest that is not a full sha256 "
                        "one; fix does not guess which image it meant (remove the `@...` to "
                        "pin what the tag points to today)")
    try:
        ref = parse(written)
    except ReferenceError as exc:
        return _unfixed(spot.finding, f"`{written}` is not an image reference docker accepts: "
                        f"{exc}")
    tag = ref.tag or "latest"
    try:
        digest = registry.digest(ref, tag)
    except (NotFound, NeedsLogin) as exc:  # a fact about this image; the rest ends the run
        return _unfixed(spot.finding, f"`{written}` not pinned: {exc.service} {exc.reason}")
    return f"{written}{'' if ref.tag else ':latest'}@{digest}"


def _spots(job: FixJob, path: str, findings: Sequence[Finding]) -> tuple[
        list[_Spot | Unfixed], list[str]]:
    try:
        text = job.read(path)
    except ValueError as exc:
        return [_unfixed(f, str(exc)) for f in findings], []
    lines = lines_of(text)
    if filekinds.kind(path) == filekinds.DOCKERFILE:
        return [_dockerfile(text, lines, f) for f in findings], lines
    return _yaml(text, findings), lines


def fix(job: FixJob, findings: Sequence[Finding]) -> FixOutcome:
    """Edits pinning each finding's image to its registry digest, tag kept."""
    out = FixOutcome()
    registry = Registry(job.services)
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.location.path, []).append(finding)
    for path, group in by_path.items():
        spots, lines = _spots(job, path, group)
        changes: dict[int, dict[tuple[int, int], tuple[str, _Spot]]] = {}
        for spot in spots:
            if isinstance(spot, Unfixed):
                out.unfixed.append(spot)
                continue
            pinned = _pinned(spot, registry)
            if isinstance(pinned, Unfixed):
                out.unfixed.append(pinned)
                continue
            changes.setdefault(spot.line, {})[(spot.start, spot.end)] = (pinned, spot)
        for number, spans in sorted(changes.items()):
            old = lines[number - 1]
            new = old
            for (start, end), (pinned, _spot) in sorted(spans.items(), reverse=True):
                new = new[:start] + pinned + new[end:]
            first = next(iter(spans.values()))[1].finding
            what = ", ".join(f"{s.written} -> {p}" for (p, s) in spans.values())
            out.edits.append(Edit(path, number, number, (old,), (new,),
                                  f"pins/{first.rule}", f"pinned by digest: {what}"))
    return out
