"""template-unescaped: HTML templates rendered without escaping, in Python and in templates."""

# In Python: `aiohttp_jinja2.setup(app, autoescape=False)` and `jinja_env.autoescape = False`
# (jinja2.Environment(autoescape=False) itself is bandit's B701, which blocks already), and
# `Markup(x)`/`markupsafe.Markup(x)`/`flask.Markup(x)`/Django's `mark_safe(x)`/`SafeString(x)`
# of a value that is not a literal and not escaped (bandit's B703/B704 report these at medium,
# so they never block). aiohttp_jinja2.setup() without autoescape escapes since aiohttp-jinja2
# 1.5, so only an explicit False is reported. In templates (*.jinja, *.jinja2, *.j2, HTML
# under a templates/ folder): `{{ value|safe }}` of a variable and `{% autoescape false %}`.

from __future__ import annotations

import ast
import re

from secure_gate.model import Confidence
from secure_gate.scanners.practices import flow
from secure_gate.scanners.practices.pysource import Module, source_of, walk_scope
from secure_gate.scanners.practices.rules import TEMPLATE_UNESCAPED, Hit

MARKERS = frozenset({"Markup", "mark_safe", "SafeString", "SafeText"})
# Calls whose result is escaped (or built only from escaped parts).
ESCAPING = frozenset({"escape", "conditional_escape", "format_html", "format_html_join",
                      "render_to_string", "strip_tags", "clean", "linebreaks", "urlize",
                      "json_script", "escapejs", "Markup", "mark_safe"})
FIX = ("let the template engine escape: pass the value itself, or build the HTML with "
       "markupsafe.Markup('<b>{}</b>').format(value) / django.utils.html.format_html(); "
       "keep autoescape on (aiohttp_jinja2.setup(app, autoescape=True))")
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
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _escaped(node.left) and _escaped(node.right)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_escaped(e) for e in node.elts)
    return False


def _resolved_safe(module: Module, call: ast.Call, name: str) -> bool:
    """Every value ``name`` is given before ``call`` in its function is escaped."""
    values = [n.value for n in walk_scope(module.scope_of(call))
              if isinstance(n, ast.Assign) and n.lineno <= call.lineno
              and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
    return bool(values) and all(_escaped(v) for v in values)


def _marked(module: Module, call: ast.Call) -> Hit | None:
    if not call.args:
        return None
    value = call.args[0]
    if _escaped(value):
        return None
    if isinstance(value, ast.Name) and _resolved_safe(module, call, value.id):
        return None
    name = flow.callee_name(call)
    return module.hit(
        TEMPLATE_UNESCAPED, call,
        f"{name}() marks `{source_of(value)[:60]}` as safe HTML, so the template prints it "
        "unescaped: if any of it comes from a user it runs as script in other users' "
        "browsers (cross-site scripting).", f"{name}\n{source_of(value)}", fix=FIX)


def _autoescape_off(module: Module, node: ast.AST) -> Hit | None:
    if isinstance(node, ast.Call) and flow.callee_name(node) == "setup":
        func = node.func
        owner = func.value if isinstance(func, ast.Attribute) else None
        if not (isinstance(owner, ast.Name) and owner.id == "aiohttp_jinja2"):
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
    for node in (*module.nodes(ast.Call), *module.nodes(ast.Assign)):
        if (hit := _autoescape_off(module, node)) is not None:
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
            hits.append(Hit(
                TEMPLATE_UNESCAPED, number,
                f"`{expr[:60]}|safe` prints the value unescaped: if any of it comes from a "
                "user it runs as script in other users' browsers (cross-site scripting).",
                f"|safe\n{expr}", fix=FIX, column=match.start() + 1,
                confidence=Confidence.HIGH))
        if off := _AUTOESCAPE_OFF.search(line):
            hits.append(Hit(TEMPLATE_UNESCAPED, number,
                            "autoescape is switched off for this block: its values print "
                            "unescaped (cross-site scripting).", "autoescape off",
                            fix=FIX, column=off.start() + 1))
    return hits
