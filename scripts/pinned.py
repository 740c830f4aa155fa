"""The pinned references to secure-gate in README.md and examples/: find, rewrite, check."""

from __future__ import annotations

import re
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = "secure-gate/secure-gate"
URL = f"https://github.com/{REPO}"
VERSION_FILE = "src/secure_gate/__init__.py"
VERSION_RE = re.compile(r'^__version__ = "([^"]+)"$', re.M)
LABEL_RE = re.compile(r'(org\.opencontainers\.image\.version=")([^"]*)(")')
SHA_RE = re.compile(r"[0-9a-f]{40}")
_U = re.escape(URL)
# Each form: (before the ref)(the ref)(after it, on the same line)(the comment, if any).
PATTERNS = {
    "action": re.compile(rf"(uses:[ \t]*['\"]?{re.escape(REPO)}@)([^\s'\"#<`]+)(['\"]?)"
                         r"([ \t]*#[^\n]*)?"),
    "pre-commit": re.compile(rf"(repo:[ \t]*{_U}(?:\.git)?[ \t]*\n[ \t]*rev:[ \t]*)"
                             r"([^\s#]+)()([ \t]*#[^\n]*)?"),
    "pip": re.compile(rf"(secure-gate[ \t]*@[ \t]*git\+{_U}(?:\.git)?@)([^\s'\"#<`]+)(['\"]?)"
                      r"([ \t]*#[^\n]*)?"),
}
_SEPARATOR = {"action": " ", "pre-commit": "  ", "pip": "  "}


@dataclass(frozen=True, slots=True)
class Reference:
    """One pinned reference: where, which form, the ref and the version its comment names."""

    path: str
    line: int
    kind: str
    ref: str
    comment: str | None

    @property
    def version(self) -> str | None:
        """The version of the comment's ``# vX.Y.Z``, if it has one."""
        found = re.match(r"#\s*v(\S+)", (self.comment or "").strip())
        return found.group(1) if found else None


def git(root: Path, *args: str) -> str:
    """git's stdout (raises on failure)."""
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True).stdout


def documents(root: Path) -> list[str]:
    """README.md and every tracked text file under examples/."""
    listed = git(root, "ls-files", "-z", "README.md", "examples").split("\0")
    return [p for p in listed if p and p.endswith((".md", ".yml", ".yaml", ".txt", ".toml"))]


def references(path: str, text: str) -> list[Reference]:
    """Every pinned reference to this project in one file, in order."""
    found = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start(2)) + 1
            found.append(Reference(path, line, kind, match.group(2), match.group(4)))
    return sorted(found, key=lambda r: r.line)


def rewrite(text: str, sha: str, version: str) -> str:
    """Every reference pinned to ``sha`` with a ``# v<version>`` comment."""
    for kind, pattern in PATTERNS.items():
        text = pattern.sub(lambda m, k=kind: f"{m.group(1)}{sha}{m.group(3)}"
                           f"{_SEPARATOR[k]}# v{version}", text)
    return text


def version_at(root: Path, rev: str) -> str:
    """The package version at a commit (its version file)."""
    found = VERSION_RE.search(git(root, "show", f"{rev}:{VERSION_FILE}"))
    if not found:
        raise ValueError(f"no __version__ in {VERSION_FILE} at {rev}")
    return found.group(1)


def yaml_blocks(path: str, text: str) -> Iterator[tuple[str, Any]]:
    """(text, parsed YAML) of a YAML file, or of each ```yaml block of a markdown file."""
    import yaml  # only the checks need it: pinning runs on a bare Python (release workflow)

    if path.endswith((".yml", ".yaml")):
        yield text, yaml.safe_load(text)
        return
    for match in re.finditer(r"^```(yaml|yml)\n(.*?)^```", text, re.M | re.S):
        yield match.group(2), yaml.safe_load(textwrap.dedent(match.group(2)))


def action_steps(data: Any) -> Iterator[dict[str, Any]]:
    """Every mapping with ``uses: secure-gate/secure-gate@...`` (steps, wherever they sit)."""
    if isinstance(data, dict):
        uses = data.get("uses")
        if isinstance(uses, str) and uses.startswith(f"{REPO}@"):
            yield data
        for value in data.values():
            yield from action_steps(value)
    elif isinstance(data, list):
        for value in data:
            yield from action_steps(value)


def hook_entries(data: Any) -> Iterator[dict[str, Any]]:
    """The ``repos:`` entries of a pre-commit config that name this project."""
    if isinstance(data, dict) and isinstance(data.get("repos"), list):
        for entry in data["repos"]:
            if isinstance(entry, dict) and str(entry.get("repo", "")).rstrip("/").removesuffix(
                    ".git") == URL:
                yield entry
