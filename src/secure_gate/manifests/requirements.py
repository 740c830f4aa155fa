"""pip requirements files read line by line the way pip reads them, without running pip."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from secure_gate.manifests import envvars

KINDS = ("requirement", "include", "constraint", "editable", "url", "vcs", "local", "option",
         "invalid")
_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar",
                     ".zip")
# Options that steer pip for the whole file; the value says whether the flag takes a value.
_FILE_OPTIONS = {
    "-i": True, "--index-url": True, "--extra-index-url": True, "--no-index": False,
    "-f": True, "--find-links": True, "--no-binary": True, "--only-binary": True,
    "--prefer-binary": False, "--pre": False, "--trusted-host": True,
    "--require-hashes": False, "--use-feature": True,
}
# Options that name another thing to install or read, and the kind of line they make.
_TARGET_OPTIONS = {"-r": "include", "--requirement": "include", "-c": "constraint",
                   "--constraint": "constraint", "-e": "editable", "--editable": "editable"}
# Options pip accepts after a requirement on the same line.
_PER_REQUIREMENT = {"--hash": True, "--config-settings": True, "-C": True,
                    "--global-option": True, "--install-option": True}
_TAKES_VALUE = {**_FILE_OPTIONS, **dict.fromkeys(_TARGET_OPTIONS, True), **_PER_REQUIREMENT}


@dataclass(frozen=True, slots=True)
class RequirementLine:
    """One logical line of a requirements file and what pip would make of it.

    ``kind`` is one of :data:`KINDS`; ``name`` is canonical; ``specifier`` is
    ``str(SpecifierSet)``; ``target`` is the path or URL an include, editable, URL, VCS or
    local line names, as written; ``error`` says what is wrong with an ``invalid`` line;
    ``variables`` are the ``${NAME}`` pip would expand on this line, left unresolved
    (:mod:`secure_gate.manifests.envvars`). A requirement whose name is a variable has
    ``name`` None; one whose version is a variable keeps ``${NAME}`` in ``specifier``.
    """

    path: str
    line: int
    end_line: int
    text: str
    kind: str
    name: str | None = None
    specifier: str = ""
    extras: tuple[str, ...] = ()
    marker: str | None = None
    hashes: tuple[str, ...] = ()
    target: str | None = None
    error: str | None = None
    variables: tuple[str, ...] = ()


def exact_version(req: RequirementLine) -> str | None:
    """The version a requirement pins with ``==``/``===`` (no wildcard), else None."""
    if req.kind != "requirement" or not req.specifier:
        return None
    text = envvars.hide(req.specifier, req.variables) if req.variables else req.specifier
    try:
        specs = list(SpecifierSet(text or ""))
    except InvalidSpecifier:
        return None
    if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
        return None
    return envvars.show(specs[0].version, req.variables)


def resolve_include(including: str, target: str) -> str | None:
    """The repo-relative path an ``-r``/``-c`` target names, or None if it leaves the repo.

    pip resolves a relative target against the including file's folder; URLs, absolute
    paths and ``..`` that climb above the root are never followed.
    """
    if "://" in target or target.startswith(("/", "\\", "~")) or ":" in target[:3]:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(including),
                                               target.replace("\\", "/")))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return joined


def _strip_comment(line: str) -> str:
    """Drop a ``#`` comment that starts the line or follows whitespace (as pip does)."""
    for index, char in enumerate(line):
        if char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line


def _is_comment_line(line: str) -> bool:
    return line.lstrip().startswith("#")


