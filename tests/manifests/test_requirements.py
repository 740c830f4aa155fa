"""requirements files: pip's line syntax, kinds, pins, includes and what is invalid."""

from __future__ import annotations

import pytest

from secure_gate.manifests.requirements import (
    RequirementLine,
    exact_version,
    parse_requirements,
    resolve_include,
)


def one(text: str) -> RequirementLine:
    lines = parse_requirements(text, "requirements.txt")
    assert len(lines) == 1, lines
    return lines[0]


def test_a_pinned_requirement_with_comment() -> None:
    req = one("Django==2.2.0  # the web framework\n")
    assert (req.kind, req.name, req.specifier, req.line, req.end_line) == (
        "requirement", "django", "==2.2.0", 1, 1)
    assert req.text == "Django==2.2.0"
    assert exact_version(req) == "2.2.0"


def test_continuations_hashes_extras_and_markers() -> None:
    text = ("# header\n"
            "Flask[dotenv,async] == 2.0.1 ; python_version >= \"3.8\" \\\n"
            "    --hash=sha256:aaa \\\n"
            "    --hash sha256:bbb\n"
            "requests\n")
    flask, requests = parse_requirements(text, "req/requirements.txt")
    assert (flask.line, flask.end_line, flask.path) == (2, 4, "req/requirements.txt")
    assert flask.extras == ("async", "dotenv")
    assert flask.marker == 'python_version >= "3.8"'
    assert flask.hashes == ("sha256:aaa", "sha256:bbb")
    assert exact_version(flask) == "2.0.1"
    assert (requests.line, requests.specifier, exact_version(requests)) == (5, "", None)


@pytest.mark.parametrize(("text", "kind", "target"), [
    ("-r base.txt", "include", "base.txt"),
    ("-rbase.txt", "include", "base.txt"),
    ("--requirement=base.txt", "include", "base.txt"),
    ("--requirement base.txt", "include", "base.txt"),
    ("-c constraints.txt", "constraint", "constraints.txt"),
    ("--constraint=constraints.txt", "constraint", "constraints.txt"),
    ("-e .", "editable", "."),
    ("--editable=./lib", "editable", "./lib"),
    ("./local/pkg", "local", "./local/pkg"),
    ("dist/thing-1.0.tar.gz", "local", "dist/thing-1.0.tar.gz"),
    ("thing-1.0.tar.gz", "local", "thing-1.0.tar.gz"),
    ("https://example.invalid/c-1.0.whl", "url", "https://example.invalid/c-1.0.whl"),
    ("pkg @ https://example.invalid/p.tar.gz", "url", "https://example.invalid/p.tar.gz"),
    ("git+https://example.invalid/a/b.git@v1#egg=b", "vcs",
     "git+https://example.invalid/a/b.git@v1#egg=b"),
    ("pkg @ git+https://example.invalid/p.git", "vcs", "git+https://example.invalid/p.git"),
    ("pkg @ file:///srv/pkg", "local", "file:///srv/pkg"),
    ("pkg @ file:./pkg", "local", "file:./pkg"),
    ("file:///srv/pkg-1.0.tar.gz", "local", "file:///srv/pkg-1.0.tar.gz"),
])
def test_line_kinds_and_targets(text: str, kind: str, target: str) -> None:
    req = one(text)
    assert (req.kind, req.target) == (kind, target)
    assert exact_version(req) is None


@pytest.mark.parametrize("text", [
    "-i https://example.invalid/simple", "--index-url=https://example.invalid/simple",
    "--extra-index-url https://example.invalid/x", "-f ./wheels", "--find-links ./wheels",
    "--no-binary :all:", "--only-binary=:all:", "--pre", "--trusted-host example.invalid",
    "--prefer-binary", "--require-hashes", "--no-index",
])
def test_file_options(text: str) -> None:
    assert one(text).kind == "option"


def test_editable_vcs_names_its_egg() -> None:
    req = one("-e git+https://example.invalid/x/y.git#egg=My_Pkg")
    assert (req.kind, req.name) == ("editable", "my-pkg")


@pytest.mark.parametrize(("text", "fragment"), [
    ("not a requirement!", "not a valid requirement"),
    ("--bogus", "unknown option '--bogus'"),
    ("foo==1.0 --index-url x", "cannot follow a requirement"),
    ("--hash=sha256:abc", "belongs after a requirement"),
    ("-r", "needs a value"),
    ("-r a.txt -c b.txt", "more than one"),
    ('foo==1 --hash="sha256:x', "No closing quotation"),
])
def test_invalid_lines_say_why(text: str, fragment: str) -> None:
    req = one(text)
    assert req.kind == "invalid"
    assert req.error is not None and fragment in req.error
    assert "\n" not in req.error


