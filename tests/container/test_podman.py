"""The podman helper's own plumbing, on a tiny root filesystem (seconds, not a base build)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from tests.container.podman import Podman, missing_tools

pytestmark = pytest.mark.container

TAG = "localhost/secure-gate-import-check:test"


@pytest.fixture
def podman(tmp_path: Path) -> Podman:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    return Podman.create(tmp_path)


def test_import_rootfs_labels_the_image_and_leaves_no_open_pipe(
        podman: Podman, tmp_path: Path) -> None:
    # The path a new machine takes once (the base image is built, not found): under
    # filterwarnings=error an unclosed tar pipe fails the run as a ResourceWarning.
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "os-release").write_text("ID=check\n", encoding="utf-8")
    try:
        podman.import_rootfs(rootfs, TAG, "k3y")
        gc.collect()  # a leaked pipe is reported when its object is collected
        assert podman.label(TAG, "secure-gate.base-key") == "k3y"
    finally:
        podman.run("rmi", "-f", TAG, check=False)


def test_import_rootfs_failure_is_an_error_with_podman_output(
        podman: Podman, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="podman import"):
        podman.import_rootfs(tmp_path / "absent", "localhost/UPPER:bad", "k")
    gc.collect()
