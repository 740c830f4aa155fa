"""The one HTTP client of ``secure-gate fix``: timeouts, bounded retries, size limits, and
errors that name the service.

Only ``fix`` talks to the network. Every request names the service it asks (``PyPI``,
``the GitHub API``, ``registry docker.io``) so that an unreachable one is reported as that
service, never as a stack trace. A token is sent only to the origin it belongs to: a
redirect to another host drops the ``Authorization`` header, and no URL with credentials in
it is ever printed.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secure_gate import __version__
from secure_gate.errors import EXIT_SCANNER_ERROR, GateError

USER_AGENT = f"secure-gate/{__version__} (+https://github.com/secure-gate/secure-gate)"
MAX_BODY = 32 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 30.0


class ServiceError(GateError):
    """A service could not answer; the message names it and says what happened (exit 3
    when nothing catches it: what ``fix`` needed could not be looked up)."""

    exit_code = EXIT_SCANNER_ERROR

    def __init__(self, service: str, url: str, reason: str, status: int | None = None, *,
                 unreachable: bool = False) -> None:
        self.service = service
        self.unreachable = unreachable
        self.url = shown_url(url)
        self.reason = reason
        self.status = status
        super().__init__(f"{service} ({self.url}): {reason}")


class NotFound(ServiceError):
    """The service answered 404 (or the like): what was asked for does not exist there."""


class TooLarge(ServiceError):
    """The answer is larger than :data:`MAX_BODY`: asking again would only fetch it again."""


class RateLimited(ServiceError):
    """The service refused for its rate limit, after the retries allowed."""


def down(exc: ServiceError) -> str:
    """The one line that says a service could not answer and what that cost."""
    return f"{exc} (what needed {exc.service} is not fixed)"


def shown_url(url: str) -> str:
    """``url`` without user info, query or fragment: fit for any log."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``: what a token is bound to."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


@dataclass(frozen=True, slots=True)
class Response:
    """A whole answer: status, headers (lower-cased names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self, service: str) -> Any:
        """The body as JSON; :class:`ServiceError` when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise ServiceError(service, self.url, "answered with something that is not "
                               "JSON") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by :class:`Http` itself, so it can drop the token."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None

    def http_error_302(self, *args: Any, **kwargs: Any) -> None:
        # urllib's own reads the Location before asking redirect_request (a ValueError for
        # `http://[::1/x`); none is read here: the answer is an HTTPError, read by Http.
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


