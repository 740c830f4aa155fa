"""Typed errors and the one place that maps them to exit codes."""

from __future__ import annotations

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_SCANNER_ERROR = 3


class GateError(Exception):
    """Base of the errors that end a run with a message and an exit code."""

    exit_code = EXIT_USAGE


class UsageError(GateError):
    """Bad command-line use: exit 2."""


class ConfigError(GateError):
    """A configuration file that cannot be used: exit 2, naming file, key and problem."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")


class ScannerError(Exception):
    """A scanner could not complete; the runner turns it into ``status: error``."""
