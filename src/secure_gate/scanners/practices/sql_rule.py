"""sql-string-built: SQL built with f-strings, ``%``, ``.format()`` or ``+`` passed to execute."""

# The query reaches a database call (DB-API `execute`/`executemany`/`executescript`, Django
# `raw`/`extra`/`RawSQL`, SQLAlchemy `text`, pandas `read_sql`) as an f-string, `%`,
# `.format()` or `+` expression, directly or through a variable assigned in the same function.
# Confidence is high when a value that is not a literal is spliced in; low when every spliced
# value is an UPPER_CASE constant, a number, or a quoting call (`quote_name`, `Identifier`...);
# a parameterised query (`execute("... %s", (x,))`) or a literal is never reported. bandit's
# B608 sees some of these at medium severity and low confidence; this rule blocks.

from __future__ import annotations

import ast
import re
from collections.abc import Callable

import secure_gate.scanners.practices.flow as flow
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import Module, source_of, walk_scope
from secure_gate.scanners.practices.rules import SQL_STRING_BUILT, Hit

SINKS = frozenset({"execute", "executemany", "executescript", "raw", "text", "extra",
                   "RawSQL", "read_sql", "read_sql_query", "mogrify"})
# Calls whose result is safe to splice: quoting, identifiers, numbers, placeholders' counts.
SAFE_CALLS = frozenset({"quote_name", "quote_ident", "quote", "escape", "escape_string",
                        "Identifier", "Literal", "int", "float", "len", "bool", "range"})
# The query text looks like SQL (calls named `text` or `raw` are not always databases').
_SQL = re.compile(r"(?is)\b(?:select\s.+\sfrom|insert\s+into|update\s.+\sset|delete\s+from|"
                  r"create\s+(?:table|index|view)|drop\s+(?:table|index|view)|alter\s+table|"
                  r"truncate|pragma|where\s|order\s+by|values\s*\()")
_ANY_TEXT = frozenset({"extra", "RawSQL"})  # their argument is SQL whatever it looks like
FIX = ("pass values as parameters: cursor.execute('... WHERE name = %s', (name,)), "
       "Model.objects.raw('... %s', [name]), text('... :name').bindparams(name=name); "
       "identifiers through the driver's quoting (psycopg.sql.Identifier, connection.ops."
       "quote_name)")


def _literal_text(node: ast.AST) -> str:
    """The constant text of a built string (what the spliced values are spliced into)."""
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str))


def spliced(node: ast.AST) -> list[ast.AST] | None:
    """The values spliced into a string-building expression, or None when it builds none."""
    if isinstance(node, ast.JoinedStr):
        formatted: list[ast.AST] = [v.value for v in node.values
                                    if isinstance(v, ast.FormattedValue)]
        return formatted or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _stringish(node.left):
        right = node.right
        if isinstance(right, (ast.Tuple, ast.List)):
            return list(right.elts)
        if isinstance(right, ast.Dict):
            return list(right.values)
        return [right]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = _flatten_add(node)
        if not any(_stringish(p) for p in parts):
            return None
        values: list[ast.AST] = []
        for part in parts:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                values.extend(spliced(part) or [part])
        return values or None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format" and _stringish(node.func.value)):
        return [*node.args, *(k.value for k in node.keywords)] or None
    return None


def _flatten_add(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def _stringish(node: ast.AST) -> bool:
    """A string literal, or an expression that builds a string from one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, (ast.BinOp, ast.Call)) and spliced(node) is not None


def is_safe(node: ast.AST, values: Callable[[str], list[ast.AST]], depth: int = 0) -> bool:
    """A spliced value that cannot carry input: a literal, a constant, a quoting call, or a
    local variable only ever given such values (``marks = ", ".join("?" * len(ids))``)."""
    def safe(child: ast.AST) -> bool:
        return is_safe(child, values, depth)

    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        if node.id.isupper():
            return True
        given = values(node.id) if depth < 2 else []
        return bool(given) and all(is_safe(v, values, depth + 1) for v in given)
    if isinstance(node, ast.Attribute):  # a constant, or Django's own table names (_meta)
        return node.attr.isupper() or node.attr == "db_table" or any(
            isinstance(n, ast.Attribute) and n.attr == "_meta" for n in ast.walk(node))
    if isinstance(node, ast.Call):
        name = flow.callee_name(node)
        return name in SAFE_CALLS or (name == "join" and all(safe(a) for a in node.args))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return safe(node.left) or safe(node.right)  # "?" * len(ids)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(safe(e) for e in node.elts)
    if isinstance(node, ast.FormattedValue):
        return safe(node.value)
    if isinstance(node, ast.JoinedStr):
        return all(safe(v) for v in node.values)
    return False


def assigned(module: Module, sink: ast.Call, name: str) -> list[ast.AST]:
    """Values ``name`` is given in the sink's function before the sink (``=``, ``+=``)."""
    scope = module.scope_of(sink)
    out: list[ast.AST] = []
    for node in walk_scope(scope):
        if getattr(node, "lineno", sink.lineno + 1) > sink.lineno:
            continue
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = getattr(node, "value", None)
            if value is not None:
                out.append(value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name and isinstance(node.op, ast.Add):
            out.append(ast.BinOp(left=ast.Constant(value=""), op=ast.Add(), right=node.value))
    return out


def _query(call: ast.Call) -> ast.AST | None:
    if call.args:
        return call.args[0]
    wanted = ("sql", "query", "statement", "operation", "where", "raw_query", "sql_script")
    return next((k.value for k in call.keywords if k.arg in wanted), None)


def built(module: Module, call: ast.Call, query: ast.AST) -> tuple[ast.AST, list[ast.AST]] | None:
    """The string-building expression the query comes from, and what it splices in."""
    candidates = [query]
    if isinstance(query, ast.Name):
        candidates = assigned(module, call, query.id)
    if isinstance(query, (ast.List, ast.Tuple)):  # extra(where=["a = '%s'" % x])
        candidates = list(query.elts)
    for candidate in candidates:
        values = spliced(candidate)
        if values is not None:
            return candidate, values
    return None


def check(module: Module) -> list[Hit]:
    """One hit per database call given string-built SQL."""
    hits = []
    for call in module.nodes(ast.Call):
        name = flow.callee_name(call)
        if name not in SINKS:
            continue
        queries = [q for q in [_query(call)] if q is not None]
        if name == "extra":
            queries = [k.value for k in call.keywords if k.arg in ("where", "select", "tables")]
        for query in queries:
            found = built(module, call, query)
            if found is None:
                continue
            expression, values = found
            if name not in _ANY_TEXT and not _SQL.search(_literal_text(expression)):
                continue
            def given(variable: str, sink: ast.Call = call) -> list[ast.AST]:
                return assigned(module, sink, variable)

            unsafe = [v for v in values if not is_safe(v, given)]
            shown = source_of(unsafe[0] if unsafe else values[0])[:60]
            confidence = Confidence.HIGH if unsafe else Confidence.LOW
            hits.append(module.hit(
                SQL_STRING_BUILT, call,
                f"SQL built with string formatting reaches {name}(): `{shown}` is spliced "
                "into the query text, so a value with a quote in it changes the query (SQL "
                "injection); pass it as a parameter instead.",
                f"{name}\n{source_of(expression)}", fix=FIX, confidence=confidence))
            break
    return hits
