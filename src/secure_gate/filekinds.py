"""What a file is (Dockerfile, workflow, manifest, ...) and which class of path holds it."""

# One classifier for the whole gate: the scanners select by `kind`, the pre-commit manifest's
# `files:` regexes are generated from the same patterns (`hook_regex`), and the policy judges
# each finding by its path's class (`Classifier`). Kinds are fixed by the tools that read the
# files (GitHub, Docker/Podman, pip, uv, poetry, pipenv); classes are conventions, so their
# patterns are defaults that the config's `paths:` key replaces class by class.

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from secure_gate.globs import compile_glob

DOCKERFILE = "dockerfile"
WORKFLOW = "workflow"
ACTION = "action"
DEPENDABOT = "dependabot"
REQUIREMENTS = "requirements"
PYPROJECT = "pyproject"
PYLOCK = "pylock"
POETRY_LOCK = "poetry.lock"
UV_LOCK = "uv.lock"
PIPFILE_LOCK = "Pipfile.lock"
PIPFILE = "Pipfile"
SETUP_PY = "setup.py"
SETUP_CFG = "setup.cfg"
TEMPLATE = "template"

_DIRS = r"(?:[^/]*/)*"  # any folders; `[^/]` also takes a newline, so no flags are needed
# Each kind as a regex over the whole repo-relative POSIX path; the first that matches wins.
KIND_PATTERNS: Mapping[str, str] = MappingProxyType({
    # GitHub runs only the workflows directly in the root's .github/workflows.
    WORKFLOW: r"\.github/workflows/[^/]+\.ya?ml",
    DEPENDABOT: r"\.github/dependabot\.ya?ml",
    ACTION: _DIRS + r"action\.ya?ml",
    # Docker's and Podman's names: Dockerfile[.x], x.Dockerfile, Containerfile[.x],
    # x.Containerfile, lowercase forms; not a build's .dockerignore, a module or a document.
    DOCKERFILE: _DIRS + r"(?![^/]*\.(?:dockerignore|py|pyi|md|rst)\Z)"
                        r"(?:(?:Dockerfile|Containerfile|dockerfile|containerfile)(?:\.[^/]+)?"
                        r"|[^/]+\.(?i:dockerfile|containerfile))",
    # pip's conventions: requirements*.txt|in anywhere, any .txt|.in in a requirements/ folder.
    REQUIREMENTS: r"(?i:" + _DIRS + r"(?:requirements[^/]*|requirements/[^/]*)\.(?:txt|in))",
    PYPROJECT: _DIRS + r"pyproject\.toml",
    PYLOCK: _DIRS + r"pylock(?:\.[^/]+)?\.toml",  # PEP 751: pylock.toml, pylock.<name>.toml
    POETRY_LOCK: _DIRS + r"poetry\.lock",
    UV_LOCK: _DIRS + r"uv\.lock",
    PIPFILE_LOCK: _DIRS + r"Pipfile\.lock",
    PIPFILE: _DIRS + r"Pipfile",
    SETUP_PY: _DIRS + r"setup\.py",
    SETUP_CFG: _DIRS + r"setup\.cfg",
    # Jinja2 and Django HTML templates: Jinja's own suffixes, or HTML in a templates/ folder.
    TEMPLATE: r"(?:" + _DIRS + r"[^/]+\.(?:jinja2?|j2)|" + _DIRS + r"templates/" + _DIRS
              + r"[^/]+\.html?)",
})
_KINDS = tuple((kind, re.compile(pattern)) for kind, pattern in KIND_PATTERNS.items())

# What pip-audit reads as a manifest, what counts as a lock, what declares a project.
MANIFESTS = frozenset({REQUIREMENTS, PYPROJECT, PYLOCK, POETRY_LOCK, UV_LOCK, PIPFILE_LOCK})
LOCKS = frozenset({PYLOCK, POETRY_LOCK, UV_LOCK, PIPFILE_LOCK})
PROJECT_FILES = (PYPROJECT, PIPFILE, SETUP_CFG, SETUP_PY)  # in the order a report names them


