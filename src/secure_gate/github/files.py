"""File commands (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`) and report files in the workspace."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

# The runner refuses a summary over 1 MiB (FileCommandManager AttachmentSizeLimit).
SUMMARY_LIMIT = 1024 * 1024
_MARGIN = 16 * 1024


class FileCommandError(Exception):
    """An output or summary that cannot be written safely."""


def format_outputs(values: Mapping[str, str], delimiter: str) -> str:
    """``name<<delimiter`` blocks; a name or value holding the delimiter is refused.

    The heredoc form is used for every value, so a newline in a value cannot start a
    new ``name=value`` line; the delimiter is random, so a value cannot end the block.
    """
    out: list[str] = []
    for name, value in values.items():
        if not name or "\n" in name or "\r" in name or "=" in name or "<<" in name:
            raise FileCommandError(f"invalid output name {name!r}")
        if delimiter in name or delimiter in value:
            raise FileCommandError(f"output {name!r} contains the delimiter")
        out.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(out)


def new_delimiter() -> str:
    """A fresh ``ghadelimiter_<uuid4>``, as the Actions toolkit makes them."""
    return f"ghadelimiter_{uuid.uuid4()}"


def write_outputs(path: Path, values: Mapping[str, str],
                  delimiter: Callable[[], str] = new_delimiter) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT`` (always ending in a newline)."""
    text = format_outputs(values, delimiter())
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def summary_budget(path: Path) -> int:
    """Bytes still free in this step's summary, with a margin under the runner's limit."""
    try:
        used = path.stat().st_size
    except FileNotFoundError:
        used = 0
    return max(0, SUMMARY_LIMIT - _MARGIN - used)


def append_summary(path: Path, markdown: str) -> None:
    """Append markdown to ``$GITHUB_STEP_SUMMARY`` (its own paragraph, newline-terminated)."""
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    if len(text.encode("utf-8")) > summary_budget(path):
        raise FileCommandError("the job summary would exceed GitHub's 1 MiB limit")
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def write_report(workspace: Path, relative: str, text: str) -> Path:
    """Write a report file inside the workspace, atomically, never through a symlink."""
    from secure_gate.report.formats import UnsafeTarget, write_text

    try:
        return write_text(relative, text, inside=workspace)
    except UnsafeTarget as exc:
        raise FileCommandError(str(exc)) from None
