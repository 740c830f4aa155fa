# The secure-gate GitHub Action: one image with the gate, its scanners and git.
#
# The base is the official Python image pinned by its multi-platform digest
# (python:3.12-slim-bookworm, Python 3.12.13); tests swap in a local base through BASE_IMAGE.
# Check a new digest with `docker buildx imagetools inspect python:3.12-slim-bookworm`; the
# lock files carry cp312 wheels for x86_64 and aarch64, so both runner kinds build it.
ARG BASE_IMAGE=python:3.12-slim-bookworm@sha256:8a7e7cc04fd3e2bd787f7f24e22d5d119aa590d429b50c95dfe12b3abe52f48b
FROM ${BASE_IMAGE}

# No USER and no WORKDIR: GitHub runs Docker actions as root with the workspace mounted at
# /github/workspace; the entrypoint itself drops to the workspace owner's uid.
ENV PATH=/opt/secure-gate/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_NO_INPUT=1

# git lists the tracked files and reads base commits. The workspace belongs to the runner's
# user, not root: safe.directory is only honoured from protected (system/global) config.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /github/workspace

# Dependencies only from the lock files, every file checked against its hash; --no-deps
# because the lock is complete (pip check proves it), so pip resolves and downloads nothing else.
COPY requirements/runtime.txt requirements/build.txt /tmp/secure-gate/requirements/
RUN python3 -m venv /opt/secure-gate \
    && /opt/secure-gate/bin/python -m pip install --require-hashes --no-deps \
        -r /tmp/secure-gate/requirements/runtime.txt \
        -r /tmp/secure-gate/requirements/build.txt \
    && /opt/secure-gate/bin/python -m pip check

# The gate itself, built with the pinned build tools (no isolated build, no downloads).
COPY pyproject.toml README.md /tmp/secure-gate/
COPY src /tmp/secure-gate/src
RUN /opt/secure-gate/bin/python -m pip install --no-deps --no-build-isolation /tmp/secure-gate \
    && rm -rf /tmp/secure-gate \
    && secure-gate --version

COPY entrypoint/entrypoint.py /opt/secure-gate-entrypoint/entrypoint.py

# Image metadata (no layer). scripts/release keeps the version equal to secure_gate.__version__
# (tests/test_release.py checks it); the release workflow adds the commit it built.
LABEL org.opencontainers.image.title="secure-gate" \
      org.opencontainers.image.description="One security gate for Python repositories" \
      org.opencontainers.image.source="https://github.com/secure-gate/secure-gate" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.2.1.dev0"

ENTRYPOINT ["/opt/secure-gate/bin/python", "-I", "-B", "/opt/secure-gate-entrypoint/entrypoint.py"]
