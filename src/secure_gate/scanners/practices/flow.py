"""Follow a value through the expressions that keep it readable, and stop where it is masked."""

# A value stays readable through f-strings, ``%`` and ``+``, ``.format()``, ``str()``/``repr()``,
# ``.encode()``/``.decode()``/``.strip()``, containers and conditionals. Any other call (``mask``,
# ``redact``, ``len``, ``hash``, ``hashlib.*``, ...) and any slice (``token[:4]``) is treated as
# visibly masking it, so nothing under it is reported.

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

# Builtins and methods whose result still shows their argument (or receiver) in full.
PASS_THROUGH_FUNCTIONS = frozenset({"str", "repr", "format", "ascii", "bytes", "bytearray",
                                    "dict", "list", "tuple", "set", "sorted"})
PASS_THROUGH_METHODS = frozenset({"encode", "decode", "strip", "lstrip", "rstrip", "lower",
                                  "upper", "casefold", "title", "replace", "join", "format",
                                  "format_map", "copy"})
# Lookups by a constant key, `os.environ.get("API_TOKEN")`: the key names the value.
LOOKUP_METHODS = frozenset({"get", "getenv", "pop", "getlist", "setdefault"})

Named = tuple[ast.AST, str]  # the node that carries the value, and the name it goes by


def callee_name(node: ast.AST) -> str | None:
    """The last name of a call's function: ``logging.getLogger`` → ``getLogger``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def constant_key(node: ast.AST | None) -> str | None:
    """A constant string used as a key or keyword, if ``node`` is one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_masked(node: ast.AST) -> bool:
    """True for values that do not show a credential: constants, slices, opaque calls."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Slice)
    if isinstance(node, ast.Call):
        name = callee_name(node)
        if isinstance(node.func, ast.Name):
            return name not in PASS_THROUGH_FUNCTIONS
        return name not in PASS_THROUGH_METHODS and name not in LOOKUP_METHODS
    return not isinstance(node, (ast.Name, ast.Attribute, ast.JoinedStr, ast.FormattedValue,
                                 ast.BinOp, ast.Dict, ast.Tuple, ast.List, ast.IfExp,
                                 ast.BoolOp, ast.NamedExpr, ast.Await, ast.Starred))


def named_values(node: ast.AST, wanted: Callable[[str], bool]) -> Iterator[Named]:
    """Every place under ``node`` where a value named as ``wanted`` says stays readable."""
    if isinstance(node, ast.Name):
        if wanted(node.id):
            yield node, node.id
    elif isinstance(node, ast.Attribute):
        if wanted(node.attr):
            yield node, node.attr
    elif isinstance(node, ast.Subscript):
        key = constant_key(node.slice)
        if key is not None and wanted(key):
            yield node, key
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield from named_values(part, wanted)
    elif isinstance(node, ast.NamedExpr) and wanted(node.target.id):
        yield node, node.target.id
    elif isinstance(node, (ast.FormattedValue, ast.NamedExpr, ast.Await, ast.Starred)):
        yield from named_values(node.value, wanted)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        yield from named_values(node.left, wanted)
        yield from named_values(node.right, wanted)
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for element in node.elts:
            yield from named_values(element, wanted)
    elif isinstance(node, ast.Dict):
        for key_node, value in zip(node.keys, node.values, strict=True):
            key = constant_key(key_node)
            if key is not None and wanted(key) and not is_masked(value):
                yield value, key
            else:
                yield from named_values(value, wanted)
    elif isinstance(node, ast.IfExp):
        yield from named_values(node.body, wanted)
        yield from named_values(node.orelse, wanted)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from named_values(value, wanted)
    elif isinstance(node, ast.Call):
        yield from _call(node, wanted)


def _call(node: ast.Call, wanted: Callable[[str], bool]) -> Iterator[Named]:
    name = callee_name(node)
    if isinstance(node.func, ast.Attribute) and name in LOOKUP_METHODS:
        key = constant_key(node.args[0]) if node.args else None
        if key is not None and wanted(key):
            yield node, key
        return
    if isinstance(node.func, ast.Name) and name == "getenv":
        key = constant_key(node.args[0]) if node.args else None
        if key is not None and wanted(key):
            yield node, key
        return
    if is_masked(node):
        return
    if isinstance(node.func, ast.Attribute):
        yield from named_values(node.func.value, wanted)
    yield from arguments(node, wanted)


def arguments(node: ast.Call, wanted: Callable[[str], bool],
              skip: frozenset[str] = frozenset()) -> Iterator[Named]:
    """Named values among a call's arguments; a keyword's own name counts too."""
    for arg in node.args:
        yield from named_values(arg, wanted)
    for keyword in node.keywords:
        if keyword.arg in skip:
            continue
        if keyword.arg is not None and wanted(keyword.arg) and not is_masked(keyword.value):
            yield keyword.value, keyword.arg
        else:
            yield from named_values(keyword.value, wanted)