def _logical_lines(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (first line, last line, text) with backslash continuations joined as pip does."""
    pending: list[str] = []
    first = 0
    number = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.endswith("\\") and not _is_comment_line(raw):
            if not pending:
                first = number
            pending.append(raw.strip("\\"))
            continue
        if pending:
            pending.append(" " + raw if _is_comment_line(raw) else raw)
            yield first, number, "".join(pending)
            pending = []
        else:
            yield number, number, raw
    if pending:
        yield first, number, "".join(pending)


def options_of(tokens: list[str]) -> list[tuple[str, str | None]]:
    """Split option tokens into (flag, value) as pip does (``--x=v``, ``-iURL``, ``-i URL``);
    raises ``ValueError`` on unknown flags."""
    out: list[tuple[str, str | None]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        flag, value = token, None
        if token.startswith("--") and "=" in token:
            flag, value = token.split("=", 1)
        elif not token.startswith("--") and len(token) > 2 and token[:2] in _TAKES_VALUE:
            flag, value = token[:2], token[2:]
        if flag not in _TAKES_VALUE:
            raise ValueError(f"unknown option {flag!r}" if flag.startswith("-")
                             else f"unexpected {flag!r} after the options")
        if _TAKES_VALUE[flag] and value is None:
            if index >= len(tokens):
                raise ValueError(f"option {flag} needs a value")
            value = tokens[index]
            index += 1
        out.append((flag, value))
    return out


def _egg_name(target: str) -> str | None:
    """The project name in a ``#egg=name`` fragment, canonical, if there is a valid one."""
    _, _, fragment = target.partition("#")
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            try:
                return canonicalize_name(Requirement(unquote(value)).name)
            except InvalidRequirement:
                return None
    return None


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or "/" in text or "\\" in text


def _classify(head: str, base: RequirementLine) -> RequirementLine:
    """What the requirement part of a line is: a PEP 508 requirement, a URL, VCS or path."""
    if head.startswith(_VCS_PREFIXES):
        return replace(base, kind="vcs", target=head, name=_egg_name(head))
    scheme, sep, _ = head.partition("://")
    if sep and scheme.replace("+", "").replace("-", "").isalnum():
        kind = "local" if scheme.lower() == "file" else "url"
        return replace(base, kind=kind, target=head, name=_egg_name(head))
    try:
        req = Requirement(head)
    except InvalidRequirement as exc:
        if _looks_like_path(head) or head.lower().endswith(_ARCHIVE_SUFFIXES):
            return replace(base, kind="local", target=head.split(";", 1)[0].strip())
        return replace(base, kind="invalid", error="not a valid requirement: "
                       + str(exc).splitlines()[0])
    if req.name.lower().endswith(_ARCHIVE_SUFFIXES) and not req.specifier:
        return replace(base, kind="local", target=head)
    parsed = replace(base, kind="requirement", name=canonicalize_name(req.name),
                     specifier=str(req.specifier), extras=tuple(sorted(req.extras)),
                     marker=str(req.marker) if req.marker else None)
    if req.url:
        # A file: URL names a path on this machine, as much a local path as ./pkg.
        kind = ("vcs" if req.url.startswith(_VCS_PREFIXES)
                else "url" if "://" in req.url and not req.url.lower().startswith("file:")
                else "local")
        return replace(parsed, kind=kind, target=req.url)
    return parsed


def _with_variables(head: str, base: RequirementLine, as_written: RequirementLine
                    ) -> RequirementLine:
    """Classify a requirement part that only parses once its variables have values: its
    shape is read with stand-ins in their place, and the stand-ins never leave here."""
    variables = base.variables
    hidden = envvars.hide(head, variables)
    parsed = _classify(hidden, base) if hidden is not None else as_written
    if parsed.kind == "invalid":
        return as_written  # its error names the line as written

    def show(text: str | None) -> str | None:
        return envvars.show(text, variables) if text is not None else None

    return replace(parsed, name=None if envvars.hidden(parsed.name or "", variables)
                   else parsed.name, specifier=envvars.show(parsed.specifier, variables),
                   extras=tuple(envvars.show(e, variables) for e in parsed.extras),
                   marker=show(parsed.marker), target=show(parsed.target))


def parse_line(text: str, path: str, first: int, last: int, *,
               pip_variables: bool = False) -> RequirementLine | None:
    """Parse one logical line (continuations already joined); None for blank or comment.

    ``pip_variables``: the line is from a requirements file, where pip expands ``${NAME}``
    (on a command line the shell does, and pip sees the result).
    """
    body = _strip_comment(text).strip()
    if not body:
        return None
    variables = envvars.names(body) if pip_variables else ()
    words = body.split()
    split_at = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    head, tail = " ".join(words[:split_at]), " ".join(words[split_at:])

    def invalid(error: str) -> RequirementLine:
        return RequirementLine(path, first, last, body, "invalid", error=error,
                               variables=variables)

    try:
        options = options_of(shlex.split(tail)) if tail else []
    except ValueError as exc:
        return invalid(str(exc))
    if not head:
        targets = [(flag, value) for flag, value in options if flag in _TARGET_OPTIONS]
        stray = [flag for flag, _ in options if flag in _PER_REQUIREMENT]
        if stray:
            return invalid(f"option {stray[0]} belongs after a requirement")
        if len(targets) > 1:
            return invalid("more than one -r/-c/-e option on one line")
        if not targets:
            return RequirementLine(path, first, last, body, "option", variables=variables)
        flag, value = targets[0]
        kind = _TARGET_OPTIONS[flag]
        name = _egg_name(value or "") if kind == "editable" else None
        return RequirementLine(path, first, last, body, kind, name=name, target=value,
                               variables=variables)
    misplaced = [flag for flag, _ in options if flag not in _PER_REQUIREMENT]
    if misplaced:
        return invalid(f"option {misplaced[0]} cannot follow a requirement on the same line")
    hashes = tuple(value for flag, value in options if flag == "--hash" and value)
    base = RequirementLine(path, first, last, body, "invalid", hashes=hashes,
                           variables=variables)
    parsed = _classify(head, base)
    if parsed.kind == "invalid" and envvars.names(head):
        return _with_variables(head, base, parsed)
    return parsed


def parse_requirements(text: str, path: str) -> list[RequirementLine]:
    """Every meaningful logical line of a requirements file, in order."""
    out: list[RequirementLine] = []
    for first, last, logical in _logical_lines(text):
        parsed = parse_line(logical, path, first, last, pip_variables=True)
        if parsed is not None:
            out.append(parsed)
    return out
