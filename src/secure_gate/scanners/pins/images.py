"""Container image references: pinned means an ``@sha256:`` digest, and how to say so."""

from __future__ import annotations

import re

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# A digest supplied by a build argument (``name@sha256:${DIGEST}``) still fixes the content.
_ARG_DIGEST = re.compile(r"@sha256:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?[-+][^}]*)?\}?$")


def is_pinned(reference: str) -> bool:
    """True when ``reference`` names an image by content (``@sha256:<64 hex>``)."""
    return bool(_DIGEST.search(reference.strip()))


def digest_from_argument(raw: str) -> bool:
    """True when the digest itself is a variable, as Scorecard accepts."""
    return bool(_ARG_DIGEST.search(raw.strip()))


def pinned_form(reference: str) -> str:
    """``reference`` with a digest placeholder (the tag may stay, as documentation)."""
    base = reference.strip().split("@", 1)[0]
    return f"{base}@sha256:<digest>"


def explain(reference: str, how: str) -> str:
    """The message for an unpinned image: what is wrong and the form to use."""
    base, at, digest = reference.strip().partition("@")
    if at:
        moving = f"has `@{digest}`, which is not a full sha256 digest"
    elif ":" not in base.rsplit("/", 1)[-1]:
        moving = "has no tag, so it means `latest`, which moves"
    else:
        moving = "is a tag, and tags can be moved to a different image"
    return (f"{how} `{reference}` {moving}; pin it by digest: `{pinned_form(reference)}` "
            f"(`docker buildx imagetools inspect {base}` prints the digest)")
