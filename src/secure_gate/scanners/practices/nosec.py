"""``# nosec`` comments: bare (every rule on the line) or naming rules (only those)."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping

from secure_gate.scanners.practices.rules import Hit

ALL = frozenset({"*"})  # a bare `# nosec`
_NOSEC = re.compile(r"#\s*nosec\b:?(?P<tail>[^#]*)", re.IGNORECASE)
# Rule ids of any scanner: ours are lowercase words joined by hyphens, bandit's B123.
_RULE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+|B\d{3}", re.IGNORECASE)

Comments = Mapping[int, frozenset[str]]  # line → the rules a nosec there silences


def parse(comment: str) -> frozenset[str] | None:
    """The rules a comment's ``nosec`` names (:data:`ALL` when bare), or None without one.

    Like bandit, words after ``nosec`` that are not rule ids (a reason) leave it bare.
    """
    match = _NOSEC.search(comment)
    if match is None:
        return None
    ids = _RULE_ID.findall(match.group("tail"))
    return frozenset(i.lower() for i in ids) if ids else ALL


def python_comments(source: bytes) -> dict[int, frozenset[str]]:
    """The nosec comments of Python source, found by the tokenizer (never in strings)."""
    if b"nosec" not in source.lower():
        return {}
    out: dict[int, frozenset[str]] = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT:
                rules = parse(token.string)
                if rules is not None:
                    out[token.start[0]] = rules
    except (tokenize.TokenError, SyntaxError):
        pass  # the AST parsed, so this is only the tokenizer's stricter view of the tail
    return out


def line_comments(lines: list[str], *, whole_line_only: bool = False) -> dict[int, frozenset[str]]:
    """nosec comments in YAML (``#`` after a space) or Dockerfiles (``#`` lines only)."""
    out: dict[int, frozenset[str]] = {}
    for number, text in enumerate(lines, start=1):
        stripped = text.lstrip()
        if whole_line_only:
            comment = stripped if stripped.startswith("#") else ""
        else:
            at = 0 if stripped.startswith("#") else text.find(" #")
            comment = text[at:] if at >= 0 else ""
        rules = parse(comment) if "nosec" in comment.lower() else None
        if rules is not None:
            out[number] = rules
    return out


def silenced(hit: Hit, comments: Comments) -> bool:
    """True when a nosec comment in the hit's range names its rule (or is bare)."""
    if not comments or hit.line is None:
        return False
    first, last = hit.nosec_lines or (hit.line, hit.line)
    for number in range(first, last + 1):
        rules = comments.get(number)
        if rules is not None and (rules is ALL or "*" in rules or hit.rule in rules):
            return True
    return False


def apply(hits: list[Hit], comments: Comments) -> tuple[list[Hit], int]:
    """The hits no nosec silences, and how many were silenced."""
    kept = [h for h in hits if not silenced(h, comments)]
    return kept, len(hits) - len(kept)
