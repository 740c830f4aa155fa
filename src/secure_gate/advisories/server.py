"""A loopback HTTP server that answers OSV's ``POST /v1/query`` from an offline database."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from secure_gate.advisories import osv
from secure_gate.advisories.db import AdvisoryDB

QUERY_PATH = "/v1/query"
_MAX_BODY = 64 * 1024


def _parse_query(body: bytes) -> tuple[str, str]:
    """(name, version) from an OSV query; ``ValueError`` says what is wrong with it."""
    try:
        query = json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError("the body is not JSON") from None
    package = query.get("package") if isinstance(query, dict) else None
    if not isinstance(package, dict):
        raise ValueError("expected {'package': {...}, 'version': ...}")
    name, version = package.get("name"), query.get("version")
    if package.get("ecosystem") != osv.ECOSYSTEM:
        raise ValueError("only the PyPI ecosystem is served")
    if not isinstance(name, str) or not name or not isinstance(version, str) or not version:
        raise ValueError("a package name and a version are required")
    return name, version


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, each answer on a
    # kept-alive connection waited for the client's delayed ACK (about 40 ms a query).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the gate's output is its report, not an access log."""

    def _reply(self, status: HTTPStatus, document: object) -> None:
        body = json.dumps(document).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Only queries are served."""
        self._reply(HTTPStatus.NOT_FOUND, {"message": "only POST /v1/query is served"})

    def do_POST(self) -> None:
        """Answer one OSV query: the records affecting that version, or ``{}``."""
        if self.path.split("?", 1)[0] != QUERY_PATH:
            self._reply(HTTPStatus.NOT_FOUND, {"message": "only POST /v1/query is served"})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._reply(HTTPStatus.LENGTH_REQUIRED, {"message": "Content-Length required"})
            return
        if length > _MAX_BODY:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": "body too large"})
            return
        if length <= 0:
            self._reply(HTTPStatus.BAD_REQUEST, {"message": "an empty query"})
            return
        try:
            name, version = _parse_query(self.rfile.read(length))
        except ValueError as exc:
            self._reply(HTTPStatus.BAD_REQUEST, {"message": str(exc)})
            return
        records = self.server.db.query(name, version)
        self.server.count(name, version)
        # Like api.osv.dev: an empty object when nothing is known.
        self._reply(HTTPStatus.OK, {"vulns": [osv.for_client(r) for r in records]}
                    if records else {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, db: AdvisoryDB) -> None:
        self.db = db
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def count(self, name: str, version: str) -> None:
        with self._lock:
            self.queries.append((name, version))


class OsvServer:
    """Serve ``db`` on 127.0.0.1 at a free port for the length of a ``with`` block."""

    def __init__(self, db: AdvisoryDB) -> None:
        self._server = _Server(db)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="secure-gate-osv", daemon=True)

    @property
    def url(self) -> str:
        """The query URL to hand to ``pip-audit --osv-url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{QUERY_PATH}"

    @property
    def queries(self) -> list[tuple[str, str]]:
        """Every (name, version) asked so far, in order."""
        return list(self._server.queries)

    def __enter__(self) -> OsvServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
