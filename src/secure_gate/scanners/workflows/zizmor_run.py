"""Run zizmor hermetically: staged copies under fixed names, no config, offline unless told."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import secure_gate.scanners.workflows.zizmor_json as zizmor_json
from secure_gate import _subprocess
from secure_gate.errors import ScannerError

PERSONAS = ("regular", "pedantic", "auditor")
# zizmor's exit codes: 0 nothing found, 11-14 the worst finding's severity (10 was "unknown"
# in older releases), 3 no audit was performed, anything else a failure.
FINDINGS_EXIT = frozenset({0, 10, 11, 12, 13, 14})
NO_AUDIT_EXIT = 3
# Where each kind of file is staged: zizmor decides what an explicit file is by its name.
_STAGED = {"workflow": ".github/workflows/workflow", "action": "action",
           "dependabot": ".github/dependabot"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Staged:
    """A copy of one selected file under a name zizmor reads correctly and safely."""

    relative: str  # the staged path, as zizmor is given it and reports it
    path: str  # the repository path it stands for
    text: str


@dataclass(frozen=True, slots=True)
class Request:
    """One zizmor run: which files, which persona, and a token for the online audits."""

    files: tuple[Staged, ...]
    persona: str = "regular"
    timeout: float = 300.0
    github_token: str = field(default="", repr=False)


def binary() -> Path | None:
    """zizmor's executable from its installed wheel (never looked up on PATH)."""
    try:
        dist = metadata.distribution("zizmor")
    except metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.name in ("zizmor", "zizmor.exe") and entry.parent.name in ("bin", "Scripts"):
            found = Path(str(dist.locate_file(entry)))
            return found if found.is_file() else None
    return None


def stage(index: int, kind: str, path: str, text: str, suffix: str) -> Staged:
    """The staged name hides the repository's file name (any bytes) from zizmor's argv."""
    return Staged(f"{index}/{_STAGED[kind]}{suffix}", path, text)


def argv(exe: Path, request: Request) -> list[str]:
    """The command line: JSON, no config of any kind, ignored findings still reported."""
    args = [str(exe), "--format", "json", "--no-config", "--no-ignores", "--strict-collection",
            "--no-progress", "--color", "never", "--persona", request.persona]
    if not request.github_token:
        args.append("--offline")
    return [*args, "--", *(f.relative for f in request.files)]


def environment(request: Request) -> dict[str, str]:
    """The isolated tool environment; the token, if any, only as this process's GH_TOKEN."""
    return _subprocess.tool_env({"GH_TOKEN": request.github_token} if request.github_token
                                else None)


def _clean(text: str, files: Sequence[Staged]) -> str:
    """zizmor's error text with staged names turned back into repository paths."""
    text = _ANSI.sub("", text).split("Stack backtrace:", 1)[0]  # Rust's, for zizmor's devs
    for staged in sorted(files, key=lambda f: -len(f.relative)):
        text = text.replace(staged.relative, staged.path)
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and " INFO " not in f" {line.strip()} "]
    return " ".join(lines)[-1500:] or "no message"


def run(request: Request, exe: Path) -> list[zizmor_json.Audit]:
    """zizmor's findings over ``request.files``; :class:`ScannerError` when it fails."""
    with tempfile.TemporaryDirectory(prefix="secure-gate-zizmor-") as folder:
        root = Path(folder)
        for staged in request.files:
            target = root / staged.relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(staged.text, encoding="utf-8")
        try:
            done = _subprocess.run(argv(exe, request), cwd=root, timeout=request.timeout,
                                   env=environment(request))
        except _subprocess.ToolFailure as exc:
            raise ScannerError(f"zizmor {exc}") from None
    return read(done, request.files)


def read(done: _subprocess.Completed, files: Sequence[Staged]) -> list[zizmor_json.Audit]:
    """zizmor's exit code and output judged: findings, or :class:`ScannerError` (fail closed)."""
    err = _clean(done.stderr.decode("utf-8", "replace"), files)
    if done.returncode == NO_AUDIT_EXIT:
        raise ScannerError(f"zizmor performed no audit: {err}")
    if done.returncode not in FINDINGS_EXIT:
        raise ScannerError(f"zizmor failed (exit {done.returncode}): {err}")
    try:
        return zizmor_json.parse(json.loads(done.stdout))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScannerError(f"zizmor's output could not be read: {exc}") from None


def by_path(files: Sequence[Staged]) -> Mapping[str, Staged]:
    """Staged files by the name zizmor reports them under."""
    return {f.relative: f for f in files}
