"""A loopback registry (API v2) and token service that answer as Docker Hub and distribution do.

Two servers on 127.0.0.1, as Docker Hub is two origins: the registry (registry-1.docker.io)
and its token service (auth.docker.io). What they do, from the documented behaviour
(https://distribution.github.io/distribution/spec/auth/token/, the OCI distribution spec,
https://docs.docker.com/docker-hub/usage/pulls/):

- Every ``/v2/`` request without a valid bearer token is a 401 with
  ``WWW-Authenticate: Bearer realm="<token url>",service="registry.docker.io",
  scope="repository:<name>:pull"`` and an ``UNAUTHORIZED`` error body.
- The token service answers ``GET ?service=&scope=`` with ``{"token", "access_token",
  "expires_in", "issued_at"}``; a token is good for the repository scopes it was asked for.
- Manifests are served by tag or digest with content negotiation: an index (OCI) or a list
  (Docker) only when ``Accept`` names its type, else Docker Hub's answers (an OCI index:
  404 ``MANIFEST_UNKNOWN``; a Docker list: the linux/amd64 manifest). ``HEAD`` answers the
  same headers without the body and, like Docker Hub, does not count as a pull.
- Unknown tag: 404 ``MANIFEST_UNKNOWN``; unknown repository: 404 ``NAME_UNKNOWN``
  (distribution), or Docker Hub's 401 ``UNAUTHORIZED`` even with a token (``hub_unknown``).
- A pull limit: ``ratelimit-limit``/``ratelimit-remaining`` on every manifest answer, and 429
  ``TOOMANYREQUESTS`` once no pulls are left.

Knobs make it hostile: another realm, a wrong ``Docker-Content-Digest``, none at all, huge
bodies, HEAD refused, a redirect to another origin. Tokens are never stored in ``seen``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_MANIFEST = re.compile(r"/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)")
SERVICE = "registry.docker.io"


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _manifest(media_type: str, seed: str) -> bytes:
    config = digest_of(f"config {seed}".encode())
    layer = digest_of(f"layer {seed}".encode())
    config_type = ("application/vnd.oci.image.config.v1+json" if media_type == OCI_MANIFEST
                   else "application/vnd.docker.container.image.v1+json")
    layer_type = ("application/vnd.oci.image.layer.v1.tar+gzip" if media_type == OCI_MANIFEST
                  else "application/vnd.docker.image.rootfs.diff.tar.gzip")
    # Indented like the registry stores it: the digest is of these exact bytes.
    return json.dumps({
        "schemaVersion": 2, "mediaType": media_type,
        "config": {"mediaType": config_type, "size": 7023, "digest": config},
        "layers": [{"mediaType": layer_type, "size": 32654, "digest": layer}],
    }, indent=3).encode()


@dataclass
class Image:
    """A tag: its manifest bytes and media type; for an index, its platforms' manifests."""

    media_type: str
    body: bytes
    platforms: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @classmethod
    def single(cls, seed: str, media_type: str = DOCKER_MANIFEST) -> Image:
        return cls(media_type, _manifest(media_type, seed))

    @classmethod
    def multi(cls, seed: str, media_type: str = OCI_INDEX) -> Image:
        child = OCI_MANIFEST if media_type == OCI_INDEX else DOCKER_MANIFEST
        platforms = {p: (child, _manifest(child, f"{seed} {p}"))
                     for p in ("linux/amd64", "linux/arm64")}
        entries = [{"mediaType": kind, "size": len(body), "digest": digest_of(body),
                    "platform": {"architecture": p.split("/")[1], "os": "linux"}}
                   for p, (kind, body) in platforms.items()]
        body = json.dumps({"schemaVersion": 2, "mediaType": media_type,
                           "manifests": entries}, indent=3).encode()
        return cls(media_type, body, platforms)

    @property
    def digest(self) -> str:
        return digest_of(self.body)


