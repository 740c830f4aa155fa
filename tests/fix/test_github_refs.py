"""The GitHub refs client against a loopback GitHub API: tags (peeled), branches, short SHAs,
the errors GitHub answers with, and answers that are not to be believed."""

from __future__ import annotations

import json

import pytest

from secure_gate.net import github_refs
from secure_gate.net.github_refs import RefError, Resolved, resolve
from secure_gate.net.http import Http, RateLimited, ServiceError
from secure_gate.net.services import Services
from tests.github.fake_github import Scripted, State, primary_limit, secondary_limit
from tests.github.runner import fake_token

REPO = "actions/checkout"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def services(api: State, token: str, waits: list[float]) -> Services:
    return Services(http=Http(timeout=5, sleep=waits.append), github_api=api.base,
                    github_token=token)


def test_a_lightweight_tag_is_its_commit(api: State, services: Services) -> None:
    commit = api.git.commit(REPO, "v4")
    api.git.tag(REPO, "v4", commit)
    assert resolve(services, REPO, "v4") == Resolved(commit, "tag", False, None)
    assert services.used == {"the GitHub API"}
    assert api.git.accepts == ["application/vnd.github+json"]
    assert api.git.versions == ["2022-11-28"]
    assert [s.authorised for s in api.seen] == [True]


def test_an_annotated_tag_and_a_tag_of_a_tag_are_peeled_to_the_commit(
        api: State, services: Services) -> None:
    commit = api.git.commit(REPO, "c1")
    api.git.tag(REPO, "v1.0.0", commit, annotated=1)
    api.git.tag(REPO, "v1", commit, annotated=3)
    assert resolve(services, REPO, "v1.0.0") == Resolved(commit, "tag", True, None)
    assert resolve(services, REPO, "v1") == Resolved(commit, "tag", True, None)
    paths = [s.path for s in api.seen]
    assert paths[0] == f"/repos/{REPO}/git/ref/tags/v1.0.0"
    assert sum("/git/tags/" in p for p in paths) == 1 + 3


def test_peeling_is_bounded(api: State, services: Services) -> None:
    api.git.tag(REPO, "deep", api.git.commit(REPO, "d"), annotated=github_refs.MAX_PEEL + 1)
    with pytest.raises(RefError, match="tags deep"):
        resolve(services, REPO, "deep")


def test_a_tag_of_a_tree_is_not_a_commit(api: State, services: Services) -> None:
    api.git.repo(REPO).refs["tags/tree"] = ("tree", "a" * 40)
    with pytest.raises(RefError, match="names a tree, not a commit"):
        resolve(services, REPO, "tree")


def test_a_branch_when_no_tag_has_the_name(api: State, services: Services) -> None:
    commit = api.git.commit(REPO, "main")
    api.git.branch(REPO, "main", commit)
    assert resolve(services, REPO, "main") == Resolved(commit, "branch", False, None)
    assert [s.path for s in api.seen] == [f"/repos/{REPO}/git/ref/tags/main",
                                          f"/repos/{REPO}/git/ref/heads/main"]


def test_a_tag_wins_over_a_branch_of_the_same_name(api: State, services: Services) -> None:
    tagged, branched = api.git.commit(REPO, "t"), api.git.commit(REPO, "b")
    api.git.tag(REPO, "v2", tagged)
    api.git.branch(REPO, "v2", branched)
    assert resolve(services, REPO, "v2").sha == tagged


def test_a_tag_with_a_slash_in_its_name(api: State, services: Services) -> None:
    commit = api.git.commit(REPO, "r")
    api.git.tag(REPO, "release/v1", commit)
    assert resolve(services, REPO, "release/v1").sha == commit


def test_a_short_sha_is_expanded_by_the_commits_api(api: State, services: Services) -> None:
    commit = api.git.commit(REPO, "short")
    assert resolve(services, REPO, commit[:7]) == Resolved(commit, "commit", False, None)
    assert api.git.accepts == ["application/vnd.github.sha"]


def test_an_unknown_short_sha_is_a_clear_refusal(api: State, services: Services) -> None:
    api.git.commit(REPO, "x")
    with pytest.raises(RefError, match="no commit `0000000` in actions/checkout"):
        resolve(services, REPO, "0000000")


def test_no_tag_or_branch(api: State, services: Services) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"))
    with pytest.raises(RefError, match=r"no tag or branch `v9` in actions/checkout"):
        resolve(services, REPO, "v9")
    with pytest.raises(RefError, match=r"no tag or branch `v1` in nobody/nothing"):
        resolve(services, "nobody/nothing", "v1")


def test_answers_are_kept_so_nothing_is_asked_twice(api: State, services: Services) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"), annotated=1)
    first = resolve(services, REPO, "v4")
    asked = len(api.seen)
    with pytest.raises(RefError):
        resolve(services, REPO, "nope")
    asked_after_refusal = len(api.seen)
    assert resolve(services, "Actions/Checkout", "v4") == first
    with pytest.raises(RefError):
        resolve(services, REPO, "nope")
    assert len(api.seen) == asked_after_refusal > asked


