"""Progress on a terminal for scans longer than a couple of seconds; silent otherwise."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from secure_gate.report.escape import terminal


class Progress:
    """Files done per scanner, redrawn on one stderr line while the scan runs."""

    def __init__(self, stream: TextIO | None, *, delay: float = 2.0,
                 interval: float = 0.5) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self._done: dict[str, int] = {}
        self._total: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

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

    def line(self) -> str:
        """The current status line."""
        with self._lock:
            parts = [f"{terminal(name)} {min(self._done.get(name, 0), total)}/{total}"
                     for name, total in sorted(self._total.items())]
        return "secure-gate: " + ", ".join(parts) + " files"

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
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self.interval):
            if time.monotonic() - start < self.delay or self.stream is None:
                continue
            self.stream.write("\r\x1b[K" + self.line())
            self.stream.flush()
            self._drawn = True
