"""Helpers shared by the release, README-snippet and hook tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version
from scripts import pinned

from tests.conftest import PROJECT

BIN = Path(sys.executable).parent


def snapshot(root: Path) -> Path:
    """The project's files (tracked and new, not ignored) committed in a repository of its own:
    this work tree as a user would name it, a git URL and a commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=PROJECT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snap"]):
        subprocess.run(["git", *argv], cwd=root, check=True, capture_output=True)
    return root


def shallow(root: Path) -> bool:
    """A shallow clone has not the history that pins point into."""
    return pinned.git(root, "rev-parse", "--is-shallow-repository").strip() == "true"


def tool(name: str) -> str:
    """A dev tool from the test environment (skips when it is not installed)."""
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (requirements/dev.txt has it)")
    return found


def check_workflow(path: Path, persona: str) -> None:
    """GitHub's workflow schema and zizmor at ``persona`` find nothing."""
    schema = subprocess.run([tool("check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", str(path)], capture_output=True,
                            text=True, check=False)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run([tool("zizmor"), "--offline", f"--persona={persona}",
                            "--no-progress", str(path)], capture_output=True, text=True,
                           check=False)
    assert audit.returncode == 0 and "No findings" in audit.stdout, audit.stdout + audit.stderr


def check_references(root: Path) -> list[str]:
    """Problems with the pinned references of ``root`` (empty when all are right)."""
    problems = []
    head_version = pinned.version_at(root, "HEAD")
    kinds: set[str] = set()
    for path in pinned.documents(root):
        text = (root / path).read_text(encoding="utf-8")
        for ref in pinned.references(path, text):
            kinds.add(ref.kind)
            where = f"{path}:{ref.line} ({ref.kind} {ref.ref})"
            if not pinned.SHA_RE.fullmatch(ref.ref):
                problems.append(f"{where}: not a full commit SHA")
                continue
            ancestor = subprocess.run(["git", "merge-base", "--is-ancestor", ref.ref, "HEAD"],
                                      cwd=root, capture_output=True, check=False)
            if ancestor.returncode != 0:
                problems.append(f"{where}: not an ancestor of HEAD")
                continue
            version = pinned.version_at(root, ref.ref)
            if ref.version != version:
                problems.append(f"{where}: comment says v{ref.version}, the commit is {version}")
            if Version(version) > Version(head_version):
                problems.append(f"{where}: newer than HEAD's {head_version}")
        for block, data in pinned.yaml_blocks(path, text):
            problems += check_snippet(root, path, block, data)
    missing = {"action", "pre-commit", "pip"} - kinds
    if missing:
        problems.append(f"no {', '.join(sorted(missing))} reference found: a pattern broke")
    return problems


def is_commit(root: Path, sha: str) -> bool:
    return pinned.SHA_RE.fullmatch(sha) is not None and subprocess.run(
        ["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=root, capture_output=True,
        check=False).returncode == 0


def check_snippet(root: Path, path: str, block: str, data: Any) -> list[str]:
    """The inputs and hook ids a snippet uses exist at the commit it pins."""
    problems = []
    for step in pinned.action_steps(data):
        sha = step["uses"].split("@", 1)[1].split()[0]
        if not is_commit(root, sha):
            continue  # reported above
        action = yaml.safe_load(pinned.git(root, "show", f"{sha}:action.yml"))
        unknown = set(step.get("with") or {}) - set(action["inputs"])
        if unknown:
            problems.append(f"{path}: inputs {sorted(unknown)} do not exist at {sha[:12]}; "
                            "pin a commit that has them (scripts/release --pin-to REV)")
    for entry in pinned.hook_entries(data):
        sha = str(entry.get("rev"))
        if not is_commit(root, sha):
            continue
        manifest = yaml.safe_load(pinned.git(root, "show", f"{sha}:.pre-commit-hooks.yaml"))
        known = {hook["id"] for hook in manifest}
        used = {hook["id"] for hook in entry.get("hooks", [])}
        used |= set(re.findall(r"\bid:\s*(secure-gate[\w-]*)", block))  # commented choices too
        if used - known:
            problems.append(f"{path}: hooks {sorted(used - known)} do not exist at {sha[:12]}; "
                            "pin a commit that has them (scripts/release --pin-to REV)")
    return problems
