"""Where the gate rates a bandit result differently from bandit, and why.

bandit finds what it finds; this only changes the severity (and for B202 the confidence) of a
few results whose rating says more than bandit can know, each time to a rating bandit itself
gives a comparable case. The finding keeps bandit's rule, place and text, gains the tag
``rerated`` and a sentence saying what bandit rated it. ``rules: {B324: {severity: high}}``
in the config puts a rule back at high. The table is README "bandit ratings".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from secure_gate.model import Confidence, Severity

RERATED_TAG = "rerated"


@dataclass(frozen=True, slots=True)
class Rating:
    """A result's severity and confidence, and why they differ from bandit's (if they do)."""

    severity: Severity
    confidence: Confidence
    why: str | None = None


# Rule → (the rating the gate gives instead of bandit's HIGH, why). Only HIGH results move.
_BY_RULE: dict[str, tuple[Severity, str]] = {
    # hashlib md5/sha1 anywhere: bandit cannot tell a cache key, ETag, file checksum or a
    # protocol's digest from a password hash. A fast or broken digest of a password is the
    # practices rule weak-password-hash, which blocks.
    "B324": (Severity.MEDIUM,
             "md5/sha1 is weak only where the digest protects something; a password hashed "
             "this way is reported (and blocks) as practices weak-password-hash"),
    # Importing xmlrpc: bandit rates parsing untrusted XML itself (B313-B320) at medium, and
    # an xmlrpc client parses its own server's answers.
    "B411": (Severity.MEDIUM,
             "bandit rates parsing untrusted XML (B313-B320) at medium; importing xmlrpc "
             "cannot be worse"),
}

# tarfile's own filters and the names of the one that checks nothing.
_UNSAFE_FILTERS = frozenset({"fully_trusted", "fully_trusted_filter"})
_STD_FILTERS = frozenset({"tar", "data", "tar_filter", "data_filter"})


def rate(rule: str, severity: Severity, confidence: Confidence, lines: list[str],
         line: int) -> Rating:
    """The gate's rating of one bandit result at ``line`` of a file with ``lines``."""
    if severity is not Severity.HIGH:
        return Rating(severity, confidence)
    if rule in _BY_RULE:
        new, why = _BY_RULE[rule]
        return Rating(new, confidence, why)
    if rule == "B202":
        return _tar_filter(lines, line) or Rating(severity, confidence)
    return Rating(severity, confidence)


def _tar_filter(lines: list[str], line: int) -> Rating | None:
    """B202 rates ``extractall(filter=...)`` high unless the filter is the literal "data";
    bandit itself rates ``extractall(members=a_function(...))`` low, and a filter is that
    function. Rated as bandit rates ``members=``: a tarfile filter or a function of this
    module low, any other value medium, "fully_trusted" (no check at all) stays high."""
    tree = _parse(lines)
    call = None if tree is None else next(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call)
         and node.lineno == line and _name_of(node.func) == "extractall"), None)
    if tree is None or call is None:
        return None
    value = next((k.value for k in call.keywords if k.arg == "filter"), None)
    if value is None:
        return None
    name = _name_of(value)
    if isinstance(value, ast.Constant):
        if not isinstance(value.value, str) or value.value not in _STD_FILTERS:
            return None
    elif name in _UNSAFE_FILTERS:
        return None
    if isinstance(value, (ast.Constant, ast.Lambda)) \
            or name in _STD_FILTERS or name in _functions(tree):
        return Rating(Severity.LOW, Confidence.LOW,
                      "the call passes tarfile a filter that sees every member, which bandit "
                      "rates low for members=function(...)")
    return Rating(Severity.MEDIUM, Confidence.MEDIUM,
                  "the call passes a filter whose kind bandit cannot see, which bandit rates "
                  "medium for members=...")


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _parse(lines: list[str]) -> ast.Module | None:
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _functions(tree: ast.Module) -> frozenset[str]:
    return frozenset(node.name for node in ast.walk(tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
