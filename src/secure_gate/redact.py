"""Credentials in URLs (userinfo, tokens in query strings) replaced before any text is shown.

The repository's own lines (a requirement, a ``pip install`` in a workflow, an index URL)
reach messages, fix hints and notes; ``git+https://x-access-token:ghp_…@github.com/…`` in one
of them must not reach the job log, the PR comment or SARIF. The model applies
:func:`redact` to every text field it holds, so no renderer can forget it.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://userinfo@ : the userinfo runs to the last "@" before the host ends (an unencoded
# "@" inside a password is common enough in hand-written lines to be worth covering).
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^\s/?#@\"'<>`\\]*"
    r"(?:@[^\s/?#@\"'<>`\\]*)*)@(?=[^\s@])")
# A user name alone that carries no secret (ssh://git@host, hg@host).
_PLAIN_USERS = frozenset({"git", "hg", "ssh", "anonymous"})
# name=value in a query string (or a fragment) whose name says it is a credential: token,
# access_token, private_token, key, api_key, apikey, secret, password, sig (Azure SAS),
# X-Amz-Signature, X-Amz-Credential, X-Goog-Signature, auth, session ...
_QUERY = re.compile(
    r"(?P<name>[?&;#](?:[A-Za-z0-9_.-]*?)(?:token|key|secret|passw(?:or)?d|pwd|auth\w*|"
    r"sig|signature|credential|session)[A-Za-z0-9_.-]*=)(?P<value>[^&#\s\"'<>`]+)",
    re.IGNORECASE)


def _userinfo(match: re.Match[str]) -> str:
    info = match.group("userinfo")
    if info.lower() in _PLAIN_USERS:
        return match.group(0)
    return f"{match.group('scheme')}{MASK}@"


def redact(text: str) -> str:
    """``text`` with every URL credential replaced by ``***`` (anything else unchanged)."""
    if "@" not in text and "=" not in text:
        return text  # the common case, at no cost
    text = _USERINFO.sub(_userinfo, text)
    return _QUERY.sub(lambda m: m.group("name") + MASK, text)


def redact_optional(text: str | None) -> str | None:
    """:func:`redact` for optional fields."""
    return None if text is None else redact(text)
