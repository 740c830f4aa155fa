"""Manifest discovery: names, includes followed inside the repository only, read errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from secure_gate import files
from secure_gate.manifests.discover import Inventory, inventory, manifest_kind
from secure_gate.manifests.model import FROM_ENVIRONMENT


@pytest.mark.parametrize(("path", "kind"), [
    ("requirements.txt", "requirements"), ("a/requirements/dev.in", "requirements"),
    ("pyproject.toml", "pyproject"), ("x/pylock.toml", "pylock"),
    ("pylock.dev.toml", "pylock"), ("poetry.lock", "poetry.lock"), ("uv.lock", "uv.lock"),
    ("svc/Pipfile.lock", "Pipfile.lock"), ("Pipfile", None), ("setup.py", None),
    ("pylock-toml", None), ("base.txt", None),
])
def test_manifest_kind(path: str, kind: str | None) -> None:
    assert manifest_kind(path) == kind


def scan(repo: Any, exclude: tuple[str, ...] = ()) -> Inventory:
    fileset = files.collect(repo.root, exclude=exclude)
    chosen = [f for f in fileset.files if manifest_kind(f.path)]
    return inventory(chosen, fileset.by_path(), fileset.root)


def test_includes_are_followed_once_and_cycles_end(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({
        "requirements.txt": "-r common/base.txt\n-c constraints.txt\ndjango==2.2.0\n",
        "common/base.txt": "-r ../requirements.txt\nrequests==2.19.0\n",
        "constraints.txt": "urllib3==1.24.1\n",
        "svc/requirements-dev.txt": "-r ../common/base.txt\n",
    })
    found = scan(repo)
    assert found.errors == []
    assert found.manifests == ["requirements.txt", "svc/requirements-dev.txt",
                               "common/base.txt", "constraints.txt"]
    pins = sorted((d.path, d.line, d.name, d.version) for d in found.dependencies)
    assert pins == [("common/base.txt", 2, "requests", "2.19.0"),
                    ("constraints.txt", 1, "urllib3", "1.24.1"),
                    ("requirements.txt", 3, "django", "2.2.0")]


def test_includes_outside_missing_or_excluded(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({
        "requirements.txt": ("-r ../outside.txt\n-r https://example.invalid/r.txt\n"
                             "-r missing.txt\n-r vendor/skip.txt\n-r link.txt\n"),
        "vendor/skip.txt": "django==2.2.0\n",
    }, commit=False)
    os.symlink("/etc/passwd", repo.root / "link.txt")
    repo.commit()
    found = scan(repo, exclude=("vendor/",))
    assert found.manifests == ["requirements.txt"]
    assert found.dependencies == []
    assert found.errors == ["requirements.txt:3: -r missing.txt: missing.txt does not exist"]
    assert found.notes == [
        "requirements.txt:1: not followed: ../outside.txt is outside the repository",
        "requirements.txt:2: not followed: https://example.invalid/r.txt is outside the "
        "repository",
        "requirements.txt:4: not followed: vendor/skip.txt is excluded from this scan or not "
        "a regular file",
        "requirements.txt:5: not followed: link.txt is excluded from this scan or not a "
        "regular file",
    ]


def test_unreadable_and_invalid_manifests_are_errors(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({
        "requirements.txt": b"django==2.2.0\n\xff\xfe\n",
        "a/requirements.txt": "\ufeffflask==2.0.1\nthis is not valid\n",
        "pyproject.toml": "[project\n",
    })
    found = scan(repo)
    assert [d.name for d in found.dependencies] == ["flask"]
    assert found.errors[0].startswith("a/requirements.txt:2: not a valid requirement: ")
    assert found.errors[1].startswith("pyproject.toml: not valid TOML")
    assert found.errors[2] == "requirements.txt is not UTF-8 text"


def test_environment_variables_are_notes_not_errors(make_repo: Callable[..., Any]) -> None:
    repo = make_repo({"requirements.txt": (
        "-r ${REQ_DIR}/base.txt\n-c https://${HOST}/c.txt\ndjango==${DJANGO_VERSION}\n"
        "${PKG}\np @ https://${HOST}/p-1.0.whl\nrequests==2.19.0\n")})
    found = scan(repo)
    assert found.errors == []
    assert found.notes == [
        "requirements.txt:1: not followed: ${REQ_DIR}/base.txt depends on environment "
        "variable(s) ${REQ_DIR}, which pip expands at install time (the gate never "
        "substitutes them)",
        "requirements.txt:2: not followed: https://${HOST}/c.txt is outside the repository"]
    assert [(d.line, d.name, d.version, d.not_audited) for d in found.dependencies] == [
        (3, "django", None, FROM_ENVIRONMENT), (4, None, None, FROM_ENVIRONMENT),
        (5, "p", None, "installed from a URL"), (6, "requests", "2.19.0", None)]
