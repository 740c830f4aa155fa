"""Escaping in one place: terminal text, workflow commands, markdown/HTML, SARIF text, links.

Every string that came from a scanned repository or a tool is untrusted. Each output
channel has its functions here, and renderers call nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote_from_bytes

# Never shown raw: controls (Cc); invisible formatting such as bidi overrides, zero-width
# marks and tag characters (Cf; CVE-2021-42574 "Trojan Source"); line and paragraph
# separators (Zl, Zp); lone surrogates (Cs); and every space but U+0020 (Zs), since
# "a\u00a0b.py" must not pass for "a b.py".
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")
# The runner matches legacy commands anywhere in a line (ActionCommand.TryParse).
_LEGACY = "##["
# A word GitHub could turn into a @mention, a #123 / owner/repo#1 reference or a :emoji:.
# Its filters skip text inside <code>, so such a word is shown as code: nothing is inserted
# into the text, and what a reader copies is exactly what the repository had.
_REFERENCE = re.compile(r"[^\s]*[@#][^\s]*|:[A-Za-z0-9_+-]+:")


def _escape_hidden(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def reveal(text: str, *, keep: str = "") -> str:
    """``text`` with every hidden character (except those in ``keep``) as a visible escape."""

    def sub(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep or unicodedata.category(char) not in _HIDDEN:
            return char
        return _escape_hidden(char)

    return _NOT_PLAIN_ASCII.sub(sub, text)


def _one_line(text: str) -> str:
    # Backslashes are doubled first so that every escape below reads unambiguously.
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return reveal(out.replace("\t", "\\t"))


def shorten(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` code points, ending in ``…`` when it was cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(0, limit - 1)] + "…"


def terminal(text: str, *, limit: int | None = None) -> str:
    """One line of text that is safe on a terminal and in a CI log.

    Newlines, tabs, escape sequences, bidi controls and odd spaces become visible
    ``\\n``/``\\xNN``/``\\uNNNN`` escapes (backslashes are doubled); ``##[`` becomes
    ``#\\x23[`` so the Actions runner cannot read a legacy command, and a fragment that
    would start a line with ``::`` has its first colon escaped.
    """
    out = _one_line(shorten(text, limit)).replace(_LEGACY, "#\\x23[")
    stripped = out.lstrip(" ")
    if stripped.startswith("::"):
        at = len(out) - len(stripped)
        out = out[:at] + "\\x3a" + out[at + 1:]
    return out


def command_data(text: str) -> str:
    """Escape a workflow command's data so that the runner decodes exactly ``text``.

    ``%`` first, then CR and LF are percent-encoded (ActionCommand.cs ``UnescapeData``
    reverses this). Exactness matters: ``::add-mask::`` must register the very secret.
    ``##[`` inside our own command line is harmless (the runner parses a line starting
    with ``::`` as a modern command and then never looks for a legacy one in it); text
    meant for people, such as an annotation's message, goes through :func:`terminal`
    first, which also shows hidden characters and breaks ``##[`` for whoever prints the
    message again.
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(text: str) -> str:
    """Escape a workflow command property value; the runner decodes it back exactly.

    Also ``:`` and ``,`` are percent-encoded, so the value can end neither the property
    nor the command's head. The value is otherwise kept as is, since a ``file`` property
    must name the real file. The runner trims the whole property list, so the caller puts
    last a property whose value does not end in whitespace.
    """
    return command_data(text).replace(":", "%3A").replace(",", "%2C")


_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_MD_PUNCT = frozenset("\\`*_{}[]()#+-.!|~:=$^@")


def _prose(text: str) -> str:
    """HTML specials as entities, every markdown punctuation mark backslash-escaped: read
    back as exactly ``text`` in prose and inside ``<code>`` (a backtick, pipe or emphasis
    mark is never markup), and copying the rendered text gives ``text`` again."""
    out: list[str] = []
    for char in text:
        if char in _MD_ENTITIES:
            out.append(_MD_ENTITIES[char])
        elif char in _MD_PUNCT:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def markdown(text: str, *, limit: int | None = None) -> str:
    """Inline markdown text that renders as exactly these characters, and nothing more.

    HTML specials become entities; every other markdown punctuation mark is
    backslash-escaped, so no emphasis, link, image, autolink, table cell or code span can
    start; a word with ``@`` or ``#`` (or a ``:shortcode:``) is shown as ``<code>``, where
    GitHub makes no mention, reference or emoji of it, and no character is added to it;
    line breaks and tabs become spaces and other hidden characters visible escapes.
    """
    flat = reveal(shorten(text, limit).replace("\r\n", "\n"), keep="\n\t")
    flat = flat.replace("\n", " ").replace("\t", " ")
    out: list[str] = []
    at = 0
    for match in _REFERENCE.finditer(flat):
        out.append(_prose(flat[at:match.start()]))
        out.append("<code>" + _prose(match.group()) + "</code>")
        at = match.end()
    out.append(_prose(flat[at:]))
    return "".join(out)


def markdown_code(text: str, *, limit: int | None = None) -> str:
    """Untrusted text (a path, a rule id) as inline ``<code>``, every character visible.

    Line breaks and other hidden characters are shown as backslash escapes, like
    :func:`terminal`, so two different file names never look the same.
    """
    return "<code>" + _prose(_one_line(shorten(text, limit))) + "</code>"


def code_span(text: str) -> str:
    """A markdown code span showing exactly ``text`` (one line, hidden characters visible).

    The fence is one backtick longer than the longest run inside, and a space pads a text
    that starts or ends with a backtick, so the backticks of the text are shown and never
    end the span (CommonMark 6.1). For table cells use :func:`markdown_code`: a ``|``
    would end the cell even inside a span.
    """
    inner = _one_line(text)
    longest = max((len(run) for run in re.findall("`+", inner)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if inner.startswith(("`", " ")) or inner.endswith(("`", " ")) else ""
    return f"{fence}{pad}{inner}{pad}{fence}"


def sarif_text(text: str, *, limit: int | None = None) -> str:
    """A SARIF plain-text message string showing exactly ``text``.

    SARIF 2.1.0 §3.11.5 has ``{`` and ``}`` written ``{{`` and ``}}`` (single braces are
    placeholders), and §3.11.6 reads ``[text](target)`` as an embedded link, so ``\\``,
    ``[`` and ``]`` are backslash-escaped. Hidden characters become visible escapes; line
    breaks stay (messages may have paragraphs).
    """
    out = reveal(shorten(text, limit), keep="\n")
    out = out.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return out.replace("{", "{{").replace("}", "}}")


def sarif_markdown(text: str, *, limit: int | None = None) -> str:
    """Inline markdown for a SARIF ``markdown`` property: escaped like :func:`markdown`, but
    plain text only (no ``<code>``: code scanning shows rule help, it mentions nobody).

    Braces are placeholders in SARIF message strings, so they are written as character
    references instead of the backslash escapes markdown would use.
    """
    flat = reveal(shorten(text, limit).replace("\r\n", "\n"), keep="\n\t")
    out = _prose(flat.replace("\n", " ").replace("\t", " "))
    return out.replace("\\{", "&#123;").replace("\\}", "&#125;")


def url_component(text: str) -> str:
    """Percent-encode a repo-relative path for a URI reference or a link (``/`` kept).

    Everything but unreserved characters is encoded, so ``:``, ``#``, ``?``, ``%``,
    parentheses and spaces can neither end the link nor change what it points to.
    """
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    return quote_from_bytes(raw, safe="/")


def is_printable(text: str) -> bool:
    """True when ``text`` has no control or format characters (tests use this)."""
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
