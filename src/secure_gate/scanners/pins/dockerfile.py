"""Dockerfiles: every FROM and COPY --from image, and pip installs in RUN, on their own lines."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import secure_gate.scanners.pins.images as images
import secure_gate.scanners.pins.pip_install as pip_install
import secure_gate.scanners.pins.rules as rules
from secure_gate.dockerfiles import DockerfileError, Instruction, parse
from secure_gate.model import Confidence, Finding
from secure_gate.scanners.pins.expand import Scope, Value, has_reference
from secure_gate.scanners.pins.shell import Word, commands

__all__ = ["DockerfileError", "check"]

_SHELL = re.compile(r"(?:/usr)?(?:/bin/)?(?:ba|da|z|a)?sh")
_SHEBANG_SHELL = re.compile(r"#!\s*(?:/usr/bin/env\s+)?(?:/usr)?(?:/bin/)?(?:ba|da|z|a)?sh\b")


@dataclass(slots=True)
class _State:
    path: str
    global_args: dict[str, str | None] = field(default_factory=dict)
    stages: dict[str, dict[str, str | None]] = field(default_factory=dict)
    variables: dict[str, str | None] | None = None  # None until the first FROM
    findings: list[Finding] = field(default_factory=list)
    fetched: set[str] = field(default_factory=set)  # pip wheel/download output folders


def _assignments(instruction: Instruction) -> list[tuple[str, str | None]]:
    """``NAME[=value]`` pairs of ARG or ENV (ENV's legacy ``NAME value`` form too)."""
    words = [w.text for c in commands(instruction.args) for w in c]
    if instruction.keyword == "ENV" and words and "=" not in words[0]:
        return [(words[0], instruction.args.strip()[len(words[0]):].strip())]
    out: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        out.append((name, value if sep else None))
    return out


def _resolve(scope: Scope, raw: str) -> list[Value] | None:
    return scope.expand(raw) if has_reference(raw) else [Value(raw)]


def _image(state: _State, instruction: Instruction, raw: str, offset: int, how: str,
           scope: Scope) -> None:
    line, column = instruction.position(offset)
    end_line, end_column = instruction.position(offset + len(raw) - 1)
    last = end_column if end_line == line else None
    values = _resolve(scope, raw)
    if values is None:
        if images.digest_from_argument(raw):
            return
        state.findings.append(rules.finding(
            rules.UNPINNED_IMAGE, state.path, line, evidence=f"{how} {raw}",
            message=(f"{how} `{raw}` cannot be resolved here (a build argument without a "
                     "default); give it a digest-pinned default, e.g. "
                     "`ARG BASE=python:3.12-slim@sha256:<digest>`"),
            fix="ARG <name>=<image>@sha256:<digest>", confidence=Confidence.LOW, column=column,
            end_column=last))
        return
    for value in values:
        reference = value.text.strip()
        lowered = reference.lower()
        if lowered == "scratch" or lowered in state.stages or images.is_pinned(reference):
            continue
        if not reference or has_reference(reference):
            continue
        origin = f" (`{raw}` resolves to it)" if reference != raw else ""
        state.findings.append(rules.finding(
            rules.UNPINNED_IMAGE, state.path, line, evidence=f"{how} {reference}",
            message=images.explain(reference, how) + origin,
            fix=f"{how} {images.pinned_form(reference)}", column=column, end_column=last))


def _from(state: _State, instruction: Instruction) -> None:
    tokens = [(m.group(), m.start()) for m in re.finditer(r"\S+", instruction.args)]
    rest = [t for t in tokens if not t[0].startswith("--")] if tokens else []
    valid = len(rest) == 1 or (len(rest) == 3 and rest[1][0].lower() == "as")
    if not valid:
        raise DockerfileError(f"line {instruction.line}: FROM needs `image [AS name]`, got "
                              f"{instruction.args.strip()!r}")
    raw, offset = rest[0]
    _image(state, instruction, raw, offset, "FROM", Scope(state.global_args))
    parent = state.stages.get(raw.lower(), {})
    state.variables = dict(parent)
    if len(rest) == 3:
        state.stages[rest[2][0].lower()] = state.variables


def _copy(state: _State, instruction: Instruction, scope: Scope) -> None:
    for match in re.finditer(r"(?:^|\s)--from=(\S+)", instruction.args):
        source = match.group(1)
        if source.isdigit() or source.lower() in state.stages:
            continue
        _image(state, instruction, source, match.start(1), "COPY --from", scope)


def _pip(state: _State, problems: list[pip_install.Problem],
         locate: Callable[[int], tuple[int, int]]) -> None:
    for problem in problems:
        line, column = locate(problem.word.start)
        state.findings.append(rules.finding(
            rules.UNPINNED_PIP_INSTALL, state.path, line,
            evidence=f"pip install {problem.spec}", message=problem.message, fix=problem.fix,
            confidence=problem.confidence, column=column))


def _body_is_shell(runner: list[Word], body: str) -> bool:
    """True when a here-document is the script a shell runs (``RUN <<EOF``, ``RUN bash <<EOF``),
    not data for another program (``RUN python3 <<EOF``, ``RUN cat <<EOF > file``)."""
    first = body.lstrip().split("\n", 1)[0]
    if first.startswith("#!") and not _SHEBANG_SHELL.match(first):
        return False
    if not runner:
        return True
    return _SHELL.fullmatch(runner[0].text) is not None and all(
        w.text.startswith("-") and "c" not in w.text for w in runner[1:])


def _heredoc_locator(first_line: int, body: str) -> Callable[[int], tuple[int, int]]:
    def locate(offset: int) -> tuple[int, int]:
        return (first_line + body.count("\n", 0, offset),
                offset - body.rfind("\n", 0, offset))
    return locate


def _run(state: _State, instruction: Instruction, scope: Scope) -> None:
    args = instruction.args
    flags = re.match(r"\s*(?:--\S+\s+)*", args)
    start = flags.end() if flags else 0
    script = args[start:]
    if script.lstrip().startswith("["):
        try:
            argv = json.loads(script)
        except ValueError:
            argv = None  # not JSON: Docker runs it in a shell, and so do we
        if isinstance(argv, list) and all(isinstance(a, str) for a in argv):
            here = instruction.position(start)
            if len(argv) >= 3 and _SHELL.fullmatch(argv[0]) and re.fullmatch(r"-[a-z]*c",
                                                                               argv[1]):
                _pip(state, pip_install.scan(argv[2], scope), lambda _: here)
                return
            install = pip_install.parse([Word(a, start) for a in argv])
            if install is not None:
                _pip(state, pip_install.problems(install, scope), lambda _: here)
            return
    shell_text = script
    for heredoc in reversed(instruction.heredocs):  # the marker is a redirect, not a word
        begin, end = heredoc.marker_start - start, heredoc.marker_end - start
        shell_text = shell_text[:begin] + " " * (end - begin) + shell_text[end:]
    _pip(state, pip_install.scan(shell_text, scope),
         lambda offset: instruction.position(start + offset))
    for heredoc in instruction.heredocs:
        before = commands(shell_text[:heredoc.marker_start - start])
        if _body_is_shell(before[-1] if before else [], heredoc.body):
            _pip(state, pip_install.scan(heredoc.body, scope),
                 _heredoc_locator(heredoc.first_line, heredoc.body))


def _assign(state: _State, instruction: Instruction) -> None:
    """ARG and ENV: before the first FROM they are global (FROM may use them), then per stage."""
    in_stage = state.variables is not None
    target = state.variables if state.variables is not None else state.global_args
    for name, value in _assignments(instruction):
        if value is None:
            # `ARG NAME` inside a stage brings in the global default, as Docker does.
            target[name] = state.global_args.get(name) if in_stage else None
            continue
        resolved = _resolve(Scope(target), value)
        target[name] = resolved[0].text if resolved and len(resolved) == 1 else None


def check(path: str, text: str) -> list[Finding]:
    """Findings for one Dockerfile; raises :class:`DockerfileError` when it cannot be read."""
    state = _State(path)
    for instruction in parse(text):
        keyword = instruction.keyword
        if keyword == "FROM":
            _from(state, instruction)
            continue
        if keyword in ("ARG", "ENV"):
            _assign(state, instruction)
            continue
        scope = Scope(state.variables or {}, fetched=state.fetched)
        if keyword == "RUN":
            _run(state, instruction, scope)
        elif keyword == "COPY":
            _copy(state, instruction, scope)
    return state.findings