@pytest.mark.parametrize(("spec", "version"), [
    ("==1.2.3", "1.2.3"), ("===1.2.3", "1.2.3"), ("== 1.0.post1", "1.0.post1"),
    ("==1.2.*", None), (">=1.2", None), ("~=1.2", None), ("==1.0,>=0.5", None), ("", None),
])
def test_exact_version(spec: str, version: str | None) -> None:
    assert exact_version(one(f"pkg{spec}")) == version


def test_comments_blank_lines_and_hash_inside_urls() -> None:
    text = ("\n   \n# comment \\\n  # indented comment\n"
            "pkg @ https://example.invalid/p.zip#sha256=abc\n")
    req = one(text)
    assert req.target == "https://example.invalid/p.zip#sha256=abc"
    assert req.line == 5


def test_trailing_backslash_continues_into_a_comment_like_pip() -> None:
    # pip joins first and strips the comment afterwards, so the next line is swallowed.
    req = one("x==1 # note \\\ny==2\n")
    assert (req.name, req.line, req.end_line) == ("x", 1, 2)


def test_backslash_at_end_of_file() -> None:
    req = one("x==1 \\")
    assert (req.name, req.end_line) == ("x", 1)


@pytest.mark.parametrize(("including", "target", "expected"), [
    ("requirements.txt", "base.txt", "base.txt"),
    ("svc/requirements.txt", "../common/base.txt", "common/base.txt"),
    ("svc/requirements.txt", "./base.txt", "svc/base.txt"),
    ("requirements.txt", "../outside.txt", None),
    ("a/requirements.txt", "../../outside.txt", None),
    ("requirements.txt", "/etc/passwd", None),
    ("requirements.txt", "~/x.txt", None),
    ("requirements.txt", "https://example.invalid/r.txt", None),
    ("requirements.txt", "C:\\x.txt", None),
])
def test_resolve_include_stays_inside(including: str, target: str, expected: str | None) -> None:
    assert resolve_include(including, target) == expected


# pip expands ${NAME} (upper case, digits, _) from the environment; the gate never does.
@pytest.mark.parametrize(("text", "kind", "name", "specifier", "version", "variables"), [
    ("requests==${VERSION}", "requirement", "requests", "==${VERSION}", "${VERSION}",
     ("VERSION",)),
    ("requests>=${MIN}", "requirement", "requests", ">=${MIN}", None, ("MIN",)),
    ("requests==1.${MINOR}", "requirement", "requests", "==1.${MINOR}", "1.${MINOR}",
     ("MINOR",)),
    ("${PKG}==1.0", "requirement", None, "==1.0", "1.0", ("PKG",)),
    ("${REQUIREMENT}", "requirement", None, "", None, ("REQUIREMENT",)),
    ("p @ https://${HOST}/p-1.0.whl", "url", "p", "", None, ("HOST",)),
    ("https://${HOST}/p-1.0.tar.gz", "url", None, "", None, ("HOST",)),
    ("./${DIR}/pkg", "local", None, "", None, ("DIR",)),
    ("--extra-index-url https://${TOKEN}@host/simple", "option", None, "", None, ("TOKEN",)),
    ("requests==${lower}", "invalid", None, "", None, ()),   # pip leaves ${lower} as text
    ("requests==$VERSION", "invalid", None, "", None, ()),   # and $NAME
    ("requests==2.0 # ${IN_A_COMMENT}", "requirement", "requests", "==2.0", "2.0", ()),
])
def test_environment_variables_are_named_never_substituted(
        monkeypatch: pytest.MonkeyPatch, text: str, kind: str, name: str | None,
        specifier: str, version: str | None, variables: tuple[str, ...]) -> None:
    for variable in ("VERSION", "MIN", "MINOR", "PKG", "REQUIREMENT", "HOST", "DIR", "TOKEN"):
        monkeypatch.setenv(variable, "s3cr3t-value")  # the runner's values never show up
    req = one(text + "\n")
    assert (req.kind, req.name, req.specifier, exact_version(req), req.variables) == (
        kind, name, specifier, version, variables)
    assert "s3cr3t" not in repr(req) and "7919" not in repr(req)


def test_environment_variables_in_includes_extras_and_markers() -> None:
    include = one("-r ${REQ_DIR}/base.txt\n")
    assert (include.kind, include.target, include.variables) == (
        "include", "${REQ_DIR}/base.txt", ("REQ_DIR",))
    req = one('c[${EXTRA}]==1.${MINOR}; python_version > "${PY}" --hash=sha256:ab\n')
    assert (req.name, req.extras, req.marker, req.hashes, req.variables) == (
        "c", ("${EXTRA}",), 'python_version > "${PY}"', ("sha256:ab",),
        ("EXTRA", "MINOR", "PY"))


def test_a_line_that_holds_a_stand_in_is_not_misread() -> None:
    # The stand-ins never leave the parser: a line that already contains one is read as
    # written (invalid, as pip would find it without the variable's value).
    assert one("requests==${V}79190007919\n").kind == "invalid"
