"""sql-string-built and template-unescaped: table-driven, with the near misses beside them."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.practices import sql_rule, templates_rule
from tests.scanners.practices.helpers import python_hits

SQL = [
    ("f-string", 'def f(c, name):\n    c.execute(f"SELECT * FROM t WHERE n = \'{name}\'")\n',
     [(2, "high")]),
    ("percent via variable",
     'def f(conn, name):\n    query = "SELECT * FROM users WHERE name = \'%s\'" % name\n'
     '    return conn.execute(query).fetchall()\n', [(3, "high")]),
    ("format", 'def f(c, i):\n    c.executemany("DELETE FROM t WHERE id = {}".format(i), [])\n',
     [(2, "high")]),
    ("plus", 'def f(c, i):\n    c.execute("UPDATE t SET a = 1 WHERE id = " + i)\n', [(2, "high")]),
    ("plus-equals", 'def f(c, w):\n    q = "SELECT a FROM t"\n    q += " WHERE " + w\n'
     '    c.execute(q)\n', [(4, "high")]),
    ("django raw", 'def f(name):\n    return User.objects.raw(f"SELECT * FROM u WHERE n={name}")\n',
     [(2, "high")]),
    ("django extra", 'def f(qs, x):\n    return qs.extra(where=["name = \'%s\'" % x])\n',
     [(2, "high")]),
    ("RawSQL", 'def f(x):\n    return RawSQL("a = %s" % x, [])\n', [(2, "high")]),
    ("sqlalchemy text", 'def f(s, n):\n    s.execute(text(f"SELECT * FROM u WHERE n = \'{n}\'"))\n',
     [(2, "high")]),
    ("keyword argument", 'def f(c, n):\n    c.execute(sql=f"SELECT a FROM t WHERE n={n}")\n',
     [(2, "high")]),
    ("constant table name", 'def f(c):\n    c.execute(f"SELECT * FROM {TABLE} WHERE a = 1")\n',
     [(2, "low")]),
    ("Django table name", 'def f(c, Page):\n    table = Page._meta.db_table\n'
     '    c.execute(f"ALTER TABLE {table} ALTER COLUMN path TYPE text")\n', [(3, "low")]),
    ("quoted identifier",
     'def f(c, t):\n    c.execute("SELECT * FROM %s" % connection.ops.quote_name(t))\n',
     [(2, "low")]),
    ("placeholders", 'def f(c, ids):\n    marks = ", ".join(["?"] * len(ids))\n'
     '    c.execute(f"SELECT * FROM t WHERE id IN ({marks})", ids)\n', [(3, "low")]),
    ("placeholders inline", "def f(c, ids):\n"
     "    c.execute(f\"SELECT a FROM t WHERE id IN ({', '.join('?' * len(ids))})\", ids)\n",
     [(2, "low")]),
    ("variable from input", 'def f(c, r):\n    name = r.GET["n"]\n'
     '    c.execute(f"SELECT a FROM t WHERE n = {name}")\n', [(3, "high")]),
    # Near misses: parameterised, literal, concatenated literals, not SQL, unknown origin.
    ("parameterised", 'def f(c, n):\n    c.execute("SELECT * FROM t WHERE n = %s", (n,))\n', []),
    ("literal", 'def f(c):\n    c.execute("SELECT 1")\n', []),
    ("literal pieces", 'def f(c):\n    c.execute("SELECT a " + "FROM t")\n', []),
    ("literal f-string", 'def f(c):\n    c.execute(f"SELECT 1 FROM t")\n', []),
    ("text that is not SQL", 'def f(w, name):\n    w.text(f"Hello {name}")\n', []),
    ("raw that is not SQL", 'def f(r, n):\n    r.raw(f"value {n}")\n', []),
    ("a parameter", 'def f(c, query):\n    c.execute(query)\n', []),
    ("assigned a literal", 'def f(c):\n    q = "SELECT a FROM t"\n    c.execute(q)\n', []),
    ("assigned after the call", 'def f(c, n):\n    q = "SELECT 1"\n    c.execute(q)\n'
     '    q = f"SELECT {n} FROM t"\n', []),
    ("executor, not a database", 'def f(e, cmd):\n    e.execute(f"run {cmd}")\n', []),
]


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in SQL],
                         ids=[i for i, _, _ in SQL])
def test_sql_string_built(source: str, expected: list[tuple[int, str]]) -> None:
    hits = python_hits(sql_rule.check, source)
    assert sorted((h.line or 0, h.confidence.label) for h in hits) == expected


def test_sql_nosec_and_message() -> None:
    hits = python_hits(sql_rule.check, 'def f(c, n):\n    c.execute(f"SELECT {n} FROM t")\n')
    assert "`n` is spliced into the query text" in hits[0].message
    assert python_hits(sql_rule.check, 'def f(c, n):\n'
                       '    c.execute(f"SELECT {n} FROM t")  # nosec\n') == []


TEMPLATES_PY = [
    ("aiohttp autoescape off",
     "import aiohttp_jinja2\naiohttp_jinja2.setup(app, loader=l, autoescape=False)\n", [2]),
    ("aiohttp setup imported by another name",
     "from aiohttp_jinja2 import setup as setup_jinja\nsetup_jinja(app, autoescape=False)\n", [2]),
    ("aiohttp default", "import aiohttp_jinja2\naiohttp_jinja2.setup(app, loader=l)\n", []),
    ("aiohttp on", "import aiohttp_jinja2\naiohttp_jinja2.setup(app, autoescape=True)\n", []),
    ("other setup", "setup(app, autoescape=False)\n", []),
    ("jinja_env switched off", "app.jinja_env.autoescape = False\n", [1]),
    ("Markup of the request", "from markupsafe import Markup\ndef f(request):\n"
     "    return Markup(request.args.get('name'))\n", [3]),
    ("flask.Markup of an f-string of the request", "import flask\ndef f(request):\n"
     "    name = request.form['name']\n    return flask.Markup(f'<b>{name}</b>')\n", [4]),
    ("mark_safe of the request", "from django.utils.safestring import mark_safe\n"
     "def f(request):\n    return mark_safe(request.GET['bio'])\n", [3]),
    # Near misses: literals, escaped parts, variables of unknown origin (bandit B703/B704).
    ("mark_safe of a variable", "def f(c):\n    return mark_safe(c.bio)\n", []),
    ("Markup of a literal", "def f():\n    return Markup('<br>')\n", []),
    ("Markup of escaped parts", "def f(request):\n"
     "    return Markup(f'<b>{escape(request.args[\"x\"])}</b>')\n", []),
    ("mark_safe of format_html", "def f(request):\n"
     "    html = format_html('<b>{}</b>', request.GET['x'])\n    return mark_safe(html)\n", []),
    ("Markup.format", "def f(x):\n    return Markup('<b>{}</b>').format(x)\n", []),
    ("repeated literal", "def f(depth):\n    return mark_safe('&nbsp;' * 4 * depth)\n", []),
]


@pytest.mark.parametrize(("source", "expected"), [(s, e) for _, s, e in TEMPLATES_PY],
                         ids=[i for i, _, _ in TEMPLATES_PY])
def test_template_unescaped_in_python(source: str, expected: list[int]) -> None:
    hits = python_hits(templates_rule.check, source)
    assert sorted(h.line or 0 for h in hits) == expected
    assert all(h.confidence is Confidence.HIGH for h in hits)


@pytest.mark.parametrize(("text", "confidence"), [
    # A template cannot show where a value comes from: a lead, not a block...
    ("<p>{{ page.html|safe }}</p>", Confidence.LOW),
    ("{{ icons|safe }}", Confidence.LOW),
    ("{{ self.content|safe }}", Confidence.LOW),
    ("{{ message | safe }}", Confidence.LOW),  # a flash message: the application's own text
    ("{{ column.strip|safe|linebreaksbr }}", Confidence.LOW),
    ("{{ get_text(x)|safe }}", Confidence.LOW),  # a call: not judged by name
    ("{{ texts[0]|safe }}", Confidence.LOW),
    ("{{ context_text_html|safe }}", Confidence.LOW),
    # ...unless its name says a person wrote it (vulpy's posts, a comment's body, a bio).
    ("<p>{{ comment.body|safe }}</p>", Confidence.HIGH),
    ("{{ post.text | safe }}", Confidence.HIGH),
    ("{{ user_bio|safe }}", Confidence.HIGH),
    ("{{ review.text|striptags|safe }}", Confidence.HIGH),
    ("{{ searchQuery|safe }}", Confidence.HIGH),
])
def test_safe_in_a_template_by_the_value_name(text: str, confidence: Confidence) -> None:
    (hit,) = templates_rule.check_template(text)
    assert hit.confidence is confidence


def test_safe_in_a_template_off_is_high() -> None:
    (off,) = templates_rule.check_template("{% autoescape off %}{{ x }}{% endautoescape %}")
    assert off.confidence is Confidence.HIGH


@pytest.mark.parametrize(("text", "expected"), [
    ("<p>{{ comment.body|safe }}</p>", [1]),
    ("<p>{{ comment.body | safe }}</p>\n{{ x|e }}", [1]),
    ("{% autoescape false %}{{ x }}{% endautoescape %}", [1]),
    ("{% autoescape off %}\n{{ x }}\n{% endautoescape %}", [1]),
    ("{{ '<br>'|safe }}", []),
    ("{{ body|striptags }}", []),
    ("{{ safe_mode }}", []),
    ("{% autoescape true %}{{ x }}{% endautoescape %}", []),
    ("{{ a|safe }} and {{ b|safe }}", [1, 1]),
])
def test_template_unescaped_in_templates(text: str, expected: list[int]) -> None:
    assert [h.line for h in templates_rule.check_template(text)] == expected
