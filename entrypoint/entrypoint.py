"""The Action container's first process: drop to the workspace owner, then run the gate."""

from __future__ import annotations

import os
import sys
import tempfile

# The image's virtualenv; -I ignores PYTHON* variables and the user site, -B writes no
# bytecode into anyone's folders (the image was compiled at build time).
PYTHON = "/opt/secure-gate/bin/python"
COMMAND = (PYTHON, "-I", "-B", "-X", "utf8", "-m", "secure_gate", "github")


# Runner credentials the gate never needs (cache, artifacts, OIDC): gone before it starts.
DROPPED = ("ACTIONS_RUNTIME_TOKEN", "ACTIONS_RUNTIME_URL", "ACTIONS_RESULTS_URL",
           "ACTIONS_CACHE_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")


def _say(message: str) -> None:
    # Only fixed text and numbers: nothing here comes from the repository.
    sys.stderr.write(f"secure-gate entrypoint: {message}\n")


def drop_privileges(workspace: str) -> None:
    """Become the workspace's owner when we are root and it is not.

    GitHub runs the container as root while the workspace belongs to the runner's user
    (uid 1001 on hosted runners): files root writes there break the next checkout
    (actions/runner#434), and the scanners need nothing of root.
    """
    if os.getuid() != 0:
        return
    info = os.stat(workspace)
    if info.st_uid == 0:
        return
    os.setgroups([])
    os.setgid(info.st_gid)
    os.setuid(info.st_uid)
    if os.getuid() == 0 or os.geteuid() == 0 or os.getegid() != info.st_gid:
        raise OSError("could not give up root")
    home = os.environ.get("HOME", "")
    if not home or not os.access(home, os.W_OK | os.X_OK):
        # The runner's /github/home belongs to the same user; anywhere else gets a private one.
        os.environ["HOME"] = tempfile.mkdtemp(prefix="secure-gate-home-")


def main() -> int:
    """Drop privileges, then replace this process with ``secure-gate github``."""
    workspace = os.environ.get("GITHUB_WORKSPACE") or "/github/workspace"
    try:
        drop_privileges(workspace)
    except OSError as exc:
        _say(f"cannot prepare the workspace {workspace!r}: {exc.strerror or exc}")
        return 2
    for name in DROPPED:
        os.environ.pop(name, None)
    os.execv(PYTHON, list(COMMAND))  # noqa: S606 (argv only, absolute path: no shell)
    return 2  # unreachable: execv only returns by raising


if __name__ == "__main__":
    raise SystemExit(main())
