"""template-unescaped: HTML templates rendered without escaping, in Python and in templates."""

# In Python: `aiohttp_jinja2.setup(app, autoescape=False)` (also imported as another name)
# and `jinja_env.autoescape = False` (jinja2.Environment(autoescape=False) itself is bandit's
# B701, which blocks already), and `Markup(x)`/`markupsafe.Markup(x)`/`flask.Markup(x)`/
# Django's `mark_safe(x)`/`SafeString(x)` of a value read from the request in the same
# function (any other variable is bandit's B703/B704 at medium: measured on wagtail, 28 such
# calls, none exploitable). aiohttp_jinja2.setup() without autoescape escapes since
# aiohttp-jinja2 1.5, so only an explicit False is reported. In templates (*.jinja, *.jinja2,
# *.j2, HTML under a templates/ folder): `{% autoescape false %}` (high), and `{{ value|safe }}`:
# high when the value's name says a person wrote it (`post.text`, `comment.body`, `bio`,
# `review`, `title`, `username`, `query`: USER_TEXT), else low (reported, not blocking: a
# template cannot show where the value comes from, and HTML the code built is marked safe on
# purpose: wagtail's 11 are `html`, `icons`, `item`, `content`, `config_json`, `embed.html`,
# `column.strip`, none exploitable; a flash `message` is the application's own text).

from __future__ import annotations

import ast
import re

import secure_gate.scanners.practices.flow as flow
import secure_gate.scanners.practices.names as names
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import Module, source_of, walk_scope
from secure_gate.scanners.practices.rules import TEMPLATE_UNESCAPED, Hit

MARKERS = frozenset({"Markup", "mark_safe", "SafeString", "SafeText"})
REQUESTS = frozenset({"request", "req"})  # Django, Flask, aiohttp, Starlette handlers' name
# Calls whose result is escaped (or built only from escaped parts).
ESCAPING = frozenset({"escape", "conditional_escape", "format_html", "format_html_join",
                      "render_to_string", "strip_tags", "clean", "linebreaks", "urlize",
                      "json_script", "escapejs", "Markup", "mark_safe"})
FIX = ("let the template engine escape: pass the value itself, or build the HTML with "
       "markupsafe.Markup('<b>{}</b>').format(value) / django.utils.html.format_html(); "
       "keep autoescape on (aiohttp_jinja2.setup(app, autoescape=True))")
# The last word of a value's name that says a person typed it (see the comment above).
USER_TEXT = frozenset({"text", "body", "comment", "comments", "bio", "biography", "about",
                       "description", "review", "reply", "feedback", "post", "note",
                       "title", "subject", "name", "username", "nickname", "query", "search",
                       "q", "input", "signature", "caption"})
_SAFE_FILTER = re.compile(r"\{\{(?P<expr>(?:(?!\}\}).)*?)\|\s*safe\b")
_AUTOESCAPE_OFF = re.compile(r"\{%-?\s*autoescape\s+(?:false|off)\b", re.IGNORECASE)


