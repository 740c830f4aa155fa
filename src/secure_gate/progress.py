"""Progress on a terminal for scans longer than a couple of seconds; silent otherwise.

One line on stderr, redrawn in place: ``\\r``, the text cut to the terminal's width (so it
never wraps and leaves no stale lines behind), then clear-to-end-of-line. Every scanner
counts: the worker pool advances bandit and detect-secrets file by file, and a scanner
that runs in-process (pins, practices, pip-audit) is marked done when it returns.
"""

from __future__ import annotations

import shutil
import threading
import time
import unicodedata
from collections.abc import Callable
from typing import TextIO

from secure_gate.report.escape import terminal

_REDRAW = "\r\x1b[K"


def _columns() -> int:
    return shutil.get_terminal_size(fallback=(80, 24)).columns


def cells(text: str) -> int:
    """How many terminal columns ``text`` takes (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ending in ``…`` when it was cut."""
    if cells(text) <= width:
        return text
    out, used = [], 0
    for char in text:
        size = cells(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…" if width > 0 else ""


class Progress:
    """Files done per scanner, redrawn on one stderr line while the scan runs."""

    def __init__(self, stream: TextIO | None, *, delay: float = 2.0,
                 interval: float = 0.5, columns: Callable[[], int] = _columns) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self._columns = columns
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}
        self._finished: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = ""

    @classmethod
    def for_terminal(cls, stream: TextIO) -> Progress:
        """Enabled only when ``stream`` is a terminal."""
        try:
            interactive = stream.isatty()
        except (AttributeError, ValueError):
            interactive = False
        return cls(stream if interactive else None)

    def add(self, scanner: str, total: int, done: int = 0) -> None:
        """Announce ``total`` files for a scanner (``done`` of them already, from the cache)."""
        with self._lock:
            self._total[scanner] = self._total.get(scanner, 0) + total
            self._done[scanner] = self._done.get(scanner, 0) + done

    def advance(self, scanner: str, files: int) -> None:
        """Count ``files`` more as done."""
        with self._lock:
            self._done[scanner] = self._done.get(scanner, 0) + files

    def finish(self, scanner: str) -> None:
        """The scanner returned: all its files are done, however it counted them."""
        with self._lock:
            self._finished.add(scanner)
            self._done[scanner] = max(self._done.get(scanner, 0), self._total.get(scanner, 0))

    def counts(self, scanner: str) -> tuple[int, int]:
        """(done, total) for one scanner."""
        with self._lock:
            total = self._total.get(scanner, 0)
            return min(self._done.get(scanner, 0), total), total

    def line(self, width: int | None = None) -> str:
        """The status line: overall percentage first (it survives a cut), then each scanner;
        at most ``width`` columns when given."""
        with self._lock:
            totals = sorted(self._total.items())
            done = {n: min(self._done.get(n, 0), t) for n, t in totals}
            finished = set(self._finished)
        total = sum(t for _, t in totals)
        percent = 100 * sum(done.values()) // total if total else 100
        parts = [f"{terminal(name, limit=40)} {done[name]}/{t}"
                 + (" done" if name in finished else "") for name, t in totals]
        # ASCII only: stderr may not take anything else.
        text = f"secure-gate {percent}% | " + " | ".join(parts) + " files"
        return text if width is None else fit(text, width)

    def __enter__(self) -> Progress:
        if self.stream is not None:
            self._thread = threading.Thread(target=self._run, daemon=True, name="progress")
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._drawn and self.stream is not None:
            self.stream.write(_REDRAW)  # the line goes; whatever is printed next starts clean
            self.stream.flush()

    def draw(self) -> None:
        """Redraw the line in place if it changed (one column is kept free: a line that
        fills the last column makes some terminals wrap)."""
        if self.stream is None:
            return
        text = self.line(max(1, self._columns() - 1))
        if text != self._drawn:
            self.stream.write(_REDRAW + text)
            self.stream.flush()
            self._drawn = text

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self.interval):
            if time.monotonic() - start >= self.delay:
                self.draw()
