"""debug-in-settings: ``DEBUG = True`` at module level of a deployable Django settings module."""

# A settings module is a file named ``settings.py``, any module in a ``settings/`` package, or
# any module that assigns ``INSTALLED_APPS`` or ``ROOT_URLCONF`` at module level. It is for
# local use (and not reported) when a word of its file name or of a folder on its path is one of
# :data:`LOCAL_WORDS` (``settings_local.py``, ``settings/dev.py``, ``tests/settings.py``,
# ``test_project/settings.py``), split at ``_``, ``-`` and ``.``.

from __future__ import annotations

import ast
import re

from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import Module
from secure_gate.scanners.practices.rules import DEBUG_IN_SETTINGS, Hit

LOCAL_WORDS = frozenset({
    "local", "dev", "devel", "develop", "development", "test", "tests", "testing", "ci",
    "debug", "example", "examples", "sample", "samples", "demo", "e2e", "testproject",
    "testapp", "unittest", "unittests",
})
SETTINGS_MARKERS = frozenset({"INSTALLED_APPS", "ROOT_URLCONF"})
FIX = ("DEBUG = os.environ.get('DJANGO_DEBUG') == '1'  # off unless explicitly turned on, "
       "and keep local overrides in a settings file for development")


def _assigned(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def is_local(path: str) -> bool:
    """True when the file or a folder on its path is named for local, dev or test use."""
    parts = path.lower().split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    return any(word in LOCAL_WORDS for part in [*parts[:-1], stem]
               for word in re.split(r"[._\-]+", part))


def is_settings(path: str, module: ast.Module) -> bool:
    """A Django settings module by its name, its package, or what it defines."""
    parts = path.split("/")
    if parts[-1] == "settings.py" or "settings" in parts[:-1]:
        return True
    return any(name in SETTINGS_MARKERS for s in module.body for name in _assigned(s))


def check(module: Module) -> list[Hit]:
    """A hit on each module-level ``DEBUG = True`` of a deployable settings module."""
    if is_local(module.path) or not is_settings(module.path, module.tree):
        return []
    hits: list[Hit] = []
    for statement in module.tree.body:
        value = getattr(statement, "value", None)
        if "DEBUG" not in _assigned(statement) or not (
                isinstance(value, ast.Constant) and value.value is True):
            continue
        target = next(t for t in (getattr(statement, "targets", None)
                                  or [getattr(statement, "target", None)])
                      if isinstance(t, ast.Name) and t.id == "DEBUG")
        hits.append(module.hit(
            DEBUG_IN_SETTINGS, target,
            "DEBUG = True in a settings module that is not named for local or test use: "
            "with DEBUG on, error pages show settings, source code, SQL queries and the "
            "request to anyone. Read DEBUG from the environment, off by default.",
            "DEBUG = True", fix=FIX, confidence=Confidence.HIGH))
    return hits
