"""`pip install` command lines: which arguments are unpinned, across spellings and shells."""

from __future__ import annotations

import pytest

from secure_gate.scanners.pins import pip_install
from secure_gate.scanners.pins.expand import Scope, Value
from secure_gate.scanners.pins.shell import commands

SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
SCOPE = Scope({"PINNED": "flask==3.0.3", "LOOSE": "flask", "TWO": "black==24.1.0 isort",
               "EMPTY": ""}, {"tool": [Value("ruff==0.5.0", 3), Value("mypy", 4)]})


def flagged(script: str) -> list[tuple[str, str]]:
    return [(p.spec, p.confidence.label) for p in pip_install.scan(script, SCOPE)]


# (command line, expected (argument as written, confidence) for each unpinned package).
CASES = [
    ("pip install requests", [("requests", "high")]),
    ("pip install requests==2.32.3", []),
    ("pip install 'requests===2.32.3'", []),
    ("pip install 'requests>=2.0'", [("requests>=2.0", "high")]),
    ("pip install requests==2.*", [("requests==2.*", "high")]),
    ("pip install 'requests[socks]==2.32.3'", []),
    ("pip install 'requests ~= 2.32'", [("requests ~= 2.32", "high")]),
    ("pip3 install a==1 b c==2", [("b", "high")]),
    ("pip3.12 install flask", [("flask", "high")]),
    ("/usr/local/bin/pip install flask", [("flask", "high")]),
    ("python -m pip install flask", [("flask", "high")]),
    ("python3.12 -I -m pip install --upgrade pip", [("pip", "high")]),
    ("python -mpip install flask", [("flask", "high")]),
    ("py -m pip install flask", [("flask", "high")]),
    ("python -m venv .venv", []),
    ("python -c 'import pip'", []),
    ("uv pip install flask", [("flask", "high")]),
    # pip wheel and pip download fetch from the index too (a later install from their output
    # installs whatever they fetched): the same pins apply, in each spelling.
    ("pip download flask", [("flask", "high")]),
    ("pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt apprise uwsgi",
     [("apprise", "high"), ("uwsgi", "high")]),
    ("pip wheel -w /wheels -r requirements.txt", []),
    ("pip wheel --no-deps -w /wheels .", []),
    ("pip wheel -w /wheels .", [(".", "high")]),
    ("python -m pip wheel --wheel-dir=/w flask==3.0.3 celery", [("celery", "high")]),
    ("python3 -m pip download -d /dl --platform manylinux2014_x86_64 requests",
     [("requests", "high")]),
    ("pip3 download --dest /dl --no-binary :all: django==5.0", []),
    ("pip3.12 wheel --require-hashes -r requirements.txt", []),
    ("pip download --no-index --find-links /wheels flask", []),
    ("uv pip wheel flask", []),  # no such uv command
    ("pip list", []),
    ("pip show flask", []),
    ("pip --disable-pip-version-check --timeout 30 install flask", [("flask", "high")]),
    ("pip install --require-hashes flask", []),
    ("pip install -r requirements.txt", []),
    ("pip install -rrequirements.txt -c constraints.txt", []),
    ("pip install --requirement=requirements.txt flask", [("flask", "high")]),
    ("pip install -i https://pypi.org/simple --extra-index-url https://x flask==1.0", []),
    ("pip install --target /opt/lib flask==1.0", []),
    ("pip install -e .", [(".", "high")]),
    ("pip install --no-deps -e .", []),
    ("pip install --editable=./pkg", [("./pkg", "high")]),
    ("pip install .", [(".", "high")]),
    ("pip install --no-deps .", []),
    ("pip install --no-deps --no-build-isolation /tmp/src", []),
    ("pip install dist/app-1.0-py3-none-any.whl", []),
    ("pip install dist/app-1.0.tar.gz", [("dist/app-1.0.tar.gz", "high")]),
    ("pip install --no-index --find-links /wheels flask", []),
    ("pip install --no-index -f https://example.org/wheels flask", [("flask", "high")]),
    (f"pip install git+https://github.com/o/r@{SHA}", []),
    ("pip install git+https://github.com/o/r@main", [("git+https://github.com/o/r@main",
                                                     "high")]),
    (f"pip install -e git+https://github.com/o/r@{SHA}#egg=r",
     [(f"git+https://github.com/o/r@{SHA}#egg=r", "high")]),
    (f"pip install --no-deps -e git+https://github.com/o/r@{SHA}#egg=r", []),
    ("pip install https://host/p-1.0.tar.gz", [("https://host/p-1.0.tar.gz", "high")]),
    ("pip install https://host/p-1.0.tar.gz#sha256=" + "a" * 64, []),
    ("pip install 'p @ https://host/p.whl#sha256=" + "a" * 64 + "'", []),
    ("pip install $PINNED", []),
    ("pip install $LOOSE", [("$LOOSE", "high")]),
    ("pip install ${TWO}", [("${TWO}", "high")]),
    ("pip install $EMPTY", []),
    ("pip install $UNKNOWN", [("$UNKNOWN", "low")]),
    ("pip install $(cat reqs)", [("$(cat reqs)", "low")]),
    ("pip install ${{ matrix.tool }}", [("${{ matrix.tool }}", "high")]),
    ("pip install ${{ inputs.pkg }}", [("${{ inputs.pkg }}", "low")]),
    ("FOO=1 sudo -H -u root env X=1 pip install flask", [("flask", "high")]),
    ("pip install -- flask", [("flask", "high")]),
    ("pip install a && pip install b==1 || pip install c; pip install d | tee l &",
     [("a", "high"), ("c", "high"), ("d", "high")]),
    ("if true; then pip install a; fi", [("a", "high")]),
    ("for p in a b; do pip install $p; done", [("$p", "low")]),
    ("bash -c 'pip install flask'", [("flask", "high")]),
    ("sh -ec \"pip install $LOOSE\"", [("$LOOSE", "high")]),
    ("echo pip install flask", []),
    ("echo 'pip install flask' # pip install x", []),
    ("cat <<EOF > f\npip install inside-heredoc\nEOF\npip install after", [("after", "high")]),
    ("pip install flask 2>&1 > log.txt", [("flask", "high")]),
    ("pip install requests<3", [("requests", "high")]),
]


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_pip_install_command_lines(script: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(script) == expected


def test_offsets_point_into_the_script() -> None:
    script = "set -e\npip install \\\n  requests==2.32.3 \\\n  flask\n"
    (problem,) = pip_install.scan(script, SCOPE)
    assert script[problem.word.start:].startswith("flask")
    inner = "bash -c 'pip install flask'"
    (problem,) = pip_install.scan(inner, SCOPE)
    assert inner.count("\n", 0, problem.word.start) == 0


def test_matrix_values_are_named_in_the_message() -> None:
    (problem,) = pip_install.scan("pip install ${{ matrix.tool }}", SCOPE)
    assert "`mypy`" in problem.message and "ruff" not in problem.message


def test_an_editable_at_a_commit_needs_no_deps() -> None:
    (problem,) = pip_install.scan(f"pip install -e git+https://h/o/r@{SHA}#egg=r", SCOPE)
    assert "is at a commit" in problem.message and "--no-deps" in problem.message
    assert problem.fix == f"pip install --no-deps -e git+https://h/o/r@{SHA}#egg=r"


def test_wheel_and_download_say_what_they_do() -> None:
    (wheel,) = pip_install.scan("pip wheel -w /wheels apprise", SCOPE)
    assert wheel.message.startswith("`pip wheel apprise` builds wheels of whatever version")
    assert wheel.fix == "pip wheel apprise==X.Y.Z"
    (download,) = pip_install.scan("python -m pip download -d /d ./src", SCOPE)
    assert download.message.startswith("`pip download ./src` downloads local code")
    assert download.fix == "pip download --no-deps ./src"


def test_fix_forms() -> None:
    by_spec = {p.spec: p.fix for p in pip_install.scan(
        "pip install flask git+https://h/o/r@v1 https://h/p.tar.gz ./src", SCOPE)}
    assert by_spec == {
        "flask": "pip install flask==X.Y.Z",
        "git+https://h/o/r@v1": "git+https://host/owner/repo@<40-hex commit sha>",
        "https://h/p.tar.gz": "https://h/p.tar.gz#sha256=<digest>",
        "./src": "pip install --no-deps ./src",
    }


@pytest.mark.parametrize(("script", "words"), [
    ("a 'b c' \"d $E\" f\\ g", ["a", "b c", "d $E", "f g"]),
    ("a ${{ matrix.x }}-y z", ["a", "${{ matrix.x }}-y", "z"]),
    ("a $(b c) `d e`", ["a", "$(b c)", "`d e`"]),
    ("a\\\nb", ["ab"]),
    ("a # comment\nb", ["a"]),
], ids=["quotes", "expression", "substitution", "continuation", "comment"])
def test_shell_words(script: str, words: list[str]) -> None:
    assert [w.text for w in commands(script)[0]] == words
