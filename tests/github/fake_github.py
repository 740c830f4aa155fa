"""A loopback GitHub API that behaves like the documented issue-comment and GraphQL endpoints.

By default it answers as GitHub does for the Actions ``GITHUB_TOKEN`` (an app installation
token): GraphQL ``viewer { login }`` is ``github-actions[bot]``, the comments it writes carry
``user.login`` ``github-actions[bot]`` and ``user.type`` ``Bot``, and REST ``GET /user`` is
403 "Resource not accessible by integration". :meth:`State.as_pat` switches it to a
personal access token (a plain user login everywhere).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LIST = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments")
_ONE = re.compile(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)")
_PULLS = re.compile(r"/repos/([^/]+/[^/]+)/pulls/(\d+)/(reviews|comments)")
MAX_BODY = 65_536


@dataclass
class Scripted:
    """A canned response for the next request matching ``method`` and ``path`` prefix."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Seen:
    """One request the server received (the token itself is never stored)."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorised: bool
    body: Any


@dataclass
class State:
    """The server's world: the token it accepts, who that is, the comments, the script."""

    token: str
    viewer: str = "github-actions[bot]"
    rest_login: str = "github-actions[bot]"
    user_type: str = "Bot"
    installation: bool = True  # an app's token: GET /user is refused
    read_only: bool = False  # a fork PR's token: reads work, writes are 403
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    script: list[Scripted] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    next_id: int = 1000
    remaining: int = 1000
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Pull request reviews (see "Pull request reviews" below): each PR's head commit, the
    # RIGHT-side hunks of its diff per path (line ranges, context lines included), the
    # reviews and the review comments.
    heads: dict[int, str] = field(default_factory=dict)
    hunks: dict[int, dict[str, list[range]]] = field(default_factory=dict)
    reviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    review_comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    git: GitData = field(default_factory=lambda: GitData())  # refs and tags: see below

    def add_comment(self, number: int, body: str, login: str, user_type: str = "User") -> int:
        with self.lock:
            self.next_id += 1
            self.comments[self.next_id] = {
                "id": self.next_id, "number": number, "body": body,
                "user": {"login": login, "type": user_type},
                "html_url": f"https://github.example/o/r/pull/{number}#issuecomment-"
                            f"{self.next_id}",
            }
            return self.next_id

    def add_review_comment(self, number: int, body: str, login: str, user_type: str = "User",
                           path: str = "a.txt", line: int = 1) -> int:
        """A review comment someone (or we, earlier) left on the PR's diff."""
        with self.lock:
            self.next_id += 1
            self.review_comments[self.next_id] = _review_comment(
                self.next_id, number, None, {"path": path, "line": line, "body": body,
                                             "side": "RIGHT"},
                {"login": login, "type": user_type}, self.heads.get(number, "0" * 40))
            return self.next_id

    def as_pat(self, login: str = "octo-dev") -> None:
        """Answer as for a personal access token of the user ``login``."""
        self.viewer = self.rest_login = login
        self.user_type = "User"
        self.installation = False

    def ours(self) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["user"]["login"] == self.rest_login]

    def calls(self, method: str, prefix: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        state = self.server.state
        # GitHub sends the rate-limit headers on every answer, refusals included.
        every = {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": str(state.remaining),
                 "x-ratelimit-used": str(1000 - state.remaining), "x-ratelimit-reset":
                 "1700003600", "x-ratelimit-resource": "core",
                 "x-github-api-version-selected": "2022-11-28"}
        every.update({k.lower(): v for k, v in (headers or {}).items()})
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in every.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        authorised = self.headers.get("Authorization") == f"Bearer {state.token}"
        state.remaining = max(0, state.remaining - 1)
        state.seen.append(Seen(method, parts.path, parse_qs(parts.query), authorised, body))
        for i, canned in enumerate(state.script):
            if canned.method == method and parts.path.startswith(canned.path):
                del state.script[i]
                self._reply(canned.status, canned.body if canned.body is not None
                            else {"message": "scripted"}, canned.headers)
                return
        if method == "GET" and _git_route(self, state, parts.path):
            return
        if not authorised:
            self._reply(401, {"message": "Bad credentials"})
            return
        self._route(state, method, parts.path, parse_qs(parts.query), body)

    def _route(self, state: State, method: str, path: str, query: dict[str, list[str]],
               body: Any) -> None:
        if method == "POST" and path == "/graphql":
            self._reply(200, {"data": {"viewer": {"login": state.viewer}}})
            return
        if method == "GET" and path == "/user":
            if state.installation:
                self._reply(403, {"message": "Resource not accessible by integration",
                                  "documentation_url": "https://docs.github.com/rest/users/"
                                  "users#get-the-authenticated-user", "status": "403"})
            else:
                self._reply(200, {"login": state.viewer, "type": state.user_type})
            return
        pulls = _PULLS.fullmatch(path)
        if pulls is not None:
            self._pulls(state, method, int(pulls.group(2)), pulls.group(3), query, body)
            return
        listing = _LIST.fullmatch(path)
        one = _ONE.fullmatch(path)
        if listing and method == "GET":
            self._list(state, int(listing.group(2)), query)
        elif listing and method == "POST":
            self._write(state, method, listing, body)
        elif one and method == "PATCH":
            self._write(state, method, one, body)
        else:
            self._reply(404, {"message": "Not Found"})

    def _list(self, state: State, number: int, query: dict[str, list[str]]) -> None:
        every = sorted((c for c in state.comments.values() if c["number"] == number),
                       key=lambda c: c["id"])
        self._page(state, f"/repos/o/r/issues/{number}/comments", every, query)

    def _page(self, state: State, path: str, every: list[dict[str, Any]],
              query: dict[str, list[str]]) -> None:
        """One page of ``every`` (30 by default, at most 100), with GitHub's Link header."""
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        chunk = every[(page - 1) * per_page: page * per_page]
        headers = {}
        last = max(1, -(-len(every) // per_page))
        if page < last:
            url = f"{state.base}{path}?per_page={per_page}"
            headers["Link"] = (f'<{url}&page={page + 1}>; rel="next", '
                               f'<{url}&page={last}>; rel="last"')
        self._reply(200, chunk, headers)

    # Pull request reviews ------------------------------------------------------------------
    # GET/POST /repos/{o}/{r}/pulls/{n}/reviews and GET /repos/{o}/{r}/pulls/{n}/comments,
    # answered as GitHub does (docs.github.com/rest/pulls/reviews, .../pulls/comments): the
    # 422 texts are GitHub's own as users report them (parkerbxyz/suggest-changes#28, #64;
    # ubuntu/WSL#244); a read-only (fork) token gets 403 "Resource not accessible by
    # integration"; the whole review is refused when one comment is.

    def _pulls(self, state: State, method: str, number: int, what: str,
               query: dict[str, list[str]], body: Any) -> None:
        if number not in state.heads:
            self._reply(404, {"message": "Not Found", "documentation_url":
                              "https://docs.github.com/rest/pulls/reviews", "status": "404"})
            return
        if method == "GET":
            source = state.reviews if what == "reviews" else state.review_comments
            every = sorted((r for r in source.values() if r["number"] == number),
                           key=lambda r: r["id"])
            self._page(state, f"/repos/o/r/pulls/{number}/{what}",
                       [{k: v for k, v in r.items() if k != "number"} for r in every], query)
        elif method == "POST" and what == "reviews":
            self._review(state, number, body)
        else:
            self._reply(404, {"message": "Not Found"})

    def _unprocessable(self, *errors: str) -> None:
        self._reply(422, {"message": "Unprocessable Entity", "errors": list(errors),
                          "documentation_url": "https://docs.github.com/rest/pulls/reviews#"
                          "create-a-review-for-a-pull-request", "status": "422"})

    def _review(self, state: State, number: int, body: Any) -> None:
        if state.read_only:
            self._reply(403, {"message": "Resource not accessible by integration",
                              "documentation_url": "https://docs.github.com/rest/pulls/"
                              "reviews#create-a-review-for-a-pull-request", "status": "403"})
            return
        if not isinstance(body, dict):
            self._reply(400, {"message": "Problems parsing JSON"})
            return
        event = body.get("event", "PENDING")
        text = body.get("body")
        commit = body.get("commit_id", state.heads[number])
        if event in ("COMMENT", "REQUEST_CHANGES") and not text:
            self._unprocessable("Body is required for comment and request changes events")
            return
        if commit != state.heads[number]:
            # A commit that is not the PR's (GITHUB_SHA of a pull_request run is the merge
            # commit of refs/pull/N/merge): the threads cannot be placed on its diff.
            self._unprocessable(f"No commit found for SHA: {commit}")
            return
        comments = body.get("comments") or []
        problems: list[str] = []
        for comment in comments:
            problems.extend(self._thread_problems(state, number, comment))
        if text is not None and len(text) > MAX_BODY:
            problems.append("Body is too long (maximum is 65536 characters)")
        if problems:
            self._unprocessable(", ".join(dict.fromkeys(problems)))
            return
        user = {"login": state.rest_login, "type": state.user_type}
        with state.lock:
            state.next_id += 1
            review_id = state.next_id
            state.reviews[review_id] = {
                "id": review_id, "number": number, "user": user, "body": text or "",
                "state": "COMMENTED" if event == "COMMENT" else event, "commit_id": commit,
                "html_url": f"https://github.example/o/r/pull/{number}#pullrequestreview-"
                            f"{review_id}"}
            for comment in comments:
                state.next_id += 1
                state.review_comments[state.next_id] = _review_comment(
                    state.next_id, number, review_id, comment, user, commit)
        self._reply(200, {k: v for k, v in state.reviews[review_id].items() if k != "number"})

    @staticmethod
    def _thread_problems(state: State, number: int, comment: Any) -> list[str]:
        if not isinstance(comment, dict) or not isinstance(comment.get("path"), str) \
                or not isinstance(comment.get("body"), str):
            return ["Pull request review thread path can't be blank"]
        if len(comment["body"]) > MAX_BODY:
            return ["Body is too long (maximum is 65536 characters)"]
        hunks = state.hunks.get(number, {}).get(comment["path"], [])
        line, start = comment.get("line"), comment.get("start_line")
        if comment.get("side", "RIGHT") != "RIGHT" or not isinstance(line, int):
            return ["Pull request review thread line must be part of the diff"]
        hunk = next((h for h in hunks if line in h), None)
        if hunk is None:
            return ["Pull request review thread line must be part of the diff",
                    "Pull request review thread diff hunk can't be blank"]
        if start is not None:
            if not isinstance(start, int) or start >= line:
                return ["Pull request review thread start line must precede the end line."]
            if start not in hunk:
                return ["Pull request review thread start line must be part of the same "
                        "hunk as the line."]
        return []

    def _write(self, state: State, method: str, match: re.Match[str], body: Any) -> None:
        if state.read_only:
            self._reply(403, {"message": "Resource not accessible by integration",
                              "documentation_url": "https://docs.github.com/rest"})
            return
        text = body.get("body") if isinstance(body, dict) else None
        if not isinstance(text, str) or len(text) > MAX_BODY:
            self._reply(422, {"message": "Validation Failed", "errors": [
                {"resource": "IssueComment", "code": "custom", "field": "body",
                 "message": "body is too long (maximum is 65536 characters)"}],
                "documentation_url": "https://docs.github.com/rest/issues/comments",
                "status": "422"})
            return
        if method == "POST":
            new = state.add_comment(int(match.group(2)), text, state.rest_login, state.user_type)
            self._reply(201, state.comments[new])
            return
        comment = state.comments.get(int(match.group(2)))
        if comment is None:
            self._reply(404, {"message": "Not Found"})
            return
        comment["body"] = text
        self._reply(200, comment)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


def _review_comment(comment_id: int, number: int, review_id: int | None,
                    comment: dict[str, Any], user: dict[str, str], commit: str
                    ) -> dict[str, Any]:
    """A review comment as ``GET /pulls/{n}/comments`` lists it."""
    return {"id": comment_id, "number": number, "pull_request_review_id": review_id,
            "path": comment["path"], "line": comment.get("line"),
            "start_line": comment.get("start_line"), "side": comment.get("side", "RIGHT"),
            "start_side": comment.get("start_side"), "body": comment["body"], "user": user,
            "commit_id": commit, "original_commit_id": commit,
            "html_url": f"https://github.example/o/r/pull/{number}#discussion_r{comment_id}"}


class _Server(ThreadingHTTPServer):
    state: State


def serve(token: str) -> Iterator[State]:
    """Run the fake API on 127.0.0.1 (a free port) for the duration of a fixture."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = State(token=token, base=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server.state
    finally:
        server.shutdown()
        server.server_close()


def secondary_limit(method: str, path: str, *, status: int = 403,
                    retry_after: str | None = "30") -> Scripted:
    """GitHub's answer to too many content-creating requests (a secondary rate limit)."""
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    return Scripted(method, path, status, headers, {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                   "before you try again.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-"
                             "rest-api#about-secondary-rate-limits", "status": str(status)})


def primary_limit(method: str, path: str, reset: int, *, status: int = 403) -> Scripted:
    """The hourly limit used up: ``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset``."""
    return Scripted(method, path, status, {
        "x-ratelimit-remaining": "0", "x-ratelimit-used": "1000",
        "x-ratelimit-reset": str(reset)}, {
        "message": "API rate limit exceeded for installation ID 1.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-"
                             "rest-api", "status": str(status)})


# --- Git data: refs, tag objects and commits (`secure-gate fix` pinning actions) -----------
# GET /repos/{o}/{r}/git/ref/{tags|heads}/{name}, /repos/{o}/{r}/git/tags/{sha},
# /repos/{o}/{r}/commits/{ref} (JSON, or the bare SHA for Accept: application/vnd.github.sha)
# and the same under /repositories/{id}/ (where a renamed repository's 301 points). Public
# repositories: anonymous requests are answered, a wrong token is 401 Bad credentials.

_GIT = re.compile(r"/(?:repos/([^/]+/[^/]+)|repositories/(\d+))/(git/ref/(?:tags|heads)/.+|"
                  r"git/tags/[^/]+|commits/.+)")
_DOCS = "https://docs.github.com/rest"


@dataclass
class GitRepo:
    """One repository's refs: ``refs`` maps ``tags/X``/``heads/X`` to (type, sha)."""

    full_name: str
    id: int
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)
    tag_objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    commits: set[str] = field(default_factory=set)


@dataclass
class GitData:
    """Repositories by lower-cased full name, renamed ones, and raw answers to force."""

    repos: dict[str, GitRepo] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)  # old full name -> new full name
    redirect_base: str | None = None  # where a 301 points (default: this server)
    # Path prefix -> (status, headers, body bytes): a hostile API's answers, used each time.
    raw: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    accepts: list[str] = field(default_factory=list)  # Accept headers seen
    versions: list[str] = field(default_factory=list)  # X-GitHub-Api-Version headers seen
    hosts: list[tuple[str, bool]] = field(default_factory=list)  # (Host, sent a token)

    def repo(self, full_name: str) -> GitRepo:
        key = full_name.lower()
        if key not in self.repos:
            self.repos[key] = GitRepo(full_name, 100 + len(self.repos))
        return self.repos[key]

    def commit(self, full_name: str, seed: str) -> str:
        """A new commit SHA of ``full_name`` (deterministic in ``seed``)."""
        sha = hashlib.sha1(f"{full_name}\0{seed}".encode()).hexdigest()
        self.repo(full_name).commits.add(sha)
        return sha

    def tag(self, full_name: str, name: str, commit: str, *, annotated: int = 0) -> str:
        """Tag ``commit``; ``annotated`` = how many tag objects stand between (tag of tag)."""
        repo = self.repo(full_name)
        kind, sha = "commit", commit
        for depth in range(annotated):
            obj = hashlib.sha1(f"{name}\0{sha}\0{depth}".encode()).hexdigest()
            repo.tag_objects[obj] = {"tag": name, "sha": obj, "object": {"type": kind,
                                                                         "sha": sha}}
            kind, sha = "tag", obj
        repo.refs[f"tags/{name}"] = (kind, sha)
        return sha

    def branch(self, full_name: str, name: str, commit: str) -> None:
        self.repo(full_name).refs[f"heads/{name}"] = ("commit", commit)


def _git_route(handler: _Handler, state: State, path: str) -> bool:
    """Answer a git-data GET as GitHub does; False when ``path`` is not one."""
    git = state.git
    match = _GIT.fullmatch(path)
    if match is None:
        return False
    git.accepts.append(handler.headers.get("Accept") or "")
    git.versions.append(handler.headers.get("X-GitHub-Api-Version") or "")
    sent = handler.headers.get("Authorization")
    git.hosts.append((handler.headers.get("Host") or "", sent is not None))
    for prefix, (status, headers, data) in git.raw.items():
        if path.startswith(prefix):
            _raw(handler, status, headers, data)
            return True
    if sent is not None and sent != f"Bearer {state.token}":
        handler._reply(401, {"message": "Bad credentials", "documentation_url": _DOCS,
                             "status": "401"})
        return True
    full, number, rest = match.groups()
    if full is not None and full.lower() in git.moved:
        target = git.repo(git.moved[full.lower()])
        base = git.redirect_base or state.base
        location = f"{base}/repositories/{target.id}/{rest}"
        handler._reply(301, {"message": "Moved Permanently", "url": location,
                             "documentation_url": "https://docs.github.com/v3/#http-redirects"},
                       {"Location": location})
        return True
    repo = (git.repos.get(full.lower()) if full is not None
            else next((r for r in git.repos.values() if str(r.id) == number), None))
    if repo is None:
        _not_found(handler, "git/refs#get-a-reference")
        return True
    api = f"{state.base}/repos/{repo.full_name}"
    if rest.startswith("git/ref/"):
        name = urllib.parse.unquote(rest[len("git/ref/"):])
        found = repo.refs.get(name)
        if found is None:
            _not_found(handler, "git/refs#get-a-reference")
            return True
        kind, sha = found
        plural = "commits" if kind == "commit" else "tags"
        handler._reply(200, {"ref": f"refs/{name}", "node_id": "REF_kwDOA", "url":
                             f"{api}/git/refs/{name}", "object": {
                                 "sha": sha, "type": kind, "url": f"{api}/git/{plural}/{sha}"}})
        return True
    if rest.startswith("git/tags/"):
        obj = repo.tag_objects.get(rest[len("git/tags/"):])
        if obj is None:
            _not_found(handler, "git/tags#get-a-tag")
            return True
        inner = obj["object"]
        handler._reply(200, {"node_id": "TAG_kwDOA", "tag": obj["tag"], "sha": obj["sha"],
                             "url": f"{api}/git/tags/{obj['sha']}", "message": "release\n",
                             "tagger": {"name": "octo", "email": "octo@example.com",
                                        "date": "2024-01-01T00:00:00Z"},
                             "object": {**inner, "url": f"{api}/git/{inner['type']}s/"
                                                        f"{inner['sha']}"},
                             "verification": {"verified": False, "reason": "unsigned",
                                              "signature": None, "payload": None}})
        return True
    wanted = urllib.parse.unquote(rest[len("commits/"):]).lower()
    matches = sorted(c for c in repo.commits if c.startswith(wanted)) if len(wanted) >= 4 else []
    if len(matches) != 1:
        handler._reply(422, {"message": f"No commit found for SHA: {wanted}",
                             "documentation_url": f"{_DOCS}/commits/commits#get-a-commit",
                             "status": "422"})
        return True
    if "application/vnd.github.sha" in (handler.headers.get("Accept") or ""):
        _raw(handler, 200, {"Content-Type": "application/vnd.github.sha; charset=utf-8"},
             matches[0].encode())
        return True
    handler._reply(200, {"sha": matches[0], "url": f"{api}/commits/{matches[0]}",
                         "commit": {"message": "a commit"}, "files": []})
    return True


def _not_found(handler: _Handler, page: str) -> None:
    handler._reply(404, {"message": "Not Found", "documentation_url": f"{_DOCS}/{page}",
                         "status": "404"})


def _raw(handler: _Handler, status: int, headers: dict[str, str], data: bytes) -> None:
    handler.send_response(status)
    names = {k.lower() for k in headers}
    if "content-type" not in names:
        handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.end_headers()
    # The client may stop reading (a body over its limit): as a real server sees it.
    with contextlib.suppress(OSError):
        handler.wfile.write(data)
