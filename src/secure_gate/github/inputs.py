"""The Action's ``INPUT_*`` values, validated one by one with the input's name in every error."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from secure_gate.config import FAIL_ON_CHOICES
from secure_gate.errors import UsageError
from secure_gate.model import Confidence

_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
COMMENT_MODES = ("always", "on-failure", "changed", "never")
ANNOTATION_MODES = ("changed", "all", "none")
FIX_MODES = ("off", "suggest")


class InputError(UsageError):
    """An Action input with a bad value: exit 2, naming the input."""

    def __init__(self, name: str, problem: str) -> None:
        self.input = name
        super().__init__(f"input '{name}': {problem}")


@dataclass(frozen=True, slots=True)
class Inputs:
    """Every input of ``action.yml``, validated; paths are absolute, report files relative."""

    workspace: Path
    path: Path
    fail_on: str | None = None
    min_confidence: str | None = None
    scanners: tuple[str, ...] | None = None
    config: str | None = None
    diff_base: str | None = None
    baseline: str | None = None
    # Inputs that set scanner options, by name (``osv-url``, ``advisory-db``: see
    # Scanner.flags), each validated as its kind of value.
    flags: Mapping[str, str | None] = field(default_factory=dict)
    policy_from: str | None = None
    history: str | None = None  # off, pr or all; None: the policy's `history`
    sarif_file: str | None = None
    category: str | None = None  # SARIF category; None: one made from the run (context.py)
    json_file: str | None = None
    markdown_file: str | None = None
    comment: str = "on-failure"
    comment_tag: str = "default"
    annotations: str = "changed"
    jobs: int | None = None
    cache_dir: str | None = None
    no_cache: bool = False
    allow_empty: bool = False
    shard: tuple[int, int] | None = None  # K/N: this matrix leg's part of the work
    merge: str | None = None  # a folder of the legs' shard reports: judge them as one
    fix: str = "off"  # suggest: post `secure-gate fix` edits as PR review suggestions
    # Never shown: not in repr, so not in a traceback or a debug print either.
    github_token: str = field(default="", repr=False)


def raw(environ: Mapping[str, str], name: str) -> str:
    """An input as the runner passes it (``INPUT_`` + upper case, dashes kept), trimmed."""
    key = "INPUT_" + name.replace(" ", "_").upper()
    return environ.get(key, "").strip()


def _bool(value: str, name: str, default: bool) -> bool:
    if not value:
        return default
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise InputError(name, f"expected true or false, got {value!r}")


def _mode(value: str, name: str, allowed: tuple[str, ...], default: str,
          legacy: dict[str, str]) -> str:
    """One of ``allowed``; the old ``true``/``false`` values mean what they used to."""
    return legacy.get(value.lower()) or _choice(value, name, allowed) or default


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str | None:
    if not value:
        return None
    if value.lower() not in allowed:
        raise InputError(name, f"unknown value {value!r} (allowed: {', '.join(allowed)})")
    return value.lower()


def _resolve(workspace: Path, value: str) -> Path:
    if _PATH_CONTROL.search(value):
        raise ValueError(f"control characters in the path {value!r}")
    path = Path(value)
    return (path if path.is_absolute() else workspace / path).resolve()


def _input_path(workspace: Path, value: str, name: str) -> Path:
    """``_resolve`` with its problem reported as the input's."""
    try:
        return _resolve(workspace, value)
    except ValueError as exc:
        raise InputError(name, str(exc)) from None


def existing_path(workspace: Path, value: str, name: str) -> str | None:
    """A file or folder that must exist; relative to the workspace unless absolute."""
    if not value:
        return None
    full = _input_path(workspace, value, name)
    if not full.exists():
        raise InputError(name, f"{value!r} does not exist")
    return str(full)


def inside_workspace(workspace: Path, value: str, name: str, *, must_exist: bool = False
                     ) -> Path:
    """A path that must stay inside the workspace once symlinks are resolved."""
    full = _input_path(workspace, value, name)
    if not full.is_relative_to(workspace.resolve()):
        raise InputError(name, f"{value!r} is outside the workspace")
    if must_exist and not full.exists():
        raise InputError(name, f"{value!r} does not exist")
    return full


def _folder(workspace: Path, value: str, name: str) -> str | None:
    if not value:
        return None
    full = _input_path(workspace, value, name)
    if full.exists() and not full.is_dir():
        raise InputError(name, f"{value!r} is not a folder")
    return str(full)


def report_file(workspace: Path, value: str, name: str) -> str | None:
    """A report to write: inside the workspace, in an existing folder, not a folder itself.

    Returns the workspace-relative POSIX path (what later steps, such as
    ``upload-sarif``, are given through the outputs).
    """
    if not value:
        return None
    full = inside_workspace(workspace, value, name)
    if full == workspace.resolve() or full.is_dir():
        raise InputError(name, f"{value!r} is a folder, not a file")
    if not full.parent.is_dir():
        raise InputError(name, f"the folder of {value!r} does not exist")
    return full.relative_to(workspace.resolve()).as_posix()


