"""Dockerfiles: FROM in every stage, ARG defaults, COPY --from, and RUN pip installs by line."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.pins import dockerfile

DIGEST = "sha256:" + "0123456789abcdef" * 4
PINNED = f"python:3.12-slim@{DIGEST}"


def found(text: str) -> list[tuple[str, int, str]]:
    return sorted((f.rule, f.location.line or 0, f.confidence.label)
                  for f in dockerfile.check("Dockerfile", text))


IMAGE = "unpinned-image"
PIP = "unpinned-pip-install"

# (case, Dockerfile, expected (rule, line, confidence)): FROM cases follow Scorecard's semantics.
CASES = [
    ("tag", "FROM python:3.12-slim\n", [(IMAGE, 1, "high")]),
    ("no tag", "FROM ubuntu\n", [(IMAGE, 1, "high")]),
    ("registry with port", "FROM registry.local:5000/team/app:1.2\n", [(IMAGE, 1, "high")]),
    ("digest", f"FROM {PINNED}\n", []),
    ("digest without tag", f"FROM python@{DIGEST}\n", []),
    ("short digest", "FROM python@sha256:0123abcd\n", [(IMAGE, 1, "high")]),
    ("lower-case keyword", "from python:3.12\n", [(IMAGE, 1, "high")]),
    ("scratch", "FROM scratch\n", []),
    ("scratch upper", "FROM SCRATCH AS base\nFROM base\n", []),
    ("platform flag", "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n",
     [(IMAGE, 1, "high")]),
    ("platform flag pinned", f"FROM --platform=linux/amd64 {PINNED}\n", []),
    ("earlier stage", f"FROM {PINNED} AS build\nRUN make\nFROM build\n", []),
    ("stage names ignore case", f"FROM {PINNED} as Builder\nFROM builder AS final\n", []),
    ("multi-stage, each FROM", "FROM golang:1.22 AS build\nFROM alpine:3.20\nFROM build\n",
     [(IMAGE, 1, "high"), (IMAGE, 2, "high")]),
    ("later stage name is not earlier", "FROM app\nFROM python:3 AS app\n",
     [(IMAGE, 1, "high"), (IMAGE, 2, "high")]),
    ("ARG default unpinned", "ARG BASE=python:3.12\nFROM ${BASE}\n", [(IMAGE, 2, "high")]),
    ("ARG default pinned", f"ARG BASE={PINNED}\nFROM $BASE\n", []),
    ("ARG default quoted", f'ARG BASE="{PINNED}"\nFROM ${{BASE}}\n', []),
    ("ARG parts", f"ARG TAG=3.12\nARG D={DIGEST}\nFROM python:${{TAG}}@${{D}}\n", []),
    ("ARG tag only", "ARG TAG=3.12\nFROM python:${TAG}\n", [(IMAGE, 2, "high")]),
    ("ARG without default", "ARG BASE\nFROM ${BASE}\n", [(IMAGE, 2, "low")]),
    ("ARG never declared", "FROM ${BASE}\n", [(IMAGE, 1, "low")]),
    ("ARG default in expression", f"FROM ${{BASE:-{PINNED}}}\n", []),
    ("digest from a build arg", "ARG D\nFROM python@sha256:${D}\n", []),
    ("stage ARG does not reach FROM",
     f"ARG IMG={PINNED}\nFROM $IMG AS a\nARG IMG=alpine:3\nFROM $IMG\n", []),
    ("global ARG re-declared in stage",
     "ARG V=requests==2.32.3\nFROM scratch\nARG V\nRUN pip install $V\n", []),
    ("stage ARG not redeclared", "ARG V=requests\nFROM scratch\nRUN pip install $V\n",
     [(PIP, 3, "low")]),
    ("ARG parts assemble a digest", f"ARG REG=docker.io\nARG GO=1.22-alpine@{DIGEST}\n"
     "FROM ${REG}/library/golang:${GO} AS golang\nFROM golang AS tool\n", []),
    ("ARG names an earlier stage", f"ARG V=9.0\nFROM sdk@{DIGEST} AS dotnet-sdk-9.0\n"
     "FROM dotnet-sdk-${V} AS build\n", []),
    ("digest variable with unknown name", "FROM ${IMG}:@sha256:${HASH}\n", []),
    ("tag from an unknown variable", "FROM other:${SOMETHING}\n", [(IMAGE, 1, "low")]),
    ("stage built on an unpinned image is reported once",
     "FROM python:3.7 AS build\nRUN make\n   FROM build\n", [(IMAGE, 1, "high")]),
    ("COPY --from image", "FROM scratch\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n",
     [(IMAGE, 2, "high")]),
    ("COPY --from stage and index", f"FROM {PINNED} AS b\nFROM b\nCOPY --from=b /a /a\n"
     "COPY --from=0 /a /a\n", []),
    ("COPY --from digest", f"FROM scratch\nCOPY --from={PINNED} /a /a\n", []),
    ("RUN pip", "FROM scratch\nRUN pip install flask\n", [(PIP, 2, "high")]),
    ("RUN pinned", "FROM scratch\nRUN pip install flask==3.0.3 'django===5.0'\n", []),
    # As seen in a real Dockerfile: the unpinned packages are on the pip wheel line.
    ("RUN pip wheel", "FROM scratch AS build\nRUN pip wheel --no-cache-dir --wheel-dir /wheels "
     "-r requirements.txt apprise uwsgi\nFROM scratch\nCOPY --from=build /wheels /wheels\n"
     "RUN pip install --no-deps /wheels/*\n", [(PIP, 2, "high"), (PIP, 2, "high")]),
    # The findings belong on the pip wheel line, not on the install of what it built.
    ("install of pip wheel's output", "FROM scratch AS build\nRUN pip wheel --wheel-dir=/wheels/ "
     "-r requirements.txt apprise\nFROM scratch\nCOPY --from=build /wheels /wheels\n"
     "RUN pip install /wheels/* && pip install /wheels/app-1.0.tar.gz\n", [(PIP, 2, "high")]),
    ("install of a --no-deps wheel folder", "FROM scratch\nRUN pip wheel --no-deps -w /w .\n"
     "RUN pip install /w/*\n", [(PIP, 3, "high")]),
    ("install of a folder nothing filled", "FROM scratch\nRUN pip wheel -w /w flask==3.0.3\n"
     "RUN pip install /other/*\n", [(PIP, 3, "high")]),
    ("a folder, not its files", "FROM scratch\nRUN pip download -d /d flask==3.0.3\n"
     "RUN pip install /d\n", [(PIP, 3, "high")]),
    ("RUN python -m pip download", "FROM scratch\nRUN python3 -m pip download -d /d flask\n",
     [(PIP, 2, "high")]),
    ("RUN require-hashes", "FROM scratch\nRUN pip install --require-hashes -r r.txt\n", []),
    ("RUN -r defers", "FROM scratch\nRUN pip install -r requirements.txt\n", []),
    ("RUN continuation", "FROM scratch\nRUN apt-get update \\\n && pip install \\\n"
     "      requests==2.32.3 \\\n      # a comment line\n\n      flask\n",
     [(PIP, 7, "high")]),
    ("RUN flags", "FROM scratch\nRUN --mount=type=cache,target=/root/.cache \\\n"
     "    pip3 install --no-cache-dir uvicorn\n", [(PIP, 3, "high")]),
    ("RUN python -m pip", "FROM scratch\nRUN python3 -m pip install -U pip setuptools\n",
     [(PIP, 2, "high"), (PIP, 2, "high")]),
    ("RUN ENV variable", "FROM scratch\nENV PKG=flask==3.0.3\nRUN pip install $PKG\n", []),
    ("RUN ENV legacy form", "FROM scratch\nENV PKG flask\nRUN pip install ${PKG}\n",
     [(PIP, 3, "high")]),
    ("RUN sh -c", "FROM scratch\nRUN sh -c 'pip install flask'\n", [(PIP, 2, "high")]),
    ("RUN exec form", 'FROM scratch\nRUN ["pip", "install", "flask"]\n', [(PIP, 2, "high")]),
    ("RUN exec shell", 'FROM scratch\nRUN ["/bin/sh", "-c", "pip install flask"]\n',
     [(PIP, 2, "high")]),
    ("RUN heredoc", "FROM scratch\nRUN <<EOF\nset -e\npip install flask\nEOF\n",
     [(PIP, 4, "high")]),
    ("RUN heredoc bash", "FROM scratch\nRUN bash -e <<'EOT'\n\tpip install a==1\n"
     "pip install b\nEOT\n", [(PIP, 4, "high")]),
    ("RUN heredoc dash strips tabs", "FROM scratch\nRUN <<-EOF\n\tpip install flask\n\tEOF\n",
     [(PIP, 3, "high")]),
    ("RUN heredoc python", "FROM scratch\nRUN python3 <<EOF\nprint('pip install x')\nEOF\n",
     []),
    ("RUN heredoc shebang", "FROM scratch\nRUN <<EOF\n#!/usr/bin/env python3\n"
     "print('pip install x')\nEOF\n", []),
    ("COPY heredoc is data", "FROM scratch\nCOPY <<EOF /app/run.sh\npip install x\nEOF\n", []),
    ("two heredocs", "FROM scratch\nRUN <<A bash && cat <<B > /f\npip install x\nA\n"
     "pip install y\nB\n", [(PIP, 3, "high")]),
    ("shell heredoc inside RUN", "FROM scratch\nRUN cat > /f <<EOF && pip install z\n"
     "pip install y\nEOF\n", [(PIP, 2, "high")]),
    ("escape directive", "# escape=`\nFROM scratch\nRUN pip install `\n    flask\n",
     [(PIP, 4, "high")]),
    ("crlf", "FROM python:3\r\nRUN pip install \\\r\n  flask\r\n",
     [(IMAGE, 1, "high"), (PIP, 3, "high")]),
    ("empty", "", []),
    ("comments only", "# just a comment\n\n   # another\n", []),
    ("no FROM", "RUN pip install flask\n", [(PIP, 1, "high")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_dockerfiles(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert found(text) == sorted(expected)


def test_columns_and_fix_for_from() -> None:
    text = "FROM --platform=linux/amd64 python:3.12-slim AS app\n"
    (finding,) = dockerfile.check("Dockerfile", text)
    column, end = finding.location.column, finding.location.end_column
    assert column is not None and end is not None
    assert text[column - 1: end] == "python:3.12-slim"
    assert finding.fix == "FROM python:3.12-slim@sha256:<digest>"
    assert "python:3.12-slim@sha256:<digest>" in finding.message


def test_arg_resolution_is_explained() -> None:
    (finding,) = dockerfile.check("Dockerfile", "ARG BASE=python:3.12\nFROM ${BASE}\n")
    assert "`${BASE}` resolves to it" in finding.message
    (unknown,) = dockerfile.check("Dockerfile", "FROM ${BASE}\n")
    assert unknown.confidence is Confidence.LOW and "cannot be resolved" in unknown.message


def test_pip_column_on_a_continuation_line() -> None:
    text = "FROM scratch\nRUN pip install \\\n    requests==2.32.3 \\\n    flask\n"
    (finding,) = dockerfile.check("Dockerfile", text)
    assert (finding.location.line, finding.location.column) == (4, 5)
    assert finding.fix == "pip install flask==X.Y.Z"


@pytest.mark.parametrize(("text", "fragment"), [
    ("FROM scratch\nRUN <<EOF\npip install x\n", "line 2: here-document <<EOF is never closed"),
    ("FROM\n", "line 1: FROM needs"),
    ("FROM a b c d\n", "line 1: FROM needs"),
    ("FROM python:3 FOR app\n", "line 1: FROM needs"),
], ids=["heredoc", "empty-from", "too-many", "not-as"])
def test_unreadable_dockerfile_is_an_error_naming_the_line(text: str, fragment: str) -> None:
    with pytest.raises(dockerfile.DockerfileError, match=fragment):
        dockerfile.check("Dockerfile", text)
