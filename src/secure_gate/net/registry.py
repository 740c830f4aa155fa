"""A client of the OCI distribution (Docker Registry HTTP API v2): a tag's manifest digest.

``digest(ref)`` asks ``/v2/<name>/manifests/<tag>`` with an ``Accept`` of the image index,
manifest list and both single manifests, so a multi-arch tag answers with its index and the
digest is the index's (every platform's build stays pinned), never one platform's. A ``HEAD``
comes first (Docker Hub does not count it against the pull rate limit) and its
``Docker-Content-Digest`` is taken; without one the manifest is fetched and its exact bytes
hashed (a header that disagrees with those bytes is an error, not a digest).

A 401 with ``WWW-Authenticate: Bearer realm=...`` is the anonymous token flow: the realm
(https, or http on loopback only, no credentials in it) is asked for a pull token of this
one repository, and the token is sent only to the registry's own origin. It is never put in
a message. See https://distribution.github.io/distribution/spec/auth/token/ and
https://github.com/opencontainers/distribution-spec/blob/main/spec.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Mapping

from secure_gate.net.http import NotFound, RateLimited, Response, ServiceError, origin
from secure_gate.net.imageref import DOCKER_HUB, SHA256, ImageRef
from secure_gate.net.services import Services

__all__ = ["MEDIA_TYPES", "NeedsLogin", "Registry", "api_base", "service_name"]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join(MEDIA_TYPES)
# containerd refuses manifests over 4 MiB (remotes/docker: maxManifestSize); so do we.
MAX_MANIFEST = 4 * 1024 * 1024
MAX_TOKEN = 16 * 1024
_HUB_API = "https://registry-1.docker.io"
_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.docker.io")
_TOKEN = re.compile(r"[!#-~]+")  # visible ASCII without `"`: nothing that can break a header
_PARAM = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))'
                    r"\s*,?")
_ERROR_CODE = re.compile(r"[A-Z][A-Z_]{0,39}")
_RATE = re.compile(r"\s*(\d+)\s*(?:;\s*w=(\d+))?")


class NeedsLogin(ServiceError):
    """The registry pulls this image only for a logged-in user (private, or not there at all:
    Docker Hub answers both alike); ``fix`` pulls anonymously only."""


def service_name(ref: ImageRef) -> str:
    """What messages call the registry of ``ref`` (``registry docker.io``)."""
    return f"registry {ref.domain.lower()}"


def _loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_base(ref: ImageRef, registries: Mapping[str, str]) -> str:
    """Where the API v2 of ``ref``'s registry is asked: a ``--registry`` mirror, Docker Hub's
    API host for ``docker.io``, plain http for a loopback registry (docker's own default:
    127.0.0.0/8 is an insecure registry), else https."""
    domain = ref.domain.lower()
    keys = _HUB_ALIASES if domain == DOCKER_HUB else (domain, ref.host)
    for key in keys:
        if key in registries:
            return registries[key].rstrip("/").removesuffix("/v2")
    if domain == DOCKER_HUB:
        return _HUB_API
    return f"{'http' if _loopback(ref.host) else 'https'}://{ref.domain}"


def challenge(header: str) -> tuple[str, dict[str, str]]:
    """A ``WWW-Authenticate`` value as (scheme in lower case, its parameters)."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            break
        quoted, bare = match.group(2), match.group(3)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
        params.setdefault(match.group(1).lower(), value)
        position = match.end()
    return scheme.lower(), params


