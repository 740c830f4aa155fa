"""The package index client and the advisory lookup, against the loopback double."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from packaging.version import Version

from secure_gate.advisories import lookup
from secure_gate.net import index
from secure_gate.net.http import Http, RateLimited, ServiceError
from secure_gate.net.services import Services
from tests.fix.fake_index import Index, Scripted, serve, vuln


@pytest.fixture
def served() -> Iterator[Index]:
    with serve() as state:
        yield state


def services(state: Index, waits: list[float] | None = None) -> Services:
    return Services(http=Http(timeout=5, sleep=(waits if waits is not None else []).append),
                    index_url=state.simple)


def page(files: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"meta": {"api-version": "1.1", "_last-serial": "37059094"}, "name": "Foo.Bar",
            "files": files, **extra}


def test_a_project_page_read_like_pip_reads_it() -> None:
    digest = "A" * 64
    found = index.parse_project(page([
        {"filename": "foo_bar-1.0-py3-none-any.whl", "hashes": {"sha256": digest},
         "requires-python": ">=3.8", "size": 10, "yanked": False},
        {"filename": "Foo.Bar-1.0.tar.bz2", "hashes": {"sha256": "b" * 64}},  # legacy sdist
        {"filename": "foo-bar-1.1rc1.zip", "hashes": {"sha256": "c" * 64}, "yanked": "oops"},
        {"filename": "foo_bar-0.9.win32.exe", "hashes": {"sha256": "d" * 64}},  # not pip's
        {"filename": "other-1.0-py3-none-any.whl", "hashes": {"sha256": "e" * 64}},
    ], versions=["0.9", "1.0", "1.1rc1", "not a version"]), "foo-bar", "https://x/simple/")
    assert [(f.filename, str(f.version)) for f in found.files] == [
        ("foo_bar-1.0-py3-none-any.whl", "1.0"), ("Foo.Bar-1.0.tar.bz2", "1.0"),
        ("foo-bar-1.1rc1.zip", "1.1rc1")]
    assert found.files[0].sha256 == "a" * 64  # digests compared in lower case
    assert found.versions == (Version("0.9"), Version("1.0"), Version("1.1rc1"))
    assert index.hashes_of(found.release(Version("1.0.0"))) == ["a" * 64, "b" * 64]
    assert found.yanked(Version("1.1rc1")) and not found.yanked(Version("1.0"))
    assert found.files[2].yanked == "oops"


@pytest.mark.parametrize(("document", "says"), [
    ([], "not a JSON object"),
    ({"name": "foo-bar", "files": []}, "not the simple API version 1"),
    (page([], meta={"api-version": "2.0"}), "not the simple API version 1"),
    (page("x"), "'files' is not a list"),  # type: ignore[arg-type]
    (page([{"filename": "a\nb.whl", "hashes": {}}]), "not a plain file name"),
    (page([{"filename": "x" * 300 + ".whl", "hashes": {}}]), "not a plain file name"),
    (page([{"filename": "foo_bar-1.0.tar.gz", "hashes": []}]), "'hashes' is not an object"),
    (page([{"filename": "foo_bar-1.0.tar.gz", "hashes": {"sha256": "a" * 63}}]),
     "not 64 hexadecimal digits"),
    (page([{"filename": "foo_bar-1.0.tar.gz", "hashes": {"sha256": "a" * 64},
            "size": True}]), "'size' is not a plausible byte count"),
    (page([{"filename": "foo_bar-1.0.tar.gz", "hashes": {"sha256": "a" * 64},
            "yanked": 1}]), "'yanked' is neither"),
    (page([], versions="1.0"), "'versions' is not a list of strings"),
])
def test_a_hostile_project_page_is_refused(document: Any, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        index.parse_project(document, "foo-bar", "https://x/simple/")


def test_answers_are_cached_and_unknown_projects_are_none(served: Index) -> None:
    served.wheel("one", "1.0")
    asked = services(served)
    first = index.fetch_project(asked, served.simple, "One")
    assert first is not None and first.name == "one"
    assert index.fetch_project(asked, served.simple, "one") is first
    assert index.fetch_project(asked, served.simple, "missing") is None
    assert index.fetch_project(asked, served.simple, "missing") is None
    assert served.asked("/simple/") == ["/simple/one/", "/simple/missing/"]
    assert asked.used == {f"the package index {served.simple}"}


def test_retry_after_is_waited_and_a_long_one_is_not(served: Index) -> None:
    served.wheel("one", "1.0")
    served.script += [Scripted("/simple/one/", 429, {"Retry-After": "7"}),
                      Scripted("/simple/one/", 503, {})]
    waits: list[float] = []
    assert index.fetch_project(services(served, waits), served.simple, "one") is not None
    assert waits == [7.0, 1.0]  # Retry-After, then the backoff
    served.script.append(Scripted("/simple/one/", 429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited, match=r"rate limit reached \(HTTP 429\); it allows more in"):
        index.fetch_project(services(served), served.simple, "one")
    served.script += [Scripted("/simple/one/", 503, {})] * 4
    with pytest.raises(ServiceError, match=r"the package index .* answered HTTP 503"):
        index.fetch_project(services(served), served.simple, "one")


def test_credentials_in_an_index_url_go_in_a_header(served: Index) -> None:
    served.wheel("one", "1.0")
    url = served.simple.replace("http://", "http://user:s%40cret@")
    asked = Services(http=Http(timeout=5), index_url=url)
    assert index.fetch_project(asked, url, "one") is not None
    assert served.auth == ["Basic dXNlcjpzQGNyZXQ="]
    with pytest.raises(ServiceError) as raised:
        served.script.append(Scripted("/simple/two/", 500, {}))
        asked.http.retries = 0
        index.fetch_project(asked, url, "two")
    assert "s%40cret" not in str(raised.value) and "user" not in str(raised.value)


@pytest.mark.parametrize(("lines", "says"), [
    (["--no-index", "-f ./wheels"], "the file says --no-index"),
    (["-i ${INDEX}"], "comes from an environment variable"),
    (["--index-url=ftp://x/simple"], "is not an http(s) URL"),
    (["--extra-index-url http://mirror.example/simple/"], "is plain http"),
])
def test_indexes_a_file_names_that_are_refused(lines: list[str], says: str) -> None:
    with pytest.raises(index.Refused, match=re.escape(says)):
        index.indexes_for(lines, Services())


def test_indexes_a_file_names() -> None:
    run = Services(index_url="http://127.0.0.1:9/simple/")
    assert index.indexes_for([], run) == index.Indexes("http://127.0.0.1:9/simple/")
    assert index.indexes_for(["-ihttps://a.example/simple", "--index-url=https://b.example/s",
                              "--extra-index-url https://c.example/s  # ok",
                              "--extra-index-url http://127.0.0.1:9/simple"], run) == \
        index.Indexes("https://b.example/s", ("https://c.example/s",
                                              "http://127.0.0.1:9/simple"))


def test_a_name_on_two_indexes_is_dependency_confusion(served: Index) -> None:
    served.wheel("one", "1.0", content=b"ours")
    with serve() as other:
        asked = services(served)
        where = index.Indexes(served.simple, (other.simple,))
        other.wheel("one", "1.0", content=b"ours")
        assert index.find(asked, where, "one", Version("1.0")) is not None  # the same files
        other.wheel("two", "1.0", content=b"theirs")
        served.wheel("two", "1.0", content=b"ours")
        with pytest.raises(index.Refused, match="two is on more than one index"):
            index.find(asked, where, "two", Version("1.0"))


def test_advisories_from_the_json_api(served: Index) -> None:
    served.wheel("pkg", "1.0")
    served.wheel("pkg", "2.0")
    served.vulns[("pkg", "1.0")] = [vuln("PYSEC-1", ["2.0"], ("CVE-1",)),
                                    {**vuln("PYSEC-9", []), "withdrawn": "2024-01-01"}]
    source, notes = lookup.for_fix({}, services(served))
    assert notes == []
    assert source.affecting("pkg", "1.0") == {"PYSEC-1", "CVE-1"}
    assert source.affecting("pkg", "2.0") == frozenset()
    assert source.affecting("pkg", "3.0") is None  # no such release: nothing can be said
    assert source.affecting("pkg", "1.0") == {"PYSEC-1", "CVE-1"}
    assert served.asked("/pypi/") == ["/pypi/pkg/1.0/json", "/pypi/pkg/2.0/json",
                                      "/pypi/pkg/3.0/json", "/pypi/pkg/json"]


def test_a_mirror_without_release_json_answers_for_the_latest(served: Index) -> None:
    served.wheel("pkg", "1.0")
    served.wheel("pkg", "2.0")
    served.vulns[("pkg", "2.0")] = [vuln("PYSEC-2", [])]
    served.script += [Scripted("/pypi/pkg/2.0/json", 404, {}, b"{}"),
                      Scripted("/pypi/pkg/1.0/json", 404, {}, b"{}")]
    source, _ = lookup.for_fix({}, services(served))
    assert source.affecting("pkg", "2.0") == {"PYSEC-2"}
    assert source.affecting("pkg", "1.0") is None


@pytest.mark.parametrize("body", [b"not json", json.dumps({"vulnerabilities": "x"}).encode(),
                                  json.dumps({"vulnerabilities": [{"aliases": []}]}).encode()])
def test_a_hostile_json_api_is_an_error(served: Index, body: bytes) -> None:
    served.script.append(Scripted("/pypi/pkg/1.0/json", 200,
                                  {"Content-Type": "application/json"}, body))
    source, _ = lookup.for_fix({}, services(served))
    with pytest.raises(ServiceError, match=f"the JSON API {served.url}/pypi/"):
        source.affecting("pkg", "1.0")


def test_an_html_page_reads_like_its_json() -> None:
    from secure_gate.net import simple_html

    text = ('<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1">'
            '</head><body>'
            '<a href="../../packages/ab/foo_bar-1.0-py3-none-any.whl#sha256=' + "a" * 64 +
            '" data-requires-python="&gt;=3.8">foo_bar-1.0-py3-none-any.whl</a><br/>'
            '<a href="https://files.example/foo-bar-1.0.tar.gz#md5=' + "b" * 32 +
            '" data-yanked="">foo-bar-1.0.tar.gz</a>'
            '<a href="foo_bar-0.9.tar.gz#sha256=' + "c" * 64 + '" data-yanked="bad">x</a>'
            '<a>no href</a></body></html>')
    document = simple_html.as_json(text, "foo-bar")
    assert document["meta"] == {"api-version": "1.1"}
    found = index.parse_project(document, "foo-bar", "https://x/simple/")
    assert [(f.filename, f.sha256, f.yanked, f.requires_python) for f in found.files] == [
        ("foo_bar-1.0-py3-none-any.whl", "a" * 64, None, ">=3.8"),
        ("foo-bar-1.0.tar.gz", None, "", None),  # only an md5: no sha256 to write
        ("foo_bar-0.9.tar.gz", "c" * 64, "bad", None)]


def test_the_next_json_api_is_asked_only_for_a_project_the_first_does_not_know(
        served: Index) -> None:
    served.wheel("mirrored", "1.0")
    with serve() as upstream:
        upstream.wheel("upstream-only", "1.0")
        upstream.vulns[("upstream-only", "1.0")] = [vuln("PYSEC-3", [])]
        source = lookup.PypiJson(services(served), (served.url + "/pypi/",
                                                    upstream.url + "/pypi/"))
        assert source.affecting("mirrored", "1.0") == frozenset()
        assert source.affecting("mirrored", "9.9") is None  # known there: not asked further
        assert source.affecting("upstream-only", "1.0") == {"PYSEC-3"}
        assert upstream.asked("/pypi/") == ["/pypi/upstream-only/1.0/json"]


def test_the_json_apis_for_an_index() -> None:
    assert lookup.json_apis_for("https://pypi.org/simple/") == ("https://pypi.org/pypi/",)
    assert lookup.json_apis_for("https://devpi.example/root/pypi/simple") == (
        "https://devpi.example/root/pypi/pypi/", "https://pypi.org/pypi/")
    assert lookup.json_apis_for("https://corp.example/api/pypi/+simple/") == (
        "https://pypi.org/pypi/",)


def test_a_huge_answer_is_refused_at_once(served: Index) -> None:
    served.wheel("one", "1.0")
    served.script.append(Scripted("/simple/one/", 200, {"Content-Type": index.SIMPLE_JSON},
                                  b" " * (33 * 1024 * 1024)))
    with pytest.raises(ServiceError, match="answered with more than 33554432 bytes"):
        index.fetch_project(services(served), served.simple, "one")
    assert served.asked("/simple/") == ["/simple/one/"]  # never fetched again


def test_an_html_page_with_an_href_that_is_no_url_is_a_service_error(served: Index) -> None:
    # urlsplit raises on `http://[::1/...`: a ValueError and a traceback, not the index named.
    served.wheel("one", "1.0")
    served.script.append(Scripted("/simple/one/", 200, {"Content-Type": "text/html"},
                                  b'<a href="http://[::1/one-1.0.tar.gz#sha256=00">x</a>'))
    with pytest.raises(ServiceError, match="answered an HTML page that cannot be read: "
                                           "Invalid IPv6 URL"):
        index.fetch_project(services(served), served.simple, "one")
