"""A small GitHub REST/GraphQL client: bearer token, bounded retries, rate limits honoured."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from secure_gate import __version__

Sleeper = Callable[[float], None]
# Server failures worth retrying (urllib3, exponential backoff). A POST that creates
# something is never retried on them: the first attempt may have been processed.
_TRANSIENT = frozenset({500, 502, 503, 504})
_MESSAGE_LIMIT = 300
# GitHub's advice for a secondary rate limit without retry-after: wait at least a minute.
_SECONDARY_WAIT = 60.0


class ApiError(Exception):
    """A request GitHub refused or that did not complete; never carries the token."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {message}" if status else message)


class RateLimited(ApiError):
    """GitHub asked us to wait longer than this step is willing to."""


def rate_limit_wait(headers: Any, now: float) -> float | None:
    """Seconds GitHub asks us to wait: ``retry-after``, else until ``x-ratelimit-reset``."""
    retry_after = headers.get("retry-after")
    if retry_after:
        value = retry_after.strip()
        if value.isdigit():
            return float(value)
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - now) if parsed else None
    if headers.get("x-ratelimit-remaining") == "0":
        reset = headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, int(reset) - now) + 1.0
    return None


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    return message if isinstance(message, str) else ""


def is_rate_limited(response: requests.Response, now: float) -> float | None:
    """How long to wait when ``response`` is a (primary or secondary) rate limit, else None.

    403 or 429 with ``retry-after`` or ``x-ratelimit-remaining: 0`` says how long; a 429,
    or a 403 whose message names a secondary rate limit, without either: a minute. Any
    other 403 is a refusal (no permission), never retried.
    """
    if response.status_code not in (403, 429):
        return None
    wait = rate_limit_wait(response.headers, now)
    if wait is not None:
        return wait
    if response.status_code == 429 or "rate limit" in _message(response).lower():
        return _SECONDARY_WAIT
    return None


class BoundedRetry(Retry):
    """urllib3's Retry for server errors, sleeping through a hook (tests are instant);
    every single wait is capped at ``retry_after_max``."""

    sleeper: Sleeper = time.sleep

    def new(self, **kw: Any) -> BoundedRetry:  # keep the hook across Retry's copies
        fresh = super().new(**kw)
        fresh.sleeper = self.sleeper
        return fresh

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self.get_backoff_time()
        if wait > 0:
            self.sleeper(min(wait, float(self.retry_after_max)))


class _Bearer(requests.auth.AuthBase):
    """Sets the token explicitly, which also stops requests from reading ~/.netrc."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "<bearer token>"


class GitHubClient:
    """Requests to one GitHub API origin (``GITHUB_API_URL``) with one token."""

    def __init__(self, api_url: str, graphql_url: str, token: str, *, sleep: Sleeper = time.sleep,
                 clock: Callable[[], float] = time.time, max_wait: float = 60.0,
                 retries: int = 3, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.graphql_url = graphql_url
        self.max_wait = max_wait
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._retries = retries
        self._session = self._new_session(token, frozenset({"GET", "PATCH", "POST"}),
                                          _TRANSIENT)
        # Only connection failures (nothing was sent) are retried for a create.
        self._once = self._new_session(token, frozenset({"GET"}), frozenset())

    def _new_session(self, token: str, methods: frozenset[str], statuses: frozenset[int]
                     ) -> requests.Session:
        retry = BoundedRetry(total=self._retries, allowed_methods=methods,
                             status_forcelist=statuses, backoff_factor=1.0,
                             retry_after_max=int(self.max_wait), raise_on_status=False,
                             respect_retry_after_header=False)  # rate limits: ours
        retry.sleeper = self._sleep
        session = requests.Session()
        session.auth = _Bearer(token)
        session.headers.update({
            "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"secure-gate/{__version__}",
        })
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def same_origin(self, url: str | None) -> str | None:
        """``url`` if it points at our API origin; the token is never sent anywhere else."""
        if url is None:
            return None
        ours, theirs = urlsplit(self.api_url), urlsplit(url)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise ApiError(0, "a pagination link pointed away from the API")
        return url

    def request(self, method: str, url: str, *, json: Any = None,
                params: dict[str, Any] | None = None, once: bool = False) -> requests.Response:
        """Send; wait out rate limits (primary and secondary) a bounded number of times,
        each wait at most ``max_wait``; return the final response, whatever its status.

        A rate-limited request was not processed, so even a ``once`` POST is sent again.
        """
        session = self._once if once else self._session
        for attempt in range(self._retries + 1):
            try:
                response = session.request(method, url, json=json, params=params,
                                           timeout=self.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                raise ApiError(0, f"{method} {url} failed: {type(exc).__name__}") from None
            wait = is_rate_limited(response, self._clock())
            if wait is None or attempt == self._retries:
                return response
            if wait > self.max_wait:
                raise RateLimited(response.status_code,
                                  f"rate limited for {wait:.0f}s, longer than the "
                                  f"{self.max_wait:.0f}s this step waits")
            self._sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def decode(response: requests.Response) -> Any:
        """The JSON body of a 2xx response, else :class:`ApiError` with GitHub's message."""
        try:
            data = response.json()
        except ValueError:
            data = None
        if 200 <= response.status_code < 300:
            if data is None:
                raise ApiError(response.status_code, "the response was not JSON")
            return data
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, str):
            message = response.reason or "request failed"
        error = RateLimited if is_rate_limited(response, time.time()) is not None else ApiError
        raise error(response.status_code, message[:_MESSAGE_LIMIT])

    def json(self, method: str, url: str, body: Any, *, once: bool = False) -> Any:
        """Send a JSON body and decode the JSON answer."""
        return self.decode(self.request(method, url, json=body, once=once))
