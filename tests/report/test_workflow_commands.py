"""The runner-like reader itself: it must see every command the runner would see."""

from __future__ import annotations

import pytest

from tests.report import workflow_commands as wc

OURS = {"do-something", *wc.RUNNER_COMMANDS}


@pytest.mark.parametrize(("line", "name", "props", "data"), [
    ("::do-something k1=v1,::msg", "do-something", {"k1": "v1"}, "msg"),
    ("::do-something::", "do-something", {}, ""),
    ("   ::do-something k1=v1::msg", "do-something", {"k1": "v1"}, "msg"),
    ("\t\u00a0\u3000::error::x", "error", {}, "x"),
    ("::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,", "do-something",
     {"k1": ";=,=\r=\n=]=:"}, ";-\r-\n-]-:-,"),
    ("::do-something k1=%252C=%250A::%250A", "do-something", {"k1": "%2C=%0A"}, "%0A"),
    ("::do-something k1=,k2=,::", "do-something", {}, ""),
    ("::do-something =v,k==x::", "do-something", {"k": "=x"}, ""),
    ("::ERROR file=a.py::x", "ERROR", {"file": "a.py"}, "x"),
    ("::error title=a b  ::x::y", "error", {"title": "a b"}, "x::y"),
])
def test_modern_commands(line: str, name: str, props: dict[str, str], data: str) -> None:
    (command,) = wc.read(line, OURS).commands
    assert (command.name, command.properties, command.data) == (name, props, data)
    assert not command.legacy


@pytest.mark.parametrize(("line", "name", "props", "data"), [
    ("##[do-something k1=v1;]msg", "do-something", {"k1": "v1"}, "msg"),
    ("##[do-something]", "do-something", {}, ""),
    (">>>   ##[do-something k1=v1;]msg", "do-something", {"k1": "v1"}, "msg"),
    ("##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D", "do-something",
     {"k1": ";=\r=\n=]"}, ";-\r-\n-]"),
    ("##[do-something k1=;k2=;]", "do-something", {}, ""),
    ("text ##[set-output name=x;]legacy", "set-output", {"name": "x"}, "legacy"),
])
def test_legacy_commands_anywhere(line: str, name: str, props: dict[str, str],
                                  data: str) -> None:
    (command,) = wc.read(line, OURS).commands
    assert (command.name, command.properties, command.data) == (name, props, data)
    assert command.legacy


@pytest.mark.parametrize("line", [
    "   >>>   ::do-something k1=v1,::msg",
    "::unknown::x",
    "::error",
    "no command here",
    "##[unknown]x",
    "##[error no bracket",
    "\u200b::error::zero width space is not white space",
])
def test_not_commands(line: str) -> None:
    stream = wc.read(line, OURS)
    assert stream.commands == [] and stream.plain == [line]


def test_near_misses_are_listed() -> None:
    stream = wc.read("::unknown::x\nplain\n##[unknown]y\n  ::also-unknown k=v::z\n")
    assert stream.near_misses == ["::unknown::x", "##[unknown]y", "  ::also-unknown k=v::z"]


def test_lines_end_like_dotnet_readline() -> None:
    assert wc.split_lines("a\rb\r\nc\nd\x85e\u2028f\n") == ["a", "b", "c", "d\x85e\u2028f"]
    stream = wc.read("text\r::error::hidden behind a carriage return\n")
    assert [c.data for c in stream.commands] == ["hidden behind a carriage return"]


def test_a_modern_command_wins_over_a_legacy_one_in_its_line() -> None:
    (command,) = wc.read("::error file=##[x].py::##[warning]y").commands
    assert (command.name, command.get("FILE"), command.data) == ("error", "##[x].py",
                                                                 "##[warning]y")
    (legacy,) = wc.read("::unknown::##[warning]y").commands
    assert legacy.legacy and legacy.name == "warning"


def test_stop_commands_until_the_token() -> None:
    text = ("::stop-commands::tok3n-abc\n"
            "::error::not run\n"
            "##[set-output name=x;]not run\n"
            "::TOK3N-ABC::\n"
            "::warning::runs again\n")
    stream = wc.read(text)
    assert [c.name for c in stream.commands] == ["stop-commands", "TOK3N-ABC", "warning"]
    assert stream.stopped == ["::error::not run", "##[set-output name=x;]not run"]
    assert stream.problems == []


def test_the_token_resumes_in_legacy_form_too() -> None:
    stream = wc.read("::stop-commands::tok3n-abc\nx ##[tok3n-abc]\n::error::runs\n")
    assert [c.name for c in stream.commands] == ["stop-commands", "tok3n-abc", "error"]


@pytest.mark.parametrize("token", ["", "error", "pause-logging"])
def test_an_invalid_token_stops_nothing(token: str) -> None:
    stream = wc.read(f"::stop-commands::{token}\n::warning::still runs\n")
    assert [c.name for c in stream.commands] == ["stop-commands", "warning"]
    assert stream.problems


def test_never_resumed_is_a_problem() -> None:
    assert wc.read("::stop-commands::tok3n-abc\n::error::x\n").problems


def test_annotations_and_unexpected() -> None:
    stream = wc.read("::error file=a::x\n::group::g\n::set-output name=a::b\n##[debug]d\n")
    assert [c.name for c in stream.annotations()] == ["error"]
    assert [c.name for c in stream.unexpected({"error", "group"})] == ["set-output", "debug"]
