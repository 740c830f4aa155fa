"""The report formats, each a pure ``Report -> Rendered`` registered once, and the one writer."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from secure_gate.model import Report
from secure_gate.report.rendered import Rendered


@dataclass(frozen=True, slots=True)
class FormatOptions:
    """What a door knows that a format needs: the SARIF category (None: the default)."""

    sarif_category: str | None = None


Renderer = Callable[[Report, FormatOptions], Rendered]


@dataclass(frozen=True, slots=True)
class Format:
    """A file format the gate writes: its CLI flag, its Action input and how it renders."""

    name: str
    flag: str
    action_input: str
    help: str
    render: Renderer


def _json(report: Report, options: FormatOptions) -> Rendered:
    from secure_gate.report.json import render_json

    return Rendered(render_json(report))


def _sarif(report: Report, options: FormatOptions) -> Rendered:
    from secure_gate.report.sarif import sarif_document

    if options.sarif_category is None:
        return sarif_document(report)
    return sarif_document(report, category=options.sarif_category)


def _markdown(report: Report, options: FormatOptions) -> Rendered:
    from secure_gate.report.markdown import markdown_document

    return markdown_document(report)


# In the order the CLI lists them; each renderer is imported only when its format is asked for.
FORMATS: dict[str, Format] = {
    "json": Format("json", "--json", "json-file", "also write the JSON report here", _json),
    "sarif": Format("sarif", "--sarif", "sarif-file", "also write SARIF 2.1.0 here", _sarif),
    "markdown": Format("markdown", "--markdown", "markdown-file",
                       "also write a markdown summary here", _markdown),
}


# A report option given ``-`` writes that report to standard output, as curl, pip-audit and
# jq read it.
STDOUT = "-"


class UnsafeTarget(OSError):
    """A report path that would write outside its folder or through a link."""


def write_text(path: Path | str, text: str, *, inside: Path | None = None) -> Path:
    """Write a report atomically (a reader never sees half a file), never through a symlink.

    With ``inside`` the target must stay inside that folder, re-checked at write time. The
    temporary file has a random name and is created exclusively, so a planted link cannot
    redirect the write.
    """
    target = Path(path) if inside is None else inside.resolve() / path
    folder = target.parent.resolve()
    if inside is not None and not folder.is_relative_to(inside.resolve()):
        raise UnsafeTarget(f"{path}: outside {inside}")
    final = folder / target.name
    if final.is_symlink() or final.is_dir():
        raise UnsafeTarget(f"{path}: is a symlink or a folder")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # a report is for later steps and artifacts, not a secret
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def put(path: Path | str, text: str, *, stdout: TextIO | None = None) -> None:
    """Write ``text`` to the file ``path``, or to ``stdout`` when ``path`` is ``-``."""
    if str(path) == STDOUT and stdout is not None:
        stdout.write(text)
        stdout.flush()
        return
    write_text(path, text)


def write(report: Report, wanted: dict[str, Path | str],
          options: FormatOptions | None = None, *, stdout: TextIO | None = None) -> list[str]:
    """Render and write each wanted format (``{"sarif": path}``, ``-`` for ``stdout``);
    returns the renderers' notices (what a size-limited format had to leave out)."""
    notices: list[str] = []
    for name, path in wanted.items():
        rendered = FORMATS[name].render(report, options or FormatOptions())
        put(path, rendered.text, stdout=stdout)
        notices += rendered.notices
    return notices
