"""html-string-built and template-injection: a request's value spliced into HTML or a template."""

# html-string-built: an f-string, `%`, `.format()` or `+` whose literal text has an HTML tag
# (`<td>`, `<b>`, `<meta ...>`: a list of real tag names, so `<Response [200]>` is not one)
# and splices in a value read from the request: `request`/`req` (Django, Flask, aiohttp,
# Starlette handlers), or in a `*RequestHandler` class `self.path`, `self.headers`,
# `self.rfile`, directly or through the variables the same function assigns from them (any
# number of steps). An escaping call (`escape`, `html.escape`, `format_html`, `quote`,
# `int`...) stops it. Nothing escapes such a string later: it is cross-site scripting.
# A value from the database or a parameter is not followed (stored XSS needs data flow across
# requests); `Markup('<b>%s</b>') % x` escapes, and is not string building.
#
# template-injection: a template's own source (`render_template_string(...)`, jinja2
# `Template(...)`, `Environment.from_string(...)`, Django's or Mako's `Template(...)`) built
# by string formatting with a value that is not a constant, or read from the request: the
# value is template code (`{{ ... }}` runs on the server). Passing values as the template's
# context (`render_template_string("<p>{{ n }}</p>", n=name)`) is the fix and never reported;
# a template given as a plain variable (loaded from a file or the database) is not either.

from __future__ import annotations

import ast
import re

import secure_gate.scanners.practices.flow as flow
import secure_gate.scanners.practices.sql_rule as sql
from secure_gate.scanners.practices.pysource import SCOPES, Module, source_of, walk_scope
from secure_gate.scanners.practices.rules import HTML_STRING_BUILT, TEMPLATE_INJECTION, Hit
from secure_gate.scanners.practices.templates_rule import REQUESTS

_TAGS = ("a|abbr|b|body|br|button|code|dd|div|dl|dt|em|form|h[1-6]|head|hr|html|i|iframe|img|"
         "input|label|li|link|meta|ol|option|p|pre|script|select|small|span|strong|style|"
         "table|tbody|td|textarea|th|thead|title|tr|u|ul")
_HTML = re.compile(rf"</?(?:{_TAGS})(?=[\s/>])|<!DOCTYPE\s+html", re.IGNORECASE)
# Calls whose result carries nothing of the request that could be markup.
SANITIZERS = frozenset({"escape", "conditional_escape", "format_html", "format_html_join",
                        "quote", "quote_plus", "urlencode", "int", "float", "len", "bool",
                        "strip_tags", "clean", "escapejs", "json_script", "Markup",
                        "xmlattr", "hash", "id", "type", "isinstance", "hasattr", "callable"})
# BaseHTTPRequestHandler's views of the request.
HANDLER_ATTRIBUTES = frozenset({"path", "headers", "rfile", "requestline", "raw_requestline"})
_TEMPLATE_TEXT = re.compile(r"\{\{|\{%|\$\{|<%")
TEMPLATE_MODULES = ("jinja2", "django.template", "mako.template", "chameleon", "tornado.template")
FIX_HTML = ("let a template build the page (render_template / render with autoescape on), or "
            "escape every value: markupsafe.Markup('<b>{}</b>').format(value), "
            "django.utils.html.format_html('<b>{}</b>', value), html.escape(value)")
FIX_TEMPLATE = ("keep the template a constant and pass the value in its context: "
                "render_template_string('<h3>{{ url }}</h3>', url=request.url)")


