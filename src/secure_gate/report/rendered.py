"""What a size-limited renderer produced: the text and what it had to leave out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered document and the notices to tell the user (for example what was cut)."""

    text: str
    notices: tuple[str, ...] = ()


def plural(count: int, noun: str) -> str:
    """``1 finding`` / ``2 findings`` (nouns here take a plain ``s``)."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
