"""Exclude globs: anchoring, ** and folder matches."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

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
        ("./build/", "src/build/out.py", False),
        ("/build", "build/out.py", True),
        ("/settings.py", "app/settings.py", False),
        ("a?.py", "ab.py", True),
        ("a?.py", "a/.py", False),
        ("[!a]*.py", "b.py", True),
        ("[!a]*.py", "a.py", False),
        ("odd\nname.py", "odd\nname.py", True),
    ],
)
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert GlobSet([pattern]).matches(path) is expected


@pytest.mark.parametrize("pattern", ["", "   ", "//x", "/", "!x", "#x", "./"])
def test_bad_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_glob(pattern)


PATTERNS = ["/settings.py", "settings.py", "*.min.js", "vendor", "vendor/", "docs/*.py",
            "tests/**", "**/fixtures/*.json", "/build", "build/", "a?.py", "[!a]*.py", "*.py",
            "app/**/settings.py", "**/deep", "x/a.py", "lib/", "\\#x", "*.[jt]s", "a/**/b",
            "odd name.py", "**"]
PATHS = ["settings.py", "app/settings.py", "app/deep/settings.py", "vendor/a.py",
         "src/vendor/a.py", "vendored/a.py", "docs/conf.py", "docs/sub/conf.py",
         "x/docs/conf.py", "tests/a/b/c.py", "a/b/fixtures/x.json", "fixtures/x.json",
         "static/app.min.js", "app.js", "main.ts", "build/out.py", "src/build/out.py", "ab.py",
         "b.py", "a.py", "x/a.py", "y/x/a.py", "lib/z.txt", "src/lib/z.txt", "#x", "a/c/b",
         "a/q/r/b", "odd name.py", "deep/er.txt"]


def test_globs_mean_what_gitignore_means(tmp_path: Path) -> None:
    """Every pattern x path agrees with `git check-ignore` on a .gitignore of that line."""
    for name in PATHS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    disagreements = []
    for pattern in PATTERNS:
        (tmp_path / ".gitignore").write_text(pattern + "\n", encoding="utf-8")
        done = subprocess.run(["git", "check-ignore", "--no-index", "-z", "--stdin"],
                              cwd=tmp_path, input="\0".join(PATHS).encode() + b"\0",
                              capture_output=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        ignored = {p.decode() for p in done.stdout.split(b"\0") if p}
        ours = GlobSet([pattern])
        for path in PATHS:
            if ours.matches(path) != (path in ignored):
                disagreements.append((pattern, path, path in ignored))
    assert disagreements == []


def test_an_anchored_exclude_is_only_the_roots(make_repo: Any, run_cli: Any) -> None:
    """The issue's case: `/settings.py` also excluded app/settings.py at any depth."""
    shell = "import subprocess\nsubprocess.call(x, shell=True)\n"
    repo = make_repo({"settings.py": shell, "app/settings.py": shell,
                      ".secure-gate.yml": "exclude: [/settings.py]\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert {f["path"] for f in result.json_report["findings"] if f["rule"] == "B602"} == {
        "app/settings.py"}
    assert result.code == 1
