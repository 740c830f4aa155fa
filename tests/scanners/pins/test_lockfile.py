"""missing-lockfile: only application-shaped projects, and any kind of lock file will do."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from secure_gate import files
from secure_gate.model import Severity
from secure_gate.scanners.base import ScanJob
from secure_gate.scanners.pins import PinsScanner
from tests.scanners.pins.helpers import HASH, places, scan, write

LOCK = "missing-lockfile"
APP = '[project]\nname = "app"\nversion = "1"\ndependencies = [\n  "flask>=3",\n]\n'
LIB = APP + '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
POETRY_APP = ('[tool.poetry]\nname = "app"\npackage-mode = false\n\n'
              '[tool.poetry.dependencies]\npython = "^3.12"\nflask = "^3"\n')
POETRY_LIB = ('[tool.poetry]\nname = "lib"\n\n[tool.poetry.dependencies]\npython = "^3.12"\n'
              'flask = "^3"\n[build-system]\nrequires = ["poetry-core"]\n')
UV_APP = LIB + "[tool.uv]\npackage = false\n"
PIPFILE = '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nflask = "*"\n'
SETUP_PY = ("from setuptools import setup\nsetup(\n    name='app',\n"
            "    install_requires=['flask'],\n)\n")
SETUP_CFG = "[metadata]\nname = app\n\n[options]\ninstall_requires =\n    flask\n"
P = "pyproject.toml"

# (case, files, expected (path, rule, line)).
CASES = [
    ("app without build-system", {P: APP}, [(P, LOCK, 4)]),
    ("uv.lock", {P: APP, "uv.lock": "version = 1\n"}, []),
    ("poetry.lock", {P: APP, "poetry.lock": ""}, []),
    ("pdm.lock", {P: APP, "pdm.lock": ""}, []),
    ("pylock.toml", {P: APP, "pylock.toml": ""}, []),
    ("named pylock", {P: APP, "pylock.prod.toml": ""}, []),
    ("pinned requirements", {P: APP, "requirements.txt": f"flask==3.0.3 {HASH}\n"}, []),
    ("pinned without hashes still locks", {P: APP, "requirements.txt": "flask==3.0.3\n"},
     [("requirements.txt", "unhashed-requirement", 1)]),
    ("loose requirements is no lock", {P: APP, "requirements.txt": "flask>=3\n"},
     [(P, LOCK, 4), ("requirements.txt", "unpinned-requirement", 1)]),
    ("requirements folder", {P: APP, "requirements/prod.txt": f"flask==3.0.3 {HASH}\n"}, []),
    ("workspace lock above", {"uv.lock": "", "services/api/pyproject.toml": APP}, []),
    ("lock in a sibling folder does not count",
     {"a/uv.lock": "", "b/pyproject.toml": APP}, [("b/pyproject.toml", LOCK, 4)]),
    ("library with ranges", {P: LIB}, []),
    ("library with a Dockerfile is deployed",
     {P: LIB, "Dockerfile": f"FROM python@sha256:{'a' * 64}\n"}, [(P, LOCK, 4)]),
    ("library with manage.py", {P: LIB, "manage.py": ""}, [(P, LOCK, 4)]),
    ("uv package = false", {P: UV_APP}, [(P, LOCK, 4)]),
    ("poetry package-mode = false", {P: POETRY_APP}, [(P, LOCK, 5)]),
    ("poetry library", {P: POETRY_LIB}, []),
    ("poetry with only python", {P: '[tool.poetry.dependencies]\npython = "^3.12"\n'}, []),
    ("no dependencies", {P: '[project]\nname = "x"\nversion = "1"\n'}, []),
    ("empty dependencies", {P: '[project]\nname = "x"\ndependencies = []\n'}, []),
    ("tool config only", {P: "[tool.ruff]\nline-length = 100\n"}, []),
    ("Pipfile", {"Pipfile": PIPFILE}, [("Pipfile", LOCK, 4)]),
    ("Pipfile.lock", {"Pipfile": PIPFILE, "Pipfile.lock": "{}"}, []),
    ("Pipfile without packages", {"Pipfile": '[dev-packages]\npytest = "*"\n'}, []),
    ("setup.py library", {"setup.py": SETUP_PY}, []),
    ("setup.py deployed", {"setup.py": SETUP_PY, "Procfile": "web: gunicorn app\n"},
     [("setup.py", LOCK, 4)]),
    ("setup.cfg deployed", {"setup.cfg": SETUP_CFG, "compose.yaml": "services: {}\n"},
     [("setup.cfg", LOCK, 5)]),
    ("one finding per folder", {P: APP, "setup.py": SETUP_PY}, [(P, LOCK, 4)]),
]


@pytest.mark.parametrize(("tree", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_missing_lockfile(tmp_path: Path, tree: dict[str, str],
                          expected: list[tuple[str, str, int]]) -> None:
    outcome = scan(tmp_path, tree)
    assert outcome.errors == []
    assert places(outcome) == sorted(expected)


def test_message_says_why_it_is_an_application_and_what_to_commit(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {P: LIB, "Dockerfile": f"FROM python@sha256:{'a' * 64}\n"})
    (finding,) = outcome.findings
    assert finding.severity is Severity.INFO
    assert "`Dockerfile` next to it" in finding.message
    assert "uv lock" in finding.message and "pip-compile --generate-hashes" in finding.message


@pytest.mark.parametrize("name", [P, "Pipfile", "setup.cfg"])
def test_unreadable_project_file_is_a_note_not_a_failure(tmp_path: Path, name: str) -> None:
    outcome = scan(tmp_path, {name: "[project\nname = = =\n"})
    assert outcome.errors == [] and outcome.findings == []
    assert any(n.startswith(f"{name} is not") for n in outcome.notes), outcome.notes


def test_partial_copy_skips_the_check(tmp_path: Path) -> None:
    """A copy holding only staged files cannot show that a lock file is absent."""
    write(tmp_path, {P: APP})
    fileset = files.collect(tmp_path, listing=[P])
    job = ScanJob(root=fileset.root, files=fileset.files, fileset=fileset,
                  options={"require-hashes": False}, jobs=1, deadline=time.monotonic() + 60)
    outcome = PinsScanner().scan(job)
    assert outcome.findings == []
    assert any("missing-lockfile not checked" in n for n in outcome.notes)
