"""A worker process: JSON-lines requests on stdin, one JSON answer per line on stdout."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import traceback
from importlib import import_module
from types import ModuleType

# A task names the module that serves it: ``run(request) -> answer`` and ``preload()``. The
# scanners declare theirs (``Scanner.worker``); this process only ever imports our own modules.
_ALLOWED_PREFIX = "secure_gate.scanners."


def _module(kind: str) -> ModuleType:
    if not kind.startswith(_ALLOWED_PREFIX):
        raise ValueError(f"not a secure-gate worker task: {kind!r}")
    return import_module(kind)


def _preload(kind: str) -> None:
    """Import a tool before the first request, while the gate is still walking files.

    A task that cannot be preloaded is not fatal here: its first request fails with why.
    """
    try:
        _module(kind).preload()
    except Exception:
        traceback.print_exc(file=sys.stderr)


def _rss_kb() -> int:
    """This process's resident size, so the pool can replace a worker that grew."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


PARENT_ENV = "SECURE_GATE_WORKER_PARENT"


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the gate that started it dies, however it dies
    (even SIGKILL, which leaves the gate no chance to kill its workers itself)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the gate's own SIGTERM/SIGINT handling still kills workers
    # The gate died before the request above was made: this worker was re-parented. The gate
    # says its own pid (in a container it may itself be pid 1, so "parent is 1" proves nothing).
    expected = os.environ.get(PARENT_ENV, "")
    if expected.isdigit() and os.getppid() != int(expected):
        os._exit(1)


def serve(argv: list[str]) -> int:
    """Answer requests until stdin closes."""
    _die_with_parent()
    # The protocol owns the real stdout; anything a tool prints goes to stderr instead.
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if argv[:1] == ["--preload"] and len(argv) == 2:
        _preload(argv[1])
    for line in sys.stdin:
        request = json.loads(line)
        try:
            handler = _module(str(request["kind"])).run
            answer = {"id": request["id"], "ok": True, "result": handler(request),
                      "rss_kb": _rss_kb()}
        except Exception as exc:  # reported to the gate, which fails the scanner closed
            traceback.print_exc(file=sys.stderr)
            answer = {"id": request.get("id"), "ok": False,
                      "error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(serve(sys.argv[1:]))
