"""The sticky PR comment: find our own earlier comment by marker and author, update or create it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from secure_gate.github.api import ApiError, GitHubClient

# GitHub refuses bodies over 65,536 characters (HTTP 422 "Body is too long"); stay well under.
MAX_BODY_CHARS = 60_000
_MAX_PAGES = 100
# A user login, or an app's bot user: the Actions token's viewer is ``github-actions[bot]``.
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}(?:\[bot\])?")
_BOT = "[bot]"
_VIEWER_QUERY = "query { viewer { login } }"


def marker(tag: str = "default") -> str:
    """The hidden HTML comment that identifies our comment (one per ``comment-tag``)."""
    return f"<!-- secure-gate:comment:{tag} -->"


@dataclass(frozen=True, slots=True)
class CommentResult:
    """What happened: ``created`` or ``updated``, and the comment's address."""

    action: str
    comment_id: int
    url: str


def viewer_login(client: GitHubClient) -> str:
    """The token's own login from GraphQL ``viewer`` (REST ``GET /user`` is 403 for the
    Actions token): ``github-actions[bot]`` (an app, ``<slug>[bot]``) or a PAT's user."""
    data = client.json("POST", client.graphql_url, {"query": _VIEWER_QUERY})
    login: object = data
    for key in ("data", "viewer", "login"):
        login = login.get(key) if isinstance(login, dict) else None
    if not isinstance(login, str) or not _LOGIN.fullmatch(login):
        errors = isinstance(data, dict) and data.get("errors")
        raise ApiError(200, "GraphQL did not return the token's login"
                       + (" (it returned errors)" if errors else ""))
    return login


def is_ours(comment: dict[str, Any], login: str, mark: str) -> bool:
    """Carries our marker AND was written by this token's identity (never someone else's)."""
    body = comment.get("body")
    user = comment.get("user")
    if not isinstance(body, str) or mark not in body or not isinstance(user, dict):
        return False
    author = user.get("login")
    if login.endswith(_BOT):
        # An app's bot user: REST names it exactly as GraphQL does, and its type is Bot.
        return author == login and user.get("type") == "Bot"
    # A plain login (a personal access token); an older GraphQL answer without the suffix
    # for an app also matches its bot user, never a human with that name.
    return author == login or (author == login + _BOT and user.get("type") == "Bot")


def pages(client: GitHubClient, url: str, what: str) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list at ``url`` (``what`` it lists, for errors), following
    ``Link: rel="next"`` on the API's own origin, 100 a page, at most 100 pages."""
    next_url: str | None = url
    params: dict[str, Any] | None = {"per_page": 100}
    for _ in range(_MAX_PAGES):
        if next_url is None:
            return
        response = client.request("GET", next_url, params=params)
        page = client.decode(response)
        if not isinstance(page, list):
            raise ApiError(response.status_code, f"listing {what} did not return a list")
        yield from (item for item in page if isinstance(item, dict))
        next_url = client.same_origin(response.links.get("next", {}).get("url"))
        params = None  # the next link carries its own query
    raise ApiError(0, f"more than {_MAX_PAGES} pages of {what}")


def list_comments(client: GitHubClient, repository: str, number: int
                  ) -> Iterator[dict[str, Any]]:
    """Every comment on the PR, across all pages."""
    return pages(client, f"{client.api_url}/repos/{repository}/issues/{number}/comments",
                 "comments")


def cap_body(body: str, pointer: str) -> str:
    """Cut a body to :data:`MAX_BODY_CHARS` code points, ending with ``pointer``."""
    if len(body) <= MAX_BODY_CHARS:
        return body
    room = MAX_BODY_CHARS - len(pointer) - 2
    return body[:room].rstrip() + "\n\n" + pointer


def find_ours(client: GitHubClient, repository: str, number: int, mark: str
              ) -> dict[str, Any] | None:
    """Our earlier comment on the PR (marker and this token's identity), if any."""
    login = viewer_login(client)
    return next((c for c in list_comments(client, repository, number)
                 if is_ours(c, login, mark) and isinstance(c.get("id"), int)), None)


def upsert_comment(client: GitHubClient, repository: str, number: int, body: str,
                   mark: str, *, create: bool = True) -> CommentResult | None:
    """Update our earlier comment if there is one, else create one (a single POST).

    With ``create`` false there is no new comment (None): only an existing one is kept up
    to date, so a PR that was red and is now fixed shows green. An unchanged body is not
    sent again.
    """
    if mark not in body:
        raise ValueError("the body must carry the marker, or the next run cannot find it")
    existing = find_ours(client, repository, number, mark)
    if existing is not None:
        if existing.get("body") == body:
            url = existing.get("html_url")
            return CommentResult("unchanged", existing["id"], url if isinstance(url, str) else "")
        url = f"{client.api_url}/repos/{repository}/issues/comments/{existing['id']}"
        data = client.json("PATCH", url, {"body": body})
        action = "updated"
    elif not create:
        return None
    else:
        url = f"{client.api_url}/repos/{repository}/issues/{number}/comments"
        data = client.json("POST", url, {"body": body}, once=True)
        action = "created"
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise ApiError(0, f"the {action} comment came back without an id")
    html_url = data.get("html_url")
    return CommentResult(action, data["id"], html_url if isinstance(html_url, str) else "")
