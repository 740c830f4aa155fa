"""The report formats, each a pure ``Report -> Rendered`` registered once, and the one writer."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from secure_gate.model import Report
from secure_gate.report.rendered import Rendered

Renderer = Callable[[Report], Rendered]


@dataclass(frozen=True, slots=True)
class Format:
    """A file format the gate writes: its CLI flag, its Action input and how it renders."""

    name: str
    flag: str
    action_input: str
    help: str
    render: Renderer


def _json(report: Report) -> Rendered:
    from secure_gate.report.json import render_json

    return Rendered(render_json(report))


def _sarif(report: Report) -> Rendered:
    from secure_gate.report.sarif import sarif_document

    return sarif_document(report)


def _markdown(report: Report) -> Rendered:
    from secure_gate.report.markdown import markdown_document

    return markdown_document(report)


# In the order the CLI lists them; each renderer is imported only when its format is asked for.
FORMATS: dict[str, Format] = {
    "json": Format("json", "--json", "json-file", "also write the JSON report here", _json),
    "sarif": Format("sarif", "--sarif", "sarif-file", "also write SARIF 2.1.0 here", _sarif),
    "markdown": Format("markdown", "--markdown", "markdown-file",
                       "also write a markdown summary here", _markdown),
}


def write_text(path: Path | str, text: str) -> None:
    """Write a report atomically (a reader never sees half a file)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write(report: Report, wanted: dict[str, Path | str]) -> list[str]:
    """Render and write each wanted format (``{"sarif": path}``); returns the renderers'
    notices (what a size-limited format had to leave out)."""
    notices: list[str] = []
    for name, path in wanted.items():
        rendered = FORMATS[name].render(report)
        write_text(path, rendered.text)
        notices += rendered.notices
    return notices
