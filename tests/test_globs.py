"""Exclude globs: anchoring, ** and folder matches."""

from __future__ import annotations

import pytest

from secure_gate.globs import GlobSet, compile_glob


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*.min.js", "static/app.min.js", True),
        ("*.min.js", "app.js", False),
        ("vendor", "vendor/lib/a.py", True),
        ("vendor", "src/vendor/a.py", True),
        ("vendor", "vendored/a.py", False),
        ("vendor/", "vendor", False),
        ("vendor/", "vendor/a.py", True),
        ("docs/*.py", "docs/conf.py", True),
        ("docs/*.py", "docs/sub/conf.py", False),
        ("docs/*.py", "x/docs/conf.py", False),
        ("tests/**", "tests/a/b/c.py", True),
        ("**/fixtures/*.json", "a/b/fixtures/x.json", True),
        ("**/fixtures/*.json", "fixtures/x.json", True),
        ("./build/", "build/out.py", True),
        ("/build", "build/out.py", True),
        ("a?.py", "ab.py", True),
        ("a?.py", "a/.py", False),
        ("[!a]*.py", "b.py", True),
        ("[!a]*.py", "a.py", False),
        ("odd\nname.py", "odd\nname.py", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert GlobSet([pattern]).matches(path) is expected


@pytest.mark.parametrize("pattern", ["", "   ", "//x", "/"])
def test_bad_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_glob(pattern)
