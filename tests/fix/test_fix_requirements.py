"""secure-gate fix on requirements files: hashes added, ranges pinned, the rest explained."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fix.fake_index import File, Index, Scripted, serve, vuln


@pytest.fixture
def index() -> Iterator[Index]:
    with serve() as served:
        yield served


def fix(run_cli: Callable[..., Any], root: Path, index: Index, *extra: str) -> Any:
    return run_cli(root, "fix", "--only", "pins", "--index-url", index.simple, *extra)


def read(root: Path, name: str = "requirements.txt") -> str:
    with (root / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def hashes(*files: File) -> list[str]:
    return sorted({f.sha256 for f in files})


def test_every_pinned_line_gets_every_file_hash(index: Index, make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    wheel = index.wheel("requests", "2.32.3")
    sdist = index.sdist("requests", "2.32.3")
    index.wheel("requests", "2.32.2")  # another release: never its hashes
    flask = index.wheel("Flask", "3.0.0")
    text = ("# top comment\n"
            "requests==2.32.3  # http client\n"
            "\n"
            'Flask[async] == 3.0.0 ; python_version >= "3.8"\n')
    repo = make_repo({"requirements.txt": text})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0, result.out
    a, b = hashes(wheel, sdist)
    assert read(repo.root) == ("# top comment\n"
                               "requests==2.32.3 \\\n"
                               f"    --hash=sha256:{a} \\\n"
                               f"    --hash=sha256:{b}  # http client\n"
                               "\n"
                               'Flask[async] == 3.0.0 ; python_version >= "3.8" \\\n'
                               f"    --hash=sha256:{flask.sha256}\n")
    assert "2 edit(s), changed 1 file(s)" in result.out
    assert "requests==2.32.3: 2 --hash=sha256 added" in result.out
    # The index was asked in PEP 691 JSON.
    assert all("application/vnd.pypi.simple.v1+json" in accept for _, accept in index.seen)
    # Idempotent: the second run finds nothing and changes nothing.
    before = read(repo.root)
    again = fix(run_cli, repo.root, index)
    assert again.code == 0
    assert "0 edit(s), changed 0 file(s)" in again.out
    assert read(repo.root) == before
    scan = run_cli(repo.root, "scan", "--scanners", "pins")
    assert [f["rule"] for f in scan.json_report["findings"]] == []


def test_crlf_continuations_and_hashed_lines_kept(index: Index, make_repo: Callable[..., Any],
                                                  run_cli: Callable[..., Any]) -> None:
    one = index.wheel("one", "1.0")
    two = index.wheel("two", "2.0")
    index.wheel("three", "3.0")
    kept = "0" * 64
    text = ("one==1.0\r\n"
            "two == 2.0 \\\r\n"
            "    ; sys_platform != \"win32\"\r\n"
            f"three==3.0 --hash=sha256:{kept}\r\n"
            "# the end")
    repo = make_repo({"requirements.txt": text})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0, result.out
    assert read(repo.root) == (
        "one==1.0 \\\r\n"
        f"    --hash=sha256:{one.sha256}\r\n"
        "two == 2.0     ; sys_platform != \"win32\" \\\r\n"
        f"    --hash=sha256:{two.sha256}\r\n"
        f"three==3.0 --hash=sha256:{kept}\r\n"  # a line with hashes is the user's: untouched
        "# the end")


def test_diff_and_dry_run_write_nothing(index: Index, make_repo: Callable[..., Any],
                                        run_cli: Callable[..., Any]) -> None:
    made = index.wheel("one", "1.0")
    repo = make_repo({"requirements.txt": "one==1.0\n"})
    diff = fix(run_cli, repo.root, index, "--diff")
    assert diff.code == 0
    assert read(repo.root) == "one==1.0\n"
    assert diff.out == ("--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1,2 @@\n"
                        f"-one==1.0\n+one==1.0 \\\n+    --hash=sha256:{made.sha256}\n")
    dry = fix(run_cli, repo.root, index, "--dry-run")
    assert dry.code == 0
    assert "would change 1 file(s)" in dry.out
    assert read(repo.root) == "one==1.0\n"


def test_yanked_release_still_hashed_with_a_note(index: Index, make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    made = index.wheel("old", "0.9", yanked="broken metadata")
    repo = make_repo({"requirements.txt": "old==0.9\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0
    assert read(repo.root) == f"old==0.9 \\\n    --hash=sha256:{made.sha256}\n"
    assert "note: requirements.txt:1: old 0.9 is yanked on the package index" in result.out
    assert "(broken metadata)" in result.out


def test_unknown_project_and_version_are_left_with_reasons(
        index: Index, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    index.wheel("known", "1.0")
    made = index.wheel("fine", "1.0")
    text = "known==2.0\nnowhere==1.0\nfine==1.0\n"
    repo = make_repo({"requirements.txt": text})
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    assert "requirements.txt:1: pins/unhashed-requirement: known 2.0 has no distribution " \
        "file on the package index" in result.out
    assert "requirements.txt:2: pins/unhashed-requirement: nowhere is not on the package " \
        "index" in result.out
    assert read(repo.root) == (f"known==2.0\nnowhere==1.0\nfine==1.0 \\\n"
                               f"    --hash=sha256:{made.sha256}\n")


def test_lines_pip_cannot_hash_are_explained(index: Index, make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    made = index.wheel("one", "1.0")
    text = ("one==1.0\n"
            "-e .\n"
            "git+https://github.com/o/r@main#egg=r\n"
            "./vendor/pkg\n"
            "https://example.invalid/x-1.0.tar.gz\n"
            "ranged>=1.0\n")
    repo = make_repo({"requirements.txt": text, "vendor/pkg/setup.py": "x = 1\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    out = result.out
    # Each at its line in the file as written (one==1.0's hash moved them down one).
    assert "requirements.txt:3: pins/unpinned-requirement: an editable install" in out
    assert "requirements.txt:4: pins/unpinned-requirement: installed from version control" \
        in out
    assert "requirements.txt:5: pins/unpinned-requirement: a local path" in out
    assert "requirements.txt:6: pins/unpinned-requirement: a URL: download the file" in out
    assert ("requirements.txt:7: pins/unpinned-requirement: it accepts a range (`>=1.0`): run "
            "`secure-gate fix --pin`") in out
    assert read(repo.root).startswith(f"one==1.0 \\\n    --hash=sha256:{made.sha256}\n-e .\n")
    assert index.asked("/simple/ranged") == []  # nothing asked without --pin


def test_pin_takes_the_highest_clean_release(index: Index, make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any]) -> None:
    for version in ("1.0", "1.1", "1.2", "2.0rc1"):
        index.wheel("ranged", version)
    index.wheel("ranged", "1.3", yanked=True)
    index.wheel("ranged", "3.0")  # outside the range
    index.vulns[("ranged", "1.2")] = [vuln("PYSEC-2099-1", ["1.3"], ("CVE-2099-1",))]
    repo = make_repo({"requirements.txt": "Ranged[x]>=1.0,<3 ; python_version > '3'  # why\n"})
    result = fix(run_cli, repo.root, index, "--pin")
    assert result.code == 0, result.out
    chosen = index.projects["ranged"]["1.1"][0]
    assert read(repo.root) == ("Ranged[x]==1.1 ; python_version > '3' \\\n"
                               f"    --hash=sha256:{chosen.sha256}  # why\n")
    assert "ranged pinned to 1.1" in result.out
    # The advisory data is the JSON API beside the index; 1.3 is yanked, 2.0rc1 a prerelease.
    assert index.asked("/pypi/") == ["/pypi/ranged/1.2/json", "/pypi/ranged/1.1/json"]
    again = fix(run_cli, repo.root, index, "--pin")
    assert again.code == 0 and "0 edit(s)" in again.out


def test_pin_with_pre_and_every_release_vulnerable(index: Index, make_repo: Callable[..., Any],
                                                   run_cli: Callable[..., Any]) -> None:
    index.wheel("pkg", "1.0")
    index.wheel("pkg", "2.0rc1")
    index.vulns[("pkg", "1.0")] = [vuln("GHSA-aaaa-bbbb-cccc", [])]
    repo = make_repo({"requirements.txt": "--pre\npkg\n",
                      "b/requirements.txt": "pkg<2\n"})
    result = fix(run_cli, repo.root, index, "--pin")
    assert result.code == 1
    assert read(repo.root).startswith("--pre\npkg==2.0rc1 \\\n")
    assert ("b/requirements.txt:1: pins/unpinned-requirement: every release `<2` allows has a "
            f"known advisory in the JSON API {index.url}/pypi/ then https://pypi.org/pypi/: 1.0 "
            "(GHSA-aaaa-bbbb-cccc)") in result.out
    assert read(repo.root, "b/requirements.txt") == "pkg<2\n"


def test_pin_never_takes_a_release_the_data_does_not_know(
        index: Index, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    index.wheel("pkg", "1.0")
    index.wheel("pkg", "2.0")
    index.script.append(Scripted("/pypi/pkg/1.0/json", 404, {"Content-Type": "application/json"},
                                 b'{"message": "Not Found"}'))
    repo = make_repo({"requirements.txt": "pkg<2\n"})
    result = fix(run_cli, repo.root, index, "--pin")
    assert result.code == 1
    assert (f"requirements.txt:1: pins/unpinned-requirement: the JSON API {index.url}/pypi/ "
            "then https://pypi.org/pypi/ knows none of the releases `<2` allows (1.0), so none "
            "can be chosen as free of advisories; pin one by hand") in result.out
    assert index.asked("/pypi/") == ["/pypi/pkg/1.0/json", "/pypi/pkg/json"]
    assert read(repo.root) == "pkg<2\n"


def test_pin_chooses_by_the_offline_database(index: Index, make_repo: Callable[..., Any],
                                             run_cli: Callable[..., Any], tmp_path: Path) -> None:
    for version in ("1.0", "1.1"):
        index.wheel("pkg", version)
    db = tmp_path / "osv"
    db.mkdir()
    (db / "OSV-1.json").write_text(json.dumps({
        "id": "OSV-1", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"},
                      "versions": ["1.1"]}]}), encoding="utf-8")
    repo = make_repo({"requirements.txt": "pkg>=1\n",
                      ".secure-gate.yml": f"scanners:\n  pip-audit:\n    advisory-db: {db}\n"})
    result = fix(run_cli, repo.root, index, "--pin")
    assert result.code == 0, result.out
    assert read(repo.root).startswith("pkg==1.0 \\\n")
    assert "offline advisory database" in result.out
    assert index.asked("/pypi/") == []


def test_scripts_are_explained(index: Index, make_repo: Callable[..., Any],
                               run_cli: Callable[..., Any]) -> None:
    repo = make_repo({
        "Dockerfile": "FROM python@sha256:" + "a" * 64 + "\nRUN pip install requests\n",
        ".github/workflows/ci.yml": ("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                                     "    steps:\n      - run: pip install flask\n"),
    })
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    for where in ("Dockerfile:2", ".github/workflows/ci.yml:6"):
        assert (f"{where}: pins/unpinned-pip-install: a `pip install` in a script is not "
                "rewritten") in result.out
    assert index.seen == []


def test_missing_lock_names_the_tools(tmp_path: Path) -> None:
    from secure_gate.net.services import Services
    from secure_gate.scanners.base import FixJob
    from secure_gate.scanners.pins import fix_requirements, lockfile

    text = "[project]\nname = 'app'\nversion = '1'\ndependencies = ['requests']\n"
    found = lockfile.check([("svc/pyproject.toml", text)], lambda folder: [],
                           lambda path: None).findings
    assert [f.rule for f in found] == ["missing-lockfile"]
    job = FixJob(root=tmp_path, findings=tuple(found), options={}, services=Services())
    outcome = fix_requirements.fix(job, found)
    assert outcome.edits == []
    [unfixed] = outcome.unfixed
    assert (unfixed.path, unfixed.line, unfixed.rule) == ("svc/pyproject.toml", 4,
                                                          "pins/missing-lockfile")
    assert unfixed.reason.startswith("a lock file is made by the project's tool, never by "
                                     "hand: `uv lock` (uv), `poetry lock` (Poetry)")
    assert "pip-compile --generate-hashes -o requirements.txt pyproject.toml" in unfixed.reason


def test_variables_and_odd_separators_are_refused(index: Index, make_repo: Callable[..., Any],
                                                  run_cli: Callable[..., Any]) -> None:
    index.wheel("one", "1.0")
    repo = make_repo({"requirements.txt": "one==${ONE_VERSION}\n",
                      "b/requirements.txt": "# a form feed\f here\none==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    assert "requirements.txt:1: pins/unhashed-requirement: its version comes from " \
        "${ONE_VERSION}" in result.out
    # pip splits at the form feed: ` here` is a requirement of its own, on line 2.
    assert "b/requirements.txt:2: pins/unpinned-requirement: the file holds line " \
        "separators other than" in result.out
    assert "b/requirements.txt:3: pins/unhashed-requirement: the file holds line " \
        "separators other than" in result.out
    assert read(repo.root, "b/requirements.txt") == "# a form feed\f here\none==1.0\n"


def test_the_files_own_index_url(index: Index, make_repo: Callable[..., Any],
                                 run_cli: Callable[..., Any]) -> None:
    made = index.wheel("one", "1.0")
    with serve() as other:
        other.wheel("one", "1.0", content=b"another file")
        text = f"--index-url {other.simple}\none==1.0\n"
        repo = make_repo({"requirements.txt": text,
                          "b/requirements.txt": f"-i {index.simple}\none==1.0\n"})
        result = fix(run_cli, repo.root, index)
        assert other.seen == []  # plain http that the run was not told to trust: never asked
    assert result.code == 1
    assert "is plain http: what it answers could be anyone's; pass it as `--index-url`" \
        in result.out
    assert read(repo.root) == text
    assert read(repo.root, "b/requirements.txt") == (
        f"-i {index.simple}\none==1.0 \\\n    --hash=sha256:{made.sha256}\n")


def test_an_including_files_index_holds_for_the_included(
        index: Index, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    index.wheel("one", "1.0")
    with serve() as other:
        repo = make_repo({"requirements.txt": f"--index-url {other.simple}\n"
                                              "-r deps/requirements-base.txt\n",
                          "deps/requirements-base.txt": "one==1.0\n"})
        result = fix(run_cli, repo.root, index)
        assert other.seen == []
    assert result.code == 1
    assert ("deps/requirements-base.txt:1: pins/unhashed-requirement: it is included from "
            f"requirements.txt, where the file's --index-url {other.simple} is plain http"
            ) in result.out
    assert read(repo.root, "deps/requirements-base.txt") == "one==1.0\n"


def test_includers_at_any_depth() -> None:
    from secure_gate.manifests.reqedit import includers

    files = {"requirements.txt": "-i https://a.example/simple\n-r requirements/mid.txt\n",
             "requirements/mid.txt": "-r leaf.txt\n--extra-index-url https://b.example/s\n",
             "requirements/leaf.txt": "one==1.0\n",
             "requirements/other.txt": "-c leaf.txt\n",  # no options: nothing to add
             "requirements/cycle.txt": "-r cycle.txt\n-i https://c.example/simple\n"}
    found = includers(files, files.__getitem__, "requirements/leaf.txt")
    assert found == [("requirements/mid.txt", ["--extra-index-url https://b.example/s"]),
                     ("requirements.txt", ["-i https://a.example/simple"])]
    assert includers(files, files.__getitem__, "requirements/cycle.txt") == []


@pytest.mark.parametrize(("answer", "says"), [
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              b"<html>not json</html>"), "answered with something that is not JSON"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/octet-stream"}, b"{}"),
     "answered application/octet-stream, not the simple API"),
    (Scripted("/simple/one/", 200, {"Content-Type": "text/html"},
              b'<a href="/p/one-1.0-py3-none-any.whl#sha256=zz">x</a>'),
     "its sha256 is not 64 hexadecimal digits"),
    (Scripted("/simple/one/", 200, {"Content-Type": "text/html"}, b"\xff\xfe<html>"),
     "answered an HTML page that is not UTF-8"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              json.dumps({"meta": {"api-version": "1.0"}, "name": "one", "files": [
                  {"filename": "one-1.0-py3-none-any.whl",
                   "hashes": {"sha256": "zz" * 32}}]}).encode()),
     "its sha256 is not 64 hexadecimal digits"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              json.dumps({"meta": {"api-version": "1.0"}, "name": "one", "files": [
                  {"filename": "../../one-1.0-py3-none-any.whl",
                   "hashes": {"sha256": "a" * 64}}]}).encode()),
     "a file name is not a plain file name"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              json.dumps({"meta": {"api-version": "1.0"}, "name": "evil", "files": []}
                         ).encode()), "it describes another project ('evil')"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              json.dumps({"meta": {"api-version": "1.0"}, "name": "one", "files": [
                  {"filename": "one-1.0-py3-none-any.whl", "hashes": {"sha256": "a" * 64},
                   "size": -1}]}).encode()), "'size' is not a plausible byte count"),
    (Scripted("/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
              b"[" * 33 * 1024 * 1024), "answered with more than 33554432 bytes"),
    (Scripted("/simple/one/", 403, {"Content-Type": "text/html"}, b"denied"),
     "refused the request (HTTP 403"),
])
def test_a_hostile_index_changes_nothing(answer: Scripted, says: str, index: Index,
                                         make_repo: Callable[..., Any],
                                         run_cli: Callable[..., Any]) -> None:
    index.wheel("one", "1.0")
    index.wheel("two", "1.0")
    index.script.append(answer)
    repo = make_repo({"requirements.txt": "one==1.0\ntwo==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 3  # the service failed: the run stops, nothing is written
    assert read(repo.root) == "one==1.0\ntwo==1.0\n"
    assert result.err.startswith(f"secure-gate: error: the package index {index.simple} "
                                 f"({index.simple}one/): ")
    assert says in result.err


def test_an_index_that_speaks_only_html(index: Index, make_repo: Callable[..., Any],
                                        run_cli: Callable[..., Any]) -> None:
    index.html_only = True
    wheel = index.wheel("one", "1.0", requires_python=">=3.8,<4")
    sdist = index.sdist("one", "1.0", yanked="")
    repo = make_repo({"requirements.txt": "one==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0, result.out
    a, b = hashes(wheel, sdist)
    assert read(repo.root) == f"one==1.0 \\\n    --hash=sha256:{a} \\\n    --hash=sha256:{b}\n"


def test_a_file_without_sha256_is_left(index: Index, make_repo: Callable[..., Any],
                                       run_cli: Callable[..., Any]) -> None:
    index.script.append(Scripted(
        "/simple/one/", 200, {"Content-Type": "application/vnd.pypi.simple.v1+json"},
        json.dumps({"meta": {"api-version": "1.0"}, "name": "one", "files": [
            {"filename": "one-1.0-py3-none-any.whl", "hashes": {"md5": "a" * 32}}]}).encode()))
    repo = make_repo({"requirements.txt": "one==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    assert (f"requirements.txt:1: pins/unhashed-requirement: the package index {index.simple} "
            "gives no sha256 for one-1.0-py3-none-any.whl: pip could not check it") in result.out
    assert read(repo.root) == "one==1.0\n"




def test_rate_limit_retried_after_its_wait(index: Index, make_repo: Callable[..., Any],
                                           run_cli: Callable[..., Any]) -> None:
    made = index.wheel("one", "1.0")
    index.script += [Scripted("/simple/one/", 429, {"Retry-After": "0"}),
                     Scripted("/simple/one/", 503, {"Retry-After": "0"})]
    repo = make_repo({"requirements.txt": "one==1.0\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 0, result.out
    assert index.asked("/simple/one/") == ["/simple/one/"] * 3
    assert read(repo.root) == f"one==1.0 \\\n    --hash=sha256:{made.sha256}\n"


def test_unreachable_index_is_named(make_repo: Callable[..., Any],
                                    run_cli: Callable[..., Any]) -> None:
    with serve() as gone:
        url = gone.simple
    repo = make_repo({"requirements.txt": "one==1.0\n"})
    result = run_cli(repo.root, "fix", "--only", "pins", "--index-url", url, "--timeout", "2")
    assert result.code == 3
    assert f"secure-gate: error: the package index {url} ({url}one/): unreachable" in result.err
    assert read(repo.root) == "one==1.0\n"



def test_a_service_error_names_the_repositorys_index_url_escaped(
        index: Index, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    # The file's own index URL, with a terminal escape and a bidi override, is named in the
    # error that ends the run: one escaped line, never the raw bytes.
    text = "--index-url https://127.0.0.1:1/\x1b[2J\u202esimple/\nfoo==1.0\n"
    repo = make_repo({"requirements.txt": text})
    result = fix(run_cli, repo.root, index)
    assert result.code == 3, result.out
    assert result.err.startswith(
        "secure-gate: error: the package index https://127.0.0.1:1/\\x1b[2J\\u202esimple/ ")
    assert "is not a URL that can be asked" in result.err
    assert "; asked the package index https://127.0.0.1:1/\\x1b[2J\\u202esimple/\n" \
        in result.out
    assert not {"\x1b", "\u202e"} & set(result.out + result.err)
    assert read(repo.root) == text


def test_what_is_left_is_listed_once_with_the_fixers_reasons(
        index: Index, make_repo: Callable[..., Any], run_cli: Callable[..., Any]) -> None:
    # After the hashes moved the lines, the range and the unhashed file are still reported
    # at other lines than the reasons name: no second, reasonless entry for them.
    index.wheel("foo", "1.0")
    repo = make_repo({"requirements.txt": "# x\nfoo==1.0\nbar==2.0\nbaz>=1\n"})
    result = fix(run_cli, repo.root, index)
    assert result.code == 1
    assert "not fixed: 2\n" in result.out
    assert "gave no reason" not in result.out
    # Named at their lines in the file as written (foo's hash moved them down one).
    assert "requirements.txt:4: pins/unhashed-requirement: bar is not on" in result.out
    assert "requirements.txt:5: pins/unpinned-requirement: it accepts a range" in result.out
    assert read(repo.root).splitlines()[3:5] == ["bar==2.0", "baz>=1"]
