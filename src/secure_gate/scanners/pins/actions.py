"""GitHub workflows and action.yml: uses:, container and service images, and run: pip installs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from yaml.nodes import MappingNode, Node, ScalarNode

import secure_gate.scanners.pins.images as images
import secure_gate.scanners.pins.pip_install as pip_install
import secure_gate.scanners.pins.rules as rules
from secure_gate import yamlnodes as y
from secure_gate.model import Confidence, Finding
from secure_gate.scanners.pins.expand import Scope, Value, has_reference

__all__ = ["YamlError", "check_action", "check_workflow"]
YamlError = y.YamlError

_SHA = re.compile(r"[0-9a-fA-F]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_MATRIX_VALUE = re.compile(r"\$\{\{\s*matrix\.[A-Za-z_][A-Za-z0-9_-]*\s*\}\}")
# Shells whose run: scripts are command lines; `shell: python` scripts are Python.
_SHELLS = re.compile(r"(?:ba|da|z|k)?sh|pwsh|powershell|cmd")


@dataclass(slots=True)
class _Doc:
    path: str
    lines: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[int, str]] = field(default_factory=set)

    def add(self, node: Node, rule: str, evidence: str, message: str, fix: str,
            confidence: Confidence = Confidence.HIGH, line: int | None = None) -> None:
        first, _end, at, end_column = y.span(node)
        column: int | None = at
        if line is not None and line != first:
            first, column, end_column = line, None, None  # a matrix value written elsewhere
        key = (first, f"{rule}\n{evidence}")
        if key in self.seen:  # an anchor used twice is still one line to fix
            return
        self.seen.add(key)
        self.findings.append(rules.finding(rule, self.path, first, evidence=evidence,
                                           message=message, fix=fix, confidence=confidence,
                                           column=column, end_column=end_column))


def _literal_env(*mappings: Node | None) -> dict[str, str | None]:
    """env: values known before the job runs (later mappings override earlier ones)."""
    out: dict[str, str | None] = {}
    for mapping in mappings:
        for name, value in y.items(mapping):
            text = y.text(value)
            out[name] = text if text is not None and "${{" not in text else None
    return out


def _matrix(job: Node) -> dict[str, list[Value]]:
    """Each matrix key's literal values (with their lines), from the key and from include:."""
    out: dict[str, list[Value]] = {}
    matrix = y.get(y.get(job, "strategy"), "matrix")
    for key, value in y.items(matrix):
        if key == "include":
            for entry in y.sequence(value):
                for name, item in y.items(entry):
                    if (text := y.text(item)) is not None:
                        out.setdefault(name, []).append(Value(text, y.line(item)))
        elif key != "exclude":
            for item in y.sequence(value):
                if (text := y.text(item)) is not None:
                    out.setdefault(key, []).append(Value(text, y.line(item)))
    return out


def _uses(doc: _Doc, node: Node | None, where: str) -> None:
    value = y.text(node)
    if node is None or value is None or not value.strip():
        return
    value = value.strip()
    if value.startswith("./"):
        return  # an action or workflow in this repository: pinned by the commit itself
    if value.startswith("docker://"):
        reference = value[len("docker://"):]
        if not images.is_pinned(reference):
            doc.add(node, rules.UNPINNED_IMAGE, value,
                    images.explain(reference, "`uses: docker://`"),
                    f"uses: docker://{images.pinned_form(reference)}")
        return
    name, at, ref = value.rpartition("@")
    if at and _SHA.fullmatch(ref):
        return
    target = name if at else value
    why = ("has no ref at all" if not at
           else f"uses a short SHA `{ref}`, which is ambiguous" if _HEX.fullmatch(ref)
           else f"follows `{ref}`, a tag or branch that can be moved")
    version = f" # {ref}" if at and not _HEX.fullmatch(ref) else ""
    doc.add(node, rules.UNPINNED_ACTION, value,
            f"{where} `{value}` {why}; pin it to a full commit SHA: "
            f"`uses: {target}@<40-hex commit sha>{version}` (the comment keeps the version "
            "readable for Dependabot and Renovate)",
            f"uses: {target}@<40-hex commit sha>{version}")


