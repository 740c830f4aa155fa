"""A loopback package index answering like PyPI: the simple API and the JSON API.

- ``GET /simple/<project>/``: PEP 691 JSON (``application/vnd.pypi.simple.v1+json``, with
  PEP 700 ``versions`` and ``size``) when the ``Accept`` header asks for it, else PEP 503
  HTML; a name that is not normalised is redirected (301) to the normalised one, as PyPI
  does; an unknown project is a 404.
- ``GET /packages/<file>``: the file's bytes.
- ``GET /pypi/<project>/<version>/json``: the release's ``info``, ``urls`` and
  ``vulnerabilities`` (PyPI's shape), 404 ``{"message": "Not Found"}`` when unknown.
- ``script``: canned answers (429/503 with ``Retry-After``, a body that is not JSON, a huge
  body, a hostile document) served once each to the next matching request.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class File:
    """One distribution file the index serves."""

    filename: str
    content: bytes
    requires_python: str | None = None
    yanked: bool | str = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Scripted:
    """An answer served once to the next request whose path starts with ``path``."""

    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Index:
    """The index's world: projects and their files, advisories, the script, what was asked."""

    projects: dict[str, dict[str, list[File]]] = field(default_factory=dict)
    vulns: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    script: list[Scripted] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, accept)
    auth: list[str] = field(default_factory=list)  # Authorization headers received
    html_only: bool = False  # an index without PEP 691: HTML whatever the Accept header
    url: str = ""

    def add(self, name: str, version: str, *files: File) -> None:
        self.projects.setdefault(canonicalize_name(name), {}).setdefault(version, []).extend(
            files)

    def wheel(self, name: str, version: str, content: bytes | None = None, **kw: Any) -> File:
        """Add a (fake-content) wheel for ``name`` ``version``, and return it."""
        dist = re.sub(r"[-_.]+", "_", name)
        made = File(f"{dist}-{version}-py3-none-any.whl",
                    content or f"wheel {name} {version}".encode(), **kw)
        self.add(name, version, made)
        return made

    def sdist(self, name: str, version: str, **kw: Any) -> File:
        dist = re.sub(r"[-_.]+", "_", name)
        made = File(f"{dist}-{version}.tar.gz", f"sdist {name} {version}".encode(), **kw)
        self.add(name, version, made)
        return made

    @property
    def simple(self) -> str:
        return self.url + "/simple/"

    def asked(self, prefix: str) -> list[str]:
        return [p for p, _ in self.seen if p.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None
              ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        state = self.server.state
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            state.seen.append((path, self.headers.get("Accept", "")))
            if self.headers.get("Authorization"):
                state.auth.append(self.headers["Authorization"])
            scripted = next((s for s in state.script if path.startswith(s.path)), None)
            if scripted is not None:
                state.script.remove(scripted)
        if scripted is not None:
            headers = dict(scripted.headers)
            kind = headers.pop("Content-Type", "text/plain")
            self._send(scripted.status, scripted.body, kind, headers)
            return
        if match := re.fullmatch(r"/simple/([^/]+)/?", path):
            self._simple(match.group(1))
        elif match := re.fullmatch(r"/packages/([^/]+)", path):
            self._package(match.group(1))
        elif match := re.fullmatch(r"/pypi/([^/]+)/([^/]+)/json", path):
            self._json(match.group(1), match.group(2))
        elif match := re.fullmatch(r"/pypi/([^/]+)/json", path):
            self._json(match.group(1), None)
        else:
            self._send(404, b"404 Not Found", "text/plain")

    def _files(self, name: str) -> list[tuple[str, File]]:
        return [(v, f) for v, files in self.server.state.projects[name].items() for f in files]

    def _simple(self, raw: str) -> None:
        name = canonicalize_name(raw)
        if name != raw:
            self._send(301, b"", "text/html", {"Location": f"/simple/{name}/"})
            return
        if name not in self.server.state.projects:
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
            return
        base = self.server.state.url
        if SIMPLE_JSON in self.headers.get("Accept", "") and not self.server.state.html_only:
            document = {
                "meta": {"api-version": "1.3", "_last-serial": 1},
                "name": name,
                "versions": sorted(self.server.state.projects[name]),
                "files": [{
                    "filename": f.filename, "url": f"{base}/packages/{f.filename}",
                    "hashes": {"sha256": f.sha256}, "requires-python": f.requires_python,
                    "size": len(f.content), "upload-time": "2024-05-29T15:37:47.027753Z",
                    "yanked": f.yanked, "core-metadata": False,
                    "data-dist-info-metadata": False, "provenance": None,
                } for _, f in self._files(name)],
                "alternate-locations": [], "project-status": {"status": "active"},
            }
            self._send(200, json.dumps(document).encode(), SIMPLE_JSON)
            return
        links = []
        for _, f in self._files(name):
            extra = ""
            if f.requires_python:
                extra += f' data-requires-python="{html.escape(f.requires_python)}"'
            if f.yanked is not False:
                extra += f' data-yanked="{html.escape(str(f.yanked or ""))}"'
            links.append(f'<a href="{base}/packages/{f.filename}#sha256={f.sha256}"{extra}>'
                         f"{f.filename}</a><br />")
        page = ("<!DOCTYPE html><html><head><meta name=\"pypi:repository-version\" "
                f"content=\"1.3\"></head><body>{''.join(links)}</body></html>")
        self._send(200, page.encode(), "text/html")

    def _package(self, filename: str) -> None:
        for files in self.server.state.projects.values():
            for found in (f for fs in files.values() for f in fs if f.filename == filename):
                self._send(200, found.content, "application/octet-stream")
                return
        self._send(404, b"404 Not Found", "text/plain")

    def _json(self, raw: str, version: str | None) -> None:
        """A release's JSON, or (``version`` None) the project's: the latest release's
        ``info``, ``urls`` and ``vulnerabilities``, and every release's files."""
        state = self.server.state
        name = canonicalize_name(raw)
        releases = state.projects.get(name, {})
        whole = version is None
        if whole and releases:
            version = max(releases, key=Version)
        if version is None or version not in releases:
            self._send(404, json.dumps({"message": "Not Found"}).encode(), "application/json")
            return
        document = {
            "info": {"name": name, "version": version, "yanked": False},
            "last_serial": 1,
            "urls": [{"filename": f.filename, "digests": {"sha256": f.sha256},
                      "url": f"{state.url}/packages/{f.filename}", "yanked": f.yanked}
                     for f in releases[version]],
            "vulnerabilities": state.vulns.get((name, version), []),
        }
        if whole:
            document["releases"] = {v: [{"filename": f.filename,
                                          "digests": {"sha256": f.sha256}} for f in files]
                                     for v, files in releases.items()}
        self._send(200, json.dumps(document).encode(), "application/json")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Index) -> None:
        self.state = state
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def serve(state: Index | None = None) -> Iterator[Index]:
    """Serve an index on 127.0.0.1 for the length of the block."""
    index = state or Index()
    server = _Server(index)
    host, port = server.server_address[:2]
    index.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def vuln(advisory_id: str, fixed_in: list[str], aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``vulnerabilities`` entry as PyPI's JSON API gives it."""
    return {"id": advisory_id, "aliases": list(aliases), "details": f"{advisory_id} details",
            "summary": None, "fixed_in": fixed_in, "link": f"https://osv.dev/vulnerability/"
            f"{advisory_id}", "source": "osv", "withdrawn": None}
