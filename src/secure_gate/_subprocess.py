"""The one way the gate runs another program: argv only, bounded time, typed failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Scanners and git get only what they need from the environment: never the GitHub token,
# the runtime token or any INPUT_* value (least privilege, and nothing for a hostile
# setup.py or plugin to steal, should one ever run).
_PASSED_THROUGH = (
    "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP", "TZ",
    "SYSTEMROOT", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy",
    "no_proxy", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "PIP_CERT",
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "XDG_CACHE_HOME", "VIRTUAL_ENV",
)


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment handed to every child process."""
    env = {k: v for k, v in os.environ.items() if k in _PASSED_THROUGH}
    env.setdefault("PATH", os.defpath)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env["NO_COLOR"] = "1"
    # Never let git page, prompt or read a global config's pager/credential helper.
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_PAGER"] = "cat"
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished child process."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    def stderr_text(self, limit: int = 2000) -> str:
        """The tail of stderr as text, for error messages."""
        text = self.stderr.decode("utf-8", "replace").strip()
        return text[-limit:]


class ToolFailure(Exception):
    """A child process that could not be started or did not finish in time."""

    def __init__(self, argv: Sequence[str], message: str) -> None:
        self.argv = tuple(argv)
        super().__init__(message)


# Where every child starts: never inside the scanned repository, whose files are data.
NEUTRAL_CWD = "/"


def python_module(module: str) -> list[str]:
    """argv prefix that runs ``module`` with the interpreter the gate itself runs on.

    ``-I`` (isolated mode) keeps the working directory and the script's folder off
    ``sys.path`` and ignores every ``PYTHON*`` variable and the user site, so nothing in
    the scanned repository (a ``secure_gate/`` or ``yaml/`` package, a ``sitecustomize.py``
    or ``usercustomize.py``) can be imported in place of ours.
    """
    return [sys.executable, "-I", "-m", module]


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    timeout: float | None = None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> Completed:
    """Run ``argv`` (never through a shell); kill its whole process group on timeout."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else tool_env(),
            start_new_session=True,
        )
    except OSError as exc:
        raise ToolFailure(argv, f"could not start {argv[0]}: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise ToolFailure(argv, f"timed out after {timeout:g}s") from None
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    return Completed(tuple(argv), proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
