"""One Python file parsed once: its AST, each node's parent, and where statements begin and end."""

from __future__ import annotations

import ast
import warnings
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from secure_gate.model import Confidence
from secure_gate.scanners.practices.rules import Hit

_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match, ast.TryStar)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
NodeT = TypeVar("NodeT", bound=ast.AST)


class PythonSyntaxError(ValueError):
    """The file is not Python this interpreter can parse; the message says where."""


@dataclass
class Module:
    """A parsed Python file: every node's parent, and its nodes by type (one walk for all)."""

    path: str
    tree: ast.Module
    source: bytes = b""
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    by_type: dict[type[ast.AST], list[ast.AST]] = field(
        default_factory=lambda: defaultdict(list))
    _lines: list[bytes] | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, path: str, source: bytes) -> Module:
        """Parse ``source`` (bytes, so a PEP 263 coding line is honoured)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences are not ours to flag
                tree = ast.parse(source, filename=path)
        except SyntaxError as exc:
            where = f"line {exc.lineno}: " if exc.lineno else ""
            raise PythonSyntaxError(f"syntax error: {where}{exc.msg}") from None
        except (ValueError, RecursionError, MemoryError) as exc:
            raise PythonSyntaxError(f"cannot be parsed: {exc}") from None
        module = cls(path, tree, source)
        parents, by_type = module.parents, module.by_type
        stack: list[ast.AST] = [tree]
        while stack:  # ast.walk + iter_child_nodes, inlined: this is the hot loop
            node = stack.pop()
            by_type[type(node)].append(node)
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, ast.AST):
                    parents[value] = node
                    stack.append(value)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            parents[item] = node
                            stack.append(item)
        return module

    def nodes(self, kind: type[NodeT]) -> list[NodeT]:
        """Every node of exactly this type, in no particular order."""
        return self.by_type.get(kind, [])  # type: ignore[return-value]

    def scope_of(self, node: ast.AST) -> ast.AST:
        """The function, lambda, class or module whose body holds ``node``."""
        return next((a for a in self.ancestors(node) if isinstance(a, SCOPES)), self.tree)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        """The node's parent, grandparent, ... up to the module."""
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def nosec_range(self, node: ast.AST) -> tuple[int, int]:
        """Lines where a ``# nosec`` covers ``node``: the node's own lines, widened to its
        statement when that statement is a simple one (a call split over several lines)."""
        first = getattr(node, "lineno", 1)
        last = getattr(node, "end_lineno", None) or first
        statement = next((a for a in (node, *self.ancestors(node)) if isinstance(a, ast.stmt)),
                         None)
        if statement is not None and not isinstance(statement, _COMPOUND):
            first = min(first, statement.lineno)
            last = max(last, statement.end_lineno or last)
        return first, last

    def hit(self, rule: str, node: ast.AST, message: str, evidence: str, *,
            fix: str | None = None, confidence: Confidence = Confidence.HIGH) -> Hit:
        """A hit located on ``node`` (1-based columns; the end column is inclusive)."""
        line = getattr(node, "lineno", None)
        end_line = getattr(node, "end_lineno", None) or line
        col = self._chars(line, getattr(node, "col_offset", None))
        end_col = self._chars(end_line, getattr(node, "end_col_offset", None))
        return Hit(rule=rule, line=line, message=message, evidence=evidence, fix=fix,
                   column=col + 1 if col is not None else None, end_line=end_line,
                   end_column=end_col or None, confidence=confidence,
                   nosec_lines=self.nosec_range(node))

    def _chars(self, line: int | None, offset: int | None) -> int | None:
        """The AST counts columns in UTF-8 bytes; reports count characters."""
        if line is None or offset is None:
            return None
        if self._lines is None:
            self._lines = self.source.splitlines()
        if not 0 < line <= len(self._lines):
            return offset
        prefix = self._lines[line - 1][:offset]
        return offset if prefix.isascii() else len(prefix.decode("utf-8", "replace"))


def walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` without entering nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, SCOPES):
            stack.extend(ast.iter_child_nodes(current))


def source_of(node: ast.AST) -> str:
    """The node's code, normalised by ``ast.unparse`` (fingerprint evidence, never shown)."""
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError):
        return type(node).__name__
