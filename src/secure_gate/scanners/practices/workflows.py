"""workflow-permissions: each GitHub workflow limits its GITHUB_TOKEN; none grants write-all."""

# Without ``permissions:`` at the top, or on every job, a job's token gets the repository's
# default, which is read-write on repositories created before February 2023 and in many
# organisations. ``write-all`` grants every scope. Read-only (``read-all``, ``{}``, or any
# explicit mapping) is the practice, with writes granted per job where needed.

from __future__ import annotations

import re
from collections.abc import Iterator

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from secure_gate import yamlnodes
from secure_gate.model import Confidence
from secure_gate.scanners.practices.rules import WORKFLOW_PERMISSIONS, Hit

_JOB_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")
FIX = ("permissions: {contents: read} at the top of the workflow, and write scopes only on "
       "the jobs that need them")


class WorkflowError(ValueError):
    """The workflow is not YAML, or not a mapping; the message says where."""


def compose(text: str) -> Node | None:
    """The document's node tree (lines kept); safe loader, no objects constructed."""
    try:
        return yamlnodes.compose(text)
    except yamlnodes.YamlError as exc:
        raise WorkflowError(f"is not valid YAML: {exc}") from None


def items(node: Node | None, seen: frozenset[int] = frozenset()) -> Iterator[tuple[Node, Node]]:
    """(key node, value node) pairs of a mapping, ``<<`` merges after explicit keys."""
    if not isinstance(node, MappingNode) or id(node) in seen:
        return
    merges: list[Node] = []
    for key, value in node.value:
        if key.tag == "tag:yaml.org,2002:merge":
            merges.extend(value.value if isinstance(value, SequenceNode) else [value])
        else:
            yield key, value
    for source in merges:
        yield from items(source, seen | {id(node)})


def _key(node: Node | None, name: str) -> tuple[Node, Node] | None:
    return next(((k, v) for k, v in items(node) if isinstance(k, ScalarNode)
                 and k.value == name), None)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _column(node: Node) -> int:
    return int(node.start_mark.column) + 1


def _write_all(key: Node, value: Node, where: str) -> Hit | None:
    if not (isinstance(value, ScalarNode) and value.value.strip() == "write-all"):
        return None
    return Hit(
        rule=WORKFLOW_PERMISSIONS, line=_line(key), column=_column(key),
        message=(f"`permissions: write-all` {where} gives the GITHUB_TOKEN every write "
                 "scope: any step (or a compromised action) can push code, publish "
                 "releases and change settings. List only the scopes the job needs."),
        evidence=f"write-all\n{where}", fix=FIX, confidence=Confidence.HIGH)


def check(text: str) -> list[Hit]:
    """Hits for write-all (top or job) and for a token left at the repository default."""
    root = compose(text)
    if root is None:
        return []
    if not isinstance(root, MappingNode):
        raise WorkflowError("is not a workflow (the document is not a mapping)")
    hits: list[Hit] = []
    top = _key(root, "permissions")
    if top is not None and (hit := _write_all(*top, "at the top of the workflow")):
        hits.append(hit)
    jobs = _key(root, "jobs")
    unlimited: list[str] = []
    for job_key, job in items(jobs[1] if jobs else None):
        raw = job_key.value if isinstance(job_key, ScalarNode) else ""
        name = raw if _JOB_ID.fullmatch(raw) else "(a job with an invalid id)"
        permissions = _key(job, "permissions")
        if permissions is None:
            unlimited.append(name)
        elif hit := _write_all(*permissions, f"in job `{name}`"):
            hits.append(hit)
    if top is None and unlimited:
        trigger = _key(root, "on")
        line, column = (_line(trigger[0]), _column(trigger[0])) if trigger else (1, None)
        listed = ", ".join(f"`{n}`" for n in unlimited[:10])
        more = f" and {len(unlimited) - 10} more" if len(unlimited) > 10 else ""
        hits.append(Hit(
            rule=WORKFLOW_PERMISSIONS, line=line, column=column,
            message=(f"No top-level `permissions:`, and job(s) {listed}{more} set none: their "
                     "GITHUB_TOKEN gets the repository's default, often read-write on "
                     "everything. Add `permissions: contents: read` at the top and grant "
                     "more only to the jobs that need it."),
            evidence="no permissions", fix=FIX, confidence=Confidence.HIGH))
    return hits