def _escaped(node: ast.AST) -> bool:
    """A value with nothing unescaped in it: literals and escaping calls only."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call):
        return flow.callee_name(node) in ESCAPING
    if isinstance(node, ast.JoinedStr):
        return all(_escaped(v.value) if isinstance(v, ast.FormattedValue) else True
                   for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod, ast.Mult)):
        return _escaped(node.left) and _escaped(node.right)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_escaped(e) for e in node.elts)
    return False


def _from_request(node: ast.AST) -> bool:
    """The expression reads the request (``request.GET["q"]``, ``request.args.get("q")``)."""
    return any(isinstance(n, ast.Name) and n.id in REQUESTS for n in ast.walk(node))


def _request_value(module: Module, call: ast.Call, value: ast.AST) -> bool:
    """``value`` reads the request, itself or through a variable its function assigns."""
    if _from_request(value):
        return True
    names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    return any(_from_request(n.value) for n in walk_scope(module.scope_of(call))
               if isinstance(n, ast.Assign) and n.lineno <= call.lineno
               and any(isinstance(t, ast.Name) and t.id in names for t in n.targets))


def _marked(module: Module, call: ast.Call) -> Hit | None:
    if not call.args:
        return None
    value = call.args[0]
    if isinstance(value, ast.Name):
        given = [n.value for n in walk_scope(module.scope_of(call))
                 if isinstance(n, ast.Assign) and n.lineno <= call.lineno
                 and any(isinstance(t, ast.Name) and t.id == value.id for t in n.targets)]
        if given and all(_escaped(v) for v in given):
            return None
    if _escaped(value) or not _request_value(module, call, value):
        return None  # any other variable is bandit's B703/B704 (medium: a lead, not a block)
    name = flow.callee_name(call)
    return module.hit(
        TEMPLATE_UNESCAPED, call,
        f"{name}() marks `{source_of(value)[:60]}`, read from the request, as safe HTML, so "
        "the template prints it unescaped: it runs as script in other users' browsers "
        "(cross-site scripting).", f"{name}\n{source_of(value)}", fix=FIX)


def _aiohttp_setups(module: Module) -> set[str]:
    """Names ``aiohttp_jinja2.setup`` goes by here (``from aiohttp_jinja2 import setup``)."""
    names: set[str] = set()
    for imported in module.nodes(ast.ImportFrom):
        if imported.module == "aiohttp_jinja2":
            names.update(a.asname or a.name for a in imported.names if a.name == "setup")
    return names


def _autoescape_off(module: Module, node: ast.AST, setups: set[str]) -> Hit | None:
    if isinstance(node, ast.Call):
        func = node.func
        owner = func.value if isinstance(func, ast.Attribute) else None
        if not ((isinstance(owner, ast.Name) and owner.id == "aiohttp_jinja2"
                 and flow.callee_name(node) == "setup")
                or (isinstance(func, ast.Name) and func.id in setups)):
            return None
        off = next((k for k in node.keywords if k.arg == "autoescape"
                    and isinstance(k.value, ast.Constant) and k.value.value is False), None)
        if off is None:
            return None
        return module.hit(TEMPLATE_UNESCAPED, node,
                          "aiohttp_jinja2.setup(..., autoescape=False): every template prints "
                          "its values unescaped (cross-site scripting).",
                          "aiohttp_jinja2.setup autoescape=False", fix=FIX)
    if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and node.value.value is False
            and any(isinstance(t, ast.Attribute) and t.attr == "autoescape"
                    for t in node.targets)):
        return module.hit(TEMPLATE_UNESCAPED, node,
                          "autoescape is switched off: templates print values unescaped "
                          "(cross-site scripting).", source_of(node), fix=FIX)
    return None


def check(module: Module) -> list[Hit]:
    """Hits for unescaped template output set up or marked in Python."""
    hits = [h for call in module.nodes(ast.Call) if flow.callee_name(call) in MARKERS
            if (h := _marked(module, call)) is not None]
    setups = _aiohttp_setups(module)
    for node in (*module.nodes(ast.Call), *module.nodes(ast.Assign)):
        if (hit := _autoescape_off(module, node, setups)) is not None:
            hits.append(hit)
    return hits


def check_template(text: str) -> list[Hit]:
    """Hits for ``|safe`` of a variable and ``{% autoescape false %}`` in a template."""
    hits = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _SAFE_FILTER.finditer(line):
            expr = match.group("expr").strip()
            if not expr or expr[0] in "\"'" or expr.replace(".", "").isdigit():
                continue  # a literal marked safe is the author's own HTML
            typed = _user_text(expr)
            hits.append(Hit(
                TEMPLATE_UNESCAPED, number,
                f"`{expr[:60]}|safe` prints the value unescaped: "
                + ("its name says a user wrote it, and markup or script in it runs in other "
                   "users' browsers (cross-site scripting)." if typed else
                   "if any of it comes from a user it runs as script in other users' browsers "
                   "(cross-site scripting)."),
                f"|safe\n{expr}", fix=FIX, column=match.start() + 1,
                confidence=Confidence.HIGH if typed else Confidence.LOW))
        if off := _AUTOESCAPE_OFF.search(line):
            hits.append(Hit(TEMPLATE_UNESCAPED, number,
                            "autoescape is switched off for this block: its values print "
                            "unescaped (cross-site scripting).", "autoescape off",
                            fix=FIX, column=off.start() + 1))
    return hits


def _user_text(expr: str) -> bool:
    """``post.text``, ``comment.body | striptags``: the value's last name is USER_TEXT's."""
    value = expr.split("|", 1)[0].strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*", value):
        return False  # a call, a subscript, an expression: not judged by name
    parts = names.words(value.rsplit(".", 1)[-1])
    return bool(parts) and parts[-1] in USER_TEXT
