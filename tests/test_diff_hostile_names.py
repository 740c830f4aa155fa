"""Hostile file names through diff mode: every per-file and by-line scanner finds what is new."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secure_gate.files import display_path
from tests import secrets_corpus as fake
from tests.conftest import Repo
from tests.test_diff import osv

SHELL = "import subprocess\n\n\ndef go(c):\n    subprocess.call(c, shell=True)\n"
SECRET = f'AWS = "{fake.AWS_KEY_ID}"\n'
# Names the issue saw hide findings: not UTF-8, newlines, bidi controls, a leading dash, and
# a valid name spelling another name's escaped byte.
NAMES: dict[str, bytes] = {
    "not-utf8": b"evil\xff",
    "newline": b"new\nline",
    "bidi": "bidi\u202egnp".encode(),
    "leading-dash": b"-rf",
    "quote-space": b'a "b" c',
    "spelled-escape": b"evil\\xff",
}


def _write(root: Path, name: bytes, data: bytes) -> None:
    path = os.fsdecode(os.path.join(os.fsencode(root), name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("case", sorted(NAMES))
def test_new_findings_in_hostile_names_are_new_in_diff_mode(
        case: str, make_repo: Callable[..., Repo], run_cli: Callable[..., Any],
        tmp_path: Path) -> None:
    stem = NAMES[case]
    repo = make_repo({"ok.py": "x = 1\n", "requirements.txt": "alpha==1.0\n"})
    base = repo.git("rev-parse", "HEAD").strip()
    if case == "spelled-escape":  # the base holds the byte-named file; the change the other
        _write(repo.root, b"evil\xff.py", SHELL.encode())
        base = repo.commit("a byte-named file")
    _write(repo.root, stem + b".py", SHELL.encode())
    _write(repo.root, stem + b"/conf.py", SECRET.encode())
    _write(repo.root, stem + b"/requirements.txt", b"alpha==1.0\nrequests\n")
    repo.commit("the change")
    db = tmp_path / "osv"
    osv(db, "OLD-1", "alpha", "2019-01-01T00:00:00Z")
    result = run_cli(repo.root, "scan", "--scanners", "bandit,detect-secrets,pins,pip-audit",
                     "--advisory-db", str(db), "--diff-base", base)
    shown = display_path(os.fsdecode(stem))
    found = {(f["scanner"], f["rule"], f["path"]): f for f in result.json_report["findings"]}
    expected = [("bandit", "B602", f"{shown}.py"),
                ("detect-secrets", "AWS Access Key", f"{shown}/conf.py"),
                ("pins", "unpinned-requirement", f"{shown}/requirements.txt"),
                ("pip-audit", "OLD-1", f"{shown}/requirements.txt")]
    for key in expected:
        assert key in found, (key, sorted(found))
        assert found[key]["new"] is True, found[key]
    assert found[expected[0]]["blocking"] and found[expected[1]]["blocking"]
    # The unchanged root requirements file stays old: the key is not "everything new".
    assert found[("pip-audit", "OLD-1", "requirements.txt")]["new"] is False
    assert result.code == 1