class Registry:
    """Digests of tags, asked anonymously, cached in ``services.answers`` for the run."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._tokens: dict[tuple[str, str], str] = {}  # (base, repository) -> bearer token

    def digest(self, ref: ImageRef, tag: str) -> str:
        """The ``sha256:`` digest of the manifest (or index) ``tag`` of ``ref`` points to.

        Raises :class:`NotFound` when the registry has no such tag or repository,
        :class:`NeedsLogin` when it wants a login for it, and :class:`ServiceError` (naming
        the registry) for anything else that went wrong.
        """
        service = service_name(ref)
        key = f"{ref.name}:{tag}"
        known = self.services.answers.get(("registry", key))
        if isinstance(known, str):
            return known
        if isinstance(known, NotFound | NeedsLogin):
            raise known  # the later rounds of the run get the same answer, unasked
        self.services.used.add(service)
        base = api_base(ref, self.services.registries)
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise ServiceError(service, base, "is not an http(s) URL")
        url = f"{base}/v2/{ref.path}/manifests/{urllib.parse.quote(tag, safe='')}"
        try:
            found = self._resolve(service, base, ref, tag, url)
        except (NotFound, NeedsLogin) as exc:
            self.services.answers[("registry", key)] = exc
            raise
        except RateLimited as exc:
            # Out of pulls (a 429 this client reads itself): the next image would only wait.
            # Unreachable and failing registries the HTTP client remembers on its own.
            self.services.http.down.setdefault(service, exc)
            raise
        self.services.answers[("registry", key)] = found
        return found

    def _resolve(self, service: str, base: str, ref: ImageRef, tag: str, url: str) -> str:
        head = self._ask(service, base, ref, url, "HEAD")
        if head.status == 200:
            header = head.headers.get("docker-content-digest", "").strip()
            if SHA256.fullmatch(header) and _media_type(head) in (*MEDIA_TYPES, ""):
                return header
        elif head.status == 429:
            raise _rate_limited(service, head)
        # No usable digest in the HEAD answer (or HEAD refused, or an error whose body says
        # more): fetch the manifest and hash its bytes.
        got = self._ask(service, base, ref, url, "GET")
        if got.status == 429:
            raise _rate_limited(service, got)
        if got.status == 404:
            raise _not_found(service, got, ref, tag)
        if got.status != 200:
            raise ServiceError(service, got.url, f"answered HTTP {got.status}", got.status)
        return _body_digest(service, got)

    def _ask(self, service: str, base: str, ref: ImageRef, url: str, method: str) -> Response:
        ok = frozenset({200, 401, 404, 405, 429, 501})
        bound = origin(base)
        answer = self._get(service, url, self._tokens.get((base, ref.path)), bound, ok, method)
        if answer.status != 401:
            return answer
        token = self._token(service, ref, answer)  # none yet, or it expired: a new one
        self._tokens[(base, ref.path)] = token
        answer = self._get(service, url, token, bound, ok, method)
        if answer.status == 401:
            raise NeedsLogin(service, url, f"refused an anonymous pull of {ref.path} (HTTP "
                               "401): the repository does not exist, or it is private and "
                               "needs a login (fix pulls anonymously only)", 401)
        return answer

    def _get(self, service: str, url: str, token: str | None,
             bound: tuple[str, str, int | None], ok: frozenset[int], method: str) -> Response:
        headers = {"Accept": ACCEPT}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        answer = self.services.http.get(service, url, headers=headers, token_origin=bound,
                                        ok=ok, method=method)
        if len(answer.body) > MAX_MANIFEST:
            raise ServiceError(service, answer.url, f"answered with more than {MAX_MANIFEST} "
                               "bytes (a manifest is at most 4 MiB)")
        return answer

    def _token(self, service: str, ref: ImageRef, answer: Response) -> str:
        """An anonymous pull token from the realm the 401's challenge names."""
        scheme, params = challenge(answer.headers.get("www-authenticate", ""))
        if scheme == "basic":
            raise NeedsLogin(service, answer.url, "wants a user name and password (HTTP "
                               "401, Basic): fix pulls anonymously only", 401)
        if scheme != "bearer" or not params.get("realm"):
            raise ServiceError(service, answer.url, "answered 401 without a Bearer challenge "
                               "saying where to get a token", 401)
        realm = params["realm"]
        _check_realm(service, realm)
        query = {"scope": f"repository:{ref.path}:pull"}  # ours: never a wider scope
        if params.get("service"):
            query = {"service": params["service"], **query}
        split = urllib.parse.urlsplit(realm)
        joined = "&".join(q for q in (split.query, urllib.parse.urlencode(query)) if q)
        url = urllib.parse.urlunsplit((split.scheme, split.netloc, split.path, joined, ""))
        auth = f"{service} token service"
        self.services.used.add(auth)
        try:
            got = self.services.http.get(auth, url, headers={"Accept": "application/json"})
        except NotFound as exc:
            raise ServiceError(auth, url, "has no token endpoint there (HTTP 404)",
                               exc.status) from None
        body = got.json(auth)
        token = None
        if isinstance(body, dict):
            token = body.get("token") or body.get("access_token")
        if not isinstance(token, str) or not token:
            raise ServiceError(auth, url, "answered without a `token` or `access_token`")
        if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
            raise ServiceError(auth, url, "answered with a token that cannot be sent in a "
                               "header (too long, or spaces or control characters in it)")
        return token