def _scanners(value: str) -> tuple[str, ...] | None:
    if not value:
        return None
    from secure_gate.request import scanner_names

    try:
        return scanner_names(value)  # the CLI's own validation, so both agree
    except ValueError as exc:
        raise InputError("scanners", str(exc)) from None


def _flags(environ: Mapping[str, str], workspace: Path) -> dict[str, str | None]:
    """The scanner-option inputs: URLs must be http(s), paths must exist."""
    from secure_gate.request import flags

    out: dict[str, str | None] = {}
    for name, (_scanner, flag) in flags().items():
        value = raw(environ, name)
        if flag.must_exist:
            out[name] = existing_path(workspace, value, name)
        elif flag.metavar == "URL":
            out[name] = _url(value, name)
        else:
            out[name] = value or None
    return out


def _jobs(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InputError("jobs", f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def _ref(value: str) -> str | None:
    if not value:
        return None
    # A ref becomes a git argument: never an option, never whitespace or a control character.
    if value.startswith("-") or _CONTROL.search(value) or len(value) > 255:
        raise InputError("diff-base", f"{value!r} is not a git revision")
    return value


def _url(value: str, name: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or _CONTROL.search(value):
        raise InputError(name, f"expected an http(s) URL, got {value!r}")
    return value


def _category(value: str) -> str | None:
    from secure_gate.github import category

    try:
        return category.given(value)
    except ValueError as exc:
        raise InputError("category", str(exc)) from None


def _shard(value: str) -> tuple[int, int] | None:
    if not value:
        return None
    from secure_gate.shards import Shard

    try:
        shard = Shard.parse(value)
    except UsageError as exc:
        raise InputError("shard", str(exc).removeprefix("--shard ")) from None
    return shard.index, shard.count


def _merge_folder(workspace: Path, value: str) -> str | None:
    if not value:
        return None
    full = inside_workspace(workspace, value, "merge", must_exist=True)
    if not full.is_dir():
        raise InputError("merge", f"{value!r} is not a folder of shard reports")
    return str(full)


def parse_inputs(environ: Mapping[str, str], workspace: Path) -> Inputs:
    """Read and validate every input; the first bad one raises :class:`InputError`."""
    tag = raw(environ, "comment-tag") or "default"
    if not _TAG.fullmatch(tag):
        raise InputError("comment-tag", "use 1-64 letters, digits, '.', '_' or '-'")
    path = inside_workspace(workspace, raw(environ, "path") or ".", "path", must_exist=True)
    return Inputs(
        workspace=workspace.resolve(),
        path=path,
        fail_on=_choice(raw(environ, "fail-on"), "fail-on", FAIL_ON_CHOICES),
        min_confidence=_choice(raw(environ, "min-confidence"), "min-confidence",
                               tuple(c.label for c in reversed(Confidence))),
        scanners=_scanners(raw(environ, "scanners")),
        config=existing_path(workspace, raw(environ, "config"), "config"),
        diff_base=_ref(raw(environ, "diff-base")),
        baseline=existing_path(workspace, raw(environ, "baseline"), "baseline"),
        flags=_flags(environ, workspace),
        policy_from=_choice(raw(environ, "policy-from"), "policy-from", ("base", "head")),
        history=_choice(raw(environ, "history"), "history", ("off", "pr", "all")),
        sarif_file=report_file(workspace, raw(environ, "sarif-file"), "sarif-file"),
        category=_category(raw(environ, "category")),
        json_file=report_file(workspace, raw(environ, "json-file"), "json-file"),
        markdown_file=report_file(workspace, raw(environ, "markdown-file"), "markdown-file"),
        comment=_mode(raw(environ, "comment"), "comment", COMMENT_MODES, "on-failure",
                      {"true": "always", "false": "never"}),
        comment_tag=tag,
        annotations=_mode(raw(environ, "annotations"), "annotations", ANNOTATION_MODES,
                          "changed", {"true": "changed", "false": "none"}),
        jobs=_jobs(raw(environ, "jobs")),
        cache_dir=_folder(workspace, raw(environ, "cache-dir"), "cache-dir"),
        no_cache=_bool(raw(environ, "no-cache"), "no-cache", False),
        allow_empty=_bool(raw(environ, "allow-empty"), "allow-empty", False),
        shard=_shard(raw(environ, "shard")),
        merge=_merge_folder(workspace, raw(environ, "merge")),
        fix=_choice(raw(environ, "fix"), "fix", FIX_MODES) or "off",
        github_token=raw(environ, "github-token"),
    )
