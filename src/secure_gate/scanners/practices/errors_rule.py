"""error-details-exposed: a web handler that answers an unexpected error with its details."""

# A function is a handler when a route decorator marks it (``@app.route``, ``@router.get``,
# ``@api_view``, ...) or when it returns a response object (``JsonResponse``, ``HttpResponse``,
# ``Response``, ``jsonify``, ``make_response``, any ``*Response`` class). Inside it, an
# ``except Exception as e`` (or ``BaseException``, or a tuple with either) whose ``return``, or
# ``raise HTTPException(...)``/``abort(...)``, carries ``str(e)``, ``repr(e)``, ``f"{e}"``,
# ``"%s" % e``, ``e.args`` (or ``.message``/``.msg``/``.strerror``), or a variable assigned from
# them, is reported. ``traceback.format_exc()`` and friends are reported under any ``except``.
# Specific exceptions (``ValidationError``, ``ValueError``...) usually carry messages written
# for the user, so their text alone is not reported.

from __future__ import annotations

import ast
from collections.abc import Iterator

import secure_gate.scanners.practices.flow as flow
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import FUNCTIONS, Module, source_of
from secure_gate.scanners.practices.rules import ERROR_DETAILS_EXPOSED, Hit

ROUTE_DECORATORS = frozenset({
    "route", "get", "post", "put", "patch", "delete", "head", "options", "api_route",
    "websocket", "view_config", "api_view", "require_http_methods", "require_GET",
    "require_POST", "require_safe", "login_required", "permission_required", "csrf_exempt",
})
RESPONSE_FUNCTIONS = frozenset({"jsonify", "make_response", "json_response", "render",
                                "render_template", "render_template_string",
                                "render_to_response"})
RAISED_RESPONSES = ("HTTPException", "APIException")
BROAD = frozenset({"Exception", "BaseException"})
DETAIL_ATTRIBUTES = frozenset({"args", "message", "msg", "strerror"})
TRACEBACK_FUNCTIONS = frozenset({"format_exc", "format_exception", "format_tb",
                                 "format_stack", "format_exception_only"})
FIX = ("log the exception server-side (logger.exception(...)) and return a generic message "
       "with an error id the user can quote")


def _is_response_call(node: ast.AST) -> bool:
    name = flow.callee_name(node) if isinstance(node, ast.Call) else None
    return name is not None and (name.endswith("Response") or name in RESPONSE_FUNCTIONS)


def _returned(node: ast.AST | None) -> list[ast.AST]:
    if isinstance(node, ast.Tuple):  # Flask's `return body, status`
        return list(node.elts)
    return [node] if node is not None else []


def handlers(module: Module) -> set[ast.AST]:
    """Route-decorated functions, and functions that return a response object somewhere."""
    found: set[ast.AST] = set()
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
        *module.nodes(ast.FunctionDef), *module.nodes(ast.AsyncFunctionDef)]
    for func in functions:
        if any(flow.callee_name(d) in ROUTE_DECORATORS for d in func.decorator_list):
            found.add(func)
    for node in module.nodes(ast.Return):
        if any(_is_response_call(v) for v in _returned(node.value)):
            scope = module.scope_of(node)
            if isinstance(scope, FUNCTIONS):
                found.add(scope)
    return found