class _Taint:
    """Which names of each function carry a value read from the request."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.handler_classes = {
            node for node in module.nodes(ast.ClassDef)
            if any((flow.callee_name(b) or "").endswith("RequestHandler") for b in node.bases)}
        self._by_scope: dict[ast.AST, frozenset[str]] = {}

    def _source(self, node: ast.AST, scope: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in REQUESTS
        if (isinstance(node, ast.Attribute) and node.attr in HANDLER_ATTRIBUTES
                and isinstance(node.value, ast.Name) and node.value.id == "self"):
            return any(a in self.handler_classes for a in self.module.ancestors(scope))
        return False

    def _uses(self, node: ast.AST, scope: ast.AST) -> tuple[bool, set[str]]:
        """Whether ``node`` reads the request itself, and the local names it shows (neither
        under a sanitising call)."""
        names: set[str] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Call) and (flow.callee_name(current) in SANITIZERS
                                                  or _allowlist_filter(current)):
                continue
            if self._source(current, scope):
                return True, names
            if isinstance(current, ast.Name):
                names.add(current.id)
            stack.extend(ast.iter_child_nodes(current))
        return False, names

    def reads(self, node: ast.AST, scope: ast.AST) -> bool:
        """``node`` shows a request value (not under a sanitising call)."""
        direct, names = self._uses(node, scope)
        return direct or bool(names & self.names(scope))

    def names(self, scope: ast.AST) -> frozenset[str]:
        """The function's local names given request values (a worklist over its bindings:
        each binding is read once, however long the chain)."""
        if scope in self._by_scope:
            return self._by_scope[scope]
        pairs: list[tuple[ast.AST, ast.AST]] = []
        for node in walk_scope(scope):
            if isinstance(node, ast.Assign):
                pairs.extend((t, node.value) for t in node.targets)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                if node.value is not None:
                    pairs.append((node.target, node.value))
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                pairs.append((node.target, node.iter))
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                pairs.append((node.optional_vars, node.context_expr))
        tainted: set[str] = set()
        work: list[str] = []
        waiting: dict[str, list[str]] = {}  # a name → the names given a value that shows it
        for target, value in pairs:
            bound = _bind(target, value)
            for name, part in bound:
                direct, shown = self._uses(part, scope)
                if direct:
                    if name not in tainted:
                        tainted.add(name)
                        work.append(name)
                    continue
                for used in shown:
                    waiting.setdefault(used, []).append(name)
        while work:
            for name in waiting.pop(work.pop(), ()):
                if name not in tainted:
                    tainted.add(name)
                    work.append(name)
        self._by_scope[scope] = frozenset(tainted)
        return self._by_scope[scope]


# `re.sub(r"[^\w]", "", x)`: everything outside a character class that holds none of HTML's
# special characters is removed, so nothing left can be markup.
_ALLOWLIST_CLASS = re.compile(r"\[\^(?:[^\]<>\"'&\\]|\\[wdsWDS\-.])*\][+*]?")


def _allowlist_filter(call: ast.Call) -> bool:
    if flow.callee_name(call) != "sub" or len(call.args) < 3:
        return False
    pattern, replacement = call.args[0], call.args[1]
    return (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)
            and _ALLOWLIST_CLASS.fullmatch(pattern.value) is not None
            and isinstance(replacement, ast.Constant) and replacement.value == "")


def _bind(target: ast.AST, value: ast.AST) -> list[tuple[str, ast.AST]]:
    """(name, the value it gets): ``a, b = x, y`` pairs element by element."""
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if isinstance(target, ast.Starred):
        return _bind(target.value, value)
    if isinstance(target, (ast.Tuple, ast.List)):
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts) \
                and not any(isinstance(e, ast.Starred) for e in target.elts):
            return [b for t, v in zip(target.elts, value.elts, strict=True)
                    for b in _bind(t, v)]
        return [b for t in target.elts for b in _bind(t, value)]
    return []  # attributes and subscripts: not followed


def _function_of(module: Module, node: ast.AST) -> ast.AST:
    """The innermost function (or the module) around ``node``; classes are not scopes here."""
    return next((a for a in module.ancestors(node)
                 if isinstance(a, SCOPES) and not isinstance(a, ast.ClassDef)), module.tree)


def _html_hits(module: Module, taint: _Taint, sources: list[ast.AST]) -> list[Hit]:
    """``sources``: template sources already reported as template-injection (not twice)."""
    hits: list[Hit] = []
    seen = {line for node in sources for line in range(
        getattr(node, "lineno", 0), (getattr(node, "end_lineno", None) or 0) + 1)}
    candidates: list[ast.expr] = [*module.nodes(ast.JoinedStr), *module.nodes(ast.BinOp),
                                 *module.nodes(ast.Call)]
    hits.extend(_substitution_hits(module, taint, seen))
    for node in sorted(candidates, key=lambda n: (n.lineno, n.col_offset)):
        line = node.lineno
        if line in seen:
            continue
        values = sql.spliced(node)
        if values is None or not _HTML.search(_literal_text(node)):
            continue
        scope = _function_of(module, node)
        shown = next((v for v in values if taint.reads(v, scope)), None)
        if shown is None:
            continue
        seen.add(line)
        hits.append(module.hit(
            HTML_STRING_BUILT, node,
            f"HTML built with string formatting splices in `{source_of(shown)[:60]}`, read "
            "from the request, unescaped: markup or script in it runs in the browser "
            "(cross-site scripting).", f"html\n{source_of(node)}", fix=FIX_HTML))
    return hits


def _substitution_hits(module: Module, taint: _Taint, seen: set[int]) -> list[Hit]:
    """``re.sub(pattern, replacement, page)`` whose pattern matches markup and whose
    replacement is (or splices in) a request value: the value lands in the HTML unescaped
    as surely as by ``%`` (DSVW's ``re.sub(r"(v<b>)[^<]+(</b>)", r"\\g<1>%s\\g<2>" % v, ...)``)."""
    hits: list[Hit] = []
    for call in module.nodes(ast.Call):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("sub", "subn")
                and isinstance(func.value, ast.Name) and func.value.id in ("re", "regex")
                and len(call.args) >= 2 and call.lineno not in seen):
            continue
        pattern, replacement = call.args[0], call.args[1]
        if not _HTML.search(_literal_text(pattern)):
            continue
        scope = _function_of(module, call)
        values = sql.spliced(replacement) or [replacement]
        shown = next((v for v in values if taint.reads(v, scope)), None)
        if shown is None:
            continue
        seen.add(call.lineno)
        hits.append(module.hit(
            HTML_STRING_BUILT, call,
            f"HTML markup is replaced with `{source_of(shown)[:60]}`, read from the request, "
            "unescaped (re.sub's replacement): markup or script in it runs in the browser "
            "(cross-site scripting).", f"html\n{source_of(call)}", fix=FIX_HTML))
    return hits


