"""The terminal progress line: redrawn in place, never wider than the terminal, every scanner."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from secure_gate import engine
from secure_gate.progress import Progress, cells, fit
from secure_gate.request import ScanRequest
from tests.conftest import Repo


class Terminal(io.StringIO):
    """A terminal of ``width`` columns that keeps what a user would see on its last line."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def isatty(self) -> bool:
        return True

    def screen(self) -> list[str]:
        """Rows as a terminal shows them: \\r returns, ESC[K clears, a full row wraps."""
        rows, row, col = [""], [], 0
        text = self.getvalue()
        i = 0
        while i < len(text):
            if text.startswith("\r", i):
                col = 0
                i += 1
            elif text.startswith("\x1b[K", i):
                del row[col:]
                i += 3
            elif text[i] == "\n" or col >= self.width:
                rows[-1] = "".join(row)
                rows.append("")
                row, col = [], 0
                i += text[i] == "\n"
            else:
                row[col:col + 1] = [text[i]]
                col += 1
                i += 1
            rows[-1] = "".join(row)
        return rows


def test_the_line_is_redrawn_in_place_and_never_wraps() -> None:
    screen = Terminal(40)
    progress = Progress(screen, columns=lambda: screen.width)
    for name in ("bandit", "detect-secrets", "pins", "practices", "pip-audit"):
        progress.add(name, 1_000)
    for step in range(5):
        progress.advance("bandit", 100 * step)
        progress.draw()
    rows = screen.screen()
    assert len(rows) == 1, rows  # one row: no stale lines, nothing wrapped
    assert cells(rows[0]) <= 39 and rows[0].startswith("secure-gate 20% | bandit 1000/1000")
    assert rows[0].endswith("…")
    assert "\n" not in screen.getvalue()
    assert screen.getvalue().count("\r\x1b[K") == 5


def test_an_unchanged_line_is_not_redrawn_and_exit_clears_it() -> None:
    screen = Terminal(200)
    progress = Progress(screen, delay=60, columns=lambda: screen.width)
    progress.add("pins", 3)
    with progress:
        progress.draw()
        progress.draw()
    assert screen.getvalue() == "\r\x1b[Ksecure-gate 0% | pins 0/3 files\r\x1b[K"
    assert screen.screen() == [""]


def test_a_narrower_terminal_gets_a_shorter_line() -> None:
    width = [120]
    screen = Terminal(120)
    progress = Progress(screen, columns=lambda: width[0])
    progress.add("bandit", 10)
    progress.add("detect-secrets", 10)
    progress.draw()
    width[0] = screen.width = 20
    progress.advance("bandit", 1)
    progress.draw()
    last = screen.getvalue().rsplit("\r\x1b[K", 1)[1]
    assert last == progress.line(19) and cells(last) <= 19 and last.endswith("…")


@pytest.mark.parametrize(("text", "width", "shown"), [
    ("abcdef", 10, "abcdef"), ("abcdef", 4, "abc…"), ("名前名前", 5, "名前…"), ("ab", 0, "")])
def test_fit_counts_terminal_columns(text: str, width: int, shown: str) -> None:
    assert fit(text, width) == shown
    assert cells(fit(text, width)) <= max(width, 0)


def test_every_scanner_advances_it_including_in_process_ones(
        make_repo: Callable[..., Repo], tmp_path: Path) -> None:
    repo = make_repo({"app/a.py": "import subprocess\n", "requirements.txt": "requests\n",
                      "Dockerfile": "FROM python:3.12\n"})
    progress = Progress(None)
    report = engine.scan(ScanRequest(root=repo.root, scanners=("bandit", "pins", "practices"),
                                     jobs=1), progress=progress)
    ran = [s.name for s in report.scanners if s.files_scanned]
    assert {"bandit", "pins", "practices"} <= set(ran)
    for name in ("bandit", "pins", "practices"):
        done, total = progress.counts(name)
        assert total > 0 and done == total, name
    assert progress.line().startswith("secure-gate 100% |")
    assert "pins" in progress.line() and " done" in progress.line()
