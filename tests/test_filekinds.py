"""One file classifier: kinds by name, path classes by pattern, and the hook regexes agree."""

from __future__ import annotations

import re

import pytest
import yaml

from secure_gate import filekinds
from secure_gate.config import validate
from secure_gate.errors import ConfigError
from secure_gate.filekinds import Classifier
from secure_gate.scanners import pins, practices
from tests.conftest import PROJECT

KINDS = [
    ("Dockerfile", "dockerfile"), ("Dockerfile.prod", "dockerfile"),
    ("Containerfile", "dockerfile"), ("Containerfile.prod", "dockerfile"),
    ("app.Containerfile", "dockerfile"), ("x.dockerfile", "dockerfile"),
    ("api.Dockerfile", "dockerfile"), ("docker/Dockerfile.prod", "dockerfile"),
    ("dockerfile", "dockerfile"), ("Dockerfile.odd\nname", "dockerfile"),
    ("Dockerfile.dockerignore", None), ("Dockerfile-guide.md", None), ("Dockerfile.md", None),
    ("src/pins/dockerfile.py", None), ("Dockerfile.py", None), ("dockerfiles/x", None),
    (".github/workflows/ci.yml", "workflow"), (".github/workflows/release.yaml", "workflow"),
    ("sub/.github/workflows/ci.yml", None), (".github/workflows/nested/ci.yml", None),
    (".github/workflows/ci.yml\n", None), (".github/workflows/notes.md", None),
    (".github/dependabot.yml", "dependabot"), (".github/dependabot.yaml", "dependabot"),
    ("action.yml", "action"), ("actions/build/action.yaml", "action"),
    ("my-action.yml", None),
    ("requirements.txt", "requirements"), ("requirements-dev.txt", "requirements"),
    ("a/b/requirements.in", "requirements"), ("requirements/base.txt", "requirements"),
    ("svc/requirements/test.in", "requirements"), ("Requirements.txt", "requirements"),
    ("requirements.cfg", None), ("constraints.txt", None), ("dev-requirements.txt", None),
    ("requirements/notes.md", None), ("requirements/sub/x.txt", None),
    ("pyproject.toml", "pyproject"), ("x/pylock.toml", "pylock"),
    ("pylock.dev.toml", "pylock"), ("test/assets/pylock.invalid.toml", "pylock"),
    ("pylock-toml", None), ("poetry.lock", "poetry.lock"), ("uv.lock", "uv.lock"),
    ("svc/Pipfile.lock", "Pipfile.lock"), ("Pipfile", "Pipfile"), ("svc/setup.py", "setup.py"),
    ("setup.cfg", "setup.cfg"), ("app.py", None), ("README.md", None),
]


@pytest.mark.parametrize(("path", "kind"), KINDS, ids=[repr(p) for p, _ in KINDS])
def test_kinds(path: str, kind: str | None) -> None:
    assert filekinds.kind(path) == kind


def _committed_hooks() -> dict[str, dict[str, object]]:
    text = (PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    return {hook["id"]: hook for hook in yaml.safe_load(text)}


@pytest.mark.parametrize(("hook_id", "reads"), [
    ("secure-gate-pins", lambda p: pins.file_kind(p) is not None),
    ("secure-gate-pip-audit",
     lambda p: filekinds.kind(p) in (*filekinds.MANIFESTS, filekinds.PIPFILE)),
])
def test_hook_regexes_agree_with_the_classifier(hook_id: str, reads: object) -> None:
    # As check-jsonschema tests its hook file patterns: pre-commit searches `files:` with
    # Python's re on the repo-relative path; the hook sees exactly what the scanner reads.
    pattern = str(_committed_hooks()[hook_id]["files"])
    assert callable(reads)
    for path, _ in KINDS:
        assert bool(re.search(pattern, path)) is reads(path), path


def test_hook_regex_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        filekinds.hook_regex(["dockerfile", "makefile"])


CLASSES = [
    ("src/app/views.py", "product"), ("app.py", "product"), ("latest/app.py", "product"),
    ("contest.py", "product"), ("attestation/Dockerfile", "product"),
    ("tests/test_app.py", "tests"), ("app/tests/views.py", "tests"), ("test_app.py", "tests"),
    ("app/views_test.py", "tests"), ("conftest.py", "tests"), ("testing/Dockerfile", "tests"),
    ("test_project/settings.py", "tests"), ("src/__tests__/x.js", "tests"),
    ("tests/fixtures/.env", "fixtures"), ("test/assets/pylock.invalid.toml", "fixtures"),
    ("tests/data/requirements.txt", "fixtures"), ("pkg/testdata/x.json", "fixtures"),
    ("docs/conf.py", "docs"), ("README.md", "docs"), ("doc/index.rst", "docs"),
    ("docs/testing.md", "docs"), ("examples/app/db.py", "examples"),
    ("docs_src/tutorial/main.py", "examples"), ("docs/examples/x.py", "examples"),
    ("vendor/lib/Dockerfile", "vendored"), ("src/_vendor/pkg/tests/test_x.py", "vendored"),
    ("node_modules/x/index.js", "vendored"), ("vendors/Dockerfile", "product"),
    ("static/app.min.js", "generated"), ("api/service_pb2.py", "generated"),
]


@pytest.mark.parametrize(("path", "expected"), CLASSES, ids=[p for p, _ in CLASSES])
def test_default_classes(path: str, expected: str) -> None:
    assert filekinds.DEFAULT(path) == expected


def test_configured_patterns_replace_a_class_and_product_wins() -> None:
    classes = Classifier({"tests": ["qa/"], "product": ["examples/shop/"]})
    assert classes("qa/check.py") == "tests"
    assert classes("tests/test_app.py") == "product"  # the defaults of `tests` are replaced
    assert classes("examples/shop/db.py") == "product"
    assert classes("examples/other/db.py") == "examples"
    assert classes("docs/x.md") == "docs"


def test_config_paths_are_validated() -> None:
    config = validate({"paths": {"tests": ["qa/", "*_spec.py"]}}, "cfg.yml")
    assert config.paths == {"tests": ("qa/", "*_spec.py")}
    for bad, where in [({"paths": {"test": ["x/"]}}, "paths.test"),
                       ({"paths": {"tests": "qa/"}}, "paths.tests"),
                       ({"paths": {"docs": ["//abs"]}}, "paths.docs"),
                       ({"paths": ["tests"]}, "paths")]:
        with pytest.raises(ConfigError) as caught:
            validate(bad, "cfg.yml")
        assert where in str(caught.value), bad


def test_hostile_paths_are_classified_without_error() -> None:
    for path in ["a\nb/tests/x.py", "\udcff/Dockerfile", "tests/../../etc/passwd", "x" * 5000]:
        assert filekinds.DEFAULT(path) in filekinds.CLASSES
        filekinds.kind(path)
    assert filekinds.DEFAULT("a\nb/tests/x.py") == "tests"
    assert filekinds.kind("\udcff/Dockerfile") == "dockerfile"


def test_practices_and_pins_read_kinds_from_the_classifier() -> None:
    assert practices.file_kind("app.Containerfile") == "dockerfile"
    assert pins.file_kind("Containerfile.prod") == "dockerfile"
    assert practices.is_test_path("tests/fixtures/.env")
