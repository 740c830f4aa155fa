"""debug-in-settings: DEBUG = True in a deployable Django settings module."""

from __future__ import annotations

import pytest

from secure_gate.scanners.practices import settings_rule
from tests.scanners.practices.helpers import lines, python_hits

ON = "DEBUG = True\n"

POSITIVE = [
    ("settings.py", "mysite/settings.py", ON, [1]),
    ("settings package base", "mysite/settings/base.py", "import os\n" + ON, [2]),
    ("settings package production", "mysite/settings/production.py", ON, [1]),
    ("package __init__", "mysite/settings/__init__.py", ON, [1]),
    ("any module with INSTALLED_APPS", "mysite/config.py",
     "INSTALLED_APPS = ['app']\n" + ON, [2]),
    ("ROOT_URLCONF marks it", "conf/web.py", ON + "ROOT_URLCONF = 'urls'\n", [1]),
    ("annotated", "mysite/settings.py", "DEBUG: bool = True\n", [1]),
    ("chained assignment", "mysite/settings.py", "DEBUG = TEMPLATE_DEBUG = True\n", [1]),
    ("staging is deployed", "mysite/settings_staging.py", ON + "INSTALLED_APPS = []\n", [1]),
    ("later assignment wins, both reported", "mysite/settings.py", ON + "X = 1\n" + ON, [1, 3]),
]

NEGATIVE = [
    ("off", "mysite/settings.py", "DEBUG = False\n"),
    ("from the environment", "mysite/settings.py",
     "import os\nDEBUG = os.environ.get('DJANGO_DEBUG') == '1'\n"),
    ("local settings", "mysite/settings_local.py", ON),
    ("dev module in a settings package", "mysite/settings/dev.py", ON),
    ("development", "mysite/settings/development.py", ON),
    ("test settings", "mysite/test_settings.py", ON + "INSTALLED_APPS = []\n"),
    ("ci", "mysite/settings/ci.py", ON),
    ("under tests/", "tests/settings.py", ON),
    ("test project folder", "test_project/settings.py", ON),
    ("not a settings module", "app/views.py", ON),
    ("truthy but not True", "mysite/settings.py", "DEBUG = 1\n"),
    ("inside a condition", "mysite/settings.py", "if LOCAL:\n    DEBUG = True\n"),
    ("inside a function", "mysite/settings.py", "def enable():\n    DEBUG = True\n"),
    ("other name", "mysite/settings.py", "TEMPLATE_DEBUG = True\n"),
    ("nosec", "mysite/settings.py", "DEBUG = True  # nosec: debug-in-settings\n"),
]


@pytest.mark.parametrize(("case", "path", "source", "expected"), POSITIVE,
                         ids=[c[0] for c in POSITIVE])
def test_reported(case: str, path: str, source: str, expected: list[int]) -> None:
    hits = python_hits(settings_rule.check, source, path)
    assert lines(hits) == expected
    assert {h.rule for h in hits} == {"debug-in-settings"}


@pytest.mark.parametrize(("case", "path", "source"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, path: str, source: str) -> None:
    assert python_hits(settings_rule.check, source, path) == []


def test_the_hit_is_on_the_name() -> None:
    (hit,) = python_hits(settings_rule.check, "X = 1\nDEBUG = True\n", "s/settings.py")
    assert (hit.line, hit.column, hit.end_column) == (2, 1, 5)
