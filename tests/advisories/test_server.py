"""The loopback OSV server: what it answers, what it refuses, and that it really stops."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from secure_gate.advisories.db import AdvisoryDB
from secure_gate.advisories.server import OsvServer

RECORD = {
    "id": "SGTEST-SRV-1", "modified": "2024-01-01T00:00:00Z", "summary": "test",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "Served_Pkg"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                              {"fixed": "1.0"}]}]}],
}


@pytest.fixture
def db(tmp_path: Path) -> AdvisoryDB:
    (tmp_path / "SGTEST-SRV-1.json").write_text(json.dumps(RECORD))
    return AdvisoryDB.load(tmp_path)


def call(url: str, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def query(name: str, version: str, ecosystem: str = "PyPI") -> bytes:
    return json.dumps({"package": {"name": name, "ecosystem": ecosystem},
                       "version": version}).encode()


def test_answers_like_osv(db: AdvisoryDB) -> None:
    with OsvServer(db) as server:
        assert urlsplit(server.url).hostname == "127.0.0.1"
        assert server.url.endswith("/v1/query")
        status, body = call(server.url, "POST", "/v1/query", query("served-pkg", "0.9"))
        assert status == 200
        assert [v["id"] for v in body["vulns"]] == ["SGTEST-SRV-1"]
        assert body["vulns"][0]["affected"][0]["package"]["name"] == "served-pkg"
        assert call(server.url, "POST", "/v1/query", query("served-pkg", "1.0")) == (200, {})
        assert call(server.url, "POST", "/v1/query", query("unknown", "1.0")) == (200, {})
        assert server.queries == [("served-pkg", "0.9"), ("served-pkg", "1.0"),
                                  ("unknown", "1.0")]


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", "/v1/query", None, 404),
    ("POST", "/v1/querybatch", b"{}", 404),
    ("POST", "/v1/query", b"not json", 400),
    ("POST", "/v1/query", b"{}", 400),
    ("POST", "/v1/query", json.dumps({"commit": "abc"}).encode(), 400),
    ("POST", "/v1/query", None, 400),
])
def test_refuses_what_it_does_not_serve(db: AdvisoryDB, method: str, path: str,
                                        body: bytes | None, status: int) -> None:
    with OsvServer(db) as server:
        assert call(server.url, method, path, body)[0] == status
        assert server.queries == []


def test_refuses_other_ecosystems_and_huge_bodies(db: AdvisoryDB) -> None:
    with OsvServer(db) as server:
        assert call(server.url, "POST", "/v1/query", query("x", "1", "npm"))[0] == 400
        huge = b"{" + b" " * (65 * 1024) + b"}"
        assert call(server.url, "POST", "/v1/query", huge)[0] == 413


def test_the_port_is_closed_after_the_run(db: AdvisoryDB) -> None:
    with OsvServer(db) as server:
        url = server.url
    with pytest.raises(ConnectionRefusedError):
        call(url, "POST", "/v1/query", query("served-pkg", "0.9"))
