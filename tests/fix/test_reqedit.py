"""Requirements entries taken apart and rewritten: what is kept, what is refused."""

from __future__ import annotations

import pytest

from secure_gate.manifests import reqedit


def test_an_entry_keeps_its_requirement_options_and_comment() -> None:
    entry = reqedit.parse_entry([
        "  Pkg[a,b] == 1.0 ; python_version < '3.12' \\",
        "    --config-settings=k=v --hash sha256:" + "a" * 64 + " \\",
        "    --hash=sha256:" + "b" * 64 + "   # why"])
    assert entry == reqedit.Entry("  ", "Pkg[a,b] == 1.0 ; python_version < '3.12'",
                                  ("--config-settings=k=v",),
                                  ("sha256:" + "a" * 64, "sha256:" + "b" * 64), "# why")
    head = reqedit.with_version(entry.head, "1.0", "1.2")
    assert head == "Pkg[a,b] == 1.2 ; python_version < '3.12'"
    assert reqedit.render(entry, head, ["c" * 64, "d" * 64]) == (
        "  Pkg[a,b] == 1.2 ; python_version < '3.12' --config-settings=k=v \\",
        "      --hash=sha256:" + "c" * 64 + " \\",
        "      --hash=sha256:" + "d" * 64 + "  # why")
    assert reqedit.render(entry, head, []) == (
        "  Pkg[a,b] == 1.2 ; python_version < '3.12' --config-settings=k=v  # why",)


@pytest.mark.parametrize(("head", "pinned"), [
    ("requests", "requests==2.0"),
    ("requests>=1,<3", "requests==2.0"),
    ("Requests[socks] (>=1.0)", "Requests[socks]==2.0"),
    ("requests >= 1 ; sys_platform == 'linux'", "requests==2.0 ; sys_platform == 'linux'"),
    ("requests>=1;python_version>'3'", "requests==2.0;python_version>'3'"),
])
def test_a_range_pinned(head: str, pinned: str) -> None:
    assert reqedit.pinned(head, "2.0") == pinned


@pytest.mark.parametrize("physical", [
    ["pkg==1.0 \\", "    # a comment inside \\", "    --hash=sha256:" + "a" * 64],
    ["pkg==1.0  # a comment \\", "    ; python_version > '3'"],
    ["pkg==1.0", "--hash=sha256:" + "a" * 64],  # not a continuation
    [],
])
def test_what_cannot_be_rewritten_safely(physical: list[str]) -> None:
    with pytest.raises(ValueError):
        reqedit.parse_entry(physical)


def test_a_pin_not_where_it_was_read_is_refused() -> None:
    with pytest.raises(ValueError, match="not where it was read"):
        reqedit.with_version("pkg==1.0.1", "1.0", "2.0")
    with pytest.raises(ValueError, match="no project name"):
        reqedit.pinned(">=1.0", "2.0")


def test_numbering_like_pip() -> None:
    assert reqedit.same_numbering("a==1\r\nb==2\rc==3\n")
    assert not reqedit.same_numbering("a==1\x0bb==2\n")
    assert not reqedit.same_numbering("# \u2028\na==1\n")


@pytest.mark.parametrize(("physical", "head"), [
    (["pkg==1.0 \\"], "pkg==1.0"),  # a continuation at the end of the file: pip drops it
    (["pkg==1.0 \\\\", "; python_version > '3'"], "pkg==1.0 ; python_version > '3'"),
    (["\\pkg==1.0 \\", "  ; os_name == 'posix'"], "pkg==1.0   ; os_name == 'posix'"),
])
def test_backslashes_are_stripped_as_pip_strips_them(physical: list[str], head: str) -> None:
    # What pip joins is what is rewritten: `pkg==1.0 \` at the end of a file became
    # `pkg==1.0 \ \` + hashes, which pip reads as the requirement `pkg==1.0 \`.
    assert reqedit.parse_entry(physical).head == head


def test_a_comment_ending_in_a_backslash_is_refused() -> None:
    # `# c \` ends a logical line as a comment line; moved to the end of a hash line it
    # would join the next requirement into the comment, and pip would drop it unsaid.
    with pytest.raises(ValueError, match="ends with a backslash"):
        reqedit.parse_entry(["foo==1.0 \\", "# c \\"])


def test_quoted_option_values_are_kept_as_written() -> None:
    # pip reads per-requirement options with shlex: the spaces inside quotes are the value.
    entry = reqedit.parse_entry(['pkg==1.0 --config-settings="k=a  b" -C \'x=1 2\''])
    assert entry.options == ('--config-settings="k=a  b"', "-C", "'x=1 2'")
    assert reqedit.render(entry, entry.head, ["c" * 64]) == (
        'pkg==1.0 --config-settings="k=a  b" -C \'x=1 2\' \\', "    --hash=sha256:" + "c" * 64)
    with pytest.raises(ValueError, match="does not close"):
        reqedit.parse_entry(['pkg==1.0 --config-settings="k=a'])