def test_without_a_token_no_authorization_is_sent(api: State, waits: list[float]) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"))
    anonymous = Services(http=Http(timeout=5, sleep=waits.append), github_api=api.base)
    assert resolve(anonymous, REPO, "v4").kind == "tag"
    assert api.git.hosts == [(api.base.removeprefix("http://"), False)]


def test_a_bad_token_is_401_bad_credentials_and_stops_asking(api: State, waits: list[float],
                                                              token: str) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"))
    wrong = Services(http=Http(timeout=5, sleep=waits.append), github_api=api.base,
                     github_token=fake_token())
    with pytest.raises(ServiceError, match=r"HTTP 401 Bad credentials.*GITHUB_TOKEN") as caught:
        resolve(wrong, REPO, "v4")
    assert caught.value.status == 401 and token not in str(caught.value)
    asked = len(api.seen)
    with pytest.raises(ServiceError, match="401"):
        resolve(wrong, "other/repo", "v1")
    assert len(api.seen) == asked  # the API is not asked again in this run


def test_primary_rate_limit_names_when_it_resets(api: State, services: Services,
                                                 waits: list[float]) -> None:
    import time
    reset = int(time.time()) + 1800
    api.script.append(primary_limit("GET", "/repos/", reset))
    with pytest.raises(RateLimited, match=r"rate limit reached \(HTTP 403\); it allows more "
                                          r"in 1[78]\d\d s"):
        resolve(services, REPO, "v4")
    assert waits == []  # half an hour is not waited for
    with pytest.raises(RateLimited):
        resolve(services, "other/repo", "v1")
    assert len(api.seen) == 1


def test_primary_rate_limit_429_anonymous_says_to_set_a_token(api: State,
                                                              waits: list[float]) -> None:
    import time
    api.script.append(primary_limit("GET", "/repos/", int(time.time()) + 600, status=429))
    anonymous = Services(http=Http(timeout=5, sleep=waits.append), github_api=api.base)
    with pytest.raises(RateLimited, match="set GITHUB_TOKEN"):
        resolve(anonymous, REPO, "v4")


@pytest.mark.parametrize("status", [403, 429])
def test_a_short_secondary_limit_is_waited_out(api: State, services: Services,
                                               waits: list[float], status: int) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"))
    api.script.append(secondary_limit("GET", "/repos/", status=status, retry_after="7"))
    assert resolve(services, REPO, "v4").kind == "tag"
    assert waits == [7.0]


def test_a_lasting_secondary_limit_is_a_clear_error(api: State, services: Services,
                                                    waits: list[float]) -> None:
    api.script.extend(secondary_limit("GET", "/repos/", retry_after="2") for _ in range(4))
    with pytest.raises(RateLimited, match="rate limit reached"):
        resolve(services, REPO, "v4")
    assert waits == [2.0, 2.0, 2.0]


def test_a_renamed_repository_is_followed_and_named(api: State, services: Services) -> None:
    commit = api.git.commit("new-owner/checkout", "v4")
    api.git.tag("new-owner/checkout", "v4", commit, annotated=1)
    api.git.moved[REPO] = "new-owner/checkout"
    found = resolve(services, REPO, "v4")
    assert found == Resolved(commit, "tag", True, "new-owner/checkout")
    assert all(authorised for _host, authorised in api.git.hosts)  # same origin: token kept


def test_a_redirect_to_another_origin_never_carries_the_token(api: State,
                                                              services: Services) -> None:
    commit = api.git.commit("new-owner/checkout", "v4")
    api.git.tag("new-owner/checkout", "v4", commit)
    api.git.moved[REPO] = "new-owner/checkout"
    port = api.base.rsplit(":", 1)[1]
    api.git.redirect_base = f"http://localhost:{port}"  # another host: another origin
    assert resolve(services, REPO, "v4").sha == commit
    assert api.git.hosts == [(f"127.0.0.1:{port}", True), (f"localhost:{port}", False)]


@pytest.mark.parametrize(("body", "why"), [
    ({"ref": "refs/tags/v4", "object": {"type": "commit", "sha": "deadbeef"}}, "40 lower-case"),
    ({"ref": "refs/tags/v4", "object": {"type": "commit", "sha": "A" * 40}}, "40 lower-case"),
    ({"ref": "refs/tags/v4", "object": {"type": "commit", "sha": 12}}, "no known type"),
    ({"ref": "refs/tags/v4", "object": {"type": "evil", "sha": "a" * 40}}, "no known type"),
    ({"ref": "refs/tags/v4", "object": "a" * 40}, "without an object"),
    ({"ref": "refs/tags/v40", "object": {"type": "commit", "sha": "a" * 40}},
     "not that reference"),
    ([{"ref": "refs/tags/v4.1", "object": {"type": "commit", "sha": "a" * 40}}],
     "not that reference"),
    ("a" * 40, "not that reference"),
])
def test_answers_of_the_wrong_shape_are_not_believed(api: State, services: Services,
                                                     body: object, why: str) -> None:
    api.script.append(Scripted("GET", f"/repos/{REPO}/git/ref/tags/v4", 200, {}, body))
    with pytest.raises(RefError, match=why):
        resolve(services, REPO, "v4")


