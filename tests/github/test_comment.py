"""The sticky comment client against the loopback API: create once, update, never duplicate."""

from __future__ import annotations

import email.utils

import pytest

from secure_gate.github.api import ApiError, GitHubClient, RateLimited, rate_limit_wait
from secure_gate.github.comment import (
    MAX_BODY_CHARS,
    cap_body,
    is_ours,
    list_comments,
    marker,
    upsert_comment,
    viewer_login,
)
from tests.github.fake_github import Scripted, State, primary_limit, secondary_limit

MARK = marker()


class Sleeps:
    """Records the waits instead of sleeping them."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def client(api: State, token: str, sleeps: Sleeps | None = None, *,
           clock: float = 1_700_000_000.0, max_wait: float = 60.0) -> GitHubClient:
    return GitHubClient(api.base, f"{api.base}/graphql", token, sleep=sleeps or Sleeps(),
                        clock=lambda: clock, max_wait=max_wait)


def test_created_once_then_updated(api: State, token: str) -> None:
    gh = client(api, token)
    first = upsert_comment(gh, "o/r", 7, f"{MARK}\nrun one", MARK)
    second = upsert_comment(gh, "o/r", 7, f"{MARK}\nrun two", MARK)
    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id
    assert len(api.ours()) == 1
    assert api.ours()[0]["body"].endswith("run two")
    assert len(api.calls("POST", "/repos/")) == 1
    assert len(api.calls("PATCH")) == 1
    assert all(s.authorised for s in api.seen)


def test_someone_elses_comment_with_our_marker_is_left_alone(api: State, token: str) -> None:
    planted = api.add_comment(7, f"{MARK}\nI am not the bot", "mallory")
    impostor = api.add_comment(7, f"{MARK}\nnor am I", "github-actions[bot]", "User")
    result = upsert_comment(upsert_client := client(api, token), "o/r", 7, f"{MARK}\nreal",
                            MARK)
    assert result.action == "created"
    assert api.comments[planted]["body"] == f"{MARK}\nI am not the bot"
    assert api.comments[impostor]["body"] == f"{MARK}\nnor am I"
    assert upsert_comment(upsert_client, "o/r", 7, f"{MARK}\nagain", MARK).action == "updated"
    assert api.comments[planted]["body"].endswith("I am not the bot")


def test_our_comment_found_on_a_later_page(api: State, token: str) -> None:
    for i in range(230):
        api.add_comment(7, f"chatter {i}", f"user{i % 5}")
    ours = api.add_comment(7, f"{MARK}\nold", api.rest_login, "Bot")
    for i in range(20):
        api.add_comment(7, f"more chatter {i}", "user1")
    result = upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nnew", MARK)
    assert (result.action, result.comment_id) == ("updated", ours)
    pages = [s for s in api.calls("GET", "/repos/o/r/issues/7/comments")]
    assert len(pages) == 3
    assert pages[0].query["per_page"] == ["100"]
    assert [p.query.get("page", ["1"])[0] for p in pages] == ["1", "2", "3"]
    assert not api.calls("POST", "/repos/")


def test_other_markers_and_other_prs_do_not_match(api: State, token: str) -> None:
    api.add_comment(8, f"{MARK}\nanother PR", api.rest_login, "Bot")
    tagged = marker("docs")
    api.add_comment(7, f"{tagged}\nanother step", api.rest_login, "Bot")
    assert upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK).action == "created"


def test_app_identity_matches_rest_bot_login_only_for_bots() -> None:
    bot = {"body": MARK, "user": {"login": "my-app[bot]", "type": "Bot"}}
    user = {"body": MARK, "user": {"login": "my-app[bot]", "type": "User"}}
    pat = {"body": MARK, "user": {"login": "alice", "type": "User"}}
    assert is_ours(bot, "my-app", MARK)
    assert not is_ours(user, "my-app", MARK)
    assert is_ours(pat, "alice", MARK)
    assert not is_ours(pat, "alic", MARK)
    assert not is_ours({"body": "no marker", "user": {"login": "alice"}}, "alice", MARK)
    assert not is_ours({"body": MARK, "user": None}, "alice", MARK)


def test_pagination_link_to_another_host_is_refused(api: State, token: str) -> None:
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 200, {
        "Link": '<https://evil.example/steal?page=2>; rel="next"'}, []))
    with pytest.raises(ApiError, match="pointed away"):
        list(list_comments(client(api, token), "o/r", 7))


def test_fork_token_is_refused_with_403(api: State, token: str) -> None:
    api.read_only = True
    with pytest.raises(ApiError) as info:
        upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK)
    assert info.value.status == 403
    assert "not accessible" in str(info.value)
    assert not api.comments


def test_bad_credentials_are_a_401(api: State, token: str) -> None:
    with pytest.raises(ApiError) as info:
        upsert_comment(client(api, token + "x"), "o/r", 7, f"{MARK}\nx", MARK)
    assert info.value.status == 401
    assert token not in str(info.value)


def test_404_and_422_carry_githubs_message(api: State, token: str) -> None:
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 404,
                               body={"message": "Not Found"}))
    with pytest.raises(ApiError, match="HTTP 404: Not Found"):
        upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK)
    with pytest.raises(ApiError, match="HTTP 422"):
        upsert_comment(client(api, token), "o/r", 7, MARK + "x" * 70_000, MARK)
    assert not api.comments


def test_429_retry_after_is_honoured(api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script += [Scripted("POST", "/graphql", 429, {"Retry-After": "7"}),
                   secondary_limit("GET", "/repos/o/r/issues/7/comments", status=429,
                                   retry_after="2")]
    result = upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert result.action == "created"
    assert sleeps.calls == [7.0, 2.0]


def test_retry_after_longer_than_the_cap_gives_up_without_sleeping(api: State, token: str
                                                                   ) -> None:
    sleeps = Sleeps()
    api.script.append(Scripted("POST", "/graphql", 429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited, match="3600s, longer than the 60s"):
        upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert sleeps.calls == [] and not api.comments


def test_403_primary_rate_limit_waits_until_reset(api: State, token: str) -> None:
    sleeps = Sleeps()
    now = 1_700_000_000
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 403, {
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 30)},
        {"message": "API rate limit exceeded"}))
    result = upsert_comment(client(api, token, sleeps, clock=now), "o/r", 7, f"{MARK}\nx", MARK)
    assert result.action == "created"
    assert sleeps.calls == [31.0]


def test_rate_limit_longer_than_the_cap_gives_up_without_sleeping(api: State, token: str
                                                                  ) -> None:
    sleeps = Sleeps()
    now = 1_700_000_000
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 403, {
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(now + 3600)}))
    with pytest.raises(RateLimited, match="longer than the 60s"):
        upsert_comment(client(api, token, sleeps, clock=now), "o/r", 7, f"{MARK}\nx", MARK)
    assert sleeps.calls == []


def test_secondary_rate_limit_403_with_retry_after_is_retried(api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 403,
                               {"Retry-After": "5"}, {"message": "secondary rate limit"}))
    assert upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK).action \
        == "created"
    assert sleeps.calls == [5.0]


def test_server_errors_are_retried_with_backoff_but_create_is_posted_once(
        api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script += [Scripted("GET", "/repos/o/r/issues/7/comments", 502),
                   Scripted("GET", "/repos/o/r/issues/7/comments", 500),
                   Scripted("POST", "/repos/o/r/issues/7/comments", 500)]
    with pytest.raises(ApiError, match="HTTP 500"):
        upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert len(api.calls("GET", "/repos/o/r/issues/7/comments")) == 3
    assert len(api.calls("POST", "/repos/")) == 1  # a 500 may have created it: never twice
    assert sleeps.calls and all(0 < s <= 60 for s in sleeps.calls)  # backed off, bounded


def test_retries_are_bounded(api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script += [Scripted("POST", "/graphql", 503) for _ in range(10)]
    with pytest.raises(ApiError, match="HTTP 503"):
        upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert len(api.calls("POST", "/graphql")) == 4
    assert sleeps.calls == sorted(sleeps.calls) and max(sleeps.calls) <= 60  # exponential


def test_unreachable_api_is_an_api_error_without_the_token(token: str) -> None:
    gh = GitHubClient("http://127.0.0.1:9", "http://127.0.0.1:9/graphql", token,
                      sleep=Sleeps(), retries=0, timeout=5)
    with pytest.raises(ApiError) as info:
        upsert_comment(gh, "o/r", 7, f"{MARK}\nx", MARK)
    assert token not in str(info.value) and token not in repr(info.value)


def test_rate_limit_wait_reads_the_headers() -> None:
    now = 1_000.0
    assert rate_limit_wait({"retry-after": "12"}, now) == 12.0
    date = email.utils.formatdate(now + 40, usegmt=True)
    assert rate_limit_wait({"retry-after": date}, now) == pytest.approx(40.0, abs=1)
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"},
                           now) == 11.0
    assert rate_limit_wait({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "1010"},
                           now) is None
    assert rate_limit_wait({"retry-after": "soon"}, now) is None
    assert rate_limit_wait({}, now) is None


def test_body_is_capped_well_under_githubs_limit() -> None:
    pointer = "Full list in the job summary."
    capped = cap_body(MARK + "y" * 100_000, pointer)
    assert len(capped) <= MAX_BODY_CHARS < 65_536
    assert capped.startswith(MARK) and capped.endswith(pointer)
    assert cap_body("short", pointer) == "short"


def test_a_body_without_the_marker_is_refused(api: State, token: str) -> None:
    with pytest.raises(ValueError, match="marker"):
        upsert_comment(client(api, token), "o/r", 7, "no marker", MARK)
    assert not api.seen


def test_graphql_errors_mean_no_identity_and_no_write(api: State, token: str) -> None:
    api.script.append(Scripted("POST", "/graphql", 200, body={
        "data": None, "errors": [{"message": "Resource not accessible by integration"}]}))
    with pytest.raises(ApiError, match="did not return the token's login"):
        upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK)
    assert not api.calls("POST", "/repos/") and not api.calls("PATCH")


def test_actions_token_identity_is_the_bot_login(api: State, token: str) -> None:
    """GraphQL names the Actions token ``github-actions[bot]``; REST GET /user is 403."""
    gh = client(api, token)
    assert viewer_login(gh) == "github-actions[bot]"
    refused = gh.request("GET", f"{api.base}/user")
    assert refused.status_code == 403
    assert "not accessible by integration" in refused.json()["message"]
    api.add_comment(7, f"{MARK}\nold", "github-actions[bot]", "Bot")
    result = upsert_comment(gh, "o/r", 7, f"{MARK}\nnew", MARK)
    assert result.action == "updated"
    assert [c["user"] for c in api.ours()] == [{"login": "github-actions[bot]", "type": "Bot"}]


def test_a_custom_apps_bot_login_is_its_own_identity(api: State, token: str) -> None:
    api.viewer = api.rest_login = "acme-gate[bot]"
    api.add_comment(7, f"{MARK}\nthe default token's", "github-actions[bot]", "Bot")
    assert upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK).action == "created"
    assert upsert_comment(client(api, token), "o/r", 7, f"{MARK}\ny", MARK).action == "updated"
    assert len(api.ours()) == 1


def test_a_personal_access_token_has_a_plain_login(api: State, token: str) -> None:
    api.as_pat("octo-dev")
    gh = client(api, token)
    assert viewer_login(gh) == "octo-dev"
    api.add_comment(7, f"{MARK}\nplanted by the bot", "github-actions[bot]", "Bot")
    first = upsert_comment(gh, "o/r", 7, f"{MARK}\nmine", MARK)
    assert first.action == "created"
    assert api.comments[first.comment_id]["user"] == {"login": "octo-dev", "type": "User"}
    assert upsert_comment(gh, "o/r", 7, f"{MARK}\nagain", MARK).action == "updated"


def test_a_bot_login_by_a_user_account_is_not_ours() -> None:
    assert is_ours({"body": MARK, "user": {"login": "github-actions[bot]", "type": "Bot"}},
                   "github-actions[bot]", MARK)
    assert not is_ours({"body": MARK, "user": {"login": "github-actions[bot]",
                                               "type": "User"}}, "github-actions[bot]", MARK)
    assert not is_ours({"body": MARK, "user": {"login": "github-actions", "type": "User"}},
                       "github-actions[bot]", MARK)


def test_a_viewer_login_of_another_shape_is_refused(api: State, token: str) -> None:
    api.viewer = "evil]<script>"
    with pytest.raises(ApiError, match="did not return the token's login"):
        upsert_comment(client(api, token), "o/r", 7, f"{MARK}\nx", MARK)
    assert not api.calls("POST", "/repos/")


def test_secondary_limit_without_retry_after_waits_a_minute(api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script.append(secondary_limit("GET", "/repos/o/r/issues/7/comments",
                                      retry_after=None))
    assert upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK).action \
        == "created"
    assert sleeps.calls == [60.0]


def test_a_rate_limited_create_is_sent_again_and_made_once(api: State, token: str) -> None:
    """A rate-limited POST was not processed, unlike a 500: it is safe to send again."""
    sleeps = Sleeps()
    now = 1_700_000_000
    api.script += [secondary_limit("POST", "/repos/o/r/issues/7/comments", retry_after="4"),
                   primary_limit("POST", "/repos/o/r/issues/7/comments", now + 9)]
    result = upsert_comment(client(api, token, sleeps, clock=now), "o/r", 7, f"{MARK}\nx",
                            MARK)
    assert result.action == "created"
    assert sleeps.calls == [4.0, 10.0]
    assert len(api.calls("POST", "/repos/")) == 3 and len(api.ours()) == 1


def test_rate_limits_that_never_end_are_given_up_after_bounded_tries(api: State, token: str
                                                                   ) -> None:
    sleeps = Sleeps()
    api.script += [secondary_limit("PATCH", "/repos/o/r/issues/comments/", retry_after="1")
                   for _ in range(10)]
    api.add_comment(7, f"{MARK}\nold", api.rest_login, "Bot")
    with pytest.raises(RateLimited, match="HTTP 403"):
        upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert len(api.calls("PATCH")) == 4 and sleeps.calls == [1.0, 1.0, 1.0]


def test_a_plain_403_is_a_refusal_and_not_retried(api: State, token: str) -> None:
    sleeps = Sleeps()
    api.script.append(Scripted("GET", "/repos/o/r/issues/7/comments", 403,
                               body={"message": "Must have admin rights to Repository."}))
    with pytest.raises(ApiError, match="admin rights") as info:
        upsert_comment(client(api, token, sleeps), "o/r", 7, f"{MARK}\nx", MARK)
    assert not isinstance(info.value, RateLimited) and sleeps.calls == []
