"""Tags, branches and short SHAs of GitHub repositories resolved to full commit SHAs.

A client of the GitHub REST API (``Services.github_api``) for ``secure-gate fix``: a tag is
looked up first (``git/ref/tags/X``; an annotated tag's object is peeled through
``git/tags/SHA`` until it names a commit), then a branch (``git/ref/heads/X``); a short SHA
is expanded by the commits API. The token is sent to the API's own origin only (a redirect
to another host drops it), and every answer is checked before it is believed: it is input
from the network, no more trusted than the repository.

Errors come in two kinds. :class:`RefError`: this one reference cannot be resolved (no such
tag or branch, a tag of a tree, an answer of the wrong shape). :class:`ServiceError` from
:mod:`secure_gate.net.http`: the API itself cannot be asked (unreachable, rate limited, the
token refused); it is remembered, so the rest of the run asks nothing more and says why.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from secure_gate.net.http import NotFound, RateLimited, ServiceError, origin
from secure_gate.net.services import Services

SERVICE = "the GitHub API"
_CACHE = "github"
MAX_PEEL = 5  # tag objects followed before giving up (git itself never nests this deep)
_SHA = re.compile(r"[0-9a-f]{40}")
_HEX = re.compile(r"[0-9a-fA-F]{4,39}")
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")
# git check-ref-format, ASCII only: no controls, space, ~ ^ : ? * [ \ anywhere.
_REF_CHARS = re.compile(r"[!-~]+")
_REF_FORBIDDEN = re.compile(r"[~^:?*\[\\]|\.\.|@\{|//")
_MOVED = re.compile(r"/repos/([^/]+)/([^/]+)/")


class RefError(ValueError):
    """This reference cannot be resolved; the message says why, fit for a summary line."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A reference resolved: the commit, what the reference was, and where the repo moved.

    ``kind`` is ``tag`` (``annotated`` when a tag object was peeled), ``branch`` or
    ``commit`` (a short SHA expanded). ``moved_to`` is ``owner/name`` when the API
    answered for a repository that was renamed or transferred (it redirected).
    """

    sha: str
    kind: str
    annotated: bool = False
    moved_to: str | None = None


def check_repository(repository: str) -> tuple[str, str]:
    """``(owner, name)`` of ``owner/name``; :class:`RefError` when it is not one."""
    owner, slash, name = repository.partition("/")
    if (not slash or not _OWNER.fullmatch(owner) or not _REPO.fullmatch(name)
            or name in (".", "..")):
        raise RefError(f"`{repository}` is not a GitHub owner/repository")
    return owner, name


def check_ref(ref: str) -> str:
    """``ref`` when it is a name git accepts for a tag or branch; :class:`RefError` else."""
    if (not ref or len(ref) > 255 or not _REF_CHARS.fullmatch(ref)
            or _REF_FORBIDDEN.search(ref) or ref.startswith(("/", "-")) or ref.endswith(("/", "."))
            or ref == "@" or any(part.startswith(".") or part.endswith(".lock")
                                 for part in ref.split("/"))):
        raise RefError(f"`{ref}` is not a git tag or branch name")
    return ref


def is_short_sha(ref: str) -> bool:
    """Whether ``ref`` reads as an abbreviated commit SHA (4 to 39 hex digits)."""
    return _HEX.fullmatch(ref) is not None


def resolve(services: Services, repository: str, ref: str, *,
            branches: bool = True) -> Resolved:
    """The commit ``repository@ref`` names: a tag (peeled), else a branch, or a short SHA
    expanded. :class:`RefError` when there is none; :class:`ServiceError` when the API
    cannot be asked. Answers (and refusals) are kept in ``services.answers``."""
    owner, name = check_repository(repository)
    asked = f"{owner.lower()}/{name.lower()}@{ref}"
    key = (_CACHE, f"{asked}@{int(branches)}")
    cached = services.answers.get(key)
    if isinstance(cached, RefError):
        raise RefError(str(cached))
    if isinstance(cached, Resolved):
        return cached
    other = services.answers.get((_CACHE, f"{asked}@{int(not branches)}"))
    if isinstance(other, Resolved) and other.kind != "branch":
        return other  # a tag (or commit) is the answer with or without branches
    try:
        found = _resolve(services, owner, name, ref, branches)
    except RefError as exc:
        services.answers[key] = exc
        raise
    services.answers[key] = found
    return found


def _resolve(services: Services, owner: str, name: str, ref: str, branches: bool) -> Resolved:
    if is_short_sha(ref):
        return _commit(services, owner, name, ref)
    check_ref(ref)
    quoted = urllib.parse.quote(ref, safe="/")
    answer = _get(services, f"/repos/{owner}/{name}/git/ref/tags/{quoted}")
    if answer is not None:
        body, moved = answer
        kind, sha = _ref_object(body, f"refs/tags/{ref}")
        annotated = kind == "tag"
        if annotated:
            sha = _peel(services, owner, name, ref, sha)
        elif kind != "commit":
            raise RefError(f"tag {ref} of {owner}/{name} names a {kind}, not a commit")
        return Resolved(sha, "tag", annotated, moved)
    if branches:
        answer = _get(services, f"/repos/{owner}/{name}/git/ref/heads/{quoted}")
        if answer is not None:
            body, moved = answer
            kind, sha = _ref_object(body, f"refs/heads/{ref}")
            if kind != "commit":
                raise RefError(f"branch {ref} of {owner}/{name} names a {kind}, not a commit")
            return Resolved(sha, "branch", False, moved)
    what = "tag or branch" if branches else "tag"
    raise RefError(f"no {what} `{ref}` in {owner}/{name} (or the repository does not exist "
                   "or is private to this token)")


def _commit(services: Services, owner: str, name: str, short: str) -> Resolved:
    try:
        answer = _get(services, f"/repos/{owner}/{name}/commits/{short.lower()}",
                      accept="application/vnd.github.sha", as_json=False)
    except ServiceError as exc:
        if exc.status != 422:  # 422 "No commit found for SHA": none, or more than one
            raise
        answer = None
    if answer is None:
        raise RefError(f"no commit `{short}` in {owner}/{name} (or more than one starts "
                       "with it): write the full 40-hex SHA")
    body, moved = answer
    sha = body.strip() if isinstance(body, str) else ""
    if not _SHA.fullmatch(sha) or not sha.startswith(short.lower()):
        raise RefError(f"{SERVICE} answered for commit `{short}` of {owner}/{name} with "
                       "something that is not its full SHA")
    return Resolved(sha, "commit", False, moved)


def _peel(services: Services, owner: str, name: str, ref: str, sha: str) -> str:
    for _ in range(MAX_PEEL):
        answer = _get(services, f"/repos/{owner}/{name}/git/tags/{sha}")
        if answer is None:
            raise RefError(f"tag {ref} of {owner}/{name}: its tag object {sha} is missing")
        body, _moved = answer
        if not isinstance(body, dict) or body.get("sha") != sha:
            raise RefError(f"{SERVICE} answered for tag object {sha} of {owner}/{name} with "
                           "something else")
        kind, sha = _object(body.get("object"), f"tag object of {ref}")
        if kind == "commit":
            return sha
        if kind != "tag":
            raise RefError(f"tag {ref} of {owner}/{name} names a {kind}, not a commit")
    raise RefError(f"tag {ref} of {owner}/{name}: more than {MAX_PEEL} tags deep")


def _ref_object(body: Any, expected: str) -> tuple[str, str]:
    # git/ref/X answers one object for an exact match; an array (older APIs: every ref
    # starting with X) or another ref's name is not an answer to the question asked.
    if not isinstance(body, dict) or body.get("ref") != expected:
        raise RefError(f"{SERVICE} answered for {expected} with something that is not "
                       "that reference")
    return _object(body.get("object"), expected)


def _object(value: Any, what: str) -> tuple[str, str]:
    if not isinstance(value, dict):
        raise RefError(f"{SERVICE} answered for {what} without an object")
    kind, sha = value.get("type"), value.get("sha")
    if kind not in ("commit", "tag", "tree", "blob") or not isinstance(sha, str):
        raise RefError(f"{SERVICE} answered for {what} with an object of no known type")
    if not _SHA.fullmatch(sha):
        raise RefError(f"{SERVICE} answered for {what} with a SHA that is not 40 lower-case "
                       "hex digits")
    return kind, sha


_TOKEN = re.compile(r"[!-~]{1,4096}")


def _headers(services: Services, accept: str, url: str) -> dict[str, str]:
    headers = {"Accept": accept, "X-GitHub-Api-Version": "2022-11-28"}
    token = services.github_token
    if token:
        if not _TOKEN.fullmatch(token):
            # Never into a header (http.client would refuse it, printing the value).
            raise ServiceError(SERVICE, url, "GITHUB_TOKEN holds characters no token has "
                               "(spaces, line breaks, non-ASCII); it was not sent")
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _get(services: Services, path: str, *, accept: str = "application/vnd.github+json",
         as_json: bool = True) -> tuple[Any, str | None] | None:
    """The answer to GET ``path`` and where the repository moved (None: 404)."""
    base = services.github_api.rstrip("/")
    url = base + path
    services.used.add(SERVICE)
    try:
        answer = services.http.get(SERVICE, url, headers=_headers(services, accept, url),
                                   token_origin=origin(base))
    except NotFound:
        return None
    except RateLimited as exc:
        hint = "" if services.github_token else " (set GITHUB_TOKEN: anonymous requests get " \
            "60 an hour)"
        raise RateLimited(SERVICE, exc.url, exc.reason + hint, exc.status) from None
    except ServiceError as exc:
        if exc.status == 401:
            exc = ServiceError(SERVICE, exc.url, "refused the token (HTTP 401 Bad credentials):"
                               " GITHUB_TOKEN is wrong or expired", 401)
            # Every further request would fail the same way (an unreachable or rate-limited
            # API the HTTP client remembers on its own).
            services.http.down[SERVICE] = exc
        raise exc from None
    if as_json:
        body: Any = answer.json(SERVICE)
    else:
        try:
            body = answer.body.decode("ascii")
        except UnicodeDecodeError:
            body = ""
    moved = None
    if answer.url != url:
        moved = _moved_to(body, f"{path.split('/')[2]}/{path.split('/')[3]}")
    return body, moved


def _moved_to(body: Any, asked: str) -> str:
    """``owner/name`` the API now answers for (its ``url`` field), else "another name"."""
    link = body.get("url") if isinstance(body, dict) else None
    found = _MOVED.search(urllib.parse.urlsplit(link).path) if isinstance(link, str) else None
    if found:
        try:
            owner, name = check_repository(f"{found.group(1)}/{found.group(2)}")
        except RefError:
            return "another name"
        if f"{owner}/{name}".lower() != asked.lower():
            return f"{owner}/{name}"
    return "another name"