@dataclass
class Seen:
    """One request a server received (whether it carried a token, never the token)."""

    server: str
    method: str
    path: str
    query: dict[str, list[str]]
    authorised: bool
    accept: str
    # A token handed out turned up where it does not belong: in the URL, in another header,
    # or at any server but the registry.
    leaked: bool = False


@dataclass
class State:
    """The registry's world and its knobs."""

    repos: dict[str, dict[str, Image]] = field(default_factory=dict)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # token -> repositories
    seen: list[Seen] = field(default_factory=list)
    limit: int = 100
    remaining: int = 100
    token_fields: tuple[str, ...] = ("token", "access_token")
    token_value: str | None = None  # a fixed (hostile) token instead of a fresh one
    realm: str | None = None  # None: the token server's own URL
    challenge: str | None = None  # a whole WWW-Authenticate value instead of Bearer
    digest_header: bool = True
    wrong_digest: bool = False
    head_allowed: bool = True
    hub_unknown: bool = False  # Docker Hub: an unknown repository is 401, not 404
    pad: int = 0  # bytes of whitespace added to every manifest body (a huge answer)
    redirect_to: str | None = None  # manifest GETs redirected here (another origin)
    registry_url: str = ""
    token_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issued(self) -> list[str]:
        """Every token handed out (so a test can look for it in output)."""
        return list(self.tokens)


