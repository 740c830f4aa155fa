"""escape.py: every channel's escaping, checked against how each consumer decodes it."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote

import pytest

from secure_gate.report import escape
from tests.report import workflow_commands as wc
from tests.report.samples import hostile_strings

HOSTILE = hostile_strings()


def test_the_corpus_is_big_and_covers_every_kind() -> None:
    assert len(HOSTILE) >= 30
    joined = "".join(HOSTILE)
    for needle in ("\n", "\r", "%", "%0A", "::", "##[", ",", ":", "<script>", "](", "`", "@",
                   "\x1b", "\u202e", "\u200f", "\x00", "{", "\\"):
        assert needle in joined, needle
    assert max(map(len, HOSTILE)) >= 4096


@pytest.mark.parametrize("text", HOSTILE)
def test_property_round_trips_through_the_runner(text: str) -> None:
    encoded = escape.command_property(text)
    assert not re.search(r"[\r\n:,]", encoded)
    assert wc.decode_property(encoded) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_data_round_trips_through_the_runner(text: str) -> None:
    encoded = escape.command_data(text)
    assert "\r" not in encoded and "\n" not in encoded
    assert wc.decode_data(encoded) == text
    # Inside our own command line nothing in the data is read as another command.
    (command,) = wc.read(f"::add-mask::{encoded}").commands
    assert command.name == "add-mask" and command.data == text


@pytest.mark.parametrize(("text", "data", "prop"), [
    ("%0A", "%250A", "%250A"),
    ("%250A", "%25250A", "%25250A"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("k:v,w", "k:v,w", "k%3Av%2Cw"),
    ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ("100%", "100%25", "100%25"),
    ("##[x]", "##[x]", "##[x]"),
])
def test_known_encodings(text: str, data: str, prop: str) -> None:
    assert escape.command_data(text) == data
    assert escape.command_property(text) == prop


@pytest.mark.parametrize("text", HOSTILE)
def test_a_property_never_ends_the_command_info(text: str) -> None:
    line = f"::error file={escape.command_property(text)},line=1,title=t::x"
    (command,) = wc.read(line).commands
    assert command.get("file") == text
    assert command.get("title") == "t" and command.data == "x"


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_is_one_safe_line(text: str) -> None:
    out = escape.terminal(text)
    assert wc.split_lines(out) in ([out], [])
    assert escape.is_printable(out)
    assert not wc.looks_like_command(out) and not wc.looks_like_command("  " + out)
    assert all(c == " " or not c.isspace() for c in out)


def test_terminal_escapes_read_unambiguously() -> None:
    assert escape.terminal("a\nb") == "a\\nb"
    assert escape.terminal("a\\nb") == "a\\\\nb"
    assert escape.terminal("\u202eevil") == "\\u202eevil"
    assert escape.terminal("\x1b[31m") == "\\x1b[31m"
    assert escape.terminal("tag\U000e0041") == "tag\\U000e0041"
    assert escape.terminal("no\u00a0break") == "no\\xa0break"
    assert escape.terminal("##[error]x") == "#\\x23[error]x"
    assert escape.terminal("  ::error::x") == "  \\x3a:error::x"
    assert escape.terminal("mid ::error::x") == "mid ::error::x"
    assert escape.terminal("x" * 50, limit=10) == "x" * 9 + "…"


def _render(fragment: str) -> str:
    """The HTML a CommonMark reader makes of ``fragment`` (markdown-it, as GitHub's cmark)."""
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(
        f"x {fragment}")
    assert rendered.startswith("<p>x ") and rendered.endswith("</p>\n"), rendered
    inner = rendered[len("<p>x "):-len("</p>\n")]
    # No tag of any kind but the <code> our escaping makes.
    assert "<" not in re.sub("</?code>", "", inner), inner
    return inner


def _rendered_text(fragment: str) -> str:
    """What a reader sees and copies: the text of the HTML, tags removed."""
    return html.unescape(re.sub("</?code>", "", _render(fragment)))


def _outside_code(fragment: str) -> str:
    """The rendered text that is not inside <code> (where GitHub links mentions)."""
    return html.unescape(re.sub("<code>.*?</code>", "", _render(fragment)))


def _prose(text: str) -> str:
    """What markdown() promises to show: hidden characters visible, breaks as spaces."""
    shown = escape.reveal(text.replace("\r\n", "\n"), keep="\n\t")
    return re.sub(r"[\n\t]", " ", shown)


def _same(shown: str, expected: str) -> None:
    # A paragraph's trailing spaces are not rendered.
    assert shown.rstrip(" ") == expected.rstrip(" ")


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_renders_as_exactly_the_text(text: str) -> None:
    out = escape.markdown(text)
    _same(_rendered_text(out), _prose(text))
    assert "\u200b" not in html.unescape(out) and "8203" not in out  # nothing inserted
    # GitHub links @name, #123 and :emoji: only outside code: none of them is left there.
    outside = _outside_code(out)
    assert "@" not in outside and "#" not in outside
    assert not re.search(r":[A-Za-z0-9_+-]+:", outside)


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_code_shows_every_character(text: str) -> None:
    out = escape.markdown_code(text)
    assert out.startswith("<code>") and out.endswith("</code>")
    assert out.count("<code>") == 1 and not re.search(r"(?<!\\)[`|]", out)
    inner = _rendered_text(out)
    one_line = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    assert inner == escape.reveal(one_line.replace("\t", "\\t"))


def test_copied_text_is_intact() -> None:
    """A fix to copy (an image digest, an issue number) reads back character for character."""
    for text in ("python:3.12@sha256:" + "ab" * 32, "see #123 and org/repo#4",
                 "mail me@example.com", "a `code` and ``double`` backtick", ":shipit: ok"):
        assert _rendered_text(escape.markdown(text)) == text
        assert _rendered_text(escape.markdown_code(text)) == text


@pytest.mark.parametrize("text", [*HOSTILE, "`", "``x``", "a ` b", " x ", "```"])
def test_code_span_shows_backticks_and_never_ends_early(text: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    out = escape.code_span(text)
    rendered = markdown_it.MarkdownIt("commonmark").render(out)
    match = re.fullmatch(r"<p><code>(.*)</code></p>\n", rendered, re.S)
    assert match, rendered
    one_line = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    expected = escape.reveal(one_line.replace("\t", "\\t"))
    shown = html.unescape(match.group(1))
    # CommonMark strips one padding space from each side when both are spaces.
    assert shown in (expected, expected[1:-1]) if expected.strip() else shown.strip() == ""
    assert "`" not in shown.replace(expected, "")


def test_markdown_cannot_break_out_of_a_table_cell() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    cell = escape.markdown("a | b\nc")
    table = f"| h |\n| - |\n| {cell} |\n"
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(table)
    assert rendered.count("<td>") == 1 and "a | b c" in html.unescape(rendered)


def test_markdown_neutralises_mentions_links_and_html() -> None:
    out = escape.markdown("@octocat [x](https://e.example) <b>&amp; #1")
    assert "<code>\\@octocat</code>" in out and "<code>\\#1</code>" in out
    assert "<" not in re.sub("</?code>", "", out).replace("&lt;", "")
    assert "](" not in out.replace("\\]\\(", "")
    assert escape.markdown("x" * 20, limit=5) == "xxxx…"


def _sarif_unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in ("\\\\", "\\[", "\\]", "{{", "}}"):
            out.append(pair[1])
            i += 2
        else:
            assert text[i] not in "{}[", (text, i)  # no placeholder, no link can start
            out.append(text[i])
            i += 1
    return "".join(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_sarif_text_has_no_placeholder_or_link(text: str) -> None:
    out = escape.sarif_text(text)
    assert _sarif_unescape(out) == escape.reveal(text, keep="\n")
    assert not re.search(r"(?<!\\)\[[^\]]*\]\(", out)


@pytest.mark.parametrize("text", HOSTILE)
def test_sarif_markdown_has_no_braces(text: str) -> None:
    out = escape.sarif_markdown(text)
    assert "{" not in out and "}" not in out
    _same(_rendered_text(out), _prose(text))


@pytest.mark.parametrize("text", [*HOSTILE, "a/b c/#?%.py", "\udcff-odd-byte.py"])
def test_url_component_encodes_everything_but_the_path(text: str) -> None:
    out = escape.url_component(text)
    assert re.fullmatch(r"[A-Za-z0-9_.~/%-]*", out)
    assert unquote(out, errors="surrogateescape") == text


def test_reveal_keeps_ordinary_unicode() -> None:
    text = "ünïcödé 名前 😀 é"
    assert escape.reveal(text) == text
    for char in ("\u200b", "\u2066", "\ufeff", "\x85", "\u2028", "\u3000"):
        assert escape.reveal(char).startswith("\\"), unicodedata.name(char, hex(ord(char)))