def _is_broad(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    types = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(flow.callee_name(t) in BROAD for t in types if t is not None)


class _Exposure:
    """What in one ``except ... as e`` block carries the exception's details."""

    def __init__(self, name: str, broad: bool) -> None:
        self.name = name
        self.broad = broad
        self.tainted: dict[str, str] = {}  # variable → what it was built from

    def details(self, node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
        """(node, description) for every exception detail the value shows."""
        if isinstance(node, ast.Call):
            name = flow.callee_name(node)
            if name in TRACEBACK_FUNCTIONS:
                yield node, f"traceback.{name}()"
                return
            if (self.broad and name in ("str", "repr", "format")
                    and isinstance(node.func, ast.Name)
                    and any(self._is_exc(a) for a in node.args[:1])):
                yield node, f"{name}({self.name})"
                return
            if self.broad and name == "format" and isinstance(node.func, ast.Attribute) and any(
                    self._is_exc(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                yield node, f"'...'.format({self.name})"
                return
            if flow.is_masked(node) and not _is_response_call(node):
                return
            children: list[ast.AST] = [*node.args, *(k.value for k in node.keywords)]
            if isinstance(node.func, ast.Attribute) and not _is_response_call(node):
                children.append(node.func.value)
        elif isinstance(node, ast.FormattedValue):
            if self.broad and self._is_exc(node.value):
                yield node, f"{{{self.name}}} in an f-string"
                return
            children = [node.value]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            if self.broad and any(self._is_exc(n) for n in _returned(node.right)):
                yield node, f"'...' % {self.name}"
                return
            children = [node.left, node.right]
        elif isinstance(node, ast.Attribute):
            if self.broad and self._is_exc(node.value) and node.attr in DETAIL_ATTRIBUTES:
                yield node, f"{self.name}.{node.attr}"
            return
        elif isinstance(node, ast.Name):
            if node.id in self.tainted:
                yield node, f"`{node.id}` (built from {self.tainted[node.id]})"
            return
        elif isinstance(node, ast.Dict):
            children = [v for v in node.values if v is not None]
        elif isinstance(node, (ast.JoinedStr, ast.Tuple, ast.List, ast.Set, ast.BinOp,
                               ast.IfExp, ast.BoolOp, ast.Starred, ast.Await)):
            children = list(ast.iter_child_nodes(node))
        else:
            return
        for child in children:
            yield from self.details(child)

    def _is_exc(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == self.name


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements in source order, entering blocks but not nested functions or classes."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(statement, field, []) or [])
        for handler in getattr(statement, "handlers", []) or []:
            yield from _statements(handler.body)
        for case in getattr(statement, "cases", []) or []:
            yield from _statements(case.body)


def _sink(statement: ast.stmt) -> list[ast.expr]:
    """What a statement sends to the client: a return value, or the arguments of a raised
    HTTP error or of ``abort()``."""
    if isinstance(statement, ast.Return):
        return [statement.value] if statement.value is not None else []
    call = None
    if (isinstance(statement, ast.Raise) and isinstance(statement.exc, ast.Call)
            and (flow.callee_name(statement.exc) or "").endswith(RAISED_RESPONSES)):
        call = statement.exc
    elif (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and flow.callee_name(statement.value) == "abort"):
        call = statement.value
    return [*call.args, *(k.value for k in call.keywords)] if call is not None else []


def _check_handler(module: Module, handler: ast.ExceptHandler) -> Iterator[Hit]:
    exposure = _Exposure(handler.name or "", _is_broad(handler))
    for statement in _statements(handler.body):
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
            found = list(exposure.details(statement.value))
            targets = (statement.targets if isinstance(statement, ast.Assign)
                       else [statement.target])
            for target in targets:
                if isinstance(target, ast.Name):
                    if found:
                        exposure.tainted[target.id] = found[0][1]
                    else:
                        exposure.tainted.pop(target.id, None)
            continue
        found = [d for value in _sink(statement) for d in exposure.details(value)]
        if found:
            what = ", ".join(dict.fromkeys(d for _, d in found))
            yield module.hit(
                ERROR_DETAILS_EXPOSED, found[0][0],
                f"The response carries the exception's details ({what}): internal errors "
                "tell an attacker about the code, libraries, queries and data behind it. Log "
                "the exception on the server and answer with a generic message.",
                f"{what}\n{source_of(statement)}", fix=FIX, confidence=Confidence.MEDIUM)


def check(module: Module) -> list[Hit]:
    """Hits in every handler's ``except`` blocks (each nested block is checked on its own)."""
    excepts = module.nodes(ast.ExceptHandler)
    if not excepts:
        return []
    functions = handlers(module)
    hits: dict[tuple[int | None, int | None], Hit] = {}
    for node in excepts:
        if module.scope_of(node) in functions:
            for hit in _check_handler(module, node):
                hits.setdefault((hit.line, hit.column), hit)  # nested blocks: once
    return list(hits.values())