class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-registry/1"
    protocol_version = "HTTP/1.1"
    state: State
    role: str

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _errors(self, status: int, code: str, message: str, detail: Any = None,
                headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message, "detail": detail}]})
        self._send(status, body.encode(), headers)

    def _record(self) -> tuple[str, dict[str, list[str]], str | None]:
        parts = urlsplit(self.path)
        auth = self.headers.get("Authorization")
        token = auth[len("Bearer "):] if auth and auth.startswith("Bearer ") else None
        with self.state.lock:
            issued = list(self.state.tokens)
            elsewhere = [v for k, v in self.headers.items()
                         if k.lower() != "authorization" or self.role != "registry"]
            leaked = any(t in self.path or any(t in v for v in elsewhere) for t in issued)
            self.state.seen.append(Seen(self.role, self.command, parts.path,
                                        parse_qs(parts.query), auth is not None,
                                        self.headers.get("Accept", ""), leaked))
        return parts.path, parse_qs(parts.query), token

    def do_GET(self) -> None:
        if self.role == "token":
            self._token()
        elif self.role == "other":  # a CDN the registry redirects to: no token needed
            path, _query, _token = self._record()
            match = _MANIFEST.fullmatch(path)
            repo = self.state.repos.get(match.group("name") if match else "", {})
            image = repo.get(match.group("ref")) if match else None
            if image is None:
                self._errors(404, "MANIFEST_UNKNOWN", "manifest unknown")
            else:
                self._send(200, image.body, content_type=image.media_type)
        else:
            self._registry()

    def do_HEAD(self) -> None:
        if self.role != "registry":
            self._send(405)
            return
        if not self.state.head_allowed:
            self._record()
            self._send(405, b"", {"Allow": "GET"})
            return
        self._registry()

    def _token(self) -> None:
        _path, query, _token = self._record()
        state = self.state
        if query.get("service") != [SERVICE]:
            self._send(400, json.dumps({"details": "invalid service"}).encode())
            return
        repos = set()
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and "pull" in actions.split(","):
                repos.add(name)
        token = state.token_value or "tok-" + secrets.token_hex(24)
        with state.lock:
            state.tokens[token] = repos
        answer: dict[str, Any] = {name: token for name in state.token_fields}
        answer.update({"expires_in": 300, "issued_at": "2026-12-07T23:00:00.000000000Z"})
        self._send(200, json.dumps(answer).encode())

    def _challenge(self, name: str, error: str | None = None) -> dict[str, str]:
        state = self.state
        if state.challenge is not None:
            return {"WWW-Authenticate": state.challenge}
        realm = state.realm if state.realm is not None else state.token_url
        value = f'Bearer realm="{realm}",service="{SERVICE}",scope="repository:{name}:pull"'
        if error:
            value += f',error="{error}"'
        return {"WWW-Authenticate": value}

    def _registry(self) -> None:
        path, _query, token = self._record()
        state = self.state
        match = _MANIFEST.fullmatch(path)
        name = match.group("name") if match else ""
        if token is None or token not in state.tokens:
            self._errors(401, "UNAUTHORIZED", "authentication required",
                         [{"Type": "repository", "Class": "", "Name": name, "Action": "pull"}],
                         self._challenge(name))
            return
        if match is None:
            self._send(200, b"{}")  # /v2/: the API is there
            return
        if name not in state.tokens[token]:
            self._errors(401, "UNAUTHORIZED", "authentication required",
                         [{"Type": "repository", "Name": name, "Action": "pull"}],
                         self._challenge(name, "insufficient_scope"))
            return
        limits = {"ratelimit-limit": f"{state.limit};w=21600",
                  "ratelimit-remaining": f"{max(state.remaining, 0)};w=21600",
                  "docker-ratelimit-source": "127.0.0.1"}
        if state.remaining <= 0:
            self._errors(429, "TOOMANYREQUESTS", "You have reached your pull rate limit. You "
                         "may increase the limit by authenticating and upgrading: "
                         "https://www.docker.com/increase-rate-limits", None, limits)
            return
        repo = state.repos.get(name)
        if repo is None:
            if state.hub_unknown:
                self._errors(401, "UNAUTHORIZED", "authentication required",
                             [{"Type": "repository", "Name": name, "Action": "pull"}],
                             self._challenge(name))
            else:
                self._errors(404, "NAME_UNKNOWN", "repository name not known to registry",
                             {"name": name})
            return
        reference = match.group("ref")
        image = repo.get(reference) or next(
            (i for i in repo.values() if i.digest == reference), None)
        if image is None:
            self._errors(404, "MANIFEST_UNKNOWN", "manifest unknown", f"unknown tag={reference}")
            return
        if self.command == "GET" and state.redirect_to is not None:
            self._send(307, b"", {"Location": state.redirect_to + path})
            return
        accept = {a.split(";")[0].strip() for a in self.headers.get("Accept", "").split(",")}
        media_type, body = image.media_type, image.body
        if media_type in (OCI_INDEX, DOCKER_LIST) and media_type not in accept:
            if media_type == OCI_INDEX:
                self._errors(404, "MANIFEST_UNKNOWN", "OCI index found, but accept header does "
                             "not support OCI indexes")
                return
            media_type, body = image.platforms["linux/amd64"]
        body = body + b" " * state.pad
        headers = dict(limits)
        if state.digest_header:
            headers["Docker-Content-Digest"] = (digest_of(b"not " + body) if state.wrong_digest
                                                else digest_of(body))
        headers["Etag"] = f'"{digest_of(body)}"'
        if self.command == "GET":
            with state.lock:
                state.remaining -= 1
        self._send(200, body, headers, content_type=media_type)


@dataclass
class Registry:
    """The running servers: ``url`` (the registry's API base) and ``state``."""

    url: str
    token_url: str
    other_url: str
    state: State

    def add(self, name: str, tag: str, image: Image) -> Image:
        self.state.repos.setdefault(name, {})[tag] = image
        return image

    def manifest_requests(self) -> list[Seen]:
        return [s for s in self.state.seen if s.server == "registry" and "/manifests/" in s.path]


def _serve(state: State, role: str) -> ThreadingHTTPServer:
    handler = type(f"{role}Handler", (_Handler,), {"state": state, "role": role})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server


@contextmanager
def running() -> Iterator[Registry]:
    """The registry, its token service and another origin, for one test."""
    state = State()
    servers = [_serve(state, role) for role in ("registry", "token", "other")]
    urls = [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    state.registry_url, state.token_url = urls[0], urls[1] + "/token"
    try:
        yield Registry(urls[0], state.token_url, urls[2], state)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
