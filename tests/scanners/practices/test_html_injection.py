"""html-string-built and template-injection: table-driven, the near misses beside them."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.practices import html_rule
from tests.scanners.practices.helpers import python_hits

HTML = [
    ("f-string of a form field", "def f(request):\n"
     "    return HttpResponse(f\"<p>Hello {request.GET['name']}</p>\")\n", [2]),
    ("percent through a variable", "def f(request):\n    q = request.args.get('q')\n"
     "    return '<h1>Results for %s</h1>' % q\n", [3]),
    ("format", "def f(req):\n    return '<td>{}</td>'.format(req.query['x'])\n", [2]),
    ("plus, two steps away", "def f(request):\n    raw = request.POST\n    who = raw['who']\n"
     "    return '<b>' + who + '</b>'\n", [4]),
    ("tuple unpacking", "def f(request):\n    a, b = request.GET['a'], 1\n"
     "    return '<i>%s %s</i>' % (a, b)\n", [3]),
    ("augmented", "def f(request):\n    html = '<ul>'\n    html += '<li>%s</li>' % request.path\n"
     "    return html\n", [3]),
    ("BaseHTTPRequestHandler (DSVW)",
     "import http.server\nclass H(http.server.BaseHTTPRequestHandler):\n"
     "    def do_GET(self):\n        path, query = self.path.split('?', 1)\n"
     "        params = dict(p.split('=') for p in query.split('&'))\n"
     "        self.wfile.write(('<meta http-equiv=\"refresh\" content=\"0; url=%s\"/>'"
     " % params['redir']).encode())\n", [6]),
    ("doctype page", "def f(request):\n    return f'<!DOCTYPE html><h1>{request.url}</h1>'\n", [2]),
    ("one hit per line", "def f(request):\n    x = request.GET['x']\n"
     "    return '<p>%s</p>' % x + f'<b>{x}</b>'\n", [3]),
    ("re.sub into markup (DSVW's reflected XSS)", "import re\ndef f(request):\n"
     "    v = request.args['v']\n"
     "    return re.sub(r'(v<b>)[^<]+(</b>)', r'\\g<1>%s\\g<2>' % v, PAGE)\n", [4]),
    ("re.sub with the request value itself", "import re\ndef f(request):\n"
     "    return re.sub('<span>X</span>', request.GET['x'], PAGE)\n", [3]),
]

HTML_NEAR_MISSES = [
    ("escaped", "import html\ndef f(request):\n"
     "    return '<p>%s</p>' % html.escape(request.GET['q'])\n"),
    ("format_html", "def f(request):\n    return format_html('<p>{}</p>', request.GET['q'])\n"),
    ("Markup escapes on %", "def f(request):\n    return Markup('<p>%s</p>') % request.GET['q']\n"),
    ("a number", "def f(request):\n    return '<p>%d</p>' % int(request.GET['n'])\n"),
    ("an allow-list filter", "import re\ndef f(request):\n"
     "    return '<b>%s</b>' % re.sub(r'[^\\w]', '', request.GET['u'])\n"),
    ("a parameter, not the request", "def f(name):\n    return '<p>%s</p>' % name\n"),
    ("the database, not the request", "def f(cursor):\n"
     "    return ''.join('<td>%s</td>' % v for v in cursor.fetchall())\n"),
    ("not HTML: a repr", "def f(request):\n    return f'<Request [{request.method}]>'\n"),
    ("not HTML: a comparison in text", "def f(request):\n"
     "    return 'a < b and c > d %s' % request.path if False else f'x<y {request.path}'\n"),
    ("self.path outside a handler", "class C:\n    def f(self):\n"
     "        return '<p>%s</p>' % self.path\n"),
    ("a request-named variable of another function", "def a(request):\n    x = request.GET\n"
     "def b(x):\n    return '<p>%s</p>' % x\n"),
    ("nosec", "def f(request):\n    return '<p>%s</p>' % request.path  # nosec\n"),
    ("re.sub of text, not markup", "import re\ndef f(request):\n"
     "    return re.sub(r'\\s+', request.GET['sep'], TEXT)\n"),
    ("re.sub into markup with an escaped value", "import html, re\ndef f(request):\n"
     "    return re.sub('<b>X</b>', html.escape(request.GET['x']), PAGE)\n"),
    ("re.sub into markup with a constant", "import re\ndef f(request):\n"
     "    return re.sub('<b>X</b>', '<b>Y</b>', PAGE)\n"),
]

TEMPLATES = [
    ("Flask, %-formatted with the URL (Vulnerable-Flask-App)",
     "from flask import render_template_string, request\ndef pnf(e):\n"
     "    template = '''<html><h3>%s</h3></html>''' % request.url\n"
     "    return render_template_string(template), 404\n", [4]),
    ("the request is the template", "def f(request):\n"
     "    return render_template_string(request.args['t'])\n", [2]),
    ("jinja2.Template of an f-string", "import jinja2\ndef f(name):\n"
     "    return jinja2.Template(f'<p>Hi {name}</p>').render()\n", [3]),
    ("from jinja2 import Template", "from jinja2 import Template\ndef f(x):\n"
     "    return Template('<b>{{ a }}</b>' + x).render(a=1)\n", [3]),
    ("Environment.from_string", "def f(env, x):\n"
     "    return env.from_string('{%% if %s %%}yes{%% endif %%}' % x).render()\n", [2]),
    ("Django Template", "from django.template import Template\ndef f(request):\n"
     "    return Template('<h1>%s</h1>' % request.GET['t'])\n", [3]),
]

TEMPLATE_NEAR_MISSES = [
    ("values in the context", "def f(request):\n"
     "    return render_template_string('<p>{{ n }}</p>', n=request.args['n'])\n"),
    ("a template from a file", "def f(path):\n"
     "    return render_template_string(open(path).read())\n"),
    ("a plain variable", "from jinja2 import Template\ndef f(source):\n"
     "    return Template(source).render()\n"),
    ("built from constants", "BASE = '<html>%s</html>'\nTITLE = '<h1>Shop</h1>'\ndef f():\n"
     "    return render_template_string(BASE % TITLE)\n"),
    ("string.Template is not a template engine", "from string import Template\ndef f(x):\n"
     "    return Template('<p>$a</p>' + x).substitute(a=1)\n"),
    ("another class's from_string", "def f(major, minor):\n"
     "    return Version.from_string(f'{major}.{minor}')\n"),
    ("built text that is no template", "def f(env, name):\n"
     "    return env.from_string(name + '.html')\n"),
]


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in HTML],
                         ids=[i for i, _, _ in HTML])
def test_html_string_built(source: str, expected: list[int]) -> None:
    hits = python_hits(html_rule.check, source)
    assert [h.line for h in hits] == expected
    assert {(h.rule, h.confidence) for h in hits} == {("html-string-built", Confidence.HIGH)}


@pytest.mark.parametrize("source", [s for _, s in HTML_NEAR_MISSES],
                         ids=[i for i, _ in HTML_NEAR_MISSES])
def test_html_near_misses(source: str) -> None:
    assert python_hits(html_rule.check, source) == []


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in TEMPLATES],
                         ids=[i for i, _, _ in TEMPLATES])
def test_template_injection(source: str, expected: list[int]) -> None:
    hits = python_hits(html_rule.check, source)
    # The template's source is reported once, as template injection, not also as HTML.
    assert [(h.rule, h.line) for h in hits] == [("template-injection", n) for n in expected]


@pytest.mark.parametrize("source", [s for _, s in TEMPLATE_NEAR_MISSES],
                         ids=[i for i, _ in TEMPLATE_NEAR_MISSES])
def test_template_near_misses(source: str) -> None:
    assert python_hits(html_rule.check, source) == []


def test_messages_show_code_not_values_and_stay_short() -> None:
    long_name = "x" * 5000
    (hit,) = python_hits(html_rule.check, f"def f(request):\n    {long_name} = request.GET\n"
                                          f"    return '<p>%s</p>' % {long_name}\n")
    assert len(hit.message) < 300 and hit.fix


def test_hostile_source_costs_what_its_size_does() -> None:
    # 2,000 chained assignments: the taint reaches the end, once per function, no recursion.
    chain = "".join(f"    v{i + 1} = v{i}\n" for i in range(2000))
    source = f"def f(request):\n    v0 = request.GET\n{chain}    return '<p>%s</p>' % v2000\n"
    (hit,) = python_hits(html_rule.check, source)
    assert hit.line == 2003
    # A long concatenation of HTML pieces: reported once, on its line.
    parts = " + ".join(["'<td>'", "request.path", "'</td>'"] * 300)
    hits = python_hits(html_rule.check, f"def f(request):\n    return {parts}\n")
    assert [h.line for h in hits] == [2]