def _check_realm(service: str, realm: str) -> None:
    try:
        parts = urllib.parse.urlsplit(realm)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        raise ServiceError(service, "", "named a token realm that is not a URL") from None
    shown = f"{parts.scheme}://{host}"
    if parts.username is not None or parts.password is not None:
        raise ServiceError(service, shown, "named a token realm with credentials in it; "
                           "refused")
    if not host or parts.scheme not in ("https", "http"):
        raise ServiceError(service, shown, "named a token realm that is not an https URL; "
                           "refused")
    if parts.scheme == "http" and not _loopback(host):
        raise ServiceError(service, shown, "named a plain-http token realm on another "
                           "machine (only https, or http on loopback); refused")


def _media_type(answer: Response) -> str:
    return answer.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _body_digest(service: str, answer: Response) -> str:
    kind = _media_type(answer)
    try:
        document = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise ServiceError(service, answer.url, "answered with a manifest that is not "
                           "JSON") from None
    declared = document.get("mediaType") if isinstance(document, dict) else None
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise ServiceError(service, answer.url, "answered with a manifest that is not schema "
                           "version 2 (schema 1 is deprecated: docker no longer pulls it)")
    named = kind or (declared if isinstance(declared, str) else "")
    if named and named not in MEDIA_TYPES:
        raise ServiceError(service, answer.url, f"answered with a manifest of an unknown "
                           f"media type ({named[:80]!r})")
    digest = "sha256:" + hashlib.sha256(answer.body).hexdigest()
    header = answer.headers.get("docker-content-digest", "").strip()
    if header.startswith("sha256:") and header != digest:
        raise ServiceError(service, answer.url, "sent a Docker-Content-Digest that does not "
                           "match the manifest it sent; nothing pinned")
    return digest


def _error_codes(answer: Response) -> list[str]:
    try:
        body = json.loads(answer.body)
    except (ValueError, RecursionError):
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [e.get("code") for e in errors if isinstance(e, dict)] if isinstance(
        errors, list) else []
    return [c for c in codes if isinstance(c, str) and _ERROR_CODE.fullmatch(c)]


def _not_found(service: str, answer: Response, ref: ImageRef, tag: str) -> NotFound:
    codes = _error_codes(answer)
    if "NAME_UNKNOWN" in codes:
        what = f"has no repository {ref.path} (NAME_UNKNOWN)"
    elif "MANIFEST_UNKNOWN" in codes:
        what = f"has no tag {tag} in {ref.path} (MANIFEST_UNKNOWN)"
    else:
        what = f"has no tag {tag} in {ref.path}, or no such repository (HTTP 404)"
    return NotFound(service, answer.url, what, 404)


def _rate_limited(service: str, answer: Response) -> RateLimited:
    limit = _RATE.match(answer.headers.get("ratelimit-limit", ""))
    left = _RATE.match(answer.headers.get("ratelimit-remaining", ""))
    detail = ""
    if limit and left:
        window = limit.group(2)
        per = f" per {int(window) // 3600} h" if window and int(window) >= 3600 else (
            f" per {window} s" if window else "")
        detail = f": {left.group(1)} of {limit.group(1)} pulls left{per}"
    return RateLimited(service, answer.url, f"refused for its pull rate limit (HTTP 429)"
                       f"{detail}; try again later, or ask a mirror (--registry "
                       "HOST=URL)", 429)
