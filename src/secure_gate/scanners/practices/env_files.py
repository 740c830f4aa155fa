"""env-file-committed and env-file-not-ignored: ``.env`` files belong to one machine, not git."""

# An environment file is named ``.env`` or ``.env.<something>``; it is a template, meant to be
# committed, when a word of ``<something>`` (split at ``.``, ``-`` and ``_``) is one of
# :data:`TEMPLATE_WORDS` (``.env.example``, ``.env.sample``, ``.env.template``, ``.env.dist``,
# ``.env.local.example``, ...). A file's content is never read: its name is the finding.

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import secure_gate.scanners.practices.flow as flow
import secure_gate.scanners.practices.gitignore as gitignore
from secure_gate.files import RepoFile
from secure_gate.manifests.discover import parse_manifest
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import Module
from secure_gate.scanners.practices.rules import ENV_FILE_COMMITTED, ENV_FILE_NOT_IGNORED, Hit

TEMPLATE_WORDS = frozenset({
    "example", "examples", "sample", "samples", "template", "templates", "tmpl", "tpl",
    "dist", "default", "defaults", "schema", "skel", "skeleton", "stub", "in", "j2", "jinja",
    "jinja2", "vault", "placeholder",
})
DOTENV_PACKAGE = "python-dotenv"
DOTENV_CALLS = frozenset({"load_dotenv", "dotenv_values"})
GITIGNORE = ".gitignore"
FIX_COMMITTED = ("git rm --cached <file>, rotate every credential it held, add it to "
                 ".gitignore, and commit a .env.example with placeholder values instead")
FIX_IGNORE = "add a line `.env` to .gitignore"


def is_env_file(name: str) -> bool:
    """``.env`` or ``.env.<suffix>`` that is not a template (by its suffix's words)."""
    if name == ".env":
        return True
    if not name.startswith(".env.") or len(name) == len(".env."):
        return False
    words = re.split(r"[.\-_]+", name[len(".env."):].lower())
    return not any(word in TEMPLATE_WORDS for word in words)


def committed(files: tuple[RepoFile, ...]) -> list[tuple[str, Hit]]:
    """One hit per environment file in the scan (in git: tracked or staged files only)."""
    out = []
    for repo_file in files:
        if is_env_file(repo_file.name):
            out.append((repo_file.path, Hit(
                rule=ENV_FILE_COMMITTED, line=None,
                message=(f"{repo_file.name} is committed: environment files hold the "
                         "credentials and settings of one machine, and anyone who can read "
                         "the repository (or its history, forks and clones) can read them. "
                         "Remove it from git, rotate what it held, and commit a template "
                         "such as .env.example instead."),
                evidence=repo_file.path, fix=FIX_COMMITTED, confidence=Confidence.HIGH)))
    return out


@dataclass(frozen=True, slots=True)
class Trigger:
    """Where the repository shows that it loads a .env file."""

    path: str
    line: int | None
    what: str

    def describe(self) -> str:
        """``python-dotenv in requirements.txt:3``."""
        return f"{self.what} in {self.path}" + (f":{self.line}" if self.line else "")


def dotenv_calls(module: Module) -> list[Trigger]:
    """Calls of ``load_dotenv``/``dotenv_values`` (a definition alone is not a use)."""
    return [Trigger(module.path, node.lineno, f"a {flow.callee_name(node)}() call")
            for node in module.nodes(ast.Call) if flow.callee_name(node) in DOTENV_CALLS]


def dotenv_dependency(repo_file: RepoFile, kind: str, text: str) -> list[Trigger]:
    """python-dotenv named in a requirements file or pyproject.toml."""
    manifest = parse_manifest(text, repo_file.path, kind)
    return [Trigger(d.path, d.line, DOTENV_PACKAGE) for d in manifest.dependencies
            if d.name == DOTENV_PACKAGE]


def not_ignored(root: Path, trigger: Trigger, *, in_git: bool, timeout: float
                ) -> tuple[Hit | None, str | None]:
    """The hit when .gitignore lets ``.env`` be committed, and a note on how it was decided."""
    verdict = gitignore.git_verdict(root, timeout) if in_git else None
    note = None
    if verdict is None:
        path = root / GITIGNORE
        try:
            text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        except OSError:
            text = ""
        verdict = gitignore.read_verdict(text)
        if in_git:
            note = "git could not answer `git check-ignore`; read .gitignore instead"
        if not path.is_file():
            verdict = gitignore.Verdict(False, None, "absent")
    if verdict.ignored:
        return None, note
    where = ("there is no .gitignore" if verdict.how == "absent" else
             f"line {verdict.line} of .gitignore un-ignores it" if verdict.line else
             ".gitignore does not ignore it")
    return Hit(
        rule=ENV_FILE_NOT_IGNORED, line=verdict.line,
        message=(f"This repository loads settings from a .env file ({trigger.describe()}) "
                 f"but {where}: the next `git add .` commits someone's credentials. Add "
                 "`.env` to .gitignore."),
        evidence="root .env not ignored", fix=FIX_IGNORE, confidence=Confidence.HIGH), note
