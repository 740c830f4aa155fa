"""Escaping in one place: terminal text, workflow-command data and properties, markdown/HTML.

Every string that came from a scanned repository or a tool is untrusted. Each output
channel has exactly one function here, and renderers call nothing else.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, and the bidirectional formatting characters that can make text
# read differently from what it is (CVE-2021-42574, "Trojan Source").
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
# The runner matches legacy commands anywhere in a line (ActionCommand.TryParse).
_LEGACY = "##["
_LEGACY_SAFE = "#\u200b#["


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line of text that is safe on a terminal and in a CI log.

    Newlines, tabs, escape sequences and bidi controls become visible ``\\xNN``/``\\uNNNN``
    escapes; ``##[`` becomes ``#\\x23[`` so the Actions runner cannot read a legacy command.
    """
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    out = out.replace("\t", "\\t")
    out = _UNSAFE.sub(_visible, out)
    # A visible escape here (the backslash above is doubled, so this reads unambiguously).
    return out.replace(_LEGACY, "#\\x23[")


def command_data(text: str) -> str:
    """Escape a workflow command's message exactly as the runner decodes it.

    ``%``, CR and LF are percent-encoded (``%`` first); ``##[`` is broken because the
    runner looks for legacy commands anywhere in a line.
    """
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(_LEGACY, _LEGACY_SAFE)


def command_property(text: str) -> str:
    """Escape a workflow command property value (also ``:`` and ``,``)."""
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_MD_PUNCT = frozenset("\\`*_{}[]()#+-.!|~:@=$^")


def markdown(text: str, *, limit: int | None = None) -> str:
    """Inline markdown text that renders as exactly these characters, and nothing more.

    HTML specials become entities; every other markdown punctuation mark is
    backslash-escaped (so no emphasis, link, image, table cell, ``@`` mention or code
    span can start); line breaks and control characters become visible escapes.
    """
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    flat = _UNSAFE.sub(_visible, text.replace("\r\n", "\n"))
    out: list[str] = []
    for char in flat:
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _MD_PUNCT:
            out.append("\\" + char)
        elif char in "\n\t":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def markdown_code(text: str, *, limit: int | None = None) -> str:
    """Untrusted text shown as inline code: ``<code>`` with every special escaped."""
    return "<code>" + markdown(text, limit=limit) + "</code>"


def url_component(text: str) -> str:
    """Percent-encode a path for a link to a file in the repository."""
    from urllib.parse import quote

    return quote(text, safe="/")


def is_printable(text: str) -> bool:
    """True when ``text`` has no control or format characters (tests use this)."""
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
