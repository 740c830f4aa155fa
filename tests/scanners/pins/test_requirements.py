"""Requirements files: every line pinned with == and hashed, includes checked where they point."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_gate.model import Confidence, Severity
from tests.scanners.pins.helpers import HASH, places, scan

SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"
PIN = "unpinned-requirement"
HASHLESS = "unhashed-requirement"
R = "requirements.txt"

# (case, files, expected (path, rule, line)): one finding per offending line, and one
# unhashed-requirement per file, on its first pinned line without --hash.
CASES = [
    ("range", {R: "requests>=2.0\n"}, [(R, PIN, 1)]),
    ("bare name", {R: "# deps\n\nrequests\n"}, [(R, PIN, 3)]),
    ("compatible release", {R: "requests~=2.32\n"}, [(R, PIN, 1)]),
    ("wildcard", {R: "requests==2.*\n"}, [(R, PIN, 1)]),
    ("pinned no hash", {R: "django==2.2.0\n"}, [(R, HASHLESS, 1)]),
    ("arbitrary equality", {R: f"django===2.2.0 {HASH}\n"}, []),
    ("pinned and hashed", {R: f"django==2.2.0 \\\n    {HASH}\nflask==3.0.3 {HASH}\n"}, []),
    ("one finding per file", {R: "a==1\nb==2\nc==3\n"}, [(R, HASHLESS, 1)]),
    ("mixed hashes", {R: f"a==1 {HASH}\nb==2\nc==3\n"}, [(R, HASHLESS, 2)]),
    ("unpinned and unhashed", {R: "django==2.2.0\nrequests>=2.0\n"},
     [(R, HASHLESS, 1), (R, PIN, 2)]),
    ("marker lines", {R: "a>=1; python_version<'3.12'\na==2; python_version>='3.12'\n"},
     [(R, HASHLESS, 2), (R, PIN, 1)]),
    ("extras", {R: f"celery[redis]==5.4.0 {HASH}\nuvicorn[standard]\n"}, [(R, PIN, 2)]),
    ("vcs commit", {R: f"git+https://github.com/o/r@{SHA}#egg=r\n"}, []),
    ("vcs branch", {R: "git+https://github.com/o/r@main#egg=r\n"}, [(R, PIN, 1)]),
    ("named vcs", {R: "r @ git+https://github.com/o/r@v1.0\n"}, [(R, PIN, 1)]),
    ("url without hash", {R: "https://host/p-1.0.tar.gz\n"}, [(R, PIN, 1)]),
    ("url with hash", {R: f"https://host/p-1.0.tar.gz {HASH}\n"}, []),
    ("url with hash fragment", {R: "p @ https://host/p.whl#sha256=" + "a" * 64 + "\n"}, []),
    ("editable local", {R: "-e .\n"}, [(R, PIN, 1)]),
    ("editable vcs commit", {R: f"-e git+https://github.com/o/r@{SHA}#egg=r\n"}, []),
    ("editable vcs branch", {R: "-e git+https://github.com/o/r@dev#egg=r\n"}, [(R, PIN, 1)]),
    ("local dir", {R: "./libs/core\n"}, [(R, PIN, 1)]),
    ("local wheel", {R: "./wheels/core-1.0-py3-none-any.whl\n"}, []),
    ("options only", {R: "--index-url https://pypi.org/simple\n--require-hashes\n"}, []),
    ("empty", {R: ""}, []),
    ("comments only", {R: "# nothing\n   # still nothing\n"}, []),
    ("include", {R: "-r base.txt\n", "base.txt": "flask\n"}, [("base.txt", PIN, 1)]),
    ("nested include", {R: "-r sub/a.txt\n", "sub/a.txt": "-r ../b.txt\n", "b.txt": "x\n"},
     [("b.txt", PIN, 1)]),
    ("include cycle", {R: "-r other.txt\nx>=1\n", "other.txt": "-r requirements.txt\ny\n"},
     [("other.txt", PIN, 2), (R, PIN, 2)]),
    ("include of a requirements file is checked once",
     {R: "-r requirements-dev.txt\n", "requirements-dev.txt": "pytest\n"},
     [("requirements-dev.txt", PIN, 1)]),
    ("constraints pin the name", {R: "-c constraints.txt\nrequests\n",
                                  "constraints.txt": f"requests==2.32.3 {HASH}\n"}, []),
    ("constraints reach includes", {R: "-c c.txt\n-r base.txt\n", "c.txt": "flask==3.0.3\n",
                                    "base.txt": "flask\n"}, []),
    ("loose constraint", {R: "-c c.txt\nrequests\n", "c.txt": "requests>=2\n"}, [(R, PIN, 2)]),
    ("constraints file alone installs nothing", {"constraints/c.txt": "requests>=2\n"}, []),
    ("url include", {R: "-r https://example.org/reqs.txt\n"}, [(R, PIN, 1)]),
    ("compiled input skipped", {"requirements.in": "flask\n",
                                R: f"flask==3.0.3 {HASH}\n"}, []),
    ("input alone is checked", {"requirements.in": "flask\n"},
     [("requirements.in", PIN, 1)]),
    ("requirements folder", {"requirements/dev.in": "-r base.in\npytest\n",
                             "requirements/dev.txt": "pytest==8.0.0\n"},
     [("requirements/dev.txt", HASHLESS, 1)]),
]


@pytest.mark.parametrize(("tree", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_requirements(tmp_path: Path, tree: dict[str, str],
                      expected: list[tuple[str, str, int]]) -> None:
    outcome = scan(tmp_path, tree)
    assert outcome.errors == []
    assert places(outcome) == sorted(expected)


def test_messages_and_fix_hints(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {R: "django==2.2.0\nrequests>=2.0\n-e .\n"})
    by_line = {f.location.line: f for f in outcome.findings if f.rule == PIN}
    assert by_line[2].fix == "requests==X.Y.Z --hash=sha256:<digest>"
    assert "accepts a range (`>=2.0`)" in by_line[2].message
    assert "requests==X.Y.Z --hash=sha256:<digest>" in by_line[2].message
    assert by_line[2].severity is Severity.MEDIUM and by_line[2].confidence is Confidence.HIGH
    # Editable and local lines are reported as such, below the default threshold.
    assert "editable install" in by_line[3].message
    assert by_line[3].severity is Severity.LOW and by_line[3].confidence is Confidence.MEDIUM
    (unhashed,) = [f for f in outcome.findings if f.rule == HASHLESS]
    assert unhashed.severity is Severity.LOW
    assert "1 of 1 pinned requirement(s) have no `--hash`" in unhashed.message
    assert "pip install --require-hashes -r requirements.txt" in unhashed.message


def test_mixed_hashes_say_pip_refuses(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {R: f"a==1 {HASH}\nb==2\n"})
    (finding,) = outcome.findings
    assert "pip refuses" in finding.message and "1 of 2" in finding.message


def test_require_hashes_option_raises_the_severity(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {R: "django==2.2.0\n"}, {"require-hashes": True})
    (finding,) = outcome.findings
    assert finding.rule == HASHLESS and finding.severity is Severity.MEDIUM


@pytest.mark.parametrize(("tree", "note"), [
    ({R: "-r ../outside.txt\n"}, "requirements.txt:1: `-r ../outside.txt` points outside"),
    ({R: "-r /etc/passwd\n"}, "points outside the repository"),
    ({R: "-c missing.txt\n"}, "names missing.txt, which does not exist"),
], ids=["parent", "absolute", "missing"])
def test_includes_not_followed_are_named(tmp_path: Path, tree: dict[str, str],
                                         note: str) -> None:
    outcome = scan(tmp_path / "repo", tree)
    assert outcome.findings == [] and outcome.errors == []
    assert any(note in n for n in outcome.notes), outcome.notes


def test_invalid_line_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {R: "flask==3.0.3\n--no-such-option\nnot a requirement!\n"})
    assert [e.split(":")[:2] for e in outcome.errors] == [[R, "2"], [R, "3"]]


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    outcome = scan(tmp_path, {R: b"flask==1.0 \xff\n"})
    assert outcome.errors == [f"{R} is not UTF-8 text, so it cannot be checked"]


def test_fingerprint_evidence_survives_line_moves(tmp_path: Path) -> None:
    first = scan(tmp_path / "a", {R: "requests>=2.0\n"}).findings[0]
    moved = scan(tmp_path / "b", {R: "# new comment\n\nrequests>=2.0\n"}).findings[0]
    assert moved.location.line == 3 and moved.evidence == first.evidence


def test_environment_variables_are_checked_as_written_and_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "token:s3cr3t@internal.example")
    outcome = scan(tmp_path, {R: (
        f"requests==${{VERSION}} {HASH}\n"                      # pinned, to the install's value
        "flask>=${MIN}\n"                                       # a range whatever MIN is
        f"p @ https://${{HOST}}/p-1.0.whl {HASH}\n"             # hashed URL: still checked, ok
        "q @ https://${HOST}/q-1.0.whl\n"                       # unhashed URL: still a finding
        "${PKG}\n"                                              # what it installs is unknown
        "-r ${REQ_DIR}/base.txt\n"
        "--extra-index-url https://${TOKEN}@host/simple\n")})
    assert outcome.errors == []
    assert places(outcome) == [(R, PIN, 2), (R, PIN, 4), (R, PIN, 5)]
    unknown = next(f for f in outcome.findings if f.location.line == 5)
    assert unknown.confidence is Confidence.MEDIUM and "${PKG}" in unknown.message
    assert outcome.notes == [
        f"{R}:{n}: `{text}` uses {used}, which pip expands from the environment at install "
        "time; read as written, never substituted"
        for n, text, used in ((1, f"requests==${{VERSION}} {HASH}", "${VERSION}"),
                              (2, "flask>=${MIN}", "${MIN}"),
                              (3, f"p @ https://${{HOST}}/p-1.0.whl {HASH}", "${HOST}"),
                              (4, "q @ https://${HOST}/q-1.0.whl", "${HOST}"),
                              (5, "${PKG}", "${PKG}"))] + [
        f"{R}:6: `-r ${{REQ_DIR}}/base.txt` names its file with ${{REQ_DIR}}, which pip "
        "expands from the environment at install time; not followed (the gate never "
        "substitutes variables)"]
    assert not any("s3cr3t" in text for f in outcome.findings
                   for text in (f.message, f.evidence, f.fix or ""))