def _image(doc: _Doc, node: Node | None, matrix: Mapping[str, Sequence[Value]],
           how: str) -> None:
    if isinstance(node, MappingNode):
        node = y.get(node, "image")
    value = y.text(node)
    if node is None or value is None or not value.strip():
        return
    values = Scope({}, matrix).expand(value) if has_reference(value) else [Value(value)]
    if values is None:
        doc.add(node, rules.UNPINNED_IMAGE, value,
                f"{how} `{value}` is only known when the workflow runs; use a literal "
                "digest-pinned image (`image@sha256:<digest>`) or a matrix of them",
                "image@sha256:<digest>", Confidence.LOW)
        return
    # An image written whole in the matrix is fixed there; one assembled here, here.
    whole = _MATRIX_VALUE.fullmatch(value.strip()) is not None
    for candidate in values:
        reference = candidate.text.strip()
        if reference and not images.is_pinned(reference):
            doc.add(node, rules.UNPINNED_IMAGE, reference, images.explain(reference, how),
                    images.pinned_form(reference), line=candidate.line if whole else None)


def _run(doc: _Doc, step: Node, scope: Scope, default_shell: str | None) -> None:
    shell = (y.text(y.get(step, "shell")) or default_shell or "bash").split() or ["bash"]
    program = re.split(r"[/\\]", shell[0])[-1].removesuffix(".exe")
    if not _SHELLS.fullmatch(program) and "${{" not in shell[0]:
        return
    script = y.scalar(y.get(step, "run"), doc.lines)
    if script is None:
        return
    for problem in pip_install.scan(script.value, scope):
        line, column = script.position(problem.word.start, problem.word.text)
        key = (line, f"{problem.spec}\n{column}")
        if key in doc.seen:  # the same anchored step in another job
            continue
        doc.seen.add(key)
        doc.findings.append(rules.finding(
            rules.UNPINNED_PIP_INSTALL, doc.path, line,
            evidence=f"pip install {problem.spec}", message=problem.message, fix=problem.fix,
            confidence=problem.confidence, column=column))


def _steps(doc: _Doc, steps: Node | None, env: dict[str, str | None],
           matrix: Mapping[str, Sequence[Value]], shell: str | None) -> None:
    fetched: set[str] = set()  # one job's steps share a file system
    for step in y.sequence(steps):
        if not isinstance(step, MappingNode):
            continue
        _uses(doc, y.get(step, "uses"), "step")
        if y.get(step, "run") is not None:
            scope = Scope({**env, **_literal_env(y.get(step, "env"))}, matrix, fetched)
            _run(doc, step, scope, shell)


def _default_shell(*owners: Node | None) -> str | None:
    found = None
    for owner in owners:
        found = y.text(y.get(y.get(y.get(owner, "defaults"), "run"), "shell")) or found
    return found


def _root(text: str, kind: str) -> Node | None:
    root = y.compose(text)
    if root is not None and not isinstance(root, MappingNode):
        raise y.YamlError(f"not a {kind}: the top level is not a mapping")
    return root


def check_workflow(path: str, text: str) -> list[Finding]:
    """Findings for a workflow; raises :class:`YamlError` when it is not readable YAML."""
    doc = _Doc(path, y.raw_lines(text))
    root = _root(text, "workflow")
    workflow_env = _literal_env(y.get(root, "env"))
    for _job_id, job in y.items(y.get(root, "jobs")):
        if not isinstance(job, MappingNode):
            continue
        _uses(doc, y.get(job, "uses"), "reusable workflow")
        matrix = _matrix(job)
        _image(doc, y.get(job, "container"), matrix, "job container")
        for _name, service in y.items(y.get(job, "services")):
            _image(doc, service, matrix, "service container")
        env = {**workflow_env, **_literal_env(y.get(job, "env"))}
        _steps(doc, y.get(job, "steps"), env, matrix, _default_shell(root, job))
    return doc.findings


def check_action(path: str, text: str) -> list[Finding]:
    """Findings for an action.yml: composite steps and a ``docker://`` image."""
    doc = _Doc(path, y.raw_lines(text))
    runs = y.get(_root(text, "action"), "runs")
    image = y.get(runs, "image")
    if isinstance(image, ScalarNode) and image.value.strip().startswith("docker://"):
        reference = image.value.strip()[len("docker://"):]
        if not images.is_pinned(reference):
            doc.add(image, rules.UNPINNED_IMAGE, image.value.strip(),
                    images.explain(reference, "`runs.image: docker://`"),
                    f"image: docker://{images.pinned_form(reference)}")
    _steps(doc, y.get(runs, "steps"), {}, {}, None)
    return doc.findings