@dataclass(slots=True)
class Http:
    """GET requests with a timeout and bounded retries (connection errors, 429 and 5xx).

    ``sleep`` and ``opener`` are seams for tests; the defaults are the real ones.
    """

    timeout: float = 15.0
    retries: int = 3
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirect()))
    requests: int = 0  # how many requests were sent (for the summary line)
    # Services found unreachable, out of requests or failing (5xx after the retries) in this
    # run: later requests to them fail at once with the same error, not after new retries.
    down: dict[str, ServiceError] = field(default_factory=dict)

    def get(self, service: str, url: str, *, headers: Mapping[str, str] | None = None,
            token_origin: tuple[str, str, int | None] | None = None,
            ok: frozenset[int] = frozenset({200}), method: str = "GET") -> Response:
        """GET ``url``; answers whose status is in ``ok`` are returned, the rest raise.

        ``headers`` may hold an ``Authorization``; it is only ever sent to ``token_origin``
        (default: the origin of ``url``), redirects included. ``method`` may be ``HEAD``
        (a registry's manifest digest without its body).
        """
        if method not in ("GET", "HEAD"):
            raise ValueError(f"only GET and HEAD are sent, not {method}")
        if service in self.down:
            raise self.down[service]
        try:
            return self._get(service, url, headers, token_origin, ok, method)
        except ServiceError as exc:
            if exc.unreachable or isinstance(exc, RateLimited) or (
                    exc.status is not None and exc.status in RETRY_STATUSES):
                self.down[service] = exc
            raise

    def _get(self, service: str, url: str, headers: Mapping[str, str] | None,
             token_origin: tuple[str, str, int | None] | None, ok: frozenset[int],
             method: str) -> Response:
        base = {"User-Agent": USER_AGENT, **(headers or {})}
        bound = token_origin or origin(url)
        for _hop in range(5):
            if not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
                # http.client would refuse it with an exception of its own (a traceback).
                raise ServiceError(service, url, "is not a URL that can be asked (it holds "
                                   "spaces, control characters or non-ASCII)")
            try:
                _ = urllib.parse.urlsplit(url).port  # `http://[::1/x`, port 99999
            except ValueError as exc:
                raise ServiceError(service, url, f"is not a URL that can be asked ({exc})") \
                    from None
            sent = dict(base)
            if origin(url) != bound:
                sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
            answer = self._with_retries(service, url, sent, method)
            if answer.status in (301, 302, 303, 307, 308) and "location" in answer.headers:
                was = urllib.parse.urlsplit(url).scheme
                try:
                    url = urllib.parse.urljoin(url, answer.headers["location"])
                except ValueError:
                    raise ServiceError(service, url, "redirected to something that is not "
                                       "a URL") from None
                if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                    raise ServiceError(service, url, "redirected to a URL that is not HTTP")
                if was == "https" and urllib.parse.urlsplit(url).scheme == "http":
                    # What plain http answers could be anyone's (or the runner's own
                    # services, asked on the repository's behalf).
                    raise ServiceError(service, url, "redirected from https to plain http; "
                                       "refused")
                continue
            if answer.status in ok:
                return answer
            raise _error(service, answer)
        raise ServiceError(service, url, "redirected more than 5 times")

    def json(self, service: str, url: str, **kwargs: Any) -> Any:
        """GET ``url`` and read its JSON body."""
        return self.get(service, url, **kwargs).json(service)

    def _with_retries(self, service: str, url: str, headers: Mapping[str, str],
                      method: str = "GET") -> Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._once(service, url, headers, method)
            except TooLarge:
                raise
            except ServiceError:
                if attempt > self.retries:
                    raise
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if answer.status in RETRY_STATUSES or _rate_limited(answer):
                wait = _retry_after(answer)
                if attempt > self.retries or (wait is not None and wait > MAX_RETRY_AFTER):
                    return answer
                self.sleep(wait if wait is not None else self.backoff * 2 ** (attempt - 1))
                continue
            return answer

    def _body(self, handle: Any) -> bytes:
        """Up to ``MAX_BODY + 1`` bytes, read a piece at a time: an answer that trickles in
        (each piece within the timeout) is given up after 8 timeouts in all (``TimeoutError``,
        an :class:`OSError`), not read for hours."""
        deadline = time.monotonic() + 8 * self.timeout
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BODY:
            chunk = handle.read1(min(1 << 16, MAX_BODY + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not whole after {8 * self.timeout:g} s")
        return b"".join(chunks)

    def _once(self, service: str, url: str, headers: Mapping[str, str],
              method: str = "GET") -> Response:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ServiceError(service, url, "is not an http(s) URL")
        # The scheme is checked just above: only http(s) is ever opened.
        request = urllib.request.Request(url, headers=dict(headers), method=method)  # noqa: S310
        self.requests += 1
        try:
            handle = self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            handle = exc  # an answer all the same: its status decides
        except OSError as exc:  # URLError, timeouts and refused connections among them
            reason = getattr(exc, "reason", exc)
            raise ServiceError(service, url, f"unreachable: {reason}",
                               unreachable=True) from None
        except http.client.HTTPException as exc:  # a status or header line no HTTP has
            raise ServiceError(service, url, "answered something that is not HTTP: "
                               f"{type(exc).__name__}") from None
        with handle:
            try:
                body = self._body(handle)
            except (OSError, http.client.HTTPException) as exc:
                raise ServiceError(service, url, f"the answer broke off: {exc}") from None
            if len(body) > MAX_BODY:
                raise TooLarge(service, url, f"answered with more than {MAX_BODY} bytes")
            names = {k.lower(): v for k, v in handle.headers.items()}
            length = _number(names.get("content-length", ""))
            if method == "GET" and length is not None and not names.get("content-encoding") \
                    and length != len(body):
                # urllib returns what came before the connection closed: a manifest cut
                # short would be hashed into a digest no registry has.
                raise ServiceError(service, url, f"the answer broke off ({len(body)} of "
                                   f"{length} bytes)")
            return Response(handle.status or 0, names, body, url)


def _rate_limited(answer: Response) -> bool:
    # GitHub's primary limit is a 403 with x-ratelimit-remaining: 0; secondary limits are
    # 403/429 with retry-after.
    return answer.status == 403 and (answer.headers.get("x-ratelimit-remaining") == "0"
                                     or "retry-after" in answer.headers)


def _number(value: str) -> int | None:
    """A header's whole number of seconds, if it is one (ASCII digits, at most 12: a
    service's ``²`` or 5,000 digits is no number to wait by)."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


def _retry_after(answer: Response) -> float | None:
    value = answer.headers.get("retry-after")
    if value is not None:
        seconds = _number(value)
        if seconds is not None:
            return float(seconds)
        try:
            parsed = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, OverflowError):
            parsed = None  # neither seconds nor a date: waited for as if it were not there
        if parsed is not None:
            return max(0.0, parsed.timestamp() - time.time())
    reset = _number(answer.headers.get("x-ratelimit-reset") or "")
    if answer.headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        return max(0.0, reset - time.time())
    return None


def _error(service: str, answer: Response) -> ServiceError:
    if answer.status == 404 or answer.status == 410:
        return NotFound(service, answer.url, f"answered {answer.status}: not found",
                        answer.status)
    # GitHub's secondary limit may come as a bare 403 whose message says so ("You have
    # exceeded a secondary rate limit"): no header to wait by, and still not a refusal.
    secondary = answer.status == 403 and b"rate limit" in answer.body[:4096].lower()
    if answer.status == 429 or _rate_limited(answer) or secondary:
        wait = _retry_after(answer)
        when = (f"; it allows more in {int(wait)} s" if wait is not None
                else "; wait a minute or more before trying again" if secondary else "")
        return RateLimited(service, answer.url, f"rate limit reached (HTTP {answer.status})"
                           f"{when}", answer.status)
    if answer.status in (401, 403):
        return ServiceError(service, answer.url, f"refused the request (HTTP {answer.status}"
                            "): the token is missing, wrong or lacks the permission",
                            answer.status)
    return ServiceError(service, answer.url, f"answered HTTP {answer.status}", answer.status)