def kind(path: str) -> str | None:
    """The kind of file at repo-relative ``path`` by its name alone (None: none of ours)."""
    for name, pattern in _KINDS:
        if pattern.fullmatch(path):
            return name
    return None


def is_python(path: str) -> bool:
    """A Python source file by its name (``.py``, ``.pyw``)."""
    return path.endswith((".py", ".pyw"))


def hook_regex(kinds: Iterable[str]) -> str:
    """A pre-commit ``files:`` regex (searched, as pre-commit does) for exactly these kinds."""
    wanted = set(kinds)
    alternatives = [KIND_PATTERNS[k] for k in KIND_PATTERNS if k in wanted]
    if len(alternatives) != len(wanted):
        raise ValueError(f"unknown kind(s): {', '.join(sorted(wanted - set(KIND_PATTERNS)))}")
    return "^(?:" + "|".join(alternatives) + r")\Z"


PRODUCT = "product"
TESTS = "tests"
DOCS = "docs"
EXAMPLES = "examples"
FIXTURES = "fixtures"
VENDORED = "vendored"
GENERATED = "generated"
# Checked in this order, the first class whose patterns match wins (a vendored project's
# tests are vendored; a test's data files are fixtures). `product` is every other path.
CLASS_ORDER = (VENDORED, GENERATED, FIXTURES, TESTS, EXAMPLES, DOCS)
CLASSES = (PRODUCT, *CLASS_ORDER)
# The documented defaults (README "Path classes"), as exclude-style globs: a pattern without
# `/` matches a name at any depth, one with `/` is anchored at the root, `dir/` is a folder.
DEFAULT_PATHS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    PRODUCT: (),
    VENDORED: ("vendor/", "vendored/", "_vendor/", "third_party/", "third-party/",
               "thirdparty/", "node_modules/"),
    GENERATED: ("*.min.js", "*.min.mjs", "*.min.css", "*-min.js", "*.bundle.js", "*_pb2.py",
                "*_pb2.pyi", "*_pb2_grpc.py"),
    FIXTURES: ("fixtures/", "__fixtures__/", "testdata/", "test_data/", "test-data/",
               "**/test/data/", "**/tests/data/", "**/test/assets/", "**/tests/assets/",
               "**/test/resources/", "**/tests/resources/"),
    TESTS: ("test/", "tests/", "testing/", "__tests__/", "test_*/", "test_*.py", "*_test.py",
            "tests.py", "conftest.py"),
    EXAMPLES: ("examples/", "example/", "samples/", "demo/", "demos/", "docs_src/"),
    DOCS: ("docs/", "doc/", "*.md", "*.rst"),
})


class Classifier:
    """The class of each path: ``paths`` (from the config) replaces a class's defaults, and
    a path matched by ``paths['product']`` is product code whatever else it matches."""

    __slots__ = ("_cache", "_order", "patterns")

    def __init__(self, paths: Mapping[str, Iterable[str]] | None = None) -> None:
        given = dict(paths or {})
        unknown = sorted(set(given) - set(CLASSES))
        if unknown:
            raise ValueError(f"unknown path class(es): {', '.join(unknown)}")
        chosen = {c: tuple(given.get(c, DEFAULT_PATHS[c])) for c in CLASSES}
        self.patterns: Mapping[str, tuple[str, ...]] = MappingProxyType(chosen)
        self._order = [(c, [compile_glob(p) for p in chosen[c]]) for c in (PRODUCT, *CLASS_ORDER)]
        self._cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        """The class of repo-relative ``path`` (``product`` when no pattern matches)."""
        found = self._cache.get(path)
        if found is None:
            found = next((c for c, globs in self._order
                          if any(g.fullmatch(path) for g in globs)), PRODUCT)
            if len(self._cache) < 100_000:
                self._cache[path] = found
        return found


DEFAULT = Classifier()
