"""Line edits: made only where the text is what the fixer read, endings kept, overlaps refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from secure_gate.edits import Edit, apply, lines_of, split_lines, unified_diff


def edit(line: int, expect: tuple[str, ...], new: tuple[str, ...], end: int | None = None,
         path: str = "r.txt") -> Edit:
    return Edit(path, line, end if end is not None else line + len(expect) - 1, expect, new,
                "pins/x", "changed")


def test_an_edit_replaces_its_lines_and_keeps_each_line_ending() -> None:
    text = "a==1\r\nb==2\r\nc==3\r\n"
    out = apply(text, [edit(2, ("b==2",), ("b==2 \\", "    --hash=sha256:ab"))])
    assert out.text == "a==1\r\nb==2 \\\r\n    --hash=sha256:ab\r\nc==3\r\n"
    assert [e.line for e in out.made] == [2] and out.refused == ()


def test_a_last_line_without_an_ending_keeps_none() -> None:
    out = apply("a==1\nb==2", [edit(2, ("b==2",), ("b==3", "c==1"))])
    assert out.text == "a==1\nb==3\nc==1"


def test_mixed_endings_stay_where_they_were() -> None:
    text = "a\r\nb\nc\r"
    out = apply(text, [edit(1, ("a",), ("A",)), edit(3, ("c",), ("C",))])
    assert out.text == "A\r\nb\nC\r"


def test_lines_are_numbered_only_at_newline_cr_and_crlf() -> None:
    """A form feed or a Unicode line separator inside a line is not a line break."""
    text = "a\x0cb\nc\u2028d\re\r\n"
    assert lines_of(text) == ["a\x0cb", "c\u2028d", "e"]
    assert split_lines(text)[1] == ("c\u2028d", "\r")
    out = apply(text, [edit(3, ("e",), ("E",))])
    assert out.text == "a\x0cb\nc\u2028d\rE\r\n"


def test_an_edit_of_lines_that_changed_is_refused_and_nothing_else_is_lost() -> None:
    text = "a==1\nb==2\n"
    out = apply(text, [edit(1, ("a==0",), ("a==9",)), edit(2, ("b==2",), ("b==3",))])
    assert out.text == "a==1\nb==3\n"
    assert [(e.line, why) for e, why in out.refused] == [
        (1, "the lines changed since they were read")]


def test_an_edit_beyond_the_end_is_refused() -> None:
    out = apply("a\n", [edit(2, ("b",), ("c",))])
    assert out.text == "a\n" and len(out.refused) == 1


def test_overlapping_edits_take_the_first_and_refuse_the_second() -> None:
    text = "a \\\n  --hash=sha256:1\nb\n"
    first = edit(1, ("a \\", "  --hash=sha256:1"), ("a==2",))
    second = edit(2, ("  --hash=sha256:1",), ("  --hash=sha256:2",))
    out = apply(text, [first, second])
    assert out.text == "a==2\nb\n"
    assert [why for _, why in out.refused] == ["overlaps another edit of the same lines"]


def test_an_edit_that_changes_nothing_is_not_counted() -> None:
    out = apply("a\n", [edit(1, ("a",), ("a",))])
    assert out.made == () and out.text == "a\n"


@pytest.mark.parametrize(("line", "end", "expect", "new"), [
    (0, 0, ("a",), ("b",)),              # line numbers start at 1
    (2, 1, (), ("b",)),                  # a range that ends before it starts
    (1, 2, ("a",), ("b",)),              # expect must hold the whole range
    (1, 1, ("a",), ("b\nc",)),           # a new line smuggling a line break
    (1, 1, ("a",), ("b\rc",)),
])
def test_malformed_edits_are_refused_when_made(line: int, end: int, expect: tuple[str, ...],
                                                new: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        Edit("r.txt", line, end, expect, new, "pins/x", "bad")


def test_the_diff_is_what_git_apply_reads() -> None:
    diff = unified_diff("req/a b.txt", "x==1\n", "x==2\n")
    assert diff.splitlines() == ["--- a/req/a b.txt", "+++ b/req/a b.txt", "@@ -1 +1 @@",
                                 "-x==1", "+x==2"]


@pytest.mark.parametrize(("name", "before", "after"), [
    ("we\nird/requirements.txt", "x==1\n", "x==2\n"),  # a newline in a name adds no header
    ('q"uo\\te.txt', "x==1\n", "x==2\n"),
    ("tab\there.txt", "x==1\n", "x==2\n"),
    ("crlf.txt", "a\r\nx==1\r\nb\r\n", "a\r\nx==2 \\\r\n    --hash=sha256:00\r\nb\r\n"),
    ("no-eol.txt", "a\nx==1", "a\nx==2"),
    ("to-eol.txt", "x==1", "x==2\n"),
])
def test_git_apply_takes_the_diff_as_fix_writes_it(tmp_path: Path, name: str, before: str,
                                                   after: str) -> None:
    # `fix --diff | git apply` must write exactly what `fix` writes, whatever the file's name
    # and line endings.
    git = ["git", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(before.encode())
    patch = tmp_path.parent / "fix.patch"
    patch.write_bytes(unified_diff(name, before, after).encode())
    subprocess.run([*git, "apply", str(patch)], check=True, capture_output=True)
    assert target.read_bytes() == after.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({".git", name.split("/")[0]})


def test_on_a_terminal_the_diff_shows_every_hidden_character() -> None:
    from secure_gate.cli import terminal_safe

    diff = unified_diff("a.txt", "x==1\r\n", "x==2 \x1b[2J\u202e\r\n")
    shown = terminal_safe(diff)
    assert shown.splitlines()[-1] == "+x==2 \\x1b[2J\\u202e"
    assert "\r" not in shown and "\x1b" not in shown