def test_a_tag_object_for_another_sha_is_not_believed(api: State, services: Services) -> None:
    api.git.tag(REPO, "v4", api.git.commit(REPO, "v4"), annotated=1)
    _kind, obj = api.git.repo(REPO).refs["tags/v4"]
    api.git.repo(REPO).tag_objects[obj]["sha"] = "b" * 40
    with pytest.raises(RefError, match="something else"):
        resolve(services, REPO, "v4")


def test_a_short_sha_answered_with_another_commit_is_not_believed(
        api: State, services: Services) -> None:
    api.git.raw[f"/repos/{REPO}/commits/"] = (200, {"Content-Type": "application/vnd.github"
                                                    ".sha"}, b"f" * 40)
    with pytest.raises(RefError, match="not its full SHA"):
        resolve(services, REPO, "abcdef1")


def test_non_json_is_a_clear_error(api: State, services: Services) -> None:
    api.git.raw["/repos/"] = (200, {"Content-Type": "text/html"}, b"<html>hi</html>")
    with pytest.raises(ServiceError, match="not JSON"):
        resolve(services, REPO, "v4")


def test_a_huge_body_is_refused_not_read(api: State, services: Services) -> None:
    from secure_gate.net.http import MAX_BODY
    huge = json.dumps({"ref": "refs/tags/v4", "pad": "x" * (MAX_BODY + 10)}).encode()
    api.git.raw["/repos/"] = (200, {}, huge)
    with pytest.raises(ServiceError, match="more than"):
        resolve(services, REPO, "v4")


def test_an_unreachable_api_is_named_and_asked_once(waits: list[float]) -> None:
    services = Services(http=Http(timeout=2, retries=1, sleep=waits.append),
                        github_api="http://127.0.0.1:9")
    with pytest.raises(ServiceError, match=r"the GitHub API \(http://127.0.0.1:9/repos/"
                                           r"actions/checkout/git/ref/tags/v4\): unreachable"):
        resolve(services, REPO, "v4")
    requests = services.http.requests
    with pytest.raises(ServiceError, match="unreachable"):
        resolve(services, "other/repo", "v1")
    assert services.http.requests == requests


@pytest.mark.parametrize("ref", ["../../../user", "v1..v2", "a b", "-x", "v1.lock", "x~1",
                                 "a\nb", "refs//x", ".hidden", "v1.", "x@{0}", "x?y", "é"])
def test_refs_git_would_refuse_are_never_asked(api: State, services: Services,
                                               ref: str) -> None:
    with pytest.raises(RefError, match="not a git tag or branch name"):
        resolve(services, REPO, ref)
    assert api.seen == []


@pytest.mark.parametrize("repository", ["no-slash", "a/b/c", "../x", "a/..", "-a/b",
                                        "a/b c", "a/", "/b", "a%2f/b"])
def test_repositories_that_are_not_owner_name_are_never_asked(
        api: State, services: Services, repository: str) -> None:
    with pytest.raises(RefError, match="is not a GitHub owner/repository"):
        resolve(services, repository, "v1")
    assert api.seen == []


@pytest.mark.parametrize("odd", ["\n", "\r\nX-Evil: 1", " ", "\u00e9"])
def test_a_token_no_header_can_hold_is_refused_without_printing_it(
        api: State, waits: list[float], token: str, odd: str) -> None:
    bad = token[:10] + odd + token[10:]
    services = Services(http=Http(timeout=5, sleep=waits.append), github_api=api.base,
                        github_token=bad)
    with pytest.raises(ServiceError, match="holds characters no token has") as caught:
        resolve(services, REPO, "v4")
    assert token[:10] not in str(caught.value) and api.seen == []


def test_a_secondary_limit_without_retry_after_is_a_rate_limit_not_a_refusal(
        api: State, services: Services, waits: list[float]) -> None:
    """GitHub: "If the retry-after response header is not present ... wait at least one
    minute"; the only sign is the message."""
    api.script.append(secondary_limit("GET", "/repos/", retry_after=None))
    with pytest.raises(RateLimited, match=r"rate limit reached \(HTTP 403\); wait a minute"):
        resolve(services, REPO, "v4")
    assert waits == []


def test_a_plain_403_is_a_refusal(api: State, services: Services) -> None:
    api.script.append(Scripted("GET", "/repos/", 403, {}, {
        "message": "Resource protected by organization SAML enforcement.",
        "documentation_url": "https://docs.github.com/articles/authenticating-to-a-github-"
                             "organization-with-saml-single-sign-on/"}))
    with pytest.raises(ServiceError, match=r"refused the request \(HTTP 403\)") as caught:
        resolve(services, REPO, "v4")
    assert not isinstance(caught.value, RateLimited)
