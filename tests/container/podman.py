"""Build and run the Action's image with podman the way GitHub's runner runs it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
CACHE = PROJECT / ".cache" / "container"
BASE_TAG = "localhost/secure-gate-base:test"
IMAGE_TAG = "localhost/secure-gate:test"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3", "python3-venv", "python3-pip", "git", "ca-certificates")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# crun fails on this kind of machine (cgroup hybrid mode), and NOFILE cannot be raised.
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n'


def missing_tools() -> str | None:
    """Why the container tests cannot run here, or None when they can."""
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/test installs podman, runc, debootstrap)"
    if os.geteuid() != 0:
        return "the podman recipe here needs root (rootful podman with runc)"
    return None


def base_key() -> str:
    """Names the cached base image by everything that went into it."""
    recipe = "\n".join((SUITE, MIRROR, "minbase", *PACKAGES))
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Podman:
    """podman with this sandbox's config."""

    env: Mapping[str, str]

    @classmethod
    def create(cls, folder: Path) -> Podman:
        conf = folder / "containers.conf"
        conf.write_text(CONTAINERS_CONF, encoding="utf-8")
        return cls({**os.environ, "CONTAINERS_CONF": str(conf)})

    def run(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None,
            timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["podman", *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args[:3])} failed ({done.returncode}):\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def label(self, image: str, name: str) -> str | None:
        done = self.run("image", "inspect", "--format", f"{{{{index .Labels \"{name}\"}}}}",
                        image, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def ensure_base(self) -> str:
        """The debootstrapped Debian base, from podman's store, the archive cache, or built."""
        key = base_key()
        if self.label(BASE_TAG, "secure-gate.base-key") == key:
            return BASE_TAG
        archive = CACHE / f"base-{key}.tar"
        if archive.is_file():
            self.run("load", "-q", "-i", str(archive))
            if self.label(BASE_TAG, "secure-gate.base-key") == key:
                return BASE_TAG
        if shutil.which("debootstrap") is None:
            raise LookupError("debootstrap is not installed and no cached base image exists")
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sg-rootfs-") as rootfs:
            subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
                            SUITE, rootfs, MIRROR], check=True, capture_output=True, timeout=1800)
            self.import_rootfs(Path(rootfs), BASE_TAG, key)
        partial = archive.with_suffix(".partial")
        self.run("save", "-q", "-o", str(partial), BASE_TAG)
        partial.replace(archive)
        return BASE_TAG

    def import_rootfs(self, rootfs: Path, tag: str, key: str) -> None:
        """``tar -c ROOTFS | podman import -`` with the base key as a label."""
        # The pipe's read end is closed here too: left to the garbage collector it raises
        # ResourceWarning (an error under pytest) on the one run that builds the base.
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."],
                              stdout=subprocess.PIPE) as tar:
            done = subprocess.run(["podman", "import", "--change",
                                   f"LABEL secure-gate.base-key={key}", "-", tag],
                                  stdin=tar.stdout, env=dict(self.env), check=False,
                                  capture_output=True, text=True)
        if tar.returncode != 0 or done.returncode != 0:
            raise AssertionError(f"tar ({tar.returncode}) | podman import ({done.returncode}) "
                                 f"failed:\n{done.stderr[-3000:]}")

    def build(self, base: str) -> str:
        """The Action's image from the project's Dockerfile with the local base swapped in."""
        self.run("build", "--network", "host", "-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro",
                 "--build-arg", f"BASE_IMAGE={base}", "-t", IMAGE_TAG, "-f",
                 str(PROJECT / "Dockerfile"), str(PROJECT))
        return IMAGE_TAG

    def size(self, image: str) -> int:
        """The image's size in bytes, as podman reports it."""
        return int(self.run("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())

    def run_action(self, image: str, *, workspace: Path, file_commands: Path, workflow: Path,
                   env: Mapping[str, str], network: str = "none",
                   extra: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        """``docker run`` as the runner builds it: mounts, workdir, env passed by name."""
        args = ["run", "--rm", "--network", network, "--workdir", "/github/workspace",
                "-v", f"{workspace}:/github/workspace", "-v", f"{file_commands}:/github/"
                "file_commands", "-v", f"{workflow}:/github/workflow",
                "-e", "GITHUB_ACTIONS=true", "-e", "CI=true", *extra]
        for name in env:
            args += ["-e", name]  # by name: values never appear on a command line
        return self.run(*args, image, check=False, env=env, timeout=900)
