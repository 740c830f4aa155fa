"""The Action's credentials leave the process before anything else starts: re-exec without them.

``os.environ.pop`` only edits Python's copy: the environment block the kernel shows as
``/proc/<pid>/environ`` keeps the token for the life of the process, and any child of the
same user can read it there. Starting children with an explicit environment keeps it out of
*their* block but not out of the parent's, so the door re-executes itself once with the
credentials removed, handing the one it needs (the ``github-token`` input, for the API client
alone) over through a pipe that is read and closed before any worker or tool starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import MutableMapping

from secure_gate.errors import UsageError

TOKEN_INPUT = "INPUT_GITHUB-TOKEN"  # noqa: S105  # nosec B105 (a variable name, not a token)
# Where the re-executed door finds the token: the number of an inherited pipe's read end.
FD_VARIABLE = "SECURE_GATE_TOKEN_FD"  # nosec B105 (a variable name)
# Credentials the gate never needs in its environment (the runner's cache, artifact and OIDC
# tokens, a token a workflow put in the step's env for other tools).
CREDENTIALS = (TOKEN_INPUT, "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN",
               "GITHUB_ENTERPRISE_TOKEN", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_RUNTIME_URL",
               "ACTIONS_RESULTS_URL", "ACTIONS_CACHE_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
               "ACTIONS_ID_TOKEN_REQUEST_URL")
# Far above any real token (a fine-grained PAT is under 100 bytes) and below a pipe's buffer,
# so the write before exec can never block.
MAX_TOKEN_BYTES = 16 * 1024


def reexec_without_credentials(*, keep_token: bool = True, source: str = TOKEN_INPUT) -> None:
    """Replace this process by itself minus :data:`CREDENTIALS`; return if there are none.

    ``keep_token``: hand the token in the variable ``source`` over through a pipe (the
    Action door's API client needs the ``github-token`` input, ``fix`` needs
    ``GITHUB_TOKEN``); the other doors need no credential at all.
    """
    if not any(name in os.environ for name in CREDENTIALS):
        return
    env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    if keep_token:
        token = os.environ.get(source, "").strip().encode()
        if len(token) > MAX_TOKEN_BYTES:
            raise UsageError(f"{_named(source)}: longer than {MAX_TOKEN_BYTES} bytes")
        read_end, write_end = os.pipe()
        os.write(write_end, token)
        os.close(write_end)
        os.set_inheritable(read_end, True)
        env[FD_VARIABLE] = str(read_end)
    sys.stdout.flush()
    sys.stderr.flush()
    # The same interpreter with the same flags and arguments it was started with.
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)  # noqa: S606


def _named(source: str) -> str:
    return "input 'github-token'" if source == TOKEN_INPUT else source


def take_token(environ: MutableMapping[str, str], source: str = TOKEN_INPUT) -> str:
    """The token of ``source``, from the hand-off pipe (or, in-process, the variable).

    Either way it is gone from ``environ`` afterwards and the pipe is closed.
    """
    fd_text = environ.pop(FD_VARIABLE, None)
    if fd_text is None:
        return environ.pop(source, "").strip()
    try:
        fd = int(fd_text)
    except ValueError:
        raise UsageError(f"{FD_VARIABLE} is not a file descriptor") from None
    chunks = []
    try:
        while chunk := os.read(fd, MAX_TOKEN_BYTES + 1):
            chunks.append(chunk)
            if sum(map(len, chunks)) > MAX_TOKEN_BYTES:
                raise UsageError(f"{_named(source)}: longer than {MAX_TOKEN_BYTES} bytes")
    except OSError as exc:
        raise UsageError(f"could not read the token hand-off: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").strip()
