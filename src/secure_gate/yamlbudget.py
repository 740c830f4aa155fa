"""A size and alias budget for YAML a tool would parse: an alias bomb never reaches a parser.

YAML aliases share one node however often they are used, so a few lines (nine anchors of
nine aliases each) stand for hundreds of millions of nodes; a parser that walks the tree
expanded, as detect-secrets' YAML transformer does, runs out of memory (more than 6 GB was
measured on one workflow file). Composing the document keeps aliases shared, so counting the
expanded nodes with memoisation is linear in the file; files over either budget are handed
to the tool as plain lines instead, and the report says so.
"""

from __future__ import annotations

import os
import re

MAX_BYTES = 1 << 20
MAX_EXPANDED_NODES = 250_000
_ANCHOR = re.compile(rb"&[^\s\[\]{},]")


def over_budget(path: str) -> str | None:
    """Why ``path`` should not be parsed as YAML (None when it is within the budget)."""
    import yaml

    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            return f"larger than {MAX_BYTES >> 20} MiB"
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError:
        return None  # the tool reports what it cannot read
    if not _ANCHOR.search(data):
        return None  # no anchor, so no alias can expand anything
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        loader = loader_class(data)
        try:
            nodes: list[yaml.Node] = []
            while loader.check_node():
                node = loader.get_node()
                if node is not None:
                    nodes.append(node)
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return None  # not YAML the tool can read either: it falls back on its own
    sizes: dict[int, int] = {}
    total = sum(_expanded(node, sizes) for node in nodes)
    if total > MAX_EXPANDED_NODES:
        return f"its aliases expand it past {MAX_EXPANDED_NODES:,} nodes"
    return None


def _expanded(root: object, sizes: dict[int, int]) -> int:
    """Nodes in ``root`` with every alias expanded, memoised per shared node (iterative; a
    recursive alias counts once instead of looping)."""
    import yaml

    visiting: set[int] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children: list[object] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            visiting.discard(id(node))
            total = 1 + sum(sizes.get(id(c), 1) for c in children)
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
            continue
        if id(node) in sizes or id(node) in visiting:
            continue
        visiting.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def guard_detect_secrets(skipped: dict[str, str]) -> None:
    """Make detect-secrets' YAML transformer pass over files outside the budget (they are
    then read as plain lines, as detect-secrets does for any file it cannot parse); each one
    is recorded in ``skipped`` (path: why). Installed once per worker process."""
    from detect_secrets.transformers import yaml as ds_yaml

    transformer = ds_yaml.YAMLTransformer
    if getattr(transformer, "_secure_gate_budget", False):
        return
    original = transformer.should_parse_file

    def should_parse_file(self: object, filename: str) -> bool:
        if not original(self, filename):  # type: ignore[arg-type]
            return False
        why = over_budget(filename)
        if why is not None:
            skipped[filename] = why
            return False
        return True

    transformer.should_parse_file = should_parse_file  # type: ignore[method-assign]
    transformer._secure_gate_budget = True  # type: ignore[attr-defined]
