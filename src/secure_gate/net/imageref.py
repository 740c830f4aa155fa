"""Container image references read exactly as docker reads them (distribution/reference).

``python:3.12`` is ``docker.io/library/python:3.12``; the first path component is a registry
host only when it has a ``.`` or a ``:`` or is ``localhost`` (and is not lower case letters
alone); ``index.docker.io`` is ``docker.io``; repository names are lower case; a tag is at
most 128 characters; a name is at most 255. The rules are those of
https://github.com/distribution/reference (``ParseNormalizedNamed``), which docker, buildx
and containerd share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_HUB = "docker.io"
_LEGACY_HUB = "index.docker.io"
_OFFICIAL = "library/"
_MAX_NAME = 255

_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_COMPONENT}(?:\.{_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"(?P<domain>{_DOMAIN})/(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?")
_HEX64 = re.compile(r"[a-f0-9]{64}")
SHA256 = re.compile(r"sha256:[0-9a-f]{64}")


class ReferenceError(ValueError):
    """Not an image reference docker would accept; the message says why, as docker does."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A normalised reference: ``domain`` (``docker.io``, ``ghcr.io``, ``localhost:5000``),
    ``path`` (``library/python``), and the tag and digest as written (either may be None)."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``domain/path``: the full repository name."""
        return f"{self.domain}/{self.path}"

    @property
    def host(self) -> str:
        """The domain without its port, lower case (``[::1]`` stays bracketed)."""
        domain = self.domain.lower()
        if domain.startswith("["):
            return domain[:domain.index("]") + 1]
        return domain.rsplit(":", 1)[0] if ":" in domain else domain

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.name}{tag}{digest}"


def _split_domain(text: str) -> tuple[str, str]:
    """docker's ``splitDockerDomain``: where the registry ends and the repository begins."""
    slash = text.find("/")
    first = text[:slash] if slash >= 0 else ""
    if slash < 0 or (not any(c in first for c in ".:") and first != "localhost"
                     and first.lower() == first):
        domain, rest = DOCKER_HUB, text
    else:
        domain, rest = first, text[slash + 1:]
    if domain == _LEGACY_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in rest:
        rest = _OFFICIAL + rest
    return domain, rest


def parse(text: str) -> ImageRef:
    """``text`` as docker normalises it; :class:`ReferenceError` when docker would refuse it."""
    if not text:
        raise ReferenceError("invalid reference format: empty")
    if _HEX64.fullmatch(text):
        raise ReferenceError(f"invalid repository name ({text}), cannot specify 64-byte "
                             "hexadecimal strings")
    domain, rest = _split_domain(text)
    remote = rest.split(":", 1)[0]  # docker cuts at the first ':' only
    if remote.lower() != remote:
        raise ReferenceError(f"invalid reference format: repository name ({remote}) must be "
                             "lowercase")
    match = _REFERENCE.fullmatch(f"{domain}/{rest}")
    if match is None:
        raise ReferenceError(f"invalid reference format: {text}")
    if len(match.group("domain")) + 1 + len(match.group("path")) > _MAX_NAME:
        raise ReferenceError(f"repository name must not be more than {_MAX_NAME} characters")
    return ImageRef(match.group("domain"), match.group("path"), match.group("tag"),
                    match.group("digest"))