def _literal_text(node: ast.AST) -> str:
    """The literal text directly in a string-building expression (not in nested calls)."""
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Constant) and isinstance(current.value, str):
            parts.append(current.value)
        elif isinstance(current, ast.JoinedStr):
            stack.extend(current.values)
        elif isinstance(current, ast.BinOp) and isinstance(current.op, (ast.Add, ast.Mod)):
            stack.extend((current.left, current.right))
        elif isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute) \
                and current.func.attr == "format":
            stack.append(current.func.value)
    return " ".join(parts)


def _template_names(module: Module) -> set[str]:
    """Local names of a template engine's ``Template`` class (``from jinja2 import Template``)."""
    names: set[str] = set()
    for imported in module.nodes(ast.ImportFrom):
        if imported.module and imported.module.startswith(TEMPLATE_MODULES):
            names.update(a.asname or a.name for a in imported.names if a.name == "Template")
    return names


def _is_template_sink(call: ast.Call, templates: set[str]) -> bool:
    name = flow.callee_name(call)
    if name == "render_template_string":
        return True
    if name == "from_string" and isinstance(call.func, ast.Attribute):
        # jinja2's Environment.from_string; other classes have from_string constructors
        owner = source_of(call.func.value).lower()
        return "env" in owner or "jinja" in owner
    if isinstance(call.func, ast.Name):
        return call.func.id in templates
    if isinstance(call.func, ast.Attribute) and call.func.attr == "Template":
        return source_of(call.func.value) in ("jinja2", "template", "mako.template",
                                              "django.template", "tornado.template")
    return False


def _template_hits(module: Module, taint: _Taint) -> tuple[list[Hit], list[ast.AST]]:
    hits: list[Hit] = []
    sources: list[ast.AST] = []
    templates = _template_names(module)
    for call in module.nodes(ast.Call):
        if not _is_template_sink(call, templates):
            continue
        source = call.args[0] if call.args else next(
            (k.value for k in call.keywords if k.arg in ("source", "text", "template_string")),
            None)
        if source is None:
            continue
        scope = _function_of(module, call)
        found = sql.built(module, call, source)

        def given(variable: str, sink: ast.Call = call) -> list[ast.AST]:
            return sql.assigned(module, sink, variable)

        unsafe = [v for v in found[1] if not sql.is_safe(v, given)] if found else []
        if found and not (_HTML.search(text := _literal_text(found[0]))
                          or _TEMPLATE_TEXT.search(text)):
            unsafe = []  # what is built is not a template (a name, a path)
        reads = taint.reads(source, scope)
        if not unsafe and not reads:
            continue
        shown = source_of(unsafe[0] if unsafe else source)[:60]
        sources.append(found[0] if found else source)
        hits.append(module.hit(
            TEMPLATE_INJECTION, call,
            f"{flow.callee_name(call)}() is given a template built from `{shown}`: whoever "
            "controls that value writes template code, and `{{ ... }}` in it runs on the "
            "server (server-side template injection).",
            f"{flow.callee_name(call)}\n{source_of(found[0] if found else source)}",
            fix=FIX_TEMPLATE))
    return hits, sources


def check(module: Module) -> list[Hit]:
    """Hits for request values spliced into HTML strings and into template sources."""
    taint = _Taint(module)
    templates, sources = _template_hits(module, taint)
    return _html_hits(module, taint, sources) + templates
